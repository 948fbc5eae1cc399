import XCTest
@testable import BarrageCore
import BarragePlanFixtures

final class ThresholdParserTests: XCTestCase {
    private func parse(_ expr: String, file: StaticString = #filePath, line: UInt = #line) -> Threshold? {
        do {
            return try Threshold.parse(expr)
        } catch {
            XCTFail("'\(expr)' did not parse: \(error)", file: file, line: line)
            return nil
        }
    }

    func testLatencyMetricsWithAndWithoutPrefixesAndSpaces() {
        let cases: [(String, String, Threshold.Op, Double)] = [
            ("p99<250ms", "latency_us.p99", .lt, 250_000),
            ("p99 < 250ms", "latency_us.p99", .lt, 250_000),
            ("  p50   <=   1.5s  ", "latency_us.p50", .le, 1_500_000),
            ("p75>10us", "latency_us.p75", .gt, 10),
            ("p90 >= 2m", "latency_us.p90", .ge, 120_000_000),
            ("p95 == 500µs", "latency_us.p95", .eq, 500),
            ("p99.9 < 1s", "latency_us.p99.9", .lt, 1_000_000),
            ("p(99.9) < 1s", "latency_us.p99.9", .lt, 1_000_000),
            ("p(99.9)<1s", "latency_us.p99.9", .lt, 1_000_000),
            ("p(99) < 1s", "latency_us.p99", .lt, 1_000_000),
            ("p99.99 < 1m30s", "latency_us.p99.99", .lt, 90_000_000),
            ("max < 2s", "latency_us.max", .lt, 2_000_000),
            ("mean < 20ms", "latency_us.mean", .lt, 20_000),
            ("min > 0ms", "latency_us.min", .gt, 0),
            ("latency.p99 < 250ms", "latency_us.p99", .lt, 250_000),
            ("latency.p(99.99) < 250ms", "latency_us.p99.99", .lt, 250_000),
            ("service_time.p99.9 < 100ms", "service_time_us.p99.9", .lt, 100_000),
            ("service_time.max<=1h", "service_time_us.max", .le, 3_600_000_000),
            ("send_lateness.p99 < 5ms", "send_lateness_us.p99", .lt, 5_000),
            ("send_lateness.p(99.9) < 5ms", "send_lateness_us.p99.9", .lt, 5_000),
            ("latency_us.p99 < 1ms", "latency_us.p99", .lt, 1_000),
            ("P99 < 1ms", "latency_us.p99", .lt, 1_000),
        ]
        for (expr, metric, op, limit) in cases {
            guard let t = parse(expr) else { continue }
            XCTAssertEqual(t.expr, expr, expr)
            XCTAssertEqual(t.metric, metric, expr)
            XCTAssertEqual(t.op, op, expr)
            XCTAssertEqual(t.limit, limit, expr)
            XCTAssertEqual(t.unit, "us", expr)
            XCTAssertEqual(t.scope, .run, expr)
            XCTAssertFalse(t.abortOnFail, expr)
            XCTAssertEqual(t.delayAbortEvalMicros, 0, expr)
        }
    }

    func testEveryOperator() {
        for op in Threshold.Op.allCases {
            XCTAssertEqual(parse("p99 \(op.rawValue) 1ms")?.op, op, op.rawValue)
            XCTAssertEqual(parse("rps\(op.rawValue)100")?.op, op, op.rawValue)
        }
    }

    func testRatesAsPercentOrFraction() {
        let cases: [(String, String, Double)] = [
            ("error_rate < 1%", "error_rate", 0.01),
            ("error_rate<1%", "error_rate", 0.01),
            ("error_rate <= 0.01", "error_rate", 0.01),
            ("error_rate < 0.5 %", "error_rate", 0.005),
            ("error_rate == 0", "error_rate", 0),
            ("error_rate <= 100%", "error_rate", 1),
            ("dropped_rate < 0.1%", "dropped_rate", 0.001),
            ("dropped_rate < 0.001", "dropped_rate", 0.001),
        ]
        for (expr, metric, limit) in cases {
            guard let t = parse(expr) else { continue }
            XCTAssertEqual(t.metric, metric, expr)
            XCTAssertEqual(t.limit, limit, accuracy: 1e-12, expr)
            XCTAssertEqual(t.unit, "fraction", expr)
        }
    }

