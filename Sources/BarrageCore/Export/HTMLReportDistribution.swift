import Foundation
import Histogram

/// The report's charts beyond the headline ones: the latency distribution as a log-spaced histogram, errors over time
/// with their first messages, and each target's (step's) p99 over time.
extension HTMLReport {
    /// Bins whose edges grow by this factor: ten per decade.
    static let distributionBinsPerDecade = 10.0

    /// Log-spaced bins over the latency histogram decoded from the result's `hdr`: (lower µs, upper µs, count).
    /// Empty when the result carries no histogram (results written before `hdr`) or no sample.
    static func distributionBins(_ s: HistogramSummary) -> [(Double, Double, UInt64)] {
        guard s.count > 0, let hdr = s.hdr, let h = try? HdrCodec.decode(base64: hdr), h.totalCount > 0 else { return [] }
        let low = max(1.0, Double(h.min)), high = max(low * 1.0001, Double(h.max))
        let factor = pow(10, 1 / distributionBinsPerDecade)
        var edges = [pow(10, (log10(low) * distributionBinsPerDecade).rounded(.down) / distributionBinsPerDecade)]
        while edges.last! <= high { edges.append(edges.last! * factor) }
        var out: [(Double, Double, UInt64)] = []
        var below: UInt64 = 0
        for i in 1..<edges.count {
            // Counts up to each edge (inclusive) from the histogram itself; the bin holds the difference.
            let upTo = h.count(within: 0...UInt64(edges[i].rounded(.down)))
            out.append((edges[i - 1], edges[i], upTo - below))
            below = upTo
        }
        if below < h.totalCount, !out.isEmpty { out[out.count - 1].2 += h.totalCount - below }
        return out
    }

    static func distributionPanel(_ r: RunResult) -> String {
        let bins = distributionBins(r.latency_us)
        // x: log10 of the latency in ms, so each bin is equally wide.
        let items = bins.map { (log10($0.0 / 1000), log10($0.1 / 1000), Double($0.2)) }
        let lo = items.first?.0 ?? -1, hi = items.last?.1 ?? 1
        // 1-2-5 in each decade; within less than a decade, more steps, so the axis never shows a lone tick.
        var ticks: [(Double, String)] = []
        for steps in [[1.0, 2.0, 5.0], [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]] where ticks.count < 3 {
            ticks = []
            for d in Int(lo.rounded(.down))...Int(hi.rounded(.up)) {
                for m in steps {
                    let x = Double(d) + log10(m)
                    if x >= lo - 1e-9 && x <= hi + 1e-9 { ticks.append((x, DurationParser.format(microsDouble: pow(10, x) * 1000))) }
                }
            }
        }
        let chart = SVGChart.Chart(
            name: "distribution", width: 1112, height: 260, xDomain: lo...max(hi, lo + 0.1), xTicks: ticks,
            xLabel: "latency (log scale; ten bins per decade)", yLabel: "responses",
            series: [], bars: items.isEmpty ? [] : [SVGChart.BarSeries(label: "responses per bin", colour: SVGChart.Palette.blue, items: items)],
            emptyText: r.latency_us.count == 0 ? "no complete responses" : "no histogram in this result (written before hdr existed)")
        return panel("Latency distribution", note: "How many responses took how long: the run's latency histogram in log-spaced bins, the same data as the spectrum above, seen as counts.",
                     content: SVGChart.render(chart))
    }

