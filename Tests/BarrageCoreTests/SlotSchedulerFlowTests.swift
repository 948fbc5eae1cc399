import XCTest
@testable import BarrageCore

/// Flows in the slot scheduler, fed as events with no sockets: a VU's iteration goes step by step, pauses on think
/// steps, ends at its last step or its first failure, and every iteration the plan starts ends exactly once.
final class SlotSchedulerFlowTests: XCTestCase {
    typealias Scheduler = SlotScheduler<CountedRequests>

    private func step(_ name: String, continueOnFailure: Bool = false, repeatCount: Int = 1, foreach: Bool = false) throws -> FlowStep {
        var r = RequestStep(name: name, url: try Template(parsing: "http://127.0.0.1:1/\(name)").bind { _ in nil },
                            urlText: "http://127.0.0.1:1/\(name)", continueOnFailure: continueOnFailure)
        r.repeatCount = repeatCount
        if foreach { r.foreach = RequestStep.ForEach(list: "ids", listSlot: 0, item: "id", itemSlot: 1, max: 10) }
        return .request(r)
    }

    private func plan(_ steps: [FlowStep], load: LoadModel, iterations: Int? = nil, grace: Int64 = 5_000_000) -> RunPlan {
        var flow = Flow(scenario: "s", steps: steps, iterations: iterations)
        flow.gracefulStopMicros = grace
        let targets = flow.requestSteps.map { RequestTarget(name: $0.name, url: $0.urlText) }
        var workload = Workload(targets: targets, timeoutMicros: 1_000_000)
        workload.flow = flow
        return RunPlan(load: load, workload: workload, threads: 1)
    }

    private func actions(_ s: inout Scheduler, at now: Int64) -> [SlotAction] {
        var out: [SlotAction] = []
        while true {
            let a = s.nextAction(nowMicros: now)
            if a == .none { return out }
            out.append(a)
        }
    }

