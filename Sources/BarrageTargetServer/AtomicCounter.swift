import NIOCore

#if os(Linux)
import Synchronization

/// A counter shared by the event-loop threads, updated without a lock.
final class AtomicCounter: Sendable {
    private let count = Atomic<Int>(0)

    func add(_ amount: Int) {
        count.wrappingAdd(amount, ordering: .sequentiallyConsistent)
    }

    /// Adds 1 and returns the value before the addition.
    func next() -> Int {
        count.wrappingAdd(1, ordering: .sequentiallyConsistent).oldValue
    }

    var value: Int { count.load(ordering: .sequentiallyConsistent) }

    func store(_ newValue: Int) {
        count.store(newValue, ordering: .sequentiallyConsistent)
    }

    func reset() {
        store(0)
    }
}
#else
import NIOConcurrencyHelpers

/// A counter shared by the event-loop threads. (`Synchronization.Atomic` needs macOS 15 and the
/// package supports macOS 13, so Darwin takes a lock.)
final class AtomicCounter: Sendable {
    private let count = NIOLockedValueBox(0)

    func add(_ amount: Int) {
        count.withLockedValue { $0 &+= amount }
    }

    /// Adds 1 and returns the value before the addition.
    func next() -> Int {
        count.withLockedValue { value in
            defer { value &+= 1 }
            return value
        }
    }

    var value: Int { count.withLockedValue { $0 } }

    func store(_ newValue: Int) {
        count.withLockedValue { $0 = newValue }
    }

    func reset() {
        store(0)
    }
}
#endif

/// What every connection of one server counts and shares.
struct ServerCounters: Sendable {
    /// Request heads received (``TargetServer/requestsReceived``).
    let requestHeads = AtomicCounter()
    /// `/bytes` and `/drip` body bytes handed to channels; shows that a stalled reader stops the
    /// writer (backpressure) rather than queueing the whole body.
    let streamedBodyBytes = AtomicCounter()
    /// Connections currently open (active and not yet inactive); shows that stalled and faulted
    /// connections are released.
    let openConnections = AtomicCounter()
    /// `/fault/ratio` requests seen: the route's own request numbers, 0-based.
    let ratioRequests = AtomicCounter()
    /// The `/stall` clock's zero, in `NIODeadline.uptimeNanoseconds`: the server's start or its
    /// last ``TargetServer/resetClock()``.
    let stallClockStartNanos = AtomicCounter()
    /// The `/capacity` route's slots and queues, shared by every event loop.
    let capacityGate = CapacityGate()
    /// `/api/` requests by outcome, indexed by ``DemoAPI/Outcome/index``.
    let apiOutcomes: [AtomicCounter] = DemoAPI.Outcome.allCases.map { _ in AtomicCounter() }
    /// `/ws` requests upgraded to WebSocket (each also counted in ``requestHeads``).
    let wsUpgrades = AtomicCounter()
    /// `/ws` requests answered with their `refuse` status instead of an upgrade.
    let wsRefused = AtomicCounter()
    /// WebSocket messages (text or binary, fragments reassembled) received on `/ws` connections.
    let wsMessagesReceived = AtomicCounter()
    /// WebSocket messages sent on `/ws` connections: echoes and greetings.
    let wsMessagesSent = AtomicCounter()
    /// WebSocket close frames the `/ws` route sent (its own and its answers to the peer's).
    let wsClosesSent = AtomicCounter()

    /// The `/ws` counters, in the order `/stats` lists them, with their keys.
    var webSocketCounters: [(key: String, counter: AtomicCounter)] {
        [
            ("ws_upgrades", wsUpgrades), ("ws_refused", wsRefused), ("ws_messages_received", wsMessagesReceived),
            ("ws_messages_sent", wsMessagesSent), ("ws_closes_sent", wsClosesSent),
        ]
    }

    /// Counts one `/api/` request that ended in `outcome`.
    func record(_ outcome: DemoAPI.Outcome) {
        apiOutcomes[outcome.index].add(1)
    }

    /// What `/stats` answers: `{"requests": N, "api": {"login": a, …}, "ws_upgrades": u, …}`, one `api` key per
    /// ``DemoAPI/Outcome`` in declaration order (`requests` kept first and spelt as before the API existed), then the
    /// `/ws` counters (``webSocketCounters``).
    var statsJSON: String {
        let api = zip(DemoAPI.Outcome.allCases, apiOutcomes).map { "\"\($0.rawValue)\": \($1.value)" }
        let webSocket = webSocketCounters.map { ", \"\($0.key)\": \($0.counter.value)" }.joined()
        return "{\"requests\": \(requestHeads.value), \"api\": {" + api.joined(separator: ", ") + "}" + webSocket + "}"
    }

    /// Starts the `/stall` clock now.
    func resetStallClock() {
        stallClockStartNanos.store(Int(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds))
    }

    /// The `/stall` clock's zero.
    var stallClockStart: NIODeadline {
        .uptimeNanoseconds(UInt64(truncatingIfNeeded: stallClockStartNanos.value))
    }
}
