import Foundation

/// One level of a concurrency sweep, as the charts draw it.
///
/// `speedup` is the level's throughput relative to one request in flight, so the ideal linear line is speedup = N.
public struct ScaleSeriesPoint: Sendable {
    /// Requests in flight at this level.
    public var concurrency: Int
    /// Measured throughput in requests per second.
    public var rps: Double
    /// Measured throughput divided by the single-request baseline (×).
    public var speedup: Double

    public init(concurrency: Int, rps: Double, speedup: Double) {
        self.concurrency = concurrency
        self.rps = rps
        self.speedup = speedup
    }
}

/// Scaling charts: a terminal plot of a concurrency sweep and terminal bars for comparing a few totals, drawn here;
/// for SVG, chart models (`figure`, `SVGChart.BarFigure`) that the chart module (`SVGChart`) draws, as files of their
/// own (`svg`, `svgBars`) or inside the HTML report.
///
/// Everything here is pure: no I/O, no colours, no scripts. Points whose values are not finite, or whose concurrency
/// is not positive, are left out of the plot rather than trapping, so a failed level cannot crash a report.
public enum ScaleCharts {
    /// Terminal chart: speedup vs concurrency on a log2 x-axis, measured points plus the ideal linear line (speedup = N) for reference,
    /// and a second small chart (or side column) of throughput (req/s). Plain ASCII/Unicode, no ANSI colours, fixed width (default 72 cols, ~16 rows).
    /// Axes labelled with units ("concurrency (requests in flight, log2)", "speedup ×", "req/s").
    ///
    /// `height` is the number of plot rows of the speedup chart; the throughput chart below it gets a little under
    /// half that. Every line is at most `width` columns (minimum 40) and the axis lines are exactly `width`. Marks:
    /// `●` measured, `·` ideal, `~` the USL curve when `fit` is given (the fit's numbers are printed by the scale table).
    public static func terminal(_ points: [ScaleSeriesPoint], fit: USLFit?, width: Int = 72, height: Int = 16) -> String {
        let width = max(width, 40)
        let speedupRows = max(height, 4)
        let rpsRows = max(5, speedupRows * 7 / 16)
        let series = Series(points, fit: fit)
        let legend = "● measured  · ideal (speedup = N)" + (series.fit != nil ? "  ~ USL fit" : "")

        var lines = heading("Speedup vs concurrency", legend, width: width)
        guard !series.points.isEmpty else {
            lines.append("(no measured points to plot)")
            return finish(lines, width: width)
        }
        let domain = series.domain(padding: 0)

        // Both panels share one gutter so their x-axes line up.
        let speedupScale = SVGChart.niceScale(
            series.maxValue(domain: domain, samples: 64, measured: \.speedup, usl: series.uslSpeedup),
            ticks: speedupRows >= 10 ? 5 : 3)
        let rpsScale = SVGChart.niceScale(
            series.maxValue(domain: domain, samples: 64, measured: \.rps, usl: series.uslRPS),
            ticks: rpsRows >= 6 ? 3 : 2)
        let labelWidth = (speedupScale.ticks + rpsScale.ticks).map { NumberFormat.compact($0).count }.max() ?? 1
        let plotWidth = width - labelWidth - 2

        let speedupLayers: [TerminalLayer] = [
            TerminalLayer(mark: "·", curve: { (n: Double) -> Double? in n }),
            TerminalLayer(mark: "~", curve: series.uslSpeedup),
        ]
        let rpsLayers: [TerminalLayer] = [
            TerminalLayer(mark: "·", curve: series.idealRPS),
            TerminalLayer(mark: "~", curve: series.uslRPS),
        ]

        lines.append("speedup ×")
        lines += terminalPanel(
            series: series, measured: \.speedup, layers: speedupLayers, scale: speedupScale, domain: domain,
            rows: speedupRows, plotWidth: plotWidth, labelWidth: labelWidth)
        lines += terminalXAxis(domain: domain, plotWidth: plotWidth, labelWidth: labelWidth)
        lines.append("")
        lines += heading(
            "Throughput", "● measured  · ideal (linear from 1 in flight)" + (series.fit != nil ? "  ~ USL fit" : ""),
            width: width)
        lines.append("req/s")
        lines += terminalPanel(
            series: series, measured: \.rps, layers: rpsLayers, scale: rpsScale, domain: domain,
            rows: rpsRows, plotWidth: plotWidth, labelWidth: labelWidth)
        lines += terminalXAxis(domain: domain, plotWidth: plotWidth, labelWidth: labelWidth)
        let axisLabel = "concurrency (requests in flight, log2)"
        let centre = labelWidth + 2 + max(0, (plotWidth - axisLabel.count) / 2)
        lines.append(String(repeating: " ", count: centre) + axisLabel)

        return finish(lines, width: width)
    }

