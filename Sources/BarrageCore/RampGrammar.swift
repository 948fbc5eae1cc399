import Foundation

/// The CLI's ramp grammar: comma-separated stages, each `FROM->TO:DURATION` (a linear ramp) or `VALUE:DURATION`
/// (hold). `0->500:30s,500:60s,500->0:10s` ramps to 500 over 30 s, holds for a minute, ramps down over 10 s.
public enum RampGrammar {
    public struct Parsed: Equatable, Sendable {
        public var start: Double
        /// (duration µs, value at the stage's end)
        public var stages: [(durationMicros: Int64, value: Double)]

        public static func == (a: Parsed, b: Parsed) -> Bool {
            a.start == b.start && a.stages.count == b.stages.count
                && zip(a.stages, b.stages).allSatisfy { $0.durationMicros == $1.durationMicros && $0.value == $1.value }
        }
    }

    /// Parses a ramp; `flag` names the flag in errors. Values must be finite and ≥ 0; stages continue where the
    /// previous one ended.
    public static func parse(_ text: String, flag: String) throws -> Parsed {
        func fail(_ why: String) -> BarrageError {
            BarrageError.usage("\(flag) '\(text)': \(why) (grammar: FROM->TO:DURATION or VALUE:DURATION, comma-separated)")
        }
        var start: Double? = nil
        var stages: [(Int64, Double)] = []
        var previousEnd: Double? = nil
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("empty") }
        for (i, raw) in parts.enumerated() {
            let part = raw.trimmingCharacters(in: .whitespaces)
            guard let colon = part.lastIndex(of: ":") else { throw fail("stage \(i + 1) '\(part)' has no ':DURATION'") }
            let valuePart = part[..<colon].trimmingCharacters(in: .whitespaces)
            let durationPart = String(part[part.index(after: colon)...])
            guard let micros = DurationParser.micros(durationPart), micros > 0 else {
                throw fail("stage \(i + 1): '\(durationPart)' is not a positive duration")
            }
            let from: Double
            let to: Double
            if let arrow = valuePart.range(of: "->") {
                guard let f = number(valuePart[..<arrow.lowerBound]), let t = number(valuePart[arrow.upperBound...]) else {
                    throw fail("stage \(i + 1): '\(valuePart)' is not FROM->TO with numbers ≥ 0")
                }
                from = f
                to = t
            } else {
                guard let v = number(Substring(valuePart)) else { throw fail("stage \(i + 1): '\(valuePart)' is not a number ≥ 0") }
                from = previousEnd ?? v
                to = v
            }
            if let previousEnd, from != previousEnd {
                throw fail("stage \(i + 1) starts at \(format(from)) but stage \(i) ended at \(format(previousEnd))")
            }
            if start == nil { start = from }
            stages.append((micros, to))
            previousEnd = to
        }
        return Parsed(start: start ?? 0, stages: stages)
    }

    private static func number(_ s: Substring) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty, t.allSatisfy({ $0.isNumber || $0 == "." }), let v = Double(t), v.isFinite, v >= 0 else { return nil }
        return v
    }

    private static func format(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : fixed(v, 3)
    }
}
