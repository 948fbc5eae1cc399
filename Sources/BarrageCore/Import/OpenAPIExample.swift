/// Example values for `barrage import openapi`: the document's own examples where it has them, otherwise a value
/// derived from the schema, saying which (`source`) so that the profile's comments can tell a guess from an example.
enum OpenAPIExample {
    /// A value and where it came from: `example`, `examples`, `schema.example`, `schema.default`, `enum[0]`, or
    /// `derived` (made up from the type and format).
    struct Pick: Equatable {
        var value: OpenAPIValue
        var source: String
        var isDerived: Bool { source.hasPrefix("derived") }
    }

    /// References deeper than this are cut (a recursive schema, `Node.children: [Node]`): the value there is left out.
    static let maxDepth = 8

    static let uuid = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    static let dateTime = "2024-01-01T00:00:00Z"

    /// The value of a parameter (or a media type) `holder`: its `example`, its first `examples` entry's `value`, then
    /// its schema's.
    static func forHolder(_ holder: OpenAPIValue, in doc: OpenAPIDocument, at path: String) throws -> Pick {
        if let e = holder["example"] { return Pick(value: e, source: "example") }
        if let examples = holder["examples"] {
            for (key, entry) in examples.members {
                let e = try doc.resolved(entry, at: "\(path).examples.\(key)")
                if let v = e["value"] { return Pick(value: v, source: "examples.\(key)") }
            }
        }
        guard let schema = holder["schema"] else { return Pick(value: .string("string"), source: "derived (no schema)") }
        let pick = try forSchema(schema, in: doc, at: path + ".schema")
        return pick.isDerived ? pick : Pick(value: pick.value, source: "schema." + pick.source)
    }

    /// A schema's value: `example`, `examples[0]` (3.1), `default`, `const`, `enum[0]`, else derived.
    static func forSchema(_ schema: OpenAPIValue, in doc: OpenAPIDocument, at path: String) throws -> Pick {
        let s = try doc.resolved(schema, at: path)
        if let e = s["example"] { return Pick(value: e, source: "example") }
        if let first = s["examples"]?.array?.first { return Pick(value: first, source: "examples[0]") }
        if let d = s["default"] { return Pick(value: d, source: "default") }
        if let c = s["const"] { return Pick(value: c, source: "const") }
        if let first = s["enum"]?.array?.first(where: { $0 != .null }) { return Pick(value: first, source: "enum[0]") }
        var cut = false
        let v = try derive(schema, in: doc, at: path, depth: 0, cut: &cut) ?? .null
        return Pick(value: v, source: "derived from the schema (" + describe(s) + ")" + (cut ? ", a recursive part cut" : ""))
    }

    /// What the schema says about its type, for a comment: `integer`, `string, format uuid`.
    static func describe(_ s: OpenAPIValue) -> String {
        var out = typeName(s) ?? (s["properties"] != nil ? "object" : "no type")
        if let f = s["format"]?.string { out += ", format " + f }
        return out
    }

    /// The schema's type: `type`, or the first of a 3.1 `type: [string, "null"]` that is not `null`.
    static func typeName(_ s: OpenAPIValue) -> String? {
        if let t = s["type"]?.string { return t }
        if let list = s["type"]?.array {
            return list.compactMap(\.string).first { $0 != "null" } ?? list.first?.string
        }
        return nil
    }

