import Foundation

/// The SVG chart every report draws with: a model of an x/y chart (lines, bars, markers, ticks, labels) and one
/// renderer for it, with the axis algorithm (a 1–2–2.5–5 × 10^k step from zero) and legend layout they share.
///
/// Text is escaped with `Markup.escape`; coordinates are printed with `NumberFormat.coordinate` (one decimal at
/// most). The renderer styles through the page's classes (`svg.chart …` in `report.css`) and the colours below.
enum SVGChart {
    enum Palette {
        static let blue = "#2563eb"
        static let orange = "#ea7a0c"
        static let purple = "#9333ea"
        static let green = "#16a34a"
        static let red = "#dc2626"
        static let slate = "#64748b"
        static let axis = "#94a3b8"
        static let grid = "#e5e9f0"
        static let gridVertical = "#eef1f5"
        static let track = "#eef1f6"
        static let plotBackground = "#fbfcfe"
        static let white = "#ffffff"
    }

    /// A line through points in data coordinates; each segment is drawn separately (gaps between them).
    struct Series {
        var label: String
        var colour: String
        var segments: [[(Double, Double)]]
        var width: Double = 2
        var dash: String? = nil
        /// Fill the area under the line, lightly.
        var fill: Bool = false
        /// A dot at each point.
        var dots: Bool = false
        /// Tooltips for the dots, in point order across segments.
        var tips: [String] = []
        /// Dots filled with the series colour instead of hollow (`circle.dot.passed`).
        var filledDots: Bool = false
        /// Points drawn as hollow red dots whatever `filledDots` says (`circle.dot.failed`), in point order across
        /// segments; missing entries are false.
        var failedDots: [Bool] = []
        /// Written as the series group's `data-series` attribute, so a reader (or a test) can find its dots.
        var name: String? = nil
    }

    /// A straight line across the whole plot at a data value, with its label: horizontal at a y value (an SLO),
    /// vertical at an x value (a capacity). Drawn over the bars and under the series, as `line.reference`.
    struct ReferenceLine {
        enum Axis {
            case horizontal
            case vertical
        }
        var axis: Axis
        var value: Double
        var label: String
        var colour: String
        var width: Double = 1.5
        var dash: String? = "6 4"
        /// Written as the line's `data-reference` attribute.
        var name: String
    }

    /// A lightly shaded stretch of the x axis across the plot's height (`rect.band`), e.g. where a value was found.
    struct Band {
        var x0: Double
        var x1: Double
        var label: String
        var colour: String
    }

    /// A short text at a point in data coordinates, drawn just under it (over it near the bottom), as `text.note`; a
    /// point past the top of the axis is placed at the top edge.
    struct Note {
        var x: Double
        var y: Double
        var text: String
    }

    struct BarSeries {
        var label: String
        var colour: String
        var items: [(x0: Double, x1: Double, y: Double)]
    }

    /// A dashed vertical line across the plot (stage boundaries).
    struct Marker {
        var x: Double
        var label: String
    }

    struct Chart {
        var name: String
        var width: Double
        var height: Double
        var xDomain: ClosedRange<Double>
        var xTicks: [(Double, String)]
        var xLabel: String
        var yLabel: String
        var series: [Series]
        var bars: [BarSeries] = []
        var markers: [Marker] = []
        var emptyText: String
        /// Shaded stretches of the x axis, under everything else.
        var bands: [Band] = []
        /// Reference lines (SLOs, a capacity); their labels sit on them, not in the legend.
        var references: [ReferenceLine] = []
        var notes: [Note] = []
        /// The y axis runs from zero to the nice scale over this value instead of over the data (with headroom);
        /// values above it are drawn at the top edge (clipped).
        var yTop: Double? = nil
        /// Legend entries for dot styles (`passed`, `failed`), after the series'.
        var legendDots: [(label: String, colour: String, filled: Bool)] = []
        /// A title above the legend (`text.chart-title`), for a chart drawn as a file of its own; the HTML report's
        /// panels carry their own headings.
        var title: String? = nil
    }

    static func svgOpen(name: String, width: Double, height: Double, label: String, standalone: Bool = false) -> String {
        let namespace = standalone ? #"xmlns="http://www.w3.org/2000/svg" "# : ""
        return #"<svg \#(namespace)data-chart="\#(name)" class="chart" viewBox="0 0 \#(f(width)) \#(f(height))" width="\#(f(width))" height="\#(f(height))" role="img" aria-label="\#(Markup.escape(label))">"#
    }

