import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer

/// Every number fits its box: the HTML pages (a run with several targets and errors, a flow, a comparison) loaded in
/// headless Chromium at 1280 px and at 390 px (a phone), where no element's `scrollWidth` may exceed its
/// `clientWidth`. The page is loaded inside an `<iframe srcdoc>` of the width wanted (headless windows are never
/// narrower than 500 px), with a script (and no Content-Security-Policy: the test copy only) that lists what overflows.
/// Skipped with a line where Chromium is not installed (`.ci/run` installs Debian's `chromium`).
final class ReportFitTests: XCTestCase {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    var tmp: URL!
    var server: TargetServer!

    override func setUpWithError() throws {
        guard Self.chromium != nil else {
            print("ReportFitTests: skipped: chromium is not installed (apt-get install chromium)")
            throw XCTSkip("chromium is not installed")
        }
        tmp = try makeTemporaryDirectory()
        server = try TargetServer.start(host: "127.0.0.1", port: 0)
    }

    override func tearDownWithError() throws {
        try? server?.shutdown()
        if let tmp { try? FileManager.default.removeItem(at: tmp) }
    }

    static let check = """
    window.addEventListener('load', function () {
      var bad = [], n = 0;
      document.querySelectorAll('body *').forEach(function (el) {
        if (el.closest('svg')) return;
        n++;
        if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
          bad.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).replace(/ /g, '.') : '') + ' ' +
                   el.scrollWidth + '>' + el.clientWidth + ' "' + (el.textContent || '').trim().slice(0, 60).replace(/\\s+/g, ' ') + '"');
        }
      });
      var pre = document.createElement('pre');
      pre.id = 'fit-result';
      pre.textContent = 'width ' + window.innerWidth + ' checked ' + n + '\\n' + bad.join('\\n');
      window.parent.document.body.appendChild(pre);
    });
    """

