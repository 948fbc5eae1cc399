import Foundation
import XCTest
import BarrageCore
import BarrageMetricsServer
import BarrageTestSupport
@testable import BarrageCLI

/// `run --dashboard`: the server's streams (no browser), the flag's bad input, and the page in a real headless
/// Chromium (skipped, with a line saying so, when Debian's `chromium` is not installed; `.ci/run` installs it).
final class DashboardCLITests: XCTestCase {
    /// Reads a connection until `needle` has arrived (each read blocks at most the connection's 5 s timeout).
    private func read(_ c: BlockingHTTPConnection, until needle: String, into seen: inout String) throws {
        while !seen.contains(needle) {
            let bytes = try c.readSome()
            if bytes.isEmpty { throw HTTPTestError(description: "stream ended before \(needle): \(seen)") }
            seen += String(decoding: bytes, as: UTF8.self)
        }
    }

    private func openStream(_ port: Int) throws -> (BlockingHTTPConnection, String) {
        let c = try BlockingHTTPConnection(port: port)
        try c.send(Array("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".utf8))
        var seen = ""
        try read(c, until: "retry: 1000\n\n", into: &seen)
        return (c, seen)
    }

    func testTheServerServesThePageReplaysTheLatestEventsAndEndsStreamsWithTheLastOne() throws {
        let server = try DashboardServer.start(host: "127.0.0.1", port: 0, page: "<p>the page</p>")
        defer { server.shutdown() }
        let base = "http://127.0.0.1:\(server.port)"
        let page = try httpGet(base + "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.body, "<p>the page</p>")
        XCTAssertEqual(try httpGet(base + "/metrics").status, 404)
        XCTAssertEqual(try httpGet(base + "/nope").status, 404)
        let post = try BlockingHTTPConnection(port: server.port)
        try post.send(Array("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\nhi".utf8))
        XCTAssertEqual(try post.readResponse().status, 405)

        XCTAssertFalse(server.hasClients, "nothing to render for")
        var (first, seen) = try openStream(server.port)
        XCTAssertTrue(seen.contains("text/event-stream"), seen)
        XCTAssertTrue(server.hasClients, "registered before its first bytes were sent")
        let a1 = Dashboard.events([Dashboard.Fragment(id: "a", html: "one\ntwo")])
        server.publish(a1)
        try read(first, until: a1[0].text, into: &seen)
        let a2 = Dashboard.events([Dashboard.Fragment(id: "a", html: "three"), Dashboard.Fragment(id: "b", html: "four")])
        server.publish(a2)
        try read(first, until: a2[1].text, into: &seen)

        // A page opened later gets the latest of each at once, in order.
        var (second, seen2) = try openStream(server.port)
        try read(second, until: a2[1].text, into: &seen2)
        XCTAssertFalse(seen2.contains(a1[0].text), "the older 'a' is not replayed")
        XCTAssertLessThan(seen2.range(of: a2[0].text)!.lowerBound, seen2.range(of: a2[1].text)!.lowerBound)

        let last = ServerSentEvents.event("report", data: "{\"title\":\"t\",\"html\":\"done\"}")
        server.finish(last)
        for (c, text) in [(first, seen), (second, seen2)] {
            var s = text
            try read(c, until: last, into: &s)
            XCTAssertTrue(try c.readsEndOfStream(), "the stream ends with the run")
        }
        XCTAssertFalse(server.hasClients)
        server.publish(a1) // after the end: kept out
        var (late, seen3) = try openStream(server.port)
        try read(late, until: last, into: &seen3)
        XCTAssertFalse(seen3.contains("event: fragment"), seen3)
        XCTAssertTrue(try late.readsEndOfStream())
        let events = ServerSentEvents.parse(String(seen3[seen3.range(of: "retry: 1000\n\n")!.upperBound...]))
        XCTAssertEqual(events.last?.name, "report")
        _ = (first, second, late)
    }

    func testTheFlagStandsAloneOrTakesAnAddress() {
        let url = "http://127.0.0.1:1/"
        XCTAssertEqual(LiveOptions.normalizeDashboardFlag(["run", url, "--dashboard"]), ["run", url, "--dashboard", "127.0.0.1:0"])
        XCTAssertEqual(LiveOptions.normalizeDashboardFlag(["run", "--dashboard", url]), ["run", "--dashboard", "127.0.0.1:0", url])
        XCTAssertEqual(LiveOptions.normalizeDashboardFlag(["run", "--dashboard", "-n", "1", url]), ["run", "--dashboard", "127.0.0.1:0", "-n", "1", url])
        XCTAssertEqual(LiveOptions.normalizeDashboardFlag(["run", "--dashboard", "load.yaml"]), ["run", "--dashboard", "127.0.0.1:0", "load.yaml"])
        XCTAssertEqual(LiveOptions.normalizeDashboardFlag(["run", url, "--dashboard", "0.0.0.0:8089"]), ["run", url, "--dashboard", "0.0.0.0:8089"])
        XCTAssertEqual(LiveOptions.normalizeDashboardFlag(["run", url, "--dashboard", "[::1]:0"]), ["run", url, "--dashboard", "[::1]:0"])
        XCTAssertEqual(LiveOptions.normalizeDashboardFlag(["run", url, "--", "--dashboard"]), ["run", url, "--", "--dashboard"])
        XCTAssertEqual(LiveOptions.normalizeDashboardFlag(["run", url, "--dashboard=127.0.0.1:5"]), ["run", url, "--dashboard=127.0.0.1:5"])
    }

    func testBadAddressBusyPortAndLingerAloneAreOneLineExit2BeforeAnythingIsSent() throws {
        let (server, base) = try BarrageBinary.startServer()
        defer { server.signal(SIGTERM); _ = server.wait(timeout: 5) }
        let port = String(base.split(separator: ":").last!)
        let bad = try BarrageBinary.run(["run", base + "/", "-n", "1", "--dashboard", "localhost:http"], timeout: 20)
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertEqual(bad.stderr, "barrage: error: --dashboard 'localhost:http': expected HOST:PORT, e.g. 127.0.0.1:8089\n")
        let busy = try BarrageBinary.run(["run", base + "/", "-n", "1", "--dashboard", "127.0.0.1:\(port)"], timeout: 20)
        XCTAssertEqual(busy.status, 2, busy.stderr)
        XCTAssertTrue(busy.stderr.hasSuffix("barrage: error: --dashboard 127.0.0.1:\(port): cannot listen (address already in use)\n"), busy.stderr)
        XCTAssertEqual(busy.stderr.split(separator: "\n").count, 1, busy.stderr)
        // The port the system picked is printed even with --quiet; a chosen one is not.
        let quiet = try BarrageBinary.run(["run", base + "/", "-n", "1", "--quiet", "--dashboard", "127.0.0.1:0"], timeout: 20)
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertTrue(quiet.stderr.hasPrefix("dashboard at http://127.0.0.1:"), quiet.stderr)
        let linger = try BarrageBinary.run(["run", base + "/", "-n", "1", "--metrics-linger", "5s"], timeout: 20)
        XCTAssertEqual(linger.status, 2, linger.stderr)
        XCTAssertEqual(linger.stderr, "barrage: error: --metrics-linger needs --metrics-addr or --dashboard\n")
        let stats = try JSONSerialization.jsonObject(with: Data(try httpGet(base + "/stats").body.utf8)) as! [String: Any]
        XCTAssertEqual(stats["requests"] as? Int, 2, "nothing sent but the one request of the --quiet run and the poll itself")
    }

    /// Debian's chromium, when installed.
    static func chromium() -> String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs headless Chromium on `url` with `arguments` (bounded: killed after 90 s); its stdout.
    static func runChromium(_ chromium: String, _ arguments: [String], url: String, profile: URL) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                       "--user-data-dir=\(profile.path)"] + arguments + [url]
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let out = profile.appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(90)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        return (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    }

