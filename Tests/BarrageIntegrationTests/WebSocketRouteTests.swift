import Foundation
import XCTest

@testable import BarrageTargetServer
import BarrageTestSupport

/// The embedded server's `/ws` echo route met by a WebSocket client that is not ours (PyPI `websockets`, through
/// Tests/Interop/ws_client.py), and ``WebSocketsPeer`` (a `websockets` echo server) met by the same client. Skipped
/// with a line when `websockets` can be neither found nor installed (see ``PythonWebsockets``).
final class WebSocketRouteTests: XCTestCase {
    var server: TargetServer?
    var python = ""

    override func setUpWithError() throws {
        switch PythonWebsockets.locate() {
        case .success(let found): python = found
        case .failure(let why): throw XCTSkip("websockets (\(PythonWebsockets.requirement)) is not available: \(why)")
        }
        server = try TargetServer.start(host: "127.0.0.1", port: 0, threads: 1)
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
        server = nil
    }

    /// `ws_client.py ws://127.0.0.1:PORT/ws?QUERY ARGS…`.
    private func client(_ query: String, _ arguments: [String]) throws -> [String: Any] {
        let port = try XCTUnwrap(server).port
        let url = "ws://127.0.0.1:\(port)/ws" + (query.isEmpty ? "" : "?" + query)
        return try PythonWebsockets.runClient(python: python, url: url, arguments)
    }

    /// `/stats`' `ws_*` counts and `requests`.
    private func stats() throws -> [String: Int] {
        try statsCounts(port: XCTUnwrap(server).port)
    }

    private func int(_ value: Any?) -> Int? { value as? Int }

    func testTextMessagesAreEchoedAndCountedInStats() throws {
        let result = try client("", ["--messages", "20", "--size", "64"])
        XCTAssertEqual(int(result["status"]), 101)
        XCTAssertEqual(int(result["sent"]), 20)
        XCTAssertEqual(int(result["equal"]), 20, "\(result)")
        XCTAssertEqual(result["in_order"] as? Bool, true)
        XCTAssertEqual(int(result["close_code"]), 1000, "the client's close answered with its code")
        XCTAssertEqual(result["closed_by"] as? String, "client")
        let counts = try stats()
        XCTAssertEqual(counts["ws_upgrades"], 1)
        XCTAssertEqual(counts["ws_refused"], 0)
        XCTAssertEqual(counts["ws_messages_received"], 20)
        XCTAssertEqual(counts["ws_messages_sent"], 20)
        XCTAssertEqual(counts["ws_closes_sent"], 1)
        // The upgrade request and this /stats request.
        XCTAssertEqual(counts["requests"], 2)
        let server = try XCTUnwrap(server)
        XCTAssertTrue(waitUntil { server.counters.openConnections.value == 0 }, "the upgraded connection was counted and released")
    }

    func testBinaryAndFragmentedMessagesAreEchoedWithTheirOpcodeAsOneMessage() throws {
        let binary = try client("", ["--messages", "5", "--size", "3000", "--binary", "--fragments", "3", "--ping"])
        XCTAssertEqual(int(binary["equal"]), 5, "\(binary)")
        XCTAssertEqual(binary["pong"] as? Bool, true)
        let text = try client("", ["--messages", "4", "--size", "100", "--fragments", "4"])
        XCTAssertEqual(int(text["equal"]), 4, "\(text)")
        let counts = try stats()
        XCTAssertEqual(counts["ws_messages_received"], 9, "a fragmented message counts once")
        XCTAssertEqual(counts["ws_messages_sent"], 9)
    }

    func testCloseIsAnsweredWithTheSameCode() throws {
        let result = try client("", ["--messages", "1", "--close-code", "4002"])
        XCTAssertEqual(int(result["close_code"]), 4002, "\(result)")
        XCTAssertEqual(try stats()["ws_closes_sent"], 1)
    }

    func testDelayHoldsEachEchoAndKeepsTheirOrder() throws {
        // The echo leaves the server 50 ms after the message arrived, so no round trip can be shorter (a lower bound
        // the server guarantees, not a measurement of speed).
        let result = try client("delay_ms=50", ["--messages", "5", "--pipeline"])
        XCTAssertEqual(int(result["equal"]), 5, "\(result)")
        XCTAssertEqual(result["in_order"] as? Bool, true)
        let minimum = try XCTUnwrap(result["min_round_trip_ms"] as? Double)
        XCTAssertGreaterThanOrEqual(minimum, 49.5)
    }

    func testCloseAfterSendsItsCodeAfterNEchoes() throws {
        let result = try client("close_after=3&close_code=4005", ["--messages", "3", "--await-close"])
        XCTAssertEqual(int(result["echoed"]), 3)
        XCTAssertEqual(int(result["equal"]), 3)
        XCTAssertEqual(int(result["close_code"]), 4005, "\(result)")
        XCTAssertEqual(result["closed_by"] as? String, "server")
        XCTAssertTrue(result["error"] is NSNull, "\(result)")
        // Default code 1000; messages past the N-th are never echoed.
        let more = try client("close_after=2", ["--messages", "6"])
        XCTAssertEqual(int(more["echoed"]), 2, "\(more)")
        XCTAssertEqual(int(more["close_code"]), 1000)
        XCTAssertEqual(more["closed_by"] as? String, "server")
        let counts = try stats()
        XCTAssertEqual(counts["ws_messages_sent"], 5)
        XCTAssertEqual(counts["ws_closes_sent"], 2)
        XCTAssertEqual(counts["ws_upgrades"], 2)
    }

