import XCTest
@testable import BarrageCore

/// Thresholds on a WebSocket run's messages: parsed, checked against the plan, measured on the `messages` section.
final class MessageThresholdTests: XCTestCase {
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

    func testMessageMetricsParseWithTheirUnits() throws {
        XCTAssertEqual(try Threshold.parse("message_latency.p99 < 250ms").metric, "message_latency_us.p99")
        XCTAssertEqual(try Threshold.parse("message_service_time.p(99.9) < 1s").metric, "message_service_time_us.p99.9")
        XCTAssertEqual(try Threshold.parse("message_error_rate <= 1%").limit, 0.01)
        XCTAssertEqual(try Threshold.parse("message_rate >= 100").unit, Threshold.messagesPerSecond)
        XCTAssertEqual(try Threshold.parse("dropped_messages == 0").unit, Threshold.BaseUnit.count)
        XCTAssertThrowsError(try Threshold.parse("target:api message_latency.p99 < 1s")) { e in
            XCTAssertTrue("\(e)".contains("measured per run"), "\(e)")
        }
        XCTAssertThrowsError(try Threshold.parse("messages > 1.5")) { e in
            XCTAssertTrue("\(e)".contains("whole number of messages"), "\(e)")
        }
    }

    func testMessageMetricsNeedAWebSocketPlan() throws {
        let t = try Threshold.parse("message_latency.p99 < 1s")
        XCTAssertNoThrow(try t.validate(against: result(answered: 1, failed: 0, dropped: 0).plan))
        XCTAssertThrowsError(try t.validate(against: result(answered: 0, failed: 0, dropped: 0, websocket: false).plan)) { e in
            XCTAssertTrue("\(e)".contains("need a WebSocket run"), "\(e)")
        }
    }

    func testMeasuredOnTheMessagesSection() throws {
        let r = result(answered: 8, failed: 1, dropped: 1)
        func actual(_ expr: String) throws -> Double? { ThresholdEvaluator.evaluate(try Threshold.parse(expr), on: r).actual }
        XCTAssertEqual(try actual("messages > 0"), 9)
        XCTAssertEqual(try actual("answered_messages > 0"), 8)
        XCTAssertEqual(try actual("failed_messages > 0"), 1)
        XCTAssertEqual(try actual("dropped_messages > 0"), 1)
        XCTAssertEqual(try actual("message_error_rate < 1"), 0.2)
        XCTAssertEqual(try actual("message_rate > 0"), 4.5)
        XCTAssertEqual(try actual("message_latency.max < 1s"), 9_000)
        XCTAssertEqual(try actual("message_service_time.max < 1s"), 8_000)
        let none = ThresholdEvaluator.evaluate(try Threshold.parse("message_latency.p99 < 1s"),
                                               on: result(answered: 0, failed: 2, dropped: 0))
        XCTAssertNil(none.actual, "no answered message: unmeasured, never a pass")
        XCTAssertFalse(none.ok)
    }
}
