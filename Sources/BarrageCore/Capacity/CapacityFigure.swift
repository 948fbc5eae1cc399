import Foundation

/// The charts of a capacity search: the "hockey stick" (latency percentiles against achieved throughput, with the
/// SLOs, the capacity and the USL curve's bend marked), achieved against offered rate, and a terminal chart of p99
/// against achieved rate; plus the USL fitted to the steps (``usl(_:)``, in `CapacityFigure+USL.swift`).
///
/// Everything here is pure. SVGs are drawn by the chart module (`SVGChart`) as files of their own, titled with the
/// input's title; the chart models (`hockeyStickChart`, `offeredAchievedChart`, untitled) are there for the HTML
/// report to draw inline with `SVGChart.render`. Points whose rates are
/// not finite are left out rather than trapping.
///
/// **The latency axis is linear, capped.** `SVGChart` has no log axis, and past the capacity latencies grow by orders
/// of magnitude (queues fill), so an uncapped axis would flatten every passing step onto zero. The axis stops at the
/// larger of 4× the highest SLO line and the p99 of the passing step with the highest achieved rate (4× that p99 when
/// there is no SLO; the data's maximum when it is lower, but never below the highest SLO line), so the SLO line sits
/// at a quarter of the height or above and the bend stays readable. A step whose latency is above the axis is drawn
/// at the top edge and labelled with its p99 (close ones share a label).
public enum CapacityFigure {
    // MARK: - SVG

    /// Latency percentiles p50/p90/p99 (ms) against achieved throughput (req/s), steps sorted by achieved rate:
    /// passed steps as filled dots, failed ones hollow and red; each SLO as a horizontal line; the capacity as a
    /// vertical line with its value over the shaded bracket; the USL curve's bend (``usl(_:)``) as a dotted line.
    public static func hockeyStickSVG(_ input: CapacityFigureInput) -> String {
        var chart = hockeyStickChart(input)
        chart.title = input.title
        return SVGChart.render(chart, standalone: true)
    }

    /// Achieved rate against offered rate (both req/s) with the y = x diagonal (every offered request answered), the
    /// capacity and its bracket marked.
    public static func offeredAchievedSVG(_ input: CapacityFigureInput) -> String {
        var chart = offeredAchievedChart(input)
        chart.title = input.title
        return SVGChart.render(chart, standalone: true)
    }

    /// The hockey stick as a chart model.
    static func hockeyStickChart(_ input: CapacityFigureInput) -> SVGChart.Chart {
        let steps = plottedSteps(input).sorted { ($0.point.achievedRPS, $0.index) < ($1.point.achievedRPS, $1.index) }
        let bend = usl(input).bendRPS
        let maxAchieved = steps.map(\.point.achievedRPS).max() ?? 0
        var xValues = [maxAchieved] + [input.capacityRPS, input.bracket?.upperBound].compactMap { $0 }
        if let bend, bend <= 2 * maxAchieved { xValues.append(bend) }
        let xScale = SVGChart.niceScale(finiteMax(xValues) * 1.05)
        let yTop = latencyTopMillis(input).map { SVGChart.niceScale($0 * 1.04).max }

        let tips = steps.map { step in
            "step \(step.index + 1): offered \(rate(step.point.offeredRPS, input.rateUnit)), achieved \(rate(step.point.achievedRPS, input.rateUnit)), "
                + "p50 \(DurationParser.format(micros: step.point.p50Micros)), p90 \(DurationParser.format(micros: step.point.p90Micros)), "
                + "p99 \(DurationParser.format(micros: step.point.p99Micros)), in flight \(NumberFormat.compact(step.point.inFlightMean)) — "
                + (step.point.passed ? "passed" : "failed")
        }
        let failed = steps.map { !$0.point.passed }
        let percentiles: [(name: String, colour: String, micros: KeyPath<CapacityFigureInput.Point, Int64>)] = [
            ("p50", SVGChart.Palette.blue, \.p50Micros),
            ("p90", SVGChart.Palette.orange, \.p90Micros),
            ("p99", SVGChart.Palette.purple, \.p99Micros),
        ]
        let series = percentiles.map { p in
            SVGChart.Series(
                label: p.name, colour: p.colour,
                segments: [steps.map { ($0.point.achievedRPS, millis($0.point[keyPath: p.micros])) }],
                width: 1.8, dots: true, tips: tips, filledDots: true, failedDots: failed, name: p.name)
        }

        var chart = SVGChart.Chart(
            name: "capacity-latency", width: 760, height: 380, xDomain: 0...xScale.max,
            xTicks: xScale.ticks.map { ($0, xScale.label($0)) }, xLabel: "throughput (achieved \(input.rateUnit))",
            yLabel: "latency (ms)", series: series, emptyText: "no steps to plot")
        chart.yTop = yTop
        chart.legendDots = [("passed step", SVGChart.Palette.slate, true), ("failed step", SVGChart.Palette.red, false)]
        chart.bands = bracketBand(input)
        chart.references = input.sloLines.map { slo in
            SVGChart.ReferenceLine(
                axis: .horizontal, value: millis(slo.micros), label: slo.label, colour: SVGChart.Palette.red, name: "slo")
        }
        chart.references += capacityLine(input)
        if let bend {
            chart.references.append(SVGChart.ReferenceLine(
                axis: .vertical, value: bend, label: "USL knee ≈ \(rate(bend, input.rateUnit))", colour: SVGChart.Palette.slate,
                width: 1.2, dash: "2 3", name: "usl-knee"))
        }
        if let top = yTop {
            chart.notes = clippedNotes(steps.filter { millis($0.point.p99Micros) > top }.map(\.point), top: top, xSpan: xScale.max)
        }
        return chart
    }

