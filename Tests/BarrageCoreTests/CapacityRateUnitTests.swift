import XCTest
@testable import BarrageCore

/// A capacity search on a flow offers and measures iterations per second, not requests: every printed rate (progress
/// line, answer, Markdown, JUnit case, HTML, charts, reasons) names the unit the document's `rate_unit` records. A URL's
/// search reads exactly as before.
final class CapacityRateUnitTests: XCTestCase {
    private func flowPlan() throws -> RunPlan {
        let profile = try ProfileLoader.parse(text: """
        scenarios:
          browse:
            load: { model: open, max_in_flight: 30, stages: [ { duration: 10s, rate: 10 } ] }
            flow:
              - { name: list, url: "http://127.0.0.1:1/a" }
              - { name: item, url: "http://127.0.0.1:1/b" }
        """, path: "flow.yaml", variables: [:], environment: [:])
        return try PlanBuilder.build(PlanInputs(source: .profile(profile, override: LoadOverride(), given: []), threads: 1))
    }

    private func scenariosPlan() throws -> RunPlan {
        let profile = try ProfileLoader.parse(text: """
        scenarios:
          browse:
            load: { model: open, max_in_flight: 30, stages: [ { duration: 10s, rate: 10 } ] }
            flow: [ { name: item, url: "http://127.0.0.1:1/a" } ]
          checkout:
            load: { model: closed, start_concurrency: 1, stages: [ { duration: 10s, concurrency: 1 } ] }
            flow: [ { name: pay, url: "http://127.0.0.1:1/c" } ]
        """, path: "shop.yaml", variables: [:], environment: [:])
        return try PlanBuilder.build(PlanInputs(source: .profile(profile, override: LoadOverride(), given: []), threads: 1))
    }

