import Foundation

/// The report's charts over time: throughput, latency, and in flight with drops. Each bucket is drawn over its
/// measured length (`length_s`); a bucket without a rate (measured for less than half a second: the drain at the end,
/// the warm-up) is not drawn rather than drawn as a spike or a dip. A merge of repeated runs draws them one after the
/// other and marks where each starts.
extension HTMLReport {
    /// Seconds from the run's start to each stage's end, when the plan has more than one stage with a duration.
    static func stageBoundaries(_ p: PlanRecord) -> [SVGChart.Marker] {
        guard p.stages.count > 1 else { return [] }
        var markers: [SVGChart.Marker] = []
        var t = 0.0
        for (i, stage) in p.stages.enumerated().dropLast() {
            guard let d = stage.duration_us else { break }
            t += Double(d) / 1_000_000
            markers.append(SVGChart.Marker(x: t, label: "stage \(i + 2)"))
        }
        return markers
    }

    /// Where each run of a merge starts in its timeline (only `[0]` for a single run or the segments of one).
    static func runStarts(_ r: RunResult) -> [Int] {
        guard let m = r.merged, m.clock == .concatenated else { return [0] }
        let starts = m.runStarts
        return starts.isEmpty ? [0] : starts
    }

    /// The timeline's vertical markers: each run's start after the first ("run 2" …), and the plan's stage
    /// boundaries within every run.
    static func timelineMarkers(_ r: RunResult) -> [SVGChart.Marker] {
        let starts = runStarts(r)
        var markers: [SVGChart.Marker] = []
        for (i, start) in starts.enumerated() {
            if i > 0 { markers.append(SVGChart.Marker(x: Double(start), label: "run \(i + 1)")) }
            markers += stageBoundaries(r.plan).map { SVGChart.Marker(x: $0.x + Double(start), label: $0.label) }
        }
        return markers
    }

    /// A plan-shaped line (target rate or concurrency) drawn once per run.
    static func perRun(_ line: [(Double, Double)], _ r: RunResult) -> [[(Double, Double)]] {
        runStarts(r).map { start in line.map { ($0.0 + Double(start), $0.1) } }
    }

    /// The time axis: whole seconds covering the timeline and the run's duration.
    static func timeDomain(_ r: RunResult) -> ClosedRange<Double> {
        let seconds = Double((r.timeline.map(\.t_s).max() ?? -1) + 1)
        let end = max(seconds, Double(r.duration_us) / 1_000_000)
        return -connectPhaseSeconds(r)...max(end, 1)
    }

    /// How long the connect phase lasted before the clock started (a single run's; 0 without one): the time axis
    /// starts that much before 0, and the phase is shaded there.
    static func connectPhaseSeconds(_ r: RunResult) -> Double {
        guard r.merged == nil, !r.timeline.isEmpty, let phase = r.connect_phase, phase.duration_us > 0 else { return 0 }
        return Double(phase.duration_us) / 1_000_000
    }

    /// The middle of what a bucket measured: its measured part starts with its second, except in the second where a
    /// warm-up ends, where it ends with it.
    static func bucketMiddle(_ e: TimelineEntry, in r: RunResult) -> Double {
        let start = runStarts(r).last { $0 <= e.t_s } ?? 0
        let secondInRun = Int64(e.t_s - start)
        let warmupEnds = (r.plan.warmup_us ?? 0) > secondInRun * 1_000_000 && e.length_s < 1
        return Double(e.t_s) + (warmupEnds ? 1 - e.length_s / 2 : e.length_s / 2)
    }

    /// Whether a line may join the previous bucket to this one: adjacent seconds of the same run.
    static func continues(_ e: TimelineEntry, after previous: Int?, starts: Set<Int>) -> Bool {
        previous.map { e.t_s == $0 + 1 } ?? true && !starts.contains(e.t_s)
    }

    /// Points of the buckets that have a rate, the line broken where one has none and where a run starts.
    static func rateSegments(_ r: RunResult, _ value: (TimelineEntry) -> Double) -> [[(Double, Double)]] {
        segments(r, drawn: { $0.rps != nil }, value)
    }

