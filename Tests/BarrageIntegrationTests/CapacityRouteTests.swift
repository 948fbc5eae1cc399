import Foundation
import XCTest

@testable import BarrageTargetServer

/// The `/capacity` route: its limiter as a pure value (tables, no clock, no network), its parsing, and the route
/// through the live server.
final class CapacityRouteTests: XCTestCase {
    private typealias Limits = CapacityLimiter.Limits
    private typealias Grant = CapacityLimiter.Grant

    private static let ms: UInt64 = 1_000_000

    private func limits(_ n: Int, _ serviceMillis: UInt64, queue: Int) -> Limits {
        Limits(concurrency: n, serviceNanos: serviceMillis * Self.ms, queueLimit: queue)
    }

    // MARK: Pure limiter

    func testGrantsUpToNThenQueuesUpToQThenRejects() {
        var limiter = CapacityLimiter()
        let l = limits(2, 10, queue: 2)
        // (arrival ms, expected kind)
        let table: [(UInt64, String)] = [(0, "granted"), (1, "granted"), (2, "queued"), (3, "queued"), (4, "rejected"), (5, "rejected")]
        for (at, expected) in table {
            let admission = limiter.arrive(key: "k", limits: l, nowNanos: at * Self.ms)
            switch (admission, expected) {
            case (.granted(let grant), "granted"):
                XCTAssertEqual(grant.startNanos, at * Self.ms)
                XCTAssertEqual(grant.releaseNanos, (at + 10) * Self.ms)
            case (.queued, "queued"), (.rejected, "rejected"):
                break
            default:
                XCTFail("arrival at \(at) ms: \(admission), expected \(expected)")
            }
        }
        XCTAssertEqual(limiter.inServiceCount(key: "k"), 2)
        XCTAssertEqual(limiter.waitingCount(key: "k"), 2)
    }

    func testWaitersAreServedInArrivalOrderFromTheReleasedDeadline() {
        var limiter = CapacityLimiter()
        let l = limits(1, 10, queue: 10)
        guard case .granted(let first) = limiter.arrive(key: "k", limits: l, nowNanos: 0) else { return XCTFail() }
        var queued: [CapacityLimiter.Ticket] = []
        for at: UInt64 in [1, 2, 3] {
            guard case .queued(let ticket) = limiter.arrive(key: "k", limits: l, nowNanos: at * Self.ms) else {
                return XCTFail()
            }
            queued.append(ticket)
        }
        // Each release hands the slot to the oldest waiter, starting at the released slot's deadline (not when the
        // release was processed), so the slots chain exactly 10 ms apart.
        var current = first
        var served: [CapacityLimiter.Ticket] = []
        while true {
            let next = limiter.release(current)
            guard let grant = next.first else { break }
            XCTAssertEqual(next.count, 1)
            XCTAssertEqual(grant.startNanos, current.releaseNanos)
            XCTAssertEqual(grant.releaseNanos, current.releaseNanos + 10 * Self.ms)
            served.append(grant.ticket)
            current = grant
        }
        XCTAssertEqual(served, queued)
        XCTAssertEqual(current.releaseNanos, 40 * Self.ms)
        XCTAssertEqual(limiter.activeKeyCount, 0, "an idle key is dropped")
    }

    func testAWaiterArrivingAfterTheDeadlineStartsAtItsArrival() {
        var limiter = CapacityLimiter()
        let l = limits(1, 10, queue: 1)
        guard case .granted(let first) = limiter.arrive(key: "k", limits: l, nowNanos: 0) else { return XCTFail() }
        // Arrives at 12 ms, after the first slot's deadline (10 ms) but before its release was processed.
        guard case .queued = limiter.arrive(key: "k", limits: l, nowNanos: 12 * Self.ms) else { return XCTFail() }
        let next = limiter.release(first)
        XCTAssertEqual(next.map(\.startNanos), [12 * Self.ms])
        XCTAssertEqual(next.map(\.releaseNanos), [22 * Self.ms])
    }

    func testKeysHaveSeparateLimits() {
        var limiter = CapacityLimiter()
        let l = limits(1, 10, queue: 0)
        for key in ["a", "b", "c"] {
            guard case .granted = limiter.arrive(key: key, limits: l, nowNanos: 0) else { return XCTFail(key) }
        }
        for key in ["a", "b", "c"] {
            XCTAssertEqual(limiter.arrive(key: key, limits: l, nowNanos: 1), .rejected, key)
            XCTAssertEqual(limiter.inServiceCount(key: key), 1)
        }
        XCTAssertEqual(limiter.activeKeyCount, 3)
    }

