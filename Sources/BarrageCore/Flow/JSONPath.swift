/// A JSON path in a documented subset, parsed once and evaluated over raw response bytes without building a tree.
///
/// Grammar: `$` (the whole document), then any number of
/// - `.name` (letters, digits, `_`, `-`, `$` and any non-ASCII character) or `['name']` / `["name"]` (any key;
///   `\'`, `\"` and `\\` escape inside the quotes),
/// - `[N]` (N ≥ 0, an array element),
/// - `[*]` or `.*` (every element of an array, or every member value of an object).
///
/// Examples: `$.token`, `$.a.b`, `$.a[0]`, `$.items[*].id`, `$['odd key'][2]`.
/// Evaluation returns every match in document order; a value of the wrong type on the path (an index into an
/// object, a key into an array or a scalar) simply does not match. The whole document is validated: malformed or
/// truncated JSON, or nesting deeper than 256 levels, is an error, never a crash.
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    public enum Segment: Sendable, Equatable {
        case key([UInt8])
        case index(Int)
        case wildcard
    }

    /// Which of several matches a capture takes.
    public enum Pick: String, Sendable, Equatable, CaseIterable {
        case first, last, random

        /// The index picked among `count` matches (nil when there are none); `random` draws from `key` and `stream`.
        @inlinable
        public func index(count: Int, key: FlowKey, stream: UInt64) -> Int? {
            guard count > 0 else { return nil }
            switch self {
            case .first: return 0
            case .last: return count - 1
            case .random:
                var rng = key.generator(stream: stream)
                return rng.nextIndex(below: count)
            }
        }
    }

    /// The text the path was parsed from (for messages: "$.token: no match").
    public let text: String
    public let segments: [Segment]

    public var description: String { text }

    /// True when the path can match more than once (it has a `[*]`).
    public var hasWildcard: Bool { segments.contains(.wildcard) }

    /// Parses `text`; throws a one-line usage error naming the path.
    public init(parsing text: String) throws {
        self.text = text
        let b = Array(text.utf8)
        func fail(_ why: String) -> BarrageError { BarrageError.usage("JSON path '\(text)': \(why)") }
        guard b.first == UInt8(ascii: "$") else { throw fail("must start with '$' (as in $.token)") }
        var segments: [Segment] = []
        var i = 1
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "."):
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "*") {
                    segments.append(.wildcard)
                    i += 1
                    continue
                }
                let start = i
                while i < b.count, JSONPath.isNameByte(b[i]) { i += 1 }
                guard i > start else { throw fail("expected a name after '.' at column \(start + 1)") }
                segments.append(.key(Array(b[start..<i])))
            case UInt8(ascii: "["):
                i += 1
                guard i < b.count else { throw fail("unterminated '['") }
                if b[i] == UInt8(ascii: "'") || b[i] == UInt8(ascii: "\"") {
                    let quote = b[i]
                    i += 1
                    var name: [UInt8] = []
                    while i < b.count, b[i] != quote {
                        if b[i] == UInt8(ascii: "\\"), i + 1 < b.count { i += 1 }
                        name.append(b[i])
                        i += 1
                    }
                    guard i + 1 < b.count, b[i + 1] == UInt8(ascii: "]") else { throw fail("unterminated quoted name (expected ['name'])") }
                    segments.append(.key(name))
                    i += 2
                } else if b[i] == UInt8(ascii: "*") {
                    guard i + 1 < b.count, b[i + 1] == UInt8(ascii: "]") else { throw fail("expected ']' after '[*'") }
                    segments.append(.wildcard)
                    i += 2
                } else {
                    let start = i
                    while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
                    guard i > start, i < b.count, b[i] == UInt8(ascii: "]") else {
                        throw fail("expected [N] with N ≥ 0, [*] or ['name'] at column \(start)")
                    }
                    guard i - start <= 9, let n = Int(String(decoding: b[start..<i], as: UTF8.self)) else { throw fail("index too large") }
                    segments.append(.index(n))
                    i += 1
                }
            default:
                throw fail("expected '.' or '[' at column \(i + 1)")
            }
        }
        self.segments = segments
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "$"), 0x80...:
            return true
        default:
            return false
        }
    }

    // MARK: evaluation

    /// Every match in document order. Throws `JSONError` when the document is not valid JSON.
    public func evaluate(_ body: UnsafeRawBufferPointer) throws(JSONError) -> [JSONValue] {
        var results: [JSONValue] = []
        var scanner = JSONScanner(body)
        scanner.skipWhitespace()
        if scanner.atEnd { throw JSONError("empty body, not JSON") }
        try JSONPath.match(segments, 0, depth: 0, &scanner, into: &results)
        try scanner.finish()
        return results
    }

    /// Every match in document order (see `evaluate(_:)` over raw bytes).
    public func evaluate(_ body: [UInt8]) throws(JSONError) -> [JSONValue] {
        do {
            return try body.withUnsafeBytes { try evaluate($0) }
        } catch {
            throw error as! JSONError  // the closure throws nothing else
        }
    }

    private static func match(_ path: [Segment], _ index: Int, depth: Int, _ s: inout JSONScanner,
                              into results: inout [JSONValue]) throws(JSONError) {
        if index == path.count {
            results.append(try s.readValue(depth: depth))
            return
        }
        s.skipWhitespace()
        let c = try s.peek()
        let isObject = c == UInt8(ascii: "{"), isArray = c == UInt8(ascii: "[")
        guard isObject || isArray else { return try s.skipValue(depth: depth) }
        guard depth < JSONScanner.maxDepth else { throw JSONError("JSON nested deeper than \(JSONScanner.maxDepth) levels at byte \(s.pos)") }
        let segment = path[index]
        let wanted: Bool
        switch segment {
        case .key: wanted = isObject
        case .index: wanted = isArray
        case .wildcard: wanted = true
        }
        guard wanted else { return try s.skipValue(depth: depth) }
        s.pos += 1
        s.skipWhitespace()
        if isObject {
            if try s.peek() == UInt8(ascii: "}") { s.pos += 1; return }
            repeat {
                let hit: Bool
                switch segment {
                case .key(let name): hit = try s.keyEquals(name)
                default: _ = try s.scanString(); hit = true
                }
                s.skipWhitespace()
                try s.expect(UInt8(ascii: ":"), "':'")
                if hit { try match(path, index + 1, depth: depth + 1, &s, into: &results) } else { try s.skipValue(depth: depth + 1) }
            } while try s.nextItem(close: UInt8(ascii: "}"))
        } else {
            if try s.peek() == UInt8(ascii: "]") { s.pos += 1; return }
            var element = 0
            repeat {
                let hit: Bool
                if case .index(let n) = segment { hit = n == element } else { hit = true }
                if hit { try match(path, index + 1, depth: depth + 1, &s, into: &results) } else { try s.skipValue(depth: depth + 1) }
                element += 1
            } while try s.nextItem(close: UInt8(ascii: "]"))
        }
    }
}
