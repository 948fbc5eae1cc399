import XCTest
import BarrageTestSupport

/// Flow thresholds through the built binary: on a plan without a scenario, the flow scopes and the iteration metrics
/// are usage errors before anything is sent.
final class FlowGateCLITests: XCTestCase {
    var server: BarrageBinary.Running!
    var base = ""

    override func setUpWithError() throws {
        (server, base) = try BarrageBinary.startServer()
    }

    override func tearDownWithError() throws {
        server.signal(SIGTERM)
        _ = server.wait(timeout: 5)
    }

    func testFlowGatesOnAPlanWithoutAScenarioAreUsageErrors() throws {
        let cases: [(String, String)] = [
            ("iterations > 0", "iteration metrics need a scenario (a profile with scenarios:)"),
            ("scenario:checkout iteration_duration.p95 < 2s", "iteration metrics need a scenario"),
            ("scenario:checkout p99 < 1s", "scope matches nothing: no scenario named 'checkout' (the plan has no scenarios)"),
            ("step:checkout/login p99 < 300ms", "scope matches nothing: no step 'checkout/login'"),
            ("step:login p99 < 300ms", "step: needs SCENARIO/STEP"),
            ("target:default iterations > 0", "measured per run or per scenario"),
        ]
        for (expr, message) in cases {
            let out = try BarrageBinary.run(["run", base + "/", "-n", "1", "--threshold", expr], timeout: 20)
            XCTAssertEqual(out.status, 2, expr)
            XCTAssertTrue(out.stderr.contains("threshold '\(expr)'"), out.stderr)
            XCTAssertTrue(out.stderr.contains(message), "\(expr): \(out.stderr)")
            XCTAssertEqual(out.stderr.split(separator: "\n").count, 1, "one line: \(out.stderr)")
            XCTAssertEqual(out.stdout, "", "nothing ran for \(expr)")
        }
    }
}
