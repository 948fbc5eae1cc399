import XCTest
import Glibc
import BarrageCore
import BarragePlanFixtures
@testable import BarrageEngine
import BarrageTargetServer
import BarrageTestSupport

/// What the engine does when the target is unreachable or libcurl refuses a transfer: workers back off instead of
/// spinning, failures are counted exactly once, nothing hangs, and the live counts move between seconds.
final class EngineFaultTests: XCTestCase {
    var server: TargetServer!

    override func setUpWithError() throws {
        server = try TargetServer.start(host: "127.0.0.1", port: 0)
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
    }

    private func closedPlan(_ url: String, concurrency: Int, requests: Int? = nil, duration: Int64? = nil,
                            threads: Int = 2) -> RunPlan {
        RunPlan(concurrency: concurrency, requestLimit: requests, durationMicros: duration,
                targets: [RequestTarget(url: url)], timeoutMicros: 5_000_000, connectTimeoutMicros: 2_000_000,
                threads: threads, keepAlive: true)
    }

    /// Against a refused port, 50 workers for 5 s back off (10 ms doubling to 1 s, jittered) instead of making tens of
    /// thousands of attempts. The bound is on counts, which a slower machine only lowers: a worker's waits are at least
    /// 5, 10, 20 … 500 ms, so it can make at most 17 attempts in 5 s. And the client's CPU stays under 5 % of a core.
    func testRefusedPortBacksOffInsteadOfSpinning() throws {
        let (fd, port) = try refusingLoopbackPort() // bound, never listening: refused, and no one else can take it
        defer { close(fd) }
        let tmp = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let json = tmp.appendingPathComponent("r.json").path
        let out = try BarrageBinary.run(["run", "http://127.0.0.1:\(port)/", "-c", "50", "-d", "5s", "--json", json], timeout: 40)
        XCTAssertNotEqual(out.status, 2, out.stderr)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(r.requests.ok, 0)
        XCTAssertEqual(r.errors, ["connect": r.requests.failed])
        XCTAssertGreaterThanOrEqual(r.requests.failed, 50, "every worker tried at least once")
        XCTAssertLessThanOrEqual(r.requests.failed, 50 * 17, "backed off")
        let client = try XCTUnwrap(r.client)
        let cpu = Double(client.cpu_user_us + client.cpu_system_us) / Double(max(1, r.duration_us))
        XCTAssertLessThan(cpu, 0.05, "CPU per core-second of run: \(cpu)")
        // The run ends with its duration; a worker waiting out a back-off does not hold it.
        XCTAssertLessThan(r.duration_us, 5_000_000 + 1_000_000)
    }

    /// A worker that backs off still counts against -n exactly: every request of the budget ends once.
    func testBackedOffWorkersKeepTheRequestCountExact() throws {
        let (fd, port) = try refusingLoopbackPort() // bound, never listening: refused, and no one else can take it
        defer { close(fd) }
        let out = try Engine(plan: closedPlan("http://127.0.0.1:\(port)/", concurrency: 4, requests: 20)).run(control: StopControl())
        XCTAssertEqual(out.recorder.total, 20)
        XCTAssertEqual(out.recorder.errorCounts, ["connect": 20])
    }

    /// libcurl refusing a transfer (injected: every 5th `curl_multi_add_handle` of each thread) is a failed request of
    /// class `other` with libcurl's message; the worker moves on and the run ends with every request counted once,
    /// in both drive modes.
    func testRefusedTransfersAreCountedAndTheClosedRunGoesOn() throws {
        for mode in [Engine.DriveMode.perform, .socket] {
            try server.shutdown()
            server = try TargetServer.start(host: "127.0.0.1", port: 0)
            let faults = Engine.FaultInjection(failAdd: { _, k in k % 5 == 4 })
            let engine = Engine(plan: closedPlan(server.baseURL + "/", concurrency: 6, requests: 600), mode: mode, faults: faults)
            let out = try engine.run(control: StopControl())
            XCTAssertEqual(out.recorder.total, 600, "\(mode)")
            XCTAssertGreaterThan(out.recorder.failed, 0, "\(mode)")
            XCTAssertEqual(out.recorder.errorCounts, ["other": out.recorder.failed], "\(mode)")
            XCTAssertEqual(out.recorder.ok, server.requestsReceived, "\(mode): only sent requests reach the server")
            XCTAssertTrue(out.firstErrors["other"]?.contains("curl_multi_add_handle failed") == true, "\(out.firstErrors)")
        }
    }