    func testCountsAndThroughput() {
        let cases: [(String, String, String, Double)] = [
            ("rps >= 480", "rps", "req/s", 480),
            ("rps>=480.5", "rps", "req/s", 480.5),
            ("dropped == 0", "dropped", "count", 0),
            ("dropped < 10", "dropped", "count", 10),
            ("status_5xx == 0", "status_5xx", "count", 0),
            ("status_4xx < 5", "status_4xx", "count", 5),
            ("status_2xx > 100", "status_2xx", "count", 100),
            ("status_429 <= 3", "status_429", "count", 3),
            ("STATUS_5XX==0", "status_5xx", "count", 0),
        ]
        for (expr, metric, unit, limit) in cases {
            guard let t = parse(expr) else { continue }
            XCTAssertEqual(t.metric, metric, expr)
            XCTAssertEqual(t.unit, unit, expr)
            XCTAssertEqual(t.limit, limit, expr)
        }
    }

    func testScopes() {
        XCTAssertEqual(parse("target:api p95 < 100ms")?.scope, .target("api"))
        XCTAssertEqual(parse("target:api p95 < 100ms")?.metric, "latency_us.p95")
        XCTAssertEqual(parse("target:\"my api\" p95<100ms")?.scope, .target("my api"))
        XCTAssertEqual(parse("stage:2 rps >= 480")?.scope, .stage(2))
        XCTAssertEqual(parse("stage:2   rps>=480")?.limit, 480)
        XCTAssertEqual(parse("rps >= 480")?.scope, .run)
    }

    func testErrorsAreUsageErrorsNamingTheExpression() {
        let cases: [(String, String)] = [
            ("p98 < 1s", "unknown metric 'p98'"),
            ("latency < 1s", "unknown metric 'latency'"),
            ("foo < 1", "unknown metric 'foo'"),
            ("latency.error_rate < 1%", "unknown metric"),
            ("p99 < 250", "needs a unit"),
            ("p(99.9) < 1", "needs a unit"),
            ("p99 < 250 ms", "not a duration"),
            ("p99 < fast", "not a duration"),
            ("p99 => 1s", "unknown operator '=>'"),
            ("p99 = 1s", "unknown operator '='"),
            ("p99 != 1s", "unknown operator '!='"),
            ("p99 ≤ 1s", "unknown operator '≤'"),
            ("p99 <> 1s", "unknown operator '<>'"),
            ("p99 1s", "expected an operator"),
            ("p99", "expected an operator and a limit"),
            ("p99 <", "expected a limit"),
            ("!!!", "expected a metric"),
            ("< 1s", "expected a metric"),
            ("hello world", "unknown metric 'hello'"),
            ("", "empty expression"),
            ("   ", "empty expression"),
            ("rps >= fast", "not a number"),
            ("rps >= 1e3", "not a number"),
            ("rps >= -5", "not a number"),
            ("error_rate < abc", "not a number"),
            ("error_rate < 5", "write 5% or 0.05"),
            ("error_rate < 150%", "cannot exceed 100%"),
            ("error_rate < x%", "not a number"),
            ("dropped < 1.5", "whole number"),
            ("dropped < ten", "not a number"),
            ("status_99x == 0", "unknown metric 'status_99x'"),
            ("status_6xx == 0", "unknown metric"),
            ("status_42 == 0", "unknown metric"),
            ("status_0429 == 0", "unknown metric"),
            ("status_abc == 0", "unknown metric"),
            ("stage:0 rps > 1", "numbered from 1"),
            ("stage:two rps > 1", "stage number"),
            ("target: p99 < 1s", "target name"),
            ("target:api", "expected a metric after the scope"),
            ("zone:eu p99 < 1s", "unknown scope 'zone:'"),
            ("target:\"api p99 < 1s", "unterminated quote"),
        ]
        for (expr, fragment) in cases {
            do {
                let t = try Threshold.parse(expr)
                XCTFail("'\(expr)' parsed as \(t)")
            } catch let error as BarrageError {
                XCTAssertEqual(error.status, .usage, expr)
                XCTAssertTrue(error.message.contains("threshold '\(expr)'"), "\(expr): \(error.message)")
                XCTAssertTrue(error.message.contains(fragment), "\(expr): \(error.message)")
                XCTAssertFalse(error.message.contains("\n"), expr)
            } catch {
                XCTFail("'\(expr)' threw \(error)")
            }
        }
    }

