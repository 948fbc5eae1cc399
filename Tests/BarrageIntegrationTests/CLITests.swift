import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer

/// The built binary: exit codes, one-line errors, the JSON file, signals.
final class CLITests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws { tmp = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    private func startServer() throws -> (BarrageBinary.Running, String) { try BarrageBinary.startServer() }

    private func stats(_ base: String) throws -> Int {
        let data = Data(try httpGet(base + "/stats").body.utf8)
        let obj = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return obj["requests"] as! Int
    }

    /// Polls the server's count every 20 ms (for up to 30 s) until the run's requests — the count less the polls, which
    /// the server counts too — reach `requests`. Returns the number of polls. Used instead of a fixed sleep before a
    /// signal, which a slow start of the process can outlast.
    private func waitForRequests(_ base: String, atLeast requests: Int) throws -> Int {
        var polls = 0
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let seen = try stats(base)
            polls += 1
            if seen - polls >= requests { return polls }
            usleep(20_000)
        }
        XCTFail("the server did not see \(requests) requests within 30 s")
        return polls
    }

    func testRunWritesTheResultAndMatchesTheServer() throws {
        let (server, base) = try startServer()
        defer { server.signal(SIGTERM); _ = server.wait(timeout: 5) }
        let json = tmp.appendingPathComponent("result.json").path
        let out = try BarrageBinary.run(["run", base + "/", "-c", "8", "-n", "500", "--json", json], timeout: 60)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("500 total · 500 ok"), out.stdout)
        let result = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(result.requests.total, 500)
        XCTAssertEqual(result.plan.concurrency, 8)
        // The server also counted the /stats request we are about to make.
        XCTAssertEqual(try stats(base), 500 + 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.appendingPathComponent(".result.json.tmp-\(out.status)").path))
    }

    func testSigintStopsTheRunWritesTheJSONAndExits130() throws {
        let (server, base) = try startServer()
        defer { server.signal(SIGTERM); _ = server.wait(timeout: 5) }
        let json = tmp.appendingPathComponent("interrupted.json").path
        let run = try BarrageBinary.start(["run", base + "/delay/50", "-c", "4", "-d", "60s", "--json", json])
        // A fifth request means a worker's first one finished: there is something to report.
        let polls = try waitForRequests(base, atLeast: 5)
        run.signal(SIGINT)
        let out = run.wait(timeout: 30)
        XCTAssertEqual(out.status, 130, out.stderr)
        let result = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        // The run had a minute to go; on its own clock it ended before that (a wall-clock bound on how soon after the
        // signal would also count how long a loaded machine took to schedule the process).
        XCTAssertLessThan(result.duration_us, 60_000_000, "stopped on the signal")
        XCTAssertTrue(result.interrupted)
        XCTAssertGreaterThan(result.requests.ok, 0)
        XCTAssertEqual(result.requests.total, result.requests.ok + result.requests.failed + result.requests.dropped)
        XCTAssertEqual(try stats(base), result.requests.total + polls + 1)
    }

    func testASecondSignalCutsTheGraceShortAndStillWritesTheJSON() throws {
        let (server, base) = try startServer()
        defer { server.signal(SIGTERM); _ = server.wait(timeout: 5) }
        let json = tmp.appendingPathComponent("cut.json").path
        // Requests that would take 10 s: the first signal waits for them (up to 5 s), the second cuts them short.
        let run = try BarrageBinary.start(["run", base + "/delay/10000", "-c", "4", "-d", "60s", "--json", json])
        _ = try waitForRequests(base, atLeast: 4) // every worker's request is in flight
        run.signal(SIGINT)
        let signalled = Date()
        usleep(500_000)
        run.signal(SIGTERM)
        let out = run.wait(timeout: 30)
        XCTAssertEqual(out.status, 130, out.stderr)
        let result = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        // Without the second signal the run would end when the 5 s grace after the first runs out (cutting the 10 s
        // requests then): on the run's own clock (its start plus its duration; not the wall clock of this test, which
        // also counts writing the JSON and the process's exit) it ended before that.
        let endedMillis = Double(result.started_epoch_ms) + Double(result.duration_us) / 1_000
        XCTAssertLessThan(endedMillis, signalled.timeIntervalSince1970 * 1_000 + 5_000, "not the 5 s grace, not the 10 s requests")
        XCTAssertTrue(result.interrupted)
        XCTAssertEqual(result.errors, ["other": 4], "requests cut short are failed, class other")
        XCTAssertEqual(result.requests.total, 4)
    }

    func testUsageErrorsAreOneLineAndExit2() throws {
        let cases: [([String], String)] = [
            (["run", "http://127.0.0.1:1/", "-d", "10x"], "--duration '10x'"),
            (["run", "http://127.0.0.1:1/", "--timeout", "soon"], "--timeout 'soon'"),
            (["run", "ftp://127.0.0.1/"], "URL 'ftp://127.0.0.1/'"),
            (["run", "not a url"], "URL"),
            (["run", "http://127.0.0.1:1/", "-c", "0"], "--concurrency '0'"),
            (["run", "http://127.0.0.1:1/", "-n", "0"], "--requests '0'"),
            (["run", "http://127.0.0.1:1/", "-d", "-1s"], "--duration '-1s'"),
            (["run", "http://127.0.0.1:1/", "-q", "100"], "--rate"),
            (["help", "bogus"], "bogus"),
            (["run", "http://127.0.0.1:1/", "-H", "NoColon"], "--header 'NoColon'"),
            (["run", "http://127.0.0.1:1/", "--body", "a", "--body-file", "/x"], "--body"),
            (["run", "http://127.0.0.1:1/", "--body-file", "/nonexistent/file"], "--body-file /nonexistent/file"),
            (["run", "http://127.0.0.1:1/", "--bogus"], "--bogus"),
            (["run", "http://127.0.0.1:1/", "-c", "many"], "many"),
            (["run"], "url"),
            (["frobnicate"], "frobnicate"),
            (["serve", "--port", "70000"], "--port '70000'"),
        ]
        for (args, needle) in cases {
            let out = try BarrageBinary.run(args, timeout: 20)
            XCTAssertEqual(out.status, 2, "\(args): \(out.stderr)")
            let lines = out.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(args): \(out.stderr)")
            XCTAssertTrue(out.stderr.hasPrefix("barrage: error: "), out.stderr)
            XCTAssertTrue(out.stderr.contains(needle), "\(args): \(out.stderr)")
            XCTAssertEqual(out.stdout, "", "nothing run for \(args)")
        }
    }

    func testUnwritableOutputFailsBeforeTheRun() throws {
        let out = try BarrageBinary.run(["run", "http://127.0.0.1:1/", "-n", "1", "--json", "/nonexistent-dir/r.json"], timeout: 20)
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains("/nonexistent-dir"), out.stderr)
        XCTAssertEqual(out.stdout, "", "nothing was sent")
    }

    func testBadURLsAreExit2AndNothingIsSent() throws {
        let (server, base) = try startServer()
        defer { server.signal(SIGTERM); _ = server.wait(timeout: 5) }
        let port = base.split(separator: ":").last!.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let profile = tmp.appendingPathComponent("spaced.yaml").path
        try "targets: [{ url: \"${BASE}/a b\" }]\nload: { model: closed, stages: [{ duration: 1s, concurrency: 2 }] }\n"
            .write(toFile: profile, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["run", base + "/a b", "-c", "2", "-d", "500ms"], "URL '\(base)/a b': contains a space (write %20)"),
            (["run", "http://127.0.0.1:99999\(port)/", "-c", "2", "-d", "500ms"], "port 99999\(port) is out of range (1-65535)"),
            (["run", profile, "-e", "BASE=\(base)"], "spaced.yaml:1: targets[0].url: '\(base)/a b': contains a space (write %20)"),
            (["validate", profile, "-e", "BASE=http://127.0.0.1:99999"], "targets[0].url: 'http://127.0.0.1:99999/a b': contains a space"),
        ]
        for (args, needle) in cases {
            let out = try BarrageBinary.run(args, timeout: 20)
            XCTAssertEqual(out.status, 2, "\(args): \(out.stderr)")
            XCTAssertEqual(out.stderr.split(separator: "\n").count, 1, out.stderr)
            XCTAssertTrue(out.stderr.contains(needle), "\(args): \(out.stderr)")
            XCTAssertEqual(out.stdout, "")
        }
        XCTAssertEqual(try stats(base), 1, "the server saw only this /stats request")
    }

    func testJSONOnStandardOutputMovesTheSummaryToStderr() throws {
        let (server, base) = try startServer()
        defer { server.signal(SIGTERM); _ = server.wait(timeout: 5) }
        let out = try BarrageBinary.run(["run", base + "/", "-c", "2", "-n", "20", "--json", "-"], timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        let result = try RunResult.decode(Data(out.stdout.utf8))
        XCTAssertEqual(result.requests.total, 20)
        XCTAssertTrue(out.stderr.contains("20 total · 20 ok"), out.stderr)
        XCTAssertTrue(out.stderr.contains("  load "), "the plan block too: \(out.stderr)")
        let two = try BarrageBinary.run(["run", base + "/", "-n", "1", "--json", "-", "--csv", "-"], timeout: 20)
        XCTAssertEqual(two.status, 2, two.stderr)
        XCTAssertTrue(two.stderr.contains("--json and --csv"), two.stderr)
    }

    func testBusyPortsAreOneLineWithoutLibraryInternals() throws {
        let (server, base) = try startServer()
        defer { server.signal(SIGTERM); _ = server.wait(timeout: 5) }
        let port = String(base.split(separator: ":").last!)
        let serve = try BarrageBinary.run(["serve", "--port", port], timeout: 20)
        XCTAssertEqual(serve.status, 1, serve.stderr)
        XCTAssertEqual(serve.stderr, "barrage: error: serve: cannot listen on 127.0.0.1:\(port) (address already in use)\n")
        let metrics = try BarrageBinary.run(["run", base + "/", "-n", "1", "--metrics-addr", "127.0.0.1:\(port)"], timeout: 20)
        XCTAssertEqual(metrics.status, 1, metrics.stderr)
        XCTAssertTrue(metrics.stderr.hasSuffix("barrage: error: --metrics-addr 127.0.0.1:\(port): cannot listen (address already in use)\n"), metrics.stderr)
        XCTAssertEqual(metrics.stderr.split(separator: "\n").count, 1, metrics.stderr)
        XCTAssertEqual(try stats(base), 1, "nothing sent")
    }

    func testTooFewDescriptorsIsAClearError() throws {
        let out = try BarrageBinary.run(["run", "http://127.0.0.1:1/", "-c", "900000", "-n", "1"], timeout: 20)
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains("file descriptors"), out.stderr)
    }

    func testHelpAndVersionExit0() throws {
        let help = try BarrageBinary.run(["run", "--help"], timeout: 20)
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("--concurrency"))
        XCTAssertTrue(help.stdout.contains("Examples"))
        let version = try BarrageBinary.run(["--version"], timeout: 20)
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.stdout.contains("barrage"))
    }

    func testUnreachableTargetCompletesWritesTheResultAndExits1() throws {
        // A run with no ok response measured nothing: it still writes everything, then exits 1 naming what happened.
        let json = tmp.appendingPathComponent("refused.json").path
        let out = try BarrageBinary.run(["run", "http://127.0.0.1:9/", "-c", "2", "-n", "6", "--json", json], timeout: 30)
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertEqual(out.stderr, "barrage: error: no ok response: every request failed to connect to 127.0.0.1:9\n")
        let summary = out.stdout.components(separatedBy: "\n").drop { !$0.hasPrefix("no ok response") }
        XCTAssertEqual(summary.first, "no ok response: every request failed to connect to 127.0.0.1:9", out.stdout)
        let result = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(Set(result.errors.keys), ["connect"])
        XCTAssertEqual(result.requests.ok, 0)
    }
}