    /// What overflows in `page` at `width` px: the first line says the width and how many elements were checked.
    private func overflow(_ page: String, width: Int) throws -> (header: String, offenders: [String]) {
        var inner = page.replacingOccurrences(of: #"<meta http-equiv="Content-Security-Policy" content="[^"]*"/>"#, with: "",
                                              options: .regularExpression)
        XCTAssertFalse(inner.contains("Content-Security-Policy"), "the test copy runs its script")
        inner = inner.replacingOccurrences(of: "</body>", with: "<script>\(Self.check)</script></body>")
        let escaped = inner.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        let outer = #"<!DOCTYPE html><html><body style="margin:0"><iframe width="\#(width)" height="3000" style="border:0" srcdoc="\#(escaped)"></iframe></body></html>"#
        let file = tmp.appendingPathComponent("outer-\(width)-\(UUID().uuidString).html")
        try outer.write(to: file, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.chromium!)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,3000", "--virtual-time-budget=5000",
                       "--user-data-dir=" + tmp.appendingPathComponent("profile").path, "--dump-dom", file.absoluteString]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let dom = String(decoding: data, as: UTF8.self)
        guard let start = dom.range(of: #"<pre id="fit-result">"#), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            XCTFail("no result from the page at \(width) px")
            return ("", [])
        }
        let text = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        let lines = text.split(separator: "\n").map(String.init)
        return (lines.first ?? "", Array(lines.dropFirst()))
    }

    /// The live dashboard as a page looks mid-run: the page as served, with the fragments of a moment applied by a
    /// script before the check runs (the page's own script would apply them as they arrive).
    private func liveDashboard(_ r: RunResult, thresholds: [String]) throws -> String {
        let page = Dashboard.page(plan: r.plan, planLines: PlanBlock.lines(r.plan, version: "test"), hasThresholds: !thresholds.isEmpty)
        let fragments = Dashboard.fragments(sofar: r, live: LiveCounts(ok: r.requests.ok, failed: r.requests.failed, dropped: 0, inFlight: 3),
                                            elapsedMicros: r.duration_us, totalMicros: r.duration_us * 2,
                                            thresholds: try thresholds.map(Threshold.parse))
        let json = String(decoding: try JSONEncoder().encode(fragments), as: UTF8.self)
            .replacingOccurrences(of: "</", with: "<\\/")
        let apply = "<script>(function () { var fs = \(json); for (var i = 0; i < fs.length; i++) { var el = document.getElementById(fs[i].id); if (el) { el.innerHTML = fs[i].html; } } })();</script>"
        return page.replacingOccurrences(of: "</body>", with: apply + "</body>")
    }

    private func assertFits(_ page: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for width in [1280, 390] {
            let (header, offenders) = try overflow(page, width: width)
            print("ReportFitTests: \(what): \(header)")
            XCTAssertTrue(header.hasPrefix("width \(width) checked "), "\(what): \(header)", file: file, line: line)
            XCTAssertGreaterThan(Int(header.split(separator: " ").last ?? "") ?? 0, 40, "\(what): the page was checked", file: file, line: line)
            XCTAssertEqual(offenders, [], "\(what) at \(width) px", file: file, line: line)
        }
    }

    private func run(_ args: [String]) throws -> String {
        let json = tmp.appendingPathComponent("r-\(UUID().uuidString).json").path
        let out = try BarrageBinary.run(["run"] + args + ["--json", json, "--quiet"], timeout: 60)
        XCTAssertTrue([0, 99].contains(out.status), out.stderr)
        return json
    }

    func testTheRunReportAndTheComparisonFitAt1280And390Pixels() throws {
        let base = "http://127.0.0.1:\(server.port)"
        let profile = tmp.appendingPathComponent("targets.yaml").path
        try """
        name: fit-check-with-a-rather-long-profile-name
        targets:
          - { name: home, url: "\(base)/delay/2", weight: 3 }
          - { name: failing-with-a-long-target-name, url: "\(base)/status/503", weight: 1 }
          - { name: slow, url: "\(base)/delay/20?query=string&that=is&quite=long", weight: 1 }
        load: { model: open, warmup: 500ms, stages: [ { duration: 2s, rate: 100 } ] }
        thresholds: [ "error_rate < 1%", "target:slow p99 < 1s" ]
        """.write(toFile: profile, atomically: true, encoding: .utf8)
        let a = try run([profile])
        let b = try run([profile, "--rate", "150"])
        let html = tmp.appendingPathComponent("a.html").path
        XCTAssertEqual(try BarrageBinary.run(["report", a, "--html", html], timeout: 30).status, 0)
        try assertFits(String(contentsOfFile: html, encoding: .utf8), "run report")
        let compare = tmp.appendingPathComponent("compare.html").path
        let c = try BarrageBinary.run(["compare", a, b, "--max-regression", "p99=50%", "--html", compare], timeout: 30)
        XCTAssertTrue([0, 99].contains(c.status), c.stderr)
        try assertFits(String(contentsOfFile: compare, encoding: .utf8), "comparison")
        // The live dashboard mid-run, with its thresholds so far.
        let result = try RunResult.decode(Data(contentsOf: URL(fileURLWithPath: a)))
        try assertFits(try liveDashboard(result, thresholds: ["error_rate < 1%", "target:slow p99 < 1s"]), "live dashboard")
    }

    func testAWebSocketReportFitsToo() throws {
        // A short run's result with a WebSocket run's messages put in (large counts, every failure class, close codes
        // with their names): the Messages panel's cards and tables at both widths.
        let json = try run(["http://127.0.0.1:\(server.port)/delay/2", "-c", "4", "-n", "60"])
        var r = try RunResult.decode(Data(contentsOf: URL(fileURLWithPath: json)))
        var m = MessageRecorder()
        for i in 0..<2_000 {
            let due = Int64(i) * 1_000
            m.recordSent(bytes: 4_096)
            m.recordAnswered(dueMicros: due, sentMicros: due + 40, doneMicros: due + 2_000 + Int64(i % 97) * 1_500)
            m.recordReceived(bytes: 4_096)
        }
        for e in MessageError.allCases { m.recordSent(bytes: 4_096); m.recordFailed(e) }
        m.recordDropped(1_234_567)
        for code in [1000, 1001, 1011, 4999, 0] { m.recordClose(code: code) }
        r.messages = RunResult.Messages(m, durationMicros: r.duration_us, answer: "match")
        for i in r.timeline.indices { r.timeline[i].messages = 1_000 + i; r.timeline[i].messages_failed = i }
        try assertFits(HTMLReport.render(r), "WebSocket report")
    }

    func testACapacityPageFitsToo() throws {
        // One short step that fails its SLO: the page with its charts and a step with reasons.
        let html = tmp.appendingPathComponent("capacity.html").path
        let out = try BarrageBinary.run(["capacity", "http://127.0.0.1:\(server.port)/capacity?n=4&ms=10", "--slo", "p99 < 1ms",
                                         "--from", "100", "--max", "100", "--step-duration", "1s", "--warmup", "500ms",
                                         "--html", html, "--quiet"], timeout: 120)
        XCTAssertEqual(out.status, 0, out.stderr)
        try assertFits(String(contentsOfFile: html, encoding: .utf8), "capacity page")
    }

    func testAFlowReportFitsToo() throws {
        // The user journey against the demo API: iterations, groups and steps in the page.
        let profiles = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("profiles")
        let html = tmp.appendingPathComponent("flow.html").path
        let out = try BarrageBinary.run(["run", profiles.appendingPathComponent("user-journey.yaml").path, "-e",
                                         "BASE_URL=http://127.0.0.1:\(server.port)", "-n", "12", "--html", html, "--quiet"], timeout: 60)
        XCTAssertEqual(out.status, 0, out.stderr)
        try assertFits(String(contentsOfFile: html, encoding: .utf8), "flow report")
    }
}
