import Foundation

/// A concurrency sweep as the chart module draws it: panels that share a log2 x-axis of requests in flight, each with
/// the measured points, the ideal linear line, and — with a Universal Scalability Law fit — its curve and modelled
/// peak. `ScaleCharts.figure` builds the model from a sweep (which points, which curves, where the ideal line leaves
/// the panel); `SVGChart.render(_:placement:)` draws it, as a file of its own (`scale --svg`) or inside the HTML
/// report.
///
/// Each panel is a `<g class="panel panel-NAME">`, measured points are `circle.measured`, the curves `polyline.ideal`
/// and `polyline.usl`, the peak `line.peak`; legend swatches use `legend-*` classes so they never count as data.
extension SVGChart {
    /// A rectangle of the drawing, in SVG user units.
    struct Frame {
        var left: Double, top: Double, width: Double, height: Double
        var right: Double { left + width }
        var bottom: Double { top + height }
    }

    struct SweepFigure {
        var title: String
        var width: Double
        var height: Double
        /// The fit's numbers under the legend; nil without a fit (and then no USL legend entry either).
        var fitSummary: String?
        /// Empty when there are no measured points to plot.
        var panels: [SweepPanel]
    }

    struct SweepPanel {
        /// `throughput` or `speedup`: the panel's class is `panel-NAME`.
        var name: String
        var yLabel: String
        var frame: Frame
        /// log2 of requests in flight, padded so that edge points clear the axes.
        var domain: ClosedRange<Double>
        var scale: AxisScale
        /// x ticks at log2 N with their labels, and the x axis's title.
        var xTicks: [(log2n: Double, label: String)]
        var xLabel: String
        /// The ideal line's points (log2 N, value), ending where it leaves the panel.
        var ideal: [(log2n: Double, value: Double)]
        /// The USL curve's points inside the panel; nil without a fit.
        var usl: [(log2n: Double, value: Double)]?
        /// The modelled peak's concurrency (log2) and its tooltip, when it lies in the measured range.
        var peak: (log2n: Double, label: String)?
        /// Measured points with their tooltips.
        var points: [(log2n: Double, value: Double, label: String)]
    }

    /// Where an SVG is drawn: a file of its own (with the SVG namespace and a stylesheet for its own elements), or
    /// inside the HTML report as `data-chart=NAME` with its stylesheet scoped to the class `CLASS` (an inline SVG's
    /// `<style>` applies to the whole page).
    enum Placement {
        case standalone
        case inline(name: String, cssClass: String)
    }

    /// The stylesheet of a figure drawn by this module as a file of its own: selectors and declarations.
    static let figureStyle: [(selectors: [String], declarations: String)] = [
        (["text"], "font-family: sans-serif; font-size: 12px; fill: #222;"),
        ([".title"], "font-size: 16px; font-weight: bold;"),
        ([".axis-label"], "font-size: 13px;"),
        ([".axis", ".tick"], "stroke: #333; stroke-width: 1;"),
        ([".grid"], "stroke: #e6e6e6; stroke-width: 1;"),
        ([".measured", ".legend-measured"], "fill: #1f77b4; stroke: #fff; stroke-width: 1;"),
        ([".ideal", ".legend-ideal"], "fill: none; stroke: #888; stroke-width: 1.5; stroke-dasharray: 5 4;"),
        ([".usl", ".legend-usl"], "fill: none; stroke: #d62728; stroke-width: 2;"),
        ([".peak"], "stroke: #d62728; stroke-width: 1; stroke-dasharray: 2 3;"),
        ([".fit-summary"], "font-size: 11px;"),
        ([".bar"], "fill: #1f77b4;"),
    ]

