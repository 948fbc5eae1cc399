import XCTest
import BarrageCore
import BarrageTestSupport

/// `barrage run ws://…`: what is refused before anything is sent — a libcurl without WebSocket support (Debian 12's
/// 7.88.1) and the flag combinations a WebSocket run does not take — each one line on stderr and exit 2.
final class WebSocketCLITests: XCTestCase {
    func testRefusedOnALibcurlWithoutWebSocket() throws {
        let port = try freeLoopbackPort()
        let libcurl = try BarrageBinary.run(["version", "--verbose"], timeout: 20, environment: Libcurl8.systemEnvironment)
        let protocols = libcurl.stdout.split(separator: "\n").first { $0.hasPrefix("protocols:") } ?? ""
        if protocols.split(separator: " ").contains("ws") {
            throw XCTSkip("the system's libcurl has WebSocket support: nothing to refuse")
        }
        let out = try BarrageBinary.run(["run", "ws://127.0.0.1:\(port)/ws", "-n", "10"], timeout: 20,
                                        environment: Libcurl8.systemEnvironment)
        XCTAssertEqual(out.status, 2, out.stderr)
        let lines = out.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains("ws:// and wss:// need a libcurl with WebSocket support"), out.stderr)
        XCTAssertTrue(out.stderr.contains("the loaded one is 7."), out.stderr)
        XCTAssertTrue(out.stderr.contains("bookworm-backports"), out.stderr)
        XCTAssertEqual(out.stdout, "", "nothing was sent, no plan printed")
    }

    func testBadCombinationsAreOneLineAndExitTwo() throws {
        let url = "ws://127.0.0.1:1/ws"
        let cases: [([String], String)] = [
            ([url, "--rate", "10", "-d", "1s"], "--rate: a WebSocket open model opens connections at this rate; give --ws-messages N"),
            ([url, "--rate", "10", "-n", "100", "--ws-messages", "2"], "--rate: a WebSocket open model needs -d DURATION"),
            ([url, "--rate", "10", "-d", "1s", "--ws-messages", "2", "-c", "5"], "--concurrency: the open model"),
            ([url, "--ramp-concurrency", "0->2:1s"], "--ramp-concurrency:"),
            ([url, "--body", "x"], "--body: not for WebSocket runs"),
            ([url, "--http", "2"], "--http: not for WebSocket runs"),
            ([url, "--preconnect"], "--preconnect: not for WebSocket runs"),
            // Flags the WebSocket engine would not apply: refused, not ignored.
            ([url, "--local-address", "127.0.0.1"], "--local-address: not for WebSocket runs"),
            ([url, "--max-connection-age", "5s"], "--max-connection-age: not for WebSocket runs"),
            ([url, "--buffer-size", "64k"], "--buffer-size: not for WebSocket runs"),
            ([url, "--engine-mode", "perform"], "--engine-mode: not for WebSocket runs"),
            ([url, "--pacer-quantum", "1ms"], "--pacer-quantum: not for WebSocket runs"),
            ([url, "-c", "2", "--max-lateness", "1s"], "--max-lateness: only for the open model"),
            ([url, "--ws-answer", "nope"], "--ws-answer 'nope': expected echo, any or match:REGEX"),
            ([url, "--ws-answer", "match:("], "--ws-answer 'match:(': not a regular expression"),
            ([url, "--ws-rate", "0"], "--ws-rate '0'"),
            ([url, "--ws-messages", "0"], "--ws-messages '0'"),
            ([url, "--ws-message", "@/nonexistent/file"], "--ws-message @/nonexistent/file: cannot read the file"),
            (["http://127.0.0.1:1/", "--ws-binary"], "--ws-binary: only for WebSocket runs"),
            (["ws://127.0.0.1:99999/ws"], "URL 'ws://127.0.0.1:99999/ws'"),
        ]
        for (args, expected) in cases {
            let out = try BarrageBinary.run(["run"] + args, timeout: 20, environment: Libcurl8.environment ?? [:])
            XCTAssertEqual(out.status, 2, "\(args): \(out.stderr)")
            XCTAssertEqual(out.stderr.split(separator: "\n").count, 1, "\(args): \(out.stderr)")
            XCTAssertTrue(out.stderr.contains(expected), "\(args): expected '\(expected)' in \(out.stderr)")
        }
    }

    func testHelpGroupsTheWebSocketFlags() throws {
        let out = try BarrageBinary.run(["run", "--help"], timeout: 20)
        XCTAssertTrue(out.stdout.contains("WEBSOCKET (WS:// AND WSS://; NEEDS LIBCURL 8):") || out.stdout.contains("WebSocket (ws:// and wss://; needs libcurl 8)"), out.stdout)
        for flag in ["--ws-message", "--ws-binary", "--ws-size", "--ws-rate", "--ws-messages", "--ws-answer"] {
            XCTAssertTrue(out.stdout.contains(flag), flag)
        }
    }
}
