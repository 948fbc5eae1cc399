import Foundation

/// A closed-model stage: concurrency moves linearly from where the previous stage ended to `concurrency`.
public struct ClosedStage: Sendable, Equatable {
    public var durationMicros: Int64
    public var concurrency: Int
    public init(durationMicros: Int64, concurrency: Int) { self.durationMicros = durationMicros; self.concurrency = concurrency }
}

/// A stretch of the run with a target load: a concurrency (closed model) or a rate reached linearly by the
/// stage's end (open model).
public struct Stage: Codable, Sendable, Equatable {
    /// nil: until the request count is reached.
    public var duration_us: Int64?
    public var concurrency: Int?
    /// Requests per second at the end of the stage (open model).
    public var rate: Double?

    public init(duration_us: Int64?, concurrency: Int? = nil, rate: Double? = nil) {
        self.duration_us = duration_us; self.concurrency = concurrency; self.rate = rate
    }
}
