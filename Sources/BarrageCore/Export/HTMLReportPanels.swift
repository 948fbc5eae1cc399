import Foundation

/// The report's panels below the headline numbers: the latency spectrum and table, status codes and error classes,
/// targets, stages, thresholds, run details and the scaling sections.
extension HTMLReport {
    // MARK: - Latency


    static func spectrumPanel(_ r: RunResult) -> String {
        let latency = spectrum(r.latency_us), service = spectrum(r.service_time_us)
        let count = Double(max(r.latency_us.count, r.service_time_us.count))
        let decades = max(5, min(7, Int(ceil(log10(max(count, 1)) - 1e-9))))
        // 0 %, 90 %, 99 %, 99.9 %, …: one decade of 1/(1−p) each.
        var ticks: [(Double, String)] = [(0, "0%"), (1, "90%")]
        for d in stride(from: 2, through: decades, by: 1) {
            ticks.append((Double(d), "99" + (d > 2 ? "." + String(repeating: "9", count: d - 2) : "") + "%"))
        }
        func series(_ name: String, _ points: [SpectrumPoint], colour: String, dash: String?) -> SVGChart.Series {
            SVGChart.Series(label: name, colour: colour, segments: points.isEmpty ? [] : [points.map { (spectrumX($0.percentile), $0.micros / 1000) }],
                   width: 2.2, dash: dash, dots: !latency.full,
                   tips: points.map { "\(name) at \(percentileLabel($0.percentile)): \(DurationParser.format(microsDouble: $0.micros))" })
        }
        let chart = SVGChart.Chart(
            name: "spectrum", width: 1112, height: 340,
            xDomain: 0...Double(decades), xTicks: ticks, xLabel: "percentile (log scale of 1 / (1 − p))",
            yLabel: "latency (ms)",
            series: [series("latency (corrected, from due time)", latency.points, colour: SVGChart.Palette.blue, dash: nil),
                     series("service time (from send)", service.points, colour: SVGChart.Palette.orange, dash: "6 4")],
            emptyText: "no complete responses: no latency to plot")
        let source = latency.full
            ? "Full distribution from the run's HdrHistogram."
            : "Points: the result's fixed percentiles (min, p50 … p99.99, max)."
        let model = r.plan.model == "open"
            ? "Latency counts from each request's due time (corrected for coordinated omission); service time from the actual send."
            : "Closed model: each request is sent when due, so latency and service time coincide."
        return panel("Latency percentile spectrum", note: "\(model) \(source)", content: SVGChart.render(chart) + "\n" + latencyTable(r))
    }


    static func latencyTable(_ r: RunResult) -> String {
        var rows: [(String, HistogramSummary)] = [("Latency (corrected)", r.latency_us), ("Service time", r.service_time_us)]
        if r.plan.model == "open" { rows.append(("Send lateness", r.send_lateness_us)) }
        return summaryTable(rows)
    }

