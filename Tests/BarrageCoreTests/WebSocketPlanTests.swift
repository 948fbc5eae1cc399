import XCTest
@testable import BarrageCore

/// A WebSocket run's plan as the result records it and the plan block prints it; absent for HTTP plans.
final class WebSocketPlanTests: XCTestCase {
    private func plan(_ ws: WebSocketPlan?, limit: Int? = 100) -> RunPlan {
        var workload = Workload(targets: [RequestTarget(url: "ws://127.0.0.1:1/ws")], timeoutMicros: 2_000_000)
        workload.webSocket = ws
        return RunPlan(load: .closed(workers: 4, durationMicros: nil, thinkTimeMicros: 0), workload: workload,
                       requestLimit: limit, threads: 1)
    }

    func testRecordedUnderPlanWebsocketWithMessagesInsteadOfRequests() throws {
        let record = PlanRecord(plan(WebSocketPlan(payload: Array("hi".utf8), binary: true, ratePerConnection: 5,
                                                   messagesPerConnection: 10, answer: .match("^h"))))
        let ws = try XCTUnwrap(record.websocket)
        XCTAssertEqual(ws, WebSocketPlan.Record(payload_bytes: 2, frames: "binary", rate_per_connection: 5,
                                                messages_per_connection: 10, messages: 100, answer: "match",
                                                answer_pattern: "^h", answer_timeout_us: 2_000_000))
        XCTAssertNil(record.requests, "-n counts messages")
        XCTAssertNil(record.expected_requests)
        let lines = PlanBlock.lines(record, version: "0")
        XCTAssertTrue(lines.contains { $0.contains("messages") && $0.contains("2 B binary") && $0.contains("5/s per connection") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.contains("answer") && $0.contains("match ^h within 2") }, "\(lines)")
    }

    func testHTTPPlansHaveNoWebsocketKeyAndKeepTheirFingerprint() throws {
        var http = plan(nil)
        http.workload.targets = [RequestTarget(url: "http://127.0.0.1:1/")]
        let record = PlanRecord(http)
        XCTAssertNil(record.websocket)
        let json = String(decoding: try JSONOutput.encode(record), as: UTF8.self)
        XCTAssertFalse(json.contains("websocket"), json)
        XCTAssertNotEqual(PlanRecord(plan(WebSocketPlan())).fingerprint, PlanRecord(plan(WebSocketPlan(binary: true))).fingerprint)
    }

    func testReportsShowTheMessages() throws {
        var result = RunResult(version: "0", plan: plan(WebSocketPlan()), recorder: Recorder(), timeline: [],
                               startedEpochMillis: 0, durationMicros: 1_000_000, interrupted: false)
        var recorder = MessageRecorder()
        recorder.recordAnswered(dueMicros: 0, sentMicros: 0, doneMicros: 1_500)
        recorder.recordFailed(.closed_by_peer)
        recorder.recordClose(code: 4005)
        result.messages = RunResult.Messages(recorder, durationMicros: 1_000_000, answer: "echo")
        let text = TextReport.render(result)
        XCTAssertTrue(text.contains("Messages    2 total · 1 answered · 1 failed · 0 dropped"), text)
        XCTAssertTrue(text.contains("closed_by_peer: 1") && text.contains("4005: 1"), text)
        let html = HTMLReport.render(result)
        XCTAssertTrue(html.contains("Message latency") && html.contains(#"<span class="mono">closed_by_peer</span>"#)
                      && html.contains(#"<span class="mono">4005</span> application"#))
        let markdown = MarkdownSummary.render(result: result, thresholds: [])
        XCTAssertTrue(markdown.contains("| Messages | 1 answered · 1 failed · 0 dropped (2 in all)"), markdown)
        XCTAssertTrue(markdown.contains("| Message latency p50 / p90 / p99 | 1.50ms / 1.50ms / 1.50ms |"), markdown)
    }

    func testResultsWithoutMessagesStillLoad() throws {
        var result = RunResult(version: "0", plan: plan(nil), recorder: Recorder(), timeline: [], startedEpochMillis: 0,
                               durationMicros: 1, interrupted: false)
        XCTAssertNil(try RunResult.decode(result.jsonData()).messages)
        var recorder = MessageRecorder()
        recorder.recordSent(bytes: 2)
        recorder.recordAnswered(dueMicros: 0, sentMicros: 0, doneMicros: 10)
        result.messages = RunResult.Messages(recorder, durationMicros: 1_000_000, answer: "echo")
        let back = try RunResult.decode(result.jsonData())
        XCTAssertEqual(back.messages, result.messages)
        XCTAssertNotNil(back.messages?.latency_us.hdr, "the histogram carries its hdr, for an exact merge")
    }

    func testWssPlanSaysWhetherCertificatesAreVerified() {
        var wss = plan(WebSocketPlan())
        wss.workload.targets = [RequestTarget(url: "wss://127.0.0.1:1/ws")]
        XCTAssertTrue(PlanBlock.lines(PlanRecord(wss), version: "0").last!.contains("TLS certificates verified"))
        wss.transport.insecure = true
        XCTAssertTrue(PlanBlock.lines(PlanRecord(wss), version: "0").last!.contains("TLS certificates NOT verified (--insecure)"))
        XCTAssertFalse(PlanBlock.lines(PlanRecord(plan(WebSocketPlan())), version: "0").last!.contains("TLS"), "ws:// has no TLS")
    }
}