    /// Self-contained SVG (no scripts, no external refs): two panels — throughput (req/s) and speedup vs concurrency, log2 x-axis,
    /// measured points as circles (class="measured"), the ideal linear line (class="ideal"), the USL curve (class="usl") when fit != nil,
    /// axis labels with units, ticks, a title and a legend; text escaped. Drawn by the chart module from `figure`.
    public static func svg(_ points: [ScaleSeriesPoint], fit: USLFit?, title: String) -> String {
        SVGChart.render(figure(points, fit: fit, title: title))
    }

    /// The sweep as a chart model: a throughput panel, then a speedup panel (`panel-throughput`, `panel-speedup`), each
    /// with every measured point, the ideal line up to where it leaves the panel, and the USL curve and its peak when
    /// `fit` is given.
    static func figure(_ points: [ScaleSeriesPoint], fit: USLFit?, title: String) -> SVGChart.SweepFigure {
        let width = 760.0
        let panelHeight = 220.0
        let left = 78.0, right = 24.0
        let panelTops = [96.0, 96.0 + panelHeight + 74]
        let height = panelTops[1] + panelHeight + 64
        let series = Series(points, fit: fit)
        var figure = SVGChart.SweepFigure(title: title, width: width, height: height, fitSummary: nil, panels: [])
        if let fit = series.fit {
            var text = "USL: λ = \(NumberFormat.compact(fit.lambda)) req/s, σ = \(NumberFormat.significant(fit.sigma)), κ = \(NumberFormat.significant(fit.kappa)), R² = \(fit.r2.isFinite ? fixed(fit.r2, 3) : NumberFormat.compact(fit.r2))"
            if let peakN = fit.peakConcurrency, let peakRPS = fit.peakRPS {
                text += "; modelled peak ≈ \(NumberFormat.compact(peakN)) in flight at \(NumberFormat.compact(peakRPS)) req/s"
            } else {
                text += "; no modelled peak"
            }
            figure.fitSummary = text
        }
        guard !series.points.isEmpty else { return figure }

        // Axes get a little padding so edge points clear them; curves span only the measured range.
        let domain = series.domain(padding: 0.3)
        let curveRange = series.domain(padding: 0)
        let xTicks = log2Ticks(domain).map { (log2n: Double($0), label: concurrencyLabel($0)) }
        let panels: [(name: String, yLabel: String, measured: KeyPath<Series.Point, Double?>,
                      ideal: (Double) -> Double?, usl: (Double) -> Double?, format: (Double) -> String)] = [
            ("throughput", "throughput (req/s)", \.rps, series.idealRPS, series.uslRPS, { "\(NumberFormat.compact($0)) req/s" }),
            ("speedup", "speedup (×)", \.speedup, { (n: Double) -> Double? in n }, series.uslSpeedup, { "\(NumberFormat.significant($0))×" }),
        ]
        for (index, p) in panels.enumerated() {
            let scale = SVGChart.niceScale(
                series.maxValue(domain: curveRange, samples: 120, measured: p.measured, usl: p.usl) * 1.05, ticks: 5)
            var panel = SVGChart.SweepPanel(
                name: p.name, yLabel: p.yLabel,
                frame: SVGChart.Frame(left: left, top: panelTops[index], width: width - left - right, height: panelHeight),
                domain: domain, scale: scale, xTicks: xTicks, xLabel: "concurrency (requests in flight, log2)",
                ideal: idealLine(p.ideal, range: curveRange, top: scale.max), usl: nil, peak: nil, points: [])
            if series.fit != nil {
                panel.usl = curve(p.usl, range: curveRange, top: scale.max)
                if let peak = series.fit?.peakConcurrency, peak > 0, curveRange.contains(log2(peak)) {
                    panel.peak = (log2(peak), "modelled peak ≈ \(NumberFormat.compact(peak)) in flight")
                }
            }
            panel.points = series.points.compactMap { point in
                point[keyPath: p.measured].map { (log2(point.n), $0, "\(Int(point.n)) in flight: \(p.format($0))") }
            }
            figure.panels.append(panel)
        }
        return figure
    }

