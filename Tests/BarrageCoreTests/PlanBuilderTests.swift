import XCTest
@testable import BarrageCore

/// The one plan builder: flags and profiles in, a plan whose load model says what it is.
final class PlanBuilderTests: XCTestCase {
    private let target = RequestTarget(url: "http://127.0.0.1:1/")

    private func build(_ flags: LoadFlags, request: RequestOverride = RequestOverride()) throws -> RunPlan {
        try PlanBuilder.build(PlanInputs(source: .flags(flags, target: target), request: request, threads: 2))
    }

    func testFlagsWithoutCountOrDurationRunTenSecondsWithFiftyWorkers() throws {
        let plan = try build(LoadFlags())
        XCTAssertEqual(plan.load, .closed(workers: 50, durationMicros: 10_000_000))
        XCTAssertEqual(plan.timeoutMicros, 30_000_000)
        XCTAssertEqual(plan.connectTimeoutMicros, 10_000_000)
        XCTAssertNil(plan.requestLimit)
    }

    func testCountBoundClosedRunHasNoDuration() throws {
        let plan = try build(LoadFlags(concurrency: 4, requests: 100))
        XCTAssertEqual(plan.load, .closed(workers: 4, durationMicros: nil))
        XCTAssertEqual(plan.requestLimit, 100)
        XCTAssertEqual(plan.expectedRequests, 100)
    }

    func testRateWithCountSetsTheScheduleLengthAndLatenessFromTheTimeout() throws {
        let plan = try build(LoadFlags(rate: 200, requests: 100), request: RequestOverride(timeoutMicros: 2_000_000))
        guard case .open(let o) = plan.load else { return XCTFail("open model expected") }
        XCTAssertEqual(o.schedule.totalDurationMicros, 500_000)
        XCTAssertEqual(o.maxInFlight, 1_000)
        XCTAssertEqual(o.maxLatenessMicros, 2_000_000)
        XCTAssertEqual(plan.durationMicros, 500_000)
        XCTAssertEqual(plan.model, .open)
        XCTAssertNotNil(plan.schedule)
        XCTAssertEqual(plan.thinkTimeMicros, 0)
    }

    func testRampsBecomeStages() throws {
        let closed = try build(LoadFlags(rampConcurrency: try RampGrammar.parse("0->20:2s,20:1s", flag: "--ramp-concurrency")))
        XCTAssertEqual(closed.load, .closed(start: 0, stages: [ClosedStage(durationMicros: 2_000_000, concurrency: 20),
                                                               ClosedStage(durationMicros: 1_000_000, concurrency: 20)]))
        XCTAssertEqual(closed.concurrency, 20)
        XCTAssertEqual(closed.durationMicros, 3_000_000)
        XCTAssertEqual(closed.wholeConcurrency(atMicros: 1_000_000), 10)
        let open = try build(LoadFlags(rampRate: try RampGrammar.parse("10->100:2s", flag: "--ramp-rate"), poisson: true, seed: 9))
        XCTAssertEqual(open.schedule?.arrival, .poisson(seed: 9))
        XCTAssertEqual(open.schedule?.startRate, 10)
        XCTAssertEqual(open.stageCount, 1)
    }

    func testTheModelAndItsViewsAgreeForEveryLoad() throws {
        let loads: [LoadModel] = [
            .closed(workers: 3, durationMicros: nil),
            .closed(start: 1, stages: [ClosedStage(durationMicros: 1_000, concurrency: 5)], thinkTimeMicros: 7),
            .open(OpenSchedule(startRate: 5, stages: [RateStage(durationMicros: 1_000_000, rate: 5)]), maxInFlight: 9, maxLatenessMicros: 4),
        ]
        for load in loads {
            let plan = RunPlan(load: load, workload: Workload(targets: [target], timeoutMicros: 1), threads: 1)
            XCTAssertEqual(plan.model == .open, plan.schedule != nil)
            XCTAssertEqual(plan.model == .closed, plan.maxLatenessMicros == 0)
            XCTAssertEqual(plan.stageSpans.count, Swift.max(1, plan.stageCount))
        }
    }

    private func profile(_ load: Profile.Load) -> Profile {
        Profile(name: "p", seed: 5, defaults: Profile.Defaults(timeoutMicros: 4_000_000, headers: ["A: 1", "B: 2"]),
                targets: [Profile.Target(name: "t", url: "http://127.0.0.1:1/", headers: ["B: 3"], timeoutMicros: 1_000_000)],
                load: load, thresholds: [], path: "p.yaml")
    }

    func testAProfilePlanTakesTheRequestFlagsOnTop() throws {
        let p = profile(Profile.Load(model: .closed, startConcurrency: 2, thinkTimeMicros: 3_000, requests: 40,
                                     stages: [Profile.LoadStage(durationMicros: 2_000_000, concurrency: 6)]))
        let flags = RequestOverride(method: "POST", headers: ["a: 9"], body: [1, 2], timeoutMicros: 7_000_000)
        let plan = try PlanBuilder.build(PlanInputs(source: .profile(p, override: LoadOverride(), given: []), request: flags, threads: 1))
        XCTAssertEqual(plan.load, .closed(start: 2, stages: [ClosedStage(durationMicros: 2_000_000, concurrency: 6)], thinkTimeMicros: 3_000))
        XCTAssertEqual(plan.requestLimit, 40)
        XCTAssertEqual(plan.targets[0].method, "POST")
        XCTAssertEqual(plan.targets[0].headers, ["a: 9", "B: 3"], "a flag header replaces the same name, case-insensitively")
        XCTAssertEqual(plan.targets[0].body, [1, 2])
        XCTAssertNil(plan.targets[0].timeoutMicros, "--timeout replaces the target's own")
        XCTAssertEqual(plan.timeoutMicros, 7_000_000)
        XCTAssertEqual(plan.seed, 5)
        XCTAssertEqual(plan.name, "p")
    }