    func testAnIterationGoesStepByStepThroughThinkStepsAndStartsTheNext() throws {
        let p = plan([try step("login"), .think(.fixed(micros: 500)), try step("item")], load: .closed(workers: 1, durationMicros: nil),
                     iterations: 2)
        var s = Scheduler(plan: p, slotCount: 1, thread: 0, requests: CountedRequests(limit: p.iterationLimit), warmInFlight: 1)
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0), [.send(slot: 0, request: 0)])
        XCTAssertEqual(s.slot(0).target, 0)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 100), .think(slot: 0, untilMicros: 600))
        XCTAssertFalse(s.finished(nowMicros: 100), "a VU between steps holds the thread")
        XCTAssertEqual(s.nextWakeMicros(), 600)
        XCTAssertEqual(actions(&s, at: 599), [])
        XCTAssertEqual(actions(&s, at: 600), [.send(slot: 0, request: 0)])
        XCTAssertEqual(s.slot(0).target, 1)
        XCTAssertEqual(s.slot(0).dueMicros, 600, "later steps are timed from their send")
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 700), .iterationEnded(slot: 0, end: .completed))
        XCTAssertEqual(s.slot(0).iterationThinkMicros, 500)
        XCTAssertEqual(s.slot(0).iterationStartMicros, 0)
        XCTAssertEqual(s.afterIteration(slot: 0, nowMicros: 700), .send(slot: 0, request: 1))
        XCTAssertEqual(s.slot(0).step, 0)
        _ = s.completed(slot: 0, outcome: .ok, nowMicros: 800)
        _ = actions(&s, at: 1_300)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 1_400), .iterationEnded(slot: 0, end: .completed))
        XCTAssertEqual(s.afterIteration(slot: 0, nowMicros: 1_400), .release(slot: 0), "the iteration budget is spent")
        XCTAssertTrue(s.finished(nowMicros: 1_400))
    }

    func testAFailedStepEndsTheIterationUnlessItMayContinue() throws {
        let p = plan([try step("a"), try step("b", continueOnFailure: true), try step("c"), try step("d")],
                     load: .closed(workers: 1, durationMicros: nil), iterations: 2)
        var s = Scheduler(plan: p, slotCount: 1, thread: 0, requests: CountedRequests(limit: 2), warmInFlight: 1)
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        let failedStatus = SlotOutcome(complete: true, neverReachedServer: false, transferFailed: false, failed: true)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 1), .send(slot: 0, request: 0))
        XCTAssertEqual(s.completed(slot: 0, outcome: failedStatus, nowMicros: 2), .send(slot: 0, request: 0), "b may fail")
        XCTAssertEqual(s.slot(0).target, 2)
        XCTAssertEqual(s.completed(slot: 0, outcome: failedStatus, nowMicros: 3), .iterationEnded(slot: 0, end: .failed),
                       "c may not: d is skipped")
        XCTAssertEqual(s.afterIteration(slot: 0, nowMicros: 3), .send(slot: 0, request: 1))
        XCTAssertEqual(s.slot(0).target, 0)
        XCTAssertFalse(s.slot(0).iterationFailed, "a new iteration starts clean")
    }

    func testAFailureBeforeTheServerBacksTheVUOffAfterItsIteration() throws {
        let p = plan([try step("a"), try step("b")], load: .closed(workers: 1, durationMicros: 10_000_000))
        var s = Scheduler(plan: p, slotCount: 1, thread: 0, requests: CountedRequests(), warmInFlight: 1)
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        XCTAssertEqual(s.completed(slot: 0, outcome: .unreachable, nowMicros: 5), .iterationEnded(slot: 0, end: .failed))
        guard case .think(0, let until) = s.afterIteration(slot: 0, nowMicros: 5) else { return XCTFail("a back-off expected") }
        XCTAssertGreaterThanOrEqual(until, 5 + Scheduler.backoffFirstMicros / 2)
    }

    func testStoppingInterruptsVUsBetweenStepsAndTheRunEnds() throws {
        let p = plan([try step("a"), .think(.fixed(micros: 1_000_000)), try step("b")], load: .closed(workers: 2, durationMicros: nil))
        var s = Scheduler(plan: p, slotCount: 2, thread: 0, requests: CountedRequests(), warmInFlight: 2)
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0).count, 2)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 10), .think(slot: 0, untilMicros: 1_000_010))
        s.drain()
        XCTAssertEqual(actions(&s, at: 20), [.iterationEnded(slot: 0, end: .interrupted)],
                       "a VU thinking when the run stops does not wait out its pause")
        XCTAssertEqual(s.afterIteration(slot: 0, nowMicros: 20), .release(slot: 0))
        XCTAssertEqual(s.completed(slot: 1, outcome: .ok, nowMicros: 30), .iterationEnded(slot: 1, end: .interrupted))
        XCTAssertEqual(s.afterIteration(slot: 1, nowMicros: 30), .release(slot: 1))
        XCTAssertTrue(s.finished(nowMicros: 30))
    }

    func testIterationsUnderWayGetTheGracefulStopAfterSendingEnds() throws {
        let p = plan([try step("a"), try step("b"), try step("c")], load: .closed(workers: 1, durationMicros: 1_000), grace: 500)
        var s = Scheduler(plan: p, slotCount: 1, thread: 0, requests: CountedRequests(), warmInFlight: 1)
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 1_200), .send(slot: 0, request: 0),
                       "past the duration, within the graceful stop: the iteration goes on")
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 1_600), .iterationEnded(slot: 0, end: .interrupted),
                       "past the graceful stop: cut")
        XCTAssertEqual(s.afterIteration(slot: 0, nowMicros: 1_600), .release(slot: 0), "no new iteration after the duration")
        XCTAssertTrue(s.finished(nowMicros: 1_600))
    }

    func testOpenModelArrivalsStartIterationsTimedFromTheirDueTime() throws {
        // 1,000 arrivals/s for 3 ms: iterations 0, 1, 2 due at 0, 1, 2 ms; a pool of one VU.
        let schedule = OpenSchedule(startRate: 1_000, stages: [RateStage(durationMicros: 3_000, rate: 1_000)])
        let p = plan([try step("a"), try step("b")], load: .open(schedule, maxInFlight: 1, maxLatenessMicros: 1_500))
        var s = Scheduler(plan: p, slotCount: 1, thread: 0, requests: CountedRequests(), warmInFlight: 1)
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0), [.send(slot: 0, request: 0)])
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 400), .send(slot: 0, request: 0), "the VU keeps its slot")
        XCTAssertEqual(actions(&s, at: 1_200), [], "arrival 1 waits for the pool")
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 1_300), .iterationEnded(slot: 0, end: .completed))
        XCTAssertEqual(s.afterIteration(slot: 0, nowMicros: 1_300), .release(slot: 0))
        XCTAssertEqual(actions(&s, at: 1_300), [.send(slot: 0, request: 1)])
        XCTAssertEqual(s.slot(0).dueMicros, 1_000, "the first request counts from its due time")
        XCTAssertEqual(s.slot(0).iterationStartMicros, 1_000)
        // Arrival 2 (due 2 ms) is past its lateness at 3.6 ms while the VU is busy: dropped against the first step.
        XCTAssertEqual(actions(&s, at: 3_600), [.drop(request: 2, target: 0, dueMicros: 2_000)])
    }

    func testPacingStartsIterationsNoSoonerThanItsIntervalAfterThePreviousStart() throws {
        var p = plan([try step("a")], load: .closed(workers: 1, durationMicros: 10_000))
        p.workload.flow?.pacingMicros = 3_000
        var s = Scheduler(plan: p, slotCount: 1, thread: 0, requests: CountedRequests(), warmInFlight: 1)
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 500), .iterationEnded(slot: 0, end: .completed))
        XCTAssertEqual(s.afterIteration(slot: 0, nowMicros: 500), .think(slot: 0, untilMicros: 3_000))
        XCTAssertEqual(actions(&s, at: 2_999), [])
        XCTAssertEqual(actions(&s, at: 3_000), [.send(slot: 0, request: 1)])
        XCTAssertEqual(s.slot(0).iterationStartMicros, 3_000)
        // An iteration longer than the pacing is followed at once.
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 7_000), .iterationEnded(slot: 0, end: .completed))
        XCTAssertEqual(s.afterIteration(slot: 0, nowMicros: 7_000), .send(slot: 0, request: 2))
        // Near the end of sending the wait ends with it, and the VU retires.
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 8_000), .iterationEnded(slot: 0, end: .completed))
        XCTAssertEqual(s.afterIteration(slot: 0, nowMicros: 8_000), .think(slot: 0, untilMicros: 10_000))
        XCTAssertEqual(actions(&s, at: 10_000), [.release(slot: 0)])
        XCTAssertTrue(s.finished(nowMicros: 10_000))
    }

    func testManyPausedVUsResumeEarliestFirst() throws {
        let p = plan([try step("a"), .think(.fixed(micros: 1_000)), try step("b")], load: .closed(workers: 20, durationMicros: nil))
        var s = Scheduler(plan: p, slotCount: 20, thread: 0, requests: CountedRequests(), warmInFlight: 20)
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0).count, 20)
        // Slot i finishes its first step at (7 i mod 20) + 1 µs: the pauses end in that order, not in slot order.
        for i in 0..<20 { _ = s.completed(slot: i, outcome: .ok, nowMicros: Int64((7 * i) % 20 + 1)) }
        XCTAssertEqual(s.nextWakeMicros(), 1_001)
        var resumed: [Int] = []
        for now in stride(from: Int64(1_001), through: 1_020, by: 1) {
            for case .send(let slot, _) in actions(&s, at: now) { resumed.append(slot) }
        }
        XCTAssertEqual(resumed, (0..<20).sorted { (7 * $0) % 20 < (7 * $1) % 20 })
    }

    func testSetupStepsRunOncePerVUUntilTheySucceed() throws {
        var p = plan([try step("login"), try step("item")], load: .closed(workers: 1, durationMicros: nil), iterations: 3)
        p.workload.flow?.setupCount = 1
        var s = Scheduler(plan: p, slotCount: 1, thread: 0, requests: CountedRequests(limit: 3), warmInFlight: 1)
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0), [.send(slot: 0, request: 0)])
        XCTAssertEqual(s.slot(0).target, 0, "the first iteration starts with the setup")
        let failed = SlotOutcome(complete: true, neverReachedServer: false, transferFailed: false, failed: true)
        XCTAssertEqual(s.completed(slot: 0, outcome: failed, nowMicros: 1), .iterationEnded(slot: 0, end: .failed))
        XCTAssertEqual(s.afterIteration(slot: 0, nowMicros: 1), .send(slot: 0, request: 1))
        XCTAssertEqual(s.slot(0).target, 0, "a failed setup runs again")
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 2), .send(slot: 0, request: 1))
        XCTAssertEqual(s.slot(0).target, 1)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 3), .iterationEnded(slot: 0, end: .completed))
        XCTAssertEqual(s.afterIteration(slot: 0, nowMicros: 3), .send(slot: 0, request: 2))
        XCTAssertEqual(s.slot(0).target, 1, "later iterations start after the setup")
    }

    func testRepeatSendsTheStepThatManyTimesInARow() throws {
        let p = plan([try step("a", repeatCount: 3), try step("b")], load: .closed(workers: 1, durationMicros: nil), iterations: 1)
        var s = Scheduler(plan: p, slotCount: 1, thread: 0, requests: CountedRequests(limit: 1), warmInFlight: 1)
        s.started(nowMicros: 0)
        XCTAssertEqual(actions(&s, at: 0), [.send(slot: 0, request: 0)])
        XCTAssertEqual(s.slot(0).repeatLeft, 3)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 1), .send(slot: 0, request: 0))
        XCTAssertEqual(s.slot(0).repeatIndex, 1)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 2), .send(slot: 0, request: 0))
        XCTAssertEqual(s.slot(0).target, 0)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 3), .send(slot: 0, request: 0))
        XCTAssertEqual(s.slot(0).target, 1, "after three requests of a, b")
        let failed = SlotOutcome(complete: true, neverReachedServer: false, transferFailed: false, failed: true)
        XCTAssertEqual(s.completed(slot: 0, outcome: failed, nowMicros: 4), .iterationEnded(slot: 0, end: .failed))
    }

    func testForeachGoesOverAsManyAsItsListSaysAndSkipsAnEmptyOne() throws {
        let p = plan([try step("list"), try step("each", foreach: true), try step("after")], load: .closed(workers: 1, durationMicros: nil))
        var s = Scheduler(plan: p, slotCount: 1, thread: 0, requests: CountedRequests(limit: 2), warmInFlight: 1)
        s.started(nowMicros: 0)
        _ = actions(&s, at: 0)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 1), .send(slot: 0, request: 0))
        XCTAssertEqual(s.slot(0).repeatLeft, 0, "the engine reads the list before the first request")
        XCTAssertEqual(s.setRepeats(slot: 0, count: 2, nowMicros: 1), .none)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 2), .send(slot: 0, request: 0))
        XCTAssertEqual(s.slot(0).repeatIndex, 1)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 3), .send(slot: 0, request: 0))
        XCTAssertEqual(s.slot(0).target, 2)
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 4), .iterationEnded(slot: 0, end: .completed))
        // The next iteration's list is empty: the foreach step is skipped, not sent.
        XCTAssertEqual(s.afterIteration(slot: 0, nowMicros: 4), .send(slot: 0, request: 1))
        XCTAssertEqual(s.completed(slot: 0, outcome: .ok, nowMicros: 5), .send(slot: 0, request: 1))
        XCTAssertEqual(s.setRepeats(slot: 0, count: 0, nowMicros: 5), .send(slot: 0, request: 1))
        XCTAssertEqual(s.slot(0).target, 2)
        XCTAssertEqual(s.inFlight, 1)
    }
}