    /// Curves are sampled this many times over the measured range, in log space.
    private static let curveSamples = 120

    /// The ideal line rises without bound: sampled in log space, it stops exactly where it leaves the panel.
    static func idealLine(_ ideal: (Double) -> Double?, range: ClosedRange<Double>, top: Double) -> [(log2n: Double, value: Double)] {
        let span = range.upperBound - range.lowerBound
        var out: [(log2n: Double, value: Double)] = []
        for i in 0...curveSamples {
            let l = range.lowerBound + span * Double(i) / Double(curveSamples)
            guard let v = ideal(pow(2, l)) else { continue }
            if v <= top {
                out.append((l, v))
            } else {
                // Ideal is proportional to N, so it crosses the top at N = N · top / v.
                let crossing = l + log2(top / v)
                if crossing >= range.lowerBound { out.append((crossing, top)) }
                break
            }
        }
        return out
    }

    /// A curve's samples that lie inside the panel (0…top).
    static func curve(_ f: (Double) -> Double?, range: ClosedRange<Double>, top: Double) -> [(log2n: Double, value: Double)] {
        let span = range.upperBound - range.lowerBound
        return (0...curveSamples).compactMap { i in
            let l = range.lowerBound + span * Double(i) / Double(curveSamples)
            guard let v = f(pow(2, l)), v >= 0, v <= top * (1 + 1e-9) else { return nil }
            return (l, v)
        }
    }

    /// Horizontal bar chart for the terminal: label + bar + value text, bars scaled to the max. e.g. sequential vs concurrent totals.
    ///
    /// `width` is the whole line (minimum 20). Labels are left-aligned in one column (cut with `…` past a third of
    /// the width), bars use eighth-block precision so the largest value fills the bar column exactly, and the texts
    /// line up after it. A positive value too small to round to an eighth still shows a sliver; negative or
    /// non-finite values draw an empty bar.
    public static func terminalBars(_ bars: [(label: String, value: Double, text: String)], width: Int = 60) -> String {
        guard !bars.isEmpty else { return "" }
        let width = max(width, 20)
        let labels = bars.map { TextLayout.truncated($0.label, to: max(1, width / 3)) }
        let texts = bars.map { TextLayout.truncated($0.text, to: max(1, width / 3)) }
        let labelWidth = labels.map(\.count).max() ?? 0
        let textWidth = texts.map(\.count).max() ?? 0
        let barWidth = max(1, width - labelWidth - textWidth - 2)
        let maxValue = bars.map { clean($0.value) }.max() ?? 0
        let partials: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]

