import Foundation
import XCTest

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import BarrageCore

/// A flow's results in the human outputs: the text summary, the plan block, the HTML report and the Markdown summary.
/// Results are built by hand (see `FlowThresholdTests.flowResult`).
final class FlowReportTests: XCTestCase {
    /// Scenario `checkout` with steps login → item → pay (not in alphabetical order, to see the plan's order kept),
    /// 40 completed iterations with 50 ms of think time, 2 failed, 1 interrupted and 3 dropped over 4 s.
    static func flow() -> RunResult {
        var r = FlowThresholdTests.flowResult(steps: ["login", "item", "pay"],
                                              completed: (1...40).map { Int64($0) * 10_000 + 100_000 },
                                              failed: [150_000, 160_000], interrupted: 1, dropped: 3, thinkMicros: 50_000,
                                              durationMicros: 4_000_000)
        r.plan.name = "shop"
        r.plan.iterations = 46
        r.targets = ["login": FlowThresholdTests.section(ok: 42, failed: 2, latencyMicros: 30_000),
                     "item": FlowThresholdTests.section(ok: 40, latencyMicros: 12_000),
                     "pay": FlowThresholdTests.section(ok: 40, latencyMicros: 20_000)]
        return r
    }

    // MARK: Text summary

    func testTheSummaryHasAnIterationsBlockAndAStepsTableInPlanOrder() throws {
        let r = Self.flow()
        let it = try XCTUnwrap(r.iterations)
        let text = TextReport.render(r)
        let lines = text.components(separatedBy: "\n")
        for line in lines { XCTAssertLessThanOrEqual(line.count, 80, "too wide: \(line)") }
        XCTAssertTrue(text.contains("  Iterations  40 completed · 2 failed · 1 interrupted · 3 dropped (46 in all)\n              10.5/s\n"),
                      "the block wraps between its parts:\n\(text)")
        let f = { (v: Int64) in DurationParser.format(micros: v) }
        let d = it.duration_us, w = it.duration_without_think_us
        let iteration = lines.drop { !$0.hasPrefix("  Iteration ") }.prefix { !$0.isEmpty }.joined(separator: "\n")
        XCTAssertTrue(iteration.hasPrefix("  Iteration   p50 \(f(d.p50)) · p90 \(f(d.p90)) · p99 \(f(d.p99)) · max \(f(d.max))"), iteration)
        XCTAssertTrue(iteration.contains("(without think: p50 \(f(w.p50)), p99 \(f(w.p99)))"), iteration)
        XCTAssertTrue(text.contains("scenario checkout"), "the header names the scenario:\n\(text)")
        let header = try XCTUnwrap(lines.first { $0.hasPrefix("  step ") })
        XCTAssertTrue(header.contains("requests"), header)
        let stepRows = lines.filter { ["  login ", "  item ", "  pay "].contains(where: $0.hasPrefix) }
        XCTAssertEqual(stepRows.map { $0.split(separator: " ")[0] }, ["login", "item", "pay"], "the plan's order:\n\(text)")
        XCTAssertFalse(lines.contains { $0.hasPrefix("  target ") }, text)
    }

    func testIterationsWithoutThinkTimeOrFinishedOnesSayLess() {
        var r = FlowThresholdTests.flowResult(completed: [100_000, 200_000])
        XCTAssertFalse(TextReport.render(r).contains("without think"), "no think steps: one set of durations")
        r = FlowThresholdTests.flowResult(interrupted: 2)
        XCTAssertTrue(TextReport.render(r).contains("  Iteration   no finished iterations"))
    }

    func testAResultWithoutIterationsHasNoIterationLines() {
        var r = ThresholdEvaluatorTests.result(latencies: [1_000], targets: ["api", "web"])
        r.targets = ["api": FlowThresholdTests.section(ok: 1, latencyMicros: 1_000), "web": FlowThresholdTests.section(ok: 1, latencyMicros: 1_000)]
        let text = TextReport.render(r)
        XCTAssertFalse(text.contains("Iteration"))
        XCTAssertTrue(text.contains("  target "), "a target plan's table keeps its title")
        XCTAssertFalse(text.contains("scenario"))
    }

