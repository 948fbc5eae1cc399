import Foundation
import XCTest

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import BarrageCore

/// A WebSocket run's messages in the reports: the HTML Messages panel, the Markdown summary's messages line, JUnit
/// cases for message thresholds, and `compare`'s message rows (text, JSON, HTML). Results are built by hand.
final class MessageReportTests: XCTestCase {
    private typealias M = MessageThresholdTests

    /// 40 answered (10–49 ms), 3 failed, 2 dropped, the peer closing with 1001 twice and 4000 once, over 2 s.
    static func sample(latencyMicros: (Int) -> Int64 = { Int64(10_000 + $0 * 1_000) }, answered: Int = 40,
                       durationMicros: Int64 = 2_000_000, runID: String = "ws") -> RunResult {
        let rec = M.recorder(latencies: (0..<answered).map(latencyMicros), lateMicros: 500,
                             failed: [.answer_timeout, .answer_timeout, .closed_by_peer], dropped: 2, closeCodes: [1001, 1001, 4000])
        return M.wsResult(rec, durationMicros: durationMicros, runID: runID)
    }

    // MARK: HTML

    func testTheHTMLReportHasAMessagesPanel() throws {
        let page = HTMLReport.render(Self.sample())
        XCTAssertTrue(XMLParser(data: Data(page.utf8)).parse(), "the page stays well-formed XML")
        XCTAssertTrue(page.contains("<h2>Messages</h2>"))
        for label in ["Messages", "Answered", "Failed", "Dropped", "Rate", "Message error rate", "Sent", "Received"] {
            XCTAssertTrue(page.contains(#"<div class="label">\#(label)</div>"#), label)
        }
        XCTAssertTrue(page.contains(#"title="45">45</div><div class="sub">answered + failed + dropped</div>"#), "the identity")
        XCTAssertTrue(page.contains(#"title="21.5 msg/s""#), "43 ended over 2 s")
        XCTAssertTrue(page.contains("6.98%"), "3 failed of 43 ended")
        XCTAssertTrue(page.contains(">Message latency</td>"))
        XCTAssertTrue(page.contains(">Message service time</td>"))
        // Failures by class and close codes, each a table with its head for the narrow layout (cells labelled).
        XCTAssertTrue(page.contains(#"<table class="message-errors"><thead><tr><th>failure class</th>"#))
        XCTAssertTrue(page.contains(#"<table class="close-codes"><thead><tr><th>close code</th>"#))
        XCTAssertTrue(page.contains(#"<span class="mono">answer_timeout</span> no answer in time</td><td data-label="messages" class="num">2</td>"#), page)
        XCTAssertTrue(page.contains(#"<span class="mono">1001</span> going away</td><td data-label="closes" class="num">2</td>"#))
        XCTAssertTrue(page.contains(#"<span class="mono">4000</span> application</td>"#))
        // Placed after the headline numbers, before the latency spectrum.
        let panel = try XCTUnwrap(page.range(of: "<h2>Messages</h2>")), spectrum = try XCTUnwrap(page.range(of: "<h2>Latency percentile spectrum</h2>"))
        XCTAssertLessThan(panel.lowerBound, spectrum.lowerBound)

        let plain = HTMLReport.render(ThresholdEvaluatorTests.result(latencies: [1_000]))
        XCTAssertFalse(plain.contains("<h2>Messages</h2>"), "HTTP runs have no Messages panel")
    }

    func testTheRequestsCardSaysTheyAreHandshakesAndTheDashboardShowsMessages() throws {
        var r = Self.sample()
        XCTAssertTrue(HTMLReport.render(r).contains(#"<div class="sub">WebSocket handshakes</div>"#))
        XCTAssertFalse(HTMLReport.render(ThresholdEvaluatorTests.result(latencies: [1_000])).contains("WebSocket handshakes"))
        r.timeline = Self.wsTimeline()
        let fragments = Dashboard.fragments(sofar: r, live: LiveCounts(), elapsedMicros: 2_000_000, totalMicros: nil, thresholds: [])
        let html = try XCTUnwrap(fragments.first { $0.id == "dash-iterations" }).html
        XCTAssertTrue(html.contains("<h2>Messages</h2>"), html)
        XCTAssertTrue(html.contains(#"data-chart="messages""#))
        let plain = Dashboard.fragments(sofar: ThresholdEvaluatorTests.result(latencies: [1_000]), live: LiveCounts(),
                                        elapsedMicros: 1_000_000, totalMicros: nil, thresholds: [])
        XCTAssertEqual(plain.first { $0.id == "dash-iterations" }?.html, "", "HTTP runs: nothing there")
    }

    func testAPanelWithoutAnsweredMessagesOrFailuresStillRenders() {
        let quiet = M.wsResult(M.recorder(dropped: 4))
        let page = HTMLReport.render(quiet)
        XCTAssertTrue(XMLParser(data: Data(page.utf8)).parse())
        XCTAssertTrue(page.contains("<h2>Messages</h2>"))
        XCTAssertFalse(page.contains("message-errors"), "no failure table without failures or closes")
        XCTAssertTrue(page.contains(#"<td data-label="min" class="num">–</td>"#), "no latency: dashes, not zeros")
    }

    // MARK: Timeline

    /// Two threads' seconds of a WebSocket run: 3 + 1 messages ended in second 0 (one failed), none in second 1.
    static func wsTimeline() -> [TimelineEntry] {
        var builder = TimelineBuilder(workers: 2, startEpochMillis: 1_764_000_000_000)
        var a = IntervalStats(second: 0)
        a.messages = M.recorder(latencies: [1_000, 2_000], failed: [.send], dropped: 5)
        var b = IntervalStats(second: 0)
        b.messages = M.recorder(latencies: [1_500])
        var quiet = IntervalStats(second: 1)
        quiet.messages = MessageRecorder()
        builder.add(worker: 0, a)
        builder.add(worker: 1, b)
        builder.add(worker: 0, quiet)
        builder.finish(worker: 0)
        builder.finish(worker: 1)
        return builder.drain(durationMicros: 2_000_000)
    }

    func testTheTimelineCountsMessagesPerSecond() throws {
        let entries = Self.wsTimeline()
        XCTAssertEqual(entries.map(\.messages), [4, 0], "answered + failed, dropped ones never sent")
        XCTAssertEqual(entries.map(\.messages_failed), [1, 0])
        // HTTP runs' seconds carry no message keys (so their JSON is unchanged).
        var http = TimelineBuilder(workers: 1, startEpochMillis: 0)
        http.add(worker: 0, IntervalStats(second: 0))
        http.finish(worker: 0)
        let plain = http.drain(durationMicros: 1_000_000)
        XCTAssertEqual(plain.map(\.messages), [nil])
        let json = String(decoding: try JSONEncoder().encode(plain[0]), as: UTF8.self)
        XCTAssertFalse(json.contains("messages"), json)
        // Older files load without them.
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(entries[0])) as? [String: Any])
        XCTAssertEqual((object["messages"] as? NSNumber)?.intValue, 4)
        object.removeValue(forKey: "messages")
        object.removeValue(forKey: "messages_failed")
        let old = try JSONDecoder().decode(TimelineEntry.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertNil(old.messages)
    }

    func testTheReportDrawsMessagesOverTimeAndSegmentsAddThem() throws {
        var r = Self.sample()
        XCTAssertFalse(HTMLReport.render(r).contains(#"data-chart="messages""#), "no per-second counts: no chart")
        r.timeline = Self.wsTimeline()
        let page = HTMLReport.render(r)
        XCTAssertTrue(XMLParser(data: Data(page.utf8)).parse())
        XCTAssertTrue(page.contains(#"data-chart="messages""#))
        XCTAssertTrue(page.contains("<h2>Messages over time</h2>"))
        XCTAssertFalse(HTMLReport.render(ThresholdEvaluatorTests.result(latencies: [1_000])).contains(#"data-chart="messages""#))
        // Segments share one clock: their seconds' messages add.
        func segment(_ i: Int) -> RunResult {
            var s = r
            s.run_id = "shared"
            s.plan.segment = Segment(index: i, count: 2)
            s.segment = Segment(index: i, count: 2)
            return s
        }
        let merged = try ResultMerge.merge([("s1.json", segment(1)), ("s2.json", segment(2))])
        XCTAssertEqual(merged.timeline.map(\.messages), [8, 0])
        XCTAssertEqual(merged.timeline.map(\.messages_failed), [2, 0])
    }

    // MARK: Markdown and JUnit

    func testTheMarkdownSummaryHasAMessagesLine() {
        let md = MarkdownSummary.render(result: Self.sample(), thresholds: [])
        XCTAssertTrue(md.contains("| Messages | 40 answered · 3 failed · 2 dropped (45 in all), 21.5 msg/s, error rate 6.977% |"), md)
        XCTAssertTrue(md.contains("| Message latency p50 / p90 / p99 | "), md)
        let messages = md.range(of: "| Messages |")!, requests = md.range(of: "| Handshakes |")!
        XCTAssertLessThan(messages.lowerBound, requests.lowerBound, "messages first: the requests are the handshakes")
        let none = MarkdownSummary.render(result: M.wsResult(M.recorder(dropped: 1)), thresholds: [])
        XCTAssertTrue(none.contains("| Message latency p50 / p90 / p99 | no answered messages |"), none)
        XCTAssertFalse(MarkdownSummary.render(result: ThresholdEvaluatorTests.result(latencies: [1_000]), thresholds: []).contains("Message"))
    }

    /// A WebSocket run's requests are its handshakes: the text summary's block, the Markdown row and the HTML card say
    /// so; an HTTP run's still say Requests, and the JSON keeps `requests`.
    func testEverySummaryCallsAWebSocketRunsRequestsHandshakes() throws {
        let r = Self.sample()
        let text = TextReport.render(r).split(separator: "\n").map(String.init)
        XCTAssertTrue(text.contains { $0.hasPrefix("  Handshakes ") }, text.joined(separator: "\n"))
        XCTAssertFalse(text.contains { $0.hasPrefix("  Requests ") }, text.joined(separator: "\n"))
        let md = MarkdownSummary.render(result: r, thresholds: [])
        XCTAssertTrue(md.contains("| Handshakes | "), md)
        XCTAssertFalse(md.contains("| Requests | "), md)
        XCTAssertTrue(HTMLReport.render(r).contains(#"<div class="sub">WebSocket handshakes</div>"#))
        XCTAssertTrue(String(decoding: try r.jsonData(), as: UTF8.self).contains(#""requests""#), "the JSON key stays")
        let http = ThresholdEvaluatorTests.result(latencies: [1_000])
        XCTAssertTrue(TextReport.render(http).split(separator: "\n").contains { $0.hasPrefix("  Requests ") })
        XCTAssertTrue(MarkdownSummary.render(result: http, thresholds: []).contains("| Requests | "))
    }

    /// A WebSocket run's `Duration` line gives the handshake rate as such (the message rate is in the Messages block),
    /// and the HTML in-flight panel says it counts messages awaiting an answer; an HTTP run's wording is unchanged.
    func testAWebSocketRunsRatesAndInFlightAreWordedForIt() throws {
        let r = Self.sample()
        let text = TextReport.render(r).split(separator: "\n").map(String.init)
        let duration = try XCTUnwrap(text.first { $0.hasPrefix("  Duration ") }, text.joined(separator: "\n"))
        XCTAssertTrue(duration.hasSuffix(" handshakes/s"), duration)
        XCTAssertFalse(duration.contains("req/s") || duration.contains("ok/s"), duration)
        let page = HTMLReport.render(r)
        XCTAssertTrue(page.contains("Messages awaiting an answer, averaged over each second"), page)
        XCTAssertFalse(page.contains("Requests in flight averaged"))
        let live = Dashboard.fragments(sofar: r, live: LiveCounts(), elapsedMicros: 2_000_000, totalMicros: nil, thresholds: [])
        let inFlight = try XCTUnwrap(live.first { $0.id == "dash-inflight" }).html
        XCTAssertTrue(inFlight.contains("Messages awaiting an answer, averaged over each second"), inFlight)
        let httpLive = Dashboard.fragments(sofar: ThresholdEvaluatorTests.result(latencies: [1_000]), live: LiveCounts(), elapsedMicros: 2_000_000,
                                           totalMicros: nil, thresholds: [])
        XCTAssertTrue(try XCTUnwrap(httpLive.first { $0.id == "dash-inflight" }).html.contains("Requests in flight averaged over each second and their peak in it, and requests dropped (never sent)."))

        let http = ThresholdEvaluatorTests.result(latencies: [1_000])
        let httpDuration = try XCTUnwrap(TextReport.render(http).split(separator: "\n").first { $0.hasPrefix("  Duration ") })
        XCTAssertTrue(httpDuration.contains(" req/s") && httpDuration.hasSuffix(" ok/s"), String(httpDuration))
        let httpPage = HTMLReport.render(http)
        XCTAssertTrue(httpPage.contains("Requests in flight averaged over each second (Little&#39;s law: throughput × mean latency)"), httpPage)
        XCTAssertFalse(httpPage.contains("Messages awaiting an answer"))
    }

    func testJUnitHasACasePerMessageThreshold() throws {
        let r = Self.sample()
        let results = ThresholdEvaluator.evaluate(try ["message_rate >= 30", "dropped_messages == 2", "message_latency.p99 < 1s"]
            .map(Threshold.parse), on: r)
        let cases = JUnitReport.cases(from: results)
        XCTAssertEqual(cases.map(\.name), ["message_rate >= 30", "dropped_messages == 2", "message_latency.p99 < 1s"])
        XCTAssertEqual(cases.map(\.ok), [false, true, true])
        XCTAssertEqual(cases[0].message, "measured 21.5 msg/s, limit >= 30 msg/s")
        let xml = JUnitReport.xml(thresholds: results)
        XCTAssertTrue(xml.contains(#"<testsuite name="barrage.thresholds" tests="3" failures="1""#), xml)
    }

    // MARK: compare

    func testCompareAddsMessageRowsWhenBothRunsHaveMessages() throws {
        let base = Self.sample(runID: "a")
        let slower = Self.sample(latencyMicros: { Int64(20_000 + $0 * 2_000) }, answered: 30, runID: "b")
        let c = Compare.compare(base: base, new: slower)
        let rows = try XCTUnwrap(c.messages)
        XCTAssertEqual(rows.map(\.metric.rawValue), ["message_latency.p50", "message_latency.p90", "message_latency.p99",
                                                     "message_latency.p99.9", "message_rate", "message_error_rate"])
        for r in rows {
            XCTAssertEqual(r.verdict, .regression, r.metric.rawValue)
            XCTAssertEqual(r.change, r.new - r.base)
        }
        XCTAssertEqual(rows[0].base, Double(base.messages!.latency_us.p50))
        XCTAssertEqual(rows[4].base, 21.5)
        XCTAssertEqual(rows[4].new, 16.5, "33 ended over 2 s")
        XCTAssertEqual(rows[5].new, 3.0 / 33, accuracy: 1e-12)
        XCTAssertTrue(c.gatesPassed, "message rows never gate")
        XCTAssertEqual(Compare.compare(base: slower, new: base).messages?.map(\.verdict), Array(repeating: .improvement, count: 6))

        let text = c.text()
        XCTAssertTrue(text.contains("  Messages (point changes; noise unknown, not gated):\n"), text)
        XCTAssertTrue(text.contains("message_rate"), text)
        XCTAssertTrue(text.contains("21.5/s"), text)
        XCTAssertTrue(text.contains("6.98%"), text)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: c.jsonData()) as? [String: Any])
        let first = try XCTUnwrap((json["messages"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["metric"] as? String, "message_latency.p50")
        XCTAssertEqual(Set(first.keys), ["metric", "base", "new", "change", "relative_change", "verdict"])
        let page = HTMLReport.render(comparison: c, base: base, new: slower, baseName: "a.json", newName: "b.json")
        XCTAssertTrue(XMLParser(data: Data(page.utf8)).parse())
        XCTAssertTrue(page.contains("<h2>Messages</h2>"))
    }

    func testCompareWithoutMessagesInBothRunsHasNoMessageRows() throws {
        let plain = ThresholdEvaluatorTests.result(latencies: [1_000])
        XCTAssertNil(Compare.compare(base: plain, new: plain).messages)
        XCTAssertNil(Compare.compare(base: plain, new: Self.sample()).messages)
        XCTAssertFalse(Compare.compare(base: plain, new: plain).text().contains("Messages"))
        let json = try JSONSerialization.jsonObject(with: Compare.compare(base: plain, new: plain).jsonData()) as? [String: Any]
        XCTAssertNil(json?["messages"], "absent, not null, for HTTP runs")
        // A run without an answered message compares only the rate and the error rate.
        let rows = try XCTUnwrap(Compare.compare(base: Self.sample(), new: M.wsResult(M.recorder(failed: [.send]))).messages)
        XCTAssertEqual(rows.map(\.metric), [.message_rate, .message_error_rate])
    }
}