    /// Failed requests per second by error class, and the first message seen for each class.
    static func errorsOverTimePanel(_ r: RunResult) -> String? {
        guard r.requests.failed > 0 else { return nil }
        let domain = timeDomain(r)
        let classes = ErrorClass.allCases.map(\.rawValue).filter { c in r.timeline.contains { ($0.errors[c] ?? 0) > 0 } }
        let palette = [SVGChart.Palette.red, SVGChart.Palette.orange, SVGChart.Palette.purple, SVGChart.Palette.slate,
                       SVGChart.Palette.blue, SVGChart.Palette.green]
        let series = classes.enumerated().map { i, c in
            SVGChart.Series(label: c, colour: palette[i % palette.count],
                            segments: rateSegments(r) { Double($0.errors[c] ?? 0) / max($0.length_s, TimelineEntry.minimumRateSeconds) },
                            width: 1.8)
        }
        let chart = SVGChart.Chart(name: "errors-over-time", width: 1112, height: 240, xDomain: domain, xTicks: timeTicks(domain),
                                   xLabel: "time since start", yLabel: "failed / s", series: series,
                                   markers: timelineMarkers(r), emptyText: "no timeline recorded", bands: timelineBands(r))
        var list = [#"<table class="errors-first"><thead><tr><th>class</th><th class="num">failed</th><th>first message</th></tr></thead><tbody>"#]
        for (c, n) in r.errors.sorted(by: { $0.value > $1.value }) where n > 0 {
            list.append("<tr><td class=\"mono\">\(Markup.escape(c))</td><td class=\"num\">\(NumberFormat.grouped(n))</td>"
                + "<td class=\"mono\">\(Markup.escape(r.error_messages[c] ?? "-"))</td></tr>")
        }
        list.append("</tbody></table>")
        return panel("Errors over time", note: "Failed requests per second by error class; below, the first message each class produced.",
                     content: SVGChart.render(chart) + "\n" + list.joined(separator: "\n"))
    }

    /// Each target's (step's) p99 per second, from the timeline's per-target histograms (`targets_hdr`).
    static func targetLatencyPanel(_ r: RunResult) -> String? {
        let names = r.plan.targets.map(\.name)
        guard names.count > 1, r.timeline.contains(where: { $0.targets_hdr != nil }) else { return nil }
        let domain = timeDomain(r)
        let palette = [SVGChart.Palette.blue, SVGChart.Palette.orange, SVGChart.Palette.purple, SVGChart.Palette.green,
                       SVGChart.Palette.red, SVGChart.Palette.slate]
        var series: [SVGChart.Series] = []
        for (i, name) in names.prefix(12).enumerated() {
            var segments: [[(Double, Double)]] = []
            var current: [(Double, Double)] = []
            for e in r.timeline {
                guard let hdr = e.targets_hdr?[name], let h = try? HdrCodec.decode(base64: hdr), h.totalCount > 0 else {
                    if !current.isEmpty { segments.append(current); current = [] }
                    continue
                }
                current.append((bucketMiddle(e, in: r), Double(HistogramSummary(h).p99) / 1000))
            }
            if !current.isEmpty { segments.append(current) }
            series.append(SVGChart.Series(label: name, colour: palette[i % palette.count], segments: segments, width: 1.8,
                                          dash: i >= palette.count ? "5 3" : nil))
        }
        let chart = SVGChart.Chart(name: "target-latency", width: 1112, height: 280, xDomain: domain, xTicks: timeTicks(domain),
                                   xLabel: "time since start", yLabel: "p99 latency (ms)", series: series,
                                   markers: timelineMarkers(r), emptyText: "no timeline recorded", bands: timelineBands(r))
        let title = r.plan.scenario != nil || r.scenarios != nil ? "p99 per step over time" : "p99 per target over time"
        return panel(title, note: "The 99th percentile of each one's responses completed in each second" + (names.count > 12 ? " (the first 12)." : "."),
                     content: SVGChart.render(chart))
    }

    /// The connect phase (before 0: connections opened before the clock started) and the warm-up, shaded on the time
    /// axis: their requests are kept out of every number.
    static func timelineBands(_ r: RunResult) -> [SVGChart.Band] {
        var bands: [SVGChart.Band] = []
        let connect = connectPhaseSeconds(r)
        if connect > 0 {
            bands.append(SVGChart.Band(x0: -connect, x1: 0, label: "connect phase (not counted)", colour: SVGChart.Palette.slate))
        }
        if let w = r.plan.warmup_us, w > 0, !r.timeline.isEmpty {
            bands.append(SVGChart.Band(x0: 0, x1: Double(w) / 1_000_000, label: "warm-up (not counted)", colour: SVGChart.Palette.slate))
        }
        return bands
    }
}
