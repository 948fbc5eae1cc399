import XCTest
import BarrageCore
import BarragePlanFixtures
import BarrageEngine
import BarrageTargetServer

/// The libcurl engine against the embedded server: exact accounting, error classes, stopping.
final class EngineTests: XCTestCase {
    var server: TargetServer!

    override func setUpWithError() throws {
        server = try TargetServer.start(host: "127.0.0.1", port: 0)
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
    }

    private func plan(_ path: String, concurrency: Int, requests: Int? = nil, duration: Int64? = nil,
                      timeout: Int64 = 10_000_000, threads: Int = 2, url: String? = nil) -> RunPlan {
        RunPlan(concurrency: concurrency, requestLimit: requests, durationMicros: duration,
                targets: [RequestTarget(url: url ?? server.baseURL + path)],
                timeoutMicros: timeout, connectTimeoutMicros: 5_000_000, threads: threads, keepAlive: true)
    }

    private func run(_ plan: RunPlan, control: StopControl = StopControl(), tick: Engine.Tick? = nil) throws -> RunResult {
        let out = try Engine(plan: plan, userAgent: "barrage-test").run(control: control, tick: tick)
        return RunResult(version: "test", plan: plan, recorder: out.recorder, timeline: out.timeline,
                         startedEpochMillis: out.startedEpochMillis, durationMicros: out.durationMicros, interrupted: false)
    }