    /// The text styles of `report.css`'s `svg.chart` rules, for a chart written as a file of its own.
    static let standaloneStyle = "<style>svg.chart { background: #ffffff; } svg.chart text { font-family: sans-serif; font-size: 11.5px; fill: #5d6778; } "
        + "svg.chart text.axis-title { font-size: 12px; fill: #334155; font-weight: 600; } "
        + "svg.chart text.legend-text { font-size: 12px; fill: #334155; } svg.chart text.empty { font-size: 14px; fill: #94a3b8; } "
        + "svg.chart text.chart-title { font-size: 14px; fill: #1e293b; font-weight: 600; } "
        + "svg.chart text.marker-label, svg.chart text.reference-label, svg.chart text.note { font-size: 11px; fill: #475569; }</style>"

    /// An x/y chart: gridlines, axes with ticks and units, a legend above the plot, stage markers, lines and bars.
    /// `standalone` makes a file of its own: the SVG namespace and the page's chart text styles inline.
    static func render(_ c: Chart, standalone: Bool = false) -> String {
        let left = 62.0, right = 26.0, bottom = 46.0
        let hasMarkers = c.markers.contains { $0.x > c.xDomain.lowerBound && $0.x < c.xDomain.upperBound }
        let legend = legendLayout(c, hasMarkers: hasMarkers, left: left, right: c.width - right)
        // Each vertical reference line past the first gets a row of its own for its label above the frame.
        let verticalLabels = c.references.filter { $0.axis == .vertical && c.xDomain.contains($0.value) }.count
        let titleHeight = c.title == nil ? 0.0 : 24
        let top = titleHeight + 22.0 + 18 * Double(legend.rows) + 14 * Double(max(0, verticalLabels - 1))
        let plot = (x: left, y: top, w: c.width - left - right, h: c.height - top - bottom)
        let values = c.series.flatMap { $0.segments.flatMap { $0.map(\.1) } } + c.bars.flatMap { $0.items.map(\.y) }
        let hasData = values.contains { $0.isFinite }
        // A little headroom, so that a line at the maximum does not run along the frame.
        let scale = c.yTop.map { niceScale($0) } ?? niceScale((values.filter(\.isFinite).max() ?? 0) * 1.04)
        let xSpan = max(c.xDomain.upperBound - c.xDomain.lowerBound, 1e-9)
        func px(_ x: Double) -> Double { plot.x + (min(max(x, c.xDomain.lowerBound), c.xDomain.upperBound) - c.xDomain.lowerBound) / xSpan * plot.w }
        func py(_ y: Double) -> Double { plot.y + plot.h - min(max(y.isFinite ? y : 0, 0), scale.max) / scale.max * plot.h }

        var out = [svgOpen(name: c.name, width: c.width, height: c.height, label: "\(c.yLabel) by \(c.xLabel)", standalone: standalone)]
        if standalone { out.append(standaloneStyle) }
        if let title = c.title {
            out.append(#"<text class="chart-title" x="\#(f(plot.x))" y="18">\#(Markup.escape(title))</text>"#)
        }
        out.append(#"<rect x="\#(f(plot.x))" y="\#(f(plot.y))" width="\#(f(plot.w))" height="\#(f(plot.h))" fill="\#(Palette.plotBackground)"/>"#)
        // Horizontal gridlines and y ticks.
        for tick in scale.ticks {
            let y = py(tick)
            out.append(#"<line x1="\#(f(plot.x))" y1="\#(f(y))" x2="\#(f(plot.x + plot.w))" y2="\#(f(y))" stroke="\#(Palette.grid)" stroke-width="1"/>"#)
            out.append(#"<text x="\#(f(plot.x - 8))" y="\#(f(y + 4))" text-anchor="end">\#(Markup.escape(scale.label(tick)))</text>"#)
        }
        // Vertical gridlines and x ticks; labels near the edges are anchored inwards so they are never clipped.
        for (x, label) in c.xTicks where c.xDomain.contains(x) {
            let tx = px(x)
            out.append(#"<line x1="\#(f(tx))" y1="\#(f(plot.y))" x2="\#(f(tx))" y2="\#(f(plot.y + plot.h))" stroke="\#(Palette.gridVertical)" stroke-width="1"/>"#)
            out.append(#"<line x1="\#(f(tx))" y1="\#(f(plot.y + plot.h))" x2="\#(f(tx))" y2="\#(f(plot.y + plot.h + 5))" stroke="\#(Palette.axis)" stroke-width="1"/>"#)
            let halfWidth = Double(label.count) * 3.4
            let anchor = tx + halfWidth > c.width - 2 ? "end" : "middle"
            out.append(#"<text x="\#(f(anchor == "end" ? c.width - 2 : tx))" y="\#(f(plot.y + plot.h + 18))" text-anchor="\#(anchor)">\#(Markup.escape(label))</text>"#)
        }
        // Axes.
        out.append(#"<line x1="\#(f(plot.x))" y1="\#(f(plot.y + plot.h))" x2="\#(f(plot.x + plot.w))" y2="\#(f(plot.y + plot.h))" stroke="\#(Palette.axis)" stroke-width="1"/>"#)
        out.append(#"<line x1="\#(f(plot.x))" y1="\#(f(plot.y))" x2="\#(f(plot.x))" y2="\#(f(plot.y + plot.h))" stroke="\#(Palette.axis)" stroke-width="1"/>"#)
        out.append(#"<text class="axis-title" x="\#(f(plot.x + plot.w / 2))" y="\#(f(c.height - 8))" text-anchor="middle">\#(Markup.escape(c.xLabel))</text>"#)
        let yMid = plot.y + plot.h / 2
        out.append(#"<text class="axis-title" x="14" y="\#(f(yMid))" text-anchor="middle" transform="rotate(-90 14 \#(f(yMid)))">\#(Markup.escape(c.yLabel))</text>"#)

        if hasData {
            for band in c.bands {
                let x0 = px(min(band.x0, band.x1)), x1 = px(max(band.x0, band.x1))
                out.append(#"<rect class="band" x="\#(f(x0))" y="\#(f(plot.y))" width="\#(f(max(x1 - x0, 1)))" height="\#(f(plot.h))" fill="\#(band.colour)" fill-opacity="0.12"><title>\#(Markup.escape(band.label))</title></rect>"#)
            }
            // Stage boundaries.
            for m in c.markers where m.x > c.xDomain.lowerBound && m.x < c.xDomain.upperBound {
                let mx = px(m.x)
                out.append(#"<line class="stage-boundary" x1="\#(f(mx))" y1="\#(f(plot.y))" x2="\#(f(mx))" y2="\#(f(plot.y + plot.h))" stroke="\#(Palette.slate)" stroke-width="1.2" stroke-dasharray="5 4"/>"#)
                // The label sits just above the frame, clear of the data and below the legend.
                out.append(#"<text class="marker-label" x="\#(f(mx))" y="\#(f(plot.y - 5))" text-anchor="middle">\#(Markup.escape(m.label))</text>"#)
            }
            out += references(c.references, plot: plot, chartWidth: c.width, xDomain: c.xDomain, yMax: scale.max, px: px, py: py)
            // Bars first, lines over them.
            for b in c.bars {
                out.append(#"<g class="bars" fill="\#(b.colour)" fill-opacity="0.75">"#)
                for item in b.items {
                    let x0 = px(item.x0), x1 = px(item.x1)
                    let gap = min(2, (x1 - x0) * 0.15)
                    let y = py(item.y)
                    out.append(#"<rect x="\#(f(x0 + gap / 2))" y="\#(f(y))" width="\#(f(max(x1 - x0 - gap, 1)))" height="\#(f(plot.y + plot.h - y))"/>"#)
                }
                out.append("</g>")
            }
            for s in c.series {
                var tipIndex = 0
                out.append(s.name.map { #"<g class="series" data-series="\#(Markup.escape($0))">"# } ?? #"<g class="series">"#)
                for segment in s.segments where !segment.isEmpty {
                    let points = segment.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
                    if s.fill, segment.count > 1 {
                        let base = f(plot.y + plot.h)
                        let area = "\(f(px(segment[0].0))),\(base) " + points + " \(f(px(segment[segment.count - 1].0))),\(base)"
                        out.append(#"<polygon points="\#(area)" fill="\#(s.colour)" fill-opacity="0.10"/>"#)
                    }
                    if segment.count > 1 {
                        out.append(#"<polyline points="\#(points)" fill="none" stroke="\#(s.colour)" stroke-width="\#(f(s.width))" stroke-linejoin="round" stroke-linecap="round"\#(s.dash.map { #" stroke-dasharray="\#($0)""# } ?? "")/>"#)
                    }
                    if s.dots || segment.count == 1 {
                        for p in segment {
                            let tip = tipIndex < s.tips.count ? "<title>\(Markup.escape(s.tips[tipIndex]))</title>" : ""
                            let failed = tipIndex < s.failedDots.count && s.failedDots[tipIndex]
                            tipIndex += 1
                            if failed || s.filledDots {
                                let style = failed ? #"class="dot failed" r="3.5" fill="\#(Palette.white)" stroke="\#(Palette.red)""#
                                    : #"class="dot passed" r="3.5" fill="\#(s.colour)" stroke="\#(s.colour)""#
                                out.append(#"<circle \#(style) cx="\#(f(px(p.0)))" cy="\#(f(py(p.1)))" stroke-width="1.8">\#(tip)</circle>"#)
                            } else {
                                out.append(#"<circle cx="\#(f(px(p.0)))" cy="\#(f(py(p.1)))" r="3" fill="\#(Palette.white)" stroke="\#(s.colour)" stroke-width="1.8">\#(tip)</circle>"#)
                            }
                        }
                    } else {
                        tipIndex += segment.count
                    }
                }
                out.append("</g>")
            }
            for note in c.notes {
                // Under the point (it may sit on the top edge), or over it when that would leave the plot.
                let below = py(note.y) + 17
                let y = below <= plot.y + plot.h - 4 ? below : py(note.y) - 7
                out.append(#"<text class="note" x="\#(f(px(note.x)))" y="\#(f(y))" text-anchor="middle">\#(Markup.escape(note.text))</text>"#)
            }
        } else {
            out.append(#"<text class="empty" x="\#(f(plot.x + plot.w / 2))" y="\#(f(plot.y + plot.h / 2 + 5))" text-anchor="middle">\#(Markup.escape(c.emptyText))</text>"#)
        }

        // Legend, above the plot, left-aligned with it.
        out.append(#"<g class="legend">"#)
        for item in legend.items {
            let ly = titleHeight + 15 + 18 * Double(item.row)
            switch item.kind {
            case .line(let width, let dash):
                out.append(#"<line x1="\#(f(item.x))" y1="\#(f(ly - 4))" x2="\#(f(item.x + 22))" y2="\#(f(ly - 4))" stroke="\#(item.colour)" stroke-width="\#(f(width))"\#(dash.map { #" stroke-dasharray="\#($0)""# } ?? "")/>"#)
                out.append(#"<text class="legend-text" x="\#(f(item.x + 28))" y="\#(f(ly))">\#(Markup.escape(item.label))</text>"#)
            case .box:
                out.append(#"<rect x="\#(f(item.x))" y="\#(f(ly - 9))" width="12" height="10" fill="\#(item.colour)" fill-opacity="0.75"/>"#)
                out.append(#"<text class="legend-text" x="\#(f(item.x + 18))" y="\#(f(ly))">\#(Markup.escape(item.label))</text>"#)
            case .dot(let filled):
                let fill = filled ? item.colour : Palette.white
                out.append(#"<circle class="legend-dot" cx="\#(f(item.x + 5))" cy="\#(f(ly - 4))" r="3.5" fill="\#(fill)" stroke="\#(item.colour)" stroke-width="1.8"/>"#)
                out.append(#"<text class="legend-text" x="\#(f(item.x + 14))" y="\#(f(ly))">\#(Markup.escape(item.label))</text>"#)
            }
        }
        out.append("</g>")
        out.append("</svg>")
        return out.joined(separator: "\n")
    }

    /// Reference lines inside the plot with their labels: a horizontal one's label at the plot's right end above the
    /// line, a vertical one's above the frame, each on a row of its own (`render` makes room), so that two close values
    /// do not print over each other; centred on the line unless that would run off the drawing. Lines outside the axes
    /// are left out.
    static func references(
        _ lines: [ReferenceLine], plot: (x: Double, y: Double, w: Double, h: Double), chartWidth: Double,
        xDomain: ClosedRange<Double>, yMax: Double, px: (Double) -> Double, py: (Double) -> Double
    ) -> [String] {
        var out: [String] = []
        var verticals = 0
        for line in lines where line.value.isFinite {
            let dash = line.dash.map { #" stroke-dasharray="\#($0)""# } ?? ""
            let attributes = #"class="reference" data-reference="\#(Markup.escape(line.name))" stroke="\#(line.colour)" stroke-width="\#(f(line.width))"\#(dash)"#
            switch line.axis {
            case .horizontal:
                guard line.value >= 0, line.value <= yMax else { continue }
                let y = py(line.value)
                out.append(#"<line \#(attributes) x1="\#(f(plot.x))" y1="\#(f(y))" x2="\#(f(plot.x + plot.w))" y2="\#(f(y))"/>"#)
                out.append(#"<text class="reference-label" x="\#(f(plot.x + plot.w - 4))" y="\#(f(y - 4))" text-anchor="end">\#(Markup.escape(line.label))</text>"#)
            case .vertical:
                guard xDomain.contains(line.value) else { continue }
                let x = px(line.value)
                out.append(#"<line \#(attributes) x1="\#(f(x))" y1="\#(f(plot.y))" x2="\#(f(x))" y2="\#(f(plot.y + plot.h))"/>"#)
                let textWidth = Double(line.label.count) * 6.6
                let labelY = plot.y - 5 - 14 * Double(verticals)
                let anchor = x + textWidth / 2 > chartWidth - 2 ? "end" : (x - textWidth / 2 < 2 ? "start" : "middle")
                let labelX = anchor == "end" ? chartWidth - 2 : (anchor == "start" ? 2 : x)
                verticals += 1
                out.append(#"<text class="reference-label" x="\#(f(labelX))" y="\#(f(labelY))" text-anchor="\#(anchor)">\#(Markup.escape(line.label))</text>"#)
            }
        }
        return out
    }

    struct LegendItem {
        enum Kind {
            case line(width: Double, dash: String?)
            case box
            case dot(filled: Bool)
        }
        var label: String
        var colour: String
        var kind: Kind
        var x: Double = 0
        var row: Int = 0
    }

    /// The legend's items placed left to right from the plot's left edge, wrapping onto another row where a row is full.
    static func legendLayout(_ c: Chart, hasMarkers: Bool, left: Double, right: Double) -> (items: [LegendItem], rows: Int) {
        var items = c.series.map { LegendItem(label: $0.label, colour: $0.colour, kind: .line(width: max($0.width, 2), dash: $0.dash)) }
        items += c.bars.map { LegendItem(label: $0.label, colour: $0.colour, kind: .box) }
        items += c.legendDots.map { LegendItem(label: $0.label, colour: $0.colour, kind: .dot(filled: $0.filled)) }
        let hasData = (c.series.flatMap(\.segments).contains { !$0.isEmpty }) || c.bars.contains { !$0.items.isEmpty }
        if hasMarkers && hasData {
            let runs = c.markers.contains { $0.label.hasPrefix("run ") }, stages = c.markers.contains { !$0.label.hasPrefix("run ") }
            let label = runs ? (stages ? "run start, stage boundary" : "run start") : "stage boundary"
            items.append(LegendItem(label: label, colour: Palette.slate, kind: .line(width: 1.2, dash: "5 4")))
        }
        var x = left, row = 0
        for i in items.indices {
            let swatch: Double
            switch items[i].kind {
            case .box: swatch = 18
            case .dot: swatch = 14
            case .line: swatch = 28
            }
            let width = swatch + Double(items[i].label.count) * 6.6
            if x > left, x + width > right {
                row += 1
                x = left
            }
            items[i].x = x
            items[i].row = row
            x += width + 20
        }
        return (items, items.isEmpty ? 1 : row + 1)
    }

    /// A linear axis from zero to a rounded maximum on a 1–2–2.5–5 × 10^k step: the one axis algorithm of every chart
    /// (the report's charts, the sweep's panels and the terminal sweep chart).
    struct AxisScale {
        var max: Double
        var step: Double
        var ticks: [Double] { (0...Int((max / step).rounded())).map { Double($0) * step } }

        /// Digits enough to tell the ticks apart; thousands grouped.
        func label(_ v: Double) -> String {
            var digits = 0
            while digits < 6, abs(step * pow(10, Double(digits)) - (step * pow(10, Double(digits))).rounded()) > 1e-6 { digits += 1 }
            if digits == 0, abs(v) >= 10_000 { return NumberFormat.grouped(Int(v.rounded())) }
            return fixed(v, digits)
        }
    }

    /// The axis for values up to `maxValue` with about `ticks` steps. Not a positive number: 0…1; infinite: the
    /// largest finite value, as is any axis whose rounded top would overflow (then with ticks at 0 and the top only).
    static func niceScale(_ maxValue: Double, ticks: Int = 5) -> AxisScale {
        let v = maxValue == .infinity ? Double.greatestFiniteMagnitude : (maxValue.isFinite && maxValue > 0 ? maxValue : 1)
        let raw = v / Double(Swift.max(1, ticks))
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10
        let step = nice * magnitude
        // A value a hair above a step (rounding noise) does not get a step of its own.
        let count = Swift.max(1, (v / step - 1e-9).rounded(.up))
        let top = count * step
        guard step.isFinite, step > 0, top.isFinite, count <= 24 else { return AxisScale(max: v, step: v) }
        return AxisScale(max: top, step: step)
    }

    // MARK: - Bar table

    struct BarRow {
        var label: String
        var detail: String
        var value: Int
        var colour: String
    }

    /// A small horizontal bar table: label and detail, a bar scaled to the largest value, the count and its share.
    static func barTable(name: String, rows: [BarRow], denominator: Int, emptyText: String) -> String {
        let width = 524.0, rowHeight = 30.0, top = 6.0
        let valueTexts = rows.map { row in
            "\(NumberFormat.grouped(row.value)) · \(NumberFormat.percent(denominator > 0 ? Double(row.value) / Double(denominator) : 0))"
        }
        // The count column widens for long counts (about 7 px a character at 12 px) so that no count runs into its bar.
        let labelWidth = 206.0, valueWidth = max(118.0, Double(valueTexts.map(\.count).max() ?? 0) * 7 + 12)
        let height = rows.isEmpty ? 70 : top * 2 + rowHeight * Double(rows.count)
        var out = [svgOpen(name: name, width: width, height: height, label: "\(name) bar table")]
        if rows.isEmpty {
            out.append(#"<text class="empty" x="\#(f(width / 2))" y="\#(f(height / 2 + 5))" text-anchor="middle">\#(Markup.escape(emptyText))</text>"#)
        }
        let maxValue = Double(rows.map(\.value).max() ?? 0)
        let barSpace = width - labelWidth - valueWidth
        for (i, row) in rows.enumerated() {
            let y = top + rowHeight * Double(i)
            let cy = y + rowHeight / 2
            let valueText = valueTexts[i]
            out.append(#"<g class="bar-row">"#)
            out.append(#"<title>\#(Markup.escape("\(row.label) \(row.detail): \(valueText)"))</title>"#)
            let detail = TextLayout.truncated(row.detail, to: max(0, 26 - row.label.count))
            out.append(#"<text class="row-label" x="0" y="\#(f(cy + 4.5))">\#(Markup.escape(row.label))"#
                + (detail.isEmpty ? "" : #"<tspan class="row-detail" dx="6">\#(Markup.escape(detail))</tspan>"#) + "</text>")
            out.append(#"<rect x="\#(f(labelWidth))" y="\#(f(y + 6))" width="\#(f(barSpace))" height="\#(f(rowHeight - 12))" rx="3" fill="\#(Palette.track)"/>"#)
            let w = maxValue > 0 ? max(2, Double(row.value) / maxValue * barSpace) : 0
            out.append(#"<rect class="bar" x="\#(f(labelWidth))" y="\#(f(y + 6))" width="\#(f(w))" height="\#(f(rowHeight - 12))" rx="3" fill="\#(row.colour)"/>"#)
            out.append(#"<text class="row-value" x="\#(f(width))" y="\#(f(cy + 4.5))" text-anchor="end">\#(Markup.escape(valueText))</text>"#)
            out.append("</g>")
        }
        out.append("</svg>")
        return out.joined(separator: "\n")
    }


    /// SVG coordinates: at most one decimal, never NaN.
    static func f(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let rounded = (v * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : fixed(rounded, 1)
    }
}
