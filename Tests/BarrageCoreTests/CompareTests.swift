import XCTest
@testable import BarrageCore
import BarragePlanFixtures

final class CompareTests: XCTestCase {
    // MARK: Synthetic runs

    /// Deterministic pseudo-noise in [-1, 1] (a 64-bit LCG), independent of the code under test.
    private struct Noise {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(UInt64(1) << 53) * 2 - 1
        }
    }

    /// What a synthetic run's seconds are drawn around: underlying values and relative noise.
    private struct Shape {
        var seconds = 30
        var rps = 1_000.0
        var rpsNoise = 0.03
        var errorRate = 0.0
        var p50Micros = 40_000.0
        var p99Micros = 100_000.0
        var latencyNoise = 0.05
        var concurrency = 50
        var durationMicros: Int64 = 30_000_000
        var url = "http://127.0.0.1:8080/"
    }

    /// A run built through the public initializer, then given a hand-built timeline and whole-run numbers derived from
    /// it (so that the whole-run p99 is the mean of the per-second p99s, p90 is 80 % of it, p99.9 150 %).
    private func run(_ shape: Shape, seed: UInt64) -> RunResult {
        var noise = Noise(state: seed)
        let plan = RunPlan(concurrency: shape.concurrency, requestLimit: nil, durationMicros: shape.durationMicros,
                           targets: [RequestTarget(url: shape.url)], timeoutMicros: 5_000_000,
                           connectTimeoutMicros: 1_000_000, threads: 2, keepAlive: true)
        var timeline: [TimelineEntry] = []
        for s in 0..<shape.seconds {
            let requests = Int((shape.rps * (1 + shape.rpsNoise * noise.next())).rounded())
            let failed = Swift.max(0, Int((Double(requests) * shape.errorRate * (1 + 0.3 * noise.next())).rounded()))
            let p50 = Int64((shape.p50Micros * (1 + shape.latencyNoise * noise.next())).rounded())
            let p99 = Int64((shape.p99Micros * (1 + shape.latencyNoise * noise.next())).rounded())
            timeline.append(TimelineEntry(t_s: s, epoch_s: Double(s), requests: requests, ok: requests - failed, failed: failed,
                                          dropped: 0, rps: Double(requests), in_flight: shape.concurrency,
                                          p50_us: p50, p99_us: p99, max_us: p99 * 2))
        }
        var r = RunResult(version: "test", plan: plan, recorder: Recorder(), timeline: timeline, startedEpochMillis: 0,
                          durationMicros: Int64(shape.seconds) * 1_000_000, interrupted: false)
        let ok = timeline.reduce(0) { $0 + $1.ok }, failed = timeline.reduce(0) { $0 + $1.failed }
        r.requests = RunResult.Requests(total: ok + failed, ok: ok, failed: failed, dropped: 0)
        r.throughput.rps = Double(ok + failed) / Double(shape.seconds)
        func mean(_ f: (TimelineEntry) -> Int64) -> Int64 {
            timeline.isEmpty ? 0 : Int64((Double(timeline.reduce(0) { $0 + f($1) }) / Double(timeline.count)).rounded())
        }
        let p50 = mean(\.p50_us), p99 = mean(\.p99_us)
        r.latency_us = HistogramSummary(count: ok, min: p50 / 4, mean: p50 * 11 / 10, stdev: p50 / 2,
                                        max: timeline.map(\.max_us).max() ?? 0, p50: p50, p75: (p50 + p99) / 2,
                                        p90: p99 * 8 / 10, p95: p99 * 9 / 10, p99: p99, p99_9: p99 * 3 / 2, p99_99: p99 * 2)
        return r
    }

    private func gate(_ text: String) -> Compare.Gate { try! Compare.parseGate(text) }

    // MARK: Verdicts and gates

    func testA20PercentP99RegressionIsCaughtAndFailsItsGate() throws {
        let base = run(Shape(), seed: 1)
        let new = run(Shape(p99Micros: 120_000), seed: 2)
        let c = Compare.compare(base: base, new: new, gates: [gate("p99=10%"), gate("p99=25%")])
        let p99 = try XCTUnwrap(c[.p99])
        XCTAssertEqual(p99.verdict, .regression)
        XCTAssertFalse(p99.noise_unknown)
        XCTAssertEqual(try XCTUnwrap(p99.relative_change), 0.2, accuracy: 0.02)
        let low = try XCTUnwrap(p99.ci_low), high = try XCTUnwrap(p99.ci_high)
        XCTAssertTrue(low > 0 && low <= p99.change && p99.change <= high, "the interval surrounds the change, clear of 0")
        XCTAssertLessThan(Swift.abs(try XCTUnwrap(c[.p50]?.relative_change)), 0.03, "p50 did not move")
        XCTAssertEqual(c[.rps]?.verdict, .withinNoise, "throughput did not move")
        XCTAssertFalse(c.gates[0].ok, c.gates[0].message)
        XCTAssertTrue(c.gates[0].message.contains("regression beyond the 10% limit"), c.gates[0].message)
        XCTAssertTrue(c.gates[1].ok, "a 20 % rise is within a 25 % limit")
        XCTAssertFalse(c.gatesPassed)
    }

    func testNoisyRunsWithEqualMeansAreWithinNoiseAndPass() throws {
        let noisy = Shape(rpsNoise: 0.2, errorRate: 0.01, latencyNoise: 0.3)
        let c = Compare.compare(base: run(noisy, seed: 11), new: run(noisy, seed: 12),
                                gates: [gate("p99=10%"), gate("rps=5%"), gate("error_rate=0.5pp")])
        for metric in [Compare.Metric.rps, .error_rate, .p50, .p99] {
            XCTAssertEqual(c[metric]?.verdict, .withinNoise, "\(metric)")
        }
        XCTAssertTrue(c.gatesPassed, c.gates.map(\.message).joined(separator: "; "))
    }

    func testARiseBeyondTheLimitButWithinNoisePasses() throws {
        // p99 up 3 % in 30 % per-second noise: beyond a 1 % limit, but not distinguishable from noise.
        let c = Compare.compare(base: run(Shape(latencyNoise: 0.3), seed: 21),
                                new: run(Shape(p99Micros: 103_000, latencyNoise: 0.3), seed: 22), gates: [gate("p99=1%")])
        let p99 = try XCTUnwrap(c[.p99])
        XCTAssertGreaterThan(try XCTUnwrap(p99.relative_change), 0.01)
        XCTAssertEqual(p99.verdict, .withinNoise)
        XCTAssertTrue(c.gates[0].ok)
        XCTAssertTrue(c.gates[0].message.contains("exceeds the 1% limit but is within noise"), c.gates[0].message)
    }

    func testATenPercentRpsDropFailsAFivePercentGate() throws {
        let c = Compare.compare(base: run(Shape(), seed: 3), new: run(Shape(rps: 900), seed: 4),
                                gates: [gate("rps=5%"), gate("rps=15%")])
        let rps = try XCTUnwrap(c[.rps])
        XCTAssertEqual(rps.verdict, .regression, "lower throughput is worse")
        XCTAssertEqual(try XCTUnwrap(rps.relative_change), -0.1, accuracy: 0.01)
        XCTAssertLessThan(try XCTUnwrap(rps.ci_high), 0)
        XCTAssertFalse(c.gates[0].ok)
        XCTAssertTrue(c.gates[1].ok)
    }

    func testOnePointMoreErrorsFailsAHalfPointGate() throws {
        let c = Compare.compare(base: run(Shape(errorRate: 0.005), seed: 5), new: run(Shape(errorRate: 0.015), seed: 6),
                                gates: [gate("error_rate=0.5pp"), gate("error_rate=2pp"), gate("error_rate=50%")])
        let errors = try XCTUnwrap(c[.error_rate])
        XCTAssertEqual(errors.change, 0.01, accuracy: 0.001)
        XCTAssertEqual(errors.verdict, .regression)
        XCTAssertEqual(c.gates.map(\.ok), [false, true, false], "+1pp fails 0.5pp, passes 2pp; +200 % fails 50 %")
        XCTAssertTrue(c.gates[0].message.hasPrefix("error_rate +1."), c.gates[0].message)
    }

    func testAnImprovementNeverFailsAGate() throws {
        let base = run(Shape(rps: 1_000, errorRate: 0.015, p99Micros: 100_000), seed: 7)
        let new = run(Shape(rps: 1_200, errorRate: 0.005, p99Micros: 80_000), seed: 8)
        let gates = ["p99=0%", "p90=0%", "rps=0%", "error_rate=0pp", "error_rate=0%", "max=0%", "mean=0%"].map(gate)
        let c = Compare.compare(base: base, new: new, gates: gates)
        for metric in [Compare.Metric.rps, .error_rate, .p99, .p90, .max] {
            XCTAssertEqual(c[metric]?.verdict, .improvement, "\(metric)")
        }
        XCTAssertTrue(c.gatesPassed, c.gates.filter { !$0.ok }.map(\.message).joined(separator: "; "))
        // The same runs the other way round are regressions and fail every gate on a metric that moved (the
        // synthetic mean follows p50, which did not).
        let back = Compare.compare(base: new, new: base, gates: gates)
        XCTAssertEqual(back.gates.filter { !$0.ok }.map(\.spec), ["p99=0%", "p90=0%", "rps=0%", "error_rate=0pp", "error_rate=0%", "max=0%"])
    }

    func testFewerThanThreeSecondsLeavesTheNoiseUnknown() throws {
        let c = Compare.compare(base: run(Shape(seconds: 2), seed: 9), new: run(Shape(seconds: 2, p99Micros: 120_000), seed: 10),
                                gates: [gate("p99=10%")])
        for row in c.metrics {
            XCTAssertTrue(row.noise_unknown, "\(row.metric)")
            XCTAssertNil(row.ci_low)
            XCTAssertNil(row.ci_high)
        }
        XCTAssertEqual(c[.p99]?.verdict, .regression, "decided on the point change alone")
        XCTAssertFalse(c.gates[0].ok)
        XCTAssertTrue(c.gates[0].message.contains("(noise unknown)"))
        XCTAssertTrue(c.warnings.contains { $0.contains("base run's timeline has 2 seconds") && $0.contains("noise unknown") }, "\(c.warnings)")
        XCTAssertTrue(c.text().contains("regression (noise unknown)"))

        let same = run(Shape(seconds: 1), seed: 9)
        XCTAssertEqual(Compare.compare(base: same, new: same)[.p99]?.verdict, .withinNoise, "no change is within noise")
    }

    func testSecondsWithoutLatencyDoNotCountForLatencyNoise() throws {
        var base = run(Shape(seconds: 5), seed: 13)
        for i in 2..<5 { base.timeline[i].p50_us = 0; base.timeline[i].p99_us = 0; base.timeline[i].max_us = 0 }
        let c = Compare.compare(base: base, new: run(Shape(seconds: 5), seed: 14))
        XCTAssertFalse(try XCTUnwrap(c[.rps]).noise_unknown)
        XCTAssertTrue(try XCTUnwrap(c[.p99]).noise_unknown, "only 2 of base's seconds carry a latency")
        XCTAssertTrue(c.warnings.contains { $0.contains("2 seconds with latencies") }, "\(c.warnings)")
    }

    func testZeroBaseHasNoRelativeChange() throws {
        let c = Compare.compare(base: run(Shape(), seed: 15), new: run(Shape(errorRate: 0.02), seed: 16),
                                gates: [gate("error_rate=10%")])
        let errors = try XCTUnwrap(c[.error_rate])
        XCTAssertEqual(errors.base, 0)
        XCTAssertNil(errors.relative_change)
        XCTAssertFalse(c.gates[0].ok, "from 0 to anything is beyond any relative limit")
        XCTAssertTrue(c.gates[0].message.contains("from 0 to"), c.gates[0].message)
    }

    // MARK: Bootstrap

    func testBootstrapIsDeterministic() throws {
        let base = run(Shape(latencyNoise: 0.2), seed: 17), new = run(Shape(latencyNoise: 0.2), seed: 18)
        let a = Compare.compare(base: base, new: new), b = Compare.compare(base: base, new: new)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a[.p99]?.ci_low, b[.p99]?.ci_low)
        let other = Compare.compare(base: base, new: new, seed: 43)
        XCTAssertNotEqual(a[.p99]?.ci_low, other[.p99]?.ci_low, "the seed drives the resampling")
        let lowA = try XCTUnwrap(a[.p99]?.ci_low), lowO = try XCTUnwrap(other[.p99]?.ci_low)
        XCTAssertEqual(lowA, lowO, accuracy: Swift.abs(lowA) * 0.2 + 500, "but not the answer")
    }

    func testTheBootstrapGeneratorMatchesTheReference() {
        // splitmix64.c (Vigna) seeded with 0 starts 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4: intervals depend on this stream.
        var rng = SplitMix64(seed: 0)
        XCTAssertEqual(rng.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(rng.next(), 0x6E78_9E6A_A1B9_65F4)
        var r = SplitMix64(seed: 42)
        XCTAssertTrue((0..<1_000).allSatisfy { _ in (0..<7).contains(Compare.index(below: 7, &r)) })
    }

    func testQuantileInterpolates() {
        XCTAssertEqual(Compare.quantile([1, 2, 3, 4, 5], 0.5), 3)
        XCTAssertEqual(Compare.quantile([0, 10], 0.25), 2.5)
        XCTAssertEqual(Compare.quantile([7], 0.975), 7)
    }

    // MARK: Gate parsing

    func testGatesParse() throws {
        let p99 = try Compare.parseGate("p99=10%")
        XCTAssertEqual(p99.metric, .p99)
        XCTAssertEqual(p99.limit, .relative(0.1))
        XCTAssertEqual(p99.limitText, "10%")
        XCTAssertEqual(try Compare.parseGate("rps=5%").limit, .relative(0.05))
        let errors = try Compare.parseGate(" error_rate = 0.5pp ")
        XCTAssertEqual(errors.limit, .percentagePoints(0.5))
        XCTAssertEqual(errors.spec, "error_rate = 0.5pp")
        XCTAssertEqual(errors.limitText, "0.5pp")
        XCTAssertEqual(try Compare.parseGate("p99.9=12.5%").metric, .p99_9)
        XCTAssertEqual(try Compare.parseGate("error_rate=20%").limit, .relative(0.2))
        for name in ["rps", "error_rate", "mean", "p50", "p90", "p99", "p99.9", "max"] {
            XCTAssertNoThrow(try Compare.parseGate("\(name)=1%"), name)
        }
    }

    func testGateParseErrorsNameTheText() {
        let bad = ["p99", "p98=10%", "=10%", "p99=10", "p99=0.5pp", "p99=-5%", "p99=abc%", "p99=%", "p99=10%%",
                   "p99=.5%", "p99=1e3%", "error_rate=101pp", "p99=10 %x"]
        for text in bad {
            XCTAssertThrowsError(try Compare.parseGate(text), text) { error in
                let e = error as? BarrageError
                XCTAssertEqual(e?.status, .usage, text)
                XCTAssertTrue(e?.message.contains(text) ?? false, "\(text): \(e?.message ?? "")")
            }
        }
        XCTAssertThrowsError(try Compare.parseGate("p98=10%")) { error in
            XCTAssertTrue("\(error)".contains("unknown metric p98"), "\(error)")
            XCTAssertTrue("\(error)".contains("p99.9"), "lists the metrics: \(error)")
        }
        XCTAssertThrowsError(try Compare.parseGate("p99=1pp")) { error in
            XCTAssertTrue("\(error)".contains("error_rate only"), "\(error)")
        }
    }

    // MARK: Warnings

    func testPlanDifferencesAreWarnedNotRefused() throws {
        let base = run(Shape(), seed: 19)
        let new = run(Shape(concurrency: 100, durationMicros: 60_000_000, url: "http://127.0.0.1:9090/"), seed: 20)
        let c = Compare.compare(base: base, new: new)
        XCTAssertEqual(c.metrics.count, 8, "still compared")
        let plan = c.warnings.filter { $0.hasPrefix("plans differ") }
        XCTAssertTrue(plan.contains("plans differ: concurrency 50 → 100"), "\(plan)")
        XCTAssertTrue(plan.contains("plans differ: duration_us 30.0s → 1m00s"), "\(plan)")
        XCTAssertTrue(plan.contains("plans differ: targets[0].url http://127.0.0.1:8080/ → http://127.0.0.1:9090/"), "\(plan)")
        XCTAssertFalse(plan.contains { $0.contains("stages") }, "stages repeat concurrency and duration: \(plan)")

        XCTAssertTrue(Compare.compare(base: base, new: run(Shape(), seed: 21)).warnings.isEmpty, "same plan, no warnings")

        var interrupted = new
        interrupted.interrupted = true
        interrupted.barrage_version = "other"
        let w = Compare.compare(base: base, new: interrupted).warnings
        XCTAssertTrue(w.contains { $0.contains("new run was interrupted") }, "\(w)")
        XCTAssertTrue(w.contains { $0.contains("different Barrage versions (test → other)") }, "\(w)")
    }

    // MARK: Loading

    func testLoadRefusesOtherSchemas() throws {
        let good = try run(Shape(seconds: 3), seed: 23).jsonData()
        XCTAssertEqual(try ResultFile.run(good, name: "base.json").timeline.count, 3)

        var object = try JSONSerialization.jsonObject(with: good) as! [String: Any]
        object["schema"] = "barrage.scale.v1"
        let scale = try JSONSerialization.data(withJSONObject: object)
        object.removeValue(forKey: "schema")
        let none = try JSONSerialization.data(withJSONObject: object)
        object["schema"] = RunResult.schemaID
        object.removeValue(forKey: "latency_us")
        let partial = try JSONSerialization.data(withJSONObject: object)

        let cases: [(Data, String)] = [
            (scale, "new.json: not a barrage.result.v1 file (schema barrage.scale.v1)"),
            (none, "new.json: not a barrage.result.v1 file (no schema)"),
            (Data("{ nope".utf8), "new.json: not a barrage.result.v1 file (invalid JSON)"),
            (Data("[1]".utf8), "new.json: not a barrage.result.v1 file (not a JSON object)"),
            (partial, "new.json: not a barrage.result.v1 file (missing latency_us)"),
        ]
        for (data, message) in cases {
            XCTAssertThrowsError(try ResultFile.run(data, name: "new.json")) { error in
                XCTAssertEqual((error as? BarrageError)?.status, .usage)
                XCTAssertEqual((error as? BarrageError)?.message, message)
            }
        }
    }

    // MARK: Output

    func testJSONKeys() throws {
        let c = Compare.compare(base: run(Shape(seconds: 2), seed: 24), new: run(Shape(seconds: 2, p99Micros: 120_000), seed: 25),
                                gates: [gate("p99=10%")])
        let json = try JSONSerialization.jsonObject(with: try c.jsonData()) as! [String: Any]
        XCTAssertEqual(json["schema"] as? String, "barrage.compare.v1")
        let metrics = try XCTUnwrap(json["metrics"] as? [[String: Any]])
        XCTAssertEqual(metrics.map { $0["metric"] as? String }, ["rps", "error_rate", "mean", "p50", "p90", "p99", "p99.9", "max"])
        XCTAssertEqual(Set(metrics[0].keys), ["metric", "base", "new", "change", "relative_change", "ci_low", "ci_high", "verdict", "noise_unknown"])
        XCTAssertTrue(metrics[0]["ci_low"] is NSNull, "unknown intervals are explicit nulls")
        XCTAssertEqual(metrics[5]["verdict"] as? String, "regression")
        let gates = try XCTUnwrap(json["gates"] as? [[String: Any]])
        XCTAssertEqual(Set(gates[0].keys), ["spec", "metric", "limit", "ok", "message"])
        XCTAssertEqual(gates[0]["limit"] as? String, "10%")
        XCTAssertNotNil(json["warnings"] as? [String])
        XCTAssertEqual(try JSONDecoder().decode(Comparison.self, from: c.jsonData()), c, "round-trips")

        let quiet = Compare.compare(base: run(Shape(latencyNoise: 0.3), seed: 26), new: run(Shape(latencyNoise: 0.3), seed: 27))
        XCTAssertTrue(String(decoding: try quiet.jsonData(), as: UTF8.self).contains("\"within noise\""))
    }

    func testTextTableIsAligned() throws {
        let c = Compare.compare(base: run(Shape(errorRate: 0.005), seed: 28), new: run(Shape(errorRate: 0.015, p99Micros: 120_000), seed: 29),
                                gates: [gate("p99=10%"), gate("rps=5%")])
        let text = c.text(baseName: "main.json", newName: "pr.json")
        XCTAssertTrue(text.hasPrefix("Compare main.json → pr.json\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try XCTUnwrap(lines.first { $0.hasPrefix("  metric") })
        for column in ["base", "new", "change", "rel", "95% CI", "verdict"] { XCTAssertTrue(header.contains(column), column) }
        let verdictColumn = header.distance(from: header.startIndex, to: header.range(of: "verdict")!.lowerBound)
        let rows = lines.filter { line in Compare.Metric.allCases.contains { line.hasPrefix("  \($0.rawValue) ") } }
        XCTAssertEqual(rows.count, 8)
        for row in rows {
            let verdict = row.dropFirst(verdictColumn)
            XCTAssertTrue(["regression", "improvement", "within noise"].contains { verdict.hasPrefix($0) }, row)
        }
        let p99 = try XCTUnwrap(rows.first { $0.hasPrefix("  p99 ") })
        XCTAssertTrue(p99.contains("ms"), p99)
        XCTAssertTrue(p99.contains("+20.") && p99.contains("regression"), p99)
        let errors = try XCTUnwrap(rows.first { $0.hasPrefix("  error_rate") })
        XCTAssertTrue(errors.contains("%") && errors.contains("pp"), errors)
        XCTAssertTrue(text.contains("  FAIL  p99=10%: p99 +"), text)
        XCTAssertTrue(text.contains("  PASS  rps=5%"), text)
    }
}

final class ComparePerTargetTests: XCTestCase {
    private func result(p99: Int64, targetLatency: Int64) -> RunResult {
        var plan = RunPlan(concurrency: 2, requestLimit: nil, durationMicros: 1_000_000,
                           targets: [RequestTarget(name: "home", url: "http://127.0.0.1:1/"), RequestTarget(name: "search", url: "http://127.0.0.1:1/s")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        plan.workload.seed = 1
        var home = Recorder(), search = Recorder(), all = Recorder()
        for i in 0..<100 {
            let o = RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: i % 2 == 0 ? p99 : targetLatency, status: 200, error: nil, complete: true)
            all.record(o)
            if i % 2 == 0 { home.record(o) } else { search.record(o) }
        }
        var r = RunResult(version: "t", plan: plan, recorder: all, timeline: [], startedEpochMillis: 0, durationMicros: 1_000_000, interrupted: false)
        r.addSections(plan: plan, targets: [home, search], stages: [], warmup: nil, runMicros: 1_000_000)
        return r
    }

    func testTargetsPresentInBothRunsGetRows() throws {
        let c = Compare.compare(base: result(p99: 1_000, targetLatency: 2_000), new: result(p99: 1_000, targetLatency: 4_000))
        XCTAssertEqual(Set(c.targets.keys), ["home", "search"])
        let search = try XCTUnwrap(c.targets["search"]?.first { $0.metric == .p99 })
        XCTAssertEqual(search.verdict, .regression)
        XCTAssertTrue(search.noise_unknown)
        XCTAssertEqual(c.targets["home"]?.first { $0.metric == .p99 }?.verdict, .withinNoise)
        XCTAssertTrue(c.text().contains("Per target"))
    }
}
