import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// The report's latency distribution: log-spaced bins that hold every response, and an axis that never shows a lone
/// tick when the latencies span less than a decade.
final class HTMLDistributionTests: XCTestCase {
    private func result(_ latencies: [Int64]) -> RunResult {
        var rec = Recorder()
        for l in latencies {
            rec.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: l, status: 200, error: nil, complete: true))
        }
        let plan = RunPlan(concurrency: 1, requestLimit: latencies.count, durationMicros: nil,
                           targets: [RequestTarget(url: "http://127.0.0.1:1/")], timeoutMicros: 1_000_000,
                           connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        return RunResult(version: "t", plan: plan, recorder: rec, timeline: [], startedEpochMillis: 0,
                         durationMicros: 1_000_000, interrupted: false)
    }

    func testTheBinsHoldEveryResponse() {
        let latencies: [Int64] = (0..<500).map { 300 + Int64($0) * 97 }
        let bins = HTMLReport.distributionBins(result(latencies).latency_us)
        XCTAssertEqual(bins.reduce(0) { $0 + $1.2 }, 500)
        for (a, b) in zip(bins, bins.dropFirst()) { XCTAssertEqual(a.1, b.0, accuracy: 1e-6, "bins are contiguous") }
    }

    func testANarrowRangeStillHasSeveralTicks() {
        let panel = HTMLReport.distributionPanel(result((0..<150).map { 5_700 + Int64($0) * 80 }))
        let labels = panel.components(separatedBy: "ms</text>").count - 1
        XCTAssertGreaterThanOrEqual(labels, 3, panel)
    }
}
