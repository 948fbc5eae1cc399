import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// A request budget without atomics: request numbers 0, 1, 2, … up to an optional limit.
final class CountedRequests: RequestSource {
    let limit: Int?
    private(set) var taken = 0
    init(limit: Int? = nil) { self.limit = limit }
    func take() -> Int? {
        defer { taken += 1 }
        if let limit, taken >= limit { return nil }
        return taken
    }
    var spent: Bool { limit.map { taken >= $0 } ?? false }
}

/// The rules the engine applies to its slots, fed as events with no sockets, no threads and no clock.
final class SlotSchedulerTests: XCTestCase {
    typealias Scheduler = SlotScheduler<CountedRequests>

    private let target = RequestTarget(url: "http://127.0.0.1:1/")

    private func closedPlan(concurrency: Int, limit: Int? = nil, durationMicros: Int64? = nil, thinkMicros: Int64 = 0,
                            threads: Int = 1) -> RunPlan {
        RunPlan(load: .closed(workers: concurrency, durationMicros: durationMicros, thinkTimeMicros: thinkMicros),
                workload: Workload(targets: [target], timeoutMicros: 1_000_000), requestLimit: limit, threads: threads)
    }

    private func stagesPlan(_ stages: [ClosedStage], start: Int, threads: Int = 1) -> RunPlan {
        RunPlan.closedStages(stages, start: start, requestLimit: nil, targets: [target], timeoutMicros: 1_000_000,
                             connectTimeoutMicros: 1_000_000, threads: threads, keepAlive: true)
    }

    /// 1,000 requests/s for `millis` ms: request k is due at k ms.
    private func openPlan(millis: Int64, pool: Int, latenessMicros: Int64, threads: Int = 1) -> RunPlan {
        let schedule = OpenSchedule(startRate: 1_000, stages: [RateStage(durationMicros: millis * 1_000, rate: 1_000)])
        return RunPlan.open(schedule: schedule, maxInFlight: pool, maxLatenessMicros: latenessMicros, requestLimit: nil,
                            targets: [target], timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000,
                            threads: threads, keepAlive: true)
    }

    private func scheduler(_ plan: RunPlan, slots: Int? = nil, thread: Int = 0, requests: CountedRequests = CountedRequests(),
                           warmInFlight: Int = 256) -> Scheduler {
        Scheduler(plan: plan, slotCount: slots ?? plan.concurrency, thread: thread, requests: requests,
                  warmInFlight: warmInFlight)
    }

    /// Every action for `now` until `.none`.
    private func actions(_ s: inout Scheduler, at now: Int64) -> [SlotAction] {
        var out: [SlotAction] = []
        while true {
            let a = s.nextAction(nowMicros: now)
            if a == .none { return out }
            out.append(a)
        }
    }

    /// Completes the slots in order: the scheduler is finished after the last one and not before.
    private func assertFinishes(_ s: inout Scheduler, completing ends: [(slot: Int, outcome: SlotOutcome, at: Int64)],
                                line: UInt = #line) {
        for (n, end) in ends.enumerated() {
            _ = s.completed(slot: end.slot, outcome: end.outcome, nowMicros: end.at)
            XCTAssertEqual(s.finished(nowMicros: end.at), n == ends.count - 1, "after slot \(end.slot)", line: line)
        }
    }

    // MARK: - Closed model

