import Foundation
import XCTest

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import BarrageCore

/// Every element of an SVG with its attributes, the `data-series` of its enclosing group, and its text.
private final class CapacitySVGCollector: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var series: String?
        var text = ""
        /// The text of a `<title>` child (a dot's tooltip).
        var tip = ""
        var classes: Set<String> { Set((attributes["class"] ?? "").split(separator: " ").map(String.init)) }
        func number(_ key: String) -> Double? { attributes[key].flatMap(Double.init) }
    }

    var elements: [Element] = []
    private var stack: [Int] = []

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        let series = attributeDict["data-series"] ?? stack.last.flatMap { elements[$0].series }
        elements.append(Element(name: elementName, attributes: attributeDict, series: series))
        stack.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let index = stack.last { elements[index].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        let index = stack.removeLast()
        if elementName == "title", let parent = stack.last { elements[parent].tip = elements[index].text }
    }

    func dots(series: String) -> [Element] {
        elements.filter { $0.name == "circle" && $0.series == series }
    }

    func texts(_ cssClass: String) -> [String] {
        elements.filter { $0.name == "text" && $0.classes.contains(cssClass) }.map(\.text)
    }

    func reference(_ name: String) -> [Element] {
        elements.filter { $0.name == "line" && $0.attributes["data-reference"] == name }
    }
}

final class CapacityFigureTests: XCTestCase {
    private typealias Point = CapacityFigureInput.Point

    private func point(_ offered: Double, _ achieved: Double, p99Millis: Double, inFlight: Double = 1, passed: Bool) -> Point {
        let p99 = Int64(p99Millis * 1000)
        return Point(
            offeredRPS: offered, achievedRPS: achieved, p50Micros: p99 / 4, p90Micros: p99 / 2, p99Micros: p99,
            inFlightMean: inFlight, passed: passed)
    }

    /// A search as it runs: ×2 growth, a failure, bisection with a repeated (confirmed) rate, one step far past the SLO.
    private var search: CapacityFigureInput {
        CapacityFigureInput(
            title: "capacity of http://127.0.0.1/capacity",
            points: [
                point(100, 100, p99Millis: 11, passed: true),
                point(200, 199, p99Millis: 12, passed: true),
                point(400, 396, p99Millis: 150, passed: true),
                point(800, 410, p99Millis: 9_000, passed: false),
                point(600, 405, p99Millis: 2_000, passed: false),
                point(500, 480, p99Millis: 200, passed: true),
                point(500, 482, p99Millis: 190, passed: true),
            ],
            sloLines: [.init(label: "p99 < 200ms", micros: 200_000)],
            capacityRPS: 500,
            bracket: 500...600)
    }