    func testQueueZeroRejectsWhenEverySlotIsHeld() {
        var limiter = CapacityLimiter()
        let l = limits(3, 5, queue: 0)
        var grants: [Grant] = []
        for _ in 0..<3 {
            guard case .granted(let grant) = limiter.arrive(key: "k", limits: l, nowNanos: 0) else { return XCTFail() }
            grants.append(grant)
        }
        XCTAssertEqual(limiter.arrive(key: "k", limits: l, nowNanos: 0), .rejected)
        XCTAssertEqual(limiter.release(grants[0]), [])
        guard case .granted = limiter.arrive(key: "k", limits: l, nowNanos: 6 * Self.ms) else { return XCTFail() }
    }

    func testWithdrawnWaiterGivesUpItsPlace() {
        var limiter = CapacityLimiter()
        let l = limits(1, 10, queue: 2)
        guard case .granted(let first) = limiter.arrive(key: "k", limits: l, nowNanos: 0),
            case .queued(let leaving) = limiter.arrive(key: "k", limits: l, nowNanos: 1),
            case .queued(let staying) = limiter.arrive(key: "k", limits: l, nowNanos: 2)
        else { return XCTFail() }
        XCTAssertEqual(limiter.arrive(key: "k", limits: l, nowNanos: 3), .rejected, "queue full")
        XCTAssertTrue(limiter.withdraw(key: "k", ticket: leaving))
        XCTAssertFalse(limiter.withdraw(key: "k", ticket: leaving), "withdrawn once")
        XCTAssertEqual(limiter.waitingCount(key: "k"), 1)
        // Its place is free again, and it is skipped when the slot is released.
        guard case .queued(let third) = limiter.arrive(key: "k", limits: l, nowNanos: 4) else { return XCTFail() }
        let next = limiter.release(first)
        XCTAssertEqual(next.map(\.ticket), [staying])
        XCTAssertEqual(limiter.release(next[0]).map(\.ticket), [third])
        // A request holding a slot cannot be withdrawn: it keeps the slot to its deadline.
        XCTAssertFalse(limiter.withdraw(key: "k", ticket: third))
        XCTAssertEqual(limiter.inServiceCount(key: "k"), 1)
    }

    func testReleasingTwiceOrAnUnknownGrantChangesNothing() {
        var limiter = CapacityLimiter()
        let l = limits(1, 10, queue: 1)
        guard case .granted(let first) = limiter.arrive(key: "k", limits: l, nowNanos: 0),
            case .queued = limiter.arrive(key: "k", limits: l, nowNanos: 1)
        else { return XCTFail() }
        let next = limiter.release(first)
        XCTAssertEqual(next.count, 1)
        XCTAssertEqual(limiter.release(first), [])
        XCTAssertEqual(limiter.inServiceCount(key: "k"), 1)
        var other = first
        other.key = "elsewhere"
        XCTAssertEqual(limiter.release(other), [])
    }

    func testAReleaseCanGrantSeveralWaitersWhenTheyFit() {
        // Waiters queued behind one with a lower n (mixed limits on one key) go in together once a slot frees up.
        var limiter = CapacityLimiter()
        guard case .granted(let a) = limiter.arrive(key: "k", limits: limits(1, 10, queue: 5), nowNanos: 0),
            case .queued = limiter.arrive(key: "k", limits: limits(1, 10, queue: 5), nowNanos: 1),
            case .queued = limiter.arrive(key: "k", limits: limits(3, 10, queue: 5), nowNanos: 2),
            case .queued = limiter.arrive(key: "k", limits: limits(3, 10, queue: 5), nowNanos: 3)
        else { return XCTFail() }
        XCTAssertEqual(limiter.release(a).count, 3)
    }

    // MARK: Parsing

