import Foundation
import Histogram

/// A run, a scaling sweep, or both, as one self-contained HTML page: inline CSS and inline SVG charts, no scripts,
/// no fonts, images or stylesheets fetched (a `Content-Security-Policy` of `default-src 'none'` says so to the browser).
///
/// The page is also well-formed XML (void elements self-closed, only XML's predefined entities), so tests read it
/// with `XMLParser`. Every chart is an `<svg data-chart="…">`: `spectrum`, `rps`, `latency`, `inflight`, `status`,
/// `errors` for a run and `scale` for a sweep; each is drawn even without data (it then says so), so a reader always
/// finds the same sections. All text from the result is escaped; header values appear only in the targets table,
/// exactly as `plan.targets` records them (secrets already redacted there).
public enum HTMLReport {
    /// One self-contained HTML page for a run, with a scaling section when `scale` is given.
    /// `title` defaults to "Barrage report", the profile's name when the plan came from one, and the first target.
    public static func render(_ result: RunResult, scale: ScaleResult? = nil, title: String? = nil) -> String {
        let r = result
        let targetText = targetLine(r.plan.targets)
        let profile = r.plan.name.flatMap { $0.isEmpty ? nil : $0 }
        let pageTitle = title ?? (["Barrage report"] + (profile.map { [$0] } ?? []) + [targetText]).joined(separator: " · ")
        var body: [String] = []
        body.append(band(heading: title ?? "Barrage load test report" + (profile.map { " · \($0)" } ?? ""), target: targetText, meta: planMeta(r),
                         verdict: verdict(r)))
        body.append("<main>")
        body.append(alerts(r))
        body.append(headlineCards(r))
        body.append(spectrumPanel(r))
        body.append(#"<div class="grid2">"#)
        body.append(panel("Throughput over time",
                          note: "Requests completed per second (ok + failed), bucketed by completion time.",
                          content: rpsChart(r)))
        body.append(panel("Latency over time",
                          note: "p50 and p99 of the latency of the responses completed in each second.",
                          content: latencyChart(r)))
        body.append("</div>")
        body.append(panel("In flight and dropped",
                          note: "Requests in flight averaged over each second (Little's law: throughput × mean latency) and their peak in it (at most: the sum of each engine thread's peak), and requests dropped in it (never sent: later than the allowed lateness).",
                          content: inFlightChart(r)))
        body.append(#"<div class="grid2">"#)
        body.append(panel("Status codes", note: "Complete responses by HTTP status.", content: statusChart(r.status_codes)))
        body.append(panel("Error classes", note: "Failed requests by class, as a share of requests answered or failed.",
                          content: errorChart(r.errors, answered: r.requests.ok + r.requests.failed)))
        body.append("</div>")
        if r.plan.targets.count > 1 { body.append(targetsPanel(r.plan.targets, sections: r.targets)) }
        if r.stages.count > 1 { body.append(stagesPanel(r)) }
        if !r.thresholds.isEmpty { body.append(thresholdsPanel(r.thresholds)) }
        if let scale { body.append(scalePanels(scale)) }
        body.append(detailsPanel(r))
        body.append("</main>")
        body.append(footer("Barrage \(r.barrage_version) · \(r.schema) · started \(r.started_at)"))
        return document(title: pageTitle, body: body)
    }

    /// A page for a scaling sweep alone: headline numbers, the throughput and speedup charts, the per-level table,
    /// the Universal Scalability Law fit and the sweep's caveats.
    public static func render(scale: ScaleResult, title: String? = nil) -> String {
        let targetText = targetLine(scale.plan.targets)
        let pageTitle = title ?? "Barrage scaling report · \(targetText)"
        let levels = scale.plan.levels.map(String.init).joined(separator: ", ")
        var meta = ["levels \(levels)", "\(scale.plan.threads) thread\(scale.plan.threads == 1 ? "" : "s")",
                    "timeout \(DurationParser.format(micros: scale.plan.timeout_us))"]
        if let n = scale.plan.requests_per_level { meta.append("\(TextReport.grouped(n)) requests per level") }
        if let d = scale.plan.duration_per_level_us { meta.append("\(DurationParser.format(micros: d)) per level") }
        meta.append("started \(scale.started_at)")
        var body: [String] = []
        body.append(band(heading: title ?? "Barrage scaling report", target: targetText, meta: meta.joined(separator: " · "),
                         verdict: scaleVerdict(scale)))
        body.append("<main>")
        body.append(scaleCards(scale))
        body.append(scalePanels(scale))
        if scale.plan.targets.count > 1 { body.append(targetsPanel(scale.plan.targets)) }
        body.append("</main>")
        body.append(footer("Barrage \(scale.barrage_version) · \(scale.schema) · started \(scale.started_at)"))
        return document(title: pageTitle, body: body)
    }

    // MARK: - Page frame

    static func document(title: String, body: [String]) -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"/>\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
        out += "<title>\(escape(title))</title>\n<style>\n\(stylesheet)</style>\n</head>\n<body>\n"
        out += body.filter { !$0.isEmpty }.joined(separator: "\n")
        out += "\n</body>\n</html>\n"
        return out
    }

    /// The page's one stylesheet. No `<` or `&` (the page must stay well-formed XML).
    static let stylesheet = """
    :root { --bg: #f3f5f9; --card: #ffffff; --ink: #172033; --muted: #5d6778; --line: #e2e6ee;
            --ok: #15803d; --bad: #c81e1e; --warn: #b45309; }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--bg); color: var(--ink);
           font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    .band { background: linear-gradient(120deg, #0f172a 0%, #1e3a8a 100%); color: #fff; }
    .band-inner { max-width: 1200px; margin: 0 auto; padding: 26px 24px 24px; display: flex;
                  justify-content: space-between; align-items: center; gap: 24px; }
    .band h1 { margin: 0 0 6px; font-size: 13px; font-weight: 600; letter-spacing: .08em; text-transform: uppercase; color: #a5b4fc; }
    .target { font: 600 20px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; word-break: break-all; }
    .meta { margin-top: 8px; color: #cbd5e1; font-size: 13px; }
    .verdict { flex: none; text-align: right; }
    .pill { display: inline-block; padding: 9px 20px; border-radius: 999px; font-weight: 700; font-size: 15px; letter-spacing: .06em; }
    .pill.pass { background: #dcfce7; color: #14532d; }
    .pill.fail { background: #fee2e2; color: #7f1d1d; }
    .pill.warn { background: #fef3c7; color: #78350f; }
    .pill.neutral { background: #e0e7ff; color: #1e1b4b; }
    .verdict-note { margin-top: 6px; font-size: 12.5px; color: #cbd5e1; }
    main { max-width: 1200px; margin: 0 auto; padding: 20px 24px 8px; }
    .alerts { background: #fffbeb; border: 1px solid #fcd34d; border-radius: 10px; padding: 10px 16px; margin-bottom: 16px; color: #78350f; }
    .alerts ul { margin: 0; padding-left: 18px; }
    .cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 12px; }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px;
            flex: 1 1 0; min-width: max-content; }
    .card .label { font-size: 11.5px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; white-space: nowrap; }
    .card .value { font-size: 23px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .card .value .unit { font-size: 14px; font-weight: 600; color: var(--muted); }
    .card .sub { font-size: 12px; color: var(--muted); width: 0; min-width: 100%; }
    .card.bad .value { color: var(--bad); }
    .card.warn .value { color: var(--warn); }
    .card.good .value { color: var(--ok); }
    .group-label { font-size: 12px; font-weight: 600; color: var(--muted); margin: 4px 0 6px; }
    section.panel { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 20px 18px; margin-top: 16px; min-width: 0; }
    section.panel h2 { margin: 0 0 2px; font-size: 16px; }
    .note { color: var(--muted); font-size: 12.5px; margin: 0 0 10px; }
    .grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
    svg.chart { display: block; width: 100%; height: auto; }
    svg.chart text { font-family: inherit; font-size: 11.5px; fill: #5d6778; }
    svg.chart text.axis-title { font-size: 12px; fill: #334155; font-weight: 600; }
    svg.chart text.legend-text { font-size: 12px; fill: #334155; }
    svg.chart text.empty { font-size: 14px; fill: #94a3b8; }
    svg.chart text.row-label { font-size: 12.5px; fill: #1e293b; font-weight: 600; }
    svg.chart text.row-value { font-size: 12px; fill: #334155; }
    svg.chart tspan.row-detail { font-weight: 400; fill: #64748b; }
    svg.chart text.marker-label { font-size: 11px; fill: #475569; }
    .scale-layout { display: grid; grid-template-columns: 760px minmax(0, 1fr); gap: 20px; align-items: start; }
    svg.scale-chart { display: block; max-width: 100%; height: auto; }
    svg.scale-chart text { font-family: inherit; }
    table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
    th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { font-size: 11.5px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; white-space: nowrap; }
    tr:last-child td { border-bottom: none; }
    .num { text-align: right; white-space: nowrap; }
    .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; word-break: break-all; }
    .pass-mark { color: var(--ok); font-weight: 700; font-size: 16px; }
    .fail-mark { color: var(--bad); font-weight: 700; font-size: 16px; }
    tr.failed td { background: #fef2f2; }
    tr.knee td { background: #fffbeb; }
    .muted { color: var(--muted); }
    td.bad { color: var(--bad); font-weight: 600; }
    td.warn { color: var(--warn); font-weight: 600; }
    .kv { display: grid; grid-template-columns: repeat(3, max-content minmax(0, 1fr)); gap: 7px 16px; margin: 12px 0 0; font-size: 13px; }
    .kv dt { color: var(--muted); white-space: nowrap; }
    .kv dd { margin: 0; font-variant-numeric: tabular-nums; }
    .fit dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 14px; margin: 0 0 12px; }
    .fit dt { color: var(--muted); }
    .fit dd { margin: 0; font-variant-numeric: tabular-nums; }
    .fit h3 { font-size: 13px; margin: 0 0 8px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
    .fit ul { margin: 0; padding-left: 18px; color: #78350f; }
    footer { max-width: 1200px; margin: 0 auto; padding: 14px 24px 28px; color: var(--muted); font-size: 12px; }

    """

    static func band(heading: String, target: String, meta: String, verdict: (text: String, style: String, note: String)) -> String {
        var out = [#"<header class="band"><div class="band-inner"><div class="band-text">"#]
        out.append("<h1>\(escape(heading))</h1>")
        out.append(#"<div class="target">\#(escape(target))</div>"#)
        out.append(#"<div class="meta">\#(escape(meta))</div>"#)
        out.append(#"</div><div class="verdict"><span class="pill \#(verdict.style)">\#(escape(verdict.text))</span>"#)
        if !verdict.note.isEmpty { out.append(#"<div class="verdict-note">\#(escape(verdict.note))</div>"#) }
        out.append("</div></div></header>")
        return out.joined(separator: "\n")
    }

    static func panel(_ title: String, note: String? = nil, content: String) -> String {
        var out = #"<section class="panel"><h2>\#(escape(title))</h2>"#
        if let note { out += #"<p class="note">\#(escape(note))</p>"# }
        return out + "\n" + content + "\n</section>"
    }

    static func footer(_ text: String) -> String {
        "<footer>\(escape(text))</footer>"
    }

    // MARK: - Header, verdict and headline numbers

    /// `GET http://host/path`, and how many more targets the plan has.
    static func targetLine(_ targets: [PlanRecord.Target]) -> String {
        guard let first = targets.first else { return "no target" }
        let more = targets.count - 1
        return "\(first.method) \(first.url)" + (more > 0 ? "  (+\(more) more target\(more == 1 ? "" : "s"))" : "")
    }

    static func planMeta(_ r: RunResult) -> String {
        let p = r.plan
        var parts: [String] = []
        if p.model == "open" {
            parts.append("open model")
            if let range = rateRange(p) { parts.append(range) }
            parts.append("pool \(TextReport.grouped(p.max_in_flight ?? p.concurrency))")
            if p.arrival == "poisson" { parts.append("poisson arrivals") }
        } else {
            parts.append("closed model")
            if let range = concurrencyRange(p) {
                parts.append("\(range) connections")
            } else {
                parts.append("\(TextReport.grouped(p.concurrency)) connection\(p.concurrency == 1 ? "" : "s")")
            }
            if let think = p.think_time_us, think > 0 { parts.append("think time \(DurationParser.format(micros: think))") }
        }
        if let d = p.duration_us { parts.append("planned \(DurationParser.format(micros: d))") }
        if let n = p.requests { parts.append("\(TextReport.grouped(n)) requests") }
        parts.append("\(p.threads) thread\(p.threads == 1 ? "" : "s")")
        parts.append("HTTP/\(p.http_version)")
        parts.append("started \(r.started_at)")
        if let m = r.merged { parts.append(mergeText(m)) }
        return parts.joined(separator: " · ")
    }

    /// `merge of 3 runs` (drawn one after the other, each start marked) or `merge of 4 segments of one run`.
    static func mergeText(_ m: MergedRuns) -> String {
        if m.clock == .shared {
            return "merge of \(m.parts.count) segment\(m.parts.count == 1 ? "" : "s") of one run"
        }
        return "merge of \(m.runs) run\(m.runs == 1 ? "" : "s")" + (m.runs > 1 ? ", one after the other" : "")
    }

    /// `100 → 400 req/s` (the open model's start rate to its highest stage rate), or one rate when constant.
    static func rateRange(_ p: PlanRecord) -> String? {
        let rates = p.stages.compactMap(\.rate)
        guard let peak = rates.max() else { return nil }
        let start = p.start_rate ?? rates[0]
        if rates.allSatisfy({ $0 == start }) { return "\(number(start)) req/s" }
        let low = min(start, rates.min() ?? start)
        return "\(number(low)) → \(number(peak)) req/s"
    }

    /// `4 → 64` when a closed model's concurrency follows stages; nil for a constant concurrency.
    static func concurrencyRange(_ p: PlanRecord) -> String? {
        guard p.model != "open", p.stages.count > 1 || p.start_concurrency != nil else { return nil }
        let levels = p.stages.compactMap(\.concurrency) + [p.start_concurrency ?? p.concurrency]
        guard let low = levels.min(), let high = levels.max(), low != high else { return nil }
        return "\(TextReport.grouped(low)) → \(TextReport.grouped(high))"
    }

    /// The pill in the header, in the order of the exit codes: a signal or a threshold first, then a run that
    /// measured nothing (exit 1), then passing thresholds.
    static func verdict(_ r: RunResult) -> (text: String, style: String, note: String) {
        var notes: [String] = []
        if let reason = r.aborted_by {
            let by = RunOutcome.abortingThreshold(reason).map { "aborted by threshold '\($0)'" } ?? "stopped by \(reason)"
            return ("ABORTED", "fail", by)
        }
        if r.interrupted { notes.append("interrupted") }
        let passed = r.thresholds.filter(\.ok).count
        if !r.thresholds.isEmpty {
            notes.insert("\(passed) of \(r.thresholds.count) thresholds passed", at: 0)
            if passed < r.thresholds.count { return ("FAIL", "fail", notes.joined(separator: " · ")) }
        }
        if r.requests.total == 0 { return ("NO REQUESTS", r.interrupted ? "warn" : "fail", notes.joined(separator: " · ")) }
        if let nothing = RunOutcome.line(r) {
            notes.insert(String(nothing.dropFirst("no ok response: ".count)), at: 0)
            return ("NO OK RESPONSE", r.interrupted ? "warn" : "fail", notes.joined(separator: " · "))
        }
        if !r.thresholds.isEmpty { return ("PASS", "pass", notes.joined(separator: " · ")) }
        if r.requests.failed > 0 || r.requests.dropped > 0 {
            notes.insert("\(percent(errorRate(r))) errors", at: 0)
            return ("COMPLETED WITH ERRORS", "warn", notes.joined(separator: " · "))
        }
        return (r.interrupted ? "INTERRUPTED" : "COMPLETED", r.interrupted ? "warn" : "pass", "no thresholds set")
    }

    static func errorRate(_ r: RunResult) -> Double {
        let answered = r.requests.ok + r.requests.failed
        return answered > 0 ? Double(r.requests.failed) / Double(answered) : 0
    }

    static func alerts(_ r: RunResult) -> String {
        var items = TextReport.warnings(r)
        if r.interrupted && r.aborted_by == nil {
            items.insert("The run was interrupted: the numbers cover what was measured until then.", at: 0)
        }
        if let reason = r.aborted_by { items.insert("The run was stopped early by a threshold: \(reason).", at: 0) }
        if let nothing = RunOutcome.line(r) {
            items.insert("No ok response — the run measured nothing: \(nothing.dropFirst("no ok response: ".count)).", at: 0)
        }
        if r.clamped_samples > 0 {
            items.append("\(TextReport.grouped(r.clamped_samples)) samples exceeded one hour and were recorded as one hour.")
        }
        guard !items.isEmpty else { return "" }
        return #"<div class="alerts"><ul>"# + items.map { "<li>\(escape($0))</li>" }.joined() + "</ul></div>"
    }

    /// A headline number. The card is as wide as its label and value (`min-width: max-content`; cards wrap to
    /// another row rather than shrink), so a number is never clipped; the `sub` line wraps within the card.
    struct Card {
        var label: String
        var value: String
        var sub: String
        var tone: String = ""
        /// Printed after the value, smaller: `req/s`.
        var unit: String = ""
    }

    static func cards(_ cards: [Card]) -> String {
        var out = [#"<div class="cards">"#]
        for c in cards {
            out.append(#"<div class="card\#(c.tone.isEmpty ? "" : " " + c.tone)"><div class="label">\#(escape(c.label))</div>"#
                + #"<div class="value" title="\#(escape(c.value + (c.unit.isEmpty ? "" : " " + c.unit)))">\#(escape(c.value))"#
                + (c.unit.isEmpty ? "" : #"<span class="unit"> \#(escape(c.unit))</span>"#)
                + #"</div><div class="sub">\#(escape(c.sub.isEmpty ? " " : c.sub))</div></div>"#)
        }
        out.append("</div>")
        return out.joined(separator: "\n")
    }

    static func headlineCards(_ r: RunResult) -> String {
        let q = r.requests
        let g = TextReport.grouped
        let share = { (n: Int) -> String in q.total > 0 ? percent(Double(n) / Double(q.total)) + " of total" : "" }
        var plannedSub = "requests ended"
        if let n = r.plan.expected_requests { plannedSub = "of \(g(n)) planned" }
        let rate = errorRate(r)
        let requestCards = [
            Card(label: "Requests", value: g(q.total), sub: plannedSub),
            Card(label: "OK", value: g(q.ok), sub: share(q.ok), tone: q.ok > 0 ? "good" : ""),
            Card(label: "Failed", value: g(q.failed), sub: share(q.failed), tone: q.failed > 0 ? "bad" : ""),
            Card(label: "Dropped", value: g(q.dropped), sub: q.dropped > 0 ? share(q.dropped) : "never sent", tone: q.dropped > 0 ? "warn" : ""),
            RunOutcome.measuredNothing(q)
                ? Card(label: "Attempts", value: number(r.throughput.rps), sub: "no ok response: not a throughput", tone: q.total > 0 ? "bad" : "", unit: "/s")
                : Card(label: "Throughput", value: number(r.throughput.rps), sub: "ok \(number(r.throughput.ok_rps))/s", unit: "req/s"),
            Card(label: "Error rate", value: percent(rate), sub: "failed / answered", tone: rate > 0 ? "bad" : ""),
            Card(label: "Duration", value: DurationParser.format(micros: r.duration_us),
                 sub: r.aborted_by != nil ? "aborted by a threshold" : r.interrupted ? "interrupted" : (r.plan.duration_us.map { "planned \(DurationParser.format(micros: $0))" } ?? "first send to last reply")),
        ]
        let l = r.latency_us, s = r.service_time_us
        func lat(_ label: String, _ v: Int64, _ sv: Int64) -> Card {
            l.count == 0 ? Card(label: label, value: "–", sub: "no responses")
                : Card(label: label, value: DurationParser.format(micros: v), sub: "service \(DurationParser.format(micros: sv))")
        }
        let p = r.plan
        let load: Card
        if p.model == "open" {
            let rates = p.stages.compactMap(\.rate)
            let peak = rates.max()
            let start = p.start_rate ?? rates.first ?? 0
            let from = peak.map { start == $0 && rates.allSatisfy { $0 == start } ? "constant" : "from \(number(start))/s" } ?? ""
            load = Card(label: "Target rate", value: peak.map { number($0) } ?? "–", sub: from, unit: peak == nil ? "" : "req/s")
        } else {
            let start = p.start_concurrency.map { "from \(g($0))" }
            load = Card(label: "Concurrency", value: g(p.concurrency),
                        sub: concurrencyRange(p) != nil ? (start ?? "staged") : (p.concurrency == 1 ? "connection" : "connections"))
        }
        let latencyCards = [
            lat("p50", l.p50, s.p50), lat("p90", l.p90, s.p90), lat("p99", l.p99, s.p99), lat("p99.9", l.p99_9, s.p99_9),
            lat("Max", l.max, s.max),
            Card(label: "Model", value: p.model, sub: p.model == "open" ? "\(p.arrival ?? "uniform") arrivals" : "send, wait, repeat"),
            load,
        ]
        return cards(requestCards) + "\n" + cards(latencyCards)
    }

    // MARK: - Latency spectrum

    /// One point of a percentile spectrum: the percentile (0…100) and the value there, µs.
    struct SpectrumPoint: Equatable {
        var percentile: Double
        var micros: Double
    }

    /// The spectrum of one summary: the full distribution when the summary carries its histogram, else its fixed
    /// percentiles.
    static func spectrum(_ s: HistogramSummary) -> (points: [SpectrumPoint], full: Bool) {
        // The full distribution when the summary carries it (`hdr`, absent in files written without it).
        if s.count > 0, let blob = s.hdr, let h = try? HdrCodec.decode(base64: blob) { return (spectrumPoints(from: h), true) }
        return (spectrumPoints(summary: s), false)
    }

    /// The spectrum from a summary's fixed percentiles: min at 0 %, p50 … p99.99, and the maximum at the rank of the
    /// last sample. A percentile finer than one sample in `count` says nothing the maximum does not, so it is left out.
    static func spectrumPoints(summary s: HistogramSummary) -> [SpectrumPoint] {
        guard s.count > 0 else { return [] }
        let lastRank = lastRankPercentile(count: Double(s.count))
        var out = [SpectrumPoint(percentile: 0, micros: Double(s.min))]
        let fixed: [(Double, Int64)] = [(50, s.p50), (75, s.p75), (90, s.p90), (95, s.p95), (99, s.p99), (99.9, s.p99_9), (99.99, s.p99_99)]
        for (p, v) in fixed where p < lastRank - 1e-9 {
            out.append(SpectrumPoint(percentile: p, micros: Double(v)))
        }
        if lastRank > 0 { out.append(SpectrumPoint(percentile: lastRank, micros: Double(s.max))) } else { out[0].micros = Double(s.max) }
        return out
    }

    /// The full percentile spectrum of a histogram, as HdrHistogram's plots draw it: its percentile iteration at five
    /// ticks per half-distance to 100 %, values capped at the exact maximum, and the final (100 %) step placed at the
    /// rank of the last sample so that it lands on a finite point of the 1/(1−p) axis.
    ///
    /// The hook for summaries that carry `hdr`: see `spectrum(_:)`.
    static func spectrumPoints(from histogram: LatencyHistogram) -> [SpectrumPoint] {
        guard histogram.totalCount > 0 else { return [] }
        let n = Double(histogram.totalCount)
        let maxMicros = Double(histogram.maxRecorded)
        let lastRank = lastRankPercentile(count: n)
        var out: [SpectrumPoint] = []
        for step in histogram.percentiles(ticksPerHalfDistance: 5) {
            let p = min(step.percentileLevelIteratedTo, lastRank)
            let v = min(Double(step.value), maxMicros)
            if let last = out.last, last.percentile >= p {
                out[out.count - 1].micros = max(last.micros, v)
            } else {
                out.append(SpectrumPoint(percentile: p, micros: v))
            }
        }
        if out.last?.percentile != lastRank || out.last?.micros != maxMicros {
            out.append(SpectrumPoint(percentile: lastRank, micros: maxMicros))
        }
        return out
    }

    /// 100 × (1 − 1/n): where the largest of n samples sits on the spectrum's axis (x = log10 n).
    static func lastRankPercentile(count n: Double) -> Double {
        n <= 1 ? 0 : 100 * (1 - 1 / n)
    }

    /// log10(1 / (1 − p)): 0 at 0 %, 1 at 90 %, 2 at 99 %, …
    static func spectrumX(_ percentile: Double) -> Double {
        let rest = 1 - percentile / 100
        return rest > 0 ? log10(1 / rest) : 12
    }

    static func spectrumPanel(_ r: RunResult) -> String {
        let latency = spectrum(r.latency_us), service = spectrum(r.service_time_us)
        let count = Double(max(r.latency_us.count, r.service_time_us.count))
        let decades = max(5, min(7, Int(ceil(log10(max(count, 1)) - 1e-9))))
        // 0 %, 90 %, 99 %, 99.9 %, …: one decade of 1/(1−p) each.
        var ticks: [(Double, String)] = [(0, "0%"), (1, "90%")]
        for d in stride(from: 2, through: decades, by: 1) {
            ticks.append((Double(d), "99" + (d > 2 ? "." + String(repeating: "9", count: d - 2) : "") + "%"))
        }
        func series(_ name: String, _ points: [SpectrumPoint], colour: String, dash: String?) -> Series {
            Series(label: name, colour: colour, segments: points.isEmpty ? [] : [points.map { (spectrumX($0.percentile), $0.micros / 1000) }],
                   width: 2.2, dash: dash, dots: !latency.full,
                   tips: points.map { "\(name) at \(percentileLabel($0.percentile)): \(DurationParser.format(microsDouble: $0.micros))" })
        }
        let chart = Chart(
            name: "spectrum", width: 1112, height: 340,
            xDomain: 0...Double(decades), xTicks: ticks, xLabel: "percentile (log scale of 1 / (1 − p))",
            yLabel: "latency (ms)",
            series: [series("latency (corrected, from due time)", latency.points, colour: Palette.blue, dash: nil),
                     series("service time (from send)", service.points, colour: Palette.orange, dash: "6 4")],
            emptyText: "no complete responses: no latency to plot")
        let source = latency.full
            ? "Full distribution from the run's HdrHistogram."
            : "Points: the result's fixed percentiles (min, p50 … p99.99, max)."
        let model = r.plan.model == "open"
            ? "Latency counts from each request's due time (corrected for coordinated omission); service time from the actual send."
            : "Closed model: each request is sent when due, so latency and service time coincide."
        return panel("Latency percentile spectrum", note: "\(model) \(source)", content: render(chart) + "\n" + latencyTable(r))
    }

    static func percentileLabel(_ p: Double) -> String {
        if p == 0 { return "0%" }
        var digits = 0
        while digits < 6, abs(p * pow(10, Double(digits)) - (p * pow(10, Double(digits))).rounded()) > 1e-6 { digits += 1 }
        return fixed(p, digits) + "%"
    }

    static func latencyTable(_ r: RunResult) -> String {
        var rows: [(String, HistogramSummary)] = [("Latency (corrected)", r.latency_us), ("Service time", r.service_time_us)]
        if r.plan.model == "open" { rows.append(("Send lateness", r.send_lateness_us)) }
        let head = ["min", "mean", "p50", "p75", "p90", "p95", "p99", "p99.9", "p99.99", "max"]
        var out = [#"<table class="latency-table"><thead><tr><th></th>"# + head.map { #"<th class="num">\#($0)</th>"# }.joined() + "<th class=\"num\">count</th></tr></thead><tbody>"]
        for (name, s) in rows {
            let values = [s.min, s.mean, s.p50, s.p75, s.p90, s.p95, s.p99, s.p99_9, s.p99_99, s.max]
            let cells = values.map { #"<td class="num">\#(s.count == 0 ? "–" : escape(DurationParser.format(micros: $0)))</td>"# }.joined()
            out.append("<tr><td>\(escape(name))</td>\(cells)<td class=\"num\">\(TextReport.grouped(s.count))</td></tr>")
        }
        out.append("</tbody></table>")
        return out.joined(separator: "\n")
    }

    // MARK: - Status codes and error classes

    struct BarRow {
        var label: String
        var detail: String
        var value: Int
        var colour: String
    }

    static func statusChart(_ codes: [String: Int]) -> String {
        let total = codes.values.reduce(0, +)
        let rows = codes.sorted { (Int($0.key) ?? 0, $0.key) < (Int($1.key) ?? 0, $1.key) }.map { code, n in
            BarRow(label: code, detail: reasonPhrase(Int(code) ?? 0), value: n, colour: statusColour(Int(code) ?? 0))
        }
        return barTable(name: "status", rows: rows, denominator: total, emptyText: "no complete responses")
    }

    static func errorChart(_ errors: [String: Int], answered: Int) -> String {
        let rows = errors.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.map { name, n in
            BarRow(label: name, detail: errorDescription(name), value: n, colour: Palette.red)
        }
        return barTable(name: "errors", rows: rows, denominator: answered, emptyText: "no failed requests")
    }

    /// A small horizontal bar table: label and detail, a bar scaled to the largest value, the count and its share.
    static func barTable(name: String, rows: [BarRow], denominator: Int, emptyText: String) -> String {
        let width = 524.0, rowHeight = 30.0, top = 6.0
        let valueTexts = rows.map { row in
            "\(TextReport.grouped(row.value)) · \(percent(denominator > 0 ? Double(row.value) / Double(denominator) : 0))"
        }
        // The count column widens for long counts (about 7 px a character at 12 px) so that no count runs into its bar.
        let labelWidth = 206.0, valueWidth = max(118.0, Double(valueTexts.map(\.count).max() ?? 0) * 7 + 12)
        let height = rows.isEmpty ? 70 : top * 2 + rowHeight * Double(rows.count)
        var out = [svgOpen(name: name, width: width, height: height, label: "\(name) bar table")]
        if rows.isEmpty {
            out.append(#"<text class="empty" x="\#(f(width / 2))" y="\#(f(height / 2 + 5))" text-anchor="middle">\#(escape(emptyText))</text>"#)
        }
        let maxValue = Double(rows.map(\.value).max() ?? 0)
        let barSpace = width - labelWidth - valueWidth
        for (i, row) in rows.enumerated() {
            let y = top + rowHeight * Double(i)
            let cy = y + rowHeight / 2
            let valueText = valueTexts[i]
            out.append(#"<g class="bar-row">"#)
            out.append(#"<title>\#(escape("\(row.label) \(row.detail): \(valueText)"))</title>"#)
            let detail = truncate(row.detail, to: max(0, 26 - row.label.count))
            out.append(#"<text class="row-label" x="0" y="\#(f(cy + 4.5))">\#(escape(row.label))"#
                + (detail.isEmpty ? "" : #"<tspan class="row-detail" dx="6">\#(escape(detail))</tspan>"#) + "</text>")
            out.append(#"<rect x="\#(f(labelWidth))" y="\#(f(y + 6))" width="\#(f(barSpace))" height="\#(f(rowHeight - 12))" rx="3" fill="\#(Palette.track)"/>"#)
            let w = maxValue > 0 ? max(2, Double(row.value) / maxValue * barSpace) : 0
            out.append(#"<rect class="bar" x="\#(f(labelWidth))" y="\#(f(y + 6))" width="\#(f(w))" height="\#(f(rowHeight - 12))" rx="3" fill="\#(row.colour)"/>"#)
            out.append(#"<text class="row-value" x="\#(f(width))" y="\#(f(cy + 4.5))" text-anchor="end">\#(escape(valueText))</text>"#)
            out.append("</g>")
        }
        out.append("</svg>")
        return out.joined(separator: "\n")
    }

    static func statusColour(_ code: Int) -> String {
        switch code / 100 {
        case 2: Palette.green
        case 3: Palette.blue
        case 4: Palette.orange
        case 5: Palette.red
        default: Palette.slate
        }
    }

    static func reasonPhrase(_ code: Int) -> String {
        switch code {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: ""
        }
    }

    /// A few words on each error class; a class added later simply shows none.
    static func errorDescription(_ name: String) -> String {
        let words: [ErrorClass: String] = [
            .connect: "refused or unreachable", .dns: "name not resolved", .timeout: "timed out", .tls: "TLS handshake failed",
            .read: "reset or closed", .protocol: "malformed response", .write: "send failed", .status: "HTTP status ≥ 400",
            .other: "other failure", .check: "expect check failed",
        ]
        return ErrorClass(rawValue: name).flatMap { words[$0] } ?? ""
    }

    // MARK: - Targets, thresholds, details

    /// The plan's targets: each one's share of requests (its weight), and its own numbers when the result carries the
    /// per-target section. Header lines appear exactly as the plan records them (secrets masked there, and again here).
    static func targetsPanel(_ targets: [PlanRecord.Target], sections: [String: RunResult.Section] = [:]) -> String {
        let totalWeight = targets.reduce(0) { $0 + max(0, $1.weight) }
        let head: [(String, Bool)] = [("target", false), ("weight", true), ("requests", true), ("failed", true), ("req/s", true),
                                      ("error rate", true), ("p50", true), ("p99", true), ("max", true), ("body", true)]
        let headCells: [String] = head.map { name, numeric in
            (numeric ? #"<th class="num">"# : "<th>") + escape(name) + "</th>"
        }
        var out = [#"<table class="targets"><thead><tr>"# + headCells.joined() + "</tr></thead><tbody>"]
        for t in targets {
            let headers = t.headers.map { escape(Redaction.header($0)) }.joined(separator: "<br/>")
            var cell = #"<strong>\#(escape(t.name))</strong><div class="mono">\#(escape(t.method)) \#(escape(t.url))</div>"#
            if !headers.isEmpty { cell += #"<div class="mono muted">\#(headers)</div>"# }
            let share = totalWeight > 0 ? max(0, t.weight) / totalWeight : 0
            var cells: [String] = [cell, fixedTrimmed(t.weight) + #" <span class="muted">("# + escape(percent(share)) + ")</span>"]
            if let sec = sections[t.name] {
                let answered = sec.requests.ok + sec.requests.failed
                let rate = answered > 0 ? Double(sec.requests.failed) / Double(answered) : 0
                let lat = { (v: Int64) in sec.latency_us.count > 0 ? DurationParser.format(micros: v) : "–" }
                let numbers: [String] = [TextReport.grouped(sec.requests.total), TextReport.grouped(sec.requests.failed), number(sec.rps),
                                         percent(rate), lat(sec.latency_us.p50), lat(sec.latency_us.p99), lat(sec.latency_us.max)]
                cells += numbers.map { escape($0) }
            } else {
                cells += Array(repeating: "–", count: 7)
            }
            cells.append(t.body_bytes > 0 ? escape(TextReport.bytes(Double(t.body_bytes))) : "–")
            let row: [String] = cells.enumerated().map { i, c in i == 0 ? "<td>" + c + "</td>" : #"<td class="num">"# + c + "</td>" }
            out.append("<tr>" + row.joined() + "</tr>")
        }
        out.append("</tbody></table>")
        let note = sections.isEmpty
            ? "The plan's targets and their weights. This result has no per-target numbers: the figures above cover all targets together."
            : "Each target's share of requests (its weight) and its own numbers; latency over complete responses."
        return panel("Targets", note: note, content: out.joined(separator: "\n"))
    }

    /// The result's per-stage section: each stage's target load and what was achieved.
    static func stagesPanel(_ r: RunResult) -> String {
        let open = r.plan.model == "open"
        let head = ["stage", "from", "length", open ? "target rate" : "target concurrency", "planned req/s", "achieved req/s",
                    "requests", "failed", "dropped", "p50", "p99"]
        var out = [#"<table class="stages"><thead><tr>"# + head.enumerated().map { i, h in #"<th\#(i == 0 ? "" : #" class="num""#)>\#(escape(h))</th>"# }.joined() + "</tr></thead><tbody>"]
        for (i, st) in r.stages.enumerated() {
            let lat = { (v: Int64) in st.latency_us.count > 0 ? DurationParser.format(micros: v) : "–" }
            // The load moves linearly from where the previous stage ended to this stage's target.
            let target: String
            if open {
                let from = i == 0 ? r.plan.start_rate : r.stages[i - 1].target_rate
                target = st.target_rate.map { to in (from.map { $0 != to ? number($0) + " → " : "" } ?? "") + number(to) + " req/s" } ?? "–"
            } else {
                let from = i == 0 ? r.plan.start_concurrency : r.stages[i - 1].target_concurrency
                target = st.target_concurrency.map { to in (from.map { $0 != to ? TextReport.grouped($0) + " → " : "" } ?? "") + TextReport.grouped(to) } ?? "–"
            }
            let short = st.target_rps.map { st.achieved_rps < $0 * 0.95 } ?? false
            let cells = [String(st.stage), st.start_us == 0 ? "0s" : DurationParser.format(micros: st.start_us),
                         DurationParser.format(micros: st.duration_us), target,
                         st.target_rps.map(number) ?? "–", number(st.achieved_rps), TextReport.grouped(st.requests.total),
                         TextReport.grouped(st.requests.failed), TextReport.grouped(st.requests.dropped),
                         lat(st.latency_us.p50), lat(st.latency_us.p99)]
            let tones = [5: short ? " bad" : "", 7: st.requests.failed > 0 ? " bad" : "", 8: st.requests.dropped > 0 ? " warn" : ""]
            let row: [String] = cells.enumerated().map { j, c in
                j == 0 ? "<td>" + escape(c) + "</td>" : #"<td class="num"# + (tones[j] ?? "") + #"">"# + escape(c) + "</td>"
            }
            out.append("<tr>" + row.joined() + "</tr>")
        }
        out.append("</tbody></table>")
        return panel("Stages", note: "Each stage's target load and what it achieved. In red: achieved more than 5 % below plan, and failures; dropped in amber.",
                     content: out.joined(separator: "\n"))
    }

    static func thresholdsPanel(_ results: [ThresholdResult]) -> String {
        var out = [#"<table class="thresholds"><thead><tr><th></th><th>threshold</th><th>scope</th><th class="num">measured</th><th class="num">limit</th></tr></thead><tbody>"#]
        for t in results {
            let mark = t.ok ? #"<span class="pass-mark" title="passed">✓</span>"# : #"<span class="fail-mark" title="failed">✗</span>"#
            var measured = escape(t.measuredText)
            if t.actual == nil, let note = t.note { measured += #"<br/><span class="muted">\#(escape(note))</span>"# }
            out.append("<tr class=\"\(t.ok ? "passed" : "failed")\"><td>\(mark)</td><td class=\"mono\">\(escape(t.expr))</td>"
                + "<td>\(escape(t.scope.description))</td><td class=\"num\">\(measured)</td><td class=\"num\">\(escape(t.limitText))</td></tr>")
        }
        out.append("</tbody></table>")
        let failed = results.filter { !$0.ok }.count
        return panel("Thresholds", note: failed == 0 ? "Every threshold passed." : "\(failed) of \(results.count) thresholds failed.",
                     content: out.joined(separator: "\n"))
    }

    static func detailsPanel(_ r: RunResult) -> String {
        let p = r.plan
        let g = TextReport.grouped
        var pairs: [(String, String)] = [
            ("Started", r.started_at),
            ("Barrage", r.barrage_version),
            ("Model", p.model + (p.model == "open" ? ", \(p.arrival ?? "uniform") arrivals" : "")),
            (p.model == "open" ? "Pool (max in flight)" : "Connections", g(p.max_in_flight ?? p.concurrency)),
            ("Threads", String(p.threads)),
            ("HTTP", "\(p.http_version)\(p.keepalive ? ", keep-alive" : ", no keep-alive")"),
            ("Timeout", DurationParser.format(micros: p.timeout_us)),
            ("Connect timeout", DurationParser.format(micros: p.connect_timeout_us)),
            ("Planned requests", p.expected_requests.map(g) ?? "time-bound"),
            ("Stages", String(p.stages.count)),
            ("Connections opened", g(r.connections.new)),
            ("Connections reused", g(r.connections.reused)),
            ("Received", "\(TextReport.bytes(Double(r.throughput.bytes_in))) (\(TextReport.bytes(r.throughput.bytes_in_per_s))/s)"),
            ("Sent", TextReport.bytes(Double(r.throughput.bytes_out))),
        ]
        if let w = r.warmup {
            pairs.append(("Warm-up (excluded)", "\(DurationParser.format(micros: p.warmup_us ?? w.duration_us)), \(TextReport.grouped(w.requests.total)) requests"))
        }
        if let c = r.connect_phase {
            pairs.append(("Connect phase (excluded)", "\(TextReport.grouped(c.connections)) connections in \(DurationParser.format(micros: c.duration_us))"
                + (c.requests.failed > 0 ? ", \(TextReport.grouped(c.requests.failed)) failed" : "")))
        }
        if let think = p.think_time_us, think > 0 { pairs.append(("Think time", DurationParser.format(micros: think))) }
        if let name = p.name { pairs.append(("Profile", name)) }
        if p.model == "open" {
            pairs.append(("Max lateness", DurationParser.format(micros: p.max_lateness_us ?? 0)))
            pairs.append(("Send lateness p99", r.send_lateness_us.count > 0 ? DurationParser.format(micros: r.send_lateness_us.p99) : "–"))
        }
        let phases: [(String, HistogramSummary)] = [("DNS", r.phases_us.dns), ("Connect", r.phases_us.connect),
                                                    ("TLS", r.phases_us.tls), ("TTFB", r.phases_us.ttfb)]
        for (name, s) in phases where s.count > 0 {
            pairs.append(("\(name) mean / p99", "\(DurationParser.format(micros: s.mean)) / \(DurationParser.format(micros: s.p99))"))
        }
        while pairs.count % 3 != 0 { pairs.append(("", "")) }
        let items = pairs.map { "<dt>\(escape($0.0))</dt><dd>\(escape($0.1))</dd>" }.joined(separator: "\n")
        return panel("Run details", content: #"<dl class="kv">"# + "\n" + items + "\n</dl>")
    }

    // MARK: - Scaling

    static func scaleVerdict(_ s: ScaleResult) -> (text: String, style: String, note: String) {
        let failedLevels = s.levels.filter { $0.requests.failed > 0 }.count
        let note = failedLevels > 0 ? "errors at \(failedLevels) level\(failedLevels == 1 ? "" : "s")" : "\(s.levels.count) levels measured"
        let dead = s.levels.filter(\.no_ok_response).count
        if dead > 0 && dead == s.levels.count { return ("NO OK RESPONSE", "fail", "at any level: the sweep measured nothing") }
        if let knee = s.knee { return ("KNEE AT \(knee)", failedLevels > 0 ? "fail" : "warn", note) }
        if s.levels.isEmpty { return ("NO LEVELS", "warn", "") }
        return ("SCALES", failedLevels > 0 ? "warn" : "pass", note)
    }

    static func scaleCards(_ s: ScaleResult) -> String {
        let best = s.levels.max { $0.throughput.rps < $1.throughput.rps }
        let bestSpeedup = s.levels.max { $0.speedup < $1.speedup }
        let range = s.levels.isEmpty ? "–" : "\(s.levels.first!.concurrency) → \(s.levels.last!.concurrency)"
        var list = [
            Card(label: "Levels", value: String(s.levels.count), sub: "in flight \(range)"),
            Card(label: "Peak req/s", value: best.map { number($0.throughput.rps) } ?? "–",
                 sub: best.map { "at \($0.concurrency) in flight" } ?? ""),
            Card(label: "Best speedup", value: bestSpeedup.map { fixed($0.speedup, 2) + "×" } ?? "–",
                 sub: bestSpeedup.map { "at \($0.concurrency), eff. \(fixed($0.efficiency * 100, 0))%" } ?? ""),
            Card(label: "Knee", value: s.knee.map(String.init) ?? "none", sub: "efficiency < 50 %", tone: s.knee == nil ? "good" : "warn"),
        ]
        if let fit = s.usl {
            list.append(Card(label: "USL peak req/s", value: fit.peakRPS.map { number($0) } ?? "none",
                             sub: fit.peakConcurrency.map { "at \(number($0)) in flight" } ?? "κ = 0: no peak"))
            list.append(Card(label: "Fit R²", value: fixed(fit.r2, 3), sub: fit.r2 < 0.9 ? "poor fit" : "good fit", tone: fit.r2 < 0.9 ? "warn" : ""))
        } else {
            list.append(Card(label: "USL peak", value: "–", sub: "no fit"))
            list.append(Card(label: "Fit R²", value: "–", sub: "at least 3 levels needed"))
        }
        let failed = s.levels.reduce(0) { $0 + $1.requests.failed }
        list.append(Card(label: "Failed", value: TextReport.grouped(failed), sub: "over all levels", tone: failed > 0 ? "bad" : ""))
        return cards(list)
    }

    /// The sweep's charts (ScaleCharts' SVG, inline) beside the fit, then the per-level table.
    static func scalePanels(_ s: ScaleResult) -> String {
        let svg = inlineScaleSVG(ScaleCharts.svg(s.chartPoints, fit: s.usl, title: "Throughput and speedup vs concurrency"))
        var fit = [#"<div class="fit">"#, "<h3>Universal Scalability Law</h3>"]
        if let u = s.usl {
            var rows = [("λ (req/s per request in flight)", number(u.lambda)), ("σ (contention)", fixed(u.sigma, 4)),
                        ("κ (coherency)", fixed(u.kappa, 6)), ("R²", fixed(u.r2, 3))]
            if let peak = u.peakConcurrency, let rps = u.peakRPS {
                rows.append(("modelled peak", "\(number(rps)) req/s at \(number(peak)) in flight"))
            } else {
                rows.append(("modelled peak", "none (κ = 0): throughput keeps rising"))
            }
            fit.append("<dl>" + rows.map { "<dt>\(escape($0.0))</dt><dd>\(escape($0.1))</dd>" }.joined() + "</dl>")
        } else {
            fit.append(#"<p class="muted">No fit: it needs at least three levels that can be fitted.</p>"#)
        }
        fit.append("<h3>Knee</h3>")
        fit.append("<p>" + escape(s.knee.map { "Efficiency first falls below 50 % at \($0) in flight." }
            ?? "Efficiency stays at or above 50 % at every level.") + "</p>")
        if !s.notes.isEmpty {
            fit.append("<h3>Notes</h3><ul>" + s.notes.map { "<li>\(escape($0))</li>" }.joined() + "</ul>")
        }
        fit.append("</div>")
        let top = #"<div class="scale-layout">"# + "\n" + svg + "\n" + fit.joined(separator: "\n") + "\n</div>"
        return panel("Scaling", note: "Throughput and speedup at each concurrency level, against ideal linear scaling and the USL fit.",
                     content: top) + "\n" + panel("Scaling levels", content: scaleTable(s))
    }

    static func scaleTable(_ s: ScaleResult) -> String {
        let head = ["in flight", "wall", "requests", "req/s", "speedup", "efficiency", "p50", "p99", "failed", "avg in flight", "X·W"]
        var out = [#"<table class="scale-table"><thead><tr>"# + head.map { #"<th class="num">\#(escape($0))</th>"# }.joined() + "</tr></thead><tbody>"]
        for l in s.levels {
            let cells = [TextReport.grouped(l.concurrency) + (l.no_ok_response ? " ✗" : ""), DurationParser.format(micros: l.duration_us), TextReport.grouped(l.requests.total),
                         number(l.throughput.rps), fixed(l.speedup, 2) + "×", fixed(l.efficiency * 100, 0) + "%",
                         l.latency_us.count > 0 ? DurationParser.format(micros: l.latency_us.p50) : "–",
                         l.latency_us.count > 0 ? DurationParser.format(micros: l.latency_us.p99) : "–",
                         TextReport.grouped(l.requests.failed), fixed(l.in_flight, 1), fixed(l.littles_law_in_flight, 1)]
            let cls = l.requests.failed > 0 ? " class=\"failed\"" : (l.concurrency == s.knee ? " class=\"knee\"" : "")
            out.append("<tr\(cls)>" + cells.map { #"<td class="num">\#(escape($0))</td>"# }.joined() + "</tr>")
        }
        if s.levels.isEmpty { out.append(#"<tr><td colspan="11" class="muted">no levels measured</td></tr>"#) }
        out.append("</tbody></table>")
        out.append(#"<p class="note" style="margin-top:10px">X·W: Little's law, throughput × mean latency; it should match the measured average in flight. Highlighted: the knee (amber) and levels with failures (red); ✗: no ok response at that level (it measured nothing; left out of the fit).</p>"#)
        return out.joined(separator: "\n")
    }

    /// ScaleCharts' SVG made fit to sit inside the page: no XML declaration, no namespace URL (HTML puts `<svg>` in
    /// the SVG namespace by itself), tagged `data-chart="scale"`, and its stylesheet scoped to it, because an inline
    /// SVG's `<style>` applies to the whole document.
    static func inlineScaleSVG(_ svg: String) -> String {
        var text = svg
        if let declaration = text.range(of: "<?xml"), let end = text.range(of: "?>", range: declaration.upperBound..<text.endIndex) {
            text.removeSubrange(declaration.lowerBound..<end.upperBound)
        }
        text = text.replacingOccurrences(of: #" xmlns="http://www.w3.org/2000/svg""#, with: "")
        text = text.replacingOccurrences(of: #" xmlns:xlink="http://www.w3.org/1999/xlink""#, with: "")
        if let open = text.range(of: "<svg") {
            text.replaceSubrange(open, with: #"<svg data-chart="scale" class="scale-chart""#)
        }
        // Prefix every selector of the embedded stylesheet with the chart's class.
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "<style>"), let end = rest.range(of: "</style>", range: start.upperBound..<rest.endIndex) {
            out += rest[..<start.upperBound]
            let css = rest[start.upperBound..<end.lowerBound]
            out += css.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                guard let brace = line.firstIndex(of: "{") else { return String(line) }
                let selectors = line[..<brace].split(separator: ",").map { ".scale-chart " + $0.trimmingCharacters(in: .whitespaces) }
                return selectors.joined(separator: ", ") + " " + line[brace...]
            }.joined(separator: "\n")
            out += "</style>"
            rest = rest[end.upperBound...]
        }
        out += rest
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Charts

    enum Palette {
        static let blue = "#2563eb"
        static let orange = "#ea7a0c"
        static let purple = "#9333ea"
        static let green = "#16a34a"
        static let red = "#dc2626"
        static let slate = "#64748b"
        static let axis = "#94a3b8"
        static let grid = "#e5e9f0"
        static let gridVertical = "#eef1f5"
        static let track = "#eef1f6"
        static let plotBackground = "#fbfcfe"
        static let white = "#ffffff"
    }

    /// A line through points in data coordinates; each segment is drawn separately (gaps between them).
    struct Series {
        var label: String
        var colour: String
        var segments: [[(Double, Double)]]
        var width: Double = 2
        var dash: String? = nil
        /// Fill the area under the line, lightly.
        var fill: Bool = false
        /// A dot at each point.
        var dots: Bool = false
        /// Tooltips for the dots, in point order across segments.
        var tips: [String] = []
    }

    struct BarSeries {
        var label: String
        var colour: String
        var items: [(x0: Double, x1: Double, y: Double)]
    }

    /// A dashed vertical line across the plot (stage boundaries).
    struct Marker {
        var x: Double
        var label: String
    }

    struct Chart {
        var name: String
        var width: Double
        var height: Double
        var xDomain: ClosedRange<Double>
        var xTicks: [(Double, String)]
        var xLabel: String
        var yLabel: String
        var series: [Series]
        var bars: [BarSeries] = []
        var markers: [Marker] = []
        var emptyText: String
    }

    static func svgOpen(name: String, width: Double, height: Double, label: String) -> String {
        #"<svg data-chart="\#(name)" class="chart" viewBox="0 0 \#(f(width)) \#(f(height))" width="\#(f(width))" height="\#(f(height))" role="img" aria-label="\#(escape(label))">"#
    }

    /// An x/y chart: gridlines, axes with ticks and units, a legend above the plot, stage markers, lines and bars.
    static func render(_ c: Chart) -> String {
        let left = 62.0, right = 26.0, bottom = 46.0
        let hasMarkers = c.markers.contains { $0.x > c.xDomain.lowerBound && $0.x < c.xDomain.upperBound }
        let legend = legendLayout(c, hasMarkers: hasMarkers, left: left, right: c.width - right)
        let top = 22.0 + 18 * Double(legend.rows)
        let plot = (x: left, y: top, w: c.width - left - right, h: c.height - top - bottom)
        let values = c.series.flatMap { $0.segments.flatMap { $0.map(\.1) } } + c.bars.flatMap { $0.items.map(\.y) }
        let hasData = values.contains { $0.isFinite }
        // A little headroom, so that a line at the maximum does not run along the frame.
        let scale = niceScale((values.filter(\.isFinite).max() ?? 0) * 1.04)
        let xSpan = max(c.xDomain.upperBound - c.xDomain.lowerBound, 1e-9)
        func px(_ x: Double) -> Double { plot.x + (min(max(x, c.xDomain.lowerBound), c.xDomain.upperBound) - c.xDomain.lowerBound) / xSpan * plot.w }
        func py(_ y: Double) -> Double { plot.y + plot.h - min(max(y.isFinite ? y : 0, 0), scale.max) / scale.max * plot.h }

        var out = [svgOpen(name: c.name, width: c.width, height: c.height, label: "\(c.yLabel) by \(c.xLabel)")]
        out.append(#"<rect x="\#(f(plot.x))" y="\#(f(plot.y))" width="\#(f(plot.w))" height="\#(f(plot.h))" fill="\#(Palette.plotBackground)"/>"#)
        // Horizontal gridlines and y ticks.
        for tick in scale.ticks {
            let y = py(tick)
            out.append(#"<line x1="\#(f(plot.x))" y1="\#(f(y))" x2="\#(f(plot.x + plot.w))" y2="\#(f(y))" stroke="\#(Palette.grid)" stroke-width="1"/>"#)
            out.append(#"<text x="\#(f(plot.x - 8))" y="\#(f(y + 4))" text-anchor="end">\#(escape(scale.label(tick)))</text>"#)
        }
        // Vertical gridlines and x ticks; labels near the edges are anchored inwards so they are never clipped.
        for (x, label) in c.xTicks where c.xDomain.contains(x) {
            let tx = px(x)
            out.append(#"<line x1="\#(f(tx))" y1="\#(f(plot.y))" x2="\#(f(tx))" y2="\#(f(plot.y + plot.h))" stroke="\#(Palette.gridVertical)" stroke-width="1"/>"#)
            out.append(#"<line x1="\#(f(tx))" y1="\#(f(plot.y + plot.h))" x2="\#(f(tx))" y2="\#(f(plot.y + plot.h + 5))" stroke="\#(Palette.axis)" stroke-width="1"/>"#)
            let halfWidth = Double(label.count) * 3.4
            let anchor = tx + halfWidth > c.width - 2 ? "end" : "middle"
            out.append(#"<text x="\#(f(anchor == "end" ? c.width - 2 : tx))" y="\#(f(plot.y + plot.h + 18))" text-anchor="\#(anchor)">\#(escape(label))</text>"#)
        }
        // Axes.
        out.append(#"<line x1="\#(f(plot.x))" y1="\#(f(plot.y + plot.h))" x2="\#(f(plot.x + plot.w))" y2="\#(f(plot.y + plot.h))" stroke="\#(Palette.axis)" stroke-width="1"/>"#)
        out.append(#"<line x1="\#(f(plot.x))" y1="\#(f(plot.y))" x2="\#(f(plot.x))" y2="\#(f(plot.y + plot.h))" stroke="\#(Palette.axis)" stroke-width="1"/>"#)
        out.append(#"<text class="axis-title" x="\#(f(plot.x + plot.w / 2))" y="\#(f(c.height - 8))" text-anchor="middle">\#(escape(c.xLabel))</text>"#)
        let yMid = plot.y + plot.h / 2
        out.append(#"<text class="axis-title" x="14" y="\#(f(yMid))" text-anchor="middle" transform="rotate(-90 14 \#(f(yMid)))">\#(escape(c.yLabel))</text>"#)

        if hasData {
            // Stage boundaries.
            for m in c.markers where m.x > c.xDomain.lowerBound && m.x < c.xDomain.upperBound {
                let mx = px(m.x)
                out.append(#"<line class="stage-boundary" x1="\#(f(mx))" y1="\#(f(plot.y))" x2="\#(f(mx))" y2="\#(f(plot.y + plot.h))" stroke="\#(Palette.slate)" stroke-width="1.2" stroke-dasharray="5 4"/>"#)
                // The label sits just above the frame, clear of the data and below the legend.
                out.append(#"<text class="marker-label" x="\#(f(mx))" y="\#(f(plot.y - 5))" text-anchor="middle">\#(escape(m.label))</text>"#)
            }
            // Bars first, lines over them.
            for b in c.bars {
                out.append(#"<g class="bars" fill="\#(b.colour)" fill-opacity="0.75">"#)
                for item in b.items {
                    let x0 = px(item.x0), x1 = px(item.x1)
                    let gap = min(2, (x1 - x0) * 0.15)
                    let y = py(item.y)
                    out.append(#"<rect x="\#(f(x0 + gap / 2))" y="\#(f(y))" width="\#(f(max(x1 - x0 - gap, 1)))" height="\#(f(plot.y + plot.h - y))"/>"#)
                }
                out.append("</g>")
            }
            for s in c.series {
                var tipIndex = 0
                out.append(#"<g class="series">"#)
                for segment in s.segments where !segment.isEmpty {
                    let points = segment.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
                    if s.fill, segment.count > 1 {
                        let base = f(plot.y + plot.h)
                        let area = "\(f(px(segment[0].0))),\(base) " + points + " \(f(px(segment[segment.count - 1].0))),\(base)"
                        out.append(#"<polygon points="\#(area)" fill="\#(s.colour)" fill-opacity="0.10"/>"#)
                    }
                    if segment.count > 1 {
                        out.append(#"<polyline points="\#(points)" fill="none" stroke="\#(s.colour)" stroke-width="\#(f(s.width))" stroke-linejoin="round" stroke-linecap="round"\#(s.dash.map { #" stroke-dasharray="\#($0)""# } ?? "")/>"#)
                    }
                    if s.dots || segment.count == 1 {
                        for p in segment {
                            let tip = tipIndex < s.tips.count ? "<title>\(escape(s.tips[tipIndex]))</title>" : ""
                            tipIndex += 1
                            out.append(#"<circle cx="\#(f(px(p.0)))" cy="\#(f(py(p.1)))" r="3" fill="\#(Palette.white)" stroke="\#(s.colour)" stroke-width="1.8">\#(tip)</circle>"#)
                        }
                    } else {
                        tipIndex += segment.count
                    }
                }
                out.append("</g>")
            }
        } else {
            out.append(#"<text class="empty" x="\#(f(plot.x + plot.w / 2))" y="\#(f(plot.y + plot.h / 2 + 5))" text-anchor="middle">\#(escape(c.emptyText))</text>"#)
        }

        // Legend, above the plot, left-aligned with it.
        out.append(#"<g class="legend">"#)
        for item in legend.items {
            let ly = 15 + 18 * Double(item.row)
            switch item.kind {
            case .line(let width, let dash):
                out.append(#"<line x1="\#(f(item.x))" y1="\#(f(ly - 4))" x2="\#(f(item.x + 22))" y2="\#(f(ly - 4))" stroke="\#(item.colour)" stroke-width="\#(f(width))"\#(dash.map { #" stroke-dasharray="\#($0)""# } ?? "")/>"#)
                out.append(#"<text class="legend-text" x="\#(f(item.x + 28))" y="\#(f(ly))">\#(escape(item.label))</text>"#)
            case .box:
                out.append(#"<rect x="\#(f(item.x))" y="\#(f(ly - 9))" width="12" height="10" fill="\#(item.colour)" fill-opacity="0.75"/>"#)
                out.append(#"<text class="legend-text" x="\#(f(item.x + 18))" y="\#(f(ly))">\#(escape(item.label))</text>"#)
            }
        }
        out.append("</g>")
        out.append("</svg>")
        return out.joined(separator: "\n")
    }

    struct LegendItem {
        enum Kind {
            case line(width: Double, dash: String?)
            case box
        }
        var label: String
        var colour: String
        var kind: Kind
        var x: Double = 0
        var row: Int = 0
    }

    /// The legend's items placed left to right from the plot's left edge, wrapping onto another row where a row is full.
    static func legendLayout(_ c: Chart, hasMarkers: Bool, left: Double, right: Double) -> (items: [LegendItem], rows: Int) {
        var items = c.series.map { LegendItem(label: $0.label, colour: $0.colour, kind: .line(width: max($0.width, 2), dash: $0.dash)) }
        items += c.bars.map { LegendItem(label: $0.label, colour: $0.colour, kind: .box) }
        let hasData = (c.series.flatMap(\.segments).contains { !$0.isEmpty }) || c.bars.contains { !$0.items.isEmpty }
        if hasMarkers && hasData {
            let runs = c.markers.contains { $0.label.hasPrefix("run ") }, stages = c.markers.contains { !$0.label.hasPrefix("run ") }
            let label = runs ? (stages ? "run start, stage boundary" : "run start") : "stage boundary"
            items.append(LegendItem(label: label, colour: Palette.slate, kind: .line(width: 1.2, dash: "5 4")))
        }
        var x = left, row = 0
        for i in items.indices {
            let swatch: Double
            if case .box = items[i].kind { swatch = 18 } else { swatch = 28 }
            let width = swatch + Double(items[i].label.count) * 6.6
            if x > left, x + width > right {
                row += 1
                x = left
            }
            items[i].x = x
            items[i].row = row
            x += width + 20
        }
        return (items, items.isEmpty ? 1 : row + 1)
    }

    /// A linear axis from zero to a rounded maximum on a 1–2–2.5–5 × 10^k step, about five ticks.
    struct AxisScale {
        var max: Double
        var step: Double
        var ticks: [Double] { stride(from: 0, through: max + step / 2, by: step).map { $0 } }

        /// Digits enough to tell the ticks apart; thousands grouped.
        func label(_ v: Double) -> String {
            var digits = 0
            while digits < 6, abs(step * pow(10, Double(digits)) - (step * pow(10, Double(digits))).rounded()) > 1e-6 { digits += 1 }
            if digits == 0, abs(v) >= 10_000 { return TextReport.grouped(Int(v.rounded())) }
            return fixed(v, digits)
        }
    }

    static func niceScale(_ maxValue: Double, ticks: Int = 5) -> AxisScale {
        let v = maxValue.isFinite && maxValue > 0 ? maxValue : 1
        let raw = v / Double(ticks)
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10
        let step = nice * magnitude
        return AxisScale(max: max(step, (v / step - 1e-9).rounded(.up) * step), step: step)
    }

    // MARK: - Text

    /// Escapes text for HTML (and XML) content and attribute values; drops the control characters XML 1.0 forbids.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func truncate(_ s: String, to limit: Int) -> String {
        guard s.count > limit else { return s }
        return limit <= 1 ? "" : String(s.prefix(limit - 1)) + "…"
    }

    /// A rate or count for people: `12.5`, `480`, `12,480`.
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "–" }
        if abs(v) >= 1000 { return TextReport.grouped(Int(v.rounded())) }
        return abs(v) >= 100 ? fixed(v, 0) : fixed(v, 1)
    }

    /// A plain number without trailing zeros: `3`, `0.5`, `1.25`.
    static func fixedTrimmed(_ v: Double) -> String {
        guard v.isFinite else { return "–" }
        var text = fixed(v, 3)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A fraction as a percentage: `0%`, `0.25%`, `12.5%`.
    static func percent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "–" }
        let p = fraction * 100
        if p == 0 { return "0%" }
        if p >= 10 { return fixed(p, 1) + "%" }
        return fixed(p, p >= 0.01 ? 2 : 3) + "%"
    }

    /// SVG coordinates: at most one decimal, never NaN.
    static func f(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let rounded = (v * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : fixed(rounded, 1)
    }
}
