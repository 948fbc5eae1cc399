import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer

/// A WebSocket run while it lasts, end to end on libcurl 8 (skipped with a line without it): its progress lines show
/// the messages, and `--csv` has their columns. Runs are bounded (`-d`); nothing is asserted about speed.
final class WebSocketLiveTests: WebSocketEndToEndCase {
    func testProgressLinesAndTheCSVShowTheMessages() throws {
        let json = tmp.appendingPathComponent("ws.json").path
        let csv = tmp.appendingPathComponent("ws.csv").path
        let out = try BarrageBinary.run(["run", "ws://127.0.0.1:\(server!.port)/ws?delay_ms=2", "-c", "4", "--ws-rate", "20",
                                         "-d", "2500ms", "--progress-interval", "500ms", "--json", json, "--csv", csv, "--threads", "2"],
                                        timeout: 60, environment: environment)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try RunResult.decode(Data(contentsOf: URL(fileURLWithPath: json)))
        let m = try XCTUnwrap(r.messages)
        // Not a terminal: calm lines, each with the messages' columns after the handshakes'.
        let lines = out.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }
        XCTAssertGreaterThanOrEqual(lines.count, 1, out.stderr)
        for line in lines {
            for part in ["req/s", " msg/s · connections open ", " · answered ", " · msg failed ", " · msg dropped ", " · msg p50 "] {
                XCTAssertTrue(line.contains(part), "\(part) in \(line)")
            }
        }
        XCTAssertFalse(out.stderr.contains("\u{1B}"), "no escape codes off a terminal")
        // The last line's answered count is at most the run's (the lines show the run so far).
        let answered = lines.compactMap { line -> Int? in
            guard let r = line.range(of: " · answered ") else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber || $0 == "," }.replacingOccurrences(of: ",", with: ""))
        }
        XCTAssertEqual(answered.count, lines.count)
        XCTAssertEqual(answered, answered.sorted(), "counts only grow")
        XCTAssertLessThanOrEqual(answered.last ?? 0, m.answered)
        // The CSV's message columns add up to the messages that ended (answered or failed), as the JSON's timeline.
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = try XCTUnwrap(rows.first).map(String.init)
        XCTAssertEqual(Array(header.suffix(2)), ["messages", "messages_failed"])
        let column = try XCTUnwrap(header.firstIndex(of: "messages"))
        let ended = rows.dropFirst().reduce(0) { $0 + (Int($1[column]) ?? 0) }
        XCTAssertEqual(ended, m.answered + m.failed)
        XCTAssertEqual(ended, r.timeline.reduce(0) { $0 + ($1.messages ?? 0) })
    }

    func testThePanelOnATerminalShowsTheMessages() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("script(1) is not installed") }
        let log = tmp.appendingPathComponent("tty.log")
        let args = ["run", "ws://127.0.0.1:\(server!.port)/ws?delay_ms=2", "-c", "4", "--ws-rate", "20", "-d", "1500ms", "--color", "never"]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qfc", ([BarrageBinary.path] + args).map { "'\($0)'" }.joined(separator: " "), log.path]
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        let screen = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        for label in ["msg rate  ", " msg/s · connections open ", "messages  answered ", "msg lat.  p50 "] {
            XCTAssertTrue(screen.contains(label), "\(label) in \(screen)")
        }
        XCTAssertTrue(screen.contains("\u{1B}[10A"), "a WebSocket run's panel is redrawn as ten lines")
        XCTAssertNotNil(screen.range(of: "Messages "), "the summary follows the panel")
    }
}
