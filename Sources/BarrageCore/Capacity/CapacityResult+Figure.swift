import Foundation

extension CapacityResult {
    /// What the capacity charts draw: each step that got answers (offered and achieved rate, p50/p90/p99, in flight,
    /// passed or not), the latency SLOs as lines (a `p…`/`latency…`/`service_time…` threshold with `<` or `<=`), the
    /// capacity and its bracket.
    public var figureInput: CapacityFigureInput {
        let points = steps.filter { $0.ok + $0.failed > 0 }.map { s in
            CapacityFigureInput.Point(offeredRPS: s.offered_rps, achievedRPS: s.achieved_rps,
                                      p50Micros: s.latency_us.p50, p90Micros: s.latency_us.p90, p99Micros: s.latency_us.p99,
                                      inFlightMean: s.in_flight_mean, passed: s.verdict == .pass)
        }
        let lines: [CapacityFigureInput.SLOLine] = slos.compactMap { text in
            guard let t = try? Threshold.parse(text), t.unit == "us", t.op == .lt || t.op == .le, t.limit > 0 else { return nil }
            return CapacityFigureInput.SLOLine(label: Threshold.oneLine(text), micros: Int64(t.limit.rounded()))
        }
        var bracketRange: ClosedRange<Double>? = nil
        if let low = bracket.low, let high = bracket.high, low <= high { bracketRange = low...high }
        return CapacityFigureInput(title: "Capacity of \(target)", points: points, sloLines: lines,
                                   capacityRPS: capacity_rps, bracket: bracketRange, rateUnit: rateUnit.perSecond)
    }
}
