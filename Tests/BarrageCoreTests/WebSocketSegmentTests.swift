import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// A WebSocket plan split with `--segment I/N`, as an HTTP plan is: each segment opens its share of the connections
/// (closed), takes its share of the `-n` message budget (either model), and its share of the open model's connection
/// arrivals; the segments' plans share one fingerprint, so `merge` takes them. Pure arithmetic, no sockets.
final class WebSocketSegmentTests: XCTestCase {
    private let target = RequestTarget(url: "ws://127.0.0.1:1/ws")

    private func closed(connections: Int, messages: Int?, threads: Int = 1, segment: Segment?) -> RunPlan {
        var plan = RunPlan(concurrency: connections, requestLimit: messages, durationMicros: nil, targets: [target],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: threads, keepAlive: true)
        plan.workload.webSocket = WebSocketPlan()
        plan.segment = segment
        return plan
    }

    private func open(rate: Double, seconds: Int64, pool: Int, messages: Int?, threads: Int, segment: Segment?) -> RunPlan {
        let schedule = OpenSchedule(startRate: rate, stages: [RateStage(durationMicros: seconds * 1_000_000, rate: rate)])
        var plan = RunPlan.open(schedule: schedule, maxInFlight: pool, maxLatenessMicros: 1_000_000, requestLimit: messages,
                                targets: [target], timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000,
                                threads: threads, keepAlive: true)
        plan.workload.webSocket = WebSocketPlan(messagesPerConnection: 3)
        plan.segment = segment
        return plan
    }

    private func segments(_ n: Int) -> [Segment] { (1...n).map { Segment(index: $0, count: n) } }

    func testClosedSegmentsShareTheConnectionsAndTheMessageBudgetExactly() {
        // -c 4 -n 400 in two: 2 connections and 200 messages each.
        XCTAssertEqual(segments(2).map { closed(connections: 4, messages: 400, segment: $0).processConcurrency }, [2, 2])
        XCTAssertEqual(segments(2).map { closed(connections: 4, messages: 400, segment: $0).processMessageLimit }, [200, 200])
        for (c, n, parts) in [(5, 401, 3), (7, 10, 4), (3, 1_000, 7), (1, 9, 1)] {
            let plans = segments(parts).map { closed(connections: c, messages: n, segment: $0) }
            XCTAssertEqual(plans.compactMap(\.processMessageLimit).reduce(0, +), n, "-n \(n) over \(parts)")
            XCTAssertEqual(plans.map(\.processConcurrency).reduce(0, +), max(c, parts), "-c \(c) over \(parts): at least one each")
        }
        XCTAssertNil(closed(connections: 4, messages: nil, segment: Segment(index: 1, count: 2)).processMessageLimit,
                     "bound by time: no budget")
        XCTAssertEqual(closed(connections: 4, messages: 400, segment: nil).processMessageLimit, 400)
    }

    func testOpenSegmentsShareTheMessageBudgetTooNotOnlyTheArrivals() {
        // The open model bounds an HTTP plan's request numbers with -n, so there each process keeps the whole -n;
        // a WebSocket run's -n counts messages, not arrivals, so each segment takes its share.
        let plans = segments(3).map { open(rate: 20, seconds: 1, pool: 10, messages: 31, threads: 1, segment: $0) }
        XCTAssertEqual(plans.map(\.processMessageLimit), [11, 10, 10])
        XCTAssertEqual(plans.map(\.processRequestLimit), [31, 31, 31], "HTTP's open model: the whole -n bounds request numbers")
        XCTAssertEqual(plans.map(\.processConcurrency), [4, 3, 3], "the pool (--max-in-flight) is shared too")
    }

    func testOpenSegmentsAndTheirThreadsTakeEveryArrivalOnce() {
        // 20 connections a second for 1 s, over 2 segments of 2 threads (and 3 of 1): each arrival opens once.
        for (parts, threads) in [(2, 2), (3, 1), (1, 3)] {
            var opened: [Int] = []
            for seg in segments(parts) {
                let plan = open(rate: 20, seconds: 1, pool: 12, messages: nil, threads: threads, segment: seg)
                var mine = 0
                for t in 0..<plan.effectiveThreads {
                    let share = plan.scheduleShare(thread: t)
                    var it = plan.schedule!.makeIterator(offset: share.offset, stride: share.stride)
                    while let arrival = it.next() {
                        XCTAssertEqual(arrival.k % parts, seg.index - 1, "arrival k belongs to segment (k mod N) + 1")
                        opened.append(arrival.k)
                        mine += 1
                    }
                }
                XCTAssertEqual(mine, seg.residueCount(below: 20), "segment \(seg.index)/\(parts)")
            }
            XCTAssertEqual(opened.sorted(), Array(0..<20), "\(parts) segments of \(threads) threads")
        }
    }

    func testAnOpenSegmentsSchedulerOpensItsArrivalsOnly() {
        // Segment 2/2 of 4 arrivals a second for 1 s: arrivals 1 and 3 (at 250 and 750 ms), nothing at 0 or 500 ms.
        let plan = open(rate: 4, seconds: 1, pool: 4, messages: nil, threads: 1, segment: Segment(index: 2, count: 2))
        let share = plan.scheduleShare(thread: 0)
        var s = MessageScheduler(plan: plan.workload.webSocket!, connections: plan.processConcurrency, answerTimeoutMicros: 1_000_000,
                                 sendEndMicros: 1_000_000, budget: CountedRequests(limit: plan.processMessageLimit),
                                 arrivals: plan.schedule!.makeIterator(offset: share.offset, stride: share.stride),
                                 maxLatenessMicros: 1_000_000)
        s.start()
        XCTAssertEqual(s.nextAction(nowMicros: 0), .none)
        XCTAssertEqual(s.nextWakeMicros(), 250_000)
        XCTAssertEqual(s.nextAction(nowMicros: 250_000), .open(slot: 0))
        s.rewind()
        XCTAssertEqual(s.nextAction(nowMicros: 500_000), .none)
        XCTAssertEqual(s.nextAction(nowMicros: 750_000), .open(slot: 1))
    }

    func testSegmentsShareOneFingerprint() {
        let one = PlanRecord(closed(connections: 4, messages: 400, threads: 2, segment: Segment(index: 1, count: 2)))
        let two = PlanRecord(closed(connections: 4, messages: 400, threads: 1, segment: Segment(index: 2, count: 2)))
        XCTAssertEqual(one.fingerprint, two.fingerprint, "the segment and the threads are left out")
        XCTAssertEqual(one.websocket?.messages, 400, "the plan records the whole -n")
        XCTAssertEqual(one.segment, Segment(index: 1, count: 2))
        let other = PlanRecord(closed(connections: 4, messages: 300, segment: Segment(index: 1, count: 2)))
        XCTAssertNotEqual(one.fingerprint, other.fingerprint)
        let openOne = PlanRecord(open(rate: 20, seconds: 1, pool: 10, messages: nil, threads: 1, segment: Segment(index: 1, count: 2)))
        let openTwo = PlanRecord(open(rate: 20, seconds: 1, pool: 10, messages: nil, threads: 2, segment: Segment(index: 2, count: 2)))
        XCTAssertEqual(openOne.fingerprint, openTwo.fingerprint)
    }
}