    private func parse(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> CapacitySVGCollector {
        let collector = CapacitySVGCollector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))", file: file, line: line)
        return collector
    }

    // MARK: Hockey stick

    func testHockeyStickHasOneDotPerStepForEachPercentileSortedByAchievedRate() {
        let input = search
        let svg = CapacityFigure.hockeyStickSVG(input)
        XCTAssertTrue(svg.hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg""#), "a file of its own")
        let doc = parse(svg)
        XCTAssertEqual(doc.texts("chart-title"), [input.title])
        XCTAssertEqual(CapacityFigure.hockeyStickChart(input).title, nil, "the HTML report's model carries no title")
        for name in ["p50", "p90", "p99"] {
            let dots = doc.dots(series: name)
            XCTAssertEqual(dots.count, input.points.count, name)
            XCTAssertEqual(dots.filter { $0.classes.contains("failed") }.count, 2, name)
            XCTAssertEqual(dots.filter { $0.classes.contains("passed") }.count, 5, name)
            let xs = dots.compactMap { $0.number("cx") }
            XCTAssertEqual(xs, xs.sorted(), "\(name): dots in order of achieved rate")
            // Failed dots are hollow and red.
            for dot in dots where dot.classes.contains("failed") {
                XCTAssertEqual(dot.attributes["fill"], SVGChart.Palette.white)
                XCTAssertEqual(dot.attributes["stroke"], SVGChart.Palette.red)
            }
        }
        // The highest failed step's tooltip names its step number in run order.
        XCTAssertTrue(doc.elements.contains { $0.name == "title" && $0.text.hasPrefix("step 4: offered 800 req/s") })
    }

    func testSLOLineIsAtItsLatency() throws {
        let doc = parse(CapacityFigure.hockeyStickSVG(search))
        let slo = try XCTUnwrap(doc.reference("slo").first)
        XCTAssertEqual(slo.number("y1"), slo.number("y2"), "horizontal")
        // The step with p99 = 200 ms (step 6, at 480 req/s) sits exactly on the line.
        let onLine = try XCTUnwrap(doc.dots(series: "p99").first { $0.tip.hasPrefix("step 6:") })
        XCTAssertEqual(try XCTUnwrap(onLine.number("cy")), try XCTUnwrap(slo.number("y1")), accuracy: 0.11)
        XCTAssertTrue(doc.texts("reference-label").contains("p99 < 200ms"))
    }

    func testCapacityMarkerBracketAndClippedSteps() throws {
        let doc = parse(CapacityFigure.hockeyStickSVG(search))
        let capacity = try XCTUnwrap(doc.reference("capacity").first)
        XCTAssertEqual(capacity.number("x1"), capacity.number("x2"), "vertical")
        XCTAssertTrue(doc.texts("reference-label").contains("capacity 500 req/s"))
        let band = try XCTUnwrap(doc.elements.first { $0.name == "rect" && $0.classes.contains("band") })
        XCTAssertEqual(try XCTUnwrap(band.number("x")), try XCTUnwrap(capacity.number("x1")), accuracy: 0.11,
                       "the bracket starts at the capacity")
        // The axis is capped at 4 × 200 ms (rounded up to 1,000 ms): the 9 s and 2 s steps are drawn on the top edge
        // and labelled with their p99.
        let top = try XCTUnwrap(doc.elements.filter { $0.name == "rect" && $0.attributes["fill"] == SVGChart.Palette.plotBackground }.first?.number("y"))
        let clipped = doc.dots(series: "p99").filter { $0.number("cy") == top }
        XCTAssertEqual(clipped.count, 2)
        // 405 and 410 req/s are closer than a tenth of the axis: one label with the highest p99.
        XCTAssertEqual(doc.texts("note"), ["▲ 2 steps, p99 to " + DurationParser.format(micros: 9_000_000)])
        let apart = CapacityFigure.clippedNotes(
            [point(100, 100, p99Millis: 2_000, passed: false), point(300, 300, p99Millis: 3_000, passed: false)], top: 1000, xSpan: 500)
        XCTAssertEqual(apart.map(\.text), ["▲ p99 " + DurationParser.format(micros: 2_000_000), "▲ p99 " + DurationParser.format(micros: 3_000_000)])
        XCTAssertEqual(apart.map(\.x), [100, 300])
    }

    func testLatencyAxisCap() {
        var input = search
        // 4 × the SLO (800 ms) beats the p99 of the passing step with the highest achieved rate (190 ms at 482 req/s).
        XCTAssertEqual(CapacityFigure.latencyTopMillis(input), 800)
        // A passing p99 above 4 × the SLO raises the cap (it counts only at the highest achieved rate passed).
        input.points.append(point(450, 450, p99Millis: 3_000, passed: true))
        XCTAssertEqual(CapacityFigure.latencyTopMillis(input), 800)
        input.points.append(point(490, 490, p99Millis: 1_000, passed: true))
        XCTAssertEqual(CapacityFigure.latencyTopMillis(input), 1_000)
        // No SLO: 4 × that p99.
        input.sloLines = []
        input.points.removeLast(2)
        XCTAssertEqual(CapacityFigure.latencyTopMillis(input), 760)
        // Nothing passed, no SLO: the data's maximum.
        input.points = input.points.map { var p = $0; p.passed = false; return p }
        XCTAssertEqual(CapacityFigure.latencyTopMillis(input), 9_000)
        // Data under the SLO: the SLO line still shows.
        input = CapacityFigureInput(title: "t", points: [point(10, 10, p99Millis: 5, passed: true)],
                                    sloLines: [.init(label: "p99 < 100ms", micros: 100_000)])
        XCTAssertEqual(try XCTUnwrap(CapacityFigure.latencyTopMillis(input)), 110, accuracy: 1e-9)
    }

    // MARK: Offered vs achieved

    func testOfferedAchievedHasTheDiagonalAndOneDotPerStep() throws {
        let input = search
        let doc = parse(CapacityFigure.offeredAchievedSVG(input))
        let dots = doc.dots(series: "achieved")
        XCTAssertEqual(dots.count, input.points.count)
        XCTAssertEqual(dots.filter { $0.classes.contains("failed") }.count, 2)
        let diagonal = try XCTUnwrap(doc.elements.first { $0.name == "polyline" && $0.series == "diagonal" })
        let ends = (diagonal.attributes["points"] ?? "").split(separator: " ").map { $0.split(separator: ",").compactMap { Double($0) } }
        XCTAssertEqual(ends.count, 2)
        // From the origin to the top right corner: a 45° line when both axes share one scale.
        let plot = try XCTUnwrap(doc.elements.first { $0.name == "rect" && $0.attributes["fill"] == SVGChart.Palette.plotBackground })
        XCTAssertEqual(ends[0], [try XCTUnwrap(plot.number("x")), try XCTUnwrap(plot.number("y")) + (plot.number("height") ?? 0)])
        XCTAssertEqual(ends[1], [try XCTUnwrap(plot.number("x")) + (plot.number("width") ?? 0), try XCTUnwrap(plot.number("y"))])
        XCTAssertTrue(doc.texts("reference-label").contains("capacity 500 req/s"))
        // Dots below the diagonal for the overloaded steps: achieved < offered.
        let overloaded = dots.filter { $0.classes.contains("failed") }
        XCTAssertTrue(overloaded.allSatisfy { $0.tip.contains("offered 800") || $0.tip.contains("offered 600") })
    }

    // MARK: Terminal

    func testTerminalChartKeepsItsWidth() {
        for width in [30, 40, 72, 120] {
            let lines = CapacityFigure.terminal(search, width: width)
            let effective = max(width, 40)
            XCTAssertTrue(lines.allSatisfy { $0.count <= effective }, "width \(width):\n" + lines.joined(separator: "\n"))
            XCTAssertTrue(lines.contains { $0.contains("└") && $0.count == effective }, "the axis spans the width")
            let plot = lines.joined()
            for mark in ["●", "○", "▲", "╌", "¦"] { XCTAssertTrue(plot.contains(mark), "\(mark) at width \(width)") }
            XCTAssertEqual(lines.filter { $0.contains("┤") || $0.contains("│") }.count, CapacityFigure.terminalRows)
            // The legend wraps rather than being cut.
            for item in ["● passed", "○ failed", "╌ SLO p99 < 200ms", "¦ capacity", "▲ above the axis"] {
                XCTAssertTrue(lines.contains { $0.contains(item) }, "\(item) at width \(width)")
            }
        }
    }

    func testTerminalChartPutsTheSLOLineOnItsRow() throws {
        let lines = CapacityFigure.terminal(search, width: 72)
        // The axis tops at 1,000 ms over 12 rows: 200 ms rounds to row 9 of 0…11.
        let rows = lines.filter { $0.contains("┤") || $0.contains("│") }
        XCTAssertEqual(rows.firstIndex { $0.contains("╌") }, 11 - Int((200.0 / 1000 * 11).rounded()))
    }

    // MARK: USL

    func testUSLRecoversAKnownCurveAndItsKnee() throws {
        let (lambda, sigma, kappa) = (100.0, 0.05, 0.001)
        var points = [0.5, 1, 2, 4, 8, 12, 16, 24, 32].map { n -> Point in
            let x = USL.throughput(concurrency: n, lambda: lambda, sigma: sigma, kappa: kappa)
            return point(x, x, p99Millis: 10 * n, inFlight: n, passed: n <= 16)
        }
        // An overloaded step (half its rate achieved, a growing queue) stays out of the fit.
        points.append(point(2_000, 1_000, p99Millis: 5_000, inFlight: 400, passed: false))
        let (fit, bend) = CapacityFigure.usl(CapacityFigureInput(title: "usl", points: points))
        let f = try XCTUnwrap(fit)
        XCTAssertEqual(f.lambda, lambda, accuracy: 1)
        XCTAssertEqual(f.sigma, sigma, accuracy: 0.005)
        XCTAssertEqual(f.kappa, kappa, accuracy: 0.0002)
        // Efficiency 1 / (1 + σ(N−1) + κN(N−1)) is ½ at N ≈ 16.12, where X = λN/2 ≈ 806 req/s.
        let kneeN = (-(sigma - kappa) + ((sigma - kappa) * (sigma - kappa) + 4 * kappa * (1 + sigma)).squareRoot()) / (2 * kappa)
        XCTAssertEqual(kneeN, 16.12, accuracy: 0.01)
        XCTAssertEqual(try XCTUnwrap(bend), lambda * kneeN / 2, accuracy: 10)
        // The same knee as `scale`'s on the curve sampled at whole levels: the first level at or past N.
        let levels = Array(1...40)
        let modelled = levels.map { f.throughput(concurrency: Double($0)) }
        let index = try XCTUnwrap(USL.knee(concurrency: levels, throughput: modelled))
        XCTAssertEqual(levels[index], Int(kneeN.rounded(.up)))
    }

    func testUSLNeedsThreeUsableStepsAndABend() {
        let two = CapacityFigureInput(title: "t", points: [point(10, 10, p99Millis: 1, inFlight: 0.1, passed: true),
                                                           point(20, 20, p99Millis: 1, inFlight: 0.2, passed: true),
                                                           point(40, 20, p99Millis: 900, inFlight: 30, passed: false)])
        XCTAssertNil(CapacityFigure.usl(two).fit, "the overloaded step does not count")
        // Linear scaling: a fit without a bend.
        let linear = CapacityFigureInput(title: "t", points: [1.0, 2, 3, 4].map { point(100 * $0, 100 * $0, p99Millis: 10, inFlight: $0, passed: true) })
        let result = CapacityFigure.usl(linear)
        XCTAssertNotNil(result.fit)
        XCTAssertNil(result.bendRPS)
    }

    func testKneeConcurrencyOfContentionOnly() throws {
        // κ = 0: efficiency 1 / (1 + σ(N−1)) is ½ at N = 1 + 1/σ.
        XCTAssertEqual(try XCTUnwrap(CapacityFigure.kneeConcurrency(USLFit(lambda: 100, sigma: 0.25, kappa: 0, r2: 1))), 5, accuracy: 1e-12)
        XCTAssertNil(CapacityFigure.kneeConcurrency(USLFit(lambda: 100, sigma: 0, kappa: 0, r2: 1)))
    }

    // MARK: Degenerate inputs

    func testEmptyAndOnePointInputsDoNotCrash() {
        let inputs = [
            CapacityFigureInput(title: "empty", points: []),
            CapacityFigureInput(title: "one", points: [point(10, 10, p99Millis: 3, passed: true)],
                                sloLines: [.init(label: "p99 < 1s", micros: 1_000_000)], capacityRPS: 10, bracket: 10...20),
            CapacityFigureInput(title: "zero", points: [point(0, 0, p99Millis: 0, inFlight: 0, passed: false)]),
            CapacityFigureInput(title: "nan", points: [point(.nan, .infinity, p99Millis: 1, inFlight: .nan, passed: false)],
                                capacityRPS: .nan),
        ]
        for input in inputs {
            let hockey = parse(CapacityFigure.hockeyStickSVG(input))
            let rates = parse(CapacityFigure.offeredAchievedSVG(input))
            let plotted = CapacityFigure.plottedSteps(input).count
            XCTAssertEqual(hockey.dots(series: "p99").count, plotted, input.title)
            XCTAssertEqual(rates.dots(series: "achieved").count, plotted, input.title)
            let lines = CapacityFigure.terminal(input, width: 60)
            XCTAssertFalse(lines.isEmpty)
            XCTAssertTrue(lines.allSatisfy { $0.count <= 60 }, input.title)
            XCTAssertNil(CapacityFigure.usl(input).fit)
        }
        XCTAssertTrue(CapacityFigure.hockeyStickSVG(inputs[0]).contains("no steps to plot"))
        XCTAssertEqual(CapacityFigure.terminal(inputs[0], width: 60).last, "(no steps to plot)")
    }
}
