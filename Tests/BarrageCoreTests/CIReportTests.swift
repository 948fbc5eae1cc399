import XCTest
@testable import BarrageCore
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Collects elements with their attributes and text, in document order.
private final class XMLCollector: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var text = ""
    }
    var elements: [Element] = []
    private var open: [Int] = []
    var error: Error?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(Element(name: elementName, attributes: attributes))
        open.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let i = open.last { elements[i].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        error = parseError
    }

    static func parse(_ xml: String) -> (ok: Bool, collector: XMLCollector) {
        let collector = XMLCollector()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = collector
        let ok = parser.parse()
        return (ok, collector)
    }
}

final class JUnitReportTests: XCTestCase {
    func testParsesAsXMLWithTheRightCounts() throws {
        let xml = JUnitReport.xml(suiteName: "barrage <gates> & \"co\"", cases: [
            (name: "p99 < 250ms", ok: true, message: "measured 12.3ms, limit < 250ms"),
            (name: "error_rate <= 1%", ok: false, message: "measured 2.5%, limit <= 1%"),
            (name: "target:'a&b' rps >= 10", ok: false, message: "measured 3 req/s,\nlimit >= 10 req/s \u{1}"),
        ])
        XCTAssertTrue(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"))
        let (ok, doc) = XMLCollector.parse(xml)
        XCTAssertTrue(ok, "\(String(describing: doc.error))\n\(xml)")

        XCTAssertEqual(doc.elements.map(\.name), ["testsuites", "testsuite", "testcase", "testcase", "failure", "testcase", "failure"])
        let suites = doc.elements[0], suite = doc.elements[1]
        XCTAssertEqual(suites.attributes["tests"], "3")
        XCTAssertEqual(suites.attributes["failures"], "2")
        XCTAssertEqual(suite.attributes["name"], "barrage <gates> & \"co\"")
        XCTAssertEqual(suite.attributes["tests"], "3")
        XCTAssertEqual(suite.attributes["failures"], "2")

        let cases = doc.elements.filter { $0.name == "testcase" }
        XCTAssertEqual(cases.map { $0.attributes["name"] }, ["p99 < 250ms", "error_rate <= 1%", "target:'a&b' rps >= 10"])
        XCTAssertEqual(Set(cases.compactMap { $0.attributes["classname"] }), ["barrage <gates> & \"co\""])

        let failures = doc.elements.filter { $0.name == "failure" }
        XCTAssertEqual(failures[0].attributes["message"], "measured 2.5%, limit <= 1%")
        XCTAssertEqual(failures[0].text, "measured 2.5%, limit <= 1%")
        // A newline survives in the attribute as a character reference; a forbidden control character is replaced.
        XCTAssertEqual(failures[1].attributes["message"], "measured 3 req/s,\nlimit >= 10 req/s \u{FFFD}")
    }

    func testAllPassingAndEmptySuites() {
        let passing = XMLCollector.parse(JUnitReport.xml(suiteName: "s", cases: [(name: "a", ok: true, message: "x")]))
        XCTAssertTrue(passing.ok)
        XCTAssertEqual(passing.collector.elements.filter { $0.name == "failure" }.count, 0)
        XCTAssertEqual(passing.collector.elements[1].attributes["failures"], "0")

        let empty = XMLCollector.parse(JUnitReport.xml(suiteName: "s", cases: []))
        XCTAssertTrue(empty.ok)
        XCTAssertEqual(empty.collector.elements[1].attributes["tests"], "0")
    }

    func testCasesFromThresholdsCarryMeasuredAndLimit() throws {
        let r = ThresholdEvaluatorTests.result(latencies: Array(repeating: 312_000, count: 10), statuses: [503],
                                               targets: ["api", "web"])
        let results = ThresholdEvaluator.evaluate(try ["p99 < 250ms", "error_rate <= 10%", "target:api rps > 1"].map(Threshold.parse), on: r)
        let cases = JUnitReport.cases(from: results)
        XCTAssertEqual(cases.map(\.ok), [false, true, false])
        XCTAssertEqual(cases[0].name, "p99 < 250ms")
        XCTAssertEqual(cases[0].message, "measured 312ms, limit < 250ms")
        XCTAssertEqual(cases[1].message, "measured 9.091%, limit <= 10%")
        XCTAssertTrue(cases[2].message.hasPrefix("not measured (no per-target data"), cases[2].message)
        XCTAssertTrue(cases[2].message.hasSuffix("limit > 1 req/s"), cases[2].message)

        let (ok, doc) = XMLCollector.parse(JUnitReport.xml(thresholds: results))
        XCTAssertTrue(ok)
        XCTAssertEqual(doc.elements[0].attributes["tests"], "3")
        XCTAssertEqual(doc.elements[0].attributes["failures"], "2")
        XCTAssertEqual(doc.elements[1].attributes["name"], "barrage.thresholds")
        XCTAssertEqual(doc.elements.first { $0.name == "failure" }?.text, "measured 312ms, limit < 250ms")
    }
}

final class MarkdownSummaryTests: XCTestCase {
    func testKeyNumbersAndThresholdTable() throws {
        let r = ThresholdEvaluatorTests.result(latencies: Array(repeating: 12_300, count: 99), statuses: [503], dropped: 2)
        let results = ThresholdEvaluator.evaluate(try ["p99 < 250ms", "error_rate < 0.5%", "status_5xx == 0"].map(Threshold.parse), on: r)
        let md = MarkdownSummary.render(result: r, thresholds: results)
        let lines = md.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

        XCTAssertTrue(lines[0].hasPrefix("## Barrage: GET `http://127.0.0.1:1/default` — ❌ 2 of 3 thresholds failed"), lines[0])
        for row in ["| Metric | Value |", "| Requests | 102 |", "| OK | 99 |", "| Failed | 1 |", "| Dropped | 2 |",
                    "| Throughput | 100.0 req/s |", "| Error rate | 1% |", "| Latency p50 | 12.3ms |", "| Latency p90 | 12.3ms |",
                    "| Latency p99 | 12.3ms |", "| Latency p99.9 | 12.3ms |", "| Latency max | 12.3ms |",
                    "### Thresholds", "| | Threshold | Measured | Limit |",
                    "| ✓ | `p99 < 250ms` | 12.3ms | < 250ms |",
                    "| ✗ | `error_rate < 0.5%` | 1% | < 0.5% |",
                    "| ✗ | `status_5xx == 0` | 1 | == 0 |"] {
            XCTAssertTrue(lines.contains(row), "missing row \(row) in\n\(md)")
        }
    }

