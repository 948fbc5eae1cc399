/// What the live display shows at one moment of a run. The engine's progress callback fills it; `LiveView` only
/// renders it, so every frame is a pure function of this value and can be tested without a terminal.
public struct LiveSnapshot: Sendable {
    public var plan: PlanRecord
    /// Time since the run's start.
    public var elapsedMicros: Int64
    /// The planned length of the run; nil when it is bound by a request count alone.
    public var totalMicros: Int64?
    /// Requests the plan schedules (`PlanRecord.expected_requests`); the progress measure when `totalMicros` is nil.
    public var expectedRequests: Int?
    /// The current stage, 0-based; nil when the caller does not know it.
    public var stageIndex: Int?
    /// The current stage's target load as text: "300/s", "50 workers".
    public var stageTarget: String?
    /// Everything recorded in the seconds closed so far.
    public var sofar: Recorder
    /// The latest complete second.
    public var lastSecond: TimelineEntry?
    /// Requests per second of up to the last 60 seconds, oldest first, for the sparkline.
    /// Nil for a second without a rate (inside the warm-up): not drawn.
    public var recentRPS: [Double?]
    /// Requests in flight now.
    public var inFlight: Int
    /// Counts as the engine threads see them now (current second included); when nil, `sofar`'s and `inFlight`.
    public var counts: LiveCounts?
    /// A WebSocket run's messages; nil for HTTP runs (whose panel and line show requests only).
    public var messages: LiveMessages?

    /// The counts shown: the engine's live ones when there are some, else those of the closed seconds.
    public var shownCounts: LiveCounts {
        counts ?? LiveCounts(ok: sofar.ok, failed: sofar.failed, dropped: sofar.dropped, inFlight: inFlight)
    }

    public init(plan: PlanRecord, elapsedMicros: Int64, totalMicros: Int64? = nil, expectedRequests: Int? = nil,
                stageIndex: Int? = nil, stageTarget: String? = nil, sofar: Recorder = Recorder(),
                lastSecond: TimelineEntry? = nil, recentRPS: [Double?] = [], inFlight: Int = 0, counts: LiveCounts? = nil,
                messages: LiveMessages? = nil) {
        self.counts = counts
        self.messages = messages
        self.plan = plan; self.elapsedMicros = elapsedMicros; self.totalMicros = totalMicros
        self.expectedRequests = expectedRequests; self.stageIndex = stageIndex; self.stageTarget = stageTarget
        self.sofar = sofar; self.lastSecond = lastSecond; self.recentRPS = recentRPS; self.inFlight = inFlight
    }
}

/// Renders a run's progress: a multi-line panel for terminals, redrawn in place, and a calm one-line form for logs.
///
/// Everything here is pure text. The caller owns the terminal: it decides whether to colour (`shouldColor`), writes
/// `redraw(previousLineCount:lines:)` in one write a few times a second, and clears the panel before the final
/// report with `redraw(previousLineCount: n, lines: [])`.
public enum LiveView {
    /// Panel width when the terminal's is unknown, and the narrowest panel drawn.
    public static let defaultWidth = 80
    public static let minimumWidth = 40
    /// The panel's last line.
    public static let hint = "Ctrl-C to stop (results are kept)"
    /// The sparkline's levels, lowest first.
    public static let sparkLevels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    private static let esc = "\u{1B}"
    /// Width of the label column ("progress  ").
    private static let labelColumns = 10

    // MARK: The panel

