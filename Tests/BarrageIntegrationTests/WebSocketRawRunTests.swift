import XCTest
import BarrageCore
import BarrageTestSupport

/// `barrage run ws://… --raw FILE`: one NDJSON line per handshake and per message, counted against the result.
final class WebSocketRawRunTests: WebSocketEndToEndCase {
    /// The run's raw lines, parsed, split by kind.
    private func rawLines(_ file: String) throws -> (handshakes: [[String: Any]], messages: [[String: Any]]) {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let objects = try text.split(separator: "\n").map { line in
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
        }
        let kinds = Set(objects.compactMap { $0["kind"] as? String })
        XCTAssertTrue(kinds.isSubset(of: ["handshake", "message"]), "\(kinds)")
        return (objects.filter { $0["kind"] as? String == "handshake" }, objects.filter { $0["kind"] as? String == "message" })
    }

    func testEveryMessageAndHandshakeIsOneLine() throws {
        // Segment 2/2 of -c 4: its connections are numbered 2 and 3 in the whole plan.
        let raw = path("raw.ndjson")
        let (out, r, _) = try run(["-c", "4", "-n", "100", "--segment", "2/2", "--raw", raw])
        XCTAssertEqual(out.status, 0, out.stderr)
        let m = try XCTUnwrap(r?.messages, out.stderr)
        let lines = try rawLines(raw)
        XCTAssertEqual(lines.messages.count, m.total, "one line per message")
        XCTAssertEqual(m.total, 50)
        XCTAssertEqual(lines.messages.filter { $0["outcome"] as? String == "answered" }.count, m.answered)
        XCTAssertEqual(lines.handshakes.count, r?.requests.total, "one line per handshake")
        XCTAssertEqual(lines.handshakes.compactMap { $0["status"] as? Int }, [101, 101])
        XCTAssertEqual(Set(lines.handshakes.compactMap { $0["connection"] as? Int }), [2, 3])
        XCTAssertEqual(Set(lines.messages.compactMap { $0["connection"] as? Int }), [2, 3])
        for line in lines.messages {
            let due = try XCTUnwrap(line["due"] as? Int), sent = try XCTUnwrap(line["sent"] as? Int)
            let done = try XCTUnwrap(line["done"] as? Int)
            XCTAssertLessThanOrEqual(due, sent)
            XCTAssertLessThanOrEqual(sent, done)
            XCTAssertEqual(line["latency"] as? Int, done - due)
            XCTAssertEqual(line["bytes"] as? Int, WebSocketPlan.defaultPayload.count, "the echo's payload")
            XCTAssertTrue(line["error"] is NSNull)
        }
    }

    func testFailedMessagesAndDroppedArrivalsHaveTheirLines() throws {
        let raw = path("failed.ndjson")
        let (out, r, _) = try run(["-c", "1", "-n", "2", "--ws-answer", "match:^never$", "--timeout", "200ms", "--raw", raw])
        XCTAssertEqual(out.status, 1, out.stderr)
        let lines = try rawLines(raw)
        XCTAssertEqual(lines.messages.count, 2)
        XCTAssertEqual(lines.messages.compactMap { $0["outcome"] as? String }, ["failed", "failed"])
        XCTAssertEqual(lines.messages.compactMap { $0["error"] as? String }, ["answer_timeout", "answer_timeout"])
        XCTAssertTrue(lines.messages.allSatisfy { $0["latency"] is NSNull })
        XCTAssertEqual(lines.handshakes.count, r?.requests.total)

        // The open model: arrivals after the message budget is spent are dropped handshakes (sent null).
        let openRaw = path("open.ndjson")
        let (openOut, openResult, _) = try run(["--rate", "20", "-d", "1s", "--ws-messages", "3", "--max-in-flight", "10",
                                                "--raw", openRaw])
        XCTAssertEqual(openOut.status, 0, openOut.stderr)
        let q = try XCTUnwrap(openResult?.requests)
        let open = try rawLines(openRaw)
        XCTAssertEqual(open.handshakes.count, q.total, "one line per arrival, opened or dropped")
        XCTAssertEqual(open.handshakes.filter { $0["error"] as? String == "dropped" }.count, q.dropped)
        XCTAssertTrue(open.handshakes.filter { $0["error"] as? String == "dropped" }.allSatisfy { $0["sent"] is NSNull })
        XCTAssertEqual(open.messages.count, openResult?.messages?.total)

        // Paced messages falling behind a slow echo, and the peer closing every 3: however they end, each its line.
        let pacedRaw = path("paced.ndjson")
        let (pacedOut, paced, _) = try run(["-c", "2", "-n", "60", "--ws-rate", "200", "--raw", pacedRaw],
                                           url: "ws://127.0.0.1:\(port)/ws?delay_ms=20&close_after=3")
        XCTAssertEqual(pacedOut.status, 0, pacedOut.stderr)
        let pm = try XCTUnwrap(paced?.messages, pacedOut.stderr)
        assertAccounted(pm)
        let pacedLines = try rawLines(pacedRaw)
        XCTAssertEqual(pacedLines.messages.count, pm.total)
        for (outcome, count) in [("answered", pm.answered), ("failed", pm.failed), ("dropped", pm.dropped)] {
            XCTAssertEqual(pacedLines.messages.filter { $0["outcome"] as? String == outcome }.count, count, outcome)
        }
        var failedByClass: [String: Int] = [:]
        for line in pacedLines.messages where line["outcome"] as? String == "failed" {
            failedByClass[line["error"] as? String ?? "?", default: 0] += 1
        }
        XCTAssertEqual(failedByClass, pm.errors)
        XCTAssertTrue(pacedLines.messages.filter { $0["outcome"] as? String == "dropped" }.allSatisfy { $0["sent"] is NSNull })
        XCTAssertEqual(pacedLines.handshakes.count, paced?.requests.total)
    }
}
