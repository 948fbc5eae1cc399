extension Comparison {
    /// One metric's point change from BASE to NEW where the noise is unknown (a flow's iterations, a WebSocket run's
    /// messages): `IterationRow`, `MessageRow`.
    public struct PointChangeRow<Metric: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
        public var metric: Metric
        public var base: Double
        public var new: Double
        /// new − base.
        public var change: Double
        /// change / base; nil when base is 0 (written as null, not left out).
        public var relative_change: Double?
        /// By the sign of the change (noise unknown): `within noise` only when nothing changed.
        public var verdict: Verdict

        public init(metric: Metric, base: Double, new: Double, change: Double, relative_change: Double?, verdict: Verdict) {
            self.metric = metric; self.base = base; self.new = new; self.change = change
            self.relative_change = relative_change; self.verdict = verdict
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(metric, forKey: .metric)
            try c.encode(base, forKey: .base)
            try c.encode(new, forKey: .new)
            try c.encode(change, forKey: .change)
            try c.encode(relative_change, forKey: .relative_change)
            try c.encode(verdict, forKey: .verdict)
        }
    }
}
