/// A JSON value found in a document: its kind and its bytes — a string unescaped (UTF-8), anything else as its raw
/// JSON text (`12.5e3`, `true`, `null`, `{"a": [1]}`).
public struct JSONValue: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case string, number, bool, null, object, array
    }

    public var kind: Kind
    public var bytes: [UInt8]

    public init(kind: Kind, bytes: [UInt8]) {
        self.kind = kind
        self.bytes = bytes
    }

    public init(string: String) { self.init(kind: .string, bytes: Array(string.utf8)) }

    /// The bytes as text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The value as JSON would show it: a string quoted (for messages), anything else as is.
    public var description: String { kind == .string ? "\"\(text)\"" : text }
}

/// Why a document could not be read: malformed, truncated or nested too deep. One line, with the byte offset.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A forward-only JSON reader over raw bytes that validates as it goes and builds no tree: `JSONPath` walks the
/// document with it, skipping whatever is not on its path. Nesting is bounded (`maxDepth`) so that hostile input
/// cannot exhaust the stack.
struct JSONScanner {
    static let maxDepth = 256

    let bytes: UnsafeRawBufferPointer
    var pos = 0
    /// Scratch for keys with escapes (reused).
    var scratch: [UInt8] = []

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { pos >= bytes.count }

    // MARK: errors

    func truncated() -> JSONError { JSONError("truncated JSON (input ends at byte \(bytes.count))") }

    func malformed(_ expected: String) -> JSONError {
        if atEnd { return truncated() }
        let c = bytes[pos]
        let shown = c >= 0x20 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
        return JSONError("malformed JSON at byte \(pos): expected \(expected), found \(shown)")
    }

    // MARK: tokens

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    @inline(__always)
    mutating func peek() throws(JSONError) -> UInt8 {
        guard pos < bytes.count else { throw truncated() }
        return bytes[pos]
    }

    @inline(__always)
    mutating func expect(_ c: UInt8, _ what: String) throws(JSONError) {
        guard pos < bytes.count else { throw truncated() }
        guard bytes[pos] == c else { throw malformed(what) }
        pos += 1
    }

    /// After a member or element: true at a ',' (consumed), false at the closing byte (consumed).
    mutating func nextItem(close: UInt8) throws(JSONError) -> Bool {
        skipWhitespace()
        let c = try peek()
        if c == UInt8(ascii: ",") { pos += 1; skipWhitespace(); return true }
        if c == close { pos += 1; return false }
        throw malformed(close == UInt8(ascii: "}") ? "',' or '}'" : "',' or ']'")
    }

