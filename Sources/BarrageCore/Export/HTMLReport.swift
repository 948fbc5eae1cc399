import Foundation
import Histogram

/// A run, a scaling sweep, or both, as one self-contained HTML page: inline CSS and inline SVG charts, no scripts,
/// no fonts, images or stylesheets fetched (a `Content-Security-Policy` of `default-src 'none'` says so to the browser).
///
/// The page is also well-formed XML (void elements self-closed, only XML's predefined entities), so tests read it
/// with `XMLParser`. Every chart is an `<svg data-chart="…">`: `spectrum`, `distribution`, `rps`, `latency`,
/// `inflight`, `status`, `errors` for a run and `scale` for a sweep; each is drawn even without data (it then says
/// so), so a reader always finds the same sections. Two more appear where they have something to show:
/// `target-latency` (several targets or steps) and `errors-over-time` (failed requests). A WebSocket run has a
/// Messages panel (`messages`) after the headline numbers, and with a timeline a `messages` chart (per second). Every table cell carries
/// its column's name (`data-label`) for the narrow-screen layout. All text from the result is escaped; header values appear only in the targets table,
/// exactly as `plan.targets` records them (secrets already redacted there).
public enum HTMLReport {
    /// One self-contained HTML page for a run, with a scaling section when `scale` is given.
    /// `title` defaults to "Barrage report", the profile's name when the plan came from one, and the first target.
    public static func render(_ result: RunResult, scale: ScaleResult? = nil, title: String? = nil) -> String {
        let (pageTitle, body) = page(result, scale: scale, title: title)
        return document(title: pageTitle, body: body)
    }

    /// The page's title and the parts of its body, in order: what `render` wraps in a document, and what the live
    /// dashboard puts in place of its own body when the run ends.
    public static func page(_ result: RunResult, scale: ScaleResult? = nil, title: String? = nil) -> (title: String, body: [String]) {
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
        if let m = r.messages { body.append(messagesPanel(m)) }
        if let overTime = messagesOverTimePanel(r) { body.append(overTime) }
        if let it = r.iterations { body.append(iterationsPanel(it)) }
        if let overTime = iterationsOverTimePanel(r) { body.append(overTime) }
        for (_, s) in (r.scenarios ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let it = s.iterations { body.append(iterationsPanel(it, named: true)) } // several scenarios: one panel each
        }
        body.append(spectrumPanel(r))
        body.append(distributionPanel(r))
        body.append(#"<div class="grid2">"#)
        var shaded: [String] = []
        if connectPhaseSeconds(r) > 0 { shaded.append("the connect phase (before 0 s)") }
        if (r.plan.warmup_us ?? 0) > 0 && !r.timeline.isEmpty { shaded.append("the warm-up") }
        body.append(panel("Throughput over time",
                          note: "Requests completed per second (ok + failed), bucketed by completion time."
                              + (shaded.isEmpty ? "" : " Shaded on the time charts, not counted: " + shaded.joined(separator: " and ") + "."),
                          content: rpsChart(r)))
        body.append(panel("Latency over time",
                          note: "p50 and p99 of the latency of the responses completed in each second.",
                          content: latencyChart(r)))
        body.append("</div>")
        if let perTarget = targetLatencyPanel(r) { body.append(perTarget) }
        body.append(panel("In flight and dropped", note: inFlightNote(r), content: inFlightChart(r)))
        body.append(#"<div class="grid2">"#)
        body.append(panel("Status codes", note: "Complete responses by HTTP status.", content: statusChart(r.status_codes)))
        body.append(panel("Error classes", note: "Failed requests by class, as a share of requests answered or failed.",
                          content: errorChart(r.errors, answered: r.requests.ok + r.requests.failed)))
        body.append("</div>")
        if let errors = errorsOverTimePanel(r) { body.append(errors) }
        if r.plan.targets.count > 1 { body.append(targetsPanel(r.plan.targets, sections: r.targets, steps: r.plan.scenario != nil || r.plan.scenarios != nil)) }
        if r.stages.count > 1 { body.append(stagesPanel(r)) }
        if !r.thresholds.isEmpty { body.append(thresholdsPanel(r.thresholds)) }
        if let scale { body.append(scalePanels(scale)) }
        body.append(detailsPanel(r))
        body.append("</main>")
        body.append(footer("Barrage \(r.barrage_version) · \(r.schema) · started \(r.started_at)"))
        return (pageTitle, body)
    }

    /// A page for a scaling sweep alone: headline numbers, the throughput and speedup charts, the per-level table,
    /// the Universal Scalability Law fit and the sweep's caveats.
    public static func render(scale: ScaleResult, title: String? = nil) -> String {
        let targetText = targetLine(scale.plan.targets)
        let pageTitle = title ?? "Barrage scaling report · \(targetText)"
        let levels = scale.plan.levels.map(String.init).joined(separator: ", ")
        var meta = ["levels \(levels)", "\(scale.plan.threads) thread\(scale.plan.threads == 1 ? "" : "s")",
                    "timeout \(DurationParser.format(micros: scale.plan.timeout_us))"]
        if let n = scale.plan.requests_per_level { meta.append("\(NumberFormat.grouped(n)) requests per level") }
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
        out += "<title>\(Markup.escape(title))</title>\n<style>\n\(stylesheet)</style>\n</head>\n<body>\n"
        out += labelCells(body.filter { !$0.isEmpty }.joined(separator: "\n"))
        out += "\n</body>\n</html>\n"
        return out
    }

    /// Gives every `<td>` of every table a `data-label` with its column's heading (from the table's `<th>`s,
    /// tags stripped), which the narrow-screen layout shows next to the value. A `colspan` moves the column on.
    static func labelCells(_ html: String) -> String {
        var out = ""
        out.reserveCapacity(html.utf8.count + html.utf8.count / 8)
        var rest = html[...]
        while let open = rest.range(of: "<table") {
            out += rest[..<open.lowerBound]
            guard let close = rest.range(of: "</table>", range: open.upperBound..<rest.endIndex) else { break }
            out += labelTable(String(rest[open.lowerBound..<close.upperBound]))
            rest = rest[close.upperBound...]
        }
        out += rest
        return out
    }

    private static func labelTable(_ table: String) -> String {
        func text(_ cell: Substring) -> String {
            var plain = "", inTag = false
            for ch in cell { if ch == "<" { inTag = true } else if ch == ">" { inTag = false } else if !inTag { plain.append(ch) } }
            return plain.trimmingCharacters(in: .whitespaces)
        }
        var labels: [String] = []
        var search = table[...]
        while let th = search.range(of: "<th"), let start = search.range(of: ">", range: th.upperBound..<search.endIndex),
              let end = search.range(of: "</th>", range: start.upperBound..<search.endIndex) {
            labels.append(text(search[start.upperBound..<end.lowerBound]))
            search = search[end.upperBound...]
        }
        guard !labels.isEmpty else { return table }
        var out = ""
        var column = 0
        var i = table.startIndex
        while i < table.endIndex {
            if table[i...].hasPrefix("<tr") { column = 0 }
            if table[i...].hasPrefix("<td"), let next = table.index(i, offsetBy: 3, limitedBy: table.endIndex),
               next < table.endIndex, table[next] == " " || table[next] == ">" {
                out += "<td"
                let label = column < labels.count ? labels[column] : ""
                out += " data-label=\"\(label.replacingOccurrences(of: "\"", with: "&quot;"))\""
                let tagEnd = table[next...].firstIndex(of: ">") ?? table.endIndex
                let attributes = table[next..<tagEnd]
                var span = 1
                if let c = attributes.range(of: "colspan=\"") {
                    span = Int(attributes[c.upperBound...].prefix { $0.isNumber }) ?? 1
                }
                column += span
                i = next
                continue
            }
            out.append(table[i])
            i = table.index(after: i)
        }
        return out
    }

