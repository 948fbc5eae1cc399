import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer

/// What a person sees while a run lasts: the live panel on a terminal, calm lines elsewhere, live metrics,
/// completions and the man page.
final class LiveCLITests: XCTestCase {
    var server: TargetServer!

    override func setUpWithError() throws { server = try TargetServer.start(host: "127.0.0.1", port: 0) }
    override func tearDownWithError() throws { try server?.shutdown() }

    func testNotATerminalGivesPlainProgressLines() throws {
        let out = try BarrageBinary.run(["run", server.baseURL + "/delay/10", "-c", "4", "-d", "2500ms", "--progress-interval", "1s"], timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        let lines = out.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }
        XCTAssertGreaterThanOrEqual(lines.count, 1, out.stderr)
        XCTAssertTrue(lines.allSatisfy { $0.contains("req/s") && $0.contains("in flight") }, out.stderr)
        XCTAssertFalse(out.stderr.contains("\u{1B}"), "no escape codes off a terminal")
        XCTAssertFalse(out.stdout.contains("\u{1B}"))
        let quiet = try BarrageBinary.run(["run", server.baseURL + "/", "-c", "2", "-d", "1500ms", "--progress-interval", "500ms", "--quiet"], timeout: 30)
        XCTAssertFalse(quiet.stderr.contains("req/s"), "--quiet prints only the summary")
        XCTAssertFalse(quiet.stdout.contains("  load "), "--quiet skips the plan block")
    }

    /// Runs the binary in a pseudo-terminal with `script`, returning everything it drew.
    private func inTerminal(_ args: [String], environment: [String: String] = [:]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("script(1) is not installed") }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tty-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let command = ([BarrageBinary.path] + args).map { "'\($0)'" }.joined(separator: " ")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qfc", command, log.path]
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env.removeValue(forKey: "NO_COLOR")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    }

    func testTheLivePanelRendersOnATerminalAndEndsInTheSummary() throws {
        let screen = try inTerminal(["run", server.baseURL + "/delay/10", "-c", "4", "-d", "1500ms"])
        XCTAssertTrue(screen.contains("progress"), screen)
        XCTAssertTrue(screen.contains("Ctrl-C to stop"), screen)
        XCTAssertTrue(screen.contains("\u{1B}[2K"), "redrawn in place")
        XCTAssertTrue(screen.contains("\u{1B}[32m"), "colour on a terminal: ok counts in green")
        let summary = try XCTUnwrap(screen.range(of: "Requests "), "the summary follows the panel")
        XCTAssertGreaterThan(summary.lowerBound, screen.range(of: "progress")!.lowerBound)
        let plain = try inTerminal(["run", server.baseURL + "/", "-c", "2", "-d", "1s"], environment: ["NO_COLOR": "1"])
        XCTAssertTrue(plain.contains("progress"), plain)
        XCTAssertFalse(plain.contains("\u{1B}[32m") || plain.contains("\u{1B}[31m") || plain.contains("\u{1B}[1m"), "NO_COLOR")
    }

    func testMetricsEndpointServesPrometheusTextMidRun() throws {
        // A free port for the endpoint (another one when that was taken before the run listened).
        let (run, port) = try LoopbackPeer.startBarrage { ["run", self.server.baseURL + "/delay/20", "-c", "4", "-d", "3s",
                                                           "--metrics-addr", "127.0.0.1:\($0)", "--quiet"] }
        func samples(_ body: String) -> [String: Double] {
            var samples: [String: Double] = [:]
            for line in body.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                XCTAssertEqual(parts.count, 2, "sample line: \(line)")
                samples[String(parts[0])] = Double(parts[1])
            }
            return samples
        }
        // Scraped while the run lasts, once the endpoint answers and a second is in (the counters and histograms are
        // those of the closed seconds; the in-flight gauge is read from the engine threads at each scrape): polled
        // rather than after a fixed sleep, which a slow start of the process can outlast.
        var scrape: (status: Int, body: String)? = nil
        let deadline = Date().addingTimeInterval(30)
        while scrape == nil && run.process.isRunning && Date() < deadline {
            if let s = try? httpGet("http://127.0.0.1:\(port)/metrics"), (samples(s.body)["barrage_in_flight"] ?? 0) > 0,
               (samples(s.body)["barrage_requests_total{result=\"ok\"}"] ?? 0) > 10 {
                scrape = s
            } else {
                usleep(50_000)
            }
        }
        let out = run.wait(timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        let answer = try XCTUnwrap(scrape, "no scrape during the run showed requests in flight")
        XCTAssertEqual(answer.status, 200)
        let samples = samples(answer.body)
        XCTAssertGreaterThan(samples["barrage_requests_total{result=\"ok\"}"] ?? 0, 10)
        // The gauge at the scrape's instant: every worker's request, unless one was between two (a scheduling matter).
        XCTAssertTrue((1...4).contains(samples["barrage_in_flight"] ?? 0), "in flight: \(samples["barrage_in_flight"] ?? -1)")
        XCTAssertNotNil(samples["barrage_latency_seconds_bucket{le=\"+Inf\"}"])
        XCTAssertNotNil(samples["barrage_errors_total{class=\"timeout\"}"])
    }

    func testCompletionsManPageAndVersion() throws {
        for shell in ["bash", "zsh", "fish"] {
            let out = try BarrageBinary.run(["--generate-completion-script", shell], timeout: 20)
            XCTAssertEqual(out.status, 0, shell)
            XCTAssertTrue(out.stdout.contains("barrage"), shell)
            XCTAssertTrue(out.stdout.contains("scale"), "\(shell) completes subcommands")
        }
        let version = try BarrageBinary.run(["--version"], timeout: 20)
        XCTAssertEqual(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "barrage 0.1.0")
        let man = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/barrage.1")
        let text = try String(contentsOf: man, encoding: .utf8)
        for sub in ["run", "validate", "scale", "capacity", "demo", "compare", "merge", "report", "serve", "version"] {
            XCTAssertTrue(text.contains("Em \(sub)"), "man page lists \(sub)")
        }
        for sub in ["run", "validate", "scale", "capacity", "demo", "compare", "merge", "report", "serve", "version"] {
            let help = try BarrageBinary.run([sub, "--help"], timeout: 20)
            XCTAssertEqual(help.status, 0, sub)
            XCTAssertTrue(help.stdout.contains("Examples"), "\(sub) --help has examples")
        }
    }
}
