import ArgumentParser
import Foundation
import BarrageCore

/// The value of a numeric, duration, rate or size flag: the text as given and what it reads as, read once when the
/// command line is parsed; `checked` (per kind, in `FlagValue`) holds it to a flag's range with one error style:
/// `FLAG 'TEXT': expected …`.
///
/// These flags are declared with `parsing: .unconditional`, so that argument-parser does not read `-5` or `-1s` as
/// an option ("Missing value"). Reading never fails (a value that does not read is nil), so argument-parser never
/// answers `abc` in its own words: the command's `validate()` calls `checked`, which names the flag and the expected
/// form, and the entry point prints that one line (exit 2).
struct FlagReading<Kind: FlagKind>: ExpressibleByArgument, Equatable, Sendable {
    /// The flag's value as given.
    let text: String
    /// What it reads as; nil when it does not read as `Kind`.
    let value: Kind.Value?

    init(argument: String) {
        text = argument
        value = Kind.read(argument)
    }

    var defaultValueDescription: String { text }
}

/// How one kind of flag value reads.
protocol FlagKind {
    associatedtype Value: Equatable & Sendable
    static func read(_ text: String) -> Value?
}

/// The kinds of flag values and their checks.
enum FlagValue {
    /// A whole number (`-c 50`, `-n 1000`, `--threads 4`).
    typealias Whole = FlagReading<WholeKind>
    /// A duration with a unit (`250ms`, `10s`, `2m`, `1h`), in µs.
    typealias Duration = FlagReading<DurationKind>
    /// Requests per second: digits and a point only (no sign, no exponent).
    typealias Rate = FlagReading<RateKind>
    /// A byte count: `4096`, `4k`, `16K`, `1m`.
    typealias Size = FlagReading<SizeKind>
    /// A seed: 0 to 2^64 - 1.
    typealias Seed = FlagReading<SeedKind>

    enum WholeKind: FlagKind {
        static func read(_ text: String) -> Int? { Int(text.trimmingCharacters(in: .whitespaces)) }
    }

    enum DurationKind: FlagKind {
        static func read(_ text: String) -> Int64? { DurationParser.micros(text) }
    }

    enum RateKind: FlagKind {
        static func read(_ text: String) -> Double? {
            let t = text.trimmingCharacters(in: .whitespaces)
            return t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) ? Double(t) : nil
        }
    }

    enum SizeKind: FlagKind {
        static func read(_ text: String) -> Int? {
            let t = text.trimmingCharacters(in: .whitespaces).lowercased()
            var digits = t, scale = 1
            if t.hasSuffix("k") { digits = String(t.dropLast()); scale = 1_024 }
            else if t.hasSuffix("m") { digits = String(t.dropLast()); scale = 1_048_576 }
            guard let n = Int(digits) else { return nil }
            let (bytes, overflow) = n.multipliedReportingOverflow(by: scale)
            return overflow ? nil : bytes
        }
    }

    enum SeedKind: FlagKind {
        static func read(_ text: String) -> UInt64? { UInt64(text.trimmingCharacters(in: .whitespaces)) }
    }
}

extension FlagReading where Kind == FlagValue.WholeKind {
    /// The number, when it is within `range`.
    func checked(_ flag: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value, range.contains(value) else {
            throw BarrageError.usage("\(flag) '\(text)': expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

extension FlagReading where Kind == FlagValue.DurationKind {
    /// The duration in µs, when it is within [min, max] µs. A bare number gets its unit suggested.
    func checked(_ flag: String, min: Int64, max: Int64) throws -> Int64 {
        let range = "from \(DurationParser.format(micros: min)) to \(DurationParser.format(micros: max))"
        guard let value else {
            let t = text.trimmingCharacters(in: .whitespaces)
            if !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), Double(t) != nil {
                throw BarrageError.usage("\(flag) '\(text)': a duration needs a unit, e.g. \(t)s or \(t)ms")
            }
            throw BarrageError.usage("\(flag) '\(text)': expected a duration \(range), like 250ms, 10s, 2m or 1h")
        }
        guard value >= min, value <= max else {
            throw BarrageError.usage("\(flag) '\(text)': expected a duration \(range)")
        }
        return value
    }
}

extension FlagReading where Kind == FlagValue.RateKind {
    /// The rate, when it is above 0 and at most `max`.
    func checked(_ flag: String, max: Double = 10_000_000) throws -> Double {
        guard let value, value > 0, value <= max else {
            throw BarrageError.usage("\(flag) '\(text)': expected requests per second above 0 and at most \(Int(max)), e.g. 500")
        }
        return value
    }
}

extension FlagReading where Kind == FlagValue.SizeKind {
    /// The byte count, when it is within [min, max] (both whole KiB).
    func checked(_ flag: String, min: Int, max: Int) throws -> Int {
        guard let value, value >= min, value <= max else {
            throw BarrageError.usage("\(flag) '\(text)': expected a size from \(min / 1_024)k to \(max / 1_024)k, like 4k or 16384")
        }
        return value
    }
}

extension FlagReading where Kind == FlagValue.SeedKind {
    /// The seed (any value that reads).
    func checked(_ flag: String) throws -> UInt64 {
        guard let value else {
            throw BarrageError.usage("\(flag) '\(text)': expected a whole number from 0 to \(UInt64.max)")
        }
        return value
    }
}
