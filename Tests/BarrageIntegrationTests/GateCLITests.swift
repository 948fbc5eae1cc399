import XCTest
import BarrageCore
import BarrageTestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Thresholds, abort-on-fail, JUnit/Markdown outputs and `compare`, through the built binary.
final class GateCLITests: XCTestCase {
    var tmp: URL!
    var server: BarrageBinary.Running!
    var base = ""

    override func setUpWithError() throws {
        tmp = try makeTemporaryDirectory()
        (server, base) = try BarrageBinary.startServer()
    }

    override func tearDownWithError() throws {
        server.signal(SIGTERM)
        _ = server.wait(timeout: 5)
        try? FileManager.default.removeItem(at: tmp)
    }

    private func path(_ name: String) -> String { tmp.appendingPathComponent(name).path }

    func testFailingThresholdExits99AndPassingExits0() throws {
        let junit = path("j.xml"), md = path("s.md"), json = path("r.json")
        let fail = try BarrageBinary.run(["run", base + "/delay/50", "-c", "4", "-d", "1s", "--threshold", "p99<10ms",
                                          "--threshold", "error_rate < 1%", "--junit", junit, "--summary-md", md, "--json", json], timeout: 30)
        XCTAssertEqual(fail.status, 99, fail.stderr)
        XCTAssertTrue(fail.stdout.contains("✗ p99<10ms"), fail.stdout)
        XCTAssertTrue(fail.stdout.contains("✓ error_rate < 1%"), fail.stdout)
        let result = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(result.thresholds.map(\.ok), [false, true])
        XCTAssertEqual(result.thresholds[0].metric, "latency_us.p99")
        XCTAssertEqual(result.thresholds[0].limit, 10_000)
        XCTAssertGreaterThan(result.thresholds[0].actual ?? 0, 50_000)
        // JUnit parses, with one testcase per threshold and one failure.
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        XCTAssertTrue(XMLParser(data: Data(xml.utf8)).parse())
        XCTAssertTrue(xml.contains("tests=\"2\" failures=\"1\""), xml)
        XCTAssertTrue(try String(contentsOfFile: md, encoding: .utf8).contains("| "))

        let pass = try BarrageBinary.run(["run", base + "/delay/50", "-c", "4", "-d", "1s", "--threshold", "p99<5s"], timeout: 30)
        XCTAssertEqual(pass.status, 0, pass.stderr)
    }

    func testAbortOnFailStopsEarlyAndStillWritesTheJSON() throws {
        let json = path("abort.json")
        let out = try BarrageBinary.run(["run", base + "/delay/50", "-c", "4", "-d", "60s", "--threshold", "p99<10ms",
                                         "--abort-on-fail", "--json", json], timeout: 40)
        XCTAssertEqual(out.status, 99, out.stderr)
        let result = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        // On the run's own clock (not the wall clock, which adds process start on a loaded machine): stopped before
        // the 60 s it would otherwise run.
        XCTAssertLessThan(result.duration_us, 60_000_000, "stopped before 60 s")
        XCTAssertNotNil(result.aborted_by)
        XCTAssertGreaterThan(result.requests.ok, 0)
        XCTAssertEqual(result.requests.total, result.requests.ok + result.requests.failed + result.requests.dropped)
    }

    /// Writes a two-target, two-stage closed profile with one abort-on-fail threshold and runs it.
    private func runScopedAbort(_ threshold: String, file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let profile = path("scoped.yaml"), json = path("scoped.json")
        try """
        name: scoped-abort
        targets:
          - { name: good, url: "\(base)/delay/5", weight: 1 }
          - { name: bad, url: "\(base)/status/503", weight: 1 }
        load:
          model: closed
          start_concurrency: 4
          stages:
            - { duration: 2s, concurrency: 4 }
            - { duration: 30s, concurrency: 4 }
        thresholds:
          - { expr: "\(threshold)", abort_on_fail: true }
        """.write(toFile: profile, atomically: true, encoding: .utf8)
        let out = try BarrageBinary.run(["run", profile, "--json", json, "--quiet"], timeout: 60)
        XCTAssertEqual(out.status, 99, out.stderr, file: file, line: line)
        let result = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertTrue(result.aborted_by?.contains(threshold) == true, "\(result.aborted_by ?? "nil")", file: file, line: line)
        XCTAssertTrue(result.interrupted, file: file, line: line)
        // The stages end at 32 s: a run that was not stopped lasts at least that long.
        XCTAssertLessThan(result.duration_us, 32_000_000, "stopped before the second stage's end", file: file, line: line)
        XCTAssertEqual(result.requests.total, result.requests.ok + result.requests.failed + result.requests.dropped,
                       file: file, line: line)
        return result
    }

