import XCTest
@testable import BarrageCore

/// Thresholds on a flow's results: the iteration metrics, the `scenario:` and `step:` scopes, their validation against
/// the plan, and their encoding. Results are built by hand (no network).
final class FlowThresholdTests: XCTestCase {
    /// A flow result of scenario `checkout` with request steps `steps` (each its target section, as the engine makes
    /// them), and iterations recorded from `completed` and `failed` durations (µs, with `thinkMicros` of think each),
    /// `interrupted` and `dropped` ones, over `durationMicros`.
    static func flowResult(steps: [String] = ["login", "item", "pay"], completed: [Int64] = [], failed: [Int64] = [],
                           interrupted: Int = 0, dropped: Int = 0, thinkMicros: Int64 = 0,
                           durationMicros: Int64 = 2_000_000) -> RunResult {
        var r = ThresholdEvaluatorTests.result(latencies: Array(repeating: 10_000, count: 4), targets: steps,
                                               durationMicros: durationMicros)
        r.plan.scenario = "checkout"
        var rec = IterationRecorder()
        for d in completed { rec.record(.completed, durationMicros: d, thinkMicros: thinkMicros) }
        for d in failed { rec.record(.failed, durationMicros: d, thinkMicros: thinkMicros) }
        for _ in 0..<interrupted { rec.record(.interrupted, durationMicros: 0, thinkMicros: 0) }
        for _ in 0..<dropped { rec.recordDropped() }
        r.iterations = RunResult.Iterations(scenario: "checkout", rec, durationMicros: durationMicros)
        return r
    }

