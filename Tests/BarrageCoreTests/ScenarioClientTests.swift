import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// The `client` section of several scenarios put together: each lane measured the whole process's CPU over its own
/// span, so the run's utilization is that CPU over every lane's engine threads, never over one lane's.
final class ScenarioClientTests: XCTestCase {
    private func lane(_ name: String, cpuMicros: Int64, threads: Int) -> (lane: ScenarioLane, result: RunResult) {
        let plan = RunPlan(concurrency: 1, requestLimit: 1, durationMicros: nil,
                           targets: [RequestTarget(url: "http://127.0.0.1:1/\(name)")], timeoutMicros: 1_000_000,
                           connectTimeoutMicros: 1_000_000, threads: threads, keepAlive: true)
        var recorder = Recorder()
        recorder.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 500, status: 200, error: nil, complete: true,
                                       bytesIn: 10, bytesOut: 5, connection: .new))
        var r = RunResult(version: "test", plan: plan, recorder: recorder, timeline: [],
                          startedEpochMillis: 1_764_094_369_000, durationMicros: 1_000_000, interrupted: false)
        r.client = RunResult.ClientUsage(cpu_user_us: cpuMicros, cpu_system_us: 0, threads: threads,
                                         cpu_utilization: Double(cpuMicros) / (1_000_000 * Double(threads)))
        return (ScenarioLane(name: name, startAfterMicros: 0, plan: plan), r)
    }

    func testTwoBusyLanesAreNotOverOneHundredPercent() throws {
        // Two one-thread lanes, both busy for the whole second: the process used 1.8 s of CPU, and each lane saw all
        // of it. Over one lane's thread that read 180 %; over both threads it is 90 %.
        let a = lane("a", cpuMicros: 1_800_000, threads: 1)
        let b = lane("b", cpuMicros: 1_790_000, threads: 1)
        XCTAssertEqual(a.result.client?.cpu_utilization ?? 0, 1.8, accuracy: 1e-9, "one lane's own view")
        let combined = try ScenarioResults.combine(version: "test", plan: a.lane.plan, lanes: [a, b])
        let client = try XCTUnwrap(combined.client)
        XCTAssertEqual(client.threads, 2)
        XCTAssertEqual(client.cpu_user_us, 1_800_000, "the process's CPU, from the lane that saw the most of it")
        XCTAssertEqual(client.cpu_utilization, 0.9, accuracy: 1e-9)
    }
}
