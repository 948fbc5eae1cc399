import XCTest
@testable import BarrageCore

/// Thresholds on a WebSocket run's messages: parsing with their units, the run-only scope, the refusal on a plan that
/// is not a WebSocket run, and their values read from a hand-made `messages` section (no network).
final class MessageThresholdTests: XCTestCase {
    /// Messages answered after `latencies` (µs from the due time; each sent `lateMicros` after it was due), failed
    /// with `failed`, `dropped`, and close frames with `closeCodes`.
    static func recorder(latencies: [Int64] = [], lateMicros: Int64 = 100, failed: [MessageError] = [], dropped: Int = 0,
                         closeCodes: [Int] = []) -> MessageRecorder {
        var rec = MessageRecorder()
        for (i, l) in latencies.enumerated() {
            let due = Int64(i) * 1_000
            rec.recordSent(bytes: 7)
            rec.recordAnswered(dueMicros: due, sentMicros: due + Swift.min(lateMicros, l), doneMicros: due + l)
            rec.recordReceived(bytes: 7)
        }
        for e in failed {
            rec.recordSent(bytes: 7)
            rec.recordFailed(e)
        }
        if dropped > 0 { rec.recordDropped(dropped) }
        for c in closeCodes { rec.recordClose(code: c) }
        return rec
    }

    /// A WebSocket run's result over `durationMicros`: two handshakes as its requests, a `websocket` plan record, and
    /// the messages of `messages`.
    static func wsResult(_ messages: MessageRecorder, durationMicros: Int64 = 2_000_000, startMillis: Int64 = 1_764_000_000_000,
                         runID: String = "ws") -> RunResult {
        var r = ThresholdEvaluatorTests.result(latencies: [2_000, 3_000], durationMicros: durationMicros)
        r.plan.websocket = WebSocketPlan().record(messageLimit: nil, answerTimeoutMicros: 1_000_000)
        r.plan.requests = nil
        r.messages = RunResult.Messages(messages, durationMicros: durationMicros, answer: "echo")
        r.started_epoch_ms = startMillis
        r.started_at = RunResult.rfc3339(epochMillis: startMillis)
        r.run_id = runID
        return r
    }

    private func parse(_ expr: String) throws -> Threshold { try Threshold.parse(expr) }

    private func eval(_ expr: String, _ r: RunResult) throws -> ThresholdResult {
        ThresholdEvaluator.evaluate([try parse(expr)], on: r)[0]
    }

    private func usageMessage(_ body: () throws -> Void) -> String? {
        do { try body() } catch let e as BarrageError { return e.message } catch { return "\(error)" }
        return nil
    }

    // MARK: Parsing

    func testMessageMetricsParseWithTheirUnits() throws {
        let cases: [(String, String, String, Double)] = [
            ("message_latency.p95 < 20ms", "message_latency_us.p95", "us", 20_000),
            ("message_latency.p(99.9) < 1s", "message_latency_us.p99.9", "us", 1_000_000),
            ("message_latency_us.max <= 2s", "message_latency_us.max", "us", 2_000_000),
            ("message_service_time.p50 < 5ms", "message_service_time_us.p50", "us", 5_000),
            ("message_service_time_us.mean < 5ms", "message_service_time_us.mean", "us", 5_000),
            ("messages >= 400", "messages", "count", 400),
            ("message_rate >= 99.5", "message_rate", "msg/s", 99.5),
            ("message_error_rate < 1%", "message_error_rate", "fraction", 0.01),
            ("message_error_rate <= 0.05", "message_error_rate", "fraction", 0.05),
            ("dropped_messages == 0", "dropped_messages", "count", 0),
            ("answered_messages >= 10", "answered_messages", "count", 10),
            ("failed_messages < 3", "failed_messages", "count", 3),
        ]
        for (expr, metric, unit, limit) in cases {
            let t = try parse(expr)
            XCTAssertEqual(t.metric, metric, expr)
            XCTAssertEqual(t.unit, unit, expr)
            XCTAssertEqual(t.limit, limit, expr)
            XCTAssertEqual(t.scope, .run, expr)
            XCTAssertTrue(t.isMessageMetric, expr)
            XCTAssertFalse(t.isIterationMetric, expr)
        }
        for expr in ["p99 < 1s", "latency.p99 < 1s", "error_rate < 1%", "dropped == 0", "iterations > 0", "rps > 1"] {
            XCTAssertFalse(try parse(expr).isMessageMetric, expr)
        }
    }

