import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// `run PROFILE -d/-n/-c/--rate`: what the command line does to a profile's load.
final class LoadOverrideTests: XCTestCase {
    let target = [RequestTarget(url: "http://a.test/")]

    /// Open: 0 → 100/s over 10 s, then 100/s for 10 s; pool 50, lateness 1 s, Poisson, warm-up 2 s.
    func openPlan() -> RunPlan {
        let schedule = OpenSchedule(startRate: 0, stages: [RateStage(durationMicros: 10_000_000, rate: 100),
                                                           RateStage(durationMicros: 10_000_000, rate: 100)],
                                    arrival: .poisson(seed: 7))
        var p = RunPlan.open(schedule: schedule, maxInFlight: 50, maxLatenessMicros: 1_000_000, requestLimit: nil,
                             targets: target, timeoutMicros: 5_000_000, connectTimeoutMicros: 1_000_000, threads: 2, keepAlive: true)
        p.warmupMicros = 2_000_000
        return p
    }

    /// Closed: 0 → 40 workers over 4 s, 40 for 4 s; think time 10 ms; at most 1,000 requests.
    func closedPlan() -> RunPlan {
        RunPlan.closedStages([ClosedStage(durationMicros: 4_000_000, concurrency: 40), ClosedStage(durationMicros: 4_000_000, concurrency: 40)],
                                     start: 0, thinkTimeMicros: 10_000, requestLimit: 1_000, targets: target, timeoutMicros: 5_000_000,
                                     connectTimeoutMicros: 1_000_000, threads: 2, keepAlive: true)
    }

    func testConcurrencyReplacesTheStagesWithAConstantClosedLoadOverTheProfilesDuration() {
        let open = LoadOverride(concurrency: 10).applied(to: openPlan())
        XCTAssertEqual(open.model, .closed)
        XCTAssertNil(open.schedule)
        XCTAssertEqual(open.concurrency, 10)
        XCTAssertEqual(open.durationMicros, 20_000_000)
        XCTAssertEqual(open.warmupMicros, 2_000_000, "the warm-up stays")
        XCTAssertEqual(PlanRecord(open).stages, [Stage(duration_us: 20_000_000, concurrency: 10)])

        let closed = LoadOverride(concurrency: 5).applied(to: closedPlan())
        XCTAssertTrue(closed.closedStages.isEmpty)
        XCTAssertEqual(closed.concurrency, 5)
        XCTAssertEqual(closed.durationMicros, 8_000_000)
        XCTAssertEqual(closed.thinkTimeMicros, 10_000, "a closed profile's think time stays")
        XCTAssertEqual(closed.requestLimit, 1_000, "the profile's request cap stays")
    }

    func testRateReplacesTheStagesWithAConstantOpenLoad() {
        let fromClosed = LoadOverride(rate: 20).applied(to: closedPlan())
        XCTAssertEqual(fromClosed.model, .open)
        XCTAssertEqual(fromClosed.schedule?.stages, [RateStage(durationMicros: 8_000_000, rate: 20)])
        XCTAssertEqual(fromClosed.schedule?.startRate, 20)
        XCTAssertEqual(fromClosed.concurrency, 1_000, "the default pool")
        XCTAssertEqual(fromClosed.maxLatenessMicros, 5_000_000, "the default lateness: the timeout")
        XCTAssertEqual(fromClosed.thinkTimeMicros, 0)
        XCTAssertEqual(fromClosed.expectedRequests, 160)

        let fromOpen = LoadOverride(rate: 30).applied(to: openPlan())
        XCTAssertEqual(fromOpen.concurrency, 50, "an open profile's pool stays")
        XCTAssertEqual(fromOpen.maxLatenessMicros, 1_000_000)
        XCTAssertEqual(fromOpen.schedule?.arrival, .poisson(seed: 7), "and its arrivals")
        XCTAssertEqual(fromOpen.durationMicros, 20_000_000)
    }

