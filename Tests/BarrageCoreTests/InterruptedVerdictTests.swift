import Foundation
import XCTest

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import BarrageCore

/// A run that did not finish (a signal: `interrupted`, exit 130; or an `abort_on_fail` threshold: `aborted_by`) whose
/// thresholds passed has passed on the part measured, not on the run planned: the HTML verdict, the Markdown heading,
/// the text summary's thresholds block and the JUnit file say so, never a bare PASS. A run that finished reads as before.
final class InterruptedVerdictTests: XCTestCase {
    /// 3 ok responses over 12.3 s, judged by one threshold that passes.
    private func passing(interrupted: Bool) throws -> RunResult {
        var r = ThresholdEvaluatorTests.result(latencies: [1_000, 2_000, 3_000], durationMicros: 12_300_000)
        r.interrupted = interrupted
        r.thresholds = ThresholdEvaluator.evaluate([try Threshold.parse("p99 < 1s")], on: r)
        XCTAssertTrue(ThresholdEvaluator.allPassed(r.thresholds))
        return r
    }

    func testTheCutShortTextNamesHowAndWhen() throws {
        XCTAssertNil(RunOutcome.cutShortText(try passing(interrupted: false)))
        XCTAssertEqual(RunOutcome.cutShortText(try passing(interrupted: true)), "interrupted after 12.3s")
        var aborted = try passing(interrupted: true)
        aborted.aborted_by = "threshold 'p99 < 1ms' failed (measured 3.00ms) with abort_on_fail"
        XCTAssertEqual(RunOutcome.cutShortText(aborted), "aborted by threshold 'p99 < 1ms' after 12.3s")
    }

    func testTheHTMLVerdictOfAnInterruptedPassIsNotABarePass() throws {
        let page = HTMLReport.render(try passing(interrupted: true))
        XCTAssertFalse(page.contains(#"<span class="pill pass">PASS</span>"#), "no bare PASS")
        XCTAssertTrue(page.contains(#"<span class="pill warn">PASS — INTERRUPTED</span>"#), page)
        XCTAssertTrue(page.contains("interrupted after 12.3s: 1 of 1 thresholds passed on the part measured"), page)

        let finished = HTMLReport.render(try passing(interrupted: false))
        XCTAssertTrue(finished.contains(#"<span class="pill pass">PASS</span>"#), "a finished run passes as before")
        XCTAssertFalse(finished.contains("INTERRUPTED"))

        // Without thresholds, an interrupted run with errors is not called completed.
        var errors = ThresholdEvaluatorTests.result(latencies: [1_000], failures: 1, durationMicros: 12_300_000)
        errors.interrupted = true
        XCTAssertTrue(HTMLReport.render(errors).contains(">INTERRUPTED WITH ERRORS<"))
        errors.interrupted = false
        XCTAssertTrue(HTMLReport.render(errors).contains(">COMPLETED WITH ERRORS<"))
    }

    func testTheMarkdownHeadingSaysThePassIsOnThePartMeasured() throws {
        let r = try passing(interrupted: true)
        let md = MarkdownSummary.render(result: r, thresholds: r.thresholds)
        XCTAssertTrue(md.hasPrefix("## Barrage: GET `http://127.0.0.1:1/default` — ⚠️ interrupted after 12.3s: passed on the part measured (1 threshold)\n"), md)
        XCTAssertFalse(md.contains("✅"), md)

        var aborted = r
        aborted.aborted_by = "threshold 'p99 < 1ms' failed (measured 3.00ms) with abort_on_fail"
        let abortedMD = MarkdownSummary.render(result: aborted, thresholds: aborted.thresholds)
        XCTAssertTrue(abortedMD.contains(" — ❌ aborted by threshold 'p99 < 1ms' after 12.3s\n"), abortedMD)

        let plain = MarkdownSummary.render(result: r, thresholds: [])
        XCTAssertTrue(plain.contains(" — ⚠️ interrupted after 12.3s\n"), plain)
        let finished = try passing(interrupted: false)
        XCTAssertTrue(MarkdownSummary.render(result: finished, thresholds: finished.thresholds).contains(" — ✅ passed (1 threshold)\n"))
    }

    func testJUnitSaysThePassingCasesWereJudgedOnThePartMeasured() throws {
        let r = try passing(interrupted: true)
        let xml = JUnitReport.xml(thresholds: r.thresholds, run: r)
        XCTAssertTrue(xml.contains(#"failures="0""#), xml)
        XCTAssertTrue(xml.contains("    <system-out>interrupted after 12.3s: the thresholds were judged on the part measured, not on the run planned</system-out>\n  </testsuite>"), xml)
        XCTAssertTrue(XMLParser(data: Data(xml.utf8)).parse(), "well-formed")
        let finished = try passing(interrupted: false)
        XCTAssertEqual(JUnitReport.xml(thresholds: finished.thresholds, run: finished), JUnitReport.xml(thresholds: finished.thresholds),
                       "a finished run's file is unchanged")
        XCTAssertFalse(JUnitReport.xml(thresholds: [], run: r).contains("system-out"), "no thresholds, no cases to qualify")
    }

    func testTheTextThresholdsBlockEndsWithWhatWasJudged() throws {
        let r = try passing(interrupted: true)
        let lines = ThresholdEvaluator.summary(r.thresholds, run: r).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, lines.joined(separator: "\n"))
        XCTAssertTrue(lines[0].hasPrefix("✓ p99 < 1s"), lines[0])
        XCTAssertEqual(lines[1], "(interrupted after 12.3s: passed on the part measured, not on the run planned)")
        let finished = try passing(interrupted: false)
        XCTAssertEqual(ThresholdEvaluator.summary(finished.thresholds, run: finished), ThresholdEvaluator.summary(finished.thresholds),
                       "a finished run's block is unchanged")
    }
}
