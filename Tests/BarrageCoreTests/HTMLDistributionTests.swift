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

    func testTheConnectPhaseAndTheWarmupAreShadedOnTheTimeAxis() {
        var r = result((0..<50).map { 1_000 + Int64($0) * 10 })
        r.timeline = [TimelineEntry(t_s: 0, epoch_s: 0, requests: 50, ok: 50, failed: 0, dropped: 0, rps: 50, in_flight: 0,
                                    p50_us: 1_200, p99_us: 1_500, max_us: 1_500)]
        var phase = Recorder()
        phase.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 900, status: 200, error: nil, complete: true))
        r.connect_phase = RunResult.ConnectPhase(phase, durationMicros: 250_000, attemptsInFlight: 1)
        XCTAssertEqual(HTMLReport.timeDomain(r).lowerBound, -0.25, "the axis starts at the connect phase")
        XCTAssertEqual(HTMLReport.timelineBands(r).map(\.label), ["connect phase (not counted)"])
        let page = HTMLReport.render(r)
        XCTAssertTrue(page.contains("<title>connect phase (not counted)</title>"))
        XCTAssertTrue(page.contains("Shaded on the time charts, not counted: the connect phase (before 0 s)."))
        // A merge of several runs has no one connect phase to place: the axis starts at 0.
        r.merged = MergedRuns(runs: 2, clock: .shared, parts: [])
        XCTAssertEqual(HTMLReport.timeDomain(r).lowerBound, 0)
    }
}
