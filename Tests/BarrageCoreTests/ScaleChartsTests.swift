import Foundation
import XCTest

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import BarrageCore

/// Collects every element of an SVG with its class attribute and the class of the enclosing panel group.
private final class SVGCollector: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var classes: Set<String>
        var panel: String?
        var attributes: [String: String]
    }

    var elements: [Element] = []
    var texts: [String] = []
    private var stack: [Element] = []
    private var currentText = ""

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        let classes = Set((attributeDict["class"] ?? "").split(separator: " ").map(String.init))
        let panel = classes.first { $0.hasPrefix("panel-") } ?? stack.last?.panel
        let element = Element(name: elementName, classes: classes, panel: panel, attributes: attributeDict)
        elements.append(element)
        stack.append(element)
        currentText = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        currentText += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        stack.removeLast()
        let text = currentText.trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.isEmpty { texts.append(text) }
        currentText = ""
    }

    func count(_ name: String, class cls: String, panel: String? = nil) -> Int {
        elements.filter { $0.name == name && $0.classes.contains(cls) && (panel == nil || $0.panel == panel) }.count
    }
}

final class ScaleChartsTests: XCTestCase {
    private let levels = (0...9).map { 1 << $0 }

    private func sweep(noise: Bool = true) -> (points: [ScaleSeriesPoint], fit: USLFit?) {
        let rps = levels.map {
            USL.throughput(concurrency: Double($0), lambda: 1000, sigma: 0.05, kappa: 0.0005) * (noise ? 1 + 0.02 * sin(Double($0)) : 1)
        }
        let points = zip(levels, rps).map { ScaleSeriesPoint(concurrency: $0, rps: $1, speedup: $1 / rps[0]) }
        return (points, USL.fit(concurrency: levels.map(Double.init), throughput: rps))
    }

    private func parse(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> SVGCollector {
        let collector = SVGCollector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "SVG is not well-formed XML: \(String(describing: parser.parserError))", file: file, line: line)
        return collector
    }