    /// The panel's lines, without line feeds. Always the same number of lines during a run (7; 10 for a WebSocket run,
    /// whose messages take three more), so the caller's cursor arithmetic never changes.
    ///
    /// Each line holds at most `width - 1` visible characters: writing a terminal's last column leaves some terminals
    /// in a pending-wrap state in which the following line feed adds a blank line and the redraw drifts downwards.
    /// A `width` of 0 or less means unknown (80); anything else below 40 is drawn at 40.
    /// With `color` false the lines contain no escape byte at all.
    public static func panel(_ s: LiveSnapshot, width: Int = defaultWidth, color: Bool) -> [String] {
        let columns = (width <= 0 ? defaultWidth : Swift.max(minimumWidth, width)) - 1
        let space = columns - labelColumns
        var lines: [[Span]] = []

        // progress  [████▌░░░░░]  00:12 / 01:40  12%
        let progress = progressParts(s)
        if let fraction = progress.fraction {
            let right = "  " + progress.text
            let cells = Swift.min(40, Swift.max(5, space - 2 - right.count))
            lines.append(label("progress") + [Span("[" + bar(fraction: fraction, cells: cells) + "]" + right)])
        } else {
            lines.append(label("progress") + [Span(progress.text)])
        }

        // stage     2/3 · target 300/s
        lines.append(label("stage") + [Span(stageText(s, panel: true))])

        // rate      298.0 req/s · in flight 12
        lines.append(label("rate") + [Span(rpsText(s.lastSecond) + " · in flight " + TextReport.grouped(s.shownCounts.inFlight))])

        // requests  ok 3,512 · failed 0 · dropped 0
        // Green ok always; red and yellow only once there is something to look at, so a clean run stays calm.
        let r = s.shownCounts
        lines.append(label("requests") + [
            Span("ok " + TextReport.grouped(r.ok), .green), Span(" · "),
            Span("failed " + TextReport.grouped(r.failed), r.failed > 0 ? .red : nil), Span(" · "),
            Span("dropped " + TextReport.grouped(r.dropped), r.dropped > 0 ? .yellow : nil),
        ])

        // latency   p50 1.20ms · p99 8.40ms (last second)
        let latency = latencyParts(s.lastSecond)
        lines.append(label("latency") + [Span("p50 \(latency.p50) · p99 \(latency.p99) (last second)")])

        if let m = s.messages {
            // msg rate  1204.0 msg/s · connections open 50
            lines.append(label("msg rate") + [Span(messageRateText(m) + " · connections open " + TextReport.grouped(m.counts.connectionsOpen))])
            // messages  answered 35,120 · failed 0 · dropped 0
            let c = m.counts
            lines.append(label("messages") + [
                Span("answered " + TextReport.grouped(c.answered), .green), Span(" · "),
                Span("failed " + TextReport.grouped(c.failed), c.failed > 0 ? .red : nil), Span(" · "),
                Span("dropped " + TextReport.grouped(c.dropped), c.dropped > 0 ? .yellow : nil),
            ])
            // msg lat.  p50 1.10ms · p99 7.90ms (last second)
            let ml = messageLatencyParts(m)
            lines.append(label("msg lat.") + [Span("p50 \(ml.p50) · p99 \(ml.p99) (last second)")])
        }

        // req/s     ▁▂▃▅▇█▇  peak 312.0
        let values = s.recentRPS.compactMap { $0 }.map { $0.isFinite && $0 > 0 ? $0 : 0 }
        if values.isEmpty {
            lines.append(label("req/s") + [Span("-")])
        } else {
            let suffix = "  peak " + fixed(values.max() ?? 0, 1)
            let cells = Swift.max(0, Swift.min(values.count, 60, space - suffix.count))
            lines.append(label("req/s") + [Span(sparkline(Array(values.suffix(cells)))), Span(suffix, .dim)])
        }

        lines.append([Span(hint, .dim)])
        return lines.map { render($0, columns: columns, color: color) }
    }

    /// The bytes that replace the previous panel with `lines`, to be written at once. Expects the cursor at the start
    /// of the line below the previous panel (where the previous write left it) and leaves it below the new one.
    ///
    /// Moves up `previousLineCount` lines, clears and rewrites each line in place (`ESC[2K`), and, when the new panel
    /// is shorter, clears what is left below it (`ESC[J`). No full-screen clear, so nothing above the panel flickers
    /// or is lost. `previousLineCount` 0 draws the first frame; empty `lines` erases the panel.
    public static func redraw(previousLineCount: Int, lines: [String]) -> String {
        var out = ""
        if previousLineCount > 0 { out += "\r" + esc + "[\(previousLineCount)A" }
        for line in lines { out += esc + "[2K" + line + "\n" }
        if previousLineCount > lines.count { out += esc + "[J" }
        return out
    }

    // MARK: The one-line form

