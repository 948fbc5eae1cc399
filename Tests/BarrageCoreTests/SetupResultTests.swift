import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// The result's `setup` section: round trips, results without it still load, and `merge` adds segments' setups
/// exactly (counts, and latencies through their histograms).
final class SetupResultTests: XCTestCase {
    private func recorder(okMicros: [Int64], failed: Int = 0) -> Recorder {
        var r = Recorder()
        for d in okMicros {
            r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: d, status: 200, error: nil, complete: true,
                                    bytesIn: 10, bytesOut: 5, connection: .new))
        }
        for _ in 0..<failed {
            r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 100, status: 401, error: .status, complete: true,
                                    bytesIn: 10, bytesOut: 5, connection: .new))
        }
        return r
    }

    private func result(setup: RunResult.Setup?) -> RunResult {
        let plan = RunPlan(concurrency: 1, requestLimit: 1, durationMicros: nil,
                           targets: [RequestTarget(url: "http://127.0.0.1:1/")], timeoutMicros: 1_000_000,
                           connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        var r = RunResult(version: "test", plan: plan, recorder: recorder(okMicros: [500]), timeline: [],
                          startedEpochMillis: 1_764_094_369_123, durationMicros: 1_000, interrupted: false)
        r.setup = setup
        return r
    }

    private func setup(_ micros: [Int64], failed: Int = 0, error: String? = nil) -> RunResult.Setup {
        let login = RunResult.Setup.Step(recorder(okMicros: micros, failed: failed))
        return RunResult.Setup(requests: login.requests, ok: login.ok, failed: login.failed, duration_us: micros.reduce(0, +) + 100,
                               steps: ["login": login], captured: failed == 0 ? ["token"] : [], error: error)
    }

    func testRoundTripsAndOlderResultsLoad() throws {
        let with = result(setup: setup([1_000]))
        XCTAssertEqual(try RunResult.decode(try with.jsonData()), with)
        let json = try JSONSerialization.jsonObject(with: try with.jsonData()) as! [String: Any]
        let section = try XCTUnwrap(json["setup"] as? [String: Any])
        XCTAssertEqual(Set(section.keys), ["requests", "ok", "failed", "duration_us", "steps", "captured"])
        XCTAssertEqual(section["captured"] as? [String], ["token"])
        // Without a setup the key is absent, and a file without it loads with none.
        let without = result(setup: nil)
        let text = String(decoding: try without.jsonData(), as: UTF8.self)
        XCTAssertFalse(text.contains("\"setup\""))
        XCTAssertNil(try RunResult.decode(Data(text.utf8)).setup)
    }

    func testMergeAddsTheSegmentsSetups() throws {
        let a = setup([1_000]), b = setup([3_000], failed: 1, error: "setup step 'login' failed: status 401, expected 2xx or 3xx")
        let merged = try XCTUnwrap(RunResult.Setup.merged([("a", a), ("b", b), ("c", nil)]))
        XCTAssertEqual([merged.requests, merged.ok, merged.failed], [3, 2, 1])
        XCTAssertEqual(merged.duration_us, 3_100, "the longest segment's")
        XCTAssertEqual(merged.captured, ["token"])
        XCTAssertEqual(merged.error, b.error)
        let login = try XCTUnwrap(merged.steps["login"])
        XCTAssertEqual([login.requests, login.ok, login.failed], [3, 2, 1])
        XCTAssertEqual(login.latency_us.count, 3, "every complete response's latency, from the histograms")
        XCTAssertTrue(abs(login.latency_us.max - 3_000) <= 10, "\(login.latency_us.max)")
        XCTAssertNil(try RunResult.Setup.merged([("a", nil)]))
    }
}
