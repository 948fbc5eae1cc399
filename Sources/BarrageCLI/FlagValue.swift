import ArgumentParser
import Foundation
import BarrageCore

/// The values of numeric, duration, rate and size flags, read once when the command line is parsed, checked against
/// a flag's range with one error style: `FLAG 'TEXT': expected …`.
///
/// These flags are declared with `parsing: .unconditional`, so that argument-parser does not read `-5` or `-1s` as
/// an option ("Missing value"). Reading never fails (`init(argument:)` keeps the text and what it reads as), so
/// argument-parser never answers `abc` in its own words; `checked` then names the flag and the expected form, and the
/// entry point prints that one line (exit 2).
enum FlagValue {
    /// A whole number (`-c 50`, `-n 1000`, `--threads 4`).
    struct Whole: ExpressibleByArgument, Equatable, Sendable {
        /// The flag's value as given.
        let text: String
        /// The number it reads as; nil when it is not one.
        let value: Int?

        init(argument: String) {
            text = argument
            value = Int(argument.trimmingCharacters(in: .whitespaces))
        }

        var defaultValueDescription: String { text }

        /// The number, when it is within `range`.
        func checked(_ flag: String, in range: ClosedRange<Int>) throws -> Int {
            guard let value, range.contains(value) else {
                throw BarrageError.usage("\(flag) '\(text)': expected a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
    }

    /// A duration with a unit (`250ms`, `10s`, `2m`, `1h`); a bare number gets its unit suggested.
    struct Duration: ExpressibleByArgument, Equatable, Sendable {
        let text: String
        /// µs; nil when the text is not a duration.
        let micros: Int64?

        init(argument: String) {
            text = argument
            micros = DurationParser.micros(argument)
        }

        var defaultValueDescription: String { text }

        /// The duration in µs, when it is within [min, max] µs.
        func checked(_ flag: String, min: Int64, max: Int64) throws -> Int64 {
            let range = "from \(DurationParser.format(micros: min)) to \(DurationParser.format(micros: max))"
            guard let micros else {
                let t = text.trimmingCharacters(in: .whitespaces)
                if !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), Double(t) != nil {
                    throw BarrageError.usage("\(flag) '\(text)': a duration needs a unit, e.g. \(t)s or \(t)ms")
                }
                throw BarrageError.usage("\(flag) '\(text)': expected a duration \(range), like 250ms, 10s, 2m or 1h")
            }
            guard micros >= min, micros <= max else {
                throw BarrageError.usage("\(flag) '\(text)': expected a duration \(range)")
            }
            return micros
        }
    }

    /// A rate in requests per second: digits and a point only (no sign, no exponent).
    struct Rate: ExpressibleByArgument, Equatable, Sendable {
        let text: String
        /// The rate it reads as; nil when it is not a plain decimal number.
        let value: Double?

        init(argument: String) {
            text = argument
            let t = argument.trimmingCharacters(in: .whitespaces)
            value = t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) ? Double(t) : nil
        }

        var defaultValueDescription: String { text }

        /// The rate, when it is above 0 and at most `max`.
        func checked(_ flag: String, max: Double = 10_000_000) throws -> Double {
            guard let value, value > 0, value <= max else {
                throw BarrageError.usage("\(flag) '\(text)': expected requests per second above 0 and at most \(Int(max)), e.g. 500")
            }
            return value
        }
    }

    /// A byte count: `4096`, `4k`, `16K`, `1m`.
    struct Size: ExpressibleByArgument, Equatable, Sendable {
        let text: String
        /// Bytes; nil when the text is not a size (or overflows).
        let bytes: Int?

        init(argument: String) {
            text = argument
            let t = argument.trimmingCharacters(in: .whitespaces).lowercased()
            var digits = t, scale = 1
            if t.hasSuffix("k") { digits = String(t.dropLast()); scale = 1_024 }
            else if t.hasSuffix("m") { digits = String(t.dropLast()); scale = 1_048_576 }
            if let n = Int(digits) {
                let (b, overflow) = n.multipliedReportingOverflow(by: scale)
                bytes = overflow ? nil : b
            } else {
                bytes = nil
            }
        }

        var defaultValueDescription: String { text }

        /// The byte count, when it is within [min, max] (both whole KiB).
        func checked(_ flag: String, min: Int, max: Int) throws -> Int {
            guard let bytes, bytes >= min, bytes <= max else {
                throw BarrageError.usage("\(flag) '\(text)': expected a size from \(min / 1_024)k to \(max / 1_024)k, like 4k or 16384")
            }
            return bytes
        }
    }

    /// A seed: a whole number from 0 to 2^64 - 1.
    struct Seed: ExpressibleByArgument, Equatable, Sendable {
        let text: String
        let value: UInt64?

        init(argument: String) {
            text = argument
            value = UInt64(argument.trimmingCharacters(in: .whitespaces))
        }

        var defaultValueDescription: String { text }

        func checked(_ flag: String) throws -> UInt64 {
            guard let value else {
                throw BarrageError.usage("\(flag) '\(text)': expected a whole number from 0 to \(UInt64.max)")
            }
            return value
        }
    }
}