    func testTheUnitComesFromWhatTheStepRateDrives() throws {
        let url = RunPlan(concurrency: 2, requestLimit: nil, durationMicros: 1_000_000, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                          timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        XCTAssertEqual(CapacityLoad.rateUnit(url), .requests)
        XCTAssertEqual(CapacityLoad.rateUnit(try flowPlan()), .iterations)
        XCTAssertEqual(CapacityLoad.rateUnit(try scenariosPlan()), .iterations, "every open-model scenario is a flow")
        XCTAssertEqual(CapacityResult.RateUnit.requests.perSecond, "req/s")
        XCTAssertEqual(CapacityResult.RateUnit.iterations.perSecond, "iterations/s")
        XCTAssertEqual(CapacityResult.RateUnit.mixed.perSecond, "arrivals/s")
    }

    /// 100 ok requests over 1 s, and 40 finished iterations of a flow.
    private func record(_ index: Int, _ rate: Double, _ verdict: CapacitySearch.StepVerdict, flow: Bool) -> CapacityStepRecord {
        var r = Recorder()
        for i in 0..<100 {
            r.record(RequestOutcome(dueMicros: Int64(i) * 1_000, sentMicros: Int64(i) * 1_000, doneMicros: Int64(i) * 1_000 + 5_000,
                                    status: 200, error: nil, complete: true))
        }
        let plan = RunPlan(concurrency: 2, requestLimit: nil, durationMicros: 1_000_000, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        var result = RunResult(version: "test", plan: plan, recorder: r, timeline: [], startedEpochMillis: 0, durationMicros: 1_000_000,
                               interrupted: false)
        if flow {
            var it = IterationRecorder()
            for i in 0..<40 { it.record(.completed, durationMicros: 20_000 + Int64(i), thinkMicros: 0) }
            result.iterations = RunResult.Iterations(scenario: "flow", it, durationMicros: 1_000_000)
        }
        return CapacityStepRecord(index: index, phase: .grow, offeredRPS: rate, result: result, inFlightMean: 0.5, verdict: verdict,
                                  reasons: [], endedEarly: false, maxInFlight: 16)
    }

    private func document(unit: CapacityResult.RateUnit?) -> CapacityResult {
        var search = CapacitySearch(CapacitySearch.Settings(fromRPS: 40, maxRPS: 1_000, precision: 0.5))
        var steps: [CapacityStepRecord] = []
        for pass in [true, false, true, true] {
            guard let request = search.next() else { break }
            search.record(CapacitySearch.StepOutcome(verdict: pass ? .pass : .fail))
            steps.append(record(request.index, request.rateRPS, search.records.last!.verdict, flow: unit == .iterations))
        }
        XCTAssertNil(search.next(), "40 held, 80 failed, 60 held and was confirmed")
        if let unit {
            return CapacityResult(version: "0.1.0", startedEpochMillis: 0, runID: nil, target: "flow.yaml", slos: ["p99 < 1s"],
                                  settings: search.settings, minRate: 50, search: search, steps: steps, interrupted: false, rateUnit: unit)
        }
        return CapacityResult(version: "0.1.0", startedEpochMillis: 0, runID: nil, target: "flow.yaml", slos: ["p99 < 1s"],
                              settings: search.settings, minRate: 50, search: search, steps: steps, interrupted: false)
    }

    func testAFlowsProgressLineSaysIterationsPerSecond() {
        let s = record(1, 40, .pass, flow: true)
        XCTAssertEqual(s.achieved_rps, 40, "a flow's achieved rate is of iterations")
        XCTAssertTrue(CapacityReport.progressLine(s, unit: .iterations).hasPrefix("step 1 grow: offered 40 iterations/s, achieved 40.0 iterations/s, p99 "),
                      CapacityReport.progressLine(s, unit: .iterations))
        XCTAssertTrue(CapacityReport.progressLine(record(1, 100, .pass, flow: false)).hasPrefix("step 1 grow: offered 100 req/s, achieved 100.0 req/s, p99 "),
                      "a URL's line is unchanged")
    }

    func testEveryRateOfAFlowsSearchNamesIterations() throws {
        let doc = document(unit: .iterations)
        XCTAssertEqual(doc.verdict, .found)
        let outputs = [CapacityReport.answer(doc), CapacityReport.markdown(doc, minRate: 50), CapacityReport.minRateCase(doc, minRate: 50).name,
                       CapacityReport.minRateCase(doc, minRate: 50).message, CapacityReport.html(doc),
                       CapacityFigure.hockeyStickSVG(doc.figureInput), CapacityFigure.offeredAchievedSVG(doc.figureInput),
                       CapacityFigure.terminal(doc.figureInput, width: 100).joined(separator: "\n")]
        for text in outputs {
            XCTAssertFalse(text.contains("req/s"), text)
            XCTAssertTrue(text.contains("iterations/s"), text)
        }
        XCTAssertTrue(CapacityReport.answer(doc).hasPrefix("capacity: 60 iterations/s within p99 < 1s (held at 60 iterations/s"), CapacityReport.answer(doc))
        XCTAssertTrue(CapacityReport.markdown(doc, minRate: nil).contains("| Step | Phase | Offered iterations/s | Achieved iterations/s |"))

        let requests = document(unit: nil)
        XCTAssertEqual(requests.rateUnit, .requests, "the default")
        XCTAssertTrue(CapacityReport.answer(requests).hasPrefix("capacity: 60 req/s within p99 < 1s (held at 60 req/s"))
        XCTAssertEqual(CapacityReport.minRateCase(requests, minRate: 50).name, "capacity >= 50 req/s")
        XCTAssertFalse(CapacityReport.html(requests).contains("iterations/s"))
    }

    func testTheDocumentRecordsTheUnitAndOlderOnesReadAsRequests() throws {
        let data = try document(unit: .iterations).jsonData()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["rate_unit"] as? String, "iterations")
        XCTAssertEqual(try CapacityResult.decode(data).rateUnit, .iterations)
        var older = object
        older.removeValue(forKey: "rate_unit")
        let olderDoc = try CapacityResult.decode(try JSONSerialization.data(withJSONObject: older))
        XCTAssertNil(olderDoc.rate_unit)
        XCTAssertEqual(olderDoc.rateUnit, .requests)
        let written = try XCTUnwrap(JSONSerialization.jsonObject(with: try olderDoc.jsonData()) as? [String: Any])
        XCTAssertEqual(written["rate_unit"] as? String, "requests", "written from now on")
    }

    func testAnUnderachievingFlowStepSaysIterations() throws {
        let r = record(1, 100, .pass, flow: true).achieved_rps
        XCTAssertEqual(r, 40)
        var plan = RunPlan(concurrency: 2, requestLimit: nil, durationMicros: 1_000_000, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        plan.warmupMicros = 0
        var rec = Recorder()
        rec.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 1_000, status: 200, error: nil, complete: true))
        var result = RunResult(version: "test", plan: plan, recorder: rec, timeline: [], startedEpochMillis: 0, durationMicros: 1_000_000,
                               interrupted: false)
        var it = IterationRecorder()
        for _ in 0..<40 { it.record(.completed, durationMicros: 20_000, thinkMicros: 0) }
        result.iterations = RunResult.Iterations(scenario: "flow", it, durationMicros: 1_000_000)
        let j = CapacityStep.judge(result: result, slos: [try Threshold.parse("p99 < 1s")], offeredRPS: 100, pool: 16, unit: .iterations)
        XCTAssertTrue(j.reasons.contains("underachieved: 40.0 of 100.0 iterations/s"), "\(j.reasons)")
    }
}
