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
    /// Open model: request `request`, due at `dueMicros`, is dropped (too late, or the run is stopping).
    case drop(request: Int, target: Int, dueMicros: Int64)
}

/// How a finished transfer ended, as far as the scheduler cares.
public struct SlotOutcome: Equatable, Sendable {
    /// A complete response (any status).
    public var complete: Bool
    /// Failed before reaching the server: `connect`, `dns` or `tls`.
    public var neverReachedServer: Bool
    /// libcurl reported an error for the transfer (a connect-phase failure ends the phase).
    public var transferFailed: Bool

    @inlinable
    public init(complete: Bool, neverReachedServer: Bool, transferFailed: Bool) {
        self.complete = complete
        self.neverReachedServer = neverReachedServer
        self.transferFailed = transferFailed
    }

    /// A complete response.
    public static let ok = SlotOutcome(complete: true, neverReachedServer: false, transferFailed: false)
    /// A connection refused, a name not resolved, a TLS handshake failed.
    public static let unreachable = SlotOutcome(complete: false, neverReachedServer: true, transferFailed: true)
    /// A failure after the request reached the server (a reset, a timeout).
    public static let broken = SlotOutcome(complete: false, neverReachedServer: false, transferFailed: true)
}

/// One slot as the scheduler sees it: a closed-model worker or an open-model pool slot. Flows will add a step index
/// and per-slot state here.
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