    /// One row per duration summary: min, mean, the percentiles, max and the count.
    static func summaryTable(_ rows: [(String, HistogramSummary)]) -> String {
        let head = ["min", "mean", "p50", "p75", "p90", "p95", "p99", "p99.9", "p99.99", "max"]
        var out = [#"<table class="latency-table"><thead><tr><th></th>"# + head.map { #"<th class="num">\#($0)</th>"# }.joined() + "<th class=\"num\">count</th></tr></thead><tbody>"]
        for (name, s) in rows {
            let values = [s.min, s.mean, s.p50, s.p75, s.p90, s.p95, s.p99, s.p99_9, s.p99_99, s.max]
            let cells = values.map { #"<td class="num">\#(s.count == 0 ? "–" : Markup.escape(DurationParser.format(micros: $0)))</td>"# }.joined()
            out.append("<tr><td>\(Markup.escape(name))</td>\(cells)<td class=\"num\">\(NumberFormat.grouped(s.count))</td></tr>")
        }
        out.append("</tbody></table>")
        return out.joined(separator: "\n")
    }

    // MARK: - Status codes and error classes



    static func statusChart(_ codes: [String: Int]) -> String {
        let total = codes.values.reduce(0, +)
        let rows = codes.sorted { (Int($0.key) ?? 0, $0.key) < (Int($1.key) ?? 0, $1.key) }.map { code, n in
            SVGChart.BarRow(label: code, detail: reasonPhrase(Int(code) ?? 0), value: n, colour: statusColour(Int(code) ?? 0))
        }
        return SVGChart.barTable(name: "status", rows: rows, denominator: total, emptyText: "no complete responses")
    }


    static func errorChart(_ errors: [String: Int], answered: Int) -> String {
        let rows = errors.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.map { name, n in
            SVGChart.BarRow(label: name, detail: errorDescription(name), value: n, colour: SVGChart.Palette.red)
        }
        return SVGChart.barTable(name: "errors", rows: rows, denominator: answered, emptyText: "no failed requests")
    }



    static func statusColour(_ code: Int) -> String {
        switch code / 100 {
        case 2: SVGChart.Palette.green
        case 3: SVGChart.Palette.blue
        case 4: SVGChart.Palette.orange
        case 5: SVGChart.Palette.red
        default: SVGChart.Palette.slate
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
            .other: "other failure", .check: "expect check failed", .capture: "capture found nothing",
        ]
        return ErrorClass(rawValue: name).flatMap { words[$0] } ?? ""
    }

    // MARK: - Targets, thresholds, details


    /// The plan's targets: each one's share of requests (its weight), and its own numbers when the result carries the
    /// per-target section. Header lines appear exactly as the plan records them (secrets masked there, and again here).
    /// A flow's targets are its request steps (`steps`): titled so, in the flow's order, without weights.
    static func targetsPanel(_ targets: [PlanRecord.Target], sections: [String: RunResult.Section] = [:], steps: Bool = false) -> String {
        let totalWeight = targets.reduce(0) { $0 + max(0, $1.weight) }
        var head: [(String, Bool)] = [(steps ? "step" : "target", false), ("weight", true), ("requests", true), ("failed", true), ("req/s", true),
                                      ("error rate", true), ("p50", true), ("p99", true), ("max", true), ("body", true)]
        if steps { head.remove(at: 1) }
        let headCells: [String] = head.map { name, numeric in
            (numeric ? #"<th class="num">"# : "<th>") + Markup.escape(name) + "</th>"
        }
        var out = [#"<table class="targets"><thead><tr>"# + headCells.joined() + "</tr></thead><tbody>"]
        for t in targets {
            let headers = t.headers.map { Markup.escape(Redaction.header($0)) }.joined(separator: "<br/>")
            var cell = #"<strong>\#(Markup.escape(t.name))</strong><div class="mono">\#(Markup.escape(t.method)) \#(Markup.escape(t.url))</div>"#
            if !headers.isEmpty { cell += #"<div class="mono muted">\#(headers)</div>"# }
            let share = totalWeight > 0 ? max(0, t.weight) / totalWeight : 0
            var cells: [String] = [cell, fixedTrimmed(t.weight, 3) + #" <span class="muted">("# + Markup.escape(NumberFormat.percent(share)) + ")</span>"]
            if steps { cells.remove(at: 1) }
            if let sec = sections[t.name] {
                let rate = sec.requests.errorRate
                let lat = { (v: Int64) in sec.latency_us.count > 0 ? DurationParser.format(micros: v) : "–" }
                let numbers: [String] = [NumberFormat.grouped(sec.requests.total), NumberFormat.grouped(sec.requests.failed), NumberFormat.number(sec.rps),
                                         NumberFormat.percent(rate), lat(sec.latency_us.p50), lat(sec.latency_us.p99), lat(sec.latency_us.max)]
                cells += numbers.map { Markup.escape($0) }
            } else {
                cells += Array(repeating: "–", count: 7)
            }
            cells.append(t.body_bytes > 0 ? Markup.escape(NumberFormat.bytes(Double(t.body_bytes))) : "–")
            let row: [String] = cells.enumerated().map { i, c in i == 0 ? "<td>" + c + "</td>" : #"<td class="num">"# + c + "</td>" }
            out.append("<tr>" + row.joined() + "</tr>")
        }
        out.append("</tbody></table>")
        if steps {
            let note = sections.isEmpty
                ? "The flow's request steps, in order. This result has no per-step numbers: the figures above cover all steps together."
                : "The flow's request steps, in order, each with its own numbers; latency over complete responses. Steps not run after a failed step are not requests and are not counted."
            return panel("Steps", note: note, content: out.joined(separator: "\n"))
        }
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
        var out = [#"<table class="stages"><thead><tr>"# + head.enumerated().map { i, h in #"<th\#(i == 0 ? "" : #" class="num""#)>\#(Markup.escape(h))</th>"# }.joined() + "</tr></thead><tbody>"]
        for (i, st) in r.stages.enumerated() {
            let lat = { (v: Int64) in st.latency_us.count > 0 ? DurationParser.format(micros: v) : "–" }
            // The load moves linearly from where the previous stage ended to this stage's target.
            let target: String
            if open {
                let from = i == 0 ? r.plan.start_rate : r.stages[i - 1].target_rate
                target = st.target_rate.map { to in (from.map { $0 != to ? NumberFormat.number($0) + " → " : "" } ?? "") + NumberFormat.number(to) + " req/s" } ?? "–"
            } else {
                let from = i == 0 ? r.plan.start_concurrency : r.stages[i - 1].target_concurrency
                target = st.target_concurrency.map { to in (from.map { $0 != to ? NumberFormat.grouped($0) + " → " : "" } ?? "") + NumberFormat.grouped(to) } ?? "–"
            }
            let short = st.target_rps.map { st.achieved_rps < $0 * 0.95 } ?? false
            let cells = [String(st.stage), st.start_us == 0 ? "0s" : DurationParser.format(micros: st.start_us),
                         DurationParser.format(micros: st.duration_us), target,
                         st.target_rps.map(NumberFormat.number) ?? "–", NumberFormat.number(st.achieved_rps), NumberFormat.grouped(st.requests.total),
                         NumberFormat.grouped(st.requests.failed), NumberFormat.grouped(st.requests.dropped),
                         lat(st.latency_us.p50), lat(st.latency_us.p99)]
            let tones = [5: short ? " bad" : "", 7: st.requests.failed > 0 ? " bad" : "", 8: st.requests.dropped > 0 ? " warn" : ""]
            let row: [String] = cells.enumerated().map { j, c in
                j == 0 ? "<td>" + Markup.escape(c) + "</td>" : #"<td class="num"# + (tones[j] ?? "") + #"">"# + Markup.escape(c) + "</td>"
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
            var measured = Markup.escape(t.measuredText)
            if t.actual == nil, let note = t.note { measured += #"<br/><span class="muted">\#(Markup.escape(note))</span>"# }
            out.append("<tr class=\"\(t.ok ? "passed" : "failed")\"><td>\(mark)</td><td class=\"mono\">\(Markup.escape(t.expr))</td>"
                + "<td>\(Markup.escape(t.scope.description))</td><td class=\"num\">\(measured)</td><td class=\"num\">\(Markup.escape(t.limitText))</td></tr>")
        }
        out.append("</tbody></table>")
        let failed = results.filter { !$0.ok }.count
        return panel("Thresholds", note: failed == 0 ? "Every threshold passed." : "\(failed) of \(results.count) thresholds failed.",
                     content: out.joined(separator: "\n"))
    }


    static func detailsPanel(_ r: RunResult) -> String {
        let p = r.plan
        let g = NumberFormat.grouped
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
            ("Received", "\(NumberFormat.bytes(Double(r.throughput.bytes_in))) (\(NumberFormat.bytes(r.throughput.bytes_in_per_s))/s)"),
            ("Sent", NumberFormat.bytes(Double(r.throughput.bytes_out))),
        ]
        if let w = r.warmup {
            pairs.append(("Warm-up (excluded)", "\(DurationParser.format(micros: p.warmup_us ?? w.duration_us)), \(NumberFormat.grouped(w.requests.total)) requests"))
        }
        if let c = r.connect_phase {
            pairs.append(("Connect phase (excluded)", "\(NumberFormat.grouped(c.connections)) connections in \(DurationParser.format(micros: c.duration_us))"
                + (c.requests.failed > 0 ? ", \(NumberFormat.grouped(c.requests.failed)) failed" : "")))
        }
        if let think = p.think_time_us, think > 0 { pairs.append(("Think time", DurationParser.format(micros: think))) }
        if let name = p.name { pairs.append(("Profile", name)) }
        if let scenario = p.scenario {
            pairs.append(("Scenario", scenario + (p.iterations.map { ", \(g($0)) iterations planned" } ?? "")))
        }
        if p.model == "open" {
            pairs.append(("Max lateness", DurationParser.format(micros: p.max_lateness_us ?? 0)))
            pairs.append(("Send lateness p99", r.send_lateness_us.count > 0 ? DurationParser.format(micros: r.send_lateness_us.p99) : "–"))
        }
        let phases: [(String, HistogramSummary)] = [("Queue", r.phases_us.queue ?? .empty), ("DNS", r.phases_us.dns), ("Connect", r.phases_us.connect),
                                                    ("TLS", r.phases_us.tls), ("TTFB", r.phases_us.ttfb)]
        for (name, s) in phases where s.count > 0 {
            pairs.append(("\(name) mean / p99", "\(DurationParser.format(micros: s.mean)) / \(DurationParser.format(micros: s.p99))"))
        }
        while pairs.count % 3 != 0 { pairs.append(("", "")) }
        let items = pairs.map { "<dt>\(Markup.escape($0.0))</dt><dd>\(Markup.escape($0.1))</dd>" }.joined(separator: "\n")
        return panel("Run details", content: #"<dl class="kv">"# + "\n" + items + "\n</dl>")
    }

    // MARK: - Scaling


    static func scaleCards(_ s: ScaleResult) -> String {
        let best = s.levels.max { $0.throughput.rps < $1.throughput.rps }
        let bestSpeedup = s.levels.max { $0.speedup < $1.speedup }
        let range = s.levels.isEmpty ? "–" : "\(s.levels.first!.concurrency) → \(s.levels.last!.concurrency)"
        var list = [
            Card(label: "Levels", value: String(s.levels.count), sub: "in flight \(range)"),
            Card(label: "Peak req/s", value: best.map { NumberFormat.number($0.throughput.rps) } ?? "–",
                 sub: best.map { "at \($0.concurrency) in flight" } ?? ""),
            Card(label: "Best speedup", value: bestSpeedup.map { fixed($0.speedup, 2) + "×" } ?? "–",
                 sub: bestSpeedup.map { "at \($0.concurrency), eff. \(fixed($0.efficiency * 100, 0))%" } ?? ""),
            Card(label: "Knee", value: s.knee.map(String.init) ?? "none", sub: "efficiency < 50 %", tone: s.knee == nil ? "good" : "warn"),
        ]
        if let fit = s.usl {
            list.append(Card(label: "USL peak req/s", value: fit.peakRPS.map { NumberFormat.number($0) } ?? "none",
                             sub: fit.peakConcurrency.map { "at \(NumberFormat.number($0)) in flight" } ?? "κ = 0: no peak"))
            list.append(Card(label: "Fit R²", value: fixed(fit.r2, 3), sub: fit.r2 < 0.9 ? "poor fit" : "good fit", tone: fit.r2 < 0.9 ? "warn" : ""))
        } else {
            list.append(Card(label: "USL peak", value: "–", sub: "no fit"))
            list.append(Card(label: "Fit R²", value: "–", sub: "at least 3 levels needed"))
        }
        let failed = s.levels.reduce(0) { $0 + $1.requests.failed }
        list.append(Card(label: "Failed", value: NumberFormat.grouped(failed), sub: "over all levels", tone: failed > 0 ? "bad" : ""))
        return cards(list)
    }


    /// The sweep's charts (drawn inline by the chart module) beside the fit, then the per-level table.
    static func scalePanels(_ s: ScaleResult) -> String {
        let figure = ScaleCharts.figure(s.chartPoints, fit: s.usl, title: "Throughput and speedup vs concurrency")
        let svg = SVGChart.render(figure, placement: .inline(name: "scale", cssClass: "scale-chart"))
        var fit = [#"<div class="fit">"#, "<h3>Universal Scalability Law</h3>"]
        if let u = s.usl {
            var rows = [("λ (req/s per request in flight)", NumberFormat.number(u.lambda)), ("σ (contention)", fixed(u.sigma, 4)),
                        ("κ (coherency)", fixed(u.kappa, 6)), ("R²", fixed(u.r2, 3))]
            if let peak = u.peakConcurrency, let rps = u.peakRPS {
                rows.append(("modelled peak", "\(NumberFormat.number(rps)) req/s at \(NumberFormat.number(peak)) in flight"))
            } else {
                rows.append(("modelled peak", "none (κ = 0): throughput keeps rising"))
            }
            fit.append("<dl>" + rows.map { "<dt>\(Markup.escape($0.0))</dt><dd>\(Markup.escape($0.1))</dd>" }.joined() + "</dl>")
        } else {
            fit.append(#"<p class="muted">No fit: it needs at least three levels that can be fitted.</p>"#)
        }
        fit.append("<h3>Knee</h3>")
        fit.append("<p>" + Markup.escape(s.knee.map { "Efficiency first falls below 50 % at \($0) in flight." }
            ?? "Efficiency stays at or above 50 % at every level.") + "</p>")
        if !s.notes.isEmpty {
            fit.append("<h3>Notes</h3><ul>" + s.notes.map { "<li>\(Markup.escape($0))</li>" }.joined() + "</ul>")
        }
        fit.append("</div>")
        let top = #"<div class="scale-layout">"# + "\n" + svg + "\n" + fit.joined(separator: "\n") + "\n</div>"
        return panel("Scaling", note: "Throughput and speedup at each concurrency level, against ideal linear scaling and the USL fit.",
                     content: top) + "\n" + panel("Scaling levels", content: scaleTable(s))
    }


    static func scaleTable(_ s: ScaleResult) -> String {
        let head = ["in flight", "wall", "requests", "req/s", "speedup", "efficiency", "p50", "p99", "failed", "avg in flight", "X·W"]
        var out = [#"<table class="scale-table"><thead><tr>"# + head.map { #"<th class="num">\#(Markup.escape($0))</th>"# }.joined() + "</tr></thead><tbody>"]
        for l in s.levels {
            let cells = [NumberFormat.grouped(l.concurrency) + (l.no_ok_response ? " ✗" : ""), DurationParser.format(micros: l.duration_us), NumberFormat.grouped(l.requests.total),
                         NumberFormat.number(l.throughput.rps), fixed(l.speedup, 2) + "×", fixed(l.efficiency * 100, 0) + "%",
                         l.latency_us.count > 0 ? DurationParser.format(micros: l.latency_us.p50) : "–",
                         l.latency_us.count > 0 ? DurationParser.format(micros: l.latency_us.p99) : "–",
                         NumberFormat.grouped(l.requests.failed), fixed(l.in_flight, 1), fixed(l.littles_law_in_flight, 1)]
            let cls = l.requests.failed > 0 ? " class=\"failed\"" : (l.concurrency == s.knee ? " class=\"knee\"" : "")
            out.append("<tr\(cls)>" + cells.map { #"<td class="num">\#(Markup.escape($0))</td>"# }.joined() + "</tr>")
        }
        if s.levels.isEmpty { out.append(#"<tr><td colspan="11" class="muted">no levels measured</td></tr>"#) }
        out.append("</tbody></table>")
        out.append(#"<p class="note" style="margin-top:10px">X·W: Little's law, throughput × mean latency; it should match the measured average in flight. Highlighted: the knee (amber) and levels with failures (red); ✗: no ok response at that level (it measured nothing; left out of the fit).</p>"#)
        return out.joined(separator: "\n")
    }
}