    /// The opening of a figure: the `<svg>` element, its title, its stylesheet and a white background.
    static func figureHead(width: Double, height: Double, title: String, placement: Placement = .standalone) -> [String] {
        let size = #"width="\#(f(width))" height="\#(f(height))" viewBox="0 0 \#(f(width)) \#(f(height))" role="img""#
        var out: [String]
        var scope = ""
        switch placement {
        case .standalone:
            out = [#"<svg xmlns="http://www.w3.org/2000/svg" \#(size)>"#]
        case .inline(let name, let cssClass):
            out = [#"<svg data-chart="\#(name)" class="\#(cssClass)" \#(size)>"#]
            scope = "." + cssClass + " "
        }
        out.append("<title>\(Markup.escape(title))</title>")
        out.append("<style>")
        out += figureStyle.map { rule in rule.selectors.map { scope + $0 }.joined(separator: ", ") + " { " + rule.declarations + " }" }
        out.append("</style>")
        out.append(#"<rect class="background" x="0" y="0" width="\#(f(width))" height="\#(f(height))" fill="white"/>"#)
        return out
    }

    /// Horizontal grid lines, y ticks labelled with `label`, the y axis and its rotated title.
    static func figureYAxis(frame: Frame, scale: AxisScale, title: String, label: (Double) -> String) -> [String] {
        var out: [String] = []
        for tick in scale.ticks {
            let y = frame.bottom - tick / scale.max * frame.height
            out.append(#"<line class="grid" x1="\#(f(frame.left))" y1="\#(f(y))" x2="\#(f(frame.right))" y2="\#(f(y))"/>"#)
            out.append(#"<line class="tick" x1="\#(f(frame.left - 5))" y1="\#(f(y))" x2="\#(f(frame.left))" y2="\#(f(y))"/>"#)
            out.append(#"<text class="tick-label" x="\#(f(frame.left - 8))" y="\#(f(y + 4))" text-anchor="end">\#(Markup.escape(label(tick)))</text>"#)
        }
        out.append(#"<line class="axis" x1="\#(f(frame.left))" y1="\#(f(frame.top))" x2="\#(f(frame.left))" y2="\#(f(frame.bottom))"/>"#)
        let cx = frame.left - 58, cy = frame.top + frame.height / 2
        out.append(#"<text class="axis-label" x="\#(f(cx))" y="\#(f(cy))" text-anchor="middle" transform="rotate(-90 \#(f(cx)) \#(f(cy)))">\#(Markup.escape(title))</text>"#)
        return out
    }

    /// The figure as SVG text: a title, one legend (measured, ideal, and the USL fit with its numbers), then the panels.
    static func render(_ figure: SweepFigure, placement: Placement = .standalone) -> String {
        let left = figure.panels.first?.frame.left ?? 78
        var out = figureHead(width: figure.width, height: figure.height, title: figure.title, placement: placement)
        out.append(#"<text class="title" x="\#(f(figure.width / 2))" y="28" text-anchor="middle">\#(Markup.escape(figure.title))</text>"#)

        // Legend, top left under the title.
        var legendX = left
        let legendY = 54.0
        out.append(#"<g class="legend">"#)
        out.append(#"<circle class="legend-measured" cx="\#(f(legendX + 6))" cy="\#(f(legendY - 4))" r="4"/>"#)
        out.append(#"<text x="\#(f(legendX + 16))" y="\#(f(legendY))">measured</text>"#)
        legendX += 100
        out.append(#"<line class="legend-ideal" x1="\#(f(legendX))" y1="\#(f(legendY - 4))" x2="\#(f(legendX + 24))" y2="\#(f(legendY - 4))"/>"#)
        out.append(#"<text x="\#(f(legendX + 30))" y="\#(f(legendY))">ideal linear (speedup = N)</text>"#)
        legendX += 200
        if let summary = figure.fitSummary {
            out.append(#"<line class="legend-usl" x1="\#(f(legendX))" y1="\#(f(legendY - 4))" x2="\#(f(legendX + 24))" y2="\#(f(legendY - 4))"/>"#)
            out.append(#"<text x="\#(f(legendX + 30))" y="\#(f(legendY))">USL fit</text>"#)
            out.append(#"<text class="fit-summary" x="\#(f(left))" y="\#(f(legendY + 20))">\#(Markup.escape(summary))</text>"#)
        }
        out.append("</g>")

        if figure.panels.isEmpty {
            out.append(#"<text x="\#(f(figure.width / 2))" y="\#(f(figure.height / 2))" text-anchor="middle">no measured points to plot</text>"#)
        }
        for panel in figure.panels { out += render(panel) }
        out.append("</svg>")
        switch placement {
        case .standalone: return out.joined(separator: "\n") + "\n"
        case .inline: return out.joined(separator: "\n")
        }
    }

    static func render(_ panel: SweepPanel) -> [String] {
        let frame = panel.frame, domain = panel.domain, scale = panel.scale
        let span = domain.upperBound - domain.lowerBound
        func x(log2n l: Double) -> Double { frame.left + (l - domain.lowerBound) / span * frame.width }
        func y(_ v: Double) -> Double { frame.bottom - v / scale.max * frame.height }
        func points(_ line: [(log2n: Double, value: Double)]) -> String {
            line.map { "\(f(x(log2n: $0.log2n))),\(f(y($0.value)))" }.joined(separator: " ")
        }

        var out = [#"<g class="panel panel-\#(panel.name)">"#]
        out += figureYAxis(frame: frame, scale: scale, title: panel.yLabel, label: NumberFormat.compact)
        out.append(#"<line class="axis" x1="\#(f(frame.left))" y1="\#(f(frame.bottom))" x2="\#(f(frame.right))" y2="\#(f(frame.bottom))"/>"#)
        for tick in panel.xTicks {
            let tx = x(log2n: tick.log2n)
            out.append(#"<line class="tick" x1="\#(f(tx))" y1="\#(f(frame.bottom))" x2="\#(f(tx))" y2="\#(f(frame.bottom + 5))"/>"#)
            out.append(#"<text class="tick-label" x="\#(f(tx))" y="\#(f(frame.bottom + 18))" text-anchor="middle">\#(Markup.escape(tick.label))</text>"#)
        }
        out.append(#"<text class="axis-label" x="\#(f(frame.left + frame.width / 2))" y="\#(f(frame.bottom + 38))" text-anchor="middle">\#(Markup.escape(panel.xLabel))</text>"#)

        if panel.ideal.count >= 2 {
            out.append(#"<polyline class="ideal" points="\#(points(panel.ideal))"/>"#)
        }
        if let usl = panel.usl, usl.count >= 2 {
            out.append(#"<polyline class="usl" points="\#(points(usl))"/>"#)
        }
        if let peak = panel.peak {
            let px = x(log2n: peak.log2n)
            out.append(#"<line class="peak" x1="\#(f(px))" y1="\#(f(frame.top))" x2="\#(f(px))" y2="\#(f(frame.bottom))"><title>\#(Markup.escape(peak.label))</title></line>"#)
        }
        for point in panel.points {
            out.append(#"<circle class="measured" cx="\#(f(x(log2n: point.log2n)))" cy="\#(f(y(min(point.value, scale.max))))" r="4"><title>\#(Markup.escape(point.label))</title></circle>"#)
        }
        out.append("</g>")
        return out
    }
}
