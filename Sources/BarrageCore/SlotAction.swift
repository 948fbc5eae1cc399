/// What a `SlotScheduler` asks the engine to do. The engine executes `connect` and `send` on its libcurl handles and
/// records `drop`; `think` and `release` only tell it where a slot went (nothing to execute today).
public enum SlotAction: Equatable, Sendable {
    /// Nothing (more) to do now.
    case none
    /// Connect phase: send slot `slot`'s warm-up request (kept out of the results and the budget).
    case connect(slot: Int)
    /// Send request `request` (its number in the whole run) on slot `slot`; the slot's state holds its target and times.
    case send(slot: Int, request: Int)
    /// Closed model: the slot waits until `untilMicros` (think time, or a back-off after a failure before the server).
    case think(slot: Int, untilMicros: Int64)
    /// The slot is idle: free in the open model's pool, or retired by a closed model's ramp or the end of sending.
    case release(slot: Int)
    /// Open model: request `request`, due at `dueMicros`, is dropped (too late, or the run is stopping). In a flow
    /// it is the iteration's first request: the iteration is dropped with it.
    case drop(request: Int, target: Int, dueMicros: Int64)
    /// Flow: the iteration on slot `slot` ended (its numbers are in the slot's state). The engine records it, then
    /// asks `afterIteration` what the slot does next.
    case iterationEnded(slot: Int, end: IterationEnd)
}

/// How a flow's iteration ended. Every iteration the plan starts ends exactly once: completed, failed or interrupted
/// here, or dropped (open model, `SlotAction.drop`) before it started.
public enum IterationEnd: UInt8, Sendable, Equatable {
    /// Every step ran and none failed.
    case completed
    /// A step failed (the iteration ended there, or went on past steps with `continue_on_failure`).
    case failed
    /// Cut short: the run stopped (a signal, a gate) or its graceful stop ran out between steps.
    case interrupted
}

/// How a finished transfer ended, as far as the scheduler cares.
public struct SlotOutcome: Equatable, Sendable {
    /// A complete response (any status).
    public var complete: Bool
    /// Failed before reaching the server: `connect`, `dns` or `tls`.
    public var neverReachedServer: Bool
    /// libcurl reported an error for the transfer (a connect-phase failure ends the phase).
    public var transferFailed: Bool
    /// The request counts as failed (any error class, a status or check failure included): a flow's step failed.
    public var failed: Bool

    @inlinable
    public init(complete: Bool, neverReachedServer: Bool, transferFailed: Bool, failed: Bool? = nil) {
        self.complete = complete
        self.neverReachedServer = neverReachedServer
        self.transferFailed = transferFailed
        self.failed = failed ?? (transferFailed || !complete)
    }

    /// A complete response.
    public static let ok = SlotOutcome(complete: true, neverReachedServer: false, transferFailed: false)
    /// A connection refused, a name not resolved, a TLS handshake failed.
    public static let unreachable = SlotOutcome(complete: false, neverReachedServer: true, transferFailed: true)
    /// A failure after the request reached the server (a reset, a timeout).
    public static let broken = SlotOutcome(complete: false, neverReachedServer: false, transferFailed: true)
}

/// One slot as the scheduler sees it: a closed-model worker or an open-model pool slot; in a flow, a VU and where it
/// is in its iteration.
public struct SlotState: Equatable, Sendable {
    public enum Phase: UInt8, Sendable {
        /// Free (open model), or not running (closed model: retired by a ramp, or never started).
        case idle
        /// A request is in flight.
        case inFlight
        /// Closed model: thinking, or backing off after a failure before the server.
        case waiting
    }

    public var phase: Phase = .idle
    /// Closed model: failures in a row that never reached the server (`connect`, `dns`, `tls`, or a transfer libcurl
    /// would not take); the next back-off doubles with each. A complete response resets it.
    public var failStreak: Int32 = 0
    /// The target of the current request.
    public var target: Int32 = 0
    /// The current request's due time and send time, µs from the run's start.
    public var dueMicros: Int64 = 0
    public var sentMicros: Int64 = 0
    /// Flow: an iteration is under way on this slot.
    public var inIteration = false
    /// Flow: a step of this iteration failed.
    public var iterationFailed = false
    /// Flow: the VU ran its setup steps without a failure; its iterations start after them.
    public var setupDone = false
    /// Flow: the request in flight is repetition `repeatIndex` of its step (`repeat`, `foreach`), with `repeatLeft`
    /// requests of the step left including it (0 while a `foreach` has not said how many).
    public var repeatIndex: Int32 = 0
    public var repeatLeft: Int32 = 0
    /// Flow: the step in flight, or (while waiting) the step to go on with.
    public var step: Int32 = 0
    /// Flow: the iteration's number in the whole run (the budget's or the schedule's k).
    public var iteration = 0
    /// Flow: when the iteration started (the open model's due time), and the think time it spent so far, µs.
    public var iterationStartMicros: Int64 = 0
    public var iterationThinkMicros: Int64 = 0

    @inlinable
    public init() {}

    @inlinable
    public var isInFlight: Bool { phase == .inFlight }
}

/// Where closed-model slots take their next request number: the run's request budget, shared by every engine
/// thread (an atomic in the engine; a plain counter in tests).
public protocol RequestSource: AnyObject {
    /// Takes one request: its number k in the whole run, or nil once the budget is spent.
    func take() -> Int?
    /// True once every request of a limited budget has been taken.
    var spent: Bool { get }
}
