import Foundation

/// `compare` on flows: when both results have `iterations`, their iteration duration percentiles and rate are compared
/// as point changes (results carry no per-second iteration timeline, so the noise is unknown and these rows never gate).
extension Compare {
    /// A flow's iteration metrics, when both runs have iterations: point changes (there is no per-second iteration
    /// timeline, so their noise is unknown and they never gate); nil otherwise. Durations only when both runs
    /// finished an iteration.
    static func iterationRows(base: RunResult, new: RunResult) -> [Comparison.IterationRow]? {
        guard let b = base.iterations, let n = new.iterations else { return nil }
        // A run without a finished iteration has no durations to compare (its zeros are not measurements).
        let timed = b.duration_us.count > 0 && n.duration_us.count > 0
        return Comparison.IterationMetric.allCases.filter { timed || $0 == .iteration_rate }.map { metric in
            let bv = metric.value(of: b), nv = metric.value(of: n)
            let change = nv - bv
            let verdict = Comparison.Verdict.pointChange(change, higherIsWorse: metric.higherIsWorse)
            return Comparison.IterationRow(metric: metric, base: bv, new: nv, change: change,
                                           relative_change: bv != 0 ? change / bv : nil, verdict: verdict)
        }
    }
}

extension Comparison {
    /// The iteration metrics `compare` reports: iteration duration percentiles (µs of `iterations.duration_us`) and
    /// the rate of finished iterations (per second).
    public enum IterationMetric: String, Codable, Sendable, CaseIterable {
        case iteration_duration_p50 = "iteration_duration.p50"
        case iteration_duration_p90 = "iteration_duration.p90"
        case iteration_duration_p99 = "iteration_duration.p99"
        case iteration_rate

        /// True when a larger value is worse (durations); false for the rate.
        public var higherIsWorse: Bool { self != .iteration_rate }

        func value(of it: RunResult.Iterations) -> Double {
            switch self {
            case .iteration_duration_p50: Double(it.duration_us.p50)
            case .iteration_duration_p90: Double(it.duration_us.p90)
            case .iteration_duration_p99: Double(it.duration_us.p99)
            case .iteration_rate: it.rate
            }
        }

        /// `1.20s`, or for the rate `12.5/s`.
        func format(_ v: Double) -> String {
            self == .iteration_rate ? fixed(v, 1) + "/s" : DurationParser.format(microsDouble: v)
        }
    }

    /// One iteration metric's point change from BASE to NEW.
    public typealias IterationRow = PointChangeRow<IterationMetric>
}
