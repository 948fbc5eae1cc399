import XCTest
@testable import BarrageCore

/// `compare` on two flow results: iteration duration p50/p90/p99 and iteration rate as point changes, when both
/// results have iterations.
final class FlowCompareTests: XCTestCase {
    /// A flow result whose `count` completed iterations each took `durationMicros`, over 2 s.
    private func flow(count: Int, durationMicros: Int64) -> RunResult {
        FlowThresholdTests.flowResult(completed: Array(repeating: durationMicros, count: count))
    }

    func testIterationMetricsAreComparedWithTheirDirection() throws {
        let table: [(base: RunResult, new: RunResult, duration: Comparison.Verdict, rate: Comparison.Verdict)] = [
            (flow(count: 20, durationMicros: 100_000), flow(count: 20, durationMicros: 100_000), .withinNoise, .withinNoise),
            (flow(count: 20, durationMicros: 100_000), flow(count: 10, durationMicros: 200_000), .regression, .regression),
            (flow(count: 10, durationMicros: 200_000), flow(count: 20, durationMicros: 100_000), .improvement, .improvement),
            (flow(count: 20, durationMicros: 100_000), flow(count: 30, durationMicros: 150_000), .regression, .improvement),
        ]
        for (i, row) in table.enumerated() {
            let c = Compare.compare(base: row.base, new: row.new)
            let rows = try XCTUnwrap(c.iterations, "case \(i)")
            XCTAssertEqual(rows.map(\.metric.rawValue),
                           ["iteration_duration.p50", "iteration_duration.p90", "iteration_duration.p99", "iteration_rate"])
            for r in rows.dropLast() {
                XCTAssertEqual(r.verdict, row.duration, "case \(i) \(r.metric)")
                XCTAssertEqual(r.change, r.new - r.base)
            }
            let rate = try XCTUnwrap(rows.last)
            XCTAssertEqual(rate.verdict, row.rate, "case \(i)")
            XCTAssertEqual(rate.base, row.base.iterations?.rate)
            XCTAssertEqual(rate.new, row.new.iterations?.rate)
        }
        let c = Compare.compare(base: flow(count: 20, durationMicros: 100_000), new: flow(count: 10, durationMicros: 200_000))
        let p50 = try XCTUnwrap(c.iterations?.first)
        XCTAssertEqual(p50.relative_change ?? 0, 1, accuracy: 0.01)
        XCTAssertEqual(c.iterations?.last?.relative_change, -0.5, "10 → 5 iterations per second")
        XCTAssertTrue(c.gatesPassed, "iteration rows never gate")
    }

    func testWithoutIterationsInBothRunsNothingIsCompared() {
        let plain = ThresholdEvaluatorTests.result(latencies: [1_000])
        XCTAssertNil(Compare.compare(base: plain, new: plain).iterations)
        XCTAssertNil(Compare.compare(base: plain, new: flow(count: 2, durationMicros: 1_000)).iterations)
        XCTAssertNil(Compare.compare(base: flow(count: 2, durationMicros: 1_000), new: plain).iterations)
        XCTAssertFalse(Compare.compare(base: plain, new: plain).text().contains("Iterations"))
        let json = try? JSONSerialization.jsonObject(with: Compare.compare(base: plain, new: plain).jsonData()) as? [String: Any]
        XCTAssertNil(json?["iterations"], "absent, not null, for plain runs")
    }

    func testARunWithoutFinishedIterationsComparesOnlyTheRate() throws {
        let none = FlowThresholdTests.flowResult(interrupted: 3)
        let rows = try XCTUnwrap(Compare.compare(base: flow(count: 4, durationMicros: 1_000), new: none).iterations)
        XCTAssertEqual(rows.map(\.metric), [.iteration_rate])
        XCTAssertEqual(rows[0].verdict, .regression)
    }

    func testTextAndJSON() throws {
        let c = Compare.compare(base: flow(count: 20, durationMicros: 100_000), new: flow(count: 10, durationMicros: 200_000))
        let text = c.text()
        XCTAssertTrue(text.contains("  Iterations (point changes; noise unknown, not gated):\n"), text)
        let lines = text.components(separatedBy: "\n")
        let rate = try XCTUnwrap(lines.first { $0.hasPrefix("  iteration_rate") })
        XCTAssertTrue(rate.contains("10.0/s") && rate.contains("5.0/s") && rate.contains("-50.0%") && rate.hasSuffix("worse"), rate)
        let p99 = try XCTUnwrap(lines.first { $0.hasPrefix("  iteration_duration.p99") })
        XCTAssertTrue(p99.hasSuffix("worse"), p99)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: c.jsonData()) as? [String: Any])
        let rows = try XCTUnwrap(json["iterations"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 4)
        XCTAssertEqual(Set(rows[0].keys), ["metric", "base", "new", "change", "relative_change", "verdict"])
        XCTAssertEqual(rows[3]["metric"] as? String, "iteration_rate")
        XCTAssertEqual(try JSONDecoder().decode(Comparison.self, from: c.jsonData()), c)
    }
}