    func testCapacityRouteParsing() {
        XCTAssertEqual(Route(uri: "/capacity"), .capacity(key: "default", concurrency: 4, serviceMillis: 10, queueLimit: 1000))
        XCTAssertEqual(
            Route(uri: "/capacity?n=8&ms=20&queue=0&key=a.b_c-1~"),
            .capacity(key: "a.b_c-1~", concurrency: 8, serviceMillis: 20, queueLimit: 0)
        )
        for bad in ["n=0", "n=x", "n=100001", "ms=0", "ms=3600001", "ms=1.5", "queue=-1", "queue=1000001", "key=",
                    "key=a%20b", "key=" + String(repeating: "k", count: 65)]
        {
            guard case .badParameter(let message) = Route(uri: "/capacity?" + bad) else {
                XCTFail(bad)
                continue
            }
            let name = String(bad.prefix(while: { $0 != "=" }))
            XCTAssertTrue(message.hasPrefix("bad request: \(name) must be"), message)
            XCTAssertFalse(message.contains("\n"))
        }
        XCTAssertEqual(Route(uri: "/capacity/x"), .notFound)
    }

    // MARK: Live

    /// With one slot of 3 s and a queue of one, four requests sent together: one is served, one waits, two are
    /// refused at once — whichever order they arrive in.
    func testOverflowIsRejectedAndTheRestServedInTurn() throws {
        let server = try TargetServer.start(host: "127.0.0.1", port: 0, threads: 2)
        defer { try? server.shutdown() }
        let path = "/capacity?n=1&ms=3000&queue=1&key=live"
        let connections = try (0..<4).map { _ in try BlockingHTTPConnection(port: server.port, timeoutSeconds: 15) }
        let start = ContinuousClock.now
        for connection in connections {
            try connection.send(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        }
        var statuses: [Int] = []
        var okElapsed: [Duration] = []
        for connection in connections {
            let response = try connection.readResponse()
            statuses.append(response.status)
            if response.status == 200 {
                XCTAssertEqual(response.bodyText, "ok")
                okElapsed.append(ContinuousClock.now - start)
            } else {
                XCTAssertEqual(response.status, 503)
            }
        }
        XCTAssertEqual(statuses.filter { $0 == 503 }.count, 2, "\(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 200 }.count, 2, "\(statuses)")
        // Lower bounds only: the first served request held its slot 3 s, the second waited for it and held its own.
        XCTAssertGreaterThanOrEqual(okElapsed.min() ?? .zero, .milliseconds(3000))
        XCTAssertGreaterThanOrEqual(okElapsed.max() ?? .zero, .milliseconds(6000))
        XCTAssertTrue(waitUntil { server.counters.capacityGate.counts(key: "live") == (0, 0) })
    }

    /// A waiter whose connection closes gives its place to the next arrival.
    func testClosedWaiterReleasesItsPlace() throws {
        let server = try TargetServer.start(host: "127.0.0.1", port: 0, threads: 2)
        defer { try? server.shutdown() }
        let gate = server.counters.capacityGate
        let path = "/capacity?n=1&ms=2000&queue=1&key=leave"
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        let served = try BlockingHTTPConnection(port: server.port, timeoutSeconds: 15)
        try served.send(request)
        XCTAssertTrue(waitUntil { gate.counts(key: "leave") == (1, 0) })
        let leaving = try BlockingHTTPConnection(port: server.port, timeoutSeconds: 15)
        try leaving.send(request)
        XCTAssertTrue(waitUntil { gate.counts(key: "leave") == (1, 1) })
        leaving.close()
        XCTAssertTrue(waitUntil { gate.counts(key: "leave") == (1, 0) }, "the closed waiter's place is freed")
        // The freed place takes the next request (not refused), which is served after the first.
        let next = try BlockingHTTPConnection(port: server.port, timeoutSeconds: 15)
        try next.send(request)
        XCTAssertEqual(try served.readResponse().status, 200)
        XCTAssertEqual(try next.readResponse().status, 200)
        XCTAssertTrue(waitUntil { gate.counts(key: "leave") == (0, 0) })
    }

    func testBadParameterIs400WithOneLine() throws {
        let server = try TargetServer.start(host: "127.0.0.1", port: 0, threads: 1)
        defer { try? server.shutdown() }
        let connection = try BlockingHTTPConnection(port: server.port)
        let response = try connection.request(path: "/capacity?n=0")
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(response.bodyText, "bad request: n must be an integer in 1...100000")
    }

    /// Polls `condition` every 10 ms for up to `seconds`.
    private func waitUntil(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }
}
