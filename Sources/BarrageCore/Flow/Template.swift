/// A string with `${...}` placeholders, parsed once (at profile load) into parts.
///
/// Placeholders:
/// - `${name}`: a variable — an environment value, a capture (`${token}`) or a data-set column (`${users.name}`).
///   A name is letters, digits, `_` and `-`, in dot-separated pieces.
/// - `${vu}`, `${iteration}`: the VU's global id and its iteration number.
/// - `${uuid}`: a version-4 UUID drawn from the flow's seeded generator (not the system's).
/// - `${random_int(a,b)}`: a uniform integer in `a...b` (inclusive, `a ≤ b`, either may be negative), seeded too.
/// - `${now_ms}`: Unix time in milliseconds, as the caller's context gives it.
///
/// Escape: `$${` is a literal `${` (and nothing else is special: a `$` not followed by `{` is itself).
/// Spaces just inside the braces are ignored (`${ token }`).
public struct Template: Sendable, Equatable, CustomStringConvertible {
    public enum Part: Sendable, Equatable {
        case literal([UInt8])
        case variable(String)
        /// `${NAME:-value}`: an environment (`-e`) value with a default, resolved when the profile loads (so a
        /// compiled template never holds one).
        case defaulted(String, String)
        case vu
        case iteration
        case uuid
        case randomInt(Int64, Int64)
        case nowMillis
    }

    /// The text the template was parsed from.
    public let text: String
    /// The parts in order; adjacent literals are merged.
    public let parts: [Part]

    public var description: String { text }

    /// Parses `text`; throws a one-line usage error (the loader prefixes `file:line: field:`).
    public init(parsing text: String) throws {
        self.text = text
        self.parts = try Template.parse(Array(text.utf8))
    }

    /// The variable names used, in order of first use, each once (built-ins excluded).
    public var names: [String] {
        var seen = Set<String>()
        var out: [String] = []
        for case .variable(let n) in parts where seen.insert(n).inserted { out.append(n) }
        return out
    }

    /// True when the template has no placeholder at all (the caller can send its bytes as they are).
    public var isConstant: Bool {
        parts.allSatisfy { if case .literal = $0 { return true } else { return false } }
    }

    /// How many random built-ins (`${uuid}`, `${random_int}`) the template has: the stream numbers it takes.
    public var randomCount: Int {
        parts.reduce(0) { n, p in
            switch p {
            case .uuid, .randomInt: return n + 1
            default: return n
            }
        }
    }

    /// Resolves variable names to slots of the VU's variable table. `slotOf` returns nil for an unknown name, which
    /// throws `unknown variable 'NAME'` (the caller adds the did-you-mean). Random built-ins are numbered from
    /// `firstRandomStream` in order, so a step's templates (URL, headers, body) can take disjoint stream numbers:
    /// pass the previous template's `firstRandomStream + randomCount`.
    public func bind(firstRandomStream: Int = 0, slotOf: (String) throws -> Int?) throws -> CompiledTemplate {
        var out: [CompiledTemplate.Part] = []
        var stream = firstRandomStream
        for p in parts {
            switch p {
            case .literal(let b): out.append(.literal(b))
            case .variable(let n):
                guard let slot = try slotOf(n) else { throw BarrageError.usage("unknown variable '\(n)'") }
                out.append(.slot(slot))
            case .defaulted(let n, let value):
                // Not resolved at load (a template built by hand): the default, unless the name is a variable.
                if let slot = try slotOf(n) { out.append(.slot(slot)) } else { out.append(.literal(Array(value.utf8))) }
            case .vu: out.append(.vu)
            case .iteration: out.append(.iteration)
            case .nowMillis: out.append(.nowMillis)
            case .uuid:
                out.append(.uuid(stream: FlowKey.Stream.placeholder(stream)))
                stream += 1
            case .randomInt(let lo, let hi):
                out.append(.randomInt(lo, hi, stream: FlowKey.Stream.placeholder(stream)))
                stream += 1
            }
        }
        return CompiledTemplate(parts: out)
    }