    /// A value made from the schema: examples first at every level, objects with all their properties, arrays of one.
    /// `nil` where a reference chain went deeper than ``maxDepth`` (the caller leaves the member out).
    static func derive(_ schema: OpenAPIValue, in doc: OpenAPIDocument, at path: String, depth: Int,
                       cut: inout Bool) throws -> OpenAPIValue? {
        var depth = depth
        if schema["$ref"] != nil {
            depth += 1
            if depth > maxDepth { cut = true; return nil }
        }
        let s = try doc.resolved(schema, at: path)
        if let e = s["example"] { return e }
        if let first = s["examples"]?.array?.first { return first }
        if let d = s["default"] { return d }
        if let c = s["const"] { return c }
        if let first = s["enum"]?.array?.first(where: { $0 != .null }) { return first }
        if let all = s["allOf"]?.array {
            var keys: [String] = []
            var values: [String: OpenAPIValue] = [:]
            var other: OpenAPIValue?
            for (i, part) in all.enumerated() {
                guard let v = try derive(part, in: doc, at: "\(path).allOf[\(i)]", depth: depth, cut: &cut) else { continue }
                if case .object(let k, let vals) = v {
                    for key in k where values[key] == nil { keys.append(key) }
                    values.merge(vals) { _, new in new }
                } else {
                    other = v
                }
            }
            if let own = try objectValue(s, in: doc, at: path, depth: depth, cut: &cut), case .object(let k, let vals) = own {
                for key in k where values[key] == nil { keys.append(key) }
                values.merge(vals) { _, new in new }
            }
            return keys.isEmpty ? (other ?? .object(keys: [], values: [:])) : .object(keys: keys, values: values)
        }
        for combinator in ["oneOf", "anyOf"] {
            if let options = s[combinator]?.array, !options.isEmpty {
                let index = options.firstIndex { (try? doc.resolved($0, at: path))?["type"]?.string != "null" } ?? 0
                return try derive(options[index], in: doc, at: "\(path).\(combinator)[\(index)]", depth: depth, cut: &cut)
            }
        }
        let type = typeName(s) ?? (s["properties"] != nil ? "object" : (s["items"] != nil ? "array" : nil))
        switch type {
        case "object":
            return try objectValue(s, in: doc, at: path, depth: depth, cut: &cut) ?? .object(keys: [], values: [:])
        case "array":
            guard let items = s["items"] else { return .array([]) }
            guard let item = try derive(items, in: doc, at: path + ".items", depth: depth, cut: &cut) else { return .array([]) }
            return .array([item])
        case "integer":
            return .int(number(s, fallback: 1))
        case "number":
            return .int(number(s, fallback: 1))
        case "boolean":
            return .bool(true)
        case "null":
            return .null
        default:
            var text = stringValue(s)
            if case .int(let max) = s["maxLength"] ?? .null, max >= 0, text.count > max { text = String(text.prefix(max)) }
            if case .int(let min) = s["minLength"] ?? .null, min > text.count, min <= 4096 {
                text += String(repeating: "x", count: min - text.count)
            }
            return .string(text)
        }
    }

    /// An object's value: its required properties first, then the others, each with its example.
    static func objectValue(_ s: OpenAPIValue, in doc: OpenAPIDocument, at path: String, depth: Int,
                            cut: inout Bool) throws -> OpenAPIValue? {
        guard let properties = s["properties"] else { return nil }
        let required = s["required"]?.array?.compactMap(\.string) ?? []
        let names = properties.members.map(\.key)
        let ordered = required.filter(names.contains) + names.filter { !required.contains($0) }
        var keys: [String] = []
        var values: [String: OpenAPIValue] = [:]
        for name in ordered {
            guard let v = try derive(properties[name]!, in: doc, at: "\(path).properties.\(name)", depth: depth, cut: &cut) else { continue }
            keys.append(name)
            values[name] = v
        }
        return .object(keys: keys, values: values)
    }

    /// A whole number within `minimum`/`maximum` when they say so, else `fallback`.
    static func number(_ s: OpenAPIValue, fallback: Int) -> Int {
        func int(_ v: OpenAPIValue?) -> Int? {
            switch v {
            case .int(let i): return i
            case .double(let d) where d.isFinite && abs(d) < 1e15: return Int(d.rounded(.up))
            default: return nil
            }
        }
        if let min = int(s["minimum"]), min > fallback { return min }
        if let max = int(s["maximum"]), max < fallback { return max }
        return fallback
    }

    /// A string for the format, or `string`.
    static func stringValue(_ s: OpenAPIValue) -> String {
        switch s["format"]?.string {
        case "uuid": return uuid
        case "date-time": return dateTime
        case "date": return "2024-01-01"
        case "time": return "00:00:00Z"
        case "email": return "user@example.com"
        case "uri", "url": return "https://example.com/"
        case "hostname": return "example.com"
        case "ipv4": return "192.0.2.1"
        case "ipv6": return "2001:db8::1"
        case "byte": return "c3RyaW5n"
        case "password": return "password"
        default: return "string"
        }
    }
}
