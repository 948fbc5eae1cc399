import Foundation
import Histogram

/// The latency histogram printed under the summary's latency table: complete responses per latency range, the
/// ranges log-spaced between the fastest and the slowest response so that the rows cover where the data is (a run
/// between 5 ms and 10 ms gets rows of 5.4 ms, 5.8 ms, … rather than one row "≤ 10 ms" holding everything).
///
/// Rows are cut at `edges`: row i holds the responses above edge i−1 and at most edge i; the first row starts at the
/// minimum, the last edge is the maximum. Counts are whole and every response lands in exactly one row; percents are
/// whole numbers (`<1%` and `>99%` where rounding would show 0 or 100 for a row that is neither).
public enum TerminalHistogram {
    public struct Row: Equatable, Sendable {
        /// The row's upper bound, µs (inclusive).
        public var upToMicros: Int64
        public var count: Int

        public init(upToMicros: Int64, count: Int) {
            self.upToMicros = upToMicros
            self.count = count
        }
    }

    /// Upper bounds of at most `rows` ranges, log-spaced from `min` to `max` (both µs), the last exactly `max`.
    /// Bounds that would print alike (`1.23ms` twice) are merged. Empty when `max <= min`.
    public static func edges(min: Int64, max: Int64, rows: Int = 8) -> [Int64] {
        let lo = Swift.max(1, min)
        guard max > lo, rows >= 1 else { return [] }
        let ratio = Double(max) / Double(lo)
        var out: [Int64] = []
        for i in 1...rows {
            let edge = i == rows ? max : Int64((Double(lo) * Foundation.pow(ratio, Double(i) / Double(rows))).rounded())
            let clamped = Swift.min(Swift.max(edge, lo), max)
            if let last = out.last, last >= clamped || DurationParser.format(micros: last) == DurationParser.format(micros: clamped) {
                out[out.count - 1] = clamped
            } else {
                out.append(clamped)
            }
        }
        return out
    }

    /// Counts per row for recorded `(micros, count)` pairs. Values outside `min…max` (a histogram reports a value as
    /// its bucket's highest equivalent) count in the nearest row. Empty leading and trailing rows are dropped.
    public static func rows(_ samples: [(micros: Int64, count: Int)], min: Int64, max: Int64, rows maxRows: Int = 8) -> [Row] {
        let edges = edges(min: min, max: max, rows: maxRows)
        guard !edges.isEmpty else { return [] }
        var counts = Array(repeating: 0, count: edges.count)
        for s in samples where s.count > 0 {
            let v = Swift.min(Swift.max(s.micros, min), max)
            var lo = 0, hi = edges.count - 1
            while lo < hi { // the first edge at or above v
                let mid = (lo + hi) / 2
                if edges[mid] >= v { hi = mid } else { lo = mid + 1 }
            }
            counts[lo] += s.count
        }
        var out = zip(edges, counts).map { Row(upToMicros: $0, count: $1) }
        while out.first?.count == 0 { out.removeFirst() }
        while out.last?.count == 0 { out.removeLast() }
        return out
    }

    /// The rows of a summary's distribution (carried in its `hdr`); empty without one or with a single value.
    public static func rows(_ s: HistogramSummary, rows maxRows: Int = 8) -> [Row] {
        guard s.count > 1, s.max > s.min, let h = (try? s.histogram()) ?? nil else { return [] }
        var samples: [(micros: Int64, count: Int)] = []
        for step in h.recordedValues() { samples.append((Int64(step.value), Int(step.count))) }
        return rows(samples, min: s.min, max: s.max, rows: maxRows)
    }

    /// `32%`; `<1%` for a non-empty row that rounds to 0, `>99%` for a row short of all that rounds to 100.
    public static func percent(_ count: Int, of total: Int) -> String {
        guard total > 0 else { return "0%" }
        if count == total { return "100%" }
        let share = Double(count) * 100 / Double(total)
        let whole = Int(share.rounded())
        if count > 0 && whole == 0 { return "<1%" }
        if whole >= 100 { return ">99%" }
        return "\(whole)%"
    }

    /// The rows as bars, each line at most `width` columns: `    ≤ 6.20ms ████▌   412 (31%)`. Counts and percents are
    /// never shortened; the bars take the room left (at most 40 columns).
    public static func render(_ rows: [Row], width: Int = 80, indent: Int = 4) -> [String] {
        guard !rows.isEmpty else { return [] }
        let total = rows.reduce(0) { $0 + $1.count }
        let labels = rows.map { "≤ " + DurationParser.format(micros: $0.upToMicros) }
        let counts = rows.map { TextReport.grouped($0.count) }
        let percents = rows.map { "(" + percent($0.count, of: total) + ")" }
        let labelWidth = labels.map(\.count).max() ?? 0
        let countWidth = counts.map(\.count).max() ?? 0
        let percentWidth = percents.map(\.count).max() ?? 0
        let textWidth = countWidth + 1 + percentWidth
        let barWidth = Swift.max(1, Swift.min(40, width - indent - labelWidth - textWidth - 2))
        let largest = rows.map(\.count).max() ?? 0
        let partials: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        return rows.indices.map { i in
            var eighths = largest > 0 ? Int((Double(rows[i].count) / Double(largest) * Double(barWidth * 8)).rounded()) : 0
            if eighths == 0 && rows[i].count > 0 { eighths = 1 }
            var bar = String(repeating: "█", count: eighths / 8)
            if eighths % 8 > 0 { bar.append(partials[eighths % 8 - 1]) }
            let text = String(repeating: " ", count: countWidth - counts[i].count) + counts[i] + " "
                + percents[i] + String(repeating: " ", count: percentWidth - percents[i].count)
            return TextLayout.rightTrimmed(String(repeating: " ", count: indent)
                + labels[i] + String(repeating: " ", count: labelWidth - labels[i].count) + " "
                + bar + String(repeating: " ", count: barWidth - bar.count) + " " + text)
        }
    }
}