    /// Points of the buckets `drawn` accepts, at each bucket's middle; the line is broken at a bucket it refuses and
    /// where a run starts.
    static func segments(_ r: RunResult, drawn: (TimelineEntry) -> Bool, _ value: (TimelineEntry) -> Double) -> [[(Double, Double)]] {
        var out: [[(Double, Double)]] = []
        var current: [(Double, Double)] = []
        var previous: Int? = nil
        let starts = Set(runStarts(r))
        for e in r.timeline {
            let contiguous = continues(e, after: previous, starts: starts)
            previous = e.t_s
            let isDrawn = drawn(e)
            if !isDrawn || !contiguous {
                if !current.isEmpty { out.append(current); current = [] }
                if !isDrawn { continue }
            }
            current.append((bucketMiddle(e, in: r), value(e)))
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    static func rpsChart(_ r: RunResult) -> String {
        let points = rateSegments(r) { $0.rps ?? 0 }
        let failed = rateSegments(r) { Double($0.failed) / max($0.length_s, TimelineEntry.minimumRateSeconds) }
        var series = [SVGChart.Series(label: "req/s (ok + failed)", colour: SVGChart.Palette.blue, segments: points, width: 2, fill: true)]
        if r.timeline.contains(where: { $0.failed > 0 }) {
            series.append(SVGChart.Series(label: "failed/s", colour: SVGChart.Palette.red, segments: failed, width: 1.6))
        }
        if let target = targetRate(r.plan), !r.timeline.isEmpty {
            series.append(SVGChart.Series(label: "target rate", colour: SVGChart.Palette.slate, segments: perRun(target, r), width: 1.4, dash: "5 4"))
        }
        return SVGChart.render(SVGChart.Chart(name: "rps", width: 524, height: 280, xDomain: timeDomain(r), xTicks: timeTicks(timeDomain(r)),
                            xLabel: "time since start", yLabel: "requests / s", series: series,
                            markers: timelineMarkers(r), emptyText: "no timeline recorded", bands: timelineBands(r)))
    }

    /// The open model's planned rate over time: from the start rate, linearly to each stage's rate by its end.
    static func targetRate(_ p: PlanRecord) -> [(Double, Double)]? {
        guard p.model == "open", let start = p.start_rate ?? p.stages.first?.rate else { return nil }
        var out = [(0.0, start)]
        var t = 0.0
        for stage in p.stages {
            guard let d = stage.duration_us, let rate = stage.rate else { break }
            t += Double(d) / 1_000_000
            out.append((t, rate))
        }
        return out.count > 1 ? out : nil
    }

    /// A closed model's planned concurrency over time when it follows stages: from the start, linearly to each stage's.
    static func targetConcurrency(_ p: PlanRecord) -> [(Double, Double)]? {
        guard concurrencyRange(p) != nil else { return nil }
        var out = [(0.0, Double(p.start_concurrency ?? p.stages.first?.concurrency ?? p.concurrency))]
        var t = 0.0
        for stage in p.stages {
            guard let d = stage.duration_us, let c = stage.concurrency else { break }
            t += Double(d) / 1_000_000
            out.append((t, Double(c)))
        }
        return out.count > 1 ? out : nil
    }

    static func latencyChart(_ r: RunResult) -> String {
        // Seconds without a complete response have no latency: break the lines there rather than drop to zero.
        func segments(_ value: KeyPath<TimelineEntry, Int64>) -> [[(Double, Double)]] {
            HTMLReport.segments(r, drawn: { !($0.max_us == 0 && $0[keyPath: value] == 0) }) { Double($0[keyPath: value]) / 1000 }
        }
        let series = [
            SVGChart.Series(label: "p50", colour: SVGChart.Palette.blue, segments: segments(\.p50_us), width: 2),
            SVGChart.Series(label: "p99", colour: SVGChart.Palette.purple, segments: segments(\.p99_us), width: 2),
        ]
        return SVGChart.render(SVGChart.Chart(name: "latency", width: 524, height: 280, xDomain: timeDomain(r), xTicks: timeTicks(timeDomain(r)),
                            xLabel: "time since start", yLabel: "latency (ms)", series: series,
                            markers: timelineMarkers(r),
                            emptyText: r.timeline.isEmpty ? "no timeline recorded" : "no complete responses", bands: timelineBands(r)))
    }

    /// The time-averaged count per second (filled) and the peak (an upper bound: the sum of the engine threads'
    /// peaks); results written before those existed show the count at each second's close instead.
    static func inFlightChart(_ r: RunResult) -> String {
        let domain = timeDomain(r)
        let known = r.timeline.contains { $0.in_flight_mean != nil }
        let starts = Set(runStarts(r))
        // A run's last second ends at its last completion.
        func end(_ i: Int) -> Double {
            let e = r.timeline[i]
            let lastOfRun = i == r.timeline.count - 1 || starts.contains(r.timeline[i + 1].t_s)
            return min(Double(e.t_s) + (lastOfRun && e.length_s > 0 ? e.length_s : 1), domain.upperBound)
        }
        func steps(_ value: (TimelineEntry) -> Double) -> [[(Double, Double)]] {
            var out: [[(Double, Double)]] = []
            var current: [(Double, Double)] = []
            for (i, e) in r.timeline.enumerated() {
                if let last = current.last, Double(e.t_s) > last.0 + 1e-9 { out.append(current); current = [] }
                let v = value(e)
                current.append((Double(e.t_s), v))
                current.append((end(i), v))
            }
            if !current.isEmpty { out.append(current) }
            return out
        }
        var series: [SVGChart.Series]
        if known {
            series = [
                SVGChart.Series(label: "in flight (mean over each second)", colour: SVGChart.Palette.green, segments: steps(\.inFlightMeanOrClose), width: 2, fill: true),
                SVGChart.Series(label: "peak (at most)", colour: SVGChart.Palette.slate, segments: steps { Double($0.inFlightMaxOrClose) }, width: 1.2),
            ]
        } else {
            let inFlight = r.timeline.map { (min(Double($0.t_s) + max($0.length_s, 0.001), domain.upperBound), Double($0.in_flight)) }
            series = [SVGChart.Series(label: "in flight (at each second's end)", colour: SVGChart.Palette.green,
                             segments: inFlight.isEmpty ? [] : [[(0, 0)] + inFlight], width: 2, fill: true)]
        }
        var bars: [SVGChart.BarSeries] = []
        let dropped = r.timeline.filter { $0.dropped > 0 }
        if !dropped.isEmpty || r.requests.dropped > 0 {
            bars.append(SVGChart.BarSeries(label: "dropped / s", colour: SVGChart.Palette.red,
                                  items: dropped.map { (Double($0.t_s), Double($0.t_s) + 1,
                                                        Double($0.dropped) / max($0.length_s, TimelineEntry.minimumRateSeconds)) }))
        }
        if let target = targetConcurrency(r.plan), !r.timeline.isEmpty {
            series.append(SVGChart.Series(label: "target concurrency", colour: SVGChart.Palette.slate, segments: perRun(target, r), width: 1.4, dash: "5 4"))
        }
        if r.timeline.isEmpty { series = [] }
        return SVGChart.render(SVGChart.Chart(name: "inflight", width: 1112, height: 250, xDomain: domain, xTicks: timeTicks(domain),
                            xLabel: "time since start", yLabel: "requests", series: series, bars: bars,
                            markers: timelineMarkers(r), emptyText: "no timeline recorded", bands: timelineBands(r)))
    }

    /// Ticks on a 1-2-5-10-15-30 s, minutes, hours ladder: at most about ten, labelled `15s`, `2m`, `1m30s`, `1h`.
    static func timeTicks(_ domain: ClosedRange<Double>) -> [(Double, String)] {
        let span = domain.upperBound - domain.lowerBound
        let ladder: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
        let step = ladder.first { span / $0 <= 10 } ?? (span / 10).rounded(.up)
        var out: [(Double, String)] = []
        var t = 0.0
        while t <= domain.upperBound + 1e-9 {
            out.append((t, timeLabel(Int(t))))
            t += step
        }
        return out
    }

    static func timeLabel(_ s: Int) -> String {
        if s < 60 { return "\(s)s" }
        if s < 3600 { return s % 60 == 0 ? "\(s / 60)m" : "\(s / 60)m\(s % 60 < 10 ? "0" : "")\(s % 60)s" }
        return s % 3600 == 0 ? "\(s / 3600)h" : "\(s / 3600)h\((s % 3600) / 60 < 10 ? "0" : "")\((s % 3600) / 60)m"
    }
}
