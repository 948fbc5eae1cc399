import NIOCore

/// The `/capacity` route's admission rules, as a pure value with no clock and no threads.
///
/// Each key has its own lane: at most `concurrency` requests hold a slot at once, each for exactly its service time
/// from the moment it got the slot; the rest wait first in, first out, up to `queueLimit` of them; a request that
/// finds the queue full is rejected at once. The caller passes the time in (``arrive(key:limits:nowNanos:)``) and
/// reports a slot's end at the deadline the grant carries (``release(_:)``), so a lane serves exactly
/// `concurrency × 1e9 / serviceNanos` requests a second while it has waiters, whatever the timers' lateness: the
/// next waiter's slot starts at the released slot's deadline (or at its own arrival when it came later), not when
/// the release was processed.
///
/// ``CapacityGate`` shares one limiter between the server's event loops under a lock and turns grants into timers.
struct CapacityLimiter: Sendable {
    /// One request's limits, from its query (`n`, `ms`, `queue`). Requests of one key are expected to agree; each is
    /// checked against its own.
    struct Limits: Equatable, Sendable {
        /// Slots of the key held at once (`n`), at least 1.
        var concurrency: Int
        /// How long a slot is held (`ms`), in nanoseconds.
        var serviceNanos: UInt64
        /// Requests of the key allowed to wait (`queue`), 0 or more.
        var queueLimit: Int
    }

    /// Identifies one request for the limiter's lifetime.
    typealias Ticket = UInt64

    /// A slot given to a request: it is held from `startNanos` to `releaseNanos`.
    struct Grant: Equatable, Sendable {
        var ticket: Ticket
        var key: String
        var startNanos: UInt64
        var releaseNanos: UInt64
    }

    /// What happens to an arriving request.
    enum Admission: Equatable, Sendable {
        /// A slot was free and nobody was waiting: served from now.
        case granted(Grant)
        /// Every slot is held (or others wait first): it waits with this ticket.
        case queued(Ticket)
        /// The queue is full: answered 503 at once.
        case rejected
    }

    private struct Waiter {
        var ticket: Ticket
        var limits: Limits
        var arrivalNanos: UInt64
    }

    private struct Lane {
        var inService: Set<Ticket> = []
        var waiting = CircularBuffer<Waiter>()
        var isIdle: Bool { inService.isEmpty && waiting.isEmpty }
    }

    /// Lanes with a request in service or waiting; an idle lane is dropped, so memory follows the keys in use.
    private var lanes: [String: Lane] = [:]
    private var nextTicket: Ticket = 0

    /// Admits, queues or rejects a request of `key` arriving at `nowNanos`.
    mutating func arrive(key: String, limits: Limits, nowNanos: UInt64) -> Admission {
        var lane = lanes[key] ?? Lane()
        defer { lanes[key] = lane.isIdle ? nil : lane }
        if lane.waiting.isEmpty && lane.inService.count < limits.concurrency {
            let ticket = takeTicket()
            lane.inService.insert(ticket)
            return .granted(Grant(ticket: ticket, key: key, startNanos: nowNanos, releaseNanos: nowNanos &+ limits.serviceNanos))
        }
        guard lane.waiting.count < limits.queueLimit else { return .rejected }
        let ticket = takeTicket()
        lane.waiting.append(Waiter(ticket: ticket, limits: limits, arrivalNanos: nowNanos))
        return .queued(ticket)
    }

    /// Ends `grant`'s hold at its deadline and hands the freed slot(s) to the waiters at the head of its queue, in
    /// order, while they fit their own `concurrency`. Returns their grants; empty when nobody waits or the grant was
    /// already released.
    mutating func release(_ grant: Grant) -> [Grant] {
        guard var lane = lanes[grant.key], lane.inService.remove(grant.ticket) != nil else { return [] }
        defer { lanes[grant.key] = lane.isIdle ? nil : lane }
        var granted: [Grant] = []
        while let next = lane.waiting.first, lane.inService.count < next.limits.concurrency {
            lane.waiting.removeFirst()
            lane.inService.insert(next.ticket)
            let start = max(grant.releaseNanos, next.arrivalNanos)
            granted.append(Grant(ticket: next.ticket, key: grant.key, startNanos: start, releaseNanos: start &+ next.limits.serviceNanos))
        }
        return granted
    }

    /// Withdraws a waiting request (its connection closed) so it no longer holds a place in the queue. Returns
    /// whether it was waiting; a request already granted keeps its slot until its deadline.
    mutating func withdraw(key: String, ticket: Ticket) -> Bool {
        guard var lane = lanes[key], let index = lane.waiting.firstIndex(where: { $0.ticket == ticket }) else {
            return false
        }
        lane.waiting.remove(at: index)
        lanes[key] = lane.isIdle ? nil : lane
        return true
    }

    /// Requests of `key` holding a slot now.
    func inServiceCount(key: String) -> Int { lanes[key]?.inService.count ?? 0 }

    /// Requests of `key` waiting now.
    func waitingCount(key: String) -> Int { lanes[key]?.waiting.count ?? 0 }

    /// Keys with a request in service or waiting.
    var activeKeyCount: Int { lanes.count }

    private mutating func takeTicket() -> Ticket {
        defer { nextTicket &+= 1 }
        return nextTicket
    }
}
