import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
import BarragePlanFixtures
@testable import BarrageCore

/// The capacity document and its renderings, from a search driven by hand.
final class CapacityReportTests: XCTestCase {
    private func step(_ index: Int, _ phase: CapacitySearch.Phase, _ rate: Double, _ verdict: CapacitySearch.StepVerdict,
                      reasons: [String] = []) -> CapacityStepRecord {
        var r = Recorder()
        for i in 0..<100 {
            r.record(RequestOutcome(dueMicros: Int64(i) * 1_000, sentMicros: Int64(i) * 1_000, doneMicros: Int64(i) * 1_000 + 5_000,
                                    status: 200, error: nil, complete: true))
        }
        let plan = RunPlan(concurrency: 2, requestLimit: nil, durationMicros: 1_000_000, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        let result = RunResult(version: "test", plan: plan, recorder: r, timeline: [], startedEpochMillis: 0, durationMicros: 1_000_000,
                               interrupted: false)
        return CapacityStepRecord(index: index, phase: phase, offeredRPS: rate, result: result, inFlightMean: 0.5, verdict: verdict,
                                  reasons: reasons, endedEarly: false, maxInFlight: 16)
    }

    /// A search that grew 100 → 200 (fail), bisected 150 (pass), 175 (fail), and confirmed 150.
    private func document(precision: Double = 0.2, minRate: Double? = nil) -> CapacityResult {
        var search = CapacitySearch(CapacitySearch.Settings(fromRPS: 100, maxRPS: 1_000, precision: precision))
        var steps: [CapacityStepRecord] = []
        for pass in [true, false, true, false, true] {
            guard let request = search.next() else { break }
            search.record(CapacitySearch.StepOutcome(verdict: pass ? .pass : .fail))
            steps.append(step(request.index, request.phase, request.rateRPS, search.records.last!.verdict,
                              reasons: pass ? [] : ["slo: p99 < 10ms measured 12ms"]))
        }
        XCTAssertNil(search.next())
        return CapacityResult(version: "0.1.0", startedEpochMillis: 0, runID: nil, target: "http://127.0.0.1:1/", slos: ["p99 < 10ms"],
                              settings: search.settings, minRate: minRate, search: search, steps: steps, interrupted: false)
    }

    func testTheAnswerNamesTheCapacityAndItsBracket() {
        let doc = document()
        XCTAssertEqual(doc.steps.map(\.offered_rps), [100, 200, 150, 175, 150])
        XCTAssertEqual(doc.verdict, .found)
        XCTAssertEqual(CapacityReport.answer(doc), "capacity: 150 req/s within p99 < 10ms (held at 150 req/s, failed at 175 req/s; confirmed)")
        XCTAssertTrue(CapacityReport.progressLine(doc.steps[1]).hasPrefix("step 2 grow: offered 200 req/s, achieved 100.0 req/s, p99 5"))
        XCTAssertTrue(CapacityReport.progressLine(doc.steps[1]).hasSuffix("— fail (slo: p99 < 10ms measured 12ms)"))
    }

    func testNullableKeysAreWrittenAsNullAndTheDocumentReadsBack() throws {
        let doc = document()
        let data = try doc.jsonData()
        let obj = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        XCTAssertEqual(obj["schema"] as? String, "barrage.capacity.v1")
        XCTAssertTrue(obj["budget_us"] is NSNull)
        XCTAssertTrue(obj["min_rate"] is NSNull)
        XCTAssertTrue(obj["run_id"] is NSNull)
        XCTAssertTrue(obj["usl"] is NSNull, "every step at the same in-flight mean: no curve to fit")
        XCTAssertEqual(obj["verdict"] as? String, "found")
        XCTAssertEqual((obj["bracket"] as? [String: Any])?["high"] as? Double, 175)
        let first = (obj["steps"] as! [[String: Any]])[0]
        XCTAssertEqual(first["phase"] as? String, "grow")
        XCTAssertEqual((first["latency_us"] as? [String: Any])?.keys.sorted(), ["max", "p50", "p90", "p99", "p999"])
        XCTAssertEqual(try CapacityResult.decode(data), doc)
    }

    func testCSVHasOneRowPerStep() {
        let lines = CapacityReport.csv(document()).split(separator: "\n")
        XCTAssertEqual(lines.count, 6)
        XCTAssertTrue(lines[0].hasPrefix("index,phase,offered_rps,achieved_rps,"))
        XCTAssertTrue(lines[2].hasPrefix("2,grow,200.000,"))
        XCTAssertTrue(lines[2].hasSuffix(",fail,false,\"slo: p99 < 10ms measured 12ms\""), String(lines[2]))
    }

    func testTheMinRateGateComparesTheCapacity() {
        XCTAssertTrue(CapacityReport.minRateCase(document(), minRate: 150).ok)
        XCTAssertFalse(CapacityReport.minRateCase(document(), minRate: 151).ok)
        let md = CapacityReport.markdown(document(minRate: 151), minRate: 151)
        XCTAssertTrue(md.contains("| capacity >= 151 req/s | ❌ fail |"), md)
        XCTAssertTrue(md.contains("| 5 | confirm | 150 |"), md)
    }

    func testTheHTMLPageHasTheAnswerTheChartsAndTheStepTable() {
        let html = CapacityReport.html(document())
        XCTAssertTrue(html.contains("capacity: 150 req/s within p99 &lt; 10ms"))
        XCTAssertEqual(html.components(separatedBy: "<tr>").count - 1, 6, "the heading row and five steps")
        XCTAssertTrue(XMLParser(data: Data(html.utf8)).parse(), "well-formed, as the run report")
        for chart in ["capacity-latency", "capacity-rates"] { XCTAssertTrue(html.contains("data-chart=\"\(chart)\""), chart) }
        XCTAssertTrue(html.contains(">FOUND<"))
    }

    func testTheFiguresGetEveryAnsweredStepTheLatencySLOAndTheCapacity() {
        var doc = document()
        doc.slos = ["p99 < 10ms", "error_rate < 1%", "p90 <= 8ms"]
        let input = doc.figureInput
        XCTAssertEqual(input.points.map(\.offeredRPS), [100, 200, 150, 175, 150])
        XCTAssertEqual(input.points.map(\.passed), doc.steps.map { $0.verdict == .pass })
        XCTAssertEqual(input.sloLines.map(\.micros), [10_000, 8_000], "latency SLOs only")
        XCTAssertEqual(input.capacityRPS, 150)
        XCTAssertEqual(input.bracket, 150...175)
        XCTAssertFalse(CapacityFigure.terminal(input, width: 80).isEmpty)
    }
}