    /// Labels for steps whose p99 is past the top of the axis (drawn on its edge): `▲ p99 9.00s`, one label for
    /// steps closer than a tenth of the x axis (`▲ 3 steps, p99 to 9.00s`), so that labels do not print over each
    /// other.
    static func clippedNotes(_ clipped: [CapacityFigureInput.Point], top: Double, xSpan: Double) -> [SVGChart.Note] {
        var groups: [[CapacityFigureInput.Point]] = []
        for point in clipped.sorted(by: { $0.achievedRPS < $1.achievedRPS }) {
            if let first = groups.last?.first, point.achievedRPS - first.achievedRPS < xSpan / 10 {
                groups[groups.count - 1].append(point)
            } else {
                groups.append([point])
            }
        }
        return groups.map { group in
            let highest = DurationParser.format(micros: group.map(\.p99Micros).max() ?? 0)
            let x = (group.map(\.achievedRPS).min()! + group.map(\.achievedRPS).max()!) / 2
            return SVGChart.Note(x: x, y: top, text: group.count == 1 ? "▲ p99 \(highest)" : "▲ \(group.count) steps, p99 to \(highest)")
        }
    }

    /// Achieved against offered rate as a chart model.
    static func offeredAchievedChart(_ input: CapacityFigureInput) -> SVGChart.Chart {
        let steps = plottedSteps(input).sorted { ($0.point.offeredRPS, $0.index) < ($1.point.offeredRPS, $1.index) }
        let values = steps.flatMap { [$0.point.offeredRPS, $0.point.achievedRPS] }
            + [input.capacityRPS, input.bracket?.upperBound].compactMap { $0 }
        let scale = SVGChart.niceScale(finiteMax(values) * 1.05)
        let tips = steps.map { step in
            "step \(step.index + 1): offered \(rate(step.point.offeredRPS, input.rateUnit)), achieved \(rate(step.point.achievedRPS, input.rateUnit)) — "
                + (step.point.passed ? "passed" : "failed")
        }
        var series: [SVGChart.Series] = []
        if !steps.isEmpty {
            series.append(SVGChart.Series(
                label: "y = x (all offered achieved)", colour: SVGChart.Palette.slate,
                segments: [[(0, 0), (scale.max, scale.max)]], width: 1.2, dash: "5 4", name: "diagonal"))
        }
        series.append(SVGChart.Series(
            label: "achieved", colour: SVGChart.Palette.blue,
            segments: [steps.map { ($0.point.offeredRPS, $0.point.achievedRPS) }], width: 1.6, dots: true, tips: tips,
            filledDots: true, failedDots: steps.map { !$0.point.passed }, name: "achieved"))
        var chart = SVGChart.Chart(
            name: "capacity-rates", width: 760, height: 380, xDomain: 0...scale.max,
            xTicks: scale.ticks.map { ($0, scale.label($0)) }, xLabel: "offered rate (\(input.rateUnit))",
            yLabel: "achieved rate (\(input.rateUnit))", series: series, emptyText: "no steps to plot")
        chart.yTop = scale.max
        chart.legendDots = [("passed step", SVGChart.Palette.blue, true), ("failed step", SVGChart.Palette.red, false)]
        chart.bands = bracketBand(input)
        chart.references = capacityLine(input)
        return chart
    }