        var lines: [String] = []
        for (index, bar) in bars.enumerated() {
            let value = clean(bar.value)
            var eighths = 0
            if maxValue > 0 {
                eighths = clampIndex((value / maxValue * Double(barWidth * 8)).rounded(), upperBound: barWidth * 8)
                if eighths == 0 && value > 0 { eighths = 1 }
            }
            var drawn = String(repeating: "█", count: eighths / 8)
            if eighths % 8 > 0 { drawn.append(partials[eighths % 8 - 1]) }
            let label = labels[index].padding(toLength: labelWidth, withPad: " ", startingAt: 0)
            let barColumn = drawn.padding(toLength: barWidth, withPad: " ", startingAt: 0)
            lines.append(TextLayout.rightTrimmed(label + " " + barColumn + " " + texts[index]))
        }
        return lines.joined(separator: "\n")
    }

    /// SVG bar chart of the same (vertical bars, value labels, y-axis with unit `yLabel`), self-contained.
    ///
    /// Bars are `<rect class="bar">`, their texts `class="value-label"` above them and their labels
    /// `class="bar-label"` below (cut with `…` past 40 characters); the y-axis starts at zero with rounded ticks.
    public static func svgBars(_ bars: [(label: String, value: Double, text: String)], title: String, yLabel: String) -> String {
        SVGChart.render(SVGChart.BarFigure(title: title, yLabel: yLabel, bars: bars))
    }

    // MARK: - The series as plotted

    /// The plottable part of a sweep: sorted by concurrency, with non-finite or negative values dropped to nil.
    struct Series {
        struct Point {
            var n: Double
            var rps: Double?
            var speedup: Double?
        }

        let points: [Point]
        let fit: USLFit?
        /// Throughput of one request in flight implied by the measured points (rps / speedup), else the fit's λ.
        let baseRPS: Double?

        init(_ raw: [ScaleSeriesPoint], fit: USLFit?) {
            points = raw
                .filter { $0.concurrency > 0 }
                .map { Point(n: Double($0.concurrency), rps: clean(optional: $0.rps), speedup: clean(optional: $0.speedup)) }
                .filter { $0.rps != nil || $0.speedup != nil }
                .sorted { $0.n < $1.n }
            if let fit, fit.lambda.isFinite, fit.sigma.isFinite, fit.kappa.isFinite {
                self.fit = fit
            } else {
                self.fit = nil
            }
            let implied = points.lazy.compactMap { point -> Double? in
                guard let rps = point.rps, let speedup = point.speedup, rps > 0, speedup > 0 else { return nil }
                let base = rps / speedup
                return base.isFinite && base > 0 ? base : nil
            }.first
            if let implied {
                baseRPS = implied
            } else if let lambda = self.fit?.lambda, lambda > 0 {
                baseRPS = lambda
            } else {
                baseRPS = nil
            }
        }

        /// The log2 concurrency range of the points, widened by `padding` on each side. A single level gets a
        /// range one doubling either side of it, never reaching below one request in flight.
        func domain(padding: Double) -> ClosedRange<Double> {
            let lo = log2(points.first?.n ?? 1), hi = log2(points.last?.n ?? 1)
            if hi - lo < 1e-9 { return max(0, lo - 1) - padding...(hi + 1 + padding) }
            return (lo - padding)...(hi + padding)
        }

        func idealRPS(_ n: Double) -> Double? {
            guard let baseRPS else { return nil }
            return finite(baseRPS * n)
        }

        func uslRPS(_ n: Double) -> Double? {
            guard let fit else { return nil }
            return finite(fit.throughput(concurrency: n))
        }

        func uslSpeedup(_ n: Double) -> Double? {
            guard let rps = uslRPS(n), let baseRPS else { return nil }
            return finite(rps / baseRPS)
        }

        /// The largest measured value or USL value over `domain` (the ideal line is clipped, not fitted).
        func maxValue(domain: ClosedRange<Double>, samples: Int, measured: KeyPath<Point, Double?>,
                      usl: (Double) -> Double?) -> Double {
            var top = points.compactMap { $0[keyPath: measured] }.max() ?? 0
            if fit != nil {
                for i in 0...samples {
                    let l = domain.lowerBound + (domain.upperBound - domain.lowerBound) * Double(i) / Double(samples)
                    if let v = usl(pow(2, l)), v > top { top = v }
                }
            }
            return top
        }
    }

    private static func finite(_ v: Double) -> Double? { v.isFinite ? v : nil }

    // MARK: - Terminal rendering

    struct TerminalLayer {
        var mark: Character
        /// Value at concurrency N, or nil where the curve is undefined (the USL curve without a fit).
        var curve: (Double) -> Double?
    }

    static func terminalPanel(
        series: Series, measured: KeyPath<Series.Point, Double?>, layers: [TerminalLayer], scale: SVGChart.AxisScale,
        domain: ClosedRange<Double>, rows: Int, plotWidth: Int, labelWidth: Int
    ) -> [String] {
        var grid = [[Character]](repeating: [Character](repeating: " ", count: plotWidth), count: rows)
        let span = domain.upperBound - domain.lowerBound
        func column(log2n l: Double) -> Int {
            clampIndex(((l - domain.lowerBound) / span * Double(plotWidth - 1)).rounded(), upperBound: plotWidth - 1)
        }
        func row(_ v: Double) -> Int? {
            guard v.isFinite, v >= 0, v <= scale.max * (1 + 1e-9) else { return nil }
            return rows - 1 - clampIndex((v / scale.max * Double(rows - 1)).rounded(), upperBound: rows - 1)
        }
        for layer in layers {
            for c in 0..<plotWidth {
                let n = pow(2, domain.lowerBound + span * Double(c) / Double(max(1, plotWidth - 1)))
                if let v = layer.curve(n), let r = row(v) { grid[r][c] = layer.mark }
            }
        }
        for point in series.points {
            if let v = point[keyPath: measured], let r = row(v) { grid[r][column(log2n: log2(point.n))] = "●" }
        }

        var tickLabels = [Int: String]()
        for tick in scale.ticks {
            if let r = row(tick), tickLabels[r] == nil { tickLabels[r] = NumberFormat.compact(tick) }
        }
        return (0..<rows).map { r in
            let label = tickLabels[r] ?? ""
            let pad = String(repeating: " ", count: max(0, labelWidth - label.count))
            return pad + label + " " + (tickLabels[r] == nil ? "│" : "┤") + String(grid[r])
        }
    }

    /// The x-axis line (exactly labelWidth + 2 + plotWidth columns) and its power-of-two tick labels.
    static func terminalXAxis(domain: ClosedRange<Double>, plotWidth: Int, labelWidth: Int) -> [String] {
        var axis = [Character](repeating: "─", count: plotWidth)
        var labels = [Character](repeating: " ", count: plotWidth)
        var nextFree = 0
        let span = domain.upperBound - domain.lowerBound
        for k in log2Ticks(domain) {
            let c = clampIndex(((Double(k) - domain.lowerBound) / span * Double(plotWidth - 1)).rounded(), upperBound: plotWidth - 1)
            axis[c] = "┬"
            let text = Array(concurrencyLabel(k))
            let start = min(max(0, c - text.count / 2), plotWidth - text.count)
            guard start >= nextFree, start >= 0 else { continue }
            for (i, ch) in text.enumerated() { labels[start + i] = ch }
            nextFree = start + text.count + 1
        }
        let gutter = String(repeating: " ", count: labelWidth + 1)
        return [gutter + "└" + String(axis), TextLayout.rightTrimmed(gutter + " " + String(labels))]
    }

    /// Integer exponents k with 2^k inside the domain, thinned so that at most about a dozen remain.
    static func log2Ticks(_ domain: ClosedRange<Double>) -> [Int] {
        let lo = max(0, domain.lowerBound.rounded(.up)), hi = min(62, domain.upperBound.rounded(.down))
        guard lo.isFinite, hi.isFinite, lo <= hi else { return [] }
        let first = Int(lo), last = Int(hi)
        let stride = max(1, (last - first) / 12 + 1)
        return Array(Swift.stride(from: first, through: last, by: stride))
    }

    static func concurrencyLabel(_ k: Int) -> String {
        k <= 20 ? String(1 << k) : "2^\(k)"
    }

    /// A chart title with its legend on the same line when both fit in `width`, else on the next line.
    static func heading(_ title: String, _ legend: String, width: Int) -> [String] {
        let joined = title + "   " + legend
        return joined.count <= width ? [joined] : [title, legend]
    }

    /// Cuts every line to `width` characters and drops trailing spaces.
    static func finish(_ lines: [String], width: Int) -> String {
        lines.map { TextLayout.rightTrimmed(String($0.prefix(width))) }.joined(separator: "\n")
    }

    // MARK: - Helpers

    /// Replaces a non-finite or negative value by zero (for bar lengths).
    static func clean(_ v: Double) -> Double { v.isFinite && v > 0 ? v : 0 }

    static func clean(optional v: Double) -> Double? { v.isFinite && v >= 0 ? v : nil }

    /// Converts a rounded Double to an index in 0...upperBound without trapping on NaN, infinity or overflow.
    static func clampIndex(_ v: Double, upperBound: Int) -> Int {
        guard v.isFinite, v > 0 else { return 0 }
        return v >= Double(upperBound) ? upperBound : Int(v)
    }
}