    func testDurationCutsTheStagesWhereTheRampIs() {
        let open = LoadOverride(durationMicros: 5_000_000).applied(to: openPlan())
        XCTAssertEqual(open.schedule?.stages, [RateStage(durationMicros: 5_000_000, rate: 50)], "halfway up the ramp: 50/s")
        XCTAssertEqual(open.durationMicros, 5_000_000)
        let openAtBoundary = LoadOverride(durationMicros: 10_000_000).applied(to: openPlan())
        XCTAssertEqual(openAtBoundary.schedule?.stages, [RateStage(durationMicros: 10_000_000, rate: 100)])

        let closed = LoadOverride(durationMicros: 6_000_000).applied(to: closedPlan())
        XCTAssertEqual(closed.closedStages, [ClosedStage(durationMicros: 4_000_000, concurrency: 40),
                                             ClosedStage(durationMicros: 2_000_000, concurrency: 40)])
        let early = LoadOverride(durationMicros: 1_000_000).applied(to: closedPlan())
        XCTAssertEqual(early.closedStages, [ClosedStage(durationMicros: 1_000_000, concurrency: 10)])
        XCTAssertEqual(early.concurrency, 10, "the connections the cut plan needs")

        let longer = LoadOverride(durationMicros: 60_000_000).applied(to: closedPlan())
        XCTAssertEqual(longer.closedStages, closedPlan().closedStages, "a cap longer than the profile changes nothing")

        let constant = LoadOverride(durationMicros: 3_000_000, concurrency: 4).applied(to: openPlan())
        XCTAssertEqual(constant.durationMicros, 3_000_000)
        XCTAssertEqual(constant.concurrency, 4)
    }

    func testRequestsCapTheCount() {
        XCTAssertEqual(LoadOverride(requests: 10).applied(to: closedPlan()).requestLimit, 10)
        XCTAssertEqual(LoadOverride(requests: 5_000).applied(to: closedPlan()).requestLimit, 1_000, "a cap, never more")
        let open = LoadOverride(requests: 25).applied(to: openPlan())
        XCTAssertEqual(open.requestLimit, 25)
        XCTAssertEqual(open.expectedRequests, 25)
    }

    func testProblems() {
        XCTAssertEqual(LoadOverride(durationMicros: 2_000_000).problem(with: openPlan()),
                       "must be longer than the profile's warm-up (2.00s)")
        XCTAssertNil(LoadOverride(durationMicros: 2_000_001).problem(with: openPlan()))
        XCTAssertNotNil(LoadOverride(concurrency: 1, rate: 1).problem(with: closedPlan()))
        XCTAssertTrue(LoadOverride().isEmpty)
        XCTAssertNil(LoadOverride(requests: 1).problem(with: closedPlan()))
    }

    func testOverridesAreRecordedInThePlanAndOlderPlansStillLoad() throws {
        var plan = LoadOverride(concurrency: 3).applied(to: closedPlan())
        plan.overrides = ["--concurrency 3"]
        let record = PlanRecord(plan)
        XCTAssertEqual(record.overrides, ["--concurrency 3"])
        let data = try JSONEncoder().encode(record)
        XCTAssertEqual(try JSONDecoder().decode(PlanRecord.self, from: data), record)
        let plain = try JSONEncoder().encode(PlanRecord(closedPlan()))
        XCTAssertFalse(String(decoding: plain, as: UTF8.self).contains("overrides"), "absent when nothing was overridden")
        XCTAssertNil(try JSONDecoder().decode(PlanRecord.self, from: plain).overrides)
        XCTAssertNotEqual(PlanRecord(plan).fingerprint, PlanRecord(LoadOverride(concurrency: 3).applied(to: closedPlan())).fingerprint)
    }

    func testSeedReplacesTheTargetChoiceAndPoissonArrivals() {
        var open = openPlan()
        if case .open(var o) = open.load {
            o.schedule = OpenSchedule(startRate: o.schedule.startRate, stages: o.schedule.stages, arrival: .poisson(seed: 1))
            open.load = .open(o)
        }
        let seeded = LoadOverride(seed: 42).applied(to: open)
        XCTAssertEqual(seeded.seed, 42)
        XCTAssertEqual(seeded.schedule?.arrival, .poisson(seed: 42))
        XCTAssertEqual(seeded.schedule?.stages, open.schedule?.stages, "only the seed changes")
        XCTAssertEqual(LoadOverride(seed: 42).applied(to: closedPlan()).seed, 42)
    }
}