    // MARK: Plan block

    func testThePlanBlockNamesTheScenarioItsStepsAndItsBound() {
        var p = Self.flow().plan
        p.requests = 46
        let body = PlanBlock.body(p)
        XCTAssertEqual(body[0], "  load         closed model, 2 workers for 4.00s or 46 iterations")
        let flowLines = body.filter { $0.hasPrefix("  scenario") || $0.hasPrefix("  step") }
        XCTAssertEqual(flowLines, [
            "  scenario     checkout: 3 request steps, 46 iterations",
            "  step         login: GET http://127.0.0.1:1/login",
            "  step         item: GET http://127.0.0.1:1/item",
            "  step         pay: GET http://127.0.0.1:1/pay",
        ])
        XCTAssertFalse(body.contains { $0.hasPrefix("  target") }, "steps are not listed as weighted targets")
        p.iterations = nil
        p.targets = [p.targets[0]]
        XCTAssertTrue(PlanBlock.body(p).contains("  scenario     checkout: 1 request step, iterations until the time is up"))
        // A plan without a scenario is listed as before.
        let plain = ThresholdEvaluatorTests.result(targets: ["api", "web"]).plan
        XCTAssertFalse(PlanBlock.body(plain).contains { $0.contains("scenario") || $0.hasPrefix("  step") })
    }

    // MARK: HTML and Markdown

    func testTheHTMLReportHasAnIterationsPanelAndAStepsTable() throws {
        let r = Self.flow()
        let page = HTMLReport.render(r)
        XCTAssertTrue(XMLParser(data: Data(page.utf8)).parse(), "the page stays well-formed XML")
        XCTAssertTrue(page.contains("<h2>Iterations</h2>"))
        XCTAssertTrue(page.contains("<h2>Steps</h2>"))
        XCTAssertFalse(page.contains("<h2>Targets</h2>"))
        XCTAssertTrue(page.contains(#"<th>step</th>"#))
        XCTAssertFalse(page.contains(#"<th class="num">weight</th>"#), "steps have no weights")
        for label in ["Iterations", "Completed", "Interrupted", "Rate", "Iteration error rate"] {
            XCTAssertTrue(page.contains(#"<div class="label">\#(label)</div>"#), label)
        }
        XCTAssertTrue(page.contains(">Iteration duration</td>"))
        XCTAssertTrue(page.contains(">Without think time</td>"))
        XCTAssertTrue(page.contains("4.76%"), "2 failed of 42 finished")
        let login = try XCTUnwrap(page.range(of: "<strong>login</strong>")), pay = try XCTUnwrap(page.range(of: "<strong>pay</strong>"))
        XCTAssertLessThan(login.lowerBound, pay.lowerBound, "the flow's order")
        XCTAssertTrue(page.contains("<dt>Scenario</dt><dd>checkout, 46 iterations planned</dd>"))
        XCTAssertTrue(page.contains(#"<div class="meta">scenario checkout · closed model"#), "the band names the scenario")

        let plain = HTMLReport.render(ThresholdEvaluatorTests.result(latencies: [1_000], targets: ["api", "web"]))
        XCTAssertFalse(plain.contains("<h2>Iterations</h2>"))
        XCTAssertTrue(plain.contains("<h2>Targets</h2>"))
    }

    func testTheMarkdownSummaryHasAnIterationsLine() {
        let md = MarkdownSummary.render(result: Self.flow(), thresholds: [])
        XCTAssertTrue(md.hasPrefix("## Barrage: scenario `checkout`, 3 steps — completed\n"), md)
        XCTAssertTrue(md.contains("| Iterations | 40 completed · 2 failed · 1 interrupted · 3 dropped (46 in all), 10.5/s |"), md)
        XCTAssertTrue(md.contains("| Iteration p50 / p90 / p99 | "), md)
        let plain = MarkdownSummary.render(result: ThresholdEvaluatorTests.result(latencies: [1_000]), thresholds: [])
        XCTAssertFalse(plain.contains("Iteration"))
    }
}