    func testRefuseAnswersItsStatusInsteadOfTheUpgrade() throws {
        let result = try client("refuse=403", ["--messages", "1"])
        XCTAssertEqual(int(result["status"]), 403)
        XCTAssertEqual(result["body"] as? String, "refused")
        XCTAssertEqual(int(result["sent"]), 0)
        let other = try client("refuse=503&greet=x", [])
        XCTAssertEqual(int(other["status"]), 503)
        let counts = try stats()
        XCTAssertEqual(counts["ws_refused"], 2)
        XCTAssertEqual(counts["ws_upgrades"], 0)
        XCTAssertEqual(counts["requests"], 3)
    }

    func testGreetIsTheFirstMessage() throws {
        let result = try client("greet=hello%20world", ["--greeting", "--messages", "2"])
        XCTAssertEqual(result["greeting"] as? String, "hello world")
        XCTAssertEqual(int(result["equal"]), 2, "\(result)")
        let counts = try stats()
        XCTAssertEqual(counts["ws_messages_sent"], 3, "two echoes and the greeting")
        XCTAssertEqual(counts["ws_messages_received"], 2)
    }

    func testMaxMessageClosesWith1009() throws {
        let result = try client("max_message=10", ["--messages", "2", "--size", "11"])
        XCTAssertEqual(int(result["echoed"]), 0)
        XCTAssertEqual(int(result["close_code"]), 1009, "\(result)")
        let atLimit = try client("max_message=10", ["--messages", "2", "--size", "10", "--fragments", "2"])
        XCTAssertEqual(int(atLimit["equal"]), 2, "\(atLimit)")
        XCTAssertEqual(try stats()["ws_messages_received"], 2, "the refused message is not counted")
    }

    func testWithoutAnUpgradeIs426AndBadValuesAre400() throws {
        let connection = try BlockingHTTPConnection(port: XCTUnwrap(server).port)
        let plain = try connection.request(path: "/ws")
        XCTAssertEqual(plain.status, 426)
        XCTAssertEqual(plain.headers["upgrade"], "websocket")
        // Kept alive: the next request on the connection is served.
        XCTAssertEqual(try connection.request(path: "/").bodyText, "ok")
        for (query, parameter) in [("delay_ms=x", "delay_ms"), ("close_after=0", "close_after"), ("close_code=1005", "close_code"),
                                   ("refuse=200", "refuse"), ("greet=", "greet"), ("greet=%zz", "greet"),
                                   ("max_message=16777217", "max_message")] {
            let bad = try BlockingHTTPConnection(port: XCTUnwrap(server).port).request(path: "/ws?" + query)
            XCTAssertEqual(bad.status, 400, query)
            XCTAssertTrue(bad.bodyText.contains(parameter), "\(query): \(bad.bodyText)")
        }
        // A bad value on an upgrade request: 400 as well, no upgrade.
        let result = try client("delay_ms=-1", [])
        XCTAssertEqual(int(result["status"]), 400)
        XCTAssertEqual(try stats()["ws_upgrades"], 0)
    }

    func testAnUpgradeRequestToAnotherRouteIsServedAsBefore() throws {
        let connection = try BlockingHTTPConnection(port: XCTUnwrap(server).port)
        let response = try connection.request(path: "/status/204", headers: [
            ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
        ])
        XCTAssertEqual(response.status, 204)
        XCTAssertEqual(try BlockingHTTPConnection(port: XCTUnwrap(server).port).request(path: "/").bodyText, "ok")
        XCTAssertEqual(try stats()["ws_upgrades"], 0)
    }

    func testShutdownClosesOpenWebSocketConnections() throws {
        let server = try XCTUnwrap(server)
        let waiting = try ExternalProcess(python, [PythonWebsockets.clientScript, "ws://127.0.0.1:\(server.port)/ws",
                                                   "--await-close", "--timeout", "60"])
        XCTAssertTrue(waitUntil(seconds: 30) { server.counters.wsUpgrades.value == 1 }, waiting.outputSoFar)
        XCTAssertEqual(server.counters.openConnections.value, 1, "the upgraded connection is counted as open")
        try server.shutdown()
        let ended = waiting.wait(timeout: 30)
        let line = try XCTUnwrap(ended.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }), ended.output)
        let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(result["closed_by"] as? String, "server", "\(result)")
        XCTAssertEqual(server.counters.openConnections.value, 0)
    }

    func testWebSocketsPeerCountsWhatAClientThatIsNotOursSent() throws {
        let peer = WebSocketsPeer(python: python)
        let port = try peer.start()
        let first = try PythonWebsockets.runClient(python: python, url: "ws://127.0.0.1:\(port)/", ["--messages", "7"])
        XCTAssertEqual(int(first["equal"]), 7, "\(first)")
        let second = try PythonWebsockets.runClient(python: python, url: "ws://127.0.0.1:\(port)/any/path",
                                                    ["--messages", "4", "--binary", "--fragments", "2", "--pipeline"])
        XCTAssertEqual(int(second["equal"]), 4, "\(second)")
        let counts = try peer.stop()
        XCTAssertEqual(counts, WebSocketsPeer.Counts(messages: 11, echoed: 11, connections: 2))
        XCTAssertFalse(loopbackAccepts(port: port), "the peer stopped listening")
    }

    private func waitUntil(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}