    /// The progress in one line for logs and other non-terminals; never an escape code:
    /// `[00:12/01:40  12%] stage 2/3 (300/s) · 298.0 req/s · in flight 12 · ok 3,512 · failed 0 · dropped 0 · p50 1.20ms p99 8.40ms`
    ///
    /// A WebSocket run goes on with its messages (rate and latency of the latest second, counts so far):
    /// `… · 1204.0 msg/s · connections open 50 · answered 35,120 · msg failed 0 · msg dropped 0 · msg p50 1.10ms p99 7.90ms`
    public static func progressLine(_ s: LiveSnapshot) -> String {
        var head: String
        if let total = s.totalMicros, total > 0 {
            head = "\(clock(elapsedMicros: s.elapsedMicros))/\(clock(totalMicros: total))  \(percent(timeFraction(s) ?? 0))%"
        } else if let expected = s.expectedRequests, expected > 0 {
            let fraction = Double(s.shownCounts.total) / Double(expected)
            head = "\(clock(elapsedMicros: s.elapsedMicros)) · \(TextReport.grouped(s.shownCounts.total))/\(TextReport.grouped(expected))  \(percent(fraction))%"
        } else {
            head = clock(elapsedMicros: s.elapsedMicros)
        }
        head = "[" + head + "]"
        let stage = stageText(s, panel: false)
        if !stage.isEmpty { head += " " + stage }
        let r = s.shownCounts
        let latency = latencyParts(s.lastSecond)
        let parts = [
            head,
            rpsText(s.lastSecond),
            "in flight " + TextReport.grouped(r.inFlight),
            "ok " + TextReport.grouped(r.ok),
            "failed " + TextReport.grouped(r.failed),
            "dropped " + TextReport.grouped(r.dropped),
            "p50 \(latency.p50) p99 \(latency.p99)",
        ]
        var messageParts: [String] = []
        if let m = s.messages {
            let ml = messageLatencyParts(m)
            messageParts = [
                messageRateText(m),
                "connections open " + TextReport.grouped(m.counts.connectionsOpen),
                "answered " + TextReport.grouped(m.counts.answered),
                "msg failed " + TextReport.grouped(m.counts.failed),
                "msg dropped " + TextReport.grouped(m.counts.dropped),
                "msg p50 \(ml.p50) p99 \(ml.p99)",
            ]
        }
        return (parts + messageParts).joined(separator: " · ")
    }

    // MARK: Colour

    /// Whether to colour, from `--color auto|always|never`, whether the output is a terminal, and the environment.
    ///
    /// - `never`: no colour.
    /// - `always`: colour, even with `NO_COLOR` set. An explicit per-invocation flag is the user's latest word;
    ///   no-color.org's FAQ says command-line arguments should override `NO_COLOR`.
    /// - `auto` (and anything unrecognised): colour only on a terminal, with `NO_COLOR` absent or empty (no-color.org:
    ///   "when present and not an empty string") and `TERM` other than `dumb`.
    public static func shouldColor(mode: String, isTerminal: Bool, environment: [String: String]) -> Bool {
        switch mode.lowercased() {
        case "always": return true
        case "never": return false
        default:
            if !isTerminal { return false }
            if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
            if environment["TERM"] == "dumb" { return false }
            return true
        }
    }

    // MARK: Pieces, public for tests and other reports

    /// A bar of `cells` characters filled to `fraction` (clamped to 0…1), with eighth-cell precision:
    /// full cells `█`, one partial cell `▏▎▍▌▋▊▉`, and `░` for the rest.
    public static func bar(fraction: Double, cells: Int) -> String {
        guard cells > 0 else { return "" }
        let f = fraction.isFinite ? Swift.min(1, Swift.max(0, fraction)) : 0
        let eighths = Int((f * Double(cells * 8)).rounded(.down))
        let full = eighths / 8
        let partials: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var out = String(repeating: "█", count: full)
        if full < cells {
            let rest = eighths % 8
            out.append(rest > 0 ? partials[rest - 1] : "░")
            out += String(repeating: "░", count: cells - full - 1)
        }
        return out
    }

    /// One character per value, scaled from zero to the largest value (so the height is honest: a flat line at half
    /// height means half the peak). Zero, negative and non-finite values are the lowest level.
    public static func sparkline(_ values: [Double]) -> String {
        let clean = values.map { $0.isFinite && $0 > 0 ? $0 : 0 }
        let peak = clean.max() ?? 0
        return String(clean.map { v -> Character in
            guard peak > 0 else { return sparkLevels[0] }
            let level = Int((v / peak * Double(sparkLevels.count)).rounded(.up)) - 1
            return sparkLevels[Swift.min(sparkLevels.count - 1, Swift.max(0, level))]
        })
    }

