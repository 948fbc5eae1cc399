import Foundation

/// The live browser dashboard (`run --dashboard`): a page in the HTML report's design whose panels are replaced, once
/// a second, by fragments sent over server-sent events, and whose body becomes the final HTML report when the run ends.
///
/// Pure text, like `LiveView`: the CLI builds a result from the seconds closed so far (`RunResult.build`, as the
/// abort-on-fail gates do), asks for the fragments and hands them to the server. The charts are the report's own
/// (`HTMLReport.rpsChart` …, drawn by `SVGChart`): there is one chart implementation.
///
/// The page fetches nothing but `/events` (its Content-Security-Policy allows the inline style and script, and
/// connections to its own origin only). Each panel sits in a `<div id="dash-…">` that a `fragment` event fills; the
/// `report` event replaces the body and marks it `data-state="final"`.
public enum Dashboard {
    /// One panel's new content: the inner HTML of the element with this id.
    public struct Fragment: Codable, Equatable, Sendable {
        public var id: String
        public var html: String
        public init(id: String, html: String) { self.id = id; self.html = html }
    }

    /// The final report as the page takes it: the document's title and the inner HTML of its body.
    public struct Report: Codable, Equatable, Sendable {
        public var title: String
        public var html: String
    }

    /// The ids of the fragments, in page order.
    public static let ids = ["dash-band", "dash-cards", "dash-iterations", "dash-timeline", "dash-inflight", "dash-errors",
                             "dash-targets", "dash-stages", "dash-thresholds"]

