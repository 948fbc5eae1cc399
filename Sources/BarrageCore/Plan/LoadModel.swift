import Foundation

/// How load is offered: the one thing that decides what "concurrency", "duration" and "stage" mean for a run.
public enum LoadModel: Sendable, Equatable {
    /// Workers that send, wait for the response, and send again.
    case closed(ClosedLoad)
    /// Requests due at times set by a rate, whatever the server does, through a bounded pool.
    case open(OpenLoad)

    /// A constant number of workers, for `durationMicros` (nil: until the request count).
    public static func closed(workers: Int, durationMicros: Int64?, thinkTimeMicros: Int64 = 0) -> LoadModel {
        .closed(ClosedLoad(shape: .constant(workers: workers, durationMicros: durationMicros), thinkTimeMicros: thinkTimeMicros))
    }

    /// Workers along stages from `start` (k6's ramping VUs).
    public static func closed(start: Int, stages: [ClosedStage], thinkTimeMicros: Int64 = 0) -> LoadModel {
        .closed(ClosedLoad(shape: .stages(start: start, stages), thinkTimeMicros: thinkTimeMicros))
    }

    /// Requests due along `schedule`, at most `maxInFlight` at once, dropped when `maxLatenessMicros` late.
    public static func open(_ schedule: OpenSchedule, maxInFlight: Int, maxLatenessMicros: Int64) -> LoadModel {
        .open(OpenLoad(schedule: schedule, maxInFlight: maxInFlight, maxLatenessMicros: maxLatenessMicros))
    }

    public var kind: RunPlan.Model {
        switch self {
        case .closed: return .closed
        case .open: return .open
        }
    }

    /// The most connections the load opens: the closed model's peak worker count, or the open model's pool.
    public var connections: Int {
        switch self {
        case .closed(let c): return c.peakWorkers
        case .open(let o): return o.maxInFlight
        }
    }

    /// How long requests are sent for (nil: until the request count).
    public var durationMicros: Int64? {
        switch self {
        case .closed(let c): return c.durationMicros
        case .open(let o): return o.schedule.totalDurationMicros
        }
    }

    /// How many stages (a constant closed load is one).
    public var stageCount: Int {
        switch self {
        case .open(let o): return o.schedule.stages.count
        case .closed(let c):
            if case .stages(_, let stages) = c.shape { return Swift.max(1, stages.count) }
            return 1
        }
    }

    /// Each stage's length; a constant closed load is one stage of the whole duration (0 when count-bound).
    public var stageDurations: [Int64] {
        switch self {
        case .open(let o): return o.schedule.stages.map(\.durationMicros)
        case .closed(let c):
            switch c.shape {
            case .constant(_, let d): return [d ?? 0]
            case .stages(_, let stages): return stages.isEmpty ? [0] : stages.map(\.durationMicros)
            }
        }
    }
}

/// The closed model: how many workers there are over time, and their pause between requests.
public struct ClosedLoad: Sendable, Equatable {
    public enum Shape: Sendable, Equatable {
        /// The same workers throughout, for a duration or (nil) until the request count.
        case constant(workers: Int, durationMicros: Int64?)
        /// Workers move linearly from `start` through each stage's target (rounded down).
        case stages(start: Int, [ClosedStage])
    }

    public var shape: Shape
    /// Pause between a worker's requests.
    public var thinkTimeMicros: Int64

    public init(shape: Shape, thinkTimeMicros: Int64 = 0) {
        self.shape = shape
        self.thinkTimeMicros = thinkTimeMicros
    }

    /// The most workers at any time (at least 1).
    public var peakWorkers: Int {
        switch shape {
        case .constant(let w, _): return w
        case .stages(let start, let stages): return Swift.max(start, stages.map(\.concurrency).max() ?? 0, 1)
        }
    }

    /// The stages' total, or the constant load's duration.
    public var durationMicros: Int64? {
        switch shape {
        case .constant(_, let d): return d
        case .stages(_, let stages): return stages.reduce(0) { $0 + $1.durationMicros }
        }
    }

    /// Workers at `micros` from the start (linear within a stage, rounded down; past the end, the last target).
    public func workers(atMicros micros: Int64) -> Int {
        guard case .stages(let start, let stages) = shape, !stages.isEmpty else { return peakWorkers }
        var from = start
        var t: Int64 = 0
        for s in stages {
            if micros < t + s.durationMicros {
                let f = Double(micros - t) / Double(Swift.max(1, s.durationMicros))
                return Int((Double(from) + Double(s.concurrency - from) * f).rounded(.down))
            }
            t += s.durationMicros
            from = s.concurrency
        }
        return from
    }
}

/// The open model: the arrival schedule and the pool it is served through.
public struct OpenLoad: Sendable, Equatable {
    public var schedule: OpenSchedule
    /// The pool: at most this many requests in flight.
    public var maxInFlight: Int
    /// A request not sent within this long after its due time is dropped (and counted).
    public var maxLatenessMicros: Int64

    public init(schedule: OpenSchedule, maxInFlight: Int, maxLatenessMicros: Int64) {
        self.schedule = schedule
        self.maxInFlight = maxInFlight
        self.maxLatenessMicros = maxLatenessMicros
    }
}
