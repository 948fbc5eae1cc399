import Foundation

extension CapacityFigure {
    /// Plot rows of the terminal chart.
    static let terminalRows = 12

    /// p99 (ms) against achieved rate (req/s) as text, in the style of `scale`'s terminal chart: a heading with the
    /// legend, the y ticks in a gutter, `●` a passed step, `○` a failed one, `▲` a step whose p99 is above the axis
    /// (capped as in the SVG, see the type's note), `╌` the SLO line(s), `¦` the capacity, `:` the USL knee; then the
    /// x axis with its ticks and title. Every line is at most `width` columns (at least 40), the axis line exactly
    /// `width`; no colours.
    public static func terminal(_ input: CapacityFigureInput, width: Int) -> [String] {
        let width = max(width, 40)
        let steps = plottedSteps(input)
        var legend = ["● passed", "○ failed"]
        if !input.sloLines.isEmpty {
            legend.append("╌ SLO" + (input.sloLines.count == 1 ? " " : "s ") + input.sloLines.map(\.label).joined(separator: ", "))
        }
        if input.capacityRPS != nil { legend.append("¦ capacity") }
        let bend = usl(input).bendRPS
        let maxAchieved = steps.map(\.point.achievedRPS).max() ?? 0
        let shownBend = bend.flatMap { $0 <= 2 * maxAchieved ? $0 : nil }
        if shownBend != nil { legend.append(": USL knee") }
        guard !steps.isEmpty else {
            return finish(heading(legend, width: width) + ["(no steps to plot)"], width: width)
        }
        // All-zero latencies without an SLO still get an axis.
        let yScale = SVGChart.niceScale((latencyTopMillis(input) ?? 1) * 1.04, ticks: 4)
        let clipped = steps.contains { millis($0.point.p99Micros) > yScale.max }
        if clipped { legend.append("▲ above the axis") }
        var lines = heading(legend, width: width)

        let xValues = [maxAchieved, input.capacityRPS ?? 0, shownBend ?? 0].filter(\.isFinite)
        let xScale = SVGChart.niceScale((xValues.max() ?? 0) * 1.05, ticks: width >= 64 ? 5 : 3)
        let labelWidth = yScale.ticks.map { NumberFormat.compact($0).count }.max() ?? 1
        let plotWidth = width - labelWidth - 2
        let rows = terminalRows
        func column(_ x: Double) -> Int {
            ScaleCharts.clampIndex((x / xScale.max * Double(plotWidth - 1)).rounded(), upperBound: plotWidth - 1)
        }
        func row(_ ms: Double) -> Int {
            rows - 1 - ScaleCharts.clampIndex((ms / yScale.max * Double(rows - 1)).rounded(), upperBound: rows - 1)
        }

        var grid = [[Character]](repeating: [Character](repeating: " ", count: plotWidth), count: rows)
        for slo in input.sloLines where millis(slo.micros) <= yScale.max {
            let r = row(millis(slo.micros))
            for c in 0..<plotWidth { grid[r][c] = "╌" }
        }
        let verticals: [(Double?, Character)] = [(shownBend, ":"), (input.capacityRPS, "¦")]
        for case (let x?, let mark) in verticals where x.isFinite && x >= 0 && x <= xScale.max {
            let c = column(x)
            for r in 0..<rows where grid[r][c] == " " || grid[r][c] == "╌" { grid[r][c] = mark }
        }
        // Passed steps first, so a failed one sharing a cell shows.
        for step in steps.sorted(by: { ($0.point.passed ? 0 : 1, $0.index) < ($1.point.passed ? 0 : 1, $1.index) }) {
            let ms = millis(step.point.p99Micros)
            let c = column(step.point.achievedRPS)
            if ms > yScale.max {
                grid[0][c] = "▲"
            } else {
                grid[row(ms)][c] = step.point.passed ? "●" : "○"
            }
        }

        var tickLabels: [Int: String] = [:]
        for tick in yScale.ticks where tickLabels[row(tick)] == nil { tickLabels[row(tick)] = NumberFormat.compact(tick) }
        lines.append("p99 ms")
        for r in 0..<rows {
            let label = tickLabels[r] ?? ""
            lines.append(String(repeating: " ", count: labelWidth - label.count) + label + " "
                + (tickLabels[r] == nil ? "│" : "┤") + String(grid[r]))
        }

        var axis = [Character](repeating: "─", count: plotWidth)
        var labels = [Character](repeating: " ", count: plotWidth)
        var nextFree = 0
        for tick in xScale.ticks {
            let c = column(tick)
            axis[c] = "┬"
            let text = Array(xScale.label(tick))
            let start = min(max(0, c - text.count / 2), plotWidth - text.count)
            guard start >= nextFree, start >= 0 else { continue }
            for (i, ch) in text.enumerated() { labels[start + i] = ch }
            nextFree = start + text.count + 1
        }
        let gutter = String(repeating: " ", count: labelWidth + 1)
        lines.append(gutter + "└" + String(axis))
        lines.append(gutter + " " + String(labels))
        let title = "throughput (achieved \(input.rateUnit))"
        lines.append(String(repeating: " ", count: labelWidth + 2 + max(0, (plotWidth - title.count) / 2)) + title)
        return finish(lines, width: width)
    }

    /// The chart's title and its legend items, as many on each line as fit in `width` (the title's line first).
    private static func heading(_ legend: [String], width: Int) -> [String] {
        var lines = ["p99 latency vs throughput"]
        var separator = "   "
        for item in legend {
            if lines[lines.count - 1].count + separator.count + item.count <= width {
                lines[lines.count - 1] += separator + item
            } else {
                lines.append(item)
            }
            separator = "  "
        }
        return lines
    }

    /// Cuts every line to `width` characters and drops trailing spaces.
    private static func finish(_ lines: [String], width: Int) -> [String] {
        lines.map { TextLayout.rightTrimmed(String($0.prefix(width))) }
    }
}
