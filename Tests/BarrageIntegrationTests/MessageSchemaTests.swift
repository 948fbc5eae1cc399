import XCTest
import BarrageCore
import BarrageTestSupport

/// A WebSocket result's `messages` after what the reports do to it — message thresholds judged, two runs merged, two
/// runs compared — validated against the published schemas by Tests/Interop/validate_schema.py (the `jsonschema`
/// package). Built by hand (no network, no libcurl 8): the engine's own output is validated by the WebSocket run tests.
final class MessageSchemaTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let tmp { try? FileManager.default.removeItem(at: tmp) }
    }

    /// A WebSocket run of `answered` messages (latency 5 ms + i × `stepMicros`), a failure of each class, one dropped
    /// message and a close frame, over 2 s from `startMillis`.
    private func wsResult(answered: Int, stepMicros: Int64, startMillis: Int64, runID: String) -> RunResult {
        var workload = Workload(targets: [RequestTarget(name: "ws", url: "ws://127.0.0.1:1/ws")], timeoutMicros: 1_000_000)
        workload.webSocket = WebSocketPlan()
        let plan = RunPlan(load: .closed(workers: 2, durationMicros: 2_000_000), workload: workload, threads: 1)
        var handshakes = Recorder()
        for i in 0..<2 {
            handshakes.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 900 + Int64(i), status: 101, error: nil, complete: true))
        }
        var messages = MessageRecorder()
        for i in 0..<answered {
            let due = Int64(i) * 10_000
            messages.recordSent(bytes: 7)
            messages.recordAnswered(dueMicros: due, sentMicros: due + 50, doneMicros: due + 5_000 + Int64(i) * stepMicros)
            messages.recordReceived(bytes: 7)
        }
        for e in MessageError.allCases {
            messages.recordSent(bytes: 7)
            messages.recordFailed(e)
        }
        messages.recordDropped()
        messages.recordClose(code: 1001)
        var r = RunResult(version: "test", plan: plan, recorder: handshakes, timeline: [], startedEpochMillis: startMillis,
                          durationMicros: 2_000_000, interrupted: false)
        r.messages = RunResult.Messages(messages, durationMicros: 2_000_000, answer: "echo")
        r.run_id = runID
        return r
    }

    func testJudgedMergedAndComparedMessagesMatchTheSchemas() throws {
        let a = wsResult(answered: 50, stepMicros: 100, startMillis: 1_764_000_000_000, runID: "a")
        let b = wsResult(answered: 30, stepMicros: 300, startMillis: 1_764_000_010_000, runID: "b")
        XCTAssertNotNil(a.plan.websocket)
        var merged = try ResultMerge.merge([("a.json", a), ("b.json", b)])
        let exprs = ["message_latency.p99 < 1s", "message_service_time.max < 1s", "messages >= 80", "message_rate > 1",
                     "message_error_rate < 20%", "dropped_messages <= 2", "failed_messages < 20"]
        let thresholds = try exprs.map(Threshold.parse)
        for t in thresholds { try t.validate(against: merged.plan) }
        merged.thresholds = ThresholdEvaluator.evaluate(thresholds, on: merged)
        XCTAssertTrue(merged.thresholds.allSatisfy(\.ok), "\(merged.thresholds)")
        XCTAssertEqual(merged.messages?.total, 80 + 12 + 2)
        XCTAssertEqual(merged.messages?.errors.count, MessageError.count)
        let file = tmp.appendingPathComponent("merged.json").path
        try merged.jsonData().write(to: URL(fileURLWithPath: file))
        try assertMatchesSchema(file, schema: "result.v1.schema.json")

        let comparison = Compare.compare(base: a, new: b)
        XCTAssertEqual(comparison.messages?.count, 6)
        let compareFile = tmp.appendingPathComponent("compare.json").path
        try comparison.jsonData().write(to: URL(fileURLWithPath: compareFile))
        try assertMatchesSchema(compareFile, schema: "compare.v1.schema.json")
    }
}