    func testClosedWorkersStartTogetherAndSendAgainAtOnce() {
        var s = scheduler(closedPlan(concurrency: 3))
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0), [.send(slot: 0, request: 0), .send(slot: 1, request: 1), .send(slot: 2, request: 2)])
        XCTAssertEqual(s.inFlight, 3)
        XCTAssertEqual(s.completed(slot: 1, outcome: .ok, nowMicros: 700), .send(slot: 1, request: 3))
        XCTAssertEqual(s.slot(1).dueMicros, 700)
        XCTAssertEqual(s.slot(1).sentMicros, 700)
        XCTAssertEqual(s.inFlight, 3)
        // A failure after the server (a reset) sends again at once too.
        XCTAssertEqual(s.completed(slot: 0, outcome: .broken, nowMicros: 900), .send(slot: 0, request: 4))
        XCTAssertFalse(s.finished(nowMicros: 900))
    }

    func testTheBudgetIsSpentExactly() {
        let budget = CountedRequests(limit: 5)
        var s = scheduler(closedPlan(concurrency: 3, limit: 5), requests: budget)
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0).count, 3)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 10), .send(slot: 0, request: 3))
        XCTAssertEqual(s.completed(slot: 1, outcome: .ok, nowMicros: 20), .send(slot: 1, request: 4))
        XCTAssertEqual(s.completed(slot: 2, outcome: .ok, nowMicros: 30), .release(slot: 2))
        XCTAssertFalse(s.finished(nowMicros: 30))
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 40), .release(slot: 0))
        XCTAssertEqual(s.completed(slot: 1, outcome: .ok, nowMicros: 50), .release(slot: 1))
        XCTAssertTrue(s.finished(nowMicros: 50))
    }

    func testTwoThreadsShareOneBudget() {
        let budget = CountedRequests(limit: 7)
        var a = scheduler(closedPlan(concurrency: 4, limit: 7, threads: 2), slots: 2, thread: 0, requests: budget)
        var b = scheduler(closedPlan(concurrency: 4, limit: 7, threads: 2), slots: 2, thread: 1, requests: budget)
        a.started(nowMicros: 0)
        b.started(nowMicros: 0)
        var sent = actions(&a, at: 0).count + actions(&b, at: 0).count
        var now: Int64 = 0
        while !(a.finished(nowMicros: now) && b.finished(nowMicros: now)) && now < 100 {
            now += 1
            for i in 0..<2 {
                if a.slot(i).isInFlight, case .send = a.completed(slot: i, outcome: .ok, nowMicros: now) { sent += 1 }
                if b.slot(i).isInFlight, case .send = b.completed(slot: i, outcome: .ok, nowMicros: now) { sent += 1 }
            }
        }
        XCTAssertEqual(sent, 7)
    }

    func testFewerRequestsThanWorkers() {
        var s = scheduler(closedPlan(concurrency: 4, limit: 2), requests: CountedRequests(limit: 2))
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0), [.send(slot: 0, request: 0), .send(slot: 1, request: 1)])
        assertFinishes(&s, completing: [(0, .ok, 5), (1, .ok, 6)])
    }

    func testTheDurationEndsSending() {
        var s = scheduler(closedPlan(concurrency: 2, durationMicros: 1_000_000))
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0).count, 2)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 999_999), .send(slot: 0, request: 2))
        XCTAssertEqual(s.completed(slot: 1, outcome: .ok, nowMicros: 1_000_000), .release(slot: 1))
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 1_000_100), .release(slot: 0))
        XCTAssertTrue(s.finished(nowMicros: 1_000_100))
    }

    func testThinkTimeWaitsInOrderThenSends() {
        var s = scheduler(closedPlan(concurrency: 2, thinkMicros: 1_000))
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        XCTAssertEqual(s.completed(slot: 1, outcome: .ok, nowMicros: 100), .think(slot: 1, untilMicros: 1_100))
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 200), .think(slot: 0, untilMicros: 1_200))
        XCTAssertEqual(s.slot(0).phase, .waiting)
        XCTAssertEqual(s.inFlight, 0)
        XCTAssertEqual(s.nextWakeMicros(), 1_100)
        s.timerFired(nowMicros: 1_099)
        XCTAssertEqual(actions(&s, at: 1_099), [])
        s.timerFired(nowMicros: 1_150)
        XCTAssertEqual(actions(&s, at: 1_150), [.send(slot: 1, request: 2)])
        XCTAssertEqual(s.nextWakeMicros(), 1_200)
        s.timerFired(nowMicros: 5_000)
        XCTAssertEqual(actions(&s, at: 5_000), [.send(slot: 0, request: 3)])
        XCTAssertEqual(s.slot(0).dueMicros, 5_000)
    }

    func testThinkingSlotsDoNotHoldTheRunOnceSendingEnds() {
        var s = scheduler(closedPlan(concurrency: 1, limit: 1, thinkMicros: 1_000), requests: CountedRequests(limit: 1))
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        // The budget is spent: no think time, the worker retires.
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 10), .release(slot: 0))
        XCTAssertTrue(s.finished(nowMicros: 10))
    }

    func testStagesRampConcurrencyUpAndSplitItOverThreads() {
        // 0 → 10 workers over 10 s, then 10 s at 10.
        let plan = stagesPlan([ClosedStage(durationMicros: 10_000_000, concurrency: 10),
                               ClosedStage(durationMicros: 10_000_000, concurrency: 10)], start: 0)
        var s = scheduler(plan)
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0), [])
        s.timerFired(nowMicros: 1_000_000)
        XCTAssertEqual(actions(&s, at: 1_000_000), [.send(slot: 0, request: 0)])
        s.timerFired(nowMicros: 3_500_000)
        XCTAssertEqual(actions(&s, at: 3_500_000), [.send(slot: 1, request: 1), .send(slot: 2, request: 2)])
        XCTAssertEqual(s.inFlight, 3)
        // Two threads: concurrency 3 splits 2 + 1.
        let split = stagesPlan([ClosedStage(durationMicros: 10_000_000, concurrency: 3)], start: 3, threads: 2)
        XCTAssertEqual(scheduler(split, slots: 2, thread: 0).allowedSlots(nowMicros: 0), 2)
        XCTAssertEqual(scheduler(split, slots: 2, thread: 1).allowedSlots(nowMicros: 0), 1)
    }

    func testARampDownRetiresAWorkerAfterItsRequest() {
        // 4 → 0 workers over 4 s: at 1.5 s, 2 are allowed (2.5 rounded down).
        let plan = stagesPlan([ClosedStage(durationMicros: 4_000_000, concurrency: 0)], start: 4)
        var s = scheduler(plan)
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0).count, 4)
        XCTAssertEqual(s.completed(slot: 3, outcome: .ok, nowMicros: 1_500_000), .release(slot: 3))
        XCTAssertEqual(s.completed(slot: 1, outcome: .ok, nowMicros: 1_500_000), .send(slot: 1, request: 4))
        XCTAssertEqual(s.slot(3).phase, .idle)
        s.timerFired(nowMicros: 1_600_000)
        XCTAssertEqual(actions(&s, at: 1_600_000), []) // the retired worker stays retired
    }

    // MARK: - Back-off

    func testBackOffDoublesUpToTheCapWithJitter() {
        var s = scheduler(closedPlan(concurrency: 1))
        for (streak, base) in [(1, 10_000), (2, 20_000), (3, 40_000), (7, 640_000), (8, 1_000_000), (30, 1_000_000)] as [(Int32, Int64)] {
            for _ in 0..<50 {
                let wait = s.backoffMicros(streak: streak)
                XCTAssertGreaterThanOrEqual(wait, base / 2, "streak \(streak)")
                XCTAssertLessThanOrEqual(wait, base, "streak \(streak)")
            }
        }
    }

    func testAFailureBeforeTheServerBacksOffAndACompleteResponseResetsIt() {
        var s = scheduler(closedPlan(concurrency: 1))
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        var now: Int64 = 0
        var waits: [Int64] = []
        for _ in 0..<3 {
            now += 100
            guard case .think(let slot, let until) = s.completed(slot: 0, outcome: .unreachable, nowMicros: now) else {
                return XCTFail("a refused connection backs off")
            }
            XCTAssertEqual(slot, 0)
            waits.append(until - now)
            XCTAssertEqual(s.nextWakeMicros(), until)
            s.timerFired(nowMicros: until - 1)
            XCTAssertEqual(actions(&s, at: until - 1), [])
            now = until
            s.timerFired(nowMicros: now)
            XCTAssertEqual(actions(&s, at: now).count, 1) // tries again
        }
        XCTAssertEqual(s.slot(0).failStreak, 3)
        XCTAssert((5_000...10_000).contains(waits[0]) && (10_000...20_000).contains(waits[1]) && (20_000...40_000).contains(waits[2]), "\(waits)")
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: now + 10), .send(slot: 0, request: 4))
        XCTAssertEqual(s.slot(0).failStreak, 0)
    }

    func testARefusedTransferCountsAsAFailureBeforeTheServer() {
        var s = scheduler(closedPlan(concurrency: 1))
        s.started(nowMicros: 0)
        XCTAssertEqual(s.nextAction(nowMicros: 0), .send(slot: 0, request: 0))
        s.refused(slot: 0, nowMicros: 0)
        XCTAssertEqual(s.inFlight, 0)
        XCTAssertEqual(s.slot(0).phase, .waiting)
        XCTAssertEqual(s.slot(0).failStreak, 1)
        XCTAssert((5_000...10_000).contains(s.nextWakeMicros()))
        XCTAssertFalse(s.finished(nowMicros: 0))
    }

    /// One refusal while the workers start does not leave the others unstarted: the pass goes on with the next slot.
    func testARefusalAtStartUpDoesNotStopTheOtherWorkers() {
        var s = scheduler(closedPlan(concurrency: 4))
        s.started(nowMicros: 0)
        XCTAssertEqual(s.nextAction(nowMicros: 0), .send(slot: 0, request: 0))
        s.refused(slot: 0, nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0).count, 3, "slots 1, 2 and 3 start")
        XCTAssertEqual(s.inFlight, 3)
        XCTAssertEqual(s.slot(0).phase, .waiting)
    }

    func testBackedOffWorkersKeepTheRequestCountExact() {
        // Every other attempt fails before the server; 2 workers, 9 requests: exactly 9 are sent.
        var s = scheduler(closedPlan(concurrency: 2, limit: 9), requests: CountedRequests(limit: 9))
        s.started(nowMicros: 0)
        var sent = actions(&s, at: 0).count
        var now: Int64 = 0
        var fail = false
        while !s.finished(nowMicros: now) && now < 100_000_000 {
            now += 1_000
            for i in 0..<2 where s.slot(i).isInFlight {
                fail.toggle()
                if case .send = s.completed(slot: i, outcome: fail ? .unreachable : .ok, nowMicros: now) { sent += 1 }
            }
            s.timerFired(nowMicros: now)
            sent += actions(&s, at: now).count
        }
        XCTAssertTrue(s.finished(nowMicros: now))
        XCTAssertEqual(sent, 9)
    }

    func testEveryTransferRefusedEndsAtTheDuration() {
        var s = scheduler(closedPlan(concurrency: 2, durationMicros: 1_000_000))
        s.started(nowMicros: 0)
        var now: Int64 = 0
        var attempts = 0
        while !s.finished(nowMicros: now) && now < 10_000_000 {
            while case .send(let i, _) = s.nextAction(nowMicros: now) {
                attempts += 1
                s.refused(slot: i, nowMicros: now)
            }
            now = min(s.nextWakeMicros(), 1_000_000)
            s.timerFired(nowMicros: now)
        }
        XCTAssertEqual(now, 1_000_000, "sending ends at the duration, however the workers back off")
        XCTAssertLessThan(attempts, 2 * 20, "each worker backs off: 10 ms doubling, not a spin")
        XCTAssertEqual(s.inFlight, 0)
    }

    func testNoBackOffOnceNothingMoreMayStart() {
        var s = scheduler(closedPlan(concurrency: 1, limit: 1), requests: CountedRequests(limit: 1))
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        XCTAssertEqual(s.completed(slot: 0, outcome: .unreachable, nowMicros: 10), .release(slot: 0))
        XCTAssertTrue(s.finished(nowMicros: 10))
    }

    // MARK: - Open model

    func testOpenModelSendsInDueOrder() {
        var s = scheduler(openPlan(millis: 10, pool: 4, latenessMicros: 5_000))
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0), [.send(slot: 0, request: 0)])
        XCTAssertEqual(s.nextWakeMicros(), 1_000)
        XCTAssertEqual(actions(&s, at: 2_500), [.send(slot: 1, request: 1), .send(slot: 2, request: 2)])
        XCTAssertEqual(s.slot(2).dueMicros, 2_000)
        XCTAssertEqual(s.slot(2).sentMicros, 2_500)
        XCTAssertEqual(s.completed(slot: 1, outcome: .ok, nowMicros: 2_600), .release(slot: 1))
        XCTAssertEqual(actions(&s, at: 3_000), [.send(slot: 1, request: 3)]) // the slot freed last goes first
    }

    func testWithRoomInThePoolTheWholePlanIsSentOnTime() {
        var s = scheduler(openPlan(millis: 50, pool: 3, latenessMicros: 0))
        s.started(nowMicros: 0)
        var sent: [Int] = []
        var now: Int64 = 0
        while !s.finished(nowMicros: now) {
            for i in 0..<3 where s.slot(i).isInFlight { _ = s.completed(slot: i, outcome: .ok, nowMicros: now) }
            for case .send(let i, let k) in actions(&s, at: now) {
                XCTAssertEqual(s.slot(i).sentMicros, s.slot(i).dueMicros)
                sent.append(k)
            }
            now = s.nextWakeMicros() == .max ? now : s.nextWakeMicros()
        }
        XCTAssertEqual(sent, Array(0..<50))
    }

    func testAFullPoolWaitsAndLatencyCountsFromTheDueTime() {
        var s = scheduler(openPlan(millis: 10, pool: 1, latenessMicros: 5_000))
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0), [.send(slot: 0, request: 0)])
        XCTAssertEqual(actions(&s, at: 1_500), []) // request 1 is due, no slot is free
        XCTAssertEqual(s.nextWakeMicros(), 1_000 + 5_001) // then it would be too late
        _ = s.completed(slot: 0, outcome: .ok, nowMicros: 3_000)
        XCTAssertEqual(s.nextWakeMicros(), 1_000)
        XCTAssertEqual(actions(&s, at: 3_000), [.send(slot: 0, request: 1)])
        XCTAssertEqual(s.slot(0).dueMicros, 1_000)
        XCTAssertEqual(s.slot(0).sentMicros, 3_000)
    }

    func testARequestLaterThanTheLatenessIsDropped() {
        var s = scheduler(openPlan(millis: 10, pool: 1, latenessMicros: 5_000))
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        XCTAssertEqual(actions(&s, at: 6_000), []) // request 1: 5,000 µs late, still allowed
        XCTAssertEqual(actions(&s, at: 6_001), [.drop(request: 1, target: 0, dueMicros: 1_000)])
        _ = s.completed(slot: 0, outcome: .ok, nowMicros: 7_500)
        XCTAssertEqual(actions(&s, at: 7_500), [.drop(request: 2, target: 0, dueMicros: 2_000), .send(slot: 0, request: 3)])
    }

    func testStoppingDropsWhatIsDueAndEndsTheSchedule() {
        var s = scheduler(openPlan(millis: 10, pool: 1, latenessMicros: 50_000))
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        XCTAssertEqual(actions(&s, at: 2_500), [])
        s.drain()
        XCTAssertEqual(actions(&s, at: 2_500), [.drop(request: 1, target: 0, dueMicros: 1_000),
                                                .drop(request: 2, target: 0, dueMicros: 2_000)])
        XCTAssertEqual(s.nextWakeMicros(), .max) // requests 3… are never due
        XCTAssertFalse(s.finished(nowMicros: 2_500)) // request 0 is still in flight
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 2_600), .release(slot: 0))
        XCTAssertTrue(s.finished(nowMicros: 2_600))
    }

    func testTheScheduleEndsTheOpenRun() {
        var s = scheduler(openPlan(millis: 2, pool: 2, latenessMicros: 5_000))
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 1_000), [.send(slot: 0, request: 0), .send(slot: 1, request: 1)])
        assertFinishes(&s, completing: [(0, .ok, 1_100), (1, .broken, 1_200)])
    }

    func testARefusedOpenTransferFreesTheSlot() {
        var s = scheduler(openPlan(millis: 10, pool: 1, latenessMicros: 5_000))
        s.started(nowMicros: 0)
        XCTAssertEqual(s.nextAction(nowMicros: 1_000), .send(slot: 0, request: 0))
        s.refused(slot: 0, nowMicros: 1_000)
        XCTAssertEqual(s.nextAction(nowMicros: 1_000), .send(slot: 0, request: 1))
    }

    func testThreadsShareTheScheduleEveryTthRequest() {
        let plan = openPlan(millis: 10, pool: 4, latenessMicros: 50_000, threads: 2)
        var s = scheduler(plan, slots: 2, thread: 1)
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 3_000), [.send(slot: 0, request: 1), .send(slot: 1, request: 3)])
    }

    // MARK: - Stop

    func testStopCutsEverythingInFlightShort() {
        var s = scheduler(closedPlan(concurrency: 3))
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        s.stop()
        XCTAssertEqual(s.inFlight, 0)
        XCTAssertTrue(s.finished(nowMicros: 10))
    }

    func testDrainLetsRequestsInFlightFinishAndSendsNothingNew() {
        var s = scheduler(closedPlan(concurrency: 2, thinkMicros: 100))
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        s.drain()
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 10), .release(slot: 0))
        XCTAssertFalse(s.finished(nowMicros: 10))
        XCTAssertEqual(s.completed(slot: 1, outcome: .unreachable, nowMicros: 20), .release(slot: 1))
        XCTAssertTrue(s.finished(nowMicros: 20))
    }

    // MARK: - Connect phase

    func testTheConnectPhaseWarmsEverySlotInBatches() {
        let budget = CountedRequests(limit: 10)
        var s = scheduler(closedPlan(concurrency: 5, limit: 10), requests: budget, warmInFlight: 2)
        s.startConnect()
        XCTAssertEqual(actions(&s, at: 0), [.connect(slot: 0), .connect(slot: 1)])
        _ = s.completed(slot: 1, outcome: .ok, nowMicros: 50)
        XCTAssertEqual(actions(&s, at: 50), [.connect(slot: 2)])
        _ = s.completed(slot: 0, outcome: .ok, nowMicros: 60)
        _ = s.completed(slot: 2, outcome: .ok, nowMicros: 60)
        XCTAssertEqual(actions(&s, at: 60), [.connect(slot: 3), .connect(slot: 4)])
        XCTAssertFalse(s.finished(nowMicros: 60))
        _ = s.completed(slot: 3, outcome: .ok, nowMicros: 70)
        _ = s.completed(slot: 4, outcome: .ok, nowMicros: 70)
        XCTAssertEqual(actions(&s, at: 70), [])
        XCTAssertTrue(s.finished(nowMicros: 70))
        XCTAssertEqual(budget.taken, 0) // warm-ups are outside the budget
        s.started(nowMicros: 0)
        XCTAssertFalse(s.connecting)
        XCTAssertEqual(actions(&s, at: 0).count, 5)
    }

    func testTheFirstConnectFailureEndsThePhase() {
        var s = scheduler(closedPlan(concurrency: 5), warmInFlight: 2)
        s.startConnect()
        _ = actions(&s, at: 0)
        _ = s.completed(slot: 0, outcome: .unreachable, nowMicros: 10)
        XCTAssertEqual(actions(&s, at: 10), [])
        XCTAssertFalse(s.finished(nowMicros: 10)) // slot 1 is still in flight
        _ = s.completed(slot: 1, outcome: .ok, nowMicros: 20)
        XCTAssertTrue(s.finished(nowMicros: 20))
    }

    func testARefusedWarmUpEndsThePhase() {
        var s = scheduler(closedPlan(concurrency: 5), warmInFlight: 2)
        s.startConnect()
        XCTAssertEqual(s.nextAction(nowMicros: 0), .connect(slot: 0))
        s.refused(slot: 0, nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0), [])
        XCTAssertTrue(s.finished(nowMicros: 0))
    }
}
