import XCTest
@testable import BarrageCore

/// `barrage merge` on flow results: iterations stay exact (counts add, durations merge from their `hdr`).
final class FlowMergeTests: XCTestCase {
    private func part(_ completed: [Int64], failed: [Int64] = [], interrupted: Int = 0, dropped: Int = 0, startMillis: Int64,
                      runID: String) -> RunResult {
        var r = FlowThresholdTests.flowResult(completed: completed, failed: failed, interrupted: interrupted, dropped: dropped,
                                              thinkMicros: 1_000)
        r.started_epoch_ms = startMillis
        r.started_at = RunResult.rfc3339(epochMillis: startMillis)
        r.run_id = runID
        return r
    }

    func testIterationsMergeExactly() throws {
        let a = part([10_000, 20_000, 30_000], failed: [5_000], interrupted: 1, startMillis: 1_764_000_000_000, runID: "a")
        let b = part([40_000, 900_000], dropped: 2, startMillis: 1_764_000_010_000, runID: "b")
        let m = try ResultMerge.merge([("a.json", a), ("b.json", b)])
        let it = try XCTUnwrap(m.iterations)
        XCTAssertEqual(it.scenario, "checkout")
        XCTAssertEqual([it.completed, it.failed, it.interrupted, it.dropped, it.total], [5, 1, 1, 2, 9])
        XCTAssertEqual(it.duration_us.count, 6)
        XCTAssertEqual(it.duration_without_think_us.count, 6)
        // Within HdrHistogram's precision (3 significant digits), as every merged histogram.
        XCTAssertEqual(Double(it.duration_us.max), 900_000, accuracy: 900)
        XCTAssertEqual(Double(it.duration_us.min), 5_000, accuracy: 5)
        XCTAssertEqual(it.rate, 6 / (Double(m.duration_us) / 1_000_000), accuracy: 1e-9, "finished per second of the merged time")
        XCTAssertEqual(try ThresholdEvaluator.evaluate([Threshold.parse("iterations == 6")], on: m)[0].ok, true)
    }

    func testResultsWithoutIterationsMergeWithoutThem() throws {
        var a = ThresholdEvaluatorTests.result(latencies: [1_000])
        a.run_id = "a"
        var b = ThresholdEvaluatorTests.result(latencies: [2_000])
        b.run_id = "b"
        b.started_epoch_ms = 5_000
        XCTAssertNil(try ResultMerge.merge([("a", a), ("b", b)]).iterations)
    }

    func testADurationWithoutItsHistogramCannotBeMergedExactly() {
        var a = part([10_000], startMillis: 1_764_000_000_000, runID: "a")
        a.iterations?.duration_us.hdr = nil
        let b = part([20_000], startMillis: 1_764_000_010_000, runID: "b")
        XCTAssertThrowsError(try ResultMerge.merge([("a.json", a), ("b.json", b)])) { error in
            XCTAssertEqual((error as? BarrageError)?.message,
                           "a.json iterations.duration_us: no histogram (hdr) in this file, so it cannot be merged exactly")
        }
    }
}
