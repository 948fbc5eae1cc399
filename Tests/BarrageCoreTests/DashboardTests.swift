import Foundation
import XCTest

@testable import BarrageCore

/// The live dashboard's text, without a server or a browser: the event-stream framing, the page and the fragments.
final class DashboardTests: XCTestCase {
    // MARK: - Server-sent events framing

    func testEventFramingPutsEachLineOfTheDataOnItsOwnDataLine() {
        XCTAssertEqual(ServerSentEvents.event("fragment", data: "one"), "event: fragment\ndata: one\n\n")
        XCTAssertEqual(ServerSentEvents.event(nil, data: "a\nb\r\nc\rd"), "data: a\ndata: b\ndata: c\ndata: d\n\n")
        XCTAssertEqual(ServerSentEvents.event("x", data: ""), "event: x\ndata: \n\n")
        // A line break in the name cannot end the field early either.
        XCTAssertEqual(ServerSentEvents.event("a\nb", data: "1"), "event: ab\ndata: 1\n\n")
    }

    func testFramingRoundTripsThroughTheBrowsersParsing() {
        let payloads = ["plain", "two\nlines", "crlf\r\nand cr\rend", "trailing newline\n", "\n", "data: looks like a field", ": a comment?"]
        var stream = ServerSentEvents.retry(millis: 1000) + ": comment line\n\n"
        for p in payloads { stream += ServerSentEvents.event("e", data: p) }
        let parsed = ServerSentEvents.parse(stream)
        XCTAssertEqual(parsed.map(\.name), Array(repeating: "e", count: payloads.count))
        // The browser reads CR and CRLF as LF.
        XCTAssertEqual(parsed.map(\.data), payloads.map { $0.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n") })
    }

    func testAFragmentEventIsOneDataLineOfJSONThatDecodesBack() throws {
        let fragment = Dashboard.Fragment(id: "dash-cards", html: "<div class=\"a\">\n  line two\r\n</div>\u{2028}</script>")
        let text = Dashboard.events([fragment])[0].text
        XCTAssertTrue(text.hasPrefix("event: fragment\ndata: {"), text)
        XCTAssertTrue(text.hasSuffix("}\n\n"), text)
        XCTAssertEqual(text.components(separatedBy: "\n").filter { $0.hasPrefix("data:") }.count, 1, text)
        let parsed = ServerSentEvents.parse(text)
        XCTAssertEqual(parsed.count, 1)
        XCTAssertEqual(try JSONDecoder().decode(Dashboard.Fragment.self, from: Data(parsed[0].data.utf8)), fragment)
    }

    // MARK: - Page

    func testThePageIsSelfContainedAndHasAPlaceForEveryFragment() {
        let result = HTMLReportSample.run()
        let page = Dashboard.page(plan: result.plan, planLines: PlanBlock.lines(result.plan, version: "t"), hasThresholds: true)
        XCTAssertTrue(page.hasPrefix("<!DOCTYPE html>"))
        for id in Dashboard.ids { XCTAssertTrue(page.contains("id=\"\(id)\""), id) }
        XCTAssertTrue(page.contains("new EventSource('/events')"))
        XCTAssertTrue(page.contains("connect-src 'self'"), "the policy allows the event stream and nothing else")
        XCTAssertTrue(page.contains(HTMLReport.stylesheet), "the report's stylesheet, inline")
        for external in ["src=\"http", "href=\"http", "@import", "url(", "<link", "<img"] {
            XCTAssertFalse(page.contains(external), "fetches nothing: \(external)")
        }
        XCTAssertTrue(page.contains("Thresholds so far"))
        XCTAssertTrue(page.contains(Markup.escape(PlanBlock.lines(result.plan, version: "t")[0])), "the plan")
        let without = Dashboard.page(plan: result.plan, planLines: [], hasThresholds: false)
        XCTAssertFalse(without.contains("Thresholds so far"))
    }

    // MARK: - Fragments

    func testFragmentsCarryTheHeadlineNumbersChartsAndThresholds() throws {
        let result = HTMLReportSample.run()
        let live = LiveCounts(ok: 1_234, failed: 56, dropped: 7, inFlight: 42)
        let thresholds = ["p99 < 1ms", "error_rate < 50%"].map { try! Threshold.parse($0) }
        let fragments = Dashboard.fragments(sofar: result, live: live, elapsedMicros: 12_400_000, totalMicros: 30_000_000,
                                            thresholds: thresholds)
        XCTAssertEqual(fragments.map(\.id), Dashboard.ids)
        let byID = Dictionary(uniqueKeysWithValues: fragments.map { ($0.id, $0.html) })
        let cards = try XCTUnwrap(byID["dash-cards"])
        for (label, value) in [("Requests", "1,297"), ("OK", "1,234"), ("Failed", "56"), ("Dropped", "7"), ("In flight", "42"),
                               ("Elapsed", "00:12")] {
            XCTAssertTrue(cards.contains(#"<div class="label">\#(label)</div><div class="value" title="\#(value)">\#(value)"#), "\(label) \(value): \(cards)")
        }
        // Rate and percentiles of the last closed second.
        let last = try XCTUnwrap(result.timeline.last)
        XCTAssertTrue(cards.contains(">\(DurationParser.format(micros: last.p99_us))<"), cards)
        XCTAssertTrue(cards.contains("of 00:30"), cards)
        XCTAssertTrue(byID["dash-band"]!.contains("00:12 of 00:30"))
        XCTAssertTrue(byID["dash-band"]!.contains("1 FAILING"), "p99 < 1ms fails so far")
        // The report's own charts: one chart implementation.
        XCTAssertEqual(byID["dash-timeline"], #"<div class="grid2">"#
            + HTMLReport.panel("Throughput over time", note: "Requests completed per second (ok + failed), up to the last closed second.",
                               content: HTMLReport.rpsChart(result))
            + HTMLReport.panel("Latency over time", note: "p50 and p99 of the responses completed in each second.",
                               content: HTMLReport.latencyChart(result)) + "</div>")
        XCTAssertTrue(byID["dash-inflight"]!.contains(#"data-chart="inflight""#))
        XCTAssertTrue(byID["dash-errors"]!.contains(#"data-chart="errors""#))
        XCTAssertTrue(byID["dash-errors"]!.contains("HTTP status ≥ 400"))
        XCTAssertTrue(byID["dash-targets"]!.contains("search"), "two targets: the per-target table")
        XCTAssertTrue(byID["dash-stages"]!.contains("<table class=\"stages\">"), "three stages")
        let gates = byID["dash-thresholds"]!
        XCTAssertTrue(gates.contains("Thresholds so far"))
        XCTAssertTrue(gates.contains("p99 &lt; 1ms") && gates.contains("error_rate &lt; 50%"), gates)
        XCTAssertTrue(gates.contains("1 of 2 thresholds failed"), gates)
    }

    func testBeforeTheFirstSecondNothingIsMadeUp() {
        let empty = HTMLReportSample.empty()
        let fragments = Dashboard.fragments(sofar: empty, live: LiveCounts(), elapsedMicros: 0, totalMicros: nil, thresholds: [])
        let cards = fragments.first { $0.id == "dash-cards" }!.html
        XCTAssertTrue(cards.contains(#"title="–">–"#), "no rate, no percentiles yet: \(cards)")
        XCTAssertTrue(cards.contains("no responses yet"))
        XCTAssertEqual(fragments.first { $0.id == "dash-thresholds" }!.html, "")
        XCTAssertEqual(fragments.first { $0.id == "dash-targets" }!.html, "", "one target: no table")
    }

    func testAFlowsIterationsAndEachScenariosAreShown() {
        var result = HTMLReportSample.run()
        var rec = IterationRecorder()
        for _ in 0..<7 { rec.record(.completed, durationMicros: 30_000, thinkMicros: 10_000) }
        rec.record(.failed, durationMicros: 20_000, thinkMicros: 0)
        let its = RunResult.Iterations(scenario: "browse", rec, durationMicros: 1_000_000)
        result.scenarios = [
            "browse": RunResult.ScenarioResult(start_after_us: 0, requests: result.targets.values.first!, iterations: its, groups: nil),
            "checkout": RunResult.ScenarioResult(start_after_us: 500_000, requests: result.targets.values.first!,
                                                 iterations: RunResult.Iterations(scenario: "checkout", IterationRecorder(), durationMicros: 1_000_000),
                                                 groups: nil),
        ]
        for i in result.timeline.indices { result.timeline[i].iterations = 8; result.timeline[i].iterations_failed = 1 }
        let fragments = Dashboard.fragments(sofar: result, live: LiveCounts(), elapsedMicros: 2_000_000, totalMicros: nil, thresholds: [])
        let html = fragments.first { $0.id == "dash-iterations" }!.html
        XCTAssertTrue(html.contains("Iterations · browse") && html.contains("Iterations · checkout"), html)
        XCTAssertTrue(html.contains(#"data-chart="iterations""#), "finished iterations over time")
        // Plain targets: nothing.
        let plain = Dashboard.fragments(sofar: HTMLReportSample.run(), live: LiveCounts(), elapsedMicros: 0, totalMicros: nil, thresholds: [])
        XCTAssertEqual(plain.first { $0.id == "dash-iterations" }!.html, "")
    }

    func testTheReportEventCarriesTheReportsBodyAndTitle() throws {
        let result = HTMLReportSample.run()
        let text = Dashboard.reportEvent(result)
        let parsed = ServerSentEvents.parse(text)
        XCTAssertEqual(parsed.map(\.name), ["report"])
        let report = try JSONDecoder().decode(Dashboard.Report.self, from: Data(parsed[0].data.utf8))
        let page = HTMLReport.render(result)
        XCTAssertTrue(page.contains("<body>\n" + report.html + "\n</body>"), "the body of the report, exactly")
        XCTAssertTrue(page.contains("<title>\(Markup.escape(report.title))</title>"))
    }
}
