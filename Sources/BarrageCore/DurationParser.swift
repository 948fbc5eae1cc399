import Foundation

/// Durations as users write them (`250ms`, `10s`, `1.5s`, `2m`, `1h`, `500us`, `1m30s`) and as we print them.
/// Internally every duration is an integer count of microseconds.
public enum DurationParser {
    private static let unitMicros: [(suffix: String, micros: Double)] = [
        ("us", 1), ("µs", 1), ("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000), ("h", 3_600_000_000),
    ]

    /// Parses a duration into microseconds. A bare number is not accepted: the unit must be explicit.
    /// Returns nil for anything malformed, negative, or beyond 100 days.
    public static func micros(_ text: String) -> Int64? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let numberEnd = rest.firstIndex(where: { !($0.isNumber && $0.isASCII) && $0 != "." }) ?? rest.endIndex
            let numberText = rest[rest.startIndex..<numberEnd]
            guard !numberText.isEmpty, numberText.filter({ $0 == "." }).count <= 1,
                  numberText.first != ".", numberText.last != ".",
                  let value = Double(numberText) else { return nil }
            rest = rest[numberEnd...]
            // Longest unit first so that "ms" is not read as "m" followed by garbage.
            let unitEnd = rest.firstIndex(where: { ($0.isNumber && $0.isASCII) }) ?? rest.endIndex
            let unit = String(rest[rest.startIndex..<unitEnd])
            guard let match = unitMicros.first(where: { $0.suffix == unit }) else { return nil }
            total += value * match.micros
            rest = rest[unitEnd...]
        }
        guard total.isFinite, total >= 0, total <= 100 * 86_400 * 1_000_000 else { return nil }
        return Int64(total.rounded())
    }

    /// A short human form with a unit chosen for the value: `850µs`, `12.3ms`, `1.50s`, `2m05s`.
    public static func format(micros: Int64) -> String {
        format(microsDouble: Double(micros))
    }

    public static func format(microsDouble micros: Double) -> String {
        let abs = Swift.abs(micros)
        if abs < 1_000 { return "\(Int(micros.rounded()))µs" }
        if abs < 1_000_000 { return fixed(micros / 1_000, abs < 10_000 ? 2 : (abs < 100_000 ? 1 : 0)) + "ms" }
        if abs < 60_000_000 { return fixed(micros / 1_000_000, abs < 10_000_000 ? 2 : 1) + "s" }
        let totalSeconds = Int((micros / 1_000_000).rounded())
        if totalSeconds < 3600 {
            return "\(totalSeconds / 60)m" + pad2(totalSeconds % 60) + "s"
        }
        return "\(totalSeconds / 3600)h" + pad2((totalSeconds % 3600) / 60) + "m"
    }

    private static func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