    func testMessageMetricsRefuseOtherScopesAndBadLimits() {
        let cases: [(String, String)] = [
            ("target:api message_latency.p99 < 1s",
             "threshold 'target:api message_latency.p99 < 1s': message_latency.p99 is measured per run only (a WebSocket run's messages), not on the scope target:api"),
            ("stage:1 messages > 0",
             "threshold 'stage:1 messages > 0': messages is measured per run only (a WebSocket run's messages), not on the scope stage:1"),
            ("message_latency.p99 < 250", "threshold 'message_latency.p99 < 250': a latency limit needs a unit, e.g. 250ms"),
            ("messages > 1.5", "threshold 'messages > 1.5': limit '1.5' is not a whole number of messages"),
            ("message_rate > fast", "threshold 'message_rate > fast': limit 'fast' is not a number of messages per second"),
            ("message_error_rate < 150%", "threshold 'message_error_rate < 150%': a rate cannot exceed 100%"),
        ]
        for (expr, message) in cases {
            XCTAssertEqual(usageMessage { _ = try parse(expr) }, message, expr)
        }
    }

    // MARK: Validation against the plan

    func testMessageMetricsNeedAWebSocketPlan() throws {
        let http = ThresholdEvaluatorTests.result().plan
        XCTAssertEqual(usageMessage { try parse("message_latency.p99 < 1s").validate(against: http) },
                       "threshold 'message_latency.p99 < 1s': message metrics need a WebSocket run (barrage run ws://… or wss://…); this plan sends HTTP requests")
        XCTAssertNil(usageMessage { try parse("p99 < 1s").validate(against: http) }, "request metrics are checked as before")
        let ws = Self.wsResult(Self.recorder(latencies: [1_000])).plan
        for expr in ["message_latency.p99 < 1s", "messages > 0", "message_rate > 1", "message_error_rate < 1%",
                     "dropped_messages == 0", "failed_messages == 0", "p99 < 1s", "error_rate < 1%"] {
            XCTAssertNil(usageMessage { try parse(expr).validate(against: ws) }, expr)
        }
    }

    // MARK: Values

    func testCountsAndRatesReadTheMessagesSection() throws {
        let rec = Self.recorder(latencies: [10_000, 20_000, 30_000], failed: [.answer_timeout, .closed_by_peer], dropped: 5,
                                closeCodes: [1001])
        let r = Self.wsResult(rec, durationMicros: 2_000_000)
        XCTAssertEqual(try eval("messages == 5", r).actual, 5, "answered + failed; dropped ones were never sent")
        XCTAssertEqual(try eval("failed_messages == 2", r).actual, 2)
        XCTAssertEqual(try eval("dropped_messages == 5", r).actual, 5)
        XCTAssertEqual(try eval("message_rate >= 2.5", r).actual, 2.5, "5 ended over 2 s")
        XCTAssertTrue(try eval("message_rate >= 2.5", r).ok)
        XCTAssertEqual(try eval("message_error_rate < 50%", r).actual ?? -1, 0.4, accuracy: 1e-12)
        XCTAssertTrue(try eval("message_error_rate < 50%", r).ok)
        XCTAssertFalse(try eval("message_error_rate < 40%", r).ok)
        XCTAssertFalse(try eval("dropped_messages == 0", r).ok)
        // The handshakes are the run's requests, judged apart from the messages.
        XCTAssertEqual(try eval("error_rate == 0", r).actual, 0)
        XCTAssertEqual(ThresholdEvaluator.actual(try parse("dropped == 0"), in: r), 0)
    }

    func testLatencyStatisticsReadBothSummaries() throws {
        let r = Self.wsResult(Self.recorder(latencies: (1...1_000).map { Int64($0) * 100 }, lateMicros: 50))
        let m = try XCTUnwrap(r.messages)
        for stat in LatencyStat.allCases {
            XCTAssertEqual(try eval("message_latency.\(stat.rawValue) < 1s", r).actual, Double(stat.micros(of: m.latency_us)), stat.rawValue)
            XCTAssertEqual(try eval("message_service_time.\(stat.rawValue) < 1s", r).actual,
                           Double(stat.micros(of: m.service_time_us)), stat.rawValue)
        }
        XCTAssertEqual(try eval("message_latency.max <= 100ms", r).actual, 100_000)
        XCTAssertTrue(try eval("message_latency.max <= 100ms", r).ok)
        XCTAssertEqual(try eval("message_service_time.max < 1s", r).actual ?? 0, 99_950, accuracy: 100,
                       "service time counts from the send, 50 µs after the due time")
    }

    func testNoAnsweredMessageLeavesLatencyUnmeasured() throws {
        let r = Self.wsResult(Self.recorder(failed: [.answer_timeout]))
        let t = try eval("message_latency.p99 < 1s", r)
        XCTAssertNil(t.actual)
        XCTAssertFalse(t.ok, "a latency gate must not pass on zeros")
        XCTAssertEqual(t.note, "no answered messages, so no message_latency_us")
        XCTAssertEqual(try eval("message_error_rate <= 100%", r).actual, 1)
    }

