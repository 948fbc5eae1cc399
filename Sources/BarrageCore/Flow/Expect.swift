/// A step's checks on its response: `expect: { status: [200, 201], json: { "$.ok": true } }`.
/// (`body_contains` is checked by the engine while the body streams, as for targets; it is not here.)
public struct Expect: Sendable, Equatable {
    /// One JSON check: the path's matches must all equal `expected`, compared as JSON scalars.
    public struct JSONCheck: Sendable, Equatable {
        public var path: JSONPath
        /// A scalar: `.string`, `.number`, `.bool` or `.null` (see `JSONValue`'s scalar constructors).
        public var expected: JSONValue
        public init(path: JSONPath, expected: JSONValue) { self.path = path; self.expected = expected }
    }

    /// Accepted statuses; empty: any 2xx or 3xx.
    public var statuses: [Int]
    public var json: [JSONCheck]

    public init(statuses: [Int] = [], json: [JSONCheck] = []) {
        self.statuses = statuses
        self.json = json
    }

    /// True when a check reads the body: the step must keep it.
    public var needsBody: Bool { !json.isEmpty }

    /// Nil when the response passes every check, else the first failure as one line
    /// (`status 404, expected 200 or 201`, `$.ok: expected true, got false`, `$.ok: no match`).
    public func failure(for response: ResponseView) -> String? {
        if statuses.isEmpty {
            if !(200..<400).contains(response.status) { return "status \(response.status), expected 2xx or 3xx" }
        } else if !statuses.contains(response.status) {
            let list = statuses.map(String.init)
            let wanted = list.count == 1 ? list[0] : list.dropLast().joined(separator: ", ") + " or " + list.last!
            return "status \(response.status), expected \(wanted)"
        }
        guard !json.isEmpty else { return nil }
        guard let body = response.body else { return "\(json[0].path): no body kept" }
        for check in json {
            let matches: [JSONValue]
            do {
                matches = try check.path.evaluate(body)
            } catch {
                return "\(check.path): body is not JSON (\(error))"
            }
            if matches.isEmpty { return "\(check.path): no match" }
            for m in matches where !m.equalsScalar(check.expected) {
                return "\(check.path): expected \(check.expected), got \(m.shortDescription)"
            }
        }
        return nil
    }
}

extension JSONValue {
    public static let null = JSONValue(kind: .null, bytes: Array("null".utf8))
    public init(bool: Bool) { self.init(kind: .bool, bytes: Array((bool ? "true" : "false").utf8)) }
    public init(number: Int) { self.init(kind: .number, bytes: Array(String(number).utf8)) }
    /// A number from its JSON text (`1.5e3`); nil when the text is not a JSON number.
    public init?(numberText text: String) {
        let b = Array(text.utf8)
        let ok: Bool = b.withUnsafeBytes { raw in
            var s = JSONScanner(raw)
            do { try s.scanNumber() } catch { return false }
            return s.atEnd && !b.isEmpty
        }
        guard ok else { return nil }
        self.init(kind: .number, bytes: b)
    }

    /// Equality as JSON scalars: the kinds must agree (the string "1" is not the number 1); numbers compare by value
    /// (`1 == 1.0 == 1e0`), strings by their unescaped bytes. Objects and arrays never equal a scalar.
    public func equalsScalar(_ other: JSONValue) -> Bool {
        guard kind == other.kind else { return false }
        switch kind {
        case .null: return true
        case .string, .bool: return bytes == other.bytes
        case .number:
            if bytes == other.bytes { return true }
            guard let a = Double(text), let b = Double(other.text) else { return false }
            return a == b
        case .object, .array: return false
        }
    }

    /// For messages: the value, or its kind when it is a container or long.
    var shortDescription: String {
        switch kind {
        case .object: return "an object"
        case .array: return "an array"
        default:
            let d = description
            return d.count > 60 ? String(d.prefix(57)) + "…" : Threshold.oneLine(d)
        }
    }
}