    /// The page's one stylesheet, `report.css`, compiled into the binary (no `<` or `&` in it: the page must stay
    /// well-formed XML).
    static let stylesheet = String(decoding: PackageResources.report_css, as: UTF8.self)

    static func band(heading: String, target: String, meta: String, verdict: (text: String, style: String, note: String)) -> String {
        var out = [#"<header class="band"><div class="band-inner"><div class="band-text">"#]
        out.append("<h1>\(Markup.escape(heading))</h1>")
        out.append(#"<div class="target">\#(Markup.escape(target))</div>"#)
        out.append(#"<div class="meta">\#(Markup.escape(meta))</div>"#)
        out.append(#"</div><div class="verdict"><span class="pill \#(verdict.style)">\#(Markup.escape(verdict.text))</span>"#)
        if !verdict.note.isEmpty { out.append(#"<div class="verdict-note">\#(Markup.escape(verdict.note))</div>"#) }
        out.append("</div></div></header>")
        return out.joined(separator: "\n")
    }

    /// What the in-flight chart counts: requests, or for a WebSocket run the messages awaiting an answer (its
    /// timeline's `in_flight_*`) beside the connections dropped (its timeline's `dropped`, the handshakes').
    static func inFlightNote(_ r: RunResult) -> String {
        if r.messages != nil {
            return "Messages awaiting an answer, averaged over each second and their peak in it, and connections dropped in it (never opened: later than the allowed lateness; dropped messages are in the Messages panel)."
        }
        return "Requests in flight averaged over each second (Little's law: throughput × mean latency) and their peak in it (at most: the sum of each engine thread's peak), and requests dropped in it (never sent: later than the allowed lateness)."
    }

    static func panel(_ title: String, note: String? = nil, content: String) -> String {
        var out = #"<section class="panel"><h2>\#(Markup.escape(title))</h2>"#
        if let note { out += #"<p class="note">\#(Markup.escape(note))</p>"# }
        return out + "\n" + content + "\n</section>"
    }

    static func footer(_ text: String) -> String {
        "<footer>\(Markup.escape(text))</footer>"
    }

    // MARK: - Header and headline numbers

    /// `GET http://host/path`, and how many more targets the plan has.
    static func targetLine(_ targets: [PlanRecord.Target]) -> String {
        guard let first = targets.first else { return "no target" }
        let more = targets.count - 1
        return "\(first.method) \(first.url)" + (more > 0 ? "  (+\(more) more target\(more == 1 ? "" : "s"))" : "")
    }

    static func planMeta(_ r: RunResult) -> String {
        let p = r.plan
        var parts: [String] = []
        if let scenario = p.scenario { parts.append("scenario \(scenario)") }
        if p.model == "open" {
            parts.append("open model")
            if let range = rateRange(p) { parts.append(range) }
            parts.append("pool \(NumberFormat.grouped(p.max_in_flight ?? p.concurrency))")
            if p.arrival == "poisson" { parts.append("poisson arrivals") }
        } else {
            parts.append("closed model")
            if let range = concurrencyRange(p) {
                parts.append("\(range) connections")
            } else {
                parts.append("\(NumberFormat.grouped(p.concurrency)) connection\(p.concurrency == 1 ? "" : "s")")
            }
            if let think = p.think_time_us, think > 0 { parts.append("think time \(DurationParser.format(micros: think))") }
        }
        if let d = p.duration_us { parts.append("planned \(DurationParser.format(micros: d))") }
        if let n = p.requests { parts.append("\(NumberFormat.grouped(n)) requests") }
        parts.append("\(p.threads) thread\(p.threads == 1 ? "" : "s")")
        parts.append("HTTP/\(p.http_version)")
        parts.append("started \(r.started_at)")
        if let m = r.merged { parts.append(mergeText(m)) }
        return parts.joined(separator: " · ")
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
            items.append("\(NumberFormat.grouped(r.clamped_samples)) samples exceeded one hour and were recorded as one hour.")
        }
        guard !items.isEmpty else { return "" }
        return #"<div class="alerts"><ul>"# + items.map { "<li>\(Markup.escape($0))</li>" }.joined() + "</ul></div>"
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
            out.append(#"<div class="card\#(c.tone.isEmpty ? "" : " " + c.tone)"><div class="label">\#(Markup.escape(c.label))</div>"#
                + #"<div class="value" title="\#(Markup.escape(c.value + (c.unit.isEmpty ? "" : " " + c.unit)))">\#(Markup.escape(c.value))"#
                + (c.unit.isEmpty ? "" : #"<span class="unit"> \#(Markup.escape(c.unit))</span>"#)
                + #"</div><div class="sub">\#(Markup.escape(c.sub.isEmpty ? " " : c.sub))</div></div>"#)
        }
        out.append("</div>")
        return out.joined(separator: "\n")
    }

    static func headlineCards(_ r: RunResult) -> String {
        let q = r.requests
        let g = NumberFormat.grouped
        let share = { (n: Int) -> String in q.total > 0 ? NumberFormat.percent(Double(n) / Double(q.total)) + " of total" : "" }
        var plannedSub = "requests ended"
        if let n = r.plan.expected_requests { plannedSub = "of \(g(n)) planned" }
        if r.messages != nil { plannedSub = "WebSocket handshakes" }
        let rate = r.requests.errorRate
        let requestCards = [
            Card(label: "Requests", value: g(q.total), sub: plannedSub),
            Card(label: "OK", value: g(q.ok), sub: share(q.ok), tone: q.ok > 0 ? "good" : ""),
            Card(label: "Failed", value: g(q.failed), sub: share(q.failed), tone: q.failed > 0 ? "bad" : ""),
            Card(label: "Dropped", value: g(q.dropped), sub: q.dropped > 0 ? share(q.dropped) : "never sent", tone: q.dropped > 0 ? "warn" : ""),
            RunOutcome.measuredNothing(q)
                ? Card(label: "Attempts", value: NumberFormat.number(r.throughput.rps), sub: "no ok response: not a throughput", tone: q.total > 0 ? "bad" : "", unit: "/s")
                : Card(label: "Throughput", value: NumberFormat.number(r.throughput.rps), sub: "ok \(NumberFormat.number(r.throughput.ok_rps))/s", unit: "req/s"),
            Card(label: "Error rate", value: NumberFormat.percent(rate), sub: "failed / answered", tone: rate > 0 ? "bad" : ""),
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
            let from = peak.map { start == $0 && rates.allSatisfy { $0 == start } ? "constant" : "from \(NumberFormat.number(start))/s" } ?? ""
            load = Card(label: "Target rate", value: peak.map { NumberFormat.number($0) } ?? "–", sub: from, unit: peak == nil ? "" : "req/s")
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
}
