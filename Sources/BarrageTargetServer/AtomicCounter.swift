#if os(Linux)
import Synchronization

/// A counter shared by the event-loop threads, updated without a lock.
final class AtomicCounter: Sendable {
    private let count = Atomic<Int>(0)

    func add(_ amount: Int) {
        count.wrappingAdd(amount, ordering: .sequentiallyConsistent)
    }

    var value: Int { count.load(ordering: .sequentiallyConsistent) }

    func reset() {
        count.store(0, ordering: .sequentiallyConsistent)
    }
}
#else
import NIOConcurrencyHelpers

/// A counter shared by the event-loop threads. (`Synchronization.Atomic` needs macOS 15 and the
/// package supports macOS 13, so Darwin takes a lock.)
final class AtomicCounter: Sendable {
    private let count = NIOLockedValueBox(0)

    func add(_ amount: Int) {
        count.withLockedValue { $0 += amount }
    }

    var value: Int { count.withLockedValue { $0 } }

    func reset() {
        count.withLockedValue { $0 = 0 }
    }
}
#endif

/// What every connection of one server counts.
struct ServerCounters: Sendable {
    /// Request heads received (``TargetServer/requestsReceived``).
    let requestHeads = AtomicCounter()
    /// `/bytes` and `/drip` body bytes handed to channels; shows that a stalled reader stops the
    /// writer (backpressure) rather than queueing the whole body.
    let streamedBodyBytes = AtomicCounter()
}