    /// A flow whose transfers libcurl sometimes refuses: each refusal fails its step and ends its iteration, which is
    /// counted once; the VU goes on (after a back-off) and the iteration budget is spent exactly.
    func testRefusedTransfersInAFlowEndTheirIterationsExactly() throws {
        let a = try Template(parsing: server.baseURL + "/").bind { _ in nil }
        let b = try Template(parsing: server.baseURL + "/status/200").bind { _ in nil }
        var flow = Flow(scenario: "s", steps: [.request(RequestStep(name: "a", url: a, urlText: server.baseURL + "/")),
                                               .request(RequestStep(name: "b", url: b, urlText: server.baseURL + "/status/200"))])
        flow.iterations = 60
        var workload = Workload(targets: [RequestTarget(name: "a", url: server.baseURL + "/"),
                                          RequestTarget(name: "b", url: server.baseURL + "/status/200")], timeoutMicros: 5_000_000)
        workload.flow = flow
        let plan = RunPlan(load: .closed(workers: 3, durationMicros: nil), workload: workload, threads: 1)
        let out = try Engine(plan: plan, faults: Engine.FaultInjection(failAdd: { _, k in k % 7 == 3 })).run(control: StopControl())
        let it = try XCTUnwrap(out.iterations)
        XCTAssertEqual(it.total, 60)
        XCTAssertGreaterThan(it.failed, 0)
        XCTAssertEqual(it.completed + it.failed, 60)
        XCTAssertEqual(out.recorder.ok, server.requestsReceived)
        XCTAssertEqual(out.recorder.failed, it.failed, "each failed iteration is one refused request")
    }

    /// When every transfer is refused the closed run still ends at its duration, having backed off.
    func testEveryTransferRefusedEndsOnTime() throws {
        let faults = Engine.FaultInjection(failAdd: { _, _ in true })
        let engine = Engine(plan: closedPlan(server.baseURL + "/", concurrency: 4, duration: 1_000_000), faults: faults)
        let out = try engine.run(control: StopControl())
        XCTAssertEqual(out.recorder.ok, 0)
        XCTAssertEqual(server.requestsReceived, 0)
        XCTAssertGreaterThan(out.recorder.failed, 0)
        XCTAssertLessThanOrEqual(out.recorder.failed, 4 * 12, "backed off")
    }

    /// The open model keeps its schedule when transfers are refused: each refused one is a failed request, the rest
    /// are sent, and the total is the planned count.
    func testRefusedTransfersInTheOpenModel() throws {
        let schedule = OpenSchedule(startRate: 400, stages: [RateStage(durationMicros: 1_000_000, rate: 400)])
        let plan = RunPlan.open(schedule: schedule, maxInFlight: 20, maxLatenessMicros: 5_000_000, requestLimit: nil,
                                targets: [RequestTarget(url: server.baseURL + "/")], timeoutMicros: 5_000_000,
                                connectTimeoutMicros: 2_000_000, threads: 2, keepAlive: true)
        let out = try Engine(plan: plan, faults: Engine.FaultInjection(failAdd: { _, k in k % 4 == 0 })).run(control: StopControl())
        XCTAssertEqual(out.recorder.total, 400)
        XCTAssertEqual(out.recorder.ok + out.recorder.failed, 400)
        XCTAssertEqual(out.recorder.errorCounts, ["other": out.recorder.failed])
        XCTAssertEqual(out.recorder.failed, 100, "every 4th add of each thread: threads send 200 each")
        XCTAssertEqual(server.requestsReceived, 300)
    }

    /// The live counts the controller reads between seconds: they reach the final totals, never exceed them, and move
    /// before the first second closes.
    func testLiveCountsMoveBetweenSeconds() throws {
        let plan = closedPlan(server.baseURL + "/delay/5", concurrency: 4, duration: 1_500_000)
        var sawBeforeFirstSecond = false
        var last = LiveCounts()
        let out = try Engine(plan: plan).run(control: StopControl(), tick: { p in
            if p.timeline.isEmpty && p.live.ok > 0 { sawBeforeFirstSecond = true }
            XCTAssertGreaterThanOrEqual(p.live.total, last.total)
            XCTAssertLessThanOrEqual(p.live.inFlight, 4)
            last = p.live
        })
        XCTAssertTrue(sawBeforeFirstSecond, "counts moved while the first second was still open")
        XCTAssertLessThanOrEqual(last.total, out.recorder.total)
    }
}
