import Synchronization
import BarrageCore
import Glibc

/// How far a run has been asked to stop. Shared by the controller and the engine threads; lock-free.
public final class StopControl: Sendable {
    public enum Level: Int, Sendable, Comparable {
        /// Keep going.
        case running = 0
        /// Send nothing new; let requests in flight finish.
        case draining = 1
        /// Cut requests in flight short now (counted as failed, class `other`).
        case aborting = 2
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    private let state = Atomic<Int>(0)

    public init() {}

    @inline(__always)
    public var level: Level { Level(rawValue: state.load(ordering: .relaxed)) ?? .aborting }

    /// Raises the level; never lowers it.
    public func raise(to level: Level) {
        var current = state.load(ordering: .relaxed)
        while current < level.rawValue {
            let (exchanged, original) = state.compareExchange(expected: current, desired: level.rawValue, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}

/// The shared request budget of a run with `-n`: an atomic count of requests started.
final class RequestBudget: Sendable {
    private let started = Atomic<Int>(0)
    let limit: Int?

    init(limit: Int?) { self.limit = limit }

    /// Takes one request from the budget: its number k in the whole run, or nil once the budget is spent.
    @inline(__always)
    func take() -> Int? {
        let (before, _) = started.add(1, ordering: .relaxed)
        if let limit, before >= limit { return nil }
        return before
    }

    /// True once every request of a limited budget has been taken.
    var spent: Bool {
        guard let limit else { return false }
        return started.load(ordering: .relaxed) >= limit
    }
}

extension RequestBudget: RequestSource {}

/// What engine threads hand to the controller: closed seconds as they pass, and their totals at the end.
final class Mailbox: Sendable {
    enum Message: Sendable {
        /// A closed second, with what it recorded per target and per stage (empty arrays with one target, one stage).
        case interval(worker: Int, IntervalStats, targets: [Recorder], stages: [Recorder])
        /// NDJSON lines of finished requests (`--raw`), handed over once a second.
        case raw([UInt8])
        case finished(worker: Int, warmup: Recorder, connect: Recorder, firstErrors: [String: String])
    }
    private let messages = Mutex<[Message]>([])

    func post(_ message: Message) {
        messages.withLock { $0.append(message) }
    }

    func take() -> [Message] {
        messages.withLock { m in
            let out = m
            m.removeAll(keepingCapacity: true)
            return out
        }
    }
}

/// Where the engine threads line up so the run clock starts only when every thread is ready (handles built,
/// warm-up done): the last thread to arrive starts the clock for all.
final class StartLine: Sendable {
    private let parties: Int
    private let arrived = Atomic<Int>(0)
    private let startMicros = Atomic<Int64>(0)
    private let epochMillis = Atomic<Int64>(0)
    private let allArrived = Atomic<Int64>(0)

    /// The run does not start before this Unix time (ms): `--start-at` with a connect phase, which must open the
    /// connections first and then wait.
    private let notBeforeEpochMillis: Int64?

    init(parties: Int, notBeforeEpochMillis: Int64? = nil) {
        self.parties = parties
        self.notBeforeEpochMillis = notBeforeEpochMillis
    }

    /// Blocks until every thread has arrived (and the start time, if any, has come); returns the run clock's zero
    /// (µs monotonic).
    func arriveAndWait(control: StopControl) -> Int64 {
        let (before, _) = arrived.add(1, ordering: .acquiringAndReleasing)
        if before + 1 == parties {
            allArrived.store(Clock.monotonicMicros(), ordering: .releasing)
            if let notBefore = notBeforeEpochMillis {
                while control.level == .running, Clock.epochMillis() < notBefore {
                    usleep(useconds_t(max(1, min(notBefore - Clock.epochMillis(), 20)) * 1000))
                }
            }
            epochMillis.store(Clock.epochMillis(), ordering: .releasing)
            startMicros.store(Clock.monotonicMicros(), ordering: .releasing)
        }
        while true {
            let start = startMicros.load(ordering: .acquiring)
            if start != 0 { return start }
            if control.level == .aborting { return Clock.monotonicMicros() }
            usleep(100)
        }
    }

    /// Unix ms at the run clock's zero (0 until the start).
    var startedEpochMillis: Int64 { epochMillis.load(ordering: .acquiring) }

    /// When the last thread arrived (µs monotonic; 0 until then): the end of the connect phase, before any wait for
    /// the start time.
    var allArrivedMicros: Int64 { allArrived.load(ordering: .acquiring) }

    /// The run clock's zero, µs monotonic (0 until the start).
    var startedMicros: Int64 { startMicros.load(ordering: .acquiring) }
}

/// One engine thread's running counts, read by the controller for the live view at its redraw rate.
final class LiveCounters: Sendable {
    let ok = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)
    let inFlight = Atomic<Int>(0)
    /// A WebSocket thread's messages (answered, failed, dropped) and its connections open; 0 on HTTP threads.
    let messagesAnswered = Atomic<Int>(0)
    let messagesFailed = Atomic<Int>(0)
    let messagesDropped = Atomic<Int>(0)
    let connectionsOpen = Atomic<Int>(0)
}