    // MARK: parsing

    private static let dollar = UInt8(ascii: "$"), open = UInt8(ascii: "{"), close = UInt8(ascii: "}")

    private static func parse(_ b: [UInt8]) throws -> [Part] {
        var parts: [Part] = []
        var literal: [UInt8] = []
        var i = 0
        func flush() {
            if !literal.isEmpty { parts.append(.literal(literal)); literal.removeAll() }
        }
        while i < b.count {
            let c = b[i]
            if c == dollar, i + 2 < b.count, b[i + 1] == dollar, b[i + 2] == open {
                literal.append(contentsOf: [dollar, open])  // `$${` → a literal `${`
                i += 3
            } else if c == dollar, i + 1 < b.count, b[i + 1] == open {
                guard let end = b[(i + 2)...].firstIndex(of: close) else {
                    throw BarrageError.usage("unterminated '${' at column \(i + 1) (a literal '${' is written '$${')")
                }
                let inner = String(decoding: b[(i + 2)..<end], as: UTF8.self)
                flush()
                parts.append(try placeholder(inner))
                i = end + 1
            } else {
                literal.append(c)
                i += 1
            }
        }
        flush()
        return parts
    }

    private static func placeholder(_ raw: String) throws -> Part {
        let s = raw.trimmingSpaces
        if s.isEmpty { throw BarrageError.usage("empty placeholder '${\(raw)}'") }
        if let sep = s.range(of: ":-") {
            let name = String(s[..<sep.lowerBound]).trimmingSpaces
            guard Interpolation.isName(name) else {
                throw BarrageError.usage("bad variable name '\(name)' in '${\(raw)}': a default (${NAME:-value}) is for an environment value (letters, digits and _)")
            }
            return .defaulted(name, String(s[sep.upperBound...]))
        }
        switch s {
        case "vu": return .vu
        case "iteration": return .iteration
        case "uuid": return .uuid
        case "now_ms": return .nowMillis
        default: break
        }
        if let paren = s.firstIndex(of: "(") {
            let fn = String(s[..<paren]).trimmingSpaces
            guard fn == "random_int" else {
                throw BarrageError.usage("unknown function '\(fn)' in '${\(raw)}' (built-ins: vu, iteration, uuid, now_ms, random_int(a,b))")
            }
            guard s.hasSuffix(")") else { throw BarrageError.usage("'${\(raw)}': expected random_int(a,b)") }
            let args = s[s.index(after: paren)..<s.index(before: s.endIndex)].split(separator: ",", omittingEmptySubsequences: false)
            guard args.count == 2, let a = Int64(String(args[0]).trimmingSpaces), let b = Int64(String(args[1]).trimmingSpaces) else {
                throw BarrageError.usage("'${\(raw)}': expected random_int(a,b) with two integers")
            }
            guard a <= b else { throw BarrageError.usage("'${\(raw)}': random_int(a,b) needs a ≤ b") }
            return .randomInt(a, b)
        }
        guard isValidName(s) else {
            throw BarrageError.usage("bad variable name '\(s)' in '${\(raw)}' (letters, digits, '_', '-' in dot-separated pieces)")
        }
        return .variable(s)
    }

    /// Letters, digits, `_` and `-`, in non-empty dot-separated pieces.
    static func isValidName(_ s: String) -> Bool {
        let pieces = s.split(separator: ".", omittingEmptySubsequences: false)
        return pieces.allSatisfy { piece in
            !piece.isEmpty && piece.unicodeScalars.allSatisfy {
                ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" || $0 == "-"
            }
        }
    }
}

/// What a render needs besides the variable table: who is running, and the clock.
public struct TemplateContext: Sendable {
    /// The random key of the step being rendered (its `vu` and `iteration` are the built-ins' values).
    public var key: FlowKey
    /// Unix time in milliseconds for `${now_ms}`.
    public var nowMillis: Int64