    /// A per-step section with `latencyMicros` for each of `ok` requests and `failed` failures.
    static func section(ok: Int, failed: Int = 0, latencyMicros: Int64) -> RunResult.Section {
        var rec = Recorder()
        for i in 0..<ok {
            let done = Int64(i) + 100_000
            rec.record(RequestOutcome(dueMicros: done - latencyMicros, sentMicros: done - latencyMicros, doneMicros: done,
                                      status: 200, error: nil, complete: true))
        }
        for _ in 0..<failed {
            rec.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 10, status: 0, error: .capture, complete: false))
        }
        return RunResult.Section(rec, durationMicros: 1_000_000)
    }

    private func parse(_ expr: String) throws -> Threshold { try Threshold.parse(expr) }

    private func eval(_ expr: String, _ r: RunResult) throws -> ThresholdResult {
        ThresholdEvaluator.evaluate([try parse(expr)], on: r)[0]
    }

    // MARK: Parsing

    func testIterationMetricsParseWithTheirUnits() throws {
        let cases: [(String, String, String, Double)] = [
            ("iteration_duration.p95 < 2s", "iteration_duration_us.p95", "us", 2_000_000),
            ("iteration_duration.p(99.9) < 2s", "iteration_duration_us.p99.9", "us", 2_000_000),
            ("iteration_duration.max <= 1m", "iteration_duration_us.max", "us", 60_000_000),
            ("iteration_duration_us.mean < 5ms", "iteration_duration_us.mean", "us", 5_000),
            ("iteration_duration_without_think.p50 < 300ms", "iteration_duration_without_think_us.p50", "us", 300_000),
            ("iteration_duration_without_think.min > 0ms", "iteration_duration_without_think_us.min", "us", 0),
            ("iterations >= 100", "iterations", "count", 100),
            ("iteration_rate >= 12.5", "iteration_rate", "iter/s", 12.5),
            ("iteration_error_rate < 1%", "iteration_error_rate", "fraction", 0.01),
            ("iteration_error_rate <= 0.05", "iteration_error_rate", "fraction", 0.05),
            ("dropped_iterations == 0", "dropped_iterations", "count", 0),
            ("interrupted_iterations < 3", "interrupted_iterations", "count", 3),
        ]
        for (expr, metric, unit, limit) in cases {
            let t = try parse(expr)
            XCTAssertEqual(t.metric, metric, expr)
            XCTAssertEqual(t.unit, unit, expr)
            XCTAssertEqual(t.limit, limit, expr)
            XCTAssertEqual(t.scope, .run, expr)
            XCTAssertTrue(t.isIterationMetric, expr)
        }
        XCTAssertFalse(try parse("p99 < 1s").isIterationMetric)
        XCTAssertFalse(try parse("dropped == 0").isIterationMetric)
    }

    func testScenarioAndStepScopesParse() throws {
        let cases: [(String, Threshold.Scope, String)] = [
            ("scenario:checkout iteration_duration.p95 < 2s", .scenario("checkout"), "iteration_duration_us.p95"),
            ("scenario:browse error_rate < 1%", .scenario("browse"), "error_rate"),
            ("scenario:\"my flow\" iterations > 0", .scenario("my flow"), "iterations"),
            ("step:checkout/login p99 < 300ms", .step(scenario: "checkout", step: "login"), "latency_us.p99"),
            ("step:checkout/login   p99<300ms", .step(scenario: "checkout", step: "login"), "latency_us.p99"),
            ("step:\"check out/log in\" rps > 1", .step(scenario: "check out", step: "log in"), "rps"),
            ("step:a/b/c error_rate < 1%", .step(scenario: "a", step: "b/c"), "error_rate"),
            ("target:login p99 < 300ms", .target("login"), "latency_us.p99"),
        ]
        for (expr, scope, metric) in cases {
            let t = try parse(expr)
            XCTAssertEqual(t.scope, scope, expr)
            XCTAssertEqual(t.metric, metric, expr)
        }
    }

    func testParseErrorsNameTheExpression() {
        let cases: [(String, String)] = [
            ("iteration_duration.p98 < 1s", "unknown metric 'iteration_duration.p98'"),
            ("iteration_duration < 1s", "unknown metric 'iteration_duration'"),
            ("iteration_duration.p95 < 2", "needs a unit"),
            ("iteration_rate >= fast", "not a number of iterations per second"),
            ("iteration_error_rate < 5", "write 5% or 0.05"),
            ("iterations >= 1.5", "whole number of iterations"),
            ("step:login p99 < 1s", "step: needs SCENARIO/STEP"),
            ("step:checkout/ p99 < 1s", "step: needs SCENARIO/STEP"),
            ("step:/login p99 < 1s", "step: needs SCENARIO/STEP"),
            ("step: p99 < 1s", "step: needs a step name"),
            ("scenario: p99 < 1s", "scenario: needs a scenario name"),
            ("scenario:checkout", "expected a metric after the scope"),
            ("scenario:\"checkout p99 < 1s", "unterminated quote in the scenario name"),
            ("step:checkout/login iteration_duration.p95 < 2s", "measured per run or per scenario"),
            ("target:login iterations > 1", "measured per run or per scenario"),
            ("stage:1 iteration_rate > 1", "measured per run or per scenario"),
            ("flow:checkout p99 < 1s", "use target:NAME, stage:N, scenario:NAME or step:SCENARIO/STEP"),
        ]
        for (expr, fragment) in cases {
            XCTAssertThrowsError(try parse(expr), expr) { error in
                let e = error as? BarrageError
                XCTAssertEqual(e?.status, .usage, expr)
                XCTAssertTrue(e?.message.contains("threshold '\(expr)'") == true, "\(expr): \(e?.message ?? "")")
                XCTAssertTrue(e?.message.contains(fragment) == true, "\(expr): \(e?.message ?? "")")
                XCTAssertFalse(e?.message.contains("\n") == true, expr)
            }
        }
    }

    // MARK: Validation against the plan

    func testValidationAgainstAFlowPlan() throws {
        let plan = Self.flowResult().plan
        for expr in ["scenario:checkout iteration_duration.p95 < 2s", "step:checkout/login p99 < 300ms", "target:pay p99 < 1s",
                     "iterations > 0", "scenario:checkout error_rate < 1%", "interrupted_iterations == 0"] {
            XCTAssertNoThrow(try parse(expr).validate(against: plan), expr)
        }
        let refused: [(String, String)] = [
            ("scenario:browse p99 < 1s", "scope matches nothing: no scenario named 'browse' (scenarios: checkout)"),
            ("step:checkout/logn p99 < 1s",
             "scope matches nothing: no step 'checkout/logn' (steps: checkout/login, checkout/item, checkout/pay)"),
            ("step:browse/login p99 < 1s",
             "scope matches nothing: no step 'browse/login' (steps: checkout/login, checkout/item, checkout/pay)"),
        ]
        for (expr, message) in refused {
            XCTAssertThrowsError(try parse(expr).validate(against: plan), expr) { error in
                let e = error as? BarrageError
                XCTAssertEqual(e?.status, .usage, expr)
                XCTAssertEqual(e?.message, "threshold '\(expr)': \(message)")
            }
        }
    }

    func testValidationAgainstAPlanWithoutAScenario() throws {
        let plan = ThresholdEvaluatorTests.result(targets: ["api", "web"]).plan
        let refused: [(String, String)] = [
            ("iteration_duration.p95 < 2s", "iteration metrics need a scenario (a profile with scenarios:)"),
            ("iterations > 0", "iteration metrics need a scenario (a profile with scenarios:)"),
            ("scenario:checkout p99 < 1s", "scope matches nothing: no scenario named 'checkout' (the plan has no scenarios)"),
            ("step:checkout/api p99 < 1s", "scope matches nothing: no step 'checkout/api' (the plan has no scenarios)"),
        ]
        for (expr, message) in refused {
            XCTAssertThrowsError(try parse(expr).validate(against: plan), expr) { error in
                XCTAssertEqual((error as? BarrageError)?.message, "threshold '\(expr)': \(message)")
            }
        }
        XCTAssertNoThrow(try parse("target:api p99 < 1s").validate(against: plan), "target plans are checked as before")
    }

    // MARK: Evaluation

    func testIterationMetricsReadTheIterationsSection() throws {
        // 8 completed and 2 failed iterations over 2 s, 3 interrupted, 1 dropped; 50 ms of think time in each.
        let completed = (1...8).map { Int64($0) * 100_000 }
        let r = Self.flowResult(completed: completed, failed: [900_000, 1_000_000], interrupted: 3, dropped: 1,
                                thinkMicros: 50_000)
        let it = try XCTUnwrap(r.iterations)
        XCTAssertEqual(it.total, 14)
        let table: [(String, Double)] = [
            ("iterations >= 10", 10),
            ("iteration_rate >= 5", 5),
            ("iteration_error_rate <= 20%", 0.2),
            ("dropped_iterations == 1", 1),
            ("interrupted_iterations == 3", 3),
            ("iteration_duration.p50 < 1s", Double(it.duration_us.p50)),
            ("iteration_duration.p90 < 1s", Double(it.duration_us.p90)),
            ("iteration_duration.p99.99 < 2s", Double(it.duration_us.p99_99)),
            ("iteration_duration.max < 2s", Double(it.duration_us.max)),
            ("iteration_duration.min < 1s", Double(it.duration_us.min)),
            ("iteration_duration.mean < 1s", Double(it.duration_us.mean)),
            ("iteration_duration_without_think.p50 < 1s", Double(it.duration_without_think_us.p50)),
            ("iteration_duration_without_think.max < 1s", Double(it.duration_without_think_us.max)),
            ("scenario:checkout iteration_duration.p95 < 2s", Double(it.duration_us.p95)),
            ("scenario:checkout iterations == 10", 10),
        ]
        for (expr, value) in table {
            let t = try eval(expr, r)
            XCTAssertEqual(t.actual, value, expr)
            XCTAssertTrue(t.ok, "\(expr): \(t.line())")
        }
        XCTAssertEqual(it.duration_us.max - it.duration_without_think_us.max, 50_000, accuracy: 1_000)
        XCTAssertEqual(try eval("iteration_duration.max < 1s", r).actual ?? 0, 1_000_000, accuracy: 1_000)
        XCTAssertFalse(try eval("iteration_error_rate < 20%", r).ok, "2 of 10 is exactly 20 %")
    }

    func testIterationErrorRateIsZeroWhenNoneFinished() throws {
        let r = Self.flowResult(interrupted: 2, dropped: 3)
        XCTAssertEqual(try eval("iteration_error_rate == 0", r).actual, 0)
        XCTAssertEqual(try eval("iterations == 0", r).actual, 0)
        XCTAssertEqual(try eval("iteration_rate == 0", r).actual, 0)
        let d = try eval("iteration_duration.p99 < 1s", r)
        XCTAssertNil(d.actual, "no finished iteration: a duration gate is unmeasured, never passed on zeros")
        XCTAssertFalse(d.ok)
        XCTAssertEqual(d.note, "no finished iterations, so no iteration_duration_us")
    }

    func testIterationMetricsWithoutIterationsAreUnmeasured() throws {
        let plain = ThresholdEvaluatorTests.result(latencies: [1_000])
        let t = try eval("iterations > 0", plain)
        XCTAssertNil(t.actual)
        XCTAssertFalse(t.ok)
        XCTAssertEqual(t.note, "no iterations in this result (iteration metrics need a scenario)")
        // A scope built by hand that has no iterations (the parser refuses it).
        let onStep = Threshold(expr: "x", metric: "iterations", scope: .step(scenario: "checkout", step: "login"), op: .gt,
                               limit: 0, unit: "count")
        XCTAssertNil(ThresholdEvaluator.evaluate(onStep, on: Self.flowResult(completed: [1])).actual)
    }

    func testAStepIsItsTargetSection() throws {
        var r = Self.flowResult(completed: [100_000])
        r.targets = ["login": Self.section(ok: 9, failed: 1, latencyMicros: 250_000),
                     "item": Self.section(ok: 10, latencyMicros: 20_000),
                     "pay": Self.section(ok: 5, latencyMicros: 40_000)]
        let login = try eval("step:checkout/login p99 < 300ms", r)
        XCTAssertEqual(login.actual ?? 0, 250_000, accuracy: 250)
        XCTAssertTrue(login.ok)
        XCTAssertEqual(login.scope, .step(scenario: "checkout", step: "login"))
        XCTAssertEqual(try eval("step:checkout/login error_rate < 1%", r).actual, 0.1)
        XCTAssertEqual(try eval("step:checkout/item p99 < 300ms", r).actual ?? 0, 20_000, accuracy: 20)
        XCTAssertEqual(try eval("target:item p99 < 300ms", r).actual, try eval("step:checkout/item p99 < 300ms", r).actual,
                       "target:STEP keeps working")
        XCTAssertEqual(try eval("step:checkout/pay rps > 1", r).actual, 5)
        let lateness = try eval("step:checkout/pay send_lateness.p99 < 1ms", r)
        XCTAssertNil(lateness.actual, "send lateness is whole-run only, as for targets")
        // A scenario's request metrics are the run's (one scenario per run).
        XCTAssertEqual(try eval("scenario:checkout p99 < 1s", r).actual, try eval("p99 < 1s", r).actual)
        XCTAssertEqual(try eval("scenario:checkout error_rate < 1%", r).actual, r.requests.errorRate)
        XCTAssertEqual(try eval("scenario:checkout send_lateness.max < 1s", r).actual, 0, "closed model: lateness 0")
    }

    func testAFlowWithOneRequestStepHasNoTargetsSectionAndTheStepIsTheRun() throws {
        let r = Self.flowResult(steps: ["only"], completed: [100_000])
        XCTAssertTrue(r.targets.isEmpty)
        XCTAssertEqual(try eval("step:checkout/only p99 < 1s", r).actual, Double(r.latency_us.p99))
    }

    func testScopesThatMatchNothingFailAtEvaluation() throws {
        let r = Self.flowResult(completed: [100_000])
        let cases: [(String, String)] = [
            ("scenario:browse p99 < 1s", "scope matches nothing: no scenario named 'browse'"),
            ("scenario:browse iterations > 0", "scope matches nothing: no scenario named 'browse'"),
            ("step:checkout/nope p99 < 1s", "scope matches nothing: no step 'checkout/nope'"),
            ("step:browse/login p99 < 1s", "scope matches nothing: no step 'browse/login'"),
        ]
        for (expr, note) in cases {
            let t = try eval(expr, r)
            XCTAssertNil(t.actual, expr)
            XCTAssertFalse(t.ok, expr)
            XCTAssertEqual(t.note, note, expr)
        }
        var several = Self.flowResult(completed: [100_000])
        several.targets = [:]
        XCTAssertTrue(try eval("step:checkout/login p99 < 1s", several).note?.contains("no per-target data") == true)
    }

    // MARK: Encoding and display

    func testScopesEncodeAsStringsAndOldResultsStillLoad() throws {
        let r = Self.flowResult(completed: [100_000, 200_000])
        let results = ThresholdEvaluator.evaluate([try parse("scenario:checkout iteration_duration.p95 < 2s"),
                                                   try parse("step:checkout/login p99 < 300ms"),
                                                   try parse("iteration_rate >= 0.5")], on: r)
        let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(results)) as! [[String: Any]]
        XCTAssertEqual(json.map { $0["scope"] as? String }, ["scenario:checkout", "step:checkout/login", "run"])
        XCTAssertEqual(json.map { $0["metric"] as? String }, ["iteration_duration_us.p95", "latency_us.p99", "iteration_rate"])
        XCTAssertEqual(json.map { $0["unit"] as? String }, ["us", "us", "iter/s"])
        var decoded = try JSONDecoder().decode([ThresholdResult].self, from: try JSONEncoder().encode(results))
        for i in decoded.indices { decoded[i].note = results[i].note }
        XCTAssertEqual(decoded, results)
        for text in ["run", "target:api", "stage:2", "scenario:checkout", "step:checkout/login", "step:a/b/c"] {
            XCTAssertEqual(Threshold.Scope(encoded: text)?.description, text)
        }
        for text in ["step:login", "step:/x", "step:x/", "scenario:", "stage:0"] {
            XCTAssertNil(Threshold.Scope(encoded: text), text)
        }
        // A result written before these scopes existed.
        let old = #"[{"expr":"target:api p99<1s","metric":"latency_us.p99","scope":"target:api","op":"<","limit":1000000,"actual":null,"unit":"us","ok":false}]"#
        XCTAssertEqual(try JSONDecoder().decode([ThresholdResult].self, from: Data(old.utf8))[0].scope, .target("api"))
    }

    func testSummaryLinesNameTheMetricsAsWritten() throws {
        let r = Self.flowResult(completed: Array(repeating: 1_200_000, count: 4), failed: [800_000], dropped: 2)
        let results = ThresholdEvaluator.evaluate([
            try parse("scenario:checkout iteration_duration.p95 < 2s"), try parse("iteration_rate >= 5"),
            try parse("iteration_error_rate < 10%"), try parse("dropped_iterations == 0"),
            try parse("iteration_duration_without_think.max < 1s"),
        ], on: r)
        XCTAssertEqual(results[0].line(), "✓ scenario:checkout iteration_duration.p95 < 2s   (iteration_duration.p95 = 1.20s)")
        XCTAssertEqual(results[1].line(), "✗ iteration_rate >= 5   (iteration_rate = 2.5 iter/s)")
        XCTAssertEqual(results[2].line(), "✗ iteration_error_rate < 10%   (iteration_error_rate = 20%)")
        XCTAssertEqual(results[3].line(), "✗ dropped_iterations == 0   (dropped_iterations = 2)")
        XCTAssertEqual(results[4].metricLabel, "iteration_duration_without_think.max")
        XCTAssertEqual(results[1].limitText, ">= 5 iter/s")
    }
}