    func testAnHTTPResultLeavesMessageMetricsUnmeasured() throws {
        let r = ThresholdEvaluatorTests.result(latencies: [1_000])
        for expr in ["messages > 0", "message_latency.p99 < 1s", "dropped_messages == 0"] {
            let t = try eval(expr, r)
            XCTAssertNil(t.actual, expr)
            XCTAssertFalse(t.ok, expr)
            XCTAssertEqual(t.note, "no messages in this result (message metrics need a WebSocket run)", expr)
        }
    }

    func testReportsShowTheMetricsAsWritten() throws {
        let r = Self.wsResult(Self.recorder(latencies: [12_000, 12_000]), durationMicros: 1_000_000)
        let latency = try eval("message_latency.p99 < 250ms", r)
        XCTAssertEqual(latency.metricLabel, "message_latency.p99")
        XCTAssertEqual(latency.limitText, "< 250ms")
        XCTAssertEqual(try eval("message_service_time.max < 1s", r).metricLabel, "message_service_time.max")
        let rate = try eval("message_rate >= 1", r)
        XCTAssertEqual(rate.measuredText, "2 msg/s")
        XCTAssertEqual(rate.limitText, ">= 1 msg/s")
        XCTAssertEqual(rate.line(), "✓ message_rate >= 1   (message_rate = 2 msg/s)")
        // The JSON carries the canonical metric and the unit.
        let json = String(decoding: try JSONEncoder().encode(rate), as: UTF8.self)
        XCTAssertTrue(json.contains("\"unit\":\"msg\\/s\""), json)
    }

    // MARK: From the WebSocket load branch (same metrics, a result built through RunPlan)

    private func result(answered: Int, failed: Int, dropped: Int, websocket: Bool = true) -> RunResult {
        var workload = Workload(targets: [RequestTarget(url: "ws://127.0.0.1:1/ws")], timeoutMicros: 1_000_000)
        if websocket { workload.webSocket = WebSocketPlan() }
        let plan = RunPlan(load: .closed(workers: 2, durationMicros: nil, thinkTimeMicros: 0), workload: workload,
                           requestLimit: answered + failed + dropped, threads: 1)
        var r = RunResult(version: "0", plan: plan, recorder: Recorder(), timeline: [], startedEpochMillis: 0,
                          durationMicros: 2_000_000, interrupted: false)
        guard websocket else { return r }
        var m = MessageRecorder()
        for k in 0..<answered { m.recordAnswered(dueMicros: 0, sentMicros: 1_000, doneMicros: Int64(1_000 * (k + 2))) }
        for _ in 0..<failed { m.recordFailed(.answer_timeout) }
        m.recordDropped(dropped)
        r.messages = RunResult.Messages(m, durationMicros: 2_000_000, answer: "echo")
        return r
    }

    func testARunPlanWithAWebSocketWorkloadTakesMessageMetrics() throws {
        let t = try parse("message_latency.p99 < 1s")
        XCTAssertNoThrow(try t.validate(against: result(answered: 1, failed: 0, dropped: 0).plan))
        XCTAssertThrowsError(try t.validate(against: result(answered: 0, failed: 0, dropped: 0, websocket: false).plan)) { e in
            XCTAssertTrue("\(e)".contains("need a WebSocket run"), "\(e)")
        }
        XCTAssertEqual(try parse("message_rate >= 100").unit, Threshold.BaseUnit.messagesPerSecond)
    }

    func testMeasuredOnTheMessagesSection() throws {
        let r = result(answered: 8, failed: 1, dropped: 1)
        func actual(_ expr: String) throws -> Double? { ThresholdEvaluator.evaluate(try Threshold.parse(expr), on: r).actual }
        XCTAssertEqual(try actual("messages > 0"), 9)
        XCTAssertEqual(try actual("answered_messages > 0"), 8)
        XCTAssertEqual(try actual("failed_messages > 0"), 1)
        XCTAssertEqual(try actual("dropped_messages > 0"), 1)
        XCTAssertEqual(try actual("message_error_rate < 1") ?? -1, 1.0 / 9, accuracy: 1e-12,
                       "failed / (answered + failed): the dropped one was never sent")
        XCTAssertEqual(try actual("message_rate > 0"), 4.5)
        XCTAssertEqual(try actual("message_latency.max < 1s"), 9_000)
        XCTAssertEqual(try actual("message_service_time.max < 1s"), 8_000)
        let none = ThresholdEvaluator.evaluate(try Threshold.parse("message_latency.p99 < 1s"),
                                               on: result(answered: 0, failed: 2, dropped: 0))
        XCTAssertNil(none.actual, "no answered message: unmeasured, never a pass")
        XCTAssertFalse(none.ok)
    }
}