    /// At an opening '"': scans the string and returns the range of its raw content and whether it has escapes.
    mutating func scanString() throws(JSONError) -> (start: Int, end: Int, escaped: Bool) {
        try expect(UInt8(ascii: "\""), "'\"'")
        let start = pos
        var escaped = false
        // The plain run of the string, in locals: most strings have no escapes, and this loop is most of the scan.
        if let base = bytes.baseAddress {
            var p = pos
            let n = bytes.count
            while p < n {
                let c = base.load(fromByteOffset: p, as: UInt8.self)
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { break }
                p += 1
            }
            pos = p
        }
        while pos < bytes.count {
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                return (start, pos - 1, escaped)
            } else if c == UInt8(ascii: "\\") {
                escaped = true
                guard pos + 1 < bytes.count else { throw truncated() }
                switch bytes[pos + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    pos += 2
                case UInt8(ascii: "u"):
                    guard pos + 5 < bytes.count else { throw truncated() }
                    for k in 2...5 where JSONScanner.hexValue(bytes[pos + k]) == nil {
                        pos += k
                        throw malformed("a hex digit in \\u escape")
                    }
                    pos += 6
                default:
                    pos += 1
                    throw malformed("an escape character")
                }
            } else if c < 0x20 {
                throw malformed("no control character in a string")
            } else {
                pos += 1
            }
        }
        throw truncated()
    }

    /// Appends the unescaped UTF-8 of a string's raw content (already validated by `scanString`).
    func unescape(_ start: Int, _ end: Int, into out: inout [UInt8]) {
        var i = start
        while i < end {
            let c = bytes[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = hex4(i)
                i += 4
                if (0xD800..<0xDC00).contains(code), i + 6 <= end, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    let low = hex4(i + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                JSONScanner.appendUTF8(code, into: &out)
            default: out.append(e)  // \" \\ \/
            }
        }
    }

    private func hex4(_ at: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 4 | UInt32(JSONScanner.hexValue(bytes[at + k]) ?? 0) }
        return v
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// UTF-8 of a code point; a lone surrogate becomes U+FFFD.
    static func appendUTF8(_ code: UInt32, into out: inout [UInt8]) {
        let c = (0xD800..<0xE000).contains(code) ? 0xFFFD : code
        switch c {
        case ..<0x80: out.append(UInt8(c))
        case ..<0x800:
            out.append(UInt8(0xC0 | c >> 6)); out.append(UInt8(0x80 | c & 0x3F))
        case ..<0x10000:
            out.append(UInt8(0xE0 | c >> 12)); out.append(UInt8(0x80 | c >> 6 & 0x3F)); out.append(UInt8(0x80 | c & 0x3F))
        default:
            out.append(UInt8(0xF0 | c >> 18)); out.append(UInt8(0x80 | c >> 12 & 0x3F))
            out.append(UInt8(0x80 | c >> 6 & 0x3F)); out.append(UInt8(0x80 | c & 0x3F))
        }
    }

    /// At a key's opening '"': whether the key equals `name` (unescaping only when the key has escapes).
    mutating func keyEquals(_ name: [UInt8]) throws(JSONError) -> Bool {
        let (start, end, escaped) = try scanString()
        if !escaped {
            guard end - start == name.count else { return false }
            return name.withUnsafeBytes { n in
                for k in 0..<n.count where n[k] != bytes[start + k] { return false }
                return true
            }
        }
        scratch.removeAll(keepingCapacity: true)
        unescape(start, end, into: &scratch)
        return scratch == name
    }

    mutating func scanNumber() throws(JSONError) {
        func digits() -> Int {
            let from = pos
            while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") { pos += 1 }
            return pos - from
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count else { throw truncated() }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
        } else if digits() == 0 {
            throw malformed("a digit")
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            if digits() == 0 { throw atEnd ? truncated() : malformed("a digit after '.'") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            if digits() == 0 { throw atEnd ? truncated() : malformed("a digit in the exponent") }
        }
    }

    mutating func scanLiteral(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        let p = word.utf8Start
        for k in 0..<n {
            guard pos < bytes.count else { throw truncated() }
            guard bytes[pos] == p[k] else { throw malformed("'\(word)'") }
            pos += 1
        }
    }

    // MARK: values

    /// Skips (and validates) the value at `pos`; `depth` is the nesting of the value's container.
    mutating func skipValue(depth: Int) throws(JSONError) {
        skipWhitespace()
        switch try peek() {
        case UInt8(ascii: "{"):
            guard depth < JSONScanner.maxDepth else { throw JSONError("JSON nested deeper than \(JSONScanner.maxDepth) levels at byte \(pos)") }
            pos += 1
            skipWhitespace()
            if try peek() == UInt8(ascii: "}") { pos += 1; return }
            repeat {
                _ = try scanString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':'")
                try skipValue(depth: depth + 1)
            } while try nextItem(close: UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            guard depth < JSONScanner.maxDepth else { throw JSONError("JSON nested deeper than \(JSONScanner.maxDepth) levels at byte \(pos)") }
            pos += 1
            skipWhitespace()
            if try peek() == UInt8(ascii: "]") { pos += 1; return }
            repeat { try skipValue(depth: depth + 1) } while try nextItem(close: UInt8(ascii: "]"))
        case UInt8(ascii: "\""): _ = try scanString()
        case UInt8(ascii: "t"): try scanLiteral("true")
        case UInt8(ascii: "f"): try scanLiteral("false")
        case UInt8(ascii: "n"): try scanLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try scanNumber()
        default: throw malformed("a JSON value")
        }
    }

    /// Reads the value at `pos` as a `JSONValue` (strings unescaped, the rest raw).
    mutating func readValue(depth: Int) throws(JSONError) -> JSONValue {
        skipWhitespace()
        let start = pos
        let kind: JSONValue.Kind
        switch try peek() {
        case UInt8(ascii: "\""):
            let (s, e, escaped) = try scanString()
            var out: [UInt8] = []
            if escaped { out.reserveCapacity(e - s); unescape(s, e, into: &out) } else { out = Array(bytes[s..<e]) }
            return JSONValue(kind: .string, bytes: out)
        case UInt8(ascii: "{"): kind = .object
        case UInt8(ascii: "["): kind = .array
        case UInt8(ascii: "t"), UInt8(ascii: "f"): kind = .bool
        case UInt8(ascii: "n"): kind = .null
        default: kind = .number
        }
        try skipValue(depth: depth)
        return JSONValue(kind: kind, bytes: Array(bytes[start..<pos]))
    }

    /// After the top-level value: only whitespace may follow.
    mutating func finish() throws(JSONError) {
        skipWhitespace()
        if !atEnd { throw malformed("the end of the JSON document") }
    }
}