    func testErrorMessagesStayOnOneLine() {
        XCTAssertEqual(try Threshold.parse("p99 <\n1s").limit, 1_000_000, "a newline is whitespace")
        XCTAssertThrowsError(try Threshold.parse("p99 <\n1")) { error in
            let message = (error as? BarrageError)?.message ?? ""
            XCTAssertFalse(message.contains("\n"), message)
            XCTAssertTrue(message.contains("threshold 'p99 <\\n1'"), message)
        }
    }

    func testCodableRoundTripWithScopeAsString() throws {
        var t = try Threshold.parse("target:api p(99.9) < 1s")
        t.abortOnFail = true
        t.delayAbortEvalMicros = 10_000_000
        let data = try JSONEncoder().encode(t)
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        XCTAssertEqual(json["scope"] as? String, "target:api")
        XCTAssertEqual(json["op"] as? String, "<")
        XCTAssertEqual(json["abort_on_fail"] as? Bool, true)
        XCTAssertEqual(try JSONDecoder().decode(Threshold.self, from: data), t)

        // The optional keys may be left out.
        let minimal = #"{"expr":"rps > 1","metric":"rps","op":">","limit":1,"unit":"req/s"}"#
        let decoded = try JSONDecoder().decode(Threshold.self, from: Data(minimal.utf8))
        XCTAssertEqual(decoded, try Threshold.parse("rps > 1"))
    }
}