    @inlinable
    public init(key: FlowKey, nowMillis: Int64) {
        self.key = key
        self.nowMillis = nowMillis
    }
}

/// A template whose names are bound to slots: renders by appending bytes, with no lookups and no String work.
public struct CompiledTemplate: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case literal([UInt8])
        case slot(Int)
        case vu
        case iteration
        case nowMillis
        case uuid(stream: UInt64)
        case randomInt(Int64, Int64, stream: UInt64)
    }

    public let parts: [Part]

    public init(parts: [Part]) { self.parts = parts }

    /// Only literal text: the same bytes for every request.
    public var isConstant: Bool {
        parts.allSatisfy { if case .literal = $0 { return true } else { return false } }
    }

    /// The literal text of a constant template (nil when it depends on a variable or a built-in).
    public var constantBytes: [UInt8]? {
        guard isConstant else { return nil }
        return parts.flatMap { if case .literal(let b) = $0 { return b } else { return [] } }
    }

    /// Appends the rendered bytes to `out` (the caller owns and reuses the buffer). `values` is the VU's variable
    /// table, indexed by the slots given at `bind`; a slot past its end renders as nothing.
    @inlinable
    public func render(values: [FlowValue], context: TemplateContext, into out: inout [UInt8]) {
        for part in parts {
            switch part {
            case .literal(let b): out.append(contentsOf: b)
            case .slot(let s): if s < values.count { values[s].append(into: &out) }
            case .vu: CompiledTemplate.appendDecimal(Int64(context.key.vu), into: &out)
            case .iteration: CompiledTemplate.appendDecimal(Int64(context.key.iteration), into: &out)
            case .nowMillis: CompiledTemplate.appendDecimal(context.nowMillis, into: &out)
            case .randomInt(let lo, let hi, let stream):
                var rng = context.key.generator(stream: stream)
                CompiledTemplate.appendDecimal(rng.nextInt(in: lo, hi), into: &out)
            case .uuid(let stream):
                var rng = context.key.generator(stream: stream)
                CompiledTemplate.appendUUID(rng.next(), rng.next(), into: &out)
            }
        }
    }

    /// Renders into a new string (tests, messages; the engine uses `render(values:context:into:)`).
    public func string(values: [FlowValue], context: TemplateContext) -> String {
        var out: [UInt8] = []
        render(values: values, context: context, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the decimal digits of `v` without going through String.
    @inlinable
    public static func appendDecimal(_ v: Int64, into out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        if m == 0 { out.append(UInt8(ascii: "0")); return }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 digits, no heap
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while m > 0 {
                d[n] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
                n += 1
            }
            while n > 0 {
                n -= 1
                out.append(d[n])
            }
        }
    }

    /// Appends a version-4 UUID (8-4-4-4-12 lowercase hex) made of two random words.
    @inlinable
    public static func appendUUID(_ hiWord: UInt64, _ loWord: UInt64, into out: inout [UInt8]) {
        let hi = (hiWord & ~0xF000) | 0x4000  // version 4 in bits 12–15 of the third group
        let lo = (loWord & ~(UInt64(0xC) << 60)) | (UInt64(0x8) << 60)  // variant 10xx
        let hex: StaticString = "0123456789abcdef"
        hex.withUTF8Buffer { h in
            for i in 0..<16 {
                if i == 8 || i == 12 { out.append(UInt8(ascii: "-")) }
                out.append(h[Int((hi >> UInt64(60 - 4 * i)) & 0xF)])
            }
            for i in 0..<16 {
                if i == 0 || i == 4 { out.append(UInt8(ascii: "-")) }
                out.append(h[Int((lo >> UInt64(60 - 4 * i)) & 0xF)])
            }
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs (no Foundation).
    var trimmingSpaces: String {
        let u = utf8
        guard let first = u.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        let last = u.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
        return String(self[first...last])
    }
}
