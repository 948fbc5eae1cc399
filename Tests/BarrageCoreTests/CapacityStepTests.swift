import XCTest
import BarragePlanFixtures
@testable import BarrageCore

/// Planning a capacity step and judging it from hand-made results.
final class CapacityStepTests: XCTestCase {
    private func slos(_ exprs: String...) throws -> [Threshold] { try exprs.map { try Threshold.parse($0) } }

    /// `count` complete 200s of `latency` µs over `seconds`, with `failures` connection errors, `dropped` drops, the
    /// given per-second in-flight means and the client's CPU utilisation.
    private func result(count: Int, latency: Int64 = 10_000, failures: Int = 0, dropped: Int = 0, seconds: Double = 10,
                        inFlight: [Double] = [], cpu: Double? = nil, lateness: Int64 = 0, inFlightMax: Int = 5) -> RunResult {
        var r = Recorder()
        for i in 0..<count {
            let done = Int64(i) * 100 + 1_000_000
            r.record(RequestOutcome(dueMicros: done - latency - lateness, sentMicros: done - latency, doneMicros: done, status: 200,
                                    error: nil, complete: true))
        }
        for _ in 0..<failures {
            r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 500, status: 0, error: .connect, complete: false))
        }
        for _ in 0..<dropped { r.recordDropped() }
        let micros = Int64(seconds * 1_000_000)
        let plan = RunPlan(concurrency: 2, requestLimit: nil, durationMicros: micros,
                           targets: [RequestTarget(url: "http://127.0.0.1:1/")], timeoutMicros: 1_000_000,
                           connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        let timeline = inFlight.enumerated().map { i, m in
            TimelineEntry(t_s: i, epoch_s: Double(i), requests: 0, ok: 0, failed: 0, dropped: 0, rps: nil, in_flight: Int(m),
                          p50_us: 0, p99_us: 0, max_us: 0, in_flight_max: inFlightMax, in_flight_mean: m)
        }
        var result = RunResult(version: "test", plan: plan, recorder: r, timeline: timeline, startedEpochMillis: 0,
                               durationMicros: micros, interrupted: false)
        if let cpu { result.client = .init(cpu_user_us: 0, cpu_system_us: 0, threads: 1, cpu_utilization: cpu) }
        return result
    }

    // MARK: - Planning

    func testSamplesNeededFollowTheTightestPercentile() throws {
        XCTAssertEqual(CapacityStep.samplesNeeded(try slos("error_rate < 1%")), 100)
        XCTAssertEqual(CapacityStep.samplesNeeded(try slos("p99 < 200ms")), 1_000)
        XCTAssertEqual(CapacityStep.samplesNeeded(try slos("p99 < 200ms", "p99.9 < 1s")), 10_000)
        XCTAssertEqual(CapacityStep.samplesNeeded(try slos("p(99.99) < 1s")), 10_000)
        XCTAssertEqual(CapacityStep.samplesNeeded(try slos("p50 < 10ms", "max < 1s")), 100)
        XCTAssertEqual(CapacityStep.samplesNeeded(try slos("service_time_us.p99 < 10ms")), 1_000)
    }

    func testThePoolComesFromLittlesLawWithHeadroomWithinBounds() throws {
        let p99 = try slos("p99 < 60ms")
        // 400 req/s × 60 ms × 2 = 48.
        XCTAssertEqual(CapacityStep.plan(rateRPS: 400, slos: p99, warmupMicros: 1_000_000, stepDurationMicros: 2_000_000).maxInFlight, 48)
        // 10 req/s × 60 ms × 2 = 1.2 → the floor of 16.
        XCTAssertEqual(CapacityStep.plan(rateRPS: 10, slos: p99, warmupMicros: 0, stepDurationMicros: 1_000_000).maxInFlight, 16)
        // A last p99 above the SLO sizes the pool: 400 × 250 ms × 2 = 200.
        XCTAssertEqual(CapacityStep.plan(rateRPS: 400, slos: p99, warmupMicros: 0, stepDurationMicros: 1_000_000,
                                         lastP99Micros: 250_000).maxInFlight, 200)
        // Capped.
        XCTAssertEqual(CapacityStep.plan(rateRPS: 1_000_000, slos: p99, warmupMicros: 0, stepDurationMicros: 1_000_000).maxInFlight,
                       CapacityStep.maximumPool)
        // Without a latency SLO: 100 ms. 1,000 × 0.1 × 2 = 200.
        XCTAssertEqual(CapacityStep.plan(rateRPS: 1_000, slos: try slos("error_rate < 1%"), warmupMicros: 0,
                                         stepDurationMicros: 1_000_000).maxInFlight, 200)
    }

    func testAStepLastsTheStepDurationOrLongEnoughForItsSamples() throws {
        let p99 = try slos("p99 < 60ms")
        let fast = CapacityStep.plan(rateRPS: 1_000, slos: p99, warmupMicros: 2_000_000, stepDurationMicros: 10_000_000)
        XCTAssertEqual(fast.measureMicros, 10_000_000)
        XCTAssertEqual(fast.warmupMicros, 2_000_000)
        XCTAssertEqual(fast.totalMicros, 12_000_000)
        // 400 req/s needs 2.5 s for 1,000 samples, more than a 2 s step.
        XCTAssertEqual(CapacityStep.plan(rateRPS: 400, slos: p99, warmupMicros: 1_000_000, stepDurationMicros: 2_000_000).measureMicros,
                       2_500_000)
        // 10 req/s and a p99.9: 10,000 samples, 1,000 s.
        XCTAssertEqual(CapacityStep.plan(rateRPS: 10, slos: try slos("p99.9 < 1s"), warmupMicros: 0,
                                         stepDurationMicros: 10_000_000).measureMicros, 1_000_000_000)
    }

    func testTheStepLoadIsAConstantOpenRateWithTheWarmup() {
        let base = RunPlan(concurrency: 50, requestLimit: 1_000, durationMicros: nil, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 5_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        XCTAssertNotNil(CapacityLoad.refusal(base), "a closed load has nothing to scale")
        let step = CapacityStep.Plan(rateRPS: 250, maxInFlight: 40, warmupMicros: 1_000_000, measureMicros: 4_000_000, samplesNeeded: 100)
        let plan = CapacityLoad.applied(step, to: base)
        XCTAssertEqual(plan.model, .open)
        XCTAssertNil(CapacityLoad.refusal(plan))
        XCTAssertEqual(plan.concurrency, 40)
        XCTAssertEqual(plan.warmupMicros, 1_000_000)
        XCTAssertEqual(plan.durationMicros, 5_000_000)
        XCTAssertNil(plan.requestLimit)
        XCTAssertEqual(plan.schedule?.plannedRequests, 1_250)
        XCTAssertEqual(plan.maxLatenessMicros, 5_000_000)
    }

    func testSeveralScenariosShareTheRateByOneFactorAndClosedOnesRunAsWritten() throws {
        let profile = try ProfileLoader.parse(text: """
        scenarios:
          browse:
            load: { model: open, max_in_flight: 30, start_rate: 5, stages: [ { duration: 10s, rate: 10 } ] }
            flow: [ { name: item, url: "http://127.0.0.1:1/a" } ]
          search:
            start_after: 1s
            load: { model: open, max_in_flight: 30, stages: [ { duration: 10s, rate: 30 } ] }
            flow: [ { name: find, url: "http://127.0.0.1:1/s" } ]
          checkout:
            start_after: 2s
            load: { model: closed, start_concurrency: 3, stages: [ { duration: 20s, concurrency: 3 } ] }
            flow: [ { name: pay, url: "http://127.0.0.1:1/c" } ]
          late:
            start_after: 60s
            load: { model: closed, start_concurrency: 1, stages: [ { duration: 5s, concurrency: 1 } ] }
            flow: [ { name: later, url: "http://127.0.0.1:1/l" } ]
        """, path: "shop.yaml", variables: [:], environment: [:])
        let base = try PlanBuilder.build(PlanInputs(source: .profile(profile, override: LoadOverride(), given: []), threads: 2))
        XCTAssertNil(CapacityLoad.refusal(base))
        let step = CapacityStep.Plan(rateRPS: 200, maxInFlight: 80, warmupMicros: 1_000_000, measureMicros: 4_000_000, samplesNeeded: 100)
        let plan = CapacityLoad.applied(step, to: base)
        // Peaks 10 and 30: a quarter and three quarters of 200 req/s, from the start.
        XCTAssertEqual(plan.lanes.map(\.name), ["browse", "search", "checkout"], "a closed scenario starting after the step is left out")
        XCTAssertEqual(plan.lanes[0].plan.schedule?.startRate, 50)
        XCTAssertEqual(plan.lanes[1].plan.schedule?.startRate, 150)
        XCTAssertEqual(plan.lanes.map(\.startAfterMicros), [0, 0, 2_000_000])
        XCTAssertEqual(plan.lanes[0].plan.concurrency, 20)
        XCTAssertEqual(plan.lanes[1].plan.concurrency, 60)
        XCTAssertEqual(plan.lanes.map(\.plan.durationMicros), [5_000_000, 5_000_000, 3_000_000])
        XCTAssertEqual(plan.lanes[2].plan.model, .closed)
        XCTAssertEqual(plan.lanes[2].plan.concurrency, 3)
        XCTAssertEqual(plan.lanes.map(\.plan.warmupMicros), [1_000_000, 1_000_000, 1_000_000])
        XCTAssertEqual(plan.concurrency, 83)
        XCTAssertEqual(plan.durationMicros, 5_000_000)
        XCTAssertEqual(CapacityLoad.openScenarios(plan), ["browse", "search"])

        let closedOnly = try ProfileLoader.parse(text: """
        scenarios:
          a:
            load: { model: closed, start_concurrency: 1, stages: [ { duration: 2s, concurrency: 1 } ] }
            flow: [ { name: x, url: "http://127.0.0.1:1/x" } ]
          b:
            load: { model: closed, start_concurrency: 1, stages: [ { duration: 2s, concurrency: 1 } ] }
            flow: [ { name: y, url: "http://127.0.0.1:1/y" } ]
        """, path: "closed.yaml", variables: [:], environment: [:])
        let closedPlan = try PlanBuilder.build(PlanInputs(source: .profile(closedOnly, override: LoadOverride(), given: []), threads: 1))
        XCTAssertEqual(CapacityLoad.refusal(closedPlan)?.hasPrefix("nothing to scale"), true)
    }

    // MARK: - Judging

    func testAStepWithinItsSLOsPasses() throws {
        let j = CapacityStep.judge(result: result(count: 1_000, seconds: 10), slos: try slos("p99 < 60ms", "error_rate < 1%"),
                                   offeredRPS: 100, pool: 16)
        XCTAssertEqual(j.verdict, .pass)
        XCTAssertEqual(j.reasons, [])
        XCTAssertEqual(j.slos.count, 2)
    }

    func testABrokenSLOFailsNamingIt() throws {
        let j = CapacityStep.judge(result: result(count: 1_000, latency: 80_000, seconds: 10), slos: try slos("p99 < 60ms"),
                                   offeredRPS: 100, pool: 16)
        XCTAssertEqual(j.verdict, .fail)
        XCTAssertEqual(j.reasons.count, 1)
        XCTAssertTrue(j.reasons[0].hasPrefix("slo: p99 < 60ms measured 80"), j.reasons[0])
    }

    func testDropsFailWhateverTheSLOsSay() throws {
        let j = CapacityStep.judge(result: result(count: 1_000, dropped: 3, seconds: 10), slos: try slos("p99 < 60ms"),
                                   offeredRPS: 100, pool: 16)
        XCTAssertEqual(j.verdict, .fail)
        XCTAssertEqual(j.reasons, ["dropped: 3"])
    }

    func testAnAchievedRateBelow95PercentFails() throws {
        // 940 in 10 s of 100 offered: 94 %.
        let low = CapacityStep.judge(result: result(count: 940, seconds: 10), slos: try slos("p99 < 60ms"), offeredRPS: 100, pool: 16)
        XCTAssertEqual(low.verdict, .fail)
        XCTAssertEqual(low.reasons, ["underachieved: 94.0 of 100.0 req/s"])
        let enough = CapacityStep.judge(result: result(count: 950, seconds: 10), slos: try slos("p99 < 60ms"), offeredRPS: 100, pool: 16)
        XCTAssertEqual(enough.verdict, .pass)
    }

    func testInFlightGrowingThroughTheStepFails() throws {
        let s = try slos("p99 < 60ms")
        let growing = result(count: 1_000, seconds: 9, inFlight: [2, 3, 3, 8, 12, 16, 20, 24, 28])
        let g = CapacityStep.inFlightGrowth(growing)
        XCTAssertEqual(g?.first ?? 0, 8 / 3, accuracy: 1e-9)
        XCTAssertEqual(g?.last ?? 0, 24, accuracy: 1e-9)
        let j = CapacityStep.judge(result: growing, slos: s, offeredRPS: 100, pool: 64)
        XCTAssertEqual(j.verdict, .fail)
        XCTAssertEqual(j.reasons.first?.hasPrefix("queue_growing: in flight 2.7 → 24.0"), true, "\(j.reasons)")
        // Doubling on a handful of requests is not a queue: 1 → 3 stays under the floor.
        let small = result(count: 1_000, seconds: 9, inFlight: [1, 1, 1, 2, 2, 2, 3, 3, 3])
        XCTAssertEqual(CapacityStep.judge(result: small, slos: s, offeredRPS: 100, pool: 64).verdict, .pass)
        // Steady at a high level is not growing either.
        let steady = result(count: 1_000, seconds: 9, inFlight: [40, 42, 41, 39, 43, 40, 41, 42, 40])
        XCTAssertEqual(CapacityStep.judge(result: steady, slos: s, offeredRPS: 100, pool: 64).verdict, .pass)
        // Fewer than three whole seconds: not judged.
        XCTAssertNil(CapacityStep.inFlightGrowth(result(count: 10, inFlight: [1, 50])))
    }

    func testAStepThatFailedWithTheClientSaturatedIsClientBound() throws {
        let s = try slos("p99 < 60ms")
        // 40 ms of service and 30 ms of waiting to be sent: 70 ms from the due time breaks the SLO, the service alone
        // does not. With the engine's CPU full, the failure is the client's.
        let cpu = CapacityStep.judge(result: result(count: 1_000, latency: 40_000, seconds: 10, cpu: 0.97, lateness: 30_000), slos: s,
                                     offeredRPS: 100, pool: 16)
        XCTAssertEqual(cpu.verdict, .clientBound)
        XCTAssertEqual(cpu.reasons.first, "client_saturated: engine CPU 97 %")
        XCTAssertTrue(cpu.reasons.contains { $0.hasPrefix("slo: p99 < 60ms measured 70") }, "\(cpu.reasons)")
        // The service alone breaks the SLO (80 ms of service): a failure of the service, however busy the client.
        let slow = CapacityStep.judge(result: result(count: 1_000, latency: 80_000, seconds: 10, cpu: 0.97, lateness: 30_000), slos: s,
                                      offeredRPS: 100, pool: 16)
        XCTAssertEqual(slow.verdict, .fail)
        // A growing queue is the service's too.
        let queue = CapacityStep.judge(result: result(count: 1_000, latency: 40_000, seconds: 9, inFlight: [2, 3, 3, 8, 12, 16, 20, 24, 28],
                                                      cpu: 0.97, lateness: 30_000, inFlightMax: 30), slos: s, offeredRPS: 100, pool: 64)
        XCTAssertEqual(queue.verdict, .fail)
        // Send lateness with the pool not full and the rate not reached: the client could not send on time.
        let late = CapacityStep.judge(result: result(count: 900, seconds: 10, inFlight: [3, 3, 3], lateness: 80_000, inFlightMax: 5),
                                      slos: try slos("error_rate < 1%"), offeredRPS: 100, pool: 16)
        XCTAssertEqual(late.verdict, .clientBound)
        XCTAssertEqual(late.reasons, ["client_saturated: send lateness p99 80.0ms with the pool not full", "underachieved: 90.0 of 100.0 req/s"])
        // The same lateness with the pool full is the server's doing: a plain failure.
        let full = CapacityStep.judge(result: result(count: 900, seconds: 10, inFlight: [3, 3, 3], lateness: 80_000, inFlightMax: 16),
                                      slos: try slos("error_rate < 1%"), offeredRPS: 100, pool: 16)
        XCTAssertEqual(full.verdict, .fail)
        // Lateness small against the SLO (12 ms of a 60 ms p99 on a busy machine) is not saturation.
        let busy = CapacityStep.judge(result: result(count: 900, seconds: 10, inFlight: [3, 3, 3], lateness: 12_000, inFlightMax: 5),
                                      slos: try slos("p99 < 60ms"), offeredRPS: 100, pool: 16)
        XCTAssertEqual(busy.verdict, .fail, "\(busy.reasons)")
        // A step that held is a pass, however hard the client worked for it.
        let held = CapacityStep.judge(result: result(count: 1_000, seconds: 10, inFlight: [3, 3, 3], cpu: 0.97, lateness: 80_000, inFlightMax: 5),
                                      slos: try slos("error_rate < 1%"), offeredRPS: 100, pool: 16)
        XCTAssertEqual(held.verdict, .pass)
        XCTAssertEqual(CapacityStep.judge(result: result(count: 1_000, seconds: 10, cpu: 0.5), slos: s, offeredRPS: 100, pool: 16).verdict,
                       .pass)
    }

    func testAStepWithNoOkResponseFails() throws {
        let j = CapacityStep.judge(result: result(count: 0, failures: 1_000, seconds: 10), slos: try slos("p99 < 60ms"),
                                   offeredRPS: 100, pool: 16)
        XCTAssertEqual(j.verdict, .fail)
        XCTAssertTrue(j.reasons.contains("no_ok_response"), "\(j.reasons)")
    }

    func testAClearFailureEndsAStepEarly() throws {
        let s = try slos("p99 < 60ms")
        XCTAssertEqual(CapacityStep.clearlyFailed(sofar: result(count: 10, dropped: 1), slos: s, samplesNeeded: 1_000), "dropped: 1")
        // Twice the limit, but on fewer samples than the SLO needs: not yet.
        XCTAssertNil(CapacityStep.clearlyFailed(sofar: result(count: 999, latency: 200_000), slos: s, samplesNeeded: 1_000))
        XCTAssertNotNil(CapacityStep.clearlyFailed(sofar: result(count: 1_000, latency: 200_000), slos: s, samplesNeeded: 1_000))
        // Broken, but by less than twice: the step runs to its end.
        XCTAssertNil(CapacityStep.clearlyFailed(sofar: result(count: 1_000, latency: 100_000), slos: s, samplesNeeded: 1_000))
    }

    func testStageScopesAndRateSLOsAreRefused() throws {
        XCTAssertNotNil(CapacityStep.refusal(try Threshold.parse("stage:1 p99 < 60ms")))
        XCTAssertNotNil(CapacityStep.refusal(try Threshold.parse("rps >= 500")))
        XCTAssertNil(CapacityStep.refusal(try Threshold.parse("p99 < 60ms")))
        XCTAssertNil(CapacityStep.refusal(try Threshold.parse("error_rate < 1%")))
    }
}
