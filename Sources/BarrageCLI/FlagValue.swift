import Foundation
import BarrageCore

/// Reads the values of numeric and duration flags, with one error style: `FLAG 'TEXT': expected …`.
///
/// These flags are declared as text with `parsing: .unconditional`, so that argument-parser neither reads `-5` or
/// `-1s` as an option ("Missing value") nor answers `abc` in its own words: every bad value reaches this type and
/// gets one line naming the flag and the expected form.
enum FlagValue {
    /// A whole number within `range`.
    static func whole(_ text: String, flag: String, in range: ClosedRange<Int>) throws -> Int {
        guard let v = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(v) else {
            throw BarrageError.usage("\(flag) '\(text)': expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    /// A non-negative whole number up to 2^64 - 1 (seeds).
    static func seed(_ text: String, flag: String) throws -> UInt64 {
        guard let v = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
            throw BarrageError.usage("\(flag) '\(text)': expected a whole number from 0 to \(UInt64.max)")
        }
        return v
    }

    /// A rate in requests per second: above 0, at most `max`.
    static func rate(_ text: String, flag: String, max: Double = 10_000_000) throws -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let v = Double(t), v > 0, v <= max else {
            throw BarrageError.usage("\(flag) '\(text)': expected requests per second above 0 and at most \(Int(max)), e.g. 500")
        }
        return v
    }

    /// A duration with a unit (`250ms`, `10s`, `2m`, `1h`) within [min, max] µs. A bare number suggests its unit.
    static func duration(_ text: String, flag: String, min: Int64, max: Int64) throws -> Int64 {
        let range = "from \(DurationParser.format(micros: min)) to \(DurationParser.format(micros: max))"
        guard let v = DurationParser.micros(text) else {
            let t = text.trimmingCharacters(in: .whitespaces)
            if !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), Double(t) != nil {
                throw BarrageError.usage("\(flag) '\(text)': a duration needs a unit, e.g. \(t)s or \(t)ms")
            }
            throw BarrageError.usage("\(flag) '\(text)': expected a duration \(range), like 250ms, 10s, 2m or 1h")
        }
        guard v >= min, v <= max else {
            throw BarrageError.usage("\(flag) '\(text)': expected a duration \(range)")
        }
        return v
    }
}