final class ThresholdEvaluatorTests: XCTestCase {
    /// A run of `latencies` complete 200s, `statuses` complete responses (failed when ≥ 400), `failures` connection
    /// failures and `dropped` drops, over one second.
    static func result(latencies: [Int64] = [], statuses: [Int] = [], failures: Int = 0, dropped: Int = 0,
                       targets: [String] = ["default"], durationMicros: Int64 = 1_000_000) -> RunResult {
        var r = Recorder()
        for (i, l) in latencies.enumerated() {
            let done = Int64(i) * 10 + 100_000
            r.record(RequestOutcome(dueMicros: done - l, sentMicros: done - l, doneMicros: done, status: 200, error: nil, complete: true))
        }
        for s in statuses {
            r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 1_000, status: s, error: s >= 400 ? .status : nil, complete: true))
        }
        for _ in 0..<failures {
            r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 500, status: 0, error: .connect, complete: false))
        }
        for _ in 0..<dropped { r.recordDropped() }
        let plan = RunPlan(concurrency: 2, requestLimit: nil, durationMicros: durationMicros,
                           targets: targets.map { RequestTarget(name: $0, url: "http://127.0.0.1:1/\($0)") },
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        return RunResult(version: "test", plan: plan, recorder: r, timeline: [], startedEpochMillis: 0,
                         durationMicros: durationMicros, interrupted: false)
    }

    private func eval(_ expr: String, _ result: RunResult) throws -> ThresholdResult {
        ThresholdEvaluator.evaluate([try Threshold.parse(expr)], on: result)[0]
    }

    func testLatencyBoundaryEquality() throws {
        // 1 000 samples of exactly 250 ms: every percentile is 250 ms to HdrHistogram's precision; max is exact.
        let r = Self.result(latencies: Array(repeating: 250_000, count: 1_000))
        XCTAssertEqual(r.latency_us.max, 250_000)
        XCTAssertTrue(try eval("max <= 250ms", r).ok)
        XCTAssertFalse(try eval("max < 250ms", r).ok)
        XCTAssertTrue(try eval("max >= 250ms", r).ok)
        XCTAssertFalse(try eval("max > 250ms", r).ok)
        XCTAssertTrue(try eval("max == 250ms", r).ok)
        XCTAssertEqual(try eval("max <= 250ms", r).actual, 250_000)
        XCTAssertEqual(ThresholdEvaluator.actual(try Threshold.parse("max < 1s"), in: r), 250_000)
    }

    func testPercentilesReadTheSummary() throws {
        let r = Self.result(latencies: (1...1_000).map { Int64($0) * 100 })
        for (expr, value) in [("p50 < 1s", r.latency_us.p50), ("p90 < 1s", r.latency_us.p90), ("p99 < 1s", r.latency_us.p99),
                              ("p(99.9) < 1s", r.latency_us.p99_9), ("p99.99 < 1s", r.latency_us.p99_99),
                              ("p75 < 1s", r.latency_us.p75), ("p95 < 1s", r.latency_us.p95), ("mean < 1s", r.latency_us.mean),
                              ("service_time.p99 < 1s", r.service_time_us.p99)] {
            XCTAssertEqual(try eval(expr, r).actual, Double(value), expr)
        }
        XCTAssertTrue(try eval("p99 < 100.1ms", r).ok)
        XCTAssertFalse(try eval("p99 < 50ms", r).ok)
    }

    func testErrorRate() throws {
        let r = Self.result(latencies: Array(repeating: 1_000, count: 97), statuses: [503, 503], failures: 1, dropped: 5)
        // failed / (ok + failed): 3 / 100; drops are not in the denominator.
        XCTAssertEqual(try eval("error_rate < 1%", r).actual ?? -1, 0.03, accuracy: 1e-12)
        XCTAssertFalse(try eval("error_rate < 1%", r).ok)
        XCTAssertTrue(try eval("error_rate <= 3%", r).ok)
        XCTAssertTrue(try eval("error_rate <= 0.03", r).ok)
        XCTAssertEqual(try eval("dropped_rate < 1%", r).actual ?? -1, 5.0 / 105, accuracy: 1e-12)
        XCTAssertEqual(try eval("dropped == 5", r).actual, 5)
        XCTAssertTrue(try eval("dropped == 5", r).ok)
    }

    func testRatesWithZeroRequestsAreZero() throws {
        let r = Self.result()
        XCTAssertEqual(try eval("error_rate < 1%", r).actual, 0)
        XCTAssertTrue(try eval("error_rate < 1%", r).ok)
        XCTAssertEqual(try eval("dropped_rate == 0", r).actual, 0)
        XCTAssertEqual(try eval("rps >= 0", r).actual, 0)
    }

    func testLatencyWithNoCompleteResponsesFailsUnmeasured() throws {
        let r = Self.result(failures: 3)
        let t = try eval("p99 < 250ms", r)
        XCTAssertNil(t.actual)
        XCTAssertFalse(t.ok)
        XCTAssertNotNil(t.note)
        XCTAssertTrue(t.line().hasPrefix("✗ p99 < 250ms"), t.line())
    }

    func testStatusClassSums() throws {
        let r = Self.result(statuses: [500, 502, 503, 503, 404, 429, 429, 429, 201, 302])
        XCTAssertEqual(try eval("status_5xx == 0", r).actual, 4)
        XCTAssertEqual(try eval("status_4xx == 0", r).actual, 4)
        XCTAssertEqual(try eval("status_2xx == 0", r).actual, 1)
        XCTAssertEqual(try eval("status_3xx == 0", r).actual, 1)
        XCTAssertEqual(try eval("status_429 <= 3", r).actual, 3)
        XCTAssertTrue(try eval("status_429 <= 3", r).ok)
        XCTAssertEqual(try eval("status_418 == 0", r).actual, 0)
        XCTAssertTrue(try eval("status_418 == 0", r).ok)
        XCTAssertFalse(try eval("status_5xx == 0", r).ok)
    }

    func testThroughput() throws {
        // 20 answered requests over two seconds.
        let r = Self.result(latencies: Array(repeating: 1_000, count: 20), durationMicros: 2_000_000)
        XCTAssertEqual(try eval("rps >= 10", r).actual, 10)
        XCTAssertTrue(try eval("rps >= 10", r).ok)
        XCTAssertFalse(try eval("rps > 10", r).ok)
    }

    func testSendLateness() throws {
        var r = Self.result(latencies: [1_000])
        XCTAssertEqual(try eval("send_lateness.p99 < 1ms", r).actual, 0)
        XCTAssertTrue(try eval("send_lateness.p99 < 1ms", r).ok)

        // An empty summary is 0 µs in the closed model only.
        r.send_lateness_us = .empty
        XCTAssertEqual(try eval("send_lateness.max < 1ms", r).actual, 0)
        r.plan.model = "open"
        let t = try eval("send_lateness.max < 1ms", r)
        XCTAssertNil(t.actual)
        XCTAssertFalse(t.ok)

        // Recorded lateness is read from the summary.
        var late = Recorder()
        for i in 0..<100 {
            late.record(RequestOutcome(dueMicros: 0, sentMicros: Int64(i) * 100, doneMicros: Int64(i) * 100 + 1_000,
                                       status: 200, error: nil, complete: true))
        }
        r.send_lateness_us = HistogramSummary(late.sendLateness)
        XCTAssertEqual(try eval("send_lateness.max < 1ms", r).actual, Double(r.send_lateness_us.max))
        XCTAssertEqual(try eval("send_lateness.p(99) < 1ms", r).actual, Double(r.send_lateness_us.p99))
        XCTAssertFalse(try eval("send_lateness.max < 5ms", r).actual == 0)
    }

    func testScopeValidationAgainstThePlan() throws {
        let plan = Self.result(targets: ["api", "web"]).plan
        XCTAssertNoThrow(try Threshold.parse("target:api p95 < 100ms").validate(against: plan))
        XCTAssertNoThrow(try Threshold.parse("stage:1 rps > 1").validate(against: plan))
        XCTAssertNoThrow(try Threshold.parse("p99 < 1s").validate(against: plan))
        for expr in ["target:nope p95 < 100ms", "stage:2 rps >= 480"] {
            XCTAssertThrowsError(try Threshold.parse(expr).validate(against: plan), expr) { error in
                let e = error as? BarrageError
                XCTAssertEqual(e?.status, .usage)
                XCTAssertTrue(e?.message.contains("threshold '\(expr)'") == true, e?.message ?? "")
                XCTAssertTrue(e?.message.contains("scope matches nothing") == true, e?.message ?? "")
            }
        }
    }

    func testAScopeOfTheWholeRunIsTheWholeRun() throws {
        let r = Self.result(latencies: Array(repeating: 2_000, count: 10), targets: ["api"])
        XCTAssertEqual(try eval("target:api max < 10ms", r).actual, 2_000)
        XCTAssertTrue(try eval("target:api max < 10ms", r).ok)
        XCTAssertEqual(try eval("stage:1 max < 10ms", r).actual, 2_000)
        XCTAssertEqual(try eval("stage:1 max < 10ms", r).scope, .stage(1))
    }

    func testSeveralTargetsOrStagesFailWithoutPerScopeData() throws {
        let two = Self.result(latencies: [1_000], targets: ["api", "web"])
        let t = try eval("target:api p99 < 1s", two)
        XCTAssertNil(t.actual)
        XCTAssertFalse(t.ok)
        XCTAssertTrue(t.note?.contains("no per-target data") == true, t.note ?? "")
        XCTAssertTrue(try eval("p99 < 1s", two).ok, "the whole run is still measured")

        var staged = Self.result(latencies: [1_000])
        staged.plan.stages.append(staged.plan.stages[0])
        let s = try eval("stage:2 rps >= 0", staged)
        XCTAssertNil(s.actual)
        XCTAssertFalse(s.ok)
        XCTAssertTrue(s.note?.contains("no per-stage data") == true, s.note ?? "")
        // A scope that matches nothing also fails at evaluation, whether or not it was validated.
        XCTAssertFalse(try eval("stage:3 rps >= 0", staged).ok)
        XCTAssertFalse(try eval("target:nope rps >= 0", staged).ok)
    }

    func testResultJSONKeysAreTheContract() throws {
        let r = Self.result(latencies: [12_300])
        let results = ThresholdEvaluator.evaluate([try Threshold.parse("target:default p99 < 250ms")], on: r)
        let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(results)) as! [[String: Any]]
        XCTAssertEqual(Set(json[0].keys), ["expr", "metric", "scope", "op", "limit", "actual", "unit", "ok"])
        XCTAssertEqual(json[0]["scope"] as? String, "target:default")
        XCTAssertEqual(json[0]["metric"] as? String, "latency_us.p99")
        XCTAssertEqual(json[0]["op"] as? String, "<")
        XCTAssertEqual(json[0]["unit"] as? String, "us")
        XCTAssertEqual(json[0]["limit"] as? Double, 250_000)
        XCTAssertEqual(json[0]["ok"] as? Bool, true)

        let unmeasured = Self.result(failures: 1)
        let missing = ThresholdEvaluator.evaluate([try Threshold.parse("p99 < 1ms")], on: unmeasured)
        let missingJSON = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(missing)) as! [[String: Any]]
        XCTAssertTrue(missingJSON[0]["actual"] is NSNull, "an unmeasured value is an explicit null")
        var decoded = try JSONDecoder().decode([ThresholdResult].self, from: try JSONEncoder().encode(missing))
        XCTAssertNil(decoded[0].actual)
        decoded[0].note = missing[0].note
        XCTAssertEqual(decoded, missing)
    }

    func testSummaryLines() throws {
        let r = Self.result(latencies: Array(repeating: 12_300, count: 10), statuses: [503])
        let results = ThresholdEvaluator.evaluate([try Threshold.parse("p99 < 250ms"), try Threshold.parse("error_rate<=1%"),
                                                   try Threshold.parse("rps >= 5"), try Threshold.parse("status_5xx == 0")], on: r)
        XCTAssertEqual(results[0].line(), "✓ p99 < 250ms   (p99 = 12.3ms)")
        XCTAssertEqual(results[1].line(), "✗ error_rate<=1%   (error_rate = 9.091%)")
        XCTAssertEqual(results[2].line(), "✓ rps >= 5   (rps = 11 req/s)")
        XCTAssertEqual(results[3].line(), "✗ status_5xx == 0   (status_5xx = 1)")
        let block = ThresholdEvaluator.summary(results).split(separator: "\n")
        XCTAssertEqual(block.count, 4)
        XCTAssertEqual(block[0], "✓ p99 < 250ms       (p99 = 12.3ms)")
        XCTAssertFalse(ThresholdEvaluator.allPassed(results))
        XCTAssertEqual(results[1].limitText, "<= 1%")
        XCTAssertEqual(results[0].limitText, "< 250ms")
        for (expr, limit) in [("p(99.9) < 1s", "< 1s"), ("p99 <= 1.5s", "<= 1.5s"), ("p99 < 12.5ms", "< 12.5ms"),
                              ("max < 10s", "< 10s"), ("p99 < 500us", "< 500µs"), ("dropped_rate < 0.1%", "< 0.1%"),
                              ("rps >= 480", ">= 480 req/s"), ("dropped < 1200", "< 1,200")] {
            let t = ThresholdEvaluator.evaluate([try Threshold.parse(expr)], on: r)[0]
            XCTAssertEqual(t.limitText, limit, expr)
        }
    }
}
