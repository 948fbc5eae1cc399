import NIOConcurrencyHelpers
import NIOCore

/// The `/capacity` route's limiter shared by every event loop of one server: a ``CapacityLimiter`` under a lock,
/// whose grants become timers.
///
/// A granted request's timer is scheduled on the event loop of its connection at the grant's deadline; when it
/// fires, the slot is released (which may grant waiters, perhaps on other loops: their timers are scheduled on
/// their own loops, outside the lock) and the request is answered. The timer runs even when the connection has gone
/// meanwhile, so a slot is always held for exactly its service time and never leaks; a request still waiting when
/// its connection closes is withdrawn (``withdraw(key:ticket:)``).
final class CapacityGate: Sendable {
    /// Runs on the request's event loop when its slot's hold ends; the handler answers 200 if it still waits for
    /// that ticket.
    typealias OnServed = @Sendable (CapacityLimiter.Ticket) -> Void

    private struct State {
        var limiter = CapacityLimiter()
        /// Queued requests: where to schedule their timer and whom to tell, once granted.
        var waiters: [CapacityLimiter.Ticket: (eventLoop: any EventLoop, onServed: OnServed)] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// Admits a request of `key` arriving now on `eventLoop`: returns its ticket (it is served, or waits, and
    /// `onServed` runs on `eventLoop` at the end of its hold), or `nil` when it is rejected (answer 503 at once).
    func enter(
        key: String,
        limits: CapacityLimiter.Limits,
        eventLoop: any EventLoop,
        onServed: @escaping OnServed
    ) -> CapacityLimiter.Ticket? {
        let now = NIODeadline.now().uptimeNanoseconds
        let admission = state.withLockedValue { state -> CapacityLimiter.Admission in
            let admission = state.limiter.arrive(key: key, limits: limits, nowNanos: now)
            if case .queued(let ticket) = admission {
                state.waiters[ticket] = (eventLoop, onServed)
            }
            return admission
        }
        switch admission {
        case .granted(let grant):
            schedule(grant, on: eventLoop, onServed: onServed)
            return grant.ticket
        case .queued(let ticket):
            return ticket
        case .rejected:
            return nil
        }
    }

    /// Withdraws a waiting request whose connection closed; does nothing once it holds a slot.
    func withdraw(key: String, ticket: CapacityLimiter.Ticket) {
        state.withLockedValue { state in
            if state.limiter.withdraw(key: key, ticket: ticket) {
                state.waiters[ticket] = nil
            }
        }
    }

    /// Requests of `key` holding a slot and waiting now (for tests).
    func counts(key: String) -> (inService: Int, waiting: Int) {
        state.withLockedValue { ($0.limiter.inServiceCount(key: key), $0.limiter.waitingCount(key: key)) }
    }

    private func schedule(_ grant: CapacityLimiter.Grant, on eventLoop: any EventLoop, onServed: @escaping OnServed) {
        eventLoop.scheduleTask(deadline: .uptimeNanoseconds(grant.releaseNanos)) {
            self.release(grant)
            onServed(grant.ticket)
        }
    }

    private func release(_ grant: CapacityLimiter.Grant) {
        let next = state.withLockedValue { state in
            state.limiter.release(grant).compactMap { granted in
                state.waiters.removeValue(forKey: granted.ticket).map { (granted, $0.eventLoop, $0.onServed) }
            }
        }
        for (granted, eventLoop, onServed) in next {
            schedule(granted, on: eventLoop, onServed: onServed)
        }
    }
}
