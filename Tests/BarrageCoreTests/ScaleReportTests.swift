import XCTest
@testable import BarrageCore
import BarragePlanFixtures

final class ScaleReportTests: XCTestCase {
    /// A level with `rps` throughput and a mean latency of `meanMicros`.
    private func level(_ n: Int, rps: Double, meanMicros: Int64 = 50_000, failed: Int = 0) -> ScaleLevel {
        let plan = RunPlan(concurrency: n, requestLimit: nil, durationMicros: 1_000_000, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        var r = Recorder()
        let count = Int(rps.rounded()) - failed
        for _ in 0..<count {
            r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: meanMicros, status: 200, error: nil, complete: true))
        }
        for _ in 0..<failed {
            r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: meanMicros, status: 0, error: .timeout, complete: false))
        }
        let result = RunResult(version: "t", plan: plan, recorder: r, timeline: [], startedEpochMillis: 0,
                               durationMicros: 1_000_000, interrupted: false)
        return ScaleLevel(concurrency: n, result: result, inFlight: Double(n), connectionSetup: .empty)
    }

    func testSpeedupAndEfficiencyAreRelativeToTheBaseline() {
        let s = ScaleResult(version: "t", startedEpochMillis: 0, plan: plan([4, 1, 2]),
                            levels: [level(4, rps: 300), level(1, rps: 100), level(2, rps: 190)])
        XCTAssertEqual(s.levels.map(\.concurrency), [1, 2, 4], "sorted by level")
        XCTAssertEqual(s.levels.map(\.speedup), [1, 1.9, 3])
        XCTAssertEqual(s.levels[1].efficiency, 0.95, accuracy: 1e-9)
        XCTAssertEqual(s.levels[2].efficiency, 0.75, accuracy: 1e-9)
        XCTAssertTrue(s.notes.contains { $0.contains("at least 4") }, "fewer than 4 levels is said plainly")
    }

    func testLittlesLawFromThroughputAndMeanLatency() {
        let l = level(8, rps: 160, meanMicros: 50_000)
        XCTAssertEqual(l.littles_law_in_flight, 8, accuracy: 0.01)
    }

    func testUSLIsFittedAndTheKneeNamed() {
        // Throughput from a known USL curve: λ = 100, σ = 0.05, κ = 0.001.
        let ns = [1, 2, 4, 8, 16, 32, 64, 128]
        let levels = ns.map { level($0, rps: USL.throughput(concurrency: Double($0), lambda: 100, sigma: 0.05, kappa: 0.001)) }
        let s = ScaleResult(version: "t", startedEpochMillis: 0, plan: plan(ns), levels: levels)
        let fit = try! XCTUnwrap(s.usl)
        XCTAssertEqual(fit.lambda, 100, accuracy: 2)
        XCTAssertEqual(fit.sigma, 0.05, accuracy: 0.01)
        XCTAssertEqual(fit.kappa, 0.001, accuracy: 0.0003)
        XCTAssertGreaterThan(fit.r2, 0.99)
        XCTAssertNotNil(fit.peakConcurrency)
        // Efficiency first below 50 %: the first level where X(N)/(N·X(1)) < 0.5.
        let firstBelow = ns.first { USL.throughput(concurrency: Double($0), lambda: 100, sigma: 0.05, kappa: 0.001) / (Double($0) * 100) < 0.5 }
        XCTAssertEqual(s.knee, firstBelow)
        XCTAssertTrue(s.text.contains("predicted peak"))
        XCTAssertTrue(s.text.contains("knee: efficiency first falls below 50 %"))
    }

    func testJSONAndCSV() throws {
        let s = ScaleResult(version: "t", startedEpochMillis: 0, plan: plan([1, 2]), levels: [level(1, rps: 100), level(2, rps: 150, failed: 3)])
        let json = try JSONSerialization.jsonObject(with: try s.jsonData()) as! [String: Any]
        XCTAssertEqual(json["schema"] as? String, "barrage.scale.v1")
        XCTAssertTrue(json["usl"] is NSNull)
        XCTAssertTrue(json["knee"] is NSNull)
        let levels = json["levels"] as! [[String: Any]]
        for key in ["concurrency", "requests", "throughput", "latency_us", "service_time_us", "errors", "speedup", "efficiency"] {
            XCTAssertNotNil(levels[0][key], key)
        }
        let csv = s.csv.split(separator: "\n")
        XCTAssertEqual(csv.count, 3)
        XCTAssertTrue(csv[0].hasPrefix("concurrency,wall_us,requests,rps,speedup,efficiency,p50_us,p99_us,errors"))
        XCTAssertTrue(csv[2].hasPrefix("2,1000000,150,150.000,1.5000,0.7500,"))
        XCTAssertTrue(s.notes.contains { $0.contains("level 2: 3 failed") })
    }

    /// A level where every request was refused.
    private func deadLevel(_ n: Int, attempts: Int = 40) -> ScaleLevel {
        let plan = RunPlan(concurrency: n, requestLimit: nil, durationMicros: 1_000_000, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        var r = Recorder()
        for _ in 0..<attempts { r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 50, status: 0, error: .connect, complete: false)) }
        let result = RunResult(version: "t", plan: plan, recorder: r, timeline: [], startedEpochMillis: 0, durationMicros: 1_000_000, interrupted: false)
        return ScaleLevel(concurrency: n, result: result, inFlight: Double(n), connectionSetup: .empty)
    }

    func testALevelWithNoOkResponseIsMarkedAndLeftOutOfTheFit() throws {
        let live = [1, 2, 4, 8].map { level($0, rps: USL.throughput(concurrency: Double($0), lambda: 100, sigma: 0.05, kappa: 0.001)) }
        var p = plan([1, 2, 4, 8, 16])
        p.targets = [PlanRecord.Target(name: "default", url: "http://127.0.0.1:1/", method: "GET", headers: [], body_bytes: 0, weight: 1)]
        let s = ScaleResult(version: "t", startedEpochMillis: 0, plan: p, levels: live + [deadLevel(16, attempts: 90_000)])
        XCTAssertEqual(s.levels.map(\.no_ok_response), [false, false, false, false, true])
        XCTAssertTrue(s.notes.contains("level 16: no ok response: every request failed to connect to 127.0.0.1:1 (left out of the fit)"), "\(s.notes)")
        XCTAssertFalse(s.notes.contains { $0.hasPrefix("level 16: 90000 failed") })
        // The fit sees the four measured levels only: the dead level's 90,000 attempts/s would otherwise dominate it.
        let fit = try XCTUnwrap(s.usl)
        XCTAssertEqual(fit.lambda, 100, accuracy: 1)
        XCTAssertTrue(s.text.contains("   16 ✗"), s.text)
        XCTAssertTrue(s.text.contains("✗: no ok response at that level"), s.text)
        XCTAssertTrue(HTMLReport.render(scale: s).contains(">16 ✗</td>"), "the HTML table marks it too")
        let allDead = ScaleResult(version: "t", startedEpochMillis: 0, plan: p, levels: [deadLevel(1), deadLevel(2)])
        XCTAssertTrue(HTMLReport.render(scale: allDead).contains(">NO OK RESPONSE<"))

        let json = try JSONSerialization.jsonObject(with: try s.jsonData()) as! [String: Any]
        let levels = json["levels"] as! [[String: Any]]
        XCTAssertEqual(levels.map { $0["no_ok_response"] as? Bool }, [false, false, false, false, true])
        XCTAssertEqual(try JSONDecoder().decode(ScaleResult.self, from: try s.jsonData()), s)
    }

    func testAScaleFileWithoutTheMarkStillLoads() throws {
        let s = ScaleResult(version: "t", startedEpochMillis: 0, plan: plan([1, 2]), levels: [level(1, rps: 100), level(2, rps: 150)])
        var json = try JSONSerialization.jsonObject(with: try s.jsonData()) as! [String: Any]
        json["levels"] = (json["levels"] as! [[String: Any]]).map { var l = $0; l.removeValue(forKey: "no_ok_response"); return l }
        let older = try JSONSerialization.data(withJSONObject: json)
        let decoded = try JSONDecoder().decode(ScaleResult.self, from: older)
        XCTAssertEqual(decoded.levels.map(\.no_ok_response), [false, false])
        XCTAssertEqual(decoded, s)
    }

    private func plan(_ levels: [Int]) -> ScaleResult.Plan {
        ScaleResult.Plan(levels: levels, requests_per_level: nil, duration_per_level_us: 1_000_000, targets: [],
                         timeout_us: 1_000_000, threads: 1)
    }
}
