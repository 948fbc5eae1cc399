import XCTest
import BarrageCore
import BarrageTestSupport

/// `barrage run ws://… --segment I/N`: segments as processes side by side against one server, merged, and the
/// merged result held against the server's own `/stats` counts.
final class WebSocketSegmentRunTests: WebSocketEndToEndCase {
    /// Starts segment 1/N … N/N of `args` at once (one run id, one `--start-at`) and returns their results.
    private func runSegments(_ args: [String], count: Int) throws -> [RunResult] {
        let processes = try (1...count).map { i in
            try BarrageBinary.start(["run", "ws://127.0.0.1:\(port)/ws"] + args
                                        + ["--segment", "\(i)/\(count)", "--start-at", "+1s", "--threads", "2",
                                           "--json", path("part-\(i).json"), "--quiet"],
                                    environment: environment.merging(["BARRAGE_RUN_ID": "ws-split"]) { _, given in given })
        }
        for p in processes {
            let out = p.wait(timeout: 60)
            XCTAssertEqual(out.status, 0, out.stderr)
        }
        return try (1...count).map { i in try XCTUnwrap(Self.result(path("part-\(i).json")), "part \(i)") }
    }

    private func merge(_ count: Int) throws -> RunResult {
        let out = try BarrageBinary.run(["merge"] + (1...count).map { path("part-\($0).json") } + ["-o", path("merged.json")],
                                        timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        try assertSchemaValid(path("merged.json"))
        return try XCTUnwrap(Self.result(path("merged.json")), out.stderr)
    }

    func testClosedRunInTwoSegmentsMergesToTheWholeAndTheServerAgrees() throws {
        let parts = try runSegments(["-c", "4", "-n", "400"], count: 2)
        for part in parts {
            let m = try XCTUnwrap(part.messages)
            assertAccounted(m)
            XCTAssertEqual(m.total, 200, "each segment takes its share of -n")
            XCTAssertEqual(m.answered, 200)
            XCTAssertEqual(part.requests.ok, 2, "each segment opens its share of -c")
            XCTAssertEqual(part.plan.websocket?.messages, 400, "the plan records the whole -n")
        }
        XCTAssertEqual(parts.map { $0.segment?.index }, [1, 2])
        XCTAssertEqual(Set(parts.map(\.plan_fingerprint)).count, 1, "the segments' plans agree")
        let merged = try merge(2)
        let m = try XCTUnwrap(merged.messages)
        assertAccounted(m)
        XCTAssertEqual(m.total, 400)
        XCTAssertEqual(m.answered, 400)
        XCTAssertEqual(m.latency_us.count, 400)
        XCTAssertEqual(merged.requests.ok, 4)
        XCTAssertNil(merged.segment)
        XCTAssertEqual(merged.run_id, "ws-split")
        let stats = try statsCounts(port: port)
        XCTAssertEqual(stats["ws_messages_received"], 400, "the server's own count")
        XCTAssertEqual(stats["ws_upgrades"], 4)
    }

    func testOpenModelInTwoSegmentsSharesTheArrivalsAndTheMessageBudget() throws {
        // 20 connections a second for 1 s, 3 messages each, through a pool of 10: each segment opens (or drops) its 10.
        let parts = try runSegments(["--rate", "20", "-d", "1s", "--ws-messages", "3", "--max-in-flight", "10"], count: 2)
        for part in parts {
            let m = try XCTUnwrap(part.messages)
            assertAccounted(m)
            XCTAssertEqual(part.requests.total, 10, "every arrival of the segment's share opened a connection or was dropped")
            XCTAssertLessThanOrEqual(m.total, 3 * part.requests.ok, "at most --ws-messages per connection")
            XCTAssertEqual(part.plan.model, "open")
        }
        XCTAssertEqual(Set(parts.map(\.plan_fingerprint)).count, 1)
        let merged = try merge(2)
        let m = try XCTUnwrap(merged.messages)
        assertAccounted(m)
        XCTAssertEqual(merged.requests.total, 20, "exactly the arrivals of the plan")
        XCTAssertEqual(m.total, parts.compactMap { $0.messages?.total }.reduce(0, +))
        let stats = try statsCounts(port: port)
        XCTAssertEqual(stats["ws_upgrades"], merged.requests.ok, "upgrades == connections opened")
        XCTAssertEqual(stats["ws_messages_received"], m.sent)

        // -n counts messages in the open model too: a segment takes its share (4 of 8), not the whole.
        let (out, r, _) = try run(["--rate", "20", "-d", "1s", "--ws-messages", "3", "--max-in-flight", "10", "-n", "8",
                                   "--segment", "2/2"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let share = try XCTUnwrap(r?.messages, out.stderr)
        assertAccounted(share)
        XCTAssertLessThanOrEqual(share.total, 4)
        XCTAssertEqual(r?.plan.websocket?.messages, 8)
    }
}