    func testOutcomeWithoutAndWithPassingThresholds() throws {
        let r = ThresholdEvaluatorTests.result(latencies: [1_000])
        let plain = MarkdownSummary.render(result: r, thresholds: [])
        XCTAssertTrue(plain.hasPrefix("## Barrage: GET `http://127.0.0.1:1/default` — completed\n"), plain)
        XCTAssertFalse(plain.contains("### Thresholds"))

        let passed = MarkdownSummary.render(result: r, thresholds: ThresholdEvaluator.evaluate([try Threshold.parse("p99 < 1s")], on: r))
        XCTAssertTrue(passed.hasPrefix("## Barrage: GET `http://127.0.0.1:1/default` — ✅ passed (1 threshold)\n"), passed)
    }

    func testNoResponsesAndCellEscaping() throws {
        var r = ThresholdEvaluatorTests.result(failures: 2)
        r.interrupted = true
        let t = ThresholdEvaluator.evaluate([try Threshold.parse("target:\"a|b\" p99 < 1s")], on: r)
        let md = MarkdownSummary.render(result: r, thresholds: t)
        XCTAssertTrue(md.contains("| Latency p99 | - |"), md)
        XCTAssertTrue(md.contains("| Error rate | 100% |"), md)
        XCTAssertTrue(md.contains("⚠️ interrupted"), md)
        XCTAssertTrue(md.contains("`target:\"a\\|b\" p99 < 1s`"), md)
        XCTAssertTrue(md.contains("not measured (scope matches nothing"), md)
        XCTAssertEqual(MarkdownSummary.code("a`b"), "`` a`b ``")
    }
}
