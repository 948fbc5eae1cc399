/// Totals side by side (`demo --svg`: sequential against concurrent): vertical bars with their value texts above
/// them and their labels below (cut with `…` past 40 characters), on a y-axis from zero with rounded ticks. Bars are
/// `rect.bar`, their texts `text.value-label`, their labels `text.bar-label`.
extension SVGChart {
    struct BarFigure {
        var title: String
        var yLabel: String
        /// A bar's height is `value` (a non-finite or negative value draws none); `text` is printed above it.
        var bars: [(label: String, value: Double, text: String)]
    }

    /// The figure as a self-contained SVG file.
    static func render(_ figure: BarFigure) -> String {
        let bars = figure.bars, title = figure.title, yLabel = figure.yLabel
        func nonNegative(_ v: Double) -> Double { v.isFinite && v > 0 ? v : 0 }
        // Each bar's slot widens for its label (about 7 px a character at 12 px), up to 40 characters.
        let labelLimit = 40
        let longestLabel = bars.map { min($0.label.count, labelLimit) }.max() ?? 0
        let slot = max(90, Double(longestLabel) * 7 + 20)
        let left = 78.0, right = 24.0, top = 56.0, plotHeight = 260.0
        let width = max(480, left + right + slot * Double(bars.count))
        let height = top + plotHeight + 60
        let frame = Frame(left: left, top: top, width: width - left - right, height: plotHeight)
        let scale = niceScale((bars.map { nonNegative($0.value) }.max() ?? 0) * 1.1, ticks: 5)

        var out = figureHead(width: width, height: height, title: title)
        out.append(#"<text class="title" x="\#(f(width / 2))" y="28" text-anchor="middle">\#(Markup.escape(title))</text>"#)
        out += figureYAxis(frame: frame, scale: scale, title: yLabel, label: NumberFormat.compact)
        out.append(#"<line class="axis" x1="\#(f(frame.left))" y1="\#(f(frame.bottom))" x2="\#(f(frame.right))" y2="\#(f(frame.bottom))"/>"#)
        let step = bars.isEmpty ? frame.width : frame.width / Double(bars.count)
        let barWidth = min(step * 0.6, 72)
        for (index, bar) in bars.enumerated() {
            let centre = frame.left + step * (Double(index) + 0.5)
            let barHeight = nonNegative(bar.value) / scale.max * frame.height
            let y = frame.bottom - barHeight
            out.append(#"<rect class="bar" x="\#(f(centre - barWidth / 2))" y="\#(f(y))" width="\#(f(barWidth))" height="\#(f(barHeight))"><title>\#(Markup.escape(bar.label)): \#(Markup.escape(bar.text))</title></rect>"#)
            out.append(#"<text class="value-label" x="\#(f(centre))" y="\#(f(y - 6))" text-anchor="middle">\#(Markup.escape(bar.text))</text>"#)
            out.append(#"<text class="bar-label" x="\#(f(centre))" y="\#(f(frame.bottom + 18))" text-anchor="middle">\#(Markup.escape(TextLayout.truncated(bar.label, to: labelLimit)))</text>"#)
        }
        if bars.isEmpty {
            out.append(#"<text x="\#(f(width / 2))" y="\#(f(frame.top + frame.height / 2))" text-anchor="middle">no data</text>"#)
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }
}