    private func assertSelfContained(_ svg: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""), file: file, line: line)
        XCTAssertFalse(svg.contains("<script"), file: file, line: line)
        XCTAssertFalse(svg.contains("href"), file: file, line: line)
        XCTAssertFalse(svg.contains("url("), file: file, line: line)
        XCTAssertEqual(svg.components(separatedBy: "http").count, 2, "only the xmlns URI", file: file, line: line)
        for bad in ["nan", "inf"] {
            XCTAssertFalse(svg.lowercased().contains("\"\(bad)") || svg.lowercased().contains(" \(bad)"), file: file, line: line)
        }
    }

    // MARK: - SVG sweep chart

    func testSVGHasTwoPanelsWithMeasuredIdealAndUSL() throws {
        let (points, fit) = sweep()
        XCTAssertNotNil(fit)
        let svg = ScaleCharts.svg(points, fit: fit, title: "Sweep of http://127.0.0.1/")
        assertSelfContained(svg.replacingOccurrences(of: "http://127.0.0.1/", with: ""))
        let doc = parse(svg)

        XCTAssertEqual(doc.elements.first?.name, "svg")
        XCTAssertEqual(doc.count("g", class: "panel"), 2)
        for panel in ["panel-throughput", "panel-speedup"] {
            XCTAssertEqual(doc.count("circle", class: "measured", panel: panel), points.count, panel)
            XCTAssertEqual(doc.count("polyline", class: "ideal", panel: panel), 1, panel)
            XCTAssertEqual(doc.count("polyline", class: "usl", panel: panel), 1, panel)
            XCTAssertGreaterThanOrEqual(doc.count("line", class: "tick", panel: panel), 10 + 3, panel)
        }
        XCTAssertEqual(doc.count("circle", class: "measured"), 2 * points.count)
        XCTAssertEqual(doc.count("circle", class: "legend-measured"), 1)
        XCTAssertEqual(doc.count("line", class: "legend-usl"), 1)
        XCTAssertEqual(doc.count("g", class: "legend"), 1)
        XCTAssertEqual(doc.count("line", class: "peak"), 2, "peak N* ≈ 44 lies inside 1…512")

        XCTAssertTrue(doc.texts.contains("Sweep of http://127.0.0.1/"))
        XCTAssertEqual(doc.texts.filter { $0 == "concurrency (requests in flight, log2)" }.count, 2)
        XCTAssertTrue(doc.texts.contains("throughput (req/s)"))
        XCTAssertTrue(doc.texts.contains("speedup (×)"))
        for tick in ["1", "2", "64", "512"] { XCTAssertTrue(doc.texts.contains(tick), tick) }

        // Measured points sit left to right in concurrency order, and every coordinate is a number.
        let xs = doc.elements.filter { $0.classes.contains("measured") && $0.panel == "panel-speedup" }
            .compactMap { Double($0.attributes["cx"] ?? "") }
        XCTAssertEqual(xs.count, points.count)
        XCTAssertEqual(xs, xs.sorted())
    }

    func testSVGWithoutFitHasNoUSLCurve() {
        let (points, _) = sweep()
        let svg = ScaleCharts.svg(points, fit: nil, title: "no fit")
        let doc = parse(svg)
        XCTAssertEqual(doc.count("polyline", class: "usl"), 0)
        XCTAssertEqual(doc.count("line", class: "legend-usl"), 0)
        XCTAssertEqual(doc.count("polyline", class: "ideal"), 2)
        XCTAssertEqual(doc.count("circle", class: "measured"), 2 * points.count)
    }

    func testSVGEscapesText() {
        let title = #"Tom & Jerry's <"load"> test"#
        let svg = ScaleCharts.svg(sweep().points, fit: nil, title: title)
        XCTAssertFalse(svg.contains(title))
        let doc = parse(svg)
        XCTAssertTrue(doc.texts.contains(title))
        XCTAssertGreaterThanOrEqual(doc.elements.filter { $0.name == "title" }.count, 1)
    }

    func testSVGSurvivesDegenerateSeries() {
        let cases: [[ScaleSeriesPoint]] = [
            [],
            [ScaleSeriesPoint(concurrency: 1, rps: 500, speedup: 1)],
            [ScaleSeriesPoint(concurrency: 1, rps: 0, speedup: 0), ScaleSeriesPoint(concurrency: 2, rps: 0, speedup: 0)],
            [ScaleSeriesPoint(concurrency: 1, rps: 1e300, speedup: 1), ScaleSeriesPoint(concurrency: 1 << 40, rps: .greatestFiniteMagnitude, speedup: 1e308)],
            [ScaleSeriesPoint(concurrency: 0, rps: 10, speedup: 1), ScaleSeriesPoint(concurrency: -3, rps: 10, speedup: 1),
             ScaleSeriesPoint(concurrency: 4, rps: .nan, speedup: .infinity), ScaleSeriesPoint(concurrency: 8, rps: 80, speedup: 8)],
        ]
        let weirdFit = USLFit(lambda: 1e308, sigma: 0, kappa: 1e-300, r2: 0.5)
        for (index, points) in cases.enumerated() {
            for fit in [nil, weirdFit] {
                let svg = ScaleCharts.svg(points, fit: fit, title: "case \(index)")
                assertSelfContained(svg)
                _ = parse(svg)
            }
        }
        let single = parse(ScaleCharts.svg(cases[1], fit: nil, title: "one"))
        XCTAssertEqual(single.count("circle", class: "measured"), 2)
        // NaN and non-positive concurrency are left out; the finite point at 8 remains, the speedup-only ones too.
        let mixed = parse(ScaleCharts.svg(cases[4], fit: nil, title: "mixed"))
        XCTAssertEqual(mixed.count("circle", class: "measured", panel: "panel-throughput"), 1)
        XCTAssertEqual(mixed.count("circle", class: "measured", panel: "panel-speedup"), 1)
    }

    // MARK: - Terminal sweep chart

    func testTerminalChartHasFixedWidthAndLabels() throws {
        let (points, fit) = sweep()
        for (width, height) in [(72, 16), (100, 20), (48, 8)] {
            let chart = ScaleCharts.terminal(points, fit: fit, width: width, height: height)
            let lines = chart.components(separatedBy: "\n")
            XCTAssertEqual(lines.map(\.count).max(), width, "width \(width)")
            XCTAssertTrue(lines.contains { $0.hasSuffix("┬") && $0.count == width && $0.contains("└") })
            XCTAssertTrue(chart.contains("concurrency (requests in flight, log2)"))
            XCTAssertTrue(lines.contains("speedup ×"))
            XCTAssertTrue(lines.contains("req/s"))
            XCTAssertFalse(chart.contains("\u{1B}"), "no ANSI escapes")
            XCTAssertFalse(lines.contains { $0.hasSuffix(" ") }, "no trailing spaces")
            // The speedup chart has exactly `height` plot rows between its unit label and its axis.
            let top = try XCTUnwrap(lines.firstIndex(of: "speedup ×"))
            let axis = try XCTUnwrap(lines[top...].firstIndex { $0.contains("└") })
            XCTAssertEqual(axis - top - 1, height)
            XCTAssertTrue(chart.contains("·"), "ideal line drawn")
            XCTAssertTrue(chart.contains("~"), "USL curve drawn")
        }
        let defaultChart = ScaleCharts.terminal(points, fit: fit)
        XCTAssertEqual(defaultChart.components(separatedBy: "\n").map(\.count).max(), 72)
    }

    func testTerminalChartPlacesEndpointsOnTheAxisEnds() throws {
        let points = [1, 2, 4, 8].map { ScaleSeriesPoint(concurrency: $0, rps: Double($0) * 100, speedup: Double($0)) }
        let chart = ScaleCharts.terminal(points, fit: nil, width: 60, height: 8)
        let lines = chart.components(separatedBy: "\n")
        let top = try XCTUnwrap(lines.firstIndex(of: "speedup ×"))
        let rows = Array(lines[(top + 1)...(top + 8)])
        let axis = lines[top + 9]
        let plotStart = try XCTUnwrap(axis.firstIndex(of: "└")).utf16Offset(in: axis) + 1
        // Linear data: N = 1 sits on the first plot column, N = 8 on the last, rising left to right.
        let measuredColumns = rows.flatMap { row in Array(row).enumerated().filter { $0.element == "●" }.map(\.offset) }
        XCTAssertEqual(measuredColumns.min(), plotStart)
        XCTAssertEqual(measuredColumns.max(), 59)
        XCTAssertEqual(measuredColumns.count, 4)
        let rowOfLast = try XCTUnwrap(rows.firstIndex { $0.last == "●" })
        let rowOfFirst = try XCTUnwrap(rows.firstIndex { Array($0).count > plotStart && Array($0)[plotStart] == "●" })
        XCTAssertLessThan(rowOfLast, rowOfFirst)
    }

    func testTerminalChartHandlesOnePointAndExtremes() {
        let cases: [[ScaleSeriesPoint]] = [
            [],
            [ScaleSeriesPoint(concurrency: 1, rps: 1234, speedup: 1)],
            [ScaleSeriesPoint(concurrency: 1, rps: 0, speedup: 0), ScaleSeriesPoint(concurrency: 64, rps: 0, speedup: 0)],
            [ScaleSeriesPoint(concurrency: 1, rps: 1e300, speedup: 1), ScaleSeriesPoint(concurrency: Int.max, rps: .greatestFiniteMagnitude, speedup: 1e308)],
            [ScaleSeriesPoint(concurrency: 2, rps: .nan, speedup: .infinity), ScaleSeriesPoint(concurrency: -1, rps: 5, speedup: 1),
             ScaleSeriesPoint(concurrency: 16, rps: -7, speedup: 3)],
        ]
        let fits: [USLFit?] = [nil, USLFit(lambda: 1e308, sigma: 0, kappa: 1e-300, r2: 0.1), USLFit(lambda: .nan, sigma: 0, kappa: 0, r2: 0)]
        for (index, points) in cases.enumerated() {
            for fit in fits {
                let chart = ScaleCharts.terminal(points, fit: fit, width: 72, height: 16)
                let widths = chart.components(separatedBy: "\n").map(\.count)
                XCTAssertLessThanOrEqual(widths.max() ?? 0, 72, "case \(index)")
                if index != 0 { XCTAssertEqual(widths.max(), 72, "case \(index)") }
                XCTAssertFalse(chart.lowercased().contains("nan"), "case \(index)")
            }
        }
        let one = ScaleCharts.terminal(cases[1], fit: nil)
        XCTAssertTrue(one.contains("●"))
        XCTAssertTrue(one.contains("concurrency (requests in flight, log2)"))
        XCTAssertTrue(ScaleCharts.terminal([], fit: nil).contains("no measured points"))
        // Absurd sizes are clamped rather than trapping.
        XCTAssertEqual(ScaleCharts.terminal(cases[1], fit: nil, width: 0, height: -5).components(separatedBy: "\n").map(\.count).max(), 40)
    }

    // MARK: - Bars

    func testTerminalBarsScaleToTheMaximum() throws {
        let text = ScaleCharts.terminalBars(
            [("sequential", 10, "10.0 s"), ("concurrent", 5, "5.0 s"), ("idle", 0, "0 s")], width: 60)
        let lines = text.components(separatedBy: "\n")
        XCTAssertEqual(lines.count, 3)
        // label column 10, text column 6, separators 2 → 42 bar cells.
        XCTAssertEqual(lines[0].count, 60)
        XCTAssertEqual(lines[0].filter { $0 == "█" }.count, 42)
        XCTAssertEqual(lines[1].filter { $0 == "█" }.count, 21)
        XCTAssertEqual(lines[2].filter { $0 == "█" }.count, 0)
        XCTAssertTrue(lines[0].hasPrefix("sequential █"))
        XCTAssertTrue(lines[1].hasSuffix(" 5.0 s"))
        // Texts start in one column, after label (10) + space + bar (42) + space.
        XCTAssertEqual(lines.map { String(Array($0)[54...]) }, ["10.0 s", "5.0 s", "0 s"])

        // Eighth-block precision: 3/8 of one cell of a 43-cell bar.
        let fine = ScaleCharts.terminalBars([("a", 8, "8"), ("b", 8 * 3.0 / (8 * 43), "x")], width: 47)
        let fineLines = fine.components(separatedBy: "\n")
        XCTAssertEqual(fineLines[0].filter { $0 == "█" }.count, 43)
        XCTAssertEqual(fineLines[1].filter { $0 == "█" }.count, 0)
        XCTAssertTrue(fineLines[1].contains("▍"))
    }

    func testTerminalBarsHandleOddInput() {
        XCTAssertEqual(ScaleCharts.terminalBars([]), "")
        let text = ScaleCharts.terminalBars([
            ("negative", -5, "-5"), ("nan", .nan, "?"), ("inf", .infinity, "∞"), ("tiny", 1e-9, "~0"),
            ("huge", .greatestFiniteMagnitude, "max"), (String(repeating: "x", count: 200), 1, "long label"),
        ], width: 60)
        let lines = text.components(separatedBy: "\n")
        XCTAssertEqual(lines.count, 6)
        XCTAssertTrue(lines.allSatisfy { $0.count <= 60 })
        XCTAssertEqual(lines[4].filter { $0 == "█" }.count, lines.map { $0.filter { $0 == "█" }.count }.max())
        XCTAssertTrue(lines[3].contains("▏"), "a positive value stays visible")
        XCTAssertFalse(lines[0].contains("█"))
        XCTAssertTrue(lines[5].contains("…"))
        let allZero = ScaleCharts.terminalBars([("a", 0, "0"), ("b", 0, "0")])
        XCTAssertFalse(allZero.contains("█"))
    }

    func testSVGBars() {
        let bars: [(label: String, value: Double, text: String)] = [
            ("sequential", 12.5, "12.5 s"), ("concurrent <64>", 1.25, "1.25 s"), ("broken", .nan, "n/a"),
        ]
        let svg = ScaleCharts.svgBars(bars, title: "Wall time & totals", yLabel: "wall time (s)")
        assertSelfContained(svg)
        let doc = parse(svg)
        XCTAssertEqual(doc.count("rect", class: "bar"), 3)
        XCTAssertEqual(doc.count("text", class: "value-label"), 3)
        XCTAssertEqual(doc.count("text", class: "bar-label"), 3)
        XCTAssertTrue(doc.texts.contains("wall time (s)"))
        XCTAssertTrue(doc.texts.contains("Wall time & totals"))
        XCTAssertTrue(doc.texts.contains("concurrent <64>"))
        let heights = doc.elements.filter { $0.classes.contains("bar") }.compactMap { Double($0.attributes["height"] ?? "") }
        XCTAssertEqual(heights.count, 3)
        XCTAssertEqual(heights[0] / heights[1], 10, accuracy: 0.1)
        XCTAssertEqual(heights[2], 0)
        _ = parse(ScaleCharts.svgBars([], title: "empty", yLabel: "req/s"))
    }

    // MARK: - Formatting

    func testCompactNumbers() {
        XCTAssertEqual(NumberFormat.compact(0), "0")
        XCTAssertEqual(NumberFormat.compact(7.5), "7.5")
        XCTAssertEqual(NumberFormat.compact(42), "42")
        XCTAssertEqual(NumberFormat.compact(950), "950")
        XCTAssertEqual(NumberFormat.compact(1234), "1.2k")
        XCTAssertEqual(NumberFormat.compact(2500), "2.5k")
        XCTAssertEqual(NumberFormat.compact(999_999), "1M")
        XCTAssertEqual(NumberFormat.compact(4.1e6), "4.1M")
        XCTAssertEqual(NumberFormat.compact(-1500), "-1.5k")
        XCTAssertEqual(NumberFormat.compact(.nan), "n/a")
        XCTAssertEqual(Markup.escape("a<b>&\"c'\u{7}"), "a&lt;b&gt;&amp;&quot;c&#39;")
    }
}
