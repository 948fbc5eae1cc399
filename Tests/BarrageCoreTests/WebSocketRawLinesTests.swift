import XCTest
@testable import BarrageCore

/// `--raw` for a WebSocket run: each line one JSON object, in the shape of an HTTP run's request lines, with its kind.
final class WebSocketRawLinesTests: XCTestCase {
    private func objects(_ lines: inout WebSocketRawLines) throws -> [[String: Any]] {
        let text = String(decoding: lines.take(), as: UTF8.self)
        XCTAssertTrue(text.hasSuffix("\n"), text)
        return try text.split(separator: "\n").map { line in
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) as? [String: Any], String(line))
        }
    }

    func testHandshakeLinesAreRequestLinesWithAKindAndAConnection() throws {
        var lines = WebSocketRawLines(targetName: "ws://127.0.0.1:8080/ws")
        lines.handshake(RequestOutcome(dueMicros: 10, sentMicros: 12, doneMicros: 812, status: 101, error: nil, complete: true,
                                       bytesIn: 129), connection: 3)
        lines.handshake(RequestOutcome(dueMicros: 20, sentMicros: 20, doneMicros: 90, status: 0, error: .tls, complete: false),
                        connection: 4)
        lines.handshake(RequestOutcome(dueMicros: 50_000, sentMicros: -1, doneMicros: 60_000, status: 0, error: nil, complete: false),
                        connection: nil, dropped: true)
        let o = try objects(&lines)
        XCTAssertEqual(o.count, 3)
        XCTAssertEqual(o[0]["kind"] as? String, "handshake")
        XCTAssertEqual(o[0]["due"] as? Int, 10)
        XCTAssertEqual(o[0]["sent"] as? Int, 12)
        XCTAssertEqual(o[0]["done"] as? Int, 812)
        XCTAssertEqual(o[0]["target"] as? String, "ws://127.0.0.1:8080/ws")
        XCTAssertEqual(o[0]["status"] as? Int, 101)
        XCTAssertEqual(o[0]["bytes"] as? Int, 129)
        XCTAssertTrue(o[0]["error"] is NSNull)
        XCTAssertEqual(o[0]["connection"] as? Int, 3)
        XCTAssertEqual(o[1]["error"] as? String, "tls")
        XCTAssertEqual(o[1]["status"] as? Int, 0)
        XCTAssertTrue(o[2]["sent"] is NSNull, "a dropped arrival was never sent")
        XCTAssertEqual(o[2]["error"] as? String, "dropped")
        XCTAssertTrue(o[2]["connection"] is NSNull)
        // The same keys as an HTTP request line, and two more.
        for line in o {
            XCTAssertEqual(Set(line.keys), ["kind", "due", "sent", "done", "target", "status", "bytes", "error", "connection"])
        }
        XCTAssertTrue(lines.bytes.isEmpty, "taken")
    }

    func testMessageLinesSayHowEachMessageEnded() throws {
        var lines = WebSocketRawLines(targetName: "t")
        lines.message(.answered, dueMicros: 812, sentMicros: 815, doneMicros: 901, bytes: 7, connection: 0)
        lines.message(.failed, dueMicros: 1_000, sentMicros: 1_002, doneMicros: 201_002, error: .answer_timeout, bytes: 9,
                      connection: 1)
        lines.dropped(count: 2, firstDueMicros: 100_000, intervalMicros: 50_000, doneMicros: 260_000, connection: 5)
        lines.dropped(count: 0, firstDueMicros: 0, intervalMicros: 0, doneMicros: 0, connection: 5)
        let o = try objects(&lines)
        XCTAssertEqual(o.count, 4, "one line per message; none for zero dropped")
        for line in o {
            XCTAssertEqual(Set(line.keys), ["kind", "due", "sent", "done", "latency", "outcome", "error", "bytes", "connection"])
            XCTAssertEqual(line["kind"] as? String, "message")
        }
        XCTAssertEqual(o[0]["outcome"] as? String, "answered")
        XCTAssertEqual(o[0]["latency"] as? Int, 89, "done − due")
        XCTAssertTrue(o[0]["error"] is NSNull)
        XCTAssertEqual(o[0]["bytes"] as? Int, 7)
        XCTAssertEqual(o[1]["outcome"] as? String, "failed")
        XCTAssertEqual(o[1]["error"] as? String, "answer_timeout")
        XCTAssertTrue(o[1]["latency"] is NSNull, "no answer, no latency")
        XCTAssertEqual(o[1]["bytes"] as? Int, 0)
        XCTAssertEqual(o[1]["sent"] as? Int, 1_002)
        XCTAssertEqual(o[2]["outcome"] as? String, "dropped")
        XCTAssertEqual(o[2]["error"] as? String, "dropped")
        XCTAssertTrue(o[2]["sent"] is NSNull)
        XCTAssertEqual(o.suffix(2).map { $0["due"] as? Int }, [100_000, 150_000], "due one interval apart")
        XCTAssertEqual(o.suffix(2).map { $0["connection"] as? Int }, [5, 5])
    }

    func testTargetNamesAreJSONStrings() throws {
        var lines = WebSocketRawLines(targetName: "a \"quoted\" name")
        lines.handshake(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 1, status: 101, error: nil, complete: true),
                        connection: 0)
        XCTAssertEqual(try objects(&lines).first?["target"] as? String, "a \"quoted\" name")
    }
}
