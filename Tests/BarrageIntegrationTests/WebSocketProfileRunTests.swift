import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer

/// `profiles/websocket.yaml` through the built binary: `validate` prints its message plan and sends nothing; `run`
/// against the embedded server's `/ws` echo route (libcurl 8, `Libcurl8.environment` per run; skipped with a line
/// without it) sends exactly `-n` messages, which the server counts; bad WebSocket profiles and flags are one line on
/// stderr and exit 2 before anything is sent. Every run is bounded by `-n`.
final class WebSocketProfileRunTests: XCTestCase {
    var tmp: URL!
    var server: TargetServer?

    static let example = ProfileRunTests.profilesDir.appendingPathComponent("websocket.yaml").path

    override func setUpWithError() throws {
        tmp = try makeTemporaryDirectory()
        server = try TargetServer.start(host: "127.0.0.1", port: 0, threads: 1)
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
        server = nil
        if let tmp { try? FileManager.default.removeItem(at: tmp) }
    }

    private var port: Int { server?.port ?? 0 }
    private var wsBase: String { "WS_BASE_URL=ws://127.0.0.1:\(port)" }

    func testExampleProfileRunsAndTheServerCountsEveryMessage() throws {
        guard let environment = Libcurl8.environment else {
            print("WebSocketProfileRunTests: skipped — \(Libcurl8.skipReason)")
            throw XCTSkip(Libcurl8.skipReason)
        }
        let json = tmp.appendingPathComponent("ws.json").path
        let out = try BarrageBinary.run(["run", Self.example, "-e", wsBase, "-n", "40", "--json", json, "--threads", "2"],
                                        timeout: 60, environment: environment)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        // The latency gate may fail on a loaded machine without a bug: the status follows the verdicts; the counts must pass.
        XCTAssertEqual(out.status, r.thresholds.allSatisfy(\.ok) ? 0 : 99, out.stderr + out.stdout)
        XCTAssertEqual(r.thresholds.count, 3)
        for t in r.thresholds where t.expr != "message_latency.p99 < 500ms" { XCTAssertTrue(t.ok, t.expr) }
        let m = try XCTUnwrap(r.messages, out.stderr)
        XCTAssertEqual(m.total, 40, "-n bounds the messages")
        XCTAssertEqual(m.answered, 40)
        XCTAssertEqual(m.total, m.answered + m.failed + m.dropped)
        XCTAssertEqual(m.bytes_sent, 40 * 64, "size: 64")
        XCTAssertEqual(r.plan.websocket?.messages, 40)
        XCTAssertEqual(r.plan.websocket?.payload_bytes, 64)
        XCTAssertEqual(r.plan.websocket?.rate_per_connection, 20)
        XCTAssertEqual(r.plan.websocket?.answer_timeout_us, 5_000_000, "defaults.timeout is the answer timeout")
        XCTAssertEqual(r.plan.name, "websocket")
        XCTAssertEqual(r.plan.overrides, ["--requests 40"])
        XCTAssertEqual(r.status_codes, ["101": r.requests.ok])
        XCTAssertLessThanOrEqual(r.requests.ok, 4, "4 connections, each kept for the run")
        let stats = try statsCounts(port: port)
        XCTAssertEqual(stats["ws_messages_received"], 40, "the server's count equals the run's")
        XCTAssertEqual(stats["ws_upgrades"], r.requests.ok)
        XCTAssertTrue(out.stdout.contains("profile websocket"), out.stdout)
        try assertMatchesSchema(json)
    }

    func testFlagsOverrideTheProfilesMessagePlan() throws {
        guard let environment = Libcurl8.environment else { throw XCTSkip(Libcurl8.skipReason) }
        let json = tmp.appendingPathComponent("ws.json").path
        let out = try BarrageBinary.run(["run", Self.example, "-e", wsBase, "-n", "12", "-c", "1", "--ws-size", "5",
                                         "--ws-messages", "3", "--ws-answer", "any", "--json", json, "--quiet"],
                                        timeout: 60, environment: environment)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(out.status, r.thresholds.allSatisfy(\.ok) ? 0 : 99, out.stderr + out.stdout)
        let m = try XCTUnwrap(r.messages, out.stderr)
        XCTAssertEqual(m.total, 12)
        XCTAssertEqual(m.answered, 12)
        XCTAssertEqual(m.bytes_sent, 12 * 5)
        XCTAssertEqual(r.plan.websocket?.messages_per_connection, 3)
        XCTAssertEqual(r.plan.websocket?.answer, "any")
        XCTAssertEqual(r.plan.concurrency, 1)
        // One connection at a time, so the count is exact (with several, one may reconnect just before another takes
        // the budget's last message).
        XCTAssertEqual(r.requests.ok, 4, "3 messages per connection: 12 messages take 4 connections")
        XCTAssertEqual(try statsCounts(port: port)["ws_messages_received"], 12)
    }