    /// `mm:ss`, or `h:mm:ss` from an hour on.
    public static func clock(seconds: Int64) -> String {
        let s = Swift.max(0, seconds)
        func pad2(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        if s >= 3600 { return "\(s / 3600):" + pad2(s % 3600 / 60) + ":" + pad2(s % 60) }
        return pad2(s / 60) + ":" + pad2(s % 60)
    }

    // MARK: Private

    /// Elapsed time counts whole seconds passed; the plan's length rounds up so a 1.5 s plan reads 00:02.
    private static func clock(elapsedMicros: Int64) -> String { clock(seconds: elapsedMicros / 1_000_000) }
    private static func clock(totalMicros: Int64) -> String { clock(seconds: (totalMicros + 999_999) / 1_000_000) }

    /// Rounded down, so 100 % appears only when the work is done.
    private static func percent(_ fraction: Double) -> Int {
        guard fraction.isFinite else { return 0 }
        return Int((Swift.min(1, Swift.max(0, fraction)) * 100).rounded(.down))
    }

    private static func timeFraction(_ s: LiveSnapshot) -> Double? {
        guard let total = s.totalMicros, total > 0 else { return nil }
        return Double(s.elapsedMicros) / Double(total)
    }

    /// The progress measure: time when the plan has a length, else requests against the expected count, else none
    /// (elapsed time only).
    private static func progressParts(_ s: LiveSnapshot) -> (fraction: Double?, text: String) {
        let elapsed = clock(elapsedMicros: s.elapsedMicros)
        if let total = s.totalMicros, total > 0 {
            let f = timeFraction(s) ?? 0
            return (f, "\(elapsed) / \(clock(totalMicros: total))  \(percent(f))%")
        }
        if let expected = s.expectedRequests, expected > 0 {
            let f = Double(s.shownCounts.total) / Double(expected)
            return (f, "\(TextReport.grouped(s.shownCounts.total)) / \(TextReport.grouped(expected))  \(percent(f))%  \(elapsed)")
        }
        return (nil, "\(elapsed) elapsed")
    }

    /// Panel: `2/3 · target 300/s` (or `-`). One line: `stage 2/3 (300/s)` (or nothing).
    private static func stageText(_ s: LiveSnapshot, panel: Bool) -> String {
        let count = Swift.max(1, s.plan.stages.count)
        let position = s.stageIndex.map { "\($0 + 1)/\(Swift.max(count, $0 + 1))" }
        switch (position, s.stageTarget) {
        case let (p?, t?): return panel ? "\(p) · target \(t)" : "stage \(p) (\(t))"
        case let (p?, nil): return panel ? p : "stage \(p)"
        case let (nil, t?): return panel ? "target \(t)" : "(\(t))"
        case (nil, nil): return panel ? "-" : ""
        }
    }

    private static func rpsText(_ last: TimelineEntry?) -> String {
        (last?.rps.map { fixed($0, 1) } ?? "-") + " req/s"
    }

    /// `-` before a complete second, or when it was too short for a rate.
    private static func messageRateText(_ m: LiveMessages) -> String {
        (m.rate.map { fixed($0, 1) } ?? "-") + " msg/s"
    }

    /// `-` when the latest window holds no answered message.
    private static func messageLatencyParts(_ m: LiveMessages) -> (p50: String, p99: String) {
        guard let l = m.latencyMicros else { return ("-", "-") }
        return (DurationParser.format(micros: l.p50), DurationParser.format(micros: l.p99))
    }

    /// `-` when the last second holds no complete response (its latency summary is empty).
    private static func latencyParts(_ last: TimelineEntry?) -> (p50: String, p99: String) {
        guard let e = last, e.max_us > 0 || e.p99_us > 0 else { return ("-", "-") }
        return (DurationParser.format(micros: e.p50_us), DurationParser.format(micros: e.p99_us))
    }

    // A line as styled pieces, so truncation counts visible characters only and never cuts an escape sequence.
    private enum Style: String {
        case bold = "1", dim = "2", red = "31", green = "32", yellow = "33"
    }

    private struct Span {
        var text: String
        var style: Style?
        init(_ text: String, _ style: Style? = nil) { self.text = text; self.style = style }
    }

    private static func label(_ name: String) -> [Span] {
        [Span(name, .bold), Span(String(repeating: " ", count: Swift.max(1, labelColumns - name.count)))]
    }

    /// Joins the spans, cut to `columns` visible characters (the last one `…` when cut), with SGR codes only when
    /// `color` is true. Every coloured piece resets after itself, so a cut line never leaks a style.
    private static func render(_ spans: [Span], columns: Int, color: Bool) -> String {
        let total = spans.reduce(0) { $0 + $1.text.count }
        let cut = total > columns
        var budget = cut ? columns - 1 : columns
        var out = ""
        for span in spans where budget > 0 {
            let piece = span.text.count <= budget ? span.text : String(span.text.prefix(budget))
            budget -= piece.count
            if color, let style = span.style, !piece.isEmpty {
                out += esc + "[" + style.rawValue + "m" + piece + esc + "[0m"
            } else {
                out += piece
            }
        }
        if cut { out += "…" }
        return out
    }
}
