import XCTest
import ArgumentParser
import BarrageCore
@testable import BarrageCLI

/// `barrage capacity`'s flags read without running anything, and its exit codes from the document alone.
final class CapacityFlagTests: XCTestCase {
    private func command(_ args: [String]) throws -> Barrage.Capacity {
        try XCTUnwrap(try Barrage.parseAsRoot(["capacity"] + args) as? Barrage.Capacity, "\(args)")
    }

    func testDefaultsAndFlagsAreRead() throws {
        let plain = try command(["http://127.0.0.1:1/", "--slo", "p99 < 200ms"]).settings()
        XCTAssertEqual(plain.search, CapacitySearch.Settings(fromRPS: 10, maxRPS: 100_000, precision: 0.05, budgetMicros: nil))
        XCTAssertEqual(plain.warmupMicros, 2_000_000)
        XCTAssertEqual(plain.stepDurationMicros, 10_000_000)
        XCTAssertNil(plain.minRate)
        XCTAssertEqual(plain.slos.map(\.metric), ["latency_us.p99"])
        let given = try command(["http://127.0.0.1:1/", "--slo", "p99 < 200ms", "--slo", "error_rate < 1%", "--from", "50",
                                 "--max", "800", "--precision", "2.5%", "--budget", "10m", "--warmup", "0s",
                                 "--step-duration", "3s", "--min-rate", "400"]).settings()
        XCTAssertEqual(given.search, CapacitySearch.Settings(fromRPS: 50, maxRPS: 800, precision: 0.025, budgetMicros: 600_000_000))
        XCTAssertEqual(given.warmupMicros, 0)
        XCTAssertEqual(given.stepDurationMicros, 3_000_000)
        XCTAssertEqual(given.minRate, 400)
        XCTAssertEqual(given.slos.count, 2)
        XCTAssertEqual(try Barrage.Capacity.precision("50%"), 0.5)
        XCTAssertThrowsError(try Barrage.Capacity.precision("50.1%"))
        XCTAssertThrowsError(try Barrage.Capacity.precision("-1%"))
    }

    /// A document with the given verdict and numbers, no steps.
    private func doc(_ verdict: CapacitySearch.Verdict, capacity: Double? = nil, atLeast: Double? = nil) -> CapacityResult {
        var d = CapacityResult(version: "0.1.0", startedEpochMillis: 0, runID: nil, target: "t", slos: ["p99 < 1s"],
                               settings: CapacitySearch.Settings(fromRPS: 10, maxRPS: 1_000), minRate: nil,
                               search: CapacitySearch(CapacitySearch.Settings()), steps: [], interrupted: false)
        d.verdict = verdict
        d.capacity_rps = capacity
        d.at_least_rps = atLeast
        return d
    }

    private func status(_ d: CapacityResult, minRate: Double?) -> Int32 {
        do {
            try Barrage.Capacity.exit(d, minRate: minRate)
            return 0
        } catch let e as ExitCode {
            return e.rawValue
        } catch let e as BarrageError {
            return e.status.rawValue
        } catch {
            return -1
        }
    }

    func testExitCodes() {
        XCTAssertEqual(status(doc(.found, capacity: 400, atLeast: 400), minRate: nil), 0)
        XCTAssertEqual(status(doc(.found, capacity: 400, atLeast: 400), minRate: 400), 0)
        XCTAssertEqual(status(doc(.found, capacity: 400, atLeast: 400), minRate: 401), 99)
        XCTAssertEqual(status(doc(.noRate), minRate: nil), 0, "nothing meets the SLOs: that line, exit 0")
        XCTAssertEqual(status(doc(.noRate), minRate: 10), 99)
        XCTAssertEqual(status(doc(.maxReached, atLeast: 1_000), minRate: 1_000), 0, "max held: capacity at least max")
        XCTAssertEqual(status(doc(.maxReached, atLeast: 1_000), minRate: 1_001), 99)
        XCTAssertEqual(status(doc(.budget, atLeast: 300), minRate: 250), 0)
        XCTAssertEqual(status(doc(.budget, atLeast: 300), minRate: 350), 99)
        XCTAssertEqual(status(doc(.clientBound, atLeast: 300), minRate: nil), 0)
        XCTAssertEqual(status(doc(.clientBound, atLeast: 300), minRate: 250), 0)
        XCTAssertEqual(status(doc(.clientBound, atLeast: 300), minRate: 350), 1, "client-bound below R: nothing learned")
        XCTAssertEqual(status(doc(.nothingAnswered), minRate: nil), 1)
        XCTAssertEqual(status(doc(.nothingAnswered), minRate: 10), 1)
    }
}