    func testAnOpenProfileKeepsItsLatenessAtItsOwnTimeoutAndHasNoCount() throws {
        let p = profile(Profile.Load(model: .open, startRate: 1, requests: 9, stages: [Profile.LoadStage(durationMicros: 1_000_000, rate: 4)]))
        let plan = try PlanBuilder.build(PlanInputs(source: .profile(p, override: LoadOverride(), given: []),
                                                    request: RequestOverride(timeoutMicros: 9_000_000), threads: 1))
        XCTAssertEqual(plan.maxLatenessMicros, 4_000_000)
        XCTAssertNil(plan.requestLimit)
        XCTAssertEqual(plan.schedule?.arrival, .uniform)
    }

    func testAnOverrideThatDoesNotFitNamesTheFlag() {
        let p = profile(Profile.Load(model: .closed, warmupMicros: 2_000_000, stages: [Profile.LoadStage(durationMicros: 5_000_000, concurrency: 2)]))
        let inputs = PlanInputs(source: .profile(p, override: LoadOverride(durationMicros: 1_000_000), given: ["--duration 1s"]), threads: 1)
        XCTAssertThrowsError(try PlanBuilder.build(inputs)) { error in
            XCTAssertEqual((error as? BarrageError)?.message.hasPrefix("--duration 1s: must be longer than the profile's warm-up"), true,
                           "\(error)")
        }
    }

    func testTheProcessPartIsSetByTheBuilderNotAfterIt() throws {
        let inputs = PlanInputs(source: .flags(LoadFlags(requests: 10), target: target), threads: 3, segment: Segment(index: 2, count: 4),
                                recordRaw: true, engine: EngineTuning(driveMode: .socket))
        let plan = try PlanBuilder.build(inputs)
        XCTAssertEqual(plan.segment, Segment(index: 2, count: 4))
        XCTAssertTrue(plan.recordRaw)
        XCTAssertEqual(plan.engine.driveMode, .socket)
        XCTAssertEqual(plan.threads, 3)
    }

    private func twoScenarios() throws -> Profile {
        try ProfileLoader.parse(text: """
        scenarios:
          browse:
            load: { model: open, max_in_flight: 30, start_rate: 5, stages: [ { duration: 10s, rate: 5 } ] }
            flow: [ { name: item, url: "http://127.0.0.1:1/a" } ]
          checkout:
            start_after: 2s
            load: { model: closed, start_concurrency: 10, stages: [ { duration: 10s, concurrency: 10 } ] }
            flow: [ { name: item, url: "http://127.0.0.1:1/b" }, { name: pay, url: "http://127.0.0.1:1/c" } ]
        """, path: "shop.yaml", variables: [:], environment: [:])
    }

    func testSeveralScenariosBecomeLanesWithTheirShareOfThreadsAndUniqueStepNames() throws {
        let plan = try PlanBuilder.build(PlanInputs(source: .profile(try twoScenarios(), override: LoadOverride(), given: []), threads: 4))
        XCTAssertEqual(plan.lanes.map(\.name), ["browse", "checkout"])
        XCTAssertEqual(plan.lanes.map(\.startAfterMicros), [0, 2_000_000])
        XCTAssertEqual(plan.lanes.map(\.plan.threads), [3, 1], "by connections: 30 and 10 of 40")
        XCTAssertEqual(plan.targets.map(\.name), ["browse/item", "checkout/item", "pay"])
        XCTAssertEqual(plan.concurrency, 40)
        XCTAssertEqual(plan.durationMicros, 12_000_000, "the end of the last")
        let record = PlanRecord(plan)
        XCTAssertEqual(record.model, "open")
        XCTAssertEqual(record.scenarios?.map(\.start_after_us), [0, 2_000_000])
        XCTAssertEqual(record.scenarios?.map(\.scenario), ["browse", "checkout"])
        // Choosing one of them is a plain single-scenario plan.
        let one = try PlanBuilder.build(PlanInputs(source: .profile(try twoScenarios(), override: LoadOverride(), given: []), threads: 4,
                                                   scenarios: ["browse"]))
        XCTAssertTrue(one.lanes.isEmpty)
        XCTAssertEqual(one.workload.flow?.scenario, "browse")
    }

    func testDurationCapsTheWholeRunAcrossLanes() throws {
        let inputs = { (d: Int64) in
            PlanInputs(source: .profile(try self.twoScenarios(), override: LoadOverride(durationMicros: d), given: ["--duration \(d / 1_000_000)s"]),
                       threads: 2)
        }
        let plan = try PlanBuilder.build(try inputs(5_000_000))
        XCTAssertEqual(plan.lanes.map(\.plan.durationMicros), [5_000_000, 3_000_000], "the late one is cut that much sooner")
        XCTAssertEqual(plan.durationMicros, 5_000_000)
        XCTAssertThrowsError(try PlanBuilder.build(try inputs(2_000_000))) { error in
            XCTAssertEqual((error as? BarrageError)?.message, "--duration 2s: the run ends before scenario checkout starts (start_after 2.00s)")
        }
    }
}
