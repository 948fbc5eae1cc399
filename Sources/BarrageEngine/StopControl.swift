import Synchronization
import BarrageCore

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

    /// Takes one request from the budget; false once the budget is spent.
    @inline(__always)
    func take() -> Bool {
        guard let limit else { return true }
        let (before, _) = started.add(1, ordering: .relaxed)
        return before < limit
    }
}

/// What engine threads hand to the controller: closed seconds as they pass, and their totals at the end.
final class Mailbox: Sendable {
    enum Message: Sendable {
        case interval(worker: Int, IntervalStats)
        case finished(worker: Int, Recorder)
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