    /// A card's value in a page: `<div class="label">LABEL</div><div class="value" title="…">VALUE…`.
    static func card(_ label: String, in dom: String) -> String? {
        guard let start = dom.range(of: #"<div class="label">\#(label)</div><div class="value" title=""#) else { return nil }
        let rest = dom[start.upperBound...]
        guard let close = rest.range(of: "\">") else { return nil }
        let value = rest[close.upperBound...].prefix { $0 != "<" }
        return String(value)
    }

    func testChromiumShowsTheFinalReportWithTheJSONsNumbers() throws {
        guard let chromium = Self.chromium() else {
            print("DashboardCLITests: skipped, chromium is not installed (.ci/run installs it)")
            throw XCTSkip("chromium is not installed")
        }
        let (server, base) = try BarrageBinary.startServer()
        defer { server.signal(SIGTERM); _ = server.wait(timeout: 5) }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("out.json")
        let html = dir.appendingPathComponent("out.html")
        // `--dashboard` without an address: a free loopback port, printed even though it is not a terminal.
        let run = try BarrageBinary.start(["run", base + "/", "-c", "2", "-d", "3s", "--dashboard", "--metrics-linger", "120s",
                                           "--json", json.path, "--html", html.path, "--threshold", "p99 < 10s"])
        defer { if run.process.isRunning { run.signal(SIGKILL) } } // a failed check must not leave it lingering
        var address: String? = nil
        let deadline = Date().addingTimeInterval(30)
        while address == nil && Date() < deadline && run.process.isRunning {
            address = run.stderrSoFar.split(separator: "\n").first { $0.hasPrefix("dashboard at http://127.0.0.1:") }
                .map { String($0.dropFirst("dashboard at ".count)) }
            if address == nil { usleep(20_000) }
        }
        guard let address else {
            let out = run.wait(timeout: 5)
            return XCTFail("no dashboard line: \(out.stderr)")
        }
        // During the run: the stream carries fragments (how many depends on when this test got to it), then the report.
        let port = Int(address.split(separator: ":").last!.dropLast())!
        var (stream, seen) = try openStream(port)
        while !seen.contains("event: report") {
            let bytes = try stream.readSome()
            if bytes.isEmpty { break }
            seen += String(decoding: bytes, as: UTF8.self)
        }
        XCTAssertTrue(seen.contains("event: report"), "the run's end replaces the page: \(seen.suffix(300))")
        _ = stream

        // The result is written before the linger: the run has ended and its report is what the page gets now.
        var result: RunResult? = nil
        let written = Date().addingTimeInterval(30)
        // The JSON, then the HTML file: both are written before the linger starts.
        func htmlWritten() -> Bool { ((try? String(contentsOf: html, encoding: .utf8)) ?? "").hasSuffix("</html>\n") }
        while (result == nil || !htmlWritten()) && Date() < written {
            result = result ?? (try? Data(contentsOf: json)).flatMap { try? RunResult.decode($0) }
            if result == nil || !htmlWritten() { usleep(50_000) }
        }
        let r = try XCTUnwrap(result, "the JSON was written")
        // What the stream carried: fragments of known panels (as many as seconds passed with the stream open), then
        // the report, whose body holds the JSON's total.
        let events = ServerSentEvents.parse(String(seen[seen.range(of: "retry: 1000\n\n")!.upperBound...]))
        let fragments = try events.filter { $0.name == "fragment" }.map { try JSONDecoder().decode(Dashboard.Fragment.self, from: Data($0.data.utf8)) }
        XCTAssertTrue(fragments.allSatisfy { Dashboard.ids.contains($0.id) })
        print("DashboardCLITests: \(fragments.count / Dashboard.ids.count) seconds of fragments before the report")
        let report = try JSONDecoder().decode(Dashboard.Report.self, from: Data(try XCTUnwrap(events.last { $0.name == "report" }).data.utf8))
        XCTAssertEqual(Self.card("Requests", in: report.html), NumberFormat.grouped(r.requests.total))
        XCTAssertTrue(htmlWritten(), "--html still writes its file")

        let dom = try Self.runChromium(chromium, ["--dump-dom", "--virtual-time-budget=10000"], url: address,
                                       profile: dir.appendingPathComponent("chromium"))
        XCTAssertTrue(dom.contains(#"<body data-state="final">"#), "the report replaced the live page: \(dom.prefix(2000))")
        XCTAssertEqual(Self.card("Requests", in: dom), NumberFormat.grouped(r.requests.total), dom)
        XCTAssertEqual(Self.card("OK", in: dom), NumberFormat.grouped(r.requests.ok))
        XCTAssertEqual(Self.card("Failed", in: dom), NumberFormat.grouped(r.requests.failed))
        XCTAssertEqual(Self.card("p99", in: dom), DurationParser.format(micros: r.latency_us.p99))
        XCTAssertGreaterThan(r.requests.ok, 0)
        XCTAssertTrue(dom.contains("p99 &lt; 10s"), "the thresholds, judged as the command judges them")
        XCTAssertFalse(dom.contains("waiting for the first second"))
        if let shot = ProcessInfo.processInfo.environment["BARRAGE_DASHBOARD_SCREENSHOT"] {
            _ = try Self.runChromium(chromium, ["--screenshot=\(shot)", "--window-size=1280,2600", "--virtual-time-budget=10000",
                                                "--hide-scrollbars"], url: address, profile: dir.appendingPathComponent("shot"))
        }

        run.signal(SIGINT) // ends the linger early
        let out = run.wait(timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stderr.contains("barrage: the dashboard stays at \(address) for \(DurationParser.format(micros: 120_000_000)) (--metrics-linger; Ctrl-C ends it)"), out.stderr)
    }
}
