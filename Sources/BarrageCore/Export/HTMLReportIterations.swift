import Foundation

/// The report's panel for a flow's iterations (the result's `iterations`): how they ended, their rate and error rate,
/// and their durations with and without think time.
extension HTMLReport {
    /// `named`: several scenarios ran at once, one panel each, titled with the scenario.
    static func iterationsPanel(_ it: RunResult.Iterations, named: Bool = false) -> String {
        let g = NumberFormat.grouped
        let share = { (n: Int) -> String in it.total > 0 ? NumberFormat.percent(Double(n) / Double(it.total)) + " of all" : "" }
        let counts = [
            Card(label: "Iterations", value: g(it.total), sub: "started or dropped"),
            Card(label: "Completed", value: g(it.completed), sub: share(it.completed), tone: it.completed > 0 ? "good" : ""),
            Card(label: "Failed", value: g(it.failed), sub: it.failed > 0 ? share(it.failed) : "a step failed", tone: it.failed > 0 ? "bad" : ""),
            Card(label: "Interrupted", value: g(it.interrupted), sub: it.interrupted > 0 ? share(it.interrupted) : "unfinished at the end",
                 tone: it.interrupted > 0 ? "warn" : ""),
            Card(label: "Dropped", value: g(it.dropped), sub: it.dropped > 0 ? share(it.dropped) : "never started", tone: it.dropped > 0 ? "warn" : ""),
            Card(label: "Rate", value: NumberFormat.number(it.rate), sub: "finished per second", unit: "iter/s"),
            Card(label: "Iteration error rate", value: NumberFormat.percent(it.errorRate), sub: "failed / finished",
                 tone: it.errorRate > 0 ? "bad" : ""),
        ]
        let table = summaryTable([("Iteration duration", it.duration_us), ("Without think time", it.duration_without_think_us)])
        let note = "Scenario \(it.scenario): each iteration is one pass of a virtual user through the flow. Durations cover "
            + "completed and failed iterations, from their start (in the open model, the due time) to the end of their last step; "
            + "without think time, the flow's think steps are left out. Interrupted iterations (unfinished when the run ended) "
            + "and dropped ones (never started) are counted, not timed."
        return panel(named ? "Iterations · \(it.scenario)" : "Iterations", note: note, content: cards(counts) + "\n" + table)
    }

    /// A flow's finished iterations per second over time (completed and failed), from the timeline's per-second
    /// counts (several scenarios: all of them together); nil for results without them (plain targets, older files).
    static func iterationsOverTimePanel(_ r: RunResult) -> String? {
        guard r.timeline.contains(where: { $0.iterations != nil }) else { return nil }
        let domain = timeDomain(r)
        func perSecond(_ e: TimelineEntry, _ n: Int?) -> Double { Double(n ?? 0) / max(e.length_s, TimelineEntry.minimumRateSeconds) }
        var series = [SVGChart.Series(label: "finished iterations / s", colour: SVGChart.Palette.green,
                                      segments: rateSegments(r) { perSecond($0, $0.iterations) }, width: 2, fill: true)]
        if r.timeline.contains(where: { ($0.iterations_failed ?? 0) > 0 }) {
            series.append(SVGChart.Series(label: "failed / s", colour: SVGChart.Palette.red,
                                          segments: rateSegments(r) { perSecond($0, $0.iterations_failed) }, width: 1.6))
        }
        let chart = SVGChart.Chart(name: "iterations", width: 1112, height: 240, xDomain: domain, xTicks: timeTicks(domain),
                                   xLabel: "time since start", yLabel: "iterations / s", series: series,
                                   markers: timelineMarkers(r), emptyText: "no timeline recorded", bands: timelineBands(r))
        return panel("Iterations over time", note: "Iterations that finished in each second (completed or failed), over the second's measured length.",
                     content: SVGChart.render(chart))
    }
}