/// Nothing lost: a full disk names the path, exits 1, and leaves an older file whole.
final class DiskFullTests: XCTestCase {
    func testAFullDiskKeepsTheOlderFileAndNamesThePath() throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root") }
        let dir = try makeTemporaryDirectory()
        defer { _ = shell(["umount", dir.path]); try? FileManager.default.removeItem(at: dir) }
        guard shell(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", dir.path]) == 0 else { throw XCTSkip("cannot mount tmpfs here") }
        let report = dir.appendingPathComponent("report.html").path
        try "older report\n".write(toFile: report, atomically: false, encoding: .utf8)
        let server = try TargetServer.start(host: "127.0.0.1", port: 0)
        defer { try? server.shutdown() }
        // The HTML report (well over 12 KB) cannot fit; the writability probe before the run still passes.
        let out = try BarrageBinary.run(["run", server.baseURL + "/", "-c", "2", "-n", "200", "--html", report], timeout: 60)
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertTrue(out.stderr.contains(report), out.stderr)
        XCTAssertTrue(out.stdout.contains("200 total"), "the summary was printed before the write failed")
        XCTAssertEqual(try String(contentsOfFile: report, encoding: .utf8), "older report\n", "the older file is intact")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [], "no temporary file left behind")
    }

    @discardableResult
    private func shell(_ args: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
