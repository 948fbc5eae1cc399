import Foundation

/// What the capacity charts (``CapacityFigure``) draw: the steps of a capacity search, its latency SLOs and its
/// answer. Filled by `barrage capacity` from the search's steps; pure data, so the charts are tested without a run.
public struct CapacityFigureInput: Sendable, Equatable {
    /// One step of the search: the rate offered, what was achieved and at what latency.
    public struct Point: Sendable, Equatable {
        /// The constant rate the step offered, req/s.
        public var offeredRPS: Double
        /// The rate of responses the step achieved, req/s.
        public var achievedRPS: Double
        /// Latency percentiles, µs.
        public var p50Micros: Int64
        public var p90Micros: Int64
        public var p99Micros: Int64
        /// Requests in flight, averaged over the step.
        public var inFlightMean: Double
        /// Whether the step met every SLO (and was not overloaded).
        public var passed: Bool

        public init(
            offeredRPS: Double, achievedRPS: Double, p50Micros: Int64, p90Micros: Int64, p99Micros: Int64,
            inFlightMean: Double, passed: Bool
        ) {
            self.offeredRPS = offeredRPS
            self.achievedRPS = achievedRPS
            self.p50Micros = p50Micros
            self.p90Micros = p90Micros
            self.p99Micros = p99Micros
            self.inFlightMean = inFlightMean
            self.passed = passed
        }
    }

    /// A latency SLO drawn as a horizontal line, e.g. (`p99 < 200ms`, 200_000).
    public struct SLOLine: Sendable, Equatable {
        public var label: String
        public var micros: Int64

        public init(label: String, micros: Int64) {
            self.label = label
            self.micros = micros
        }
    }

    public var title: String
    /// In the order the steps ran: rates are not sorted and may repeat (bisection, confirmation).
    public var points: [Point]
    /// Latency SLOs.
    public var sloLines: [SLOLine]
    /// The capacity found, req/s, marked on both charts; nil when none was found.
    public var capacityRPS: Double?
    /// The rates between which it was found (shaded).
    public var bracket: ClosedRange<Double>?
    /// The unit of every rate, as printed: `req/s`, or `iterations/s` for a flow (`CapacityResult.RateUnit`).
    public var rateUnit: String

    public init(
        title: String, points: [Point], sloLines: [SLOLine] = [], capacityRPS: Double? = nil,
        bracket: ClosedRange<Double>? = nil, rateUnit: String = "req/s"
    ) {
        self.rateUnit = rateUnit
        self.title = title
        self.points = points
        self.sloLines = sloLines
        self.capacityRPS = capacityRPS
        self.bracket = bracket
    }
}