    /// total == ok + failed + dropped, the timeline holds every request once, and the server saw each one.
    private func assertAccounting(_ r: RunResult, serverSaw: Int?, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.requests.total, r.requests.ok + r.requests.failed + r.requests.dropped, file: file, line: line)
        XCTAssertEqual(r.timeline.reduce(0) { $0 + $1.requests }, r.requests.total, "timeline", file: file, line: line)
        XCTAssertEqual(r.errors.values.reduce(0, +), r.requests.failed, "errors by class", file: file, line: line)
        if let serverSaw { XCTAssertEqual(serverSaw, r.requests.total, "server count", file: file, line: line) }
    }

    func testRequestCountIsExact() throws {
        let r = try run(plan("/", concurrency: 10, requests: 1_000))
        XCTAssertEqual(r.requests.total, 1_000)
        XCTAssertEqual(r.requests.ok, 1_000)
        XCTAssertEqual(r.status_codes, ["200": 1_000])
        XCTAssertEqual(r.latency_us.count, 1_000)
        XCTAssertEqual(r.connections.new, 10)
        XCTAssertEqual(r.connections.reused, 990)
        XCTAssertEqual(r.phases_us.connect.count, 10)
        XCTAssertEqual(r.phases_us.ttfb.count, 1_000)
        XCTAssertEqual(r.throughput.bytes_in > 1_000 * 2, true)
        assertAccounting(r, serverSaw: server.requestsReceived)
    }

    /// Both ways of driving libcurl count exactly, closed and open model, with and without the connect phase.
    func testBothDriveModesCountExactly() throws {
        for mode in [Engine.DriveMode.perform, .socket] {
            try server.shutdown()
            server = try TargetServer.start(host: "127.0.0.1", port: 0)
            let closed = plan("/", concurrency: 20, requests: 2_000)
            let out = try Engine(plan: closed, userAgent: "barrage-test", mode: mode).run(control: StopControl())
            XCTAssertEqual(out.recorder.total, 2_000, "\(mode)")
            XCTAssertEqual(out.recorder.ok, 2_000, "\(mode): \(out.recorder.errorCounts)")
            XCTAssertEqual(out.recorder.connectionsNew, 20, "\(mode)")
            XCTAssertEqual(server.requestsReceived, 2_000, "\(mode)")

            let schedule = OpenSchedule(startRate: 500, stages: [RateStage(durationMicros: 1_000_000, rate: 500)])
            let open = RunPlan.open(schedule: schedule, maxInFlight: 30, maxLatenessMicros: 5_000_000, requestLimit: nil,
                                    targets: [RequestTarget(url: server.baseURL + "/")], timeoutMicros: 10_000_000,
                                    connectTimeoutMicros: 5_000_000, threads: 2, keepAlive: true)
            let o = try Engine(plan: open, userAgent: "barrage-test", mode: mode).run(control: StopControl())
            XCTAssertEqual(o.recorder.total, 500, "\(mode)")
            XCTAssertEqual(o.recorder.ok, 500, "\(mode): \(o.recorder.errorCounts)")
            XCTAssertEqual(server.requestsReceived, 2_500, "\(mode)")
            // Paced: nothing is sent before it is due, so the run lasts at least until the last due time (998 ms); sent
            // at once it would end far sooner. A slower machine only makes the run longer.
            XCTAssertGreaterThanOrEqual(o.durationMicros, lastDueMicros(schedule), "\(mode): paced")
            // How late the sends were is the machine's to decide (a loaded one starves the engine threads): not asserted.
            // The due times themselves are pure values, tested in OpenScheduleTests.
        }
    }

    /// The connect phase opens one connection per worker (at most `connectAttemptsInFlight` attempts at once), the
    /// measured run then opens none, and the server saw exactly the phase's requests plus the run's.
    func testConnectPhaseOpensEveryConnectionBeforeTheClock() throws {
        for mode in [Engine.DriveMode.perform, .socket] {
            try server.shutdown()
            server = try TargetServer.start(host: "127.0.0.1", port: 0)
            let p = plan("/", concurrency: 600, requests: 3_000)
            let out = try Engine(plan: p, userAgent: "barrage-test", mode: mode).run(control: StopControl(), warmup: true)
            let phase = try XCTUnwrap(out.connectPhase)
            XCTAssertEqual(phase.total, 600, "\(mode)")
            XCTAssertEqual(phase.ok, 600, "\(mode): \(phase.errorCounts)")
            XCTAssertEqual(phase.connectionsNew, 600, "\(mode): one connection per worker")
            XCTAssertGreaterThan(out.connectPhaseMicros, 0)
            XCTAssertEqual(out.recorder.total, 3_000, "\(mode)")
            XCTAssertEqual(out.recorder.connectionsNew, 0, "\(mode): the measured run reuses the phase's connections")
            XCTAssertNil(out.warmup, "the plan has no warm-up of its own")
            XCTAssertEqual(server.requestsReceived, 3_600, "\(mode)")
        }
    }

    /// A target that refuses connections ends the connect phase at its first failures instead of trying every
    /// worker batch after batch; the run then counts every planned request as failed.
    func testConnectPhaseStopsAtTheFirstFailures() throws {
        let p = plan("/", concurrency: 2_000, requests: 2_000, url: "http://127.0.0.1:1/")
        let out = try Engine(plan: p, userAgent: "barrage-test").run(control: StopControl(), warmup: true)
        let phase = try XCTUnwrap(out.connectPhase)
        XCTAssertGreaterThan(phase.failed, 0)
        XCTAssertLessThanOrEqual(phase.total, Engine.connectAttemptsInFlight, "no attempt after the first batch")
        XCTAssertEqual(phase.errorCounts, ["connect": phase.total])
        XCTAssertEqual(out.recorder.total, 2_000, "every planned request accounted for")
        XCTAssertEqual(out.recorder.errorCounts, ["connect": 2_000])
    }

    func testFewerRequestsThanWorkers() throws {
        let r = try run(plan("/", concurrency: 50, requests: 7))
        XCTAssertEqual(r.requests.total, 7)
        assertAccounting(r, serverSaw: server.requestsReceived)
    }

    func testTwoThousandConcurrentConnections() throws {
        // Every worker holds its connection for 200 ms, so all 2,000 are open at once.
        let r = try run(plan("/delay/200", concurrency: 2_000, requests: 4_000, timeout: 30_000_000))
        XCTAssertEqual(r.requests.total, 4_000)
        XCTAssertEqual(r.requests.ok, 4_000, "errors: \(r.errors)")
        XCTAssertEqual(r.connections.new, 2_000)
        XCTAssertGreaterThanOrEqual(r.latency_us.min, 200_000)
        // The count at a second's close can miss the moment; the peak cannot: every slot starts at once.
        XCTAssertEqual(r.timeline.compactMap(\.in_flight_max).max(), 2_000)
        for e in r.timeline {
            XCTAssertLessThanOrEqual(e.in_flight_mean ?? 0, Double(e.in_flight_max ?? 0), "second \(e.t_s)")
        }
        assertAccounting(r, serverSaw: server.requestsReceived)
    }

    func testDurationStopsSendingAndDrains() throws {
        let r = try run(plan("/delay/100", concurrency: 5, duration: 1_000_000))
        // 5 workers × ~10 sequential 100 ms requests in 1 s; the last ones finish after the duration. The server holds
        // each request at least 100 ms, so a worker starts at most ⌈1 s / 100 ms⌉ = 10 before the duration ends, on
        // any machine (a slower one starts fewer): more means sending went on past the duration.
        XCTAssertGreaterThanOrEqual(r.requests.total, 5, "every worker sent")
        XCTAssertLessThanOrEqual(r.requests.total, 50, "sending stopped at the duration")
        XCTAssertEqual(r.requests.ok, r.requests.total, "drained: the requests in flight at the end finished, none cut short")
        // A worker whose request ends before 1 s sends another, so the last one ends at or after 1 s; and it was sent
        // before 1 s, so it ends within its timeout (10 s) after that.
        XCTAssertLessThan(r.duration_us, 1_000_000 + 10_000_000)
        XCTAssertGreaterThanOrEqual(r.duration_us, 1_000_000)
        XCTAssertEqual(r.timeline.count, Int(r.duration_us / 1_000_000) + 1, "one entry per second the run touched")
        assertAccounting(r, serverSaw: server.requestsReceived)
    }

    func testStatusErrorsAreCompleteResponses() throws {
        let r = try run(plan("/status/503", concurrency: 3, requests: 30))
        XCTAssertEqual(r.requests.failed, 30)
        XCTAssertEqual(r.errors, ["status": 30])
        XCTAssertEqual(r.status_codes, ["503": 30])
        XCTAssertEqual(r.latency_us.count, 30, "latency covers complete responses of any status")
        assertAccounting(r, serverSaw: server.requestsReceived)
    }

    func testTimeoutsAreClassified() throws {
        let r = try run(plan("/delay/5000", concurrency: 2, requests: 4, timeout: 200_000))
        XCTAssertEqual(r.errors, ["timeout": 4])
        XCTAssertEqual(r.latency_us.count, 0)
        // The server answers after 5 s: a run that ended sooner was cut by the 200 ms timeouts (two per worker, ~0.4 s).
        XCTAssertLessThan(r.duration_us, 5_000_000)
        assertAccounting(r, serverSaw: server.requestsReceived)
    }

    func testRefusedConnectionsAreClassified() throws {
        // A port that was just free: bind, read the port, close.
        let probe = try TargetServer.start(host: "127.0.0.1", port: 0)
        let port = probe.port
        try probe.shutdown()
        let r = try run(plan("/", concurrency: 2, requests: 10, url: "http://127.0.0.1:\(port)/"))
        XCTAssertEqual(r.errors, ["connect": 10])
        XCTAssertEqual(r.connections.new + r.connections.reused, 0)
        assertAccounting(r, serverSaw: nil)
    }

    func testBodiesAndMethodsAreSent() throws {
        var p = plan("/echo", concurrency: 2, requests: 10)
        p.workload.targets = [RequestTarget(url: server.baseURL + "/echo", method: "PUT", headers: ["X-Test: 1"], body: Array(repeating: 65, count: 5_000))]
        let r = try run(p)
        XCTAssertEqual(r.requests.ok, 10)
        XCTAssertGreaterThanOrEqual(r.throughput.bytes_in, 50_000)
        XCTAssertGreaterThanOrEqual(r.throughput.bytes_out, 50_000)
    }

    func testAbortCutsRequestsInFlightShortAndCountsThem() throws {
        let control = StopControl()
        let server = try XCTUnwrap(self.server)
        let r = try run(plan("/delay/10000", concurrency: 4, duration: 30_000_000), control: control) { progress in
            // Once the server holds all four requests: 300 ms after setup began, a busy machine may not have sent them.
            if progress.elapsedMicros > 300_000 && server.requestsReceived >= 4 { control.raise(to: .aborting) }
        }
        XCTAssertEqual(r.requests.total, 4)
        XCTAssertEqual(r.errors, ["other": 4])
        // The server answers after 10 s: a run that ended sooner was cut short by the abort (raised at ~0.3 s).
        XCTAssertLessThan(r.duration_us, 10_000_000)
        assertAccounting(r, serverSaw: server.requestsReceived)
    }

    func testDrainingLetsRequestsInFlightFinish() throws {
        let control = StopControl()
        let server = try XCTUnwrap(self.server)
        var drainedAtMicros: Int64 = -1
        let r = try run(plan("/delay/300", concurrency: 4, duration: 30_000_000), control: control) { progress in
            // Once the server holds every worker's first request (not after a fixed time, which a busy machine can
            // reach before the workers have sent).
            if drainedAtMicros < 0 && server.requestsReceived >= 4 {
                control.raise(to: .draining)
                drainedAtMicros = progress.runElapsedMicros
            }
        }
        // Usually the first four requests are still in flight when draining starts (4 in all). On a busy machine the
        // tick may come after they ended and the workers sent again: each worker starts at most one request per 300 ms
        // (the server's delay) before draining, plus one for the moment between the tick's clock reading and the raise.
        // A run that did not stop sending would go on for its 30 s (~400 requests).
        XCTAssertGreaterThanOrEqual(drainedAtMicros, 0, "draining was raised")
        XCTAssertGreaterThanOrEqual(r.requests.total, 4)
        XCTAssertLessThanOrEqual(r.requests.total, 4 * Int(drainedAtMicros / 300_000 + 2), "no request started after draining")
        XCTAssertEqual(r.requests.ok, r.requests.total, "the requests in flight finished")
        assertAccounting(r, serverSaw: server.requestsReceived)
    }
}