    // MARK: - Shared

    /// The steps with finite, non-negative rates, with their index in run order.
    static func plottedSteps(_ input: CapacityFigureInput) -> [(index: Int, point: CapacityFigureInput.Point)] {
        input.points.enumerated().compactMap { index, point in
            let rates = [point.offeredRPS, point.achievedRPS]
            return rates.allSatisfy({ $0.isFinite && $0 >= 0 }) ? (index, point) : nil
        }
    }

    /// The top of the latency axis in ms before rounding to a nice value (see the type's note), or nil without
    /// steps: the data's highest percentile, capped at max(4 × highest SLO, p99 of the passing step with the highest
    /// achieved rate) — 4 × that p99 without SLOs, no cap without either — and never below 1.1 × the highest SLO.
    static func latencyTopMillis(_ input: CapacityFigureInput) -> Double? {
        let steps = plottedSteps(input)
        guard !steps.isEmpty else { return nil }
        let dataMax = steps.map { millis(max($0.point.p50Micros, $0.point.p90Micros, $0.point.p99Micros)) }.max() ?? 0
        let sloMax = input.sloLines.map { millis($0.micros) }.filter { $0.isFinite && $0 > 0 }.max()
        let lastPass = steps.filter(\.point.passed).max { ($0.point.achievedRPS, $0.index) < ($1.point.achievedRPS, $1.index) }
            .map { millis($0.point.p99Micros) }
        let cap: Double
        switch (sloMax, lastPass) {
        case (let slo?, let pass?): cap = max(4 * slo, pass)
        case (let slo?, nil): cap = 4 * slo
        case (nil, let pass?): cap = 4 * pass
        case (nil, nil): cap = .infinity
        }
        var top = min(dataMax, cap)
        if let sloMax { top = max(top, sloMax * 1.1) }
        return top > 0 ? top : nil
    }

    private static func bracketBand(_ input: CapacityFigureInput) -> [SVGChart.Band] {
        guard let bracket = input.bracket, bracket.lowerBound.isFinite, bracket.upperBound.isFinite else { return [] }
        return [SVGChart.Band(
            x0: bracket.lowerBound, x1: bracket.upperBound,
            label: "found between \(rate(bracket.lowerBound, input.rateUnit)) and \(rate(bracket.upperBound, input.rateUnit))", colour: SVGChart.Palette.green)]
    }

    private static func capacityLine(_ input: CapacityFigureInput) -> [SVGChart.ReferenceLine] {
        guard let capacity = input.capacityRPS, capacity.isFinite else { return [] }
        return [SVGChart.ReferenceLine(
            axis: .vertical, value: capacity, label: "capacity \(rate(capacity, input.rateUnit))", colour: SVGChart.Palette.green,
            width: 2, dash: nil, name: "capacity")]
    }

    static func millis(_ micros: Int64) -> Double { Double(micros) / 1000 }

    static func rate(_ rps: Double, _ unit: String) -> String { "\(NumberFormat.compact(rps)) \(unit)" }

    private static func finiteMax(_ values: [Double]) -> Double {
        values.filter { $0.isFinite && $0 > 0 }.max() ?? 0
    }
}
