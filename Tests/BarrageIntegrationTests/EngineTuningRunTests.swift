import XCTest
import BarrageCore
import BarragePlanFixtures
@testable import BarrageEngine
import BarrageTargetServer

/// The plan's engine setting (`RunPlan.engine`) reaches the engine threads, and a run tuned by it counts exactly.
final class EngineTuningRunTests: XCTestCase {
    func testTheDriveModeIsPickedByConnectionsUnlessThePlanForcesOne() {
        XCTAssertEqual(EngineThread.mode(connections: 50, open: false), .perform)
        XCTAssertEqual(EngineThread.mode(connections: 257, open: false), .socket)
        XCTAssertEqual(EngineThread.mode(connections: 1_000, open: true), .perform)
        XCTAssertEqual(EngineThread.mode(connections: 50, open: false, forced: .socket), .socket)
        XCTAssertEqual(EngineThread.mode(connections: 5_000, open: false, forced: .perform), .perform)
    }

    func testATunedPlanCountsExactly() throws {
        let server = try TargetServer.start(host: "127.0.0.1", port: 0)
        defer { try? server.shutdown() }
        for mode in EngineTuning.DriveMode.allCases {
            var closed = RunPlan(concurrency: 10, requestLimit: 500, durationMicros: nil,
                                 targets: [RequestTarget(url: server.baseURL + "/")], timeoutMicros: 10_000_000,
                                 connectTimeoutMicros: 5_000_000, threads: 2, keepAlive: true)
            closed.engine = EngineTuning(driveMode: mode)
            let c = try Engine(plan: closed).run(control: StopControl())
            XCTAssertEqual(c.recorder.total, 500, "\(mode)")
            XCTAssertEqual(c.recorder.ok, 500, "\(mode): \(c.recorder.errorCounts)")

            let schedule = OpenSchedule(startRate: 400, stages: [RateStage(durationMicros: 500_000, rate: 400)])
            var open = RunPlan.open(schedule: schedule, maxInFlight: 20, maxLatenessMicros: 5_000_000, requestLimit: nil,
                                    targets: [RequestTarget(url: server.baseURL + "/")], timeoutMicros: 10_000_000,
                                    connectTimeoutMicros: 5_000_000, threads: 1, keepAlive: true)
            open.engine = EngineTuning(driveMode: mode, pacerQuantumMicros: 1_000)
            let o = try Engine(plan: open).run(control: StopControl())
            XCTAssertEqual(o.recorder.total, 200, "\(mode)")
            XCTAssertEqual(o.recorder.ok, 200, "\(mode): \(o.recorder.errorCounts)")
        }
    }
}
