import XCTest
@testable import BarrageCore

/// The shared pieces every report renders with: the markup escaper's dialects, the number formatters, and the
/// result-file loader's refusals.
final class RenderingVocabularyTests: XCTestCase {
    func testMarkupDialects() {
        let s = "a<b>&\"c'\u{1}\t\n\r\u{7F}"
        XCTAssertEqual(Markup.escape(s), "a&lt;b&gt;&amp;&quot;c&#39;\t\n\r", "HTML: quotes escaped, forbidden controls and DEL dropped")
        XCTAssertEqual(Markup.escape(s, .xmlText), "a&lt;b&gt;&amp;\"c'\u{FFFD}\t\n&#13;\u{7F}", "XML text: quotes kept, U+FFFD marks a forbidden character")
        XCTAssertEqual(Markup.escape(s, .xmlAttribute), "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}&#9;&#10;&#13;\u{7F}",
                       "XML attribute: whitespace controls as character references")
        XCTAssertEqual(Markup.escape("\u{FFFE}x", .xmlText), "\u{FFFD}x")
        XCTAssertEqual(Markup.escape("\u{FFFE}x"), "x")
    }

    func testNumberFormats() {
        XCTAssertEqual(NumberFormat.grouped(-1_234_567), "-1,234,567")
        XCTAssertEqual(NumberFormat.grouped(999), "999")
        XCTAssertEqual(NumberFormat.bytes(999), "999B")
        XCTAssertEqual(NumberFormat.bytes(12_345), "12.3KB")
        XCTAssertEqual(NumberFormat.number(99.94), "99.9")
        XCTAssertEqual(NumberFormat.number(.nan), "–")
        XCTAssertEqual(NumberFormat.percent(0.5), "50.0%")
        XCTAssertEqual(NumberFormat.percent(0.00001), "0.001%")
        XCTAssertEqual(NumberFormat.signed(2.5, 1), "+2.5")
        XCTAssertEqual(NumberFormat.signed(0.01, 1), "0.0", "no sign on a value that prints as zero")
        XCTAssertEqual(NumberFormat.signed(-1, 1), "-1.0")
        XCTAssertEqual(fixedTrimmed(10, 6), "10")
        XCTAssertEqual(fixedTrimmed(12.5, 6), "12.5")
        XCTAssertEqual(fixedTrimmed(-0.0000001, 3), "0")
        XCTAssertEqual(fixedTrimmed(0.1234567, 6), "0.123457")
    }

    func testResultFileRefusesWhatItCannotRead() throws {
        XCTAssertThrowsError(try ResultFile.run(atPath: "/nonexistent/r.json")) { error in
            XCTAssertEqual((error as? BarrageError)?.message, "/nonexistent/r.json: cannot read the file")
        }
        XCTAssertThrowsError(try ResultFile.contents(atPath: "/nonexistent/s.json", label: "--scale /nonexistent/s.json")) { error in
            XCTAssertEqual((error as? BarrageError)?.message, "--scale /nonexistent/s.json: cannot read the file")
        }
        let scaleDocument = Data(#"{"schema":"barrage.scale.v1"}"#.utf8)
        XCTAssertEqual(ResultFile.schema(of: scaleDocument), ScaleResult.schemaID)
        XCTAssertNil(ResultFile.schema(of: Data("[1]".utf8)))
        XCTAssertThrowsError(try ResultFile.scale(scaleDocument, name: "s.json")) { error in
            XCTAssertEqual((error as? BarrageError)?.status, .usage)
            XCTAssertTrue((error as? BarrageError)?.message.hasPrefix("s.json: not a readable barrage.scale.v1 file (") == true)
        }
        XCTAssertThrowsError(try ResultFile.run(scaleDocument, name: "s.json")) { error in
            XCTAssertEqual((error as? BarrageError)?.message, "s.json: not a barrage.result.v1 file (schema barrage.scale.v1)")
        }
    }

    func testStylesheetIsEmbeddedAndKeepsThePageWellFormed() {
        XCTAssertTrue(HTMLReport.stylesheet.hasPrefix(":root {"))
        XCTAssertTrue(HTMLReport.stylesheet.hasSuffix("}\n"))
        XCTAssertFalse(HTMLReport.stylesheet.contains("<"))
        XCTAssertFalse(HTMLReport.stylesheet.contains("&"))
    }

    func testCompareAndThresholdsShareTheLatencyVocabulary() throws {
        // Every compare metric but rps and error_rate is a latency statistic thresholds know by the same name.
        for metric in Compare.Metric.allCases {
            XCTAssertEqual(metric.isLatency, ![.rps, .error_rate].contains(metric))
            if let stat = metric.latencyStat {
                XCTAssertEqual(try Threshold.parse("\(stat.rawValue) < 1s").metric, "latency_us.\(metric.rawValue)")
            }
        }
        for stat in LatencyStat.allCases {
            XCTAssertEqual(try Threshold.parse("service_time.\(stat.rawValue) < 1s").metric, "service_time_us.\(stat.rawValue)")
        }
        let requests = RunResult.Requests(total: 10, ok: 6, failed: 2, dropped: 2)
        XCTAssertEqual(requests.errorRate, 0.25, "failed / answered; dropped requests were never sent")
        XCTAssertEqual(RunResult.Requests(total: 3, ok: 0, failed: 0, dropped: 3).errorRate, 0)
    }
}
