import Foundation

/// `barrage compare A B --html`: the two runs overlaid on one page — what a reviewer opens from a CI artifact. The
/// comparison table with its verdicts and gates, the two latency percentile spectra on one axis, throughput and
/// latency over time (each run from its own start), per-target and iteration changes, and the warnings.
/// Same frame, stylesheet and chart module as the run report; self-contained, no scripts.
extension HTMLReport {
    static let baseColour = SVGChart.Palette.slate
    static let newColour = SVGChart.Palette.orange

    public static func render(comparison c: Comparison, base: RunResult, new: RunResult,
                              baseName: String, newName: String) -> String {
        let target = targetLine(new.plan.targets)
        var body: [String] = []
        body.append(band(heading: "Barrage comparison", target: target,
                         meta: "base \(baseName) (started \(base.started_at)) → new \(newName) (started \(new.started_at))",
                         verdict: compareVerdict(c)))
        body.append("<main>")
        if !c.warnings.isEmpty {
            body.append(#"<div class="alerts"><ul>"# + c.warnings.map { "<li>\(Markup.escape($0))</li>" }.joined() + "</ul></div>")
        }
        body.append(panel("Change", note: "new − base per metric, with the 95 % interval of the change from a bootstrap over each run's seconds; within the noise when the interval contains zero.",
                          content: compareTable(c)))
        if !c.gates.isEmpty { body.append(compareGatesPanel(c.gates)) }
        body.append(panel("Latency percentile spectrum, both runs",
                          note: "Each run's latency (from the due time in the open model) against the percentile, on a 1/(1−p) axis.",
                          content: overlaidSpectrum(base: base, new: new, baseName: baseName, newName: newName)))
        body.append(#"<div class="grid2">"#)
        body.append(panel("Throughput over time", note: "Requests completed per second, each run from its own start.",
                          content: overlaidTimeline(name: "rps", base: base, new: new, yLabel: "requests / s") { $0.rps }))
        body.append(panel("p99 latency over time", note: "p99 of the responses completed in each second, each run from its own start.",
                          content: overlaidTimeline(name: "latency", base: base, new: new, yLabel: "p99 latency (ms)") {
                              $0.max_us == 0 ? nil : Double($0.p99_us) / 1000
                          }))
        body.append("</div>")
        if !c.targets.isEmpty { body.append(panel("Per target", note: "Point changes (noise unknown, not gated).", content: targetChanges(c))) }
        if let rows = c.iterations, !rows.isEmpty {
            var out = [#"<table><thead><tr><th>metric</th><th class="num">base</th><th class="num">new</th><th class="num">change</th><th>verdict</th></tr></thead><tbody>"#]
            for r in rows {
                out.append("<tr><td>\(Markup.escape(r.metric.rawValue))</td><td class=\"num\">\(Markup.escape(r.metric.format(r.base)))</td>"
                    + "<td class=\"num\">\(Markup.escape(r.metric.format(r.new)))</td>"
                    + "<td class=\"num\">\(Markup.escape(r.relative_change.map { NumberFormat.signed($0 * 100, 1) + "%" } ?? "-"))</td>"
                    + "<td class=\"\(verdictClass(r.verdict))\">\(Markup.escape(r.verdict.rawValue))</td></tr>")
            }
            out.append("</tbody></table>")
            body.append(panel("Iterations", note: "Point changes (noise unknown, not gated).", content: out.joined(separator: "\n")))
        }
        if let rows = c.messages, !rows.isEmpty {
            var out = [#"<table><thead><tr><th>metric</th><th class="num">base</th><th class="num">new</th><th class="num">change</th><th>verdict</th></tr></thead><tbody>"#]
            for r in rows {
                out.append("<tr><td>\(Markup.escape(r.metric.rawValue))</td><td class=\"num\">\(Markup.escape(r.metric.format(r.base)))</td>"
                    + "<td class=\"num\">\(Markup.escape(r.metric.format(r.new)))</td>"
                    + "<td class=\"num\">\(Markup.escape(r.relative_change.map { NumberFormat.signed($0 * 100, 1) + "%" } ?? "-"))</td>"
                    + "<td class=\"\(verdictClass(r.verdict))\">\(Markup.escape(r.verdict.rawValue))</td></tr>")
            }
            out.append("</tbody></table>")
            body.append(panel("Messages", note: "WebSocket messages: point changes (noise unknown, not gated).",
                              content: out.joined(separator: "\n")))
        }
        body.append("</main>")
        body.append(footer("Barrage \(new.barrage_version) · \(Comparison.schemaID) · base \(base.run_id ?? "-") · new \(new.run_id ?? "-")"))
        return document(title: "Barrage comparison · \(baseName) → \(newName)", body: body)
    }

    /// Gates first (PASS/FAIL), else whether any metric regressed beyond the noise.
    static func compareVerdict(_ c: Comparison) -> (text: String, style: String, note: String) {
        let regressions = c.metrics.filter { $0.verdict == .regression }.map(\.metric.rawValue)
        let note = regressions.isEmpty ? "no metric worse beyond the noise" : "worse beyond the noise: " + regressions.joined(separator: ", ")
        if !c.gates.isEmpty {
            let failed = c.gates.filter { !$0.ok }.count
            return failed == 0 ? ("PASS", "pass", "\(c.gates.count == 1 ? "the gate" : "\(c.gates.count) gates") passed · " + note)
                               : ("FAIL", "fail", "\(failed) of \(c.gates.count) gates failed · " + note)
        }
        return regressions.isEmpty ? ("NO REGRESSION", "pass", "no gates set") : ("REGRESSION", "warn", note + " · no gates set")
    }

    static func verdictClass(_ v: Comparison.Verdict) -> String {
        switch v {
        case .regression: return "bad"
        case .improvement: return "good"
        case .withinNoise: return "muted"
        }
    }

    static func compareTable(_ c: Comparison) -> String {
        var out = [#"<table class="compare"><thead><tr><th>metric</th><th class="num">base</th><th class="num">new</th><th class="num">change</th><th class="num">relative</th><th class="num">95 % interval</th><th>verdict</th></tr></thead><tbody>"#]
        for r in c.metrics {
            let ci = r.ci_low.flatMap { low in r.ci_high.map { high in
                "\(Comparison.formatChange(r.metric, low)) … \(Comparison.formatChange(r.metric, high))" } } ?? "unknown"
            out.append("<tr data-metric=\"\(Markup.escape(r.metric.rawValue))\"><td>\(Markup.escape(r.metric.rawValue))</td>"
                + "<td class=\"num\">\(Markup.escape(Comparison.format(r.metric, r.base)))</td>"
                + "<td class=\"num\">\(Markup.escape(Comparison.format(r.metric, r.new)))</td>"
                + "<td class=\"num\">\(Markup.escape(Comparison.formatChange(r.metric, r.change)))</td>"
                + "<td class=\"num\">\(Markup.escape(r.relative_change.map { NumberFormat.signed($0 * 100, 1) + "%" } ?? "-"))</td>"
                + "<td class=\"num\">\(Markup.escape(ci))</td>"
                + "<td class=\"\(verdictClass(r.verdict))\">\(Markup.escape(r.verdict.rawValue + (r.noise_unknown ? " (noise unknown)" : "")))</td></tr>")
        }
        out.append("</tbody></table>")
        return out.joined(separator: "\n")
    }

    static func compareGatesPanel(_ gates: [Comparison.GateResult]) -> String {
        var out = [#"<table class="thresholds"><thead><tr><th></th><th>gate</th><th>result</th></tr></thead><tbody>"#]
        for g in gates {
            let mark = g.ok ? #"<span class="pass-mark" title="passed">✓</span>"# : #"<span class="fail-mark" title="failed">✗</span>"#
            out.append("<tr class=\"\(g.ok ? "passed" : "failed")\"><td>\(mark)</td><td class=\"mono\">\(Markup.escape(g.spec))</td><td>\(Markup.escape(g.message))</td></tr>")
        }
        out.append("</tbody></table>")
        let failed = gates.filter { !$0.ok }.count
        return panel("Gates", note: failed == 0 ? "Every gate passed." : "\(failed) of \(gates.count) gates failed.", content: out.joined(separator: "\n"))
    }

    static func targetChanges(_ c: Comparison) -> String {
        var out = [#"<table><thead><tr><th>target</th><th>metric</th><th class="num">base</th><th class="num">new</th><th class="num">change</th><th>verdict</th></tr></thead><tbody>"#]
        for (name, rows) in c.targets.sorted(by: { $0.key < $1.key }) {
            for r in rows {
                out.append("<tr><td class=\"mono\">\(Markup.escape(name))</td><td>\(Markup.escape(r.metric.rawValue))</td>"
                    + "<td class=\"num\">\(Markup.escape(Comparison.format(r.metric, r.base)))</td>"
                    + "<td class=\"num\">\(Markup.escape(Comparison.format(r.metric, r.new)))</td>"
                    + "<td class=\"num\">\(Markup.escape(r.relative_change.map { NumberFormat.signed($0 * 100, 1) + "%" } ?? "-"))</td>"
                    + "<td class=\"\(verdictClass(r.verdict))\">\(Markup.escape(r.verdict == .withinNoise ? "same" : (r.verdict == .regression ? "worse" : "better")))</td></tr>")
            }
        }
        out.append("</tbody></table>")
        return out.joined(separator: "\n")
    }

    static func overlaidSpectrum(base: RunResult, new: RunResult, baseName: String, newName: String) -> String {
        let b = spectrum(base.latency_us), n = spectrum(new.latency_us)
        let count = Double(max(base.latency_us.count, new.latency_us.count))
        let decades = max(5, min(7, Int(ceil(log10(max(count, 1)) - 1e-9))))
        var ticks: [(Double, String)] = [(0, "0%"), (1, "90%")]
        for d in stride(from: 2, through: decades, by: 1) {
            ticks.append((Double(d), "99" + (d > 2 ? "." + String(repeating: "9", count: d - 2) : "") + "%"))
        }
        func series(_ name: String, _ s: (points: [SpectrumPoint], full: Bool), colour: String, dash: String?) -> SVGChart.Series {
            SVGChart.Series(label: name, colour: colour,
                            segments: s.points.isEmpty ? [] : [s.points.map { (spectrumX($0.percentile), $0.micros / 1000) }],
                            width: 2.2, dash: dash, dots: !s.full,
                            tips: s.points.map { "\(name) at \(percentileLabel($0.percentile)): \(DurationParser.format(microsDouble: $0.micros))" })
        }
        return SVGChart.render(SVGChart.Chart(
            name: "spectrum", width: 1112, height: 340, xDomain: 0...Double(decades), xTicks: ticks,
            xLabel: "percentile (log scale of 1 / (1 − p))", yLabel: "latency (ms)",
            series: [series("base: \(baseName)", b, colour: baseColour, dash: "6 4"), series("new: \(newName)", n, colour: newColour, dash: nil)],
            emptyText: "no complete responses in either run"))
    }

    /// One value per second of each run's timeline, each from its own start; nil breaks the line.
    static func overlaidTimeline(name: String, base: RunResult, new: RunResult, yLabel: String,
                                 _ value: (TimelineEntry) -> Double?) -> String {
        func segments(_ r: RunResult) -> [[(Double, Double)]] {
            var out: [[(Double, Double)]] = []
            var current: [(Double, Double)] = []
            for e in r.timeline {
                guard let v = value(e), v.isFinite else {
                    if !current.isEmpty { out.append(current); current = [] }
                    continue
                }
                current.append((Double(e.t_s) + min(e.length_s, 1) / 2, v))
            }
            if !current.isEmpty { out.append(current) }
            return out
        }
        let end = Double(max(base.timeline.count, new.timeline.count, 1))
        let domain = 0...end
        return SVGChart.render(SVGChart.Chart(
            name: name, width: 524, height: 280, xDomain: domain, xTicks: timeTicks(domain), xLabel: "time since start",
            yLabel: yLabel,
            series: [SVGChart.Series(label: "base", colour: baseColour, segments: segments(base), width: 2, dash: "6 4"),
                     SVGChart.Series(label: "new", colour: newColour, segments: segments(new), width: 2)],
            emptyText: "no timeline recorded"))
    }
}