    /// A gate scoped to one target stops the run: the in-run result has the per-target sections the final one has.
    func testAbortOnFailScopedToATarget() throws {
        let r = try runScopedAbort("target:bad error_rate < 1%")
        XCTAssertGreaterThan(r.targets["bad"]?.requests.failed ?? 0, 0)
    }

    /// A gate scoped to a stage stops the run; a rate scoped to a stage is judged only once that stage has ended (an
    /// impossible rate for stage 1 must not fire during stage 1, when its seconds are not all in).
    func testAbortOnFailScopedToAStage() throws {
        let early = try runScopedAbort("stage:1 error_rate < 1%")
        XCTAssertEqual(early.stages.first?.stage, 1)
        let rate = try runScopedAbort("stage:1 rps >= 1000000")
        XCTAssertGreaterThanOrEqual(rate.duration_us, 2_000_000, "judged after stage 1 ended")
    }

    func testAServiceAnswering503Exits1AndAFailedThresholdStill99() throws {
        // Every response an error status (a dead service behind a load balancer): measured nothing, exit 1.
        let json = path("503.json")
        let dead = try BarrageBinary.run(["run", base + "/status/503", "-c", "2", "-n", "20", "--json", json], timeout: 30)
        XCTAssertEqual(dead.status, 1, dead.stderr)
        XCTAssertEqual(dead.stderr, "barrage: error: no ok response: every response was an error status (503: 20)\n")
        // The summary's first line, right above its heading (after the plan block printed before the run, which
        // names the run once: the summary does not repeat the version, the URL and the load).
        let lines = dead.stdout.components(separatedBy: "\n")
        let first = try XCTUnwrap(lines.firstIndex(of: "no ok response: every response was an error status (503: 20)"), dead.stdout)
        XCTAssertEqual(lines[first + 1], "Result", dead.stdout)
        XCTAssertEqual(lines.filter { $0.hasPrefix("Barrage ") }.count, 1, dead.stdout)
        XCTAssertFalse(dead.stdout.contains("req/s"), dead.stdout)
        XCTAssertEqual(try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json))).status_codes, ["503": 20])

        // Precedence: a failed threshold (99) before no ok response (1).
        let gated = try BarrageBinary.run(["run", base + "/status/503", "-c", "2", "-n", "20", "--threshold", "error_rate < 1%"], timeout: 30)
        XCTAssertEqual(gated.status, 99, gated.stderr)
        XCTAssertTrue(gated.stdout.contains("✗ error_rate < 1%"), gated.stdout)
        XCTAssertEqual(gated.stderr, "", "the exit code says it; no second verdict")
        // A threshold that passes does not make a run that measured nothing pass.
        let passing = try BarrageBinary.run(["run", base + "/status/503", "-c", "2", "-n", "20", "--threshold", "status_5xx < 1000"], timeout: 30)
        XCTAssertEqual(passing.status, 1, passing.stderr)
        XCTAssertTrue(passing.stdout.contains("✓ status_5xx < 1000"), passing.stdout)

        // One ok response is a measurement: /fault/ratio answers 503 to half of the requests and 200 to the rest.
        let half = try BarrageBinary.run(["run", base + "/fault/ratio?p=0.5", "-c", "1", "-n", "10"], timeout: 30)
        XCTAssertEqual(half.status, 0, half.stderr)
        XCTAssertFalse(half.stdout.contains("no ok response"), half.stdout)
    }

    func testAnAbortByAThresholdSaysSoInTheSummary() throws {
        let out = try BarrageBinary.run(["run", base + "/delay/50", "-c", "2", "-d", "30s", "--threshold", "p99 < 10ms",
                                         "--abort-on-fail", "--quiet"], timeout: 40)
        XCTAssertEqual(out.status, 99, out.stderr)
        let header = out.stdout.components(separatedBy: "\n").prefix(3).joined(separator: "\n")
        XCTAssertTrue(header.contains("aborted by threshold 'p99 < 10ms'"), out.stdout)
        XCTAssertFalse(out.stdout.contains("INTERRUPTED"), out.stdout)
    }

    func testBadThresholdsAreUsageErrors() throws {
        for expr in ["p99 < 10 parsecs", "p100 < 1s", "target:nope p99 < 1s", "stage:2 rps > 1", "error_rate <"] {
            let out = try BarrageBinary.run(["run", base + "/", "-n", "1", "--threshold", expr], timeout: 20)
            XCTAssertEqual(out.status, 2, expr)
            XCTAssertTrue(out.stderr.contains(expr), out.stderr)
            XCTAssertEqual(out.stdout, "", "nothing ran for \(expr)")
        }
    }

    func testCompareGatesARegressionAndNotNoise() throws {
        let a = path("a.json"), b = path("b.json"), c = path("c.json")
        // The server's delay dominates each latency, so a loaded machine's extra milliseconds stay small against it:
        // b's p99 would need +300 ms to pass the 300 % gate, and a's p99 over 360 ms to hide c's 4× slowdown (c's
        // latencies are ≥ 400 ms on any machine). With 20 ms and 40 ms, a few requests 16 ms late in a could hide it.
        XCTAssertEqual(try BarrageBinary.run(["run", base + "/delay/100", "-c", "4", "-d", "4s", "--json", a, "--quiet"], timeout: 30).status, 0)
        XCTAssertEqual(try BarrageBinary.run(["run", base + "/delay/100", "-c", "4", "-d", "4s", "--json", b, "--quiet"], timeout: 30).status, 0)
        XCTAssertEqual(try BarrageBinary.run(["run", base + "/delay/400", "-c", "4", "-d", "4s", "--json", c, "--quiet"], timeout: 30).status, 0)
        let same = try BarrageBinary.run(["compare", a, b, "--max-regression", "p99=300%", "--max-regression", "rps=80%"], timeout: 30)
        XCTAssertEqual(same.status, 0, same.stdout)
        let slower = try BarrageBinary.run(["compare", a, c, "--max-regression", "p99=10%", "--junit", path("cmp.xml"),
                                            "--html", path("cmp.html"), "--json", path("cmp.json")], timeout: 30)
        XCTAssertEqual(slower.status, 99, slower.stdout)
        XCTAssertTrue(slower.stdout.contains("regression"), slower.stdout)
        XCTAssertTrue(XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path("cmp.xml")))).parse())
        // The HTML page: well-formed, both runs on each chart, the table's numbers as the JSON has them, the verdict.
        let page = try String(contentsOfFile: path("cmp.html"), encoding: .utf8)
        XCTAssertTrue(XMLParser(data: Data(page.utf8)).parse(), "well-formed")
        for chart in ["spectrum", "rps", "latency"] { XCTAssertTrue(page.contains("data-chart=\"\(chart)\""), chart) }
        XCTAssertTrue(page.contains("base: a.json") && page.contains("new: c.json"), "the spectrum's legend names both runs")
        XCTAssertTrue(page.contains(">FAIL<"), "a gate failed")
        let comparison = try JSONDecoder().decode(Comparison.self, from: Data(contentsOf: URL(fileURLWithPath: path("cmp.json"))))
        let p99 = try XCTUnwrap(comparison.metrics.first { $0.metric == .p99 })
        XCTAssertEqual(p99.verdict, .regression)
        XCTAssertTrue(page.contains("<tr data-metric=\"p99\"><td data-label=\"metric\">p99</td><td data-label=\"base\" class=\"num\">\(Comparison.format(.p99, p99.base))</td><td data-label=\"new\" class=\"num\">\(Comparison.format(.p99, p99.new))</td>"),
                      "the p99 row")
        let wrong = try BarrageBinary.run(["compare", a, "/etc/hostname"], timeout: 20)
        XCTAssertEqual(wrong.status, 2)
        let badGate = try BarrageBinary.run(["compare", a, b, "--max-regression", "p98=1%"], timeout: 20)
        XCTAssertEqual(badGate.status, 2)
    }
}