/// The open model against the embedded server.
final class OpenModelEngineTests: XCTestCase {
    var server: TargetServer!

    override func setUpWithError() throws { server = try TargetServer.start(host: "127.0.0.1", port: 0) }
    override func tearDownWithError() throws { try server?.shutdown() }

    private func run(_ path: String, schedule: OpenSchedule, pool: Int, lateness: Int64 = 5_000_000, limit: Int? = nil) throws -> RunResult {
        let plan = RunPlan.open(schedule: schedule, maxInFlight: pool, maxLatenessMicros: lateness, requestLimit: limit,
                                targets: [RequestTarget(url: server.baseURL + path)], timeoutMicros: 10_000_000,
                                connectTimeoutMicros: 5_000_000, threads: 2, keepAlive: true)
        let out = try Engine(plan: plan, userAgent: "barrage-test").run(control: StopControl())
        var result = RunResult(version: "test", plan: plan, recorder: out.recorder, timeline: out.timeline,
                               startedEpochMillis: out.startedEpochMillis, durationMicros: out.durationMicros, interrupted: false)
        result.addSections(plan: plan, targets: out.targets, stages: out.stages, warmup: out.warmup, runMicros: out.durationMicros)
        return result
    }

    func testConstantRateSendsExactlyThePlan() throws {
        let schedule = OpenSchedule(startRate: 400, stages: [RateStage(durationMicros: 2_000_000, rate: 400)])
        let r = try run("/", schedule: schedule, pool: 50)
        XCTAssertEqual(r.requests.total, 800)
        XCTAssertEqual(r.requests.ok, 800)
        XCTAssertEqual(server.requestsReceived, 800)
        XCTAssertEqual(r.timeline.reduce(0) { $0 + $1.requests }, 800)
        // Nothing is sent before it is due: the run lasts at least until the last due time (1.9975 s), on any machine.
        XCTAssertGreaterThanOrEqual(r.duration_us, lastDueMicros(schedule), "paced over the schedule, not sent at once")
        // How late the sends were depends on the machine's load (not asserted); the due times are OpenScheduleTests'.
    }

