import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// The engine's benchmark knobs: the environment fallback, and that they never reach the result's plan.
final class EngineTuningTests: XCTestCase {
    func testEnvironmentFallbackReadsWhatItAlwaysRead() {
        XCTAssertEqual(EngineTuning.environment([:]), EngineTuning())
        XCTAssertEqual(EngineTuning.environment(["BARRAGE_ENGINE_MODE": "socket", "BARRAGE_PACER_QUANTUM_US": "50"]),
                       EngineTuning(driveMode: .socket, pacerQuantumMicros: 50))
        // Values that do not read were ignored before, and still are.
        XCTAssertEqual(EngineTuning.environment(["BARRAGE_ENGINE_MODE": "epoll", "BARRAGE_PACER_QUANTUM_US": "fast"]), EngineTuning())
        XCTAssertEqual(EngineTuning().effectivePacerQuantumMicros, 200)
    }

    func testFlagsWinOverTheEnvironment() {
        let flags = EngineTuning(driveMode: .perform)
        let env = EngineTuning(driveMode: .socket, pacerQuantumMicros: 75)
        XCTAssertEqual(flags.or(env), EngineTuning(driveMode: .perform, pacerQuantumMicros: 75))
        XCTAssertEqual(EngineTuning().or(env), env)
    }

    func testTuningStaysOutOfThePlanRecordAndTheFingerprint() throws {
        let plain = RunPlan(concurrency: 4, requestLimit: 100, durationMicros: nil,
                            targets: [RequestTarget(url: "http://127.0.0.1:1/")], timeoutMicros: 1_000_000,
                            connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        var tuned = plain
        tuned.engine = EngineTuning(driveMode: .socket, pacerQuantumMicros: 1_000)
        XCTAssertEqual(PlanRecord(tuned), PlanRecord(plain))
        XCTAssertEqual(PlanRecord(tuned).fingerprint, PlanRecord(plain).fingerprint)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        XCTAssertEqual(try encoder.encode(PlanRecord(tuned)), try encoder.encode(PlanRecord(plain)))
    }
}
