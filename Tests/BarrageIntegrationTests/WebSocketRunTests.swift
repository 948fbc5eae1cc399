import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer

/// `barrage run ws://…` end to end on libcurl 8 (`Libcurl8.environment` per run, so the tests run in both CI passes;
/// skipped with a line where libcurl 8 is not unpacked): against the embedded server's `/ws` echo route, whose
/// `/stats` counts are held against the result, and against a WebSocket server that is not ours (`WebSocketsPeer`).
/// Every run is bounded (`-n`, or a short `-d`); time is only ever a lower bound.
final class WebSocketRunTests: WebSocketEndToEndCase {
    func testFourConnectionsSendFourHundredMessagesAllAnswered() throws {
        let (out, r, json) = try run("", ["-c", "4", "-n", "400"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let m = try XCTUnwrap(r?.messages, out.stderr)
        assertAccounted(m)
        XCTAssertEqual(m.total, 400)
        XCTAssertEqual(m.answered, 400)
        XCTAssertEqual(m.sent, 400)
        XCTAssertEqual(m.received, 400)
        XCTAssertEqual(m.answer, "echo")
        XCTAssertEqual(m.latency_us.count, 400)
        XCTAssertEqual(m.bytes_sent, 400 * Int64(WebSocketPlan.defaultPayload.count))
        XCTAssertEqual(r?.requests.ok, 4, "one handshake per connection")
        XCTAssertEqual(r?.status_codes, ["101": 4])
        XCTAssertEqual(r?.plan.websocket?.messages, 400)
        XCTAssertNil(r?.plan.requests, "-n counts messages")
        let stats = try statsCounts(port: port)
        XCTAssertEqual(stats["ws_messages_received"], 400)
        XCTAssertEqual(stats["ws_upgrades"], r?.requests.ok, "upgrades == connections opened")
        try assertSchemaValid(json)
    }

    func testMessagesPerConnectionReconnect() throws {
        // One connection, so the count is exact: with several, a connection reaching its 5 may open a new one just
        // before another takes the budget's last message.
        let (out, r, _) = try run("", ["-c", "1", "-n", "20", "--ws-messages", "5", "--ws-binary", "--ws-size", "300"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let m = try XCTUnwrap(r?.messages, out.stderr)
        assertAccounted(m)
        XCTAssertEqual(m.answered, 20)
        XCTAssertEqual(m.bytes_received, 20 * 300)
        XCTAssertEqual(r?.requests.ok, 4, "20 messages, 5 per connection: 4 connections")
        XCTAssertEqual(r?.plan.websocket?.frames, "binary")
        let stats = try statsCounts(port: port)
        XCTAssertEqual(stats["ws_upgrades"], 4)
        XCTAssertEqual(stats["ws_messages_received"], 20)
    }

    func testRefusedUpgradeIsAFailedHandshakeWithItsStatus() throws {
        let (out, r, _) = try run("refuse=403", ["-c", "2", "-n", "10"])
        XCTAssertEqual(out.status, 1, "no ok response: \(out.stderr)")
        XCTAssertEqual(r?.requests.failed, 2)
        XCTAssertEqual(r?.status_codes, ["403": 2])
        XCTAssertEqual(r?.errors, ["status": 2])
        let m = try XCTUnwrap(r?.messages)
        XCTAssertEqual(m.sent, 0)
        XCTAssertEqual(m.total, 0, "no message was due on a connection that never opened")
        let stats = try statsCounts(port: port)
        XCTAssertEqual(stats["ws_refused"], 2)
        XCTAssertEqual(stats["ws_messages_received"], 0)
    }

    func testCloseAfterIsClosedByPeerWithItsCodeAndEveryMessageAccounted() throws {
        let (out, r, _) = try run("close_after=3&close_code=4005", ["-c", "2", "-n", "40"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let m = try XCTUnwrap(r?.messages, out.stderr)
        assertAccounted(m)
        XCTAssertEqual(m.total, 40)
        XCTAssertGreaterThanOrEqual(m.close_codes["4005"] ?? 0, 1, "\(m.close_codes)")
        XCTAssertEqual(m.close_codes.keys.sorted(), ["4005"])
        XCTAssertEqual(m.failed, m.errors["closed_by_peer"] ?? 0, "only the peer's closes fail messages: \(m.errors)")
        let stats = try statsCounts(port: port)
        XCTAssertEqual(stats["ws_messages_sent"], m.answered, "every echo the server sent was an answer")
        XCTAssertEqual(stats["ws_upgrades"], r?.requests.ok)
        // The server also answers Barrage's own closes (1000) at the end, which Barrage does not wait for.
        XCTAssertGreaterThanOrEqual(stats["ws_closes_sent"] ?? 0, m.close_codes["4005"] ?? 0)
    }

    func testDelayIsALowerBoundOfMessageLatency() throws {
        let (out, r, _) = try run("delay_ms=50", ["-c", "2", "-n", "6"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let m = try XCTUnwrap(r?.messages, out.stderr)
        XCTAssertEqual(m.answered, 6)
        XCTAssertGreaterThanOrEqual(m.service_time_us.min, 49_500, "the echo leaves the server 50 ms after the message")
        XCTAssertGreaterThanOrEqual(m.latency_us.min, m.service_time_us.min)
    }

    /// The timeline's in-flight values count messages awaiting an answer: each message here waits 200 ms for its echo,
    /// so the seconds in which they were sent hold some (at most one per connection), and the mean is above 0.
    func testTimelineInFlightCountsMessagesAwaitingAnAnswer() throws {
        let (out, r, _) = try run("delay_ms=200", ["-c", "2", "-n", "6"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertEqual(r?.messages?.answered, 6, out.stderr)
        let timeline = try XCTUnwrap(r?.timeline)
        XCTAssertFalse(timeline.isEmpty)
        let peak = timeline.map(\.inFlightMaxOrClose).max() ?? 0
        XCTAssertGreaterThanOrEqual(peak, 1, "a message awaited its answer: \(timeline.map(\.in_flight_max))")
        XCTAssertLessThanOrEqual(peak, 2, "one outstanding message per connection")
        XCTAssertGreaterThan(timeline.map(\.inFlightMeanOrClose).max() ?? 0, 0, "\(timeline.map(\.in_flight_mean))")
    }

    func testRatePerConnectionWithDurationBoundsTheCount() throws {
        let (out, r, _) = try run("", ["-c", "2", "-d", "1s", "--ws-rate", "20"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let m = try XCTUnwrap(r?.messages, out.stderr)
        assertAccounted(m)
        XCTAssertLessThanOrEqual(m.total, 20 * 1 * 2 + 2, "at most rate × duration per connection, + the connections")
        XCTAssertGreaterThanOrEqual(m.answered, 2, "each connection's first message is due at its open")
        XCTAssertEqual(r?.plan.websocket?.rate_per_connection, 20)
    }

    func testAnswerAnyAndMatch() throws {
        let (out, r, _) = try run("greet=hello", ["-c", "1", "-n", "5", "--ws-answer", "match:^ping-[0-9]+$", "--ws-message", "ping-1"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let m = try XCTUnwrap(r?.messages, out.stderr)
        XCTAssertEqual(m.answered, 5)
        XCTAssertEqual(m.received, 6, "the greeting is received, not an answer")
        XCTAssertEqual(m.answer, "match")
        let (anyOut, anyResult, _) = try run("", ["-c", "1", "-n", "3", "--ws-answer", "any"])
        XCTAssertEqual(anyOut.status, 0, anyOut.stderr)
        XCTAssertEqual(anyResult?.messages?.answered, 3)
    }

    func testUnansweredMessagesTimeOutAndTheRunExitsOne() throws {
        let (out, r, _) = try run("", ["-c", "1", "-n", "2", "--ws-answer", "match:^never$", "--timeout", "200ms"])
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains("no answered message: 2 failed, 0 dropped (answer_timeout: 2)"), out.stderr)
        let m = try XCTUnwrap(r?.messages, out.stderr)
        assertAccounted(m)
        XCTAssertEqual(m.errors, ["answer_timeout": 2])
        XCTAssertEqual(m.received, 2, "the echoes arrived; they did not match")
        XCTAssertEqual(r?.requests.ok, 2, "a timed-out message's connection is replaced")
    }

    func testOpenModelOpensConnectionsAtTheRate() throws {
        // 20 connections a second for 1 s, 3 messages each, through a pool of 10.
        let (out, r, json) = try run("", ["--rate", "20", "-d", "1s", "--ws-messages", "3", "--max-in-flight", "10"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let m = try XCTUnwrap(r?.messages, out.stderr)
        assertAccounted(m)
        let q = try XCTUnwrap(r?.requests)
        XCTAssertEqual(q.total, 20, "every arrival of the schedule opened a connection or was dropped")
        XCTAssertEqual(r?.plan.model, "open")
        XCTAssertLessThanOrEqual(m.total, 3 * q.ok, "at most --ws-messages per connection")
        XCTAssertGreaterThanOrEqual(m.answered, 1)
        let stats = try statsCounts(port: port)
        XCTAssertEqual(stats["ws_upgrades"], q.ok)
        XCTAssertEqual(stats["ws_messages_received"], m.sent)
        try assertSchemaValid(json)
    }

    func testThresholdsOnMessages() throws {
        let (pass, r, json) = try run("", ["-c", "2", "-n", "40", "--threshold", "messages == 40",
                                           "--threshold", "message_error_rate == 0", "--threshold", "message_latency.p99 < 1h"])
        XCTAssertEqual(pass.status, 0, pass.stderr)
        XCTAssertEqual(r?.thresholds.map(\.ok), [true, true, true])
        try assertSchemaValid(json)
        let (fail, failed, _) = try run("delay_ms=20", ["-c", "1", "-n", "3", "--threshold", "message_service_time.min < 1ms"])
        XCTAssertEqual(fail.status, 99, "the echo leaves 20 ms after the message: \(fail.stderr)")
        XCTAssertEqual(failed?.thresholds.first?.ok, false)
        let refused = try BarrageBinary.run(["run", "http://127.0.0.1:\(port)/", "-n", "1", "--threshold", "messages > 0"],
                                            timeout: 20, environment: environment)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("message metrics need a WebSocket run"), refused.stderr)
    }

    func testMergeAddsMessagesExactly() throws {
        let (a, ra, jsonA) = try run("", ["-c", "2", "-n", "50"])
        let (b, rb, jsonB) = try run("", ["-c", "2", "-n", "30"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(b.status, 0, b.stderr)
        // -n differs (it is in the plan), so the plans differ: --force.
        let merged = tmp.appendingPathComponent("merged.json").path
        let out = try BarrageBinary.run(["merge", jsonA, jsonB, "-o", merged, "--force"], timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        let m = try XCTUnwrap(RunResult.decode(Data(contentsOf: URL(fileURLWithPath: merged))).messages)
        XCTAssertEqual(m.total, 80)
        XCTAssertEqual(m.answered, 80)
        XCTAssertEqual(m.sent, (ra?.messages?.sent ?? 0) + (rb?.messages?.sent ?? 0))
        XCTAssertEqual(m.latency_us.count, 80, "histograms added from their hdr")
        // The merged maximum is the histogram's (three significant digits); each input's was its exact maximum.
        let inputsMax = Double(max(ra?.messages?.latency_us.max ?? 0, rb?.messages?.latency_us.max ?? 0))
        XCTAssertEqual(Double(m.latency_us.max), inputsMax, accuracy: inputsMax / 1_000 + 1)
        try assertSchemaValid(merged)
    }

    func testAgainstTheWebsocketsPeer() throws {
        let peer: WebSocketsPeer
        switch WebSocketsPeer.make() {
        case .success(let made): peer = made
        case .failure(let why): throw XCTSkip("websockets (\(PythonWebsockets.requirement)) is not available: \(why)")
        }
        let peerPort = try peer.start()
        let (out, r, _) = try run("", ["-c", "3", "-n", "150"], url: "ws://127.0.0.1:\(peerPort)/")
        let counts = try peer.stop()
        XCTAssertEqual(out.status, 0, out.stderr)
        let m = try XCTUnwrap(r?.messages, out.stderr)
        assertAccounted(m)
        XCTAssertEqual(m.answered, 150)
        XCTAssertEqual(counts.messages, 150, "the peer's own count")
        XCTAssertEqual(counts.connections, 3)
    }
}