    func testValidatePrintsTheMessagePlanAndSendsNothing() throws {
        let out = try BarrageBinary.run(["validate", Self.example, "-e", wsBase], timeout: 20)
        XCTAssertEqual(out.status, 0, out.stderr)
        let lines = out.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "\(Self.example): ok — websocket")
        XCTAssertTrue(lines.contains { $0.hasPrefix("  messages") && $0.contains("64 B text") && $0.contains("20/s per connection") && $0.contains("400 in all") },
                      out.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  answer") && $0.contains("echo within 5.00s") }, out.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  load") && $0.contains("closed model, 4 connections for 10.0s or 400 messages") }, out.stdout)
        let stats = try statsCounts(port: port)
        XCTAssertEqual(stats["ws_upgrades"], 0, "validate sends nothing")
        XCTAssertEqual(stats["requests"], 1, "only the /stats request itself")
    }

    func testBadWebSocketProfilesAndFlagsAreOneLineAndExitTwo() throws {
        func write(_ name: String, _ text: String) throws -> String {
            let path = tmp.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let closed = "load: { model: closed, start_concurrency: 2, stages: [ { duration: 1s, concurrency: 2 } ] }\n"
        let typo = try write("typo.yaml", "targets: [ { url: \"ws://127.0.0.1:\(port)/ws\" } ]\nwebsocket:\n  rat: 5\n" + closed)
        let http = try write("http.yaml", "targets: [ { url: \"http://127.0.0.1:\(port)/\" } ]\n" + closed)
        let flow = try write("flow.yaml", """
        scenarios:
          chat:
            websocket: { message: hi }
            load: { model: closed, start_concurrency: 1, stages: [ { duration: 1s, concurrency: 1 } ] }
            flow:
              - { url: "http://127.0.0.1:\(port)/" }
        """)
        let cases: [([String], String)] = [
            (["run", typo, "-n", "1"], "typo.yaml:3: websocket.rat: unknown field 'rat' (did you mean 'rate'?)"),
            (["validate", typo], "typo.yaml:3: websocket.rat: unknown field 'rat'"),
            (["run", flow, "-n", "1"], "flow.yaml:3: scenarios.chat.websocket: WebSocket is not available in scenarios"),
            (["run", http, "-n", "1", "--ws-binary"], "--ws-binary: only for WebSocket runs"),
            (["run", Self.example, "-e", wsBase, "-n", "1", "--body", "x"], "--body: not for WebSocket runs"),
            (["run", Self.example, "-e", wsBase, "-n", "1", "--max-connection-age", "5s"], "--max-connection-age: not for WebSocket runs"),
            (["run", Self.example, "-e", wsBase, "-n", "1", "--ws-messages", "0"], "--ws-messages '0'"),
            (["run", Self.example, "-e", wsBase, "-n", "1", "--rate", "5"], "--rate: a WebSocket open model opens connections at this rate; give --ws-messages N"),
        ]
        for (args, expected) in cases {
            let out = try BarrageBinary.run(args, timeout: 20, environment: Libcurl8.environment ?? [:])
            XCTAssertEqual(out.status, 2, "\(args): \(out.stderr)")
            XCTAssertEqual(out.stderr.split(separator: "\n").count, 1, "\(args): \(out.stderr)")
            XCTAssertTrue(out.stderr.contains(expected), "\(args): expected '\(expected)' in \(out.stderr)")
        }
        XCTAssertEqual(try statsCounts(port: port)["requests"], 1, "nothing was sent (only the /stats request)")
    }

}