    /// The page as first served: every panel waiting for its first second, the plan, and the script that listens.
    public static func page(plan: PlanRecord, planLines: [String], hasThresholds: Bool) -> String {
        let waiting = #"<p class="note">waiting for the first second…</p>"#
        var body: [String] = []
        body.append(#"<div id="dash-band">"# + band(plan: plan, meta: "connecting to the run…", pill: ("STARTING", "neutral"), note: "") + "</div>")
        body.append("<main>")
        body.append(#"<div id="dash-cards">"# + waiting + "</div>")
        body.append(#"<div id="dash-iterations"></div>"#)
        body.append(#"<div id="dash-timeline"><div class="grid2">"# + HTMLReport.panel("Throughput over time", content: waiting)
            + HTMLReport.panel("Latency over time", content: waiting) + "</div></div>")
        body.append(#"<div id="dash-inflight">"# + HTMLReport.panel("In flight and dropped", content: waiting) + "</div>")
        body.append(#"<div id="dash-errors"><div class="grid2">"# + HTMLReport.panel("Status codes", content: waiting)
            + HTMLReport.panel("Error classes", content: waiting) + "</div></div>")
        body.append(#"<div id="dash-targets"></div>"#)
        body.append(#"<div id="dash-stages"></div>"#)
        body.append(#"<div id="dash-thresholds">"# + (hasThresholds ? HTMLReport.panel("Thresholds so far", content: waiting) : "") + "</div>")
        body.append(HTMLReport.panel("Plan", content: #"<pre class="mono plan">"# + Markup.escape(planLines.joined(separator: "\n")) + "</pre>"))
        body.append("</main>")
        body.append(HTMLReport.footer("Barrage live dashboard · updated once a second while the run lasts · the final report replaces this page"))
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'\"/>\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
        out += "<title>\(Markup.escape("Barrage live · " + HTMLReport.targetLine(plan.targets)))</title>\n"
        out += "<style>\n\(HTMLReport.stylesheet)</style>\n</head>\n<body data-state=\"live\">\n"
        out += body.joined(separator: "\n")
        out += "\n<script>\n\(script)</script>\n</body>\n</html>\n"
        return out
    }

    /// Listens on `/events`: a `fragment` replaces one element's content, `report` the whole body (and stops listening).
    static let script = """
    (function () {
      var events = new EventSource('/events');
      events.addEventListener('fragment', function (e) {
        var f = JSON.parse(e.data), el = document.getElementById(f.id);
        if (el) { el.innerHTML = f.html; }
      });
      events.addEventListener('report', function (e) {
        var r = JSON.parse(e.data);
        events.close();
        document.title = r.title;
        document.body.innerHTML = r.html;
        document.body.setAttribute('data-state', 'final');
      });
    })();

    """

    /// The fragments of one moment of the run. `sofar` is the result of the seconds closed so far; `live` the engine's
    /// counts now (the open second included); the headline rate and percentiles are those of the last closed second.
    /// Thresholds are judged on `sofar`, as the final ones will be on the result (a gate's delay and a stage-scoped
    /// rate's wait are the abort watch's business: here every gate is shown as it stands).
    public static func fragments(sofar: RunResult, live: LiveCounts, elapsedMicros: Int64, totalMicros: Int64?,
                                 thresholds: [Threshold]) -> [Fragment] {
        let judged = ThresholdEvaluator.evaluate(thresholds, on: sofar)
        var out: [Fragment] = []
        let failedGates = judged.filter { !$0.ok && $0.actual != nil }.count
        let pill: (String, String) = failedGates > 0 ? ("RUNNING · \(failedGates) FAILING", "fail") : ("RUNNING", "warn")
        out.append(Fragment(id: "dash-band", html: band(plan: sofar.plan, meta: HTMLReport.planMeta(sofar), pill: pill,
                                                        note: progressText(elapsedMicros: elapsedMicros, totalMicros: totalMicros,
                                                                           live: live, expected: sofar.plan.expected_requests))))
        out.append(Fragment(id: "dash-cards", html: cards(sofar, live: live, elapsedMicros: elapsedMicros, totalMicros: totalMicros)))
        // A flow's iterations (each scenario's, when several run), and finished iterations over time.
        var iterations = sofar.iterations.map { [HTMLReport.iterationsPanel($0)] } ?? []
        for (_, s) in (sofar.scenarios ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let it = s.iterations { iterations.append(HTMLReport.iterationsPanel(it, named: true)) }
        }
        if !iterations.isEmpty, let overTime = HTMLReport.iterationsOverTimePanel(sofar) { iterations.append(overTime) }
        // A WebSocket run's messages so far, in the same place.
        if let m = sofar.messages { iterations.append(HTMLReport.messagesPanel(m)) }
        if let overTime = HTMLReport.messagesOverTimePanel(sofar) { iterations.append(overTime) }
        out.append(Fragment(id: "dash-iterations", html: iterations.joined(separator: "\n")))
        out.append(Fragment(id: "dash-timeline", html: #"<div class="grid2">"#
            + HTMLReport.panel("Throughput over time", note: "Requests completed per second (ok + failed), up to the last closed second.",
                               content: HTMLReport.rpsChart(sofar))
            + HTMLReport.panel("Latency over time", note: "p50 and p99 of the responses completed in each second.",
                               content: HTMLReport.latencyChart(sofar)) + "</div>"))
        out.append(Fragment(id: "dash-inflight", html: HTMLReport.panel(
            "In flight and dropped",
            note: sofar.messages == nil ? "Requests in flight averaged over each second and their peak in it, and requests dropped (never sent)."
                : "Messages awaiting an answer, averaged over each second and their peak in it, and connections dropped (never opened).",
            content: HTMLReport.inFlightChart(sofar))))
        out.append(Fragment(id: "dash-errors", html: #"<div class="grid2">"#
            + HTMLReport.panel("Status codes", note: "Complete responses by HTTP status, so far.", content: HTMLReport.statusChart(sofar.status_codes))
            + HTMLReport.panel("Error classes", note: "Failed requests by class, as a share of requests answered or failed, so far.",
                               content: HTMLReport.errorChart(sofar.errors, answered: sofar.requests.ok + sofar.requests.failed))
            + "</div>"))
        let p = sofar.plan
        out.append(Fragment(id: "dash-targets", html: p.targets.count > 1
            ? HTMLReport.targetsPanel(p.targets, sections: sofar.targets, steps: p.scenario != nil || p.scenarios != nil) : ""))
        out.append(Fragment(id: "dash-stages", html: sofar.stages.count > 1 ? HTMLReport.stagesPanel(sofar) : ""))
        out.append(Fragment(id: "dash-thresholds", html: judged.isEmpty ? "" : thresholdsPanel(judged)))
        // Tables get their cells' column names for the narrow-screen layout, as in the report.
        return out.map { $0.html.contains("<table") ? Fragment(id: $0.id, html: HTMLReport.labelCells($0.html)) : $0 }
    }

    /// The final report (with `result.thresholds` judged) as the page takes it.
    public static func report(_ result: RunResult) -> Report {
        let page = HTMLReport.page(result)
        return Report(title: page.title, html: HTMLReport.labelCells(page.body.filter { !$0.isEmpty }.joined(separator: "\n")))
    }

    /// The events of one moment, each a `fragment` event with `{"html":…,"id":…}` on one `data:` line.
    public static func events(_ fragments: [Fragment]) -> [(id: String, text: String)] {
        fragments.map { ($0.id, ServerSentEvents.jsonEvent("fragment", $0)) }
    }

    /// The `report` event.
    public static func reportEvent(_ result: RunResult) -> String {
        ServerSentEvents.jsonEvent("report", report(result))
    }

    // MARK: - Parts

    static func band(plan: PlanRecord, meta: String, pill: (text: String, style: String), note: String) -> String {
        let heading = "Barrage live dashboard" + (plan.name.flatMap { $0.isEmpty ? nil : " · \($0)" } ?? "")
        return HTMLReport.band(heading: heading, target: HTMLReport.targetLine(plan.targets), meta: meta,
                               verdict: (pill.text, pill.style, note))
    }

    /// `0:12 of 0:30` (a time-bound run) or `1,204 of 5,000 requests`.
    static func progressText(elapsedMicros: Int64, totalMicros: Int64?, live: LiveCounts, expected: Int?) -> String {
        let elapsed = LiveView.clock(seconds: max(0, elapsedMicros) / 1_000_000)
        if let totalMicros { return "\(elapsed) of \(LiveView.clock(seconds: (totalMicros + 999_999) / 1_000_000))" }
        if let expected {
            return "\(NumberFormat.grouped(live.ok + live.failed + live.dropped)) of \(NumberFormat.grouped(expected)) requests · \(elapsed)"
        }
        return elapsed
    }

    /// The headline numbers: counts now, rate and percentiles of the last closed second (the run so far below them).
    static func cards(_ r: RunResult, live: LiveCounts, elapsedMicros: Int64, totalMicros: Int64?) -> String {
        typealias Card = HTMLReport.Card
        let g = NumberFormat.grouped
        let total = live.ok + live.failed + live.dropped
        let last = r.timeline.last
        let lat = { (label: String, v: Int64?, sofar: Int64) -> Card in
            Card(label: label, value: v.map { DurationParser.format(micros: $0) } ?? "–",
                 sub: r.latency_us.count > 0 ? "run so far \(DurationParser.format(micros: sofar))" : "no responses yet")
        }
        let lastLatency = last.flatMap { $0.max_us == 0 && $0.p99_us == 0 ? nil : $0 }
        let counts = [
            Card(label: "Requests", value: g(total), sub: r.plan.expected_requests.map { "of \(g($0)) planned" } ?? "so far"),
            Card(label: "OK", value: g(live.ok), sub: "so far", tone: live.ok > 0 ? "good" : ""),
            Card(label: "Failed", value: g(live.failed), sub: "so far", tone: live.failed > 0 ? "bad" : ""),
            Card(label: "Dropped", value: g(live.dropped), sub: live.dropped > 0 ? "so far" : "never sent", tone: live.dropped > 0 ? "warn" : ""),
            Card(label: "In flight", value: g(live.inFlight), sub: "now"),
        ]
        let second = [
            Card(label: "Rate", value: last?.rps.map { NumberFormat.number($0) } ?? "–",
                 sub: r.requests.total > 0 ? "run so far \(NumberFormat.number(r.throughput.rps))/s" : "last second", unit: "req/s"),
            lat("p50 last second", lastLatency?.p50_us, r.latency_us.p50),
            lat("p99 last second", lastLatency?.p99_us, r.latency_us.p99),
            Card(label: "Elapsed", value: LiveView.clock(seconds: max(0, elapsedMicros) / 1_000_000),
                 sub: totalMicros.map { "of \(LiveView.clock(seconds: ($0 + 999_999) / 1_000_000))" } ?? "request-bound"),
        ]
        return HTMLReport.cards(counts) + "\n" + HTMLReport.cards(second)
    }

    static func thresholdsPanel(_ judged: [ThresholdResult]) -> String {
        let table = HTMLReport.thresholdsPanel(judged)
        // The report's panel, retitled: these are verdicts on the seconds closed so far, not final.
        return table.replacingOccurrences(of: "<h2>Thresholds</h2>", with: "<h2>Thresholds so far</h2>")
    }
}
