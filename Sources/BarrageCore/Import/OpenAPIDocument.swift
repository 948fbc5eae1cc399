import Foundation
import Yams

/// A value of an OpenAPI document (YAML or JSON) with its mappings' keys in document order, so that operations and
/// properties come out in the order the author wrote them.
public indirect enum OpenAPIValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([OpenAPIValue])
    case object(keys: [String], values: [String: OpenAPIValue])

    /// The member `key` of an object.
    public subscript(key: String) -> OpenAPIValue? {
        if case .object(_, let values) = self { return values[key] }
        return nil
    }

    /// An object's members in document order.
    var members: [(key: String, value: OpenAPIValue)] {
        if case .object(let keys, let values) = self { return keys.map { ($0, values[$0]!) } }
        return []
    }

    var string: String? { if case .string(let s) = self { return s }; return nil }
    var array: [OpenAPIValue]? { if case .array(let a) = self { return a }; return nil }
    var isObject: Bool { if case .object = self { return true }; return false }

    /// Compact JSON, object members in document order.
    var json: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isFinite, d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
            return d.isFinite ? String(d) : "null"
        case .string(let s): return Self.jsonQuoted(s)
        case .array(let a): return "[" + a.map(\.json).joined(separator: ",") + "]"
        case .object(let keys, let values):
            return "{" + keys.map { Self.jsonQuoted($0) + ":" + values[$0]!.json }.joined(separator: ",") + "}"
        }
    }

    /// The value as text in a URL, a header or a form: strings as they are, arrays joined with `,`, objects as JSON.
    var text: String {
        switch self {
        case .string(let s): return s
        case .null: return ""
        case .array(let a): return a.map(\.text).joined(separator: ",")
        default: return json
        }
    }

    static func jsonQuoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

/// An OpenAPI 3.0 or 3.1 document read for `barrage import openapi`: its root, checked to be OpenAPI 3, with local
/// `$ref`s (`#/components/…`) resolved on demand. A remote `$ref` anywhere in the document is refused up front.
public struct OpenAPIDocument: Sendable {
    /// A problem with the document: one line naming the file and, where there is one, the place in the document.
    public struct Failure: Error, Equatable, Sendable {
        public var message: String
    }

    /// The file's name, for messages.
    public let file: String
    public let root: OpenAPIValue
    /// `openapi:` as written (`3.0.3`, `3.1.0`).
    public let version: String

    /// Parses `text` (YAML, or JSON) named `file`.
    public init(text: String, file: String) throws {
        self.file = file
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let isJSON = file.lowercased().hasSuffix(".json")
            || text.drop(while: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }).first == "{"
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            let first = String(describing: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "syntax error"
            throw Failure(message: "\(file): malformed \(isJSON ? "JSON" : "YAML"): \(ProfileWriter.commentSafe(first))")
        }
        guard let node else { throw Failure(message: "\(file): the document is empty") }
        let root = Self.value(node)
        guard root.isObject else { throw Failure(message: "\(file): not an OpenAPI document (expected a mapping at the top)") }
        // Versions as written: `openapi: 3.1` unquoted is a float to YAML, and 3.10 is not 3.1.
        func written(_ key: String) -> String? {
            guard root[key] != nil else { return nil }
            return node.mapping?.first(where: { $0.key.scalar?.string == key })?.value.scalar?.string ?? root[key]!.text
        }
        if let swagger = written("swagger") {
            throw Failure(message: "\(file): Swagger \(ProfileWriter.commentSafe(swagger)) is not supported (OpenAPI 3.0 and 3.1 are); convert it to OpenAPI 3 first")
        }
        guard let version = written("openapi") else {
            throw Failure(message: "\(file): not an OpenAPI document (no openapi: field)")
        }
        guard ["3.0", "3.1"].contains(where: { version == $0 || version.hasPrefix($0 + ".") }) else {
            throw Failure(message: "\(file): openapi: OpenAPI \(ProfileWriter.commentSafe(version)) is not supported (3.0 and 3.1 are)")
        }
        self.root = root
        self.version = version
        if let remote = Self.firstRemoteRef(root, path: "") {
            throw Failure(message: "\(file): \(remote.path).$ref: '\(ProfileWriter.commentSafe(remote.ref))' is not a local reference (only #/… references are read)")
        }
    }

    /// The document as a tree of values: Yams' tag resolution decides a plain scalar's type; quoted ones are strings.
    static func value(_ node: Node) -> OpenAPIValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain || scalar.style == .any {
                if node.null != nil { return .null }
                if let b = node.bool { return .bool(b) }
                if let i = node.int { return .int(i) }
                if let d = node.float { return .double(d) }
            }
            return .string(scalar.string)
        case .sequence(let seq):
            return .array(seq.map(value))
        case .mapping(let map):
            var keys: [String] = []
            var values: [String: OpenAPIValue] = [:]
            for (k, v) in map {
                let key = k.scalar?.string ?? ""
                if values[key] == nil { keys.append(key) }
                values[key] = value(v)
            }
            return .object(keys: keys, values: values)
        case .alias:
            return .null
        }
    }

    /// The first `$ref` that does not start with `#`, with its place (`paths./pets.get`).
    static func firstRemoteRef(_ v: OpenAPIValue, path: String) -> (path: String, ref: String)? {
        switch v {
        case .object:
            for (key, member) in v.members {
                if key == "$ref", let ref = member.string, !ref.hasPrefix("#") { return (path.isEmpty ? "(top)" : path, ref) }
                if let found = firstRemoteRef(member, path: path.isEmpty ? key : path + "." + key) { return found }
            }
        case .array(let items):
            for (i, item) in items.enumerated() {
                if let found = firstRemoteRef(item, path: "\(path)[\(i)]") { return found }
            }
        default: break
        }
        return nil
    }

    /// `v` with its `$ref` followed (repeatedly, at most 32 times), or `v` itself when it has none. `path` names `v`'s
    /// place in messages.
    public func resolved(_ v: OpenAPIValue, at path: String) throws -> OpenAPIValue {
        var current = v
        var hops = 0
        while let ref = current["$ref"]?.string {
            hops += 1
            guard hops <= 32 else { throw Failure(message: "\(file): \(path).$ref: a cycle of references ('\(ref)')") }
            guard let target = pointer(ref) else {
                throw Failure(message: "\(file): \(path).$ref: '\(ProfileWriter.commentSafe(ref))' points at nothing in the document")
            }
            current = target
        }
        return current
    }

    /// The value a local JSON pointer (`#/components/schemas/Pet`) names.
    func pointer(_ ref: String) -> OpenAPIValue? {
        guard ref.hasPrefix("#") else { return nil }
        var current = root
        let body = ref.dropFirst()
        if body.isEmpty { return root }
        guard body.hasPrefix("/") else { return nil }
        for raw in body.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = (String(raw).removingPercentEncoding ?? String(raw))
                .replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch current {
            case .object: guard let next = current[token] else { return nil }; current = next
            case .array(let a): guard let i = Int(token), a.indices.contains(i) else { return nil }; current = a[i]
            default: return nil
            }
        }
        return current
    }
}