    func testRampingRateSendsTheIntegralOfItsRate() throws {
        let s = OpenSchedule(startRate: 0, stages: [RateStage(durationMicros: 1_000_000, rate: 300), RateStage(durationMicros: 500_000, rate: 300)])
        let r = try run("/", schedule: s, pool: 20)
        XCTAssertEqual(r.requests.total, 300)
        XCTAssertEqual(server.requestsReceived, 300)
        // The 1 s ramp from 0 to 300/s holds 150 requests, the half-second hold the other 150. Stages count requests
        // by due time, so the split is exact; the timeline counts them by completion, which depends on the machine's
        // speed, but nothing completes before it is due: at most the ramp's 150 land in the first second (all 300
        // would, had they been sent at once).
        var dues = s.makeIterator()
        var dueInRamp = 0
        while let due = dues.next(), due.dueMicros < 1_000_000 { dueInRamp += 1 }
        XCTAssertEqual(dueInRamp, 150)
        XCTAssertEqual(r.stages.map(\.requests.total), [150, 150])
        XCTAssertLessThanOrEqual(r.timeline.first?.requests ?? 0, dueInRamp)
    }

    func testASmallPoolDropsWhatCannotBeSentInTime() throws {
        // 100/s of 200 ms requests need ~20 in flight; a pool of 2 with 50 ms lateness must drop most.
        let r = try run("/delay/200", schedule: OpenSchedule(startRate: 100, stages: [RateStage(durationMicros: 1_000_000, rate: 100)]),
                        pool: 2, lateness: 50_000)
        XCTAssertEqual(r.requests.total, 100, "every planned request is accounted for")
        XCTAssertGreaterThan(r.requests.dropped, 50)
        XCTAssertEqual(r.requests.ok + r.requests.dropped, 100)
        XCTAssertEqual(server.requestsReceived, r.requests.ok + r.requests.failed)
        XCTAssertEqual(r.timeline.reduce(0) { $0 + $1.dropped }, r.requests.dropped)
        XCTAssertLessThanOrEqual(r.send_lateness_us.max, 50_001)
    }

    func testLatencyCountsFromTheDueTimeWhenThePoolIsFull() throws {
        // Pool of 1, 20/s of 100 ms requests: each waits behind the previous one, so latency from the due time
        // grows well beyond the 100 ms service time.
        let r = try run("/delay/100", schedule: OpenSchedule(startRate: 20, stages: [RateStage(durationMicros: 1_000_000, rate: 20)]),
                        pool: 1, lateness: 10_000_000)
        XCTAssertEqual(r.requests.ok, 20)
        // Each request takes ≥ 100 ms and the next waits for it, so request k is sent ≥ k × 100 ms in although due at
        // k × 50 ms: the last waited ≥ 950 ms, on any machine (a slower one waits longer).
        XCTAssertGreaterThan(r.latency_us.max, 1_000_000, "the last request waited ~1 s for the pool")
        // Service time leaves that wait out. The last request's latency is at least the sum of all 20 service times
        // (each ≥ 100 ms) less its 950 ms due time, so it is ≥ the slowest service time + 950 ms on any machine;
        // service time counted from the due time would make the two maxima equal.
        XCTAssertLessThan(r.service_time_us.max + 800_000, r.latency_us.max, "service time excludes the wait for the pool")
    }
}

/// The due time (µs from the start) of a schedule's last request.
private func lastDueMicros(_ schedule: OpenSchedule) -> Int64 {
    var dues = schedule.makeIterator()
    var last: Int64 = 0
    while let due = dues.next() { last = due.dueMicros }
    return last
}
