import Foundation
import Yams

/// What a flow's templates may name, besides the environment: the scenario's captures and the profile's data sets.
struct FlowScope {
    /// Where a capture is set: the step's index in the flow and its name.
    struct CaptureSite {
        var step: Int
        var stepName: String
    }

    var captures: [String: CaptureSite] = [:]
    /// Capture names in the order the flow sets them.
    var captureOrder: [String] = []
    var dataSets: [ProfileDataSet] = []
    /// `foreach … as` variables: set by their step itself, before each of its requests.
    var loopVariables: Set<String> = []
    /// What the run's `setup:` captures (once per run, before any load): every scenario's templates may read them.
    var runCaptures: [String] = []
    /// This is the run's `setup:` itself: no data set rows exist yet.
    var inRunSetup = false

    /// Names that are never variables: the template built-ins.
    static let builtIns = ["vu", "iteration", "uuid", "now_ms", "random_int"]
}

/// A data set as the profile declares it (`data: { users: { file, mode, bind } }`).
struct ProfileDataSet {
    var name: String
    var set: DataSet
    var mode: DataCursor.Mode
    var binding: DataCursor.Binding
}

/// A flow variable (a capture or `set.column`) a template uses, and where: for the ordering check.
struct TemplateUse {
    var name: String
    var line: Int
    var path: String
}

extension Template {
    /// A template made of `parts` (adjacent literals merged). Its `text` is for display: literals as they are,
    /// placeholders as `${name}`.
    init(assembling parts: [Part]) {
        var merged: [Part] = []
        for part in parts {
            if case .literal(let b) = part {
                if b.isEmpty { continue }
                if case .literal(let a)? = merged.last {
                    merged[merged.count - 1] = .literal(a + b)
                    continue
                }
            }
            merged.append(part)
        }
        self.parts = merged
        self.text = merged.map(Template.display).joined()
    }

    /// A part as text: a literal as it is, a placeholder as written (`${token}`, `${random_int(1,5)}`).
    static func display(_ part: Part) -> String {
        switch part {
        case .literal(let b): return String(decoding: b, as: UTF8.self)
        case .variable(let n): return "${\(n)}"
        case .defaulted(let n, let value): return "${\(n):-\(value)}"
        case .vu: return "${vu}"
        case .iteration: return "${iteration}"
        case .uuid: return "${uuid}"
        case .nowMillis: return "${now_ms}"
        case .randomInt(let a, let b): return "${random_int(\(a),\(b))}"
        }
    }

    /// The same placeholders with every literal passed through `transform` (JSON or form escaping).
    func mappingLiterals(_ transform: ([UInt8]) -> [UInt8]) -> [Part] {
        parts.map { if case .literal(let b) = $0 { return .literal(transform(b)) } else { return $0 } }
    }
}

// MARK: - Flow templates

extension ProfileReader {
    /// A flow field's scalar as a template. `${NAME}`s that are not captures, data columns (`set.column`) or
    /// built-ins are resolved now from -e and the environment and become literal text; the rest stay placeholders
    /// (recorded in `uses` for the ordering check). `$${` is a literal `${`. Unknown names fail with a did-you-mean.
    func flowTemplate(_ node: Node, _ path: String, scope: FlowScope, uses: inout [TemplateUse]) throws -> Template {
        guard let scalar = node.scalar else { throw fail(node, path, "expected a string") }
        guard !Self.isNull(node) else { throw fail(node, path, "expected a string (write \"\" for an empty one)") }
        return try flowTemplate(text: scalar.string, at: node, path, scope: scope, uses: &uses)
    }

    func flowTemplate(text: String, at node: Node, _ path: String, scope: FlowScope, uses: inout [TemplateUse]) throws -> Template {
        let parsed: Template
        do {
            parsed = try Template(parsing: text)
        } catch let error as BarrageError {
            throw fail(node, path, error.message)
        }
        var parts: [Template.Part] = []
        for part in parsed.parts {
            if case .defaulted(let name, let value) = part {
                // `${NAME:-value}`: the -e/environment value when set, else the default; never a capture or a column.
                if scope.captures[name] != nil || scope.runCaptures.contains(name) {
                    throw fail(node, path, "'${\(name):-…}': a default is for an environment value, and '\(name)' is a capture")
                }
                parts.append(.literal(Array((lookup(name) ?? value).utf8)))
                continue
            }
            guard case .variable(let name) = part else {
                parts.append(part)
                continue
            }
            if let dot = name.firstIndex(of: ".") {
                let setName = String(name[..<dot]), column = String(name[name.index(after: dot)...])
                guard let data = scope.dataSets.first(where: { $0.name == setName }) else {
                    throw unknownVariable(name, node, path, scope: scope)
                }
                if scope.inRunSetup {
                    throw fail(node, path, "'\(Threshold.oneLine(name))': data set columns cannot be used in the run's setup (it runs once, before any VU draws a row)")
                }
                guard data.set.columnIndex(column) != nil else {
                    var message = "unknown column '\(Threshold.oneLine(column))' in data set '\(setName)'"
                    if let guess = Suggestion.closest(to: column, among: data.set.columns) {
                        message += " (did you mean '\(guess)'?)"
                    } else {
                        message += " (columns: \(data.set.columns.joined(separator: ", ")))"
                    }
                    throw fail(node, path, message)
                }
                uses.append(TemplateUse(name: name, line: line(node), path: path))
                parts.append(part)
            } else if scope.captures[name] != nil || scope.runCaptures.contains(name) {
                uses.append(TemplateUse(name: name, line: line(node), path: path))
                parts.append(part)
            } else if let value = lookup(name) {
                parts.append(.literal(Array(value.utf8)))
            } else {
                throw unknownVariable(name, node, path, scope: scope)
            }
        }
        return Template(assembling: parts)
    }

    /// `unknown variable 'tokn' (did you mean 'token'?)`, the candidates being captures, data columns, built-ins and
    /// the names set with -e or in the environment.
    func unknownVariable(_ name: String, _ node: Node, _ path: String, scope: FlowScope) -> BarrageError {
        var message = "unknown variable '\(name)'"
        if scope.dataSets.contains(where: { $0.name == name }) {
            return fail(node, path, message + " ('\(name)' is a data set: name one of its columns, as in ${\(name).column})")
        }
        let columns = scope.dataSets.flatMap { d in d.set.columns.map { "\(d.name).\($0)" } }
        let candidates = scope.captureOrder + scope.runCaptures + columns + FlowScope.builtIns.filter { $0 != "random_int" } + variableNames
        if let guess = Suggestion.closest(to: name, among: candidates) {
            message += " (did you mean '\(guess)'?)"
        } else {
            message += " (not a capture, a data column or a built-in, and not set with -e or in the environment)"
        }
        return fail(node, path, message)
    }

    /// A value that must not depend on a VU (an `expect` value, `body_contains`): environment variables only.
    func constantFlowText(_ node: Node, _ path: String, scope: FlowScope) throws -> String {
        var uses: [TemplateUse] = []
        let template = try flowTemplate(node, path, scope: scope, uses: &uses)
        guard let bytes = template.literalBytes else {
            throw fail(node, path, "'\(Threshold.oneLine(template.text))': only environment variables can be used here, not captures, data columns or built-ins")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Headers

    /// `headers: { Name: value }` of a flow: each value a template. In file order.
    func flowHeaders(_ node: Node, _ path: String, scope: FlowScope) throws -> [FlowHeader] {
        guard let mapping = node.mapping else { throw fail(node, path, "expected a mapping of header name to value") }
        var headers: [FlowHeader] = []
        for (keyNode, valueNode) in mapping {
            let name = try string(keyNode, path)
            let headerPath = path + "." + name
            guard !name.isEmpty, name.unicodeScalars.allSatisfy(Self.isTokenChar) else {
                throw fail(keyNode, headerPath, "'\(Threshold.oneLine(name))' is not a valid header name")
            }
            if headers.contains(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) {
                throw fail(keyNode, headerPath, "header '\(name)' is given twice (names are case-insensitive)")
            }
            var uses: [TemplateUse] = []
            let value = try flowTemplate(valueNode, headerPath, scope: scope, uses: &uses)
            for case .literal(let b) in value.parts where b.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
                throw fail(valueNode, headerPath, "a header value cannot contain CR, LF or NUL")
            }
            headers.append(FlowHeader(name: name, value: value, uses: uses))
        }
        return headers
    }

    // MARK: Bodies

    /// `json:`: the YAML mapping or sequence as compact JSON in file order. String scalars are templates whose literal
    /// text is JSON-escaped and whose placeholders are inserted as they are (not escaped); plain numbers, booleans and
    /// nulls are JSON's.
    func jsonBody(_ node: Node, _ path: String, scope: FlowScope, uses: inout [TemplateUse]) throws -> Template {
        guard node.mapping != nil || node.sequence != nil else {
            throw fail(node, path, "expected a mapping or a list (the JSON body; for a JSON string use body:)")
        }
        var parts: [Template.Part] = []
        try appendJSON(node, path, scope: scope, uses: &uses, into: &parts)
        return Template(assembling: parts)
    }

    private func appendJSON(_ node: Node, _ path: String, scope: FlowScope, uses: inout [TemplateUse],
                            into parts: inout [Template.Part]) throws {
        func lit(_ s: String) { parts.append(.literal(Array(s.utf8))) }
        if let mapping = node.mapping {
            lit("{")
            for (i, (keyNode, valueNode)) in mapping.enumerated() {
                if i > 0 { lit(",") }
                guard let key = keyNode.scalar?.string else { throw fail(keyNode, path, "expected a string key") }
                let keyPath = path + "." + key
                let keyTemplate = try flowTemplate(text: key, at: keyNode, keyPath, scope: scope, uses: &uses)
                lit("\"")
                parts += keyTemplate.mappingLiterals(Self.jsonEscaped)
                lit("\":")
                try appendJSON(valueNode, keyPath, scope: scope, uses: &uses, into: &parts)
            }
            lit("}")
        } else if let list = node.sequence {
            lit("[")
            for (i, item) in list.enumerated() {
                if i > 0 { lit(",") }
                try appendJSON(item, "\(path)[\(i)]", scope: scope, uses: &uses, into: &parts)
            }
            lit("]")
        } else if let scalar = node.scalar {
            if let plain = Self.plainJSONScalar(node) {
                lit(plain.text)
                return
            }
            let template = try flowTemplate(text: scalar.string, at: node, path, scope: scope, uses: &uses)
            lit("\"")
            parts += template.mappingLiterals(Self.jsonEscaped)
            lit("\"")
        } else {
            throw fail(node, path, "expected a JSON value")
        }
    }

    /// A plain (unquoted) YAML scalar that is JSON's null, a boolean or a number; nil for a string.
    static func plainJSONScalar(_ node: Node) -> JSONValue? {
        guard let scalar = node.scalar, scalar.style == .plain || scalar.style == .any else { return nil }
        if isNull(node) { return .null }
        switch scalar.string {
        case "true", "True", "TRUE": return JSONValue(bool: true)
        case "false", "False", "FALSE": return JSONValue(bool: false)
        default: return JSONValue(numberText: scalar.string)
        }
    }

    /// `form:`: `a=b&c=d` in file order, the literal text percent-encoded (application/x-www-form-urlencoded: space
    /// as `+`), placeholders inserted as they are. Values are scalars, taken as written.
    func formBody(_ node: Node, _ path: String, scope: FlowScope, uses: inout [TemplateUse]) throws -> Template {
        guard let mapping = node.mapping else { throw fail(node, path, "expected a mapping of field name to value") }
        var parts: [Template.Part] = []
        for (i, (keyNode, valueNode)) in mapping.enumerated() {
            guard let key = keyNode.scalar?.string else { throw fail(keyNode, path, "expected a field name") }
            let fieldPath = path + "." + key
            guard let value = valueNode.scalar?.string else {
                throw fail(valueNode, fieldPath, "expected a scalar (a form field's value is text)")
            }
            if i > 0 { parts.append(.literal([UInt8(ascii: "&")])) }
            parts += try flowTemplate(text: key, at: keyNode, fieldPath, scope: scope, uses: &uses).mappingLiterals(Self.formEncoded)
            parts.append(.literal([UInt8(ascii: "=")]))
            parts += try flowTemplate(text: value, at: valueNode, fieldPath, scope: scope, uses: &uses).mappingLiterals(Self.formEncoded)
        }
        return Template(assembling: parts)
    }

    /// The boundary of `multipart:` bodies: fixed, so requests and fingerprints stay reproducible; a body that holds it
    /// is refused at load.
    static let multipartBoundary = "----BarrageFormBoundary7MA4YWxkTrZu0gW"

    /// `multipart: { fields: { NAME: value }, files: { NAME: { path, content_type, filename } } }` as
    /// `multipart/form-data` (RFC 7578): fields are templates, files are read once (relative to the profile) and sent
    /// as they are.
    func multipartBody(_ node: Node, _ path: String, scope: FlowScope, uses: inout [TemplateUse]) throws -> Template {
        let map = try fields(node, path: path, line: line(node), allowed: ["fields", "files"])
        let boundary = Array(Self.multipartBoundary.utf8)
        var parts: [Template.Part] = []
        func head(_ name: String, filename: String? = nil, contentType: String? = nil) -> [UInt8] {
            var text = "--\(Self.multipartBoundary)\r\nContent-Disposition: form-data; name=\"\(name)\""
            if let filename { text += "; filename=\"\(filename)\"" }
            text += "\r\n"
            if let contentType { text += "Content-Type: \(contentType)\r\n" }
            return Array((text + "\r\n").utf8)
        }
        func checkName(_ name: String, _ at: Node, _ p: String) throws {
            guard !name.isEmpty, !name.contains("\""), !name.contains("\r"), !name.contains("\n") else {
                throw fail(at, p, "'\(Threshold.oneLine(name))' is not a form field name (no quotes or line breaks)")
            }
        }
        if let fieldsNode = map.value("fields") {
            guard let mapping = fieldsNode.mapping else { throw fail(fieldsNode, map.path("fields"), "expected a mapping of field name to value") }
            for (keyNode, valueNode) in mapping {
                let name = keyNode.scalar?.string ?? ""
                let fieldPath = map.path("fields") + "." + name
                try checkName(name, keyNode, fieldPath)
                guard let value = valueNode.scalar?.string else { throw fail(valueNode, fieldPath, "expected a scalar (a field's value is text)") }
                parts.append(.literal(head(name)))
                parts += try flowTemplate(text: value, at: valueNode, fieldPath, scope: scope, uses: &uses).parts
                parts.append(.literal(Array("\r\n".utf8)))
            }
        }
        if let filesNode = map.value("files") {
            guard let mapping = filesNode.mapping else { throw fail(filesNode, map.path("files"), "expected a mapping of field name to { path, content_type, filename }") }
            for (keyNode, valueNode) in mapping {
                let name = keyNode.scalar?.string ?? ""
                let filePath = map.path("files") + "." + name
                try checkName(name, keyNode, filePath)
                let f = try fields(valueNode, path: filePath, line: line(valueNode), allowed: ["path", "content_type", "filename"])
                guard let pathNode = f.value("path") else { throw fail(f.keyLine("path"), f.path("path"), "is required") }
                let relative = try nonEmptyString(pathNode, f.path("path"))
                let resolved = resolve(relative)
                let bytes: [UInt8]
                switch ProfileLoader.readFile(resolved) {
                case .success(let b): bytes = b
                case .failure(let reason): throw fail(pathNode, f.path("path"), "cannot read \(Threshold.oneLine(resolved)) (\(reason))")
                }
                if bytes.count >= boundary.count && bytes.withUnsafeBufferPointer({ b in
                    boundary.withUnsafeBufferPointer { n in (0...(b.count - n.count)).contains { i in memcmp(b.baseAddress! + i, n.baseAddress!, n.count) == 0 } }
                }) {
                    throw fail(pathNode, f.path("path"), "the file holds the multipart boundary; it cannot be sent as a part")
                }
                let filename = try f.value("filename").map { try nonEmptyString($0, f.path("filename")) }
                    ?? String(relative.split(separator: "/").last ?? Substring(relative))
                try checkName(filename, f.value("filename") ?? pathNode, f.path("filename"))
                let contentType = try f.value("content_type").map { try nonEmptyString($0, f.path("content_type")) } ?? "application/octet-stream"
                parts.append(.literal(head(name, filename: filename, contentType: contentType) + bytes + Array("\r\n".utf8)))
            }
        }
        guard !parts.isEmpty else { throw fail(node, path, "expected fields: or files: (a multipart body needs at least one part)") }
        parts.append(.literal(Array("--\(Self.multipartBoundary)--\r\n".utf8)))
        return Template(assembling: parts)
    }

    /// JSON string escaping of UTF-8 bytes (quote, backslash and control characters; the rest as they are).
    static func jsonEscaped(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let hex = Array("0123456789abcdef".utf8)
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            default: out.append(b)
            }
        }
        return out
    }

    /// WHATWG urlencoded: ASCII letters, digits and `*-._` as they are, space as `+`, every other byte `%XX`.
    static func formEncoded(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for b in bytes {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                out.append(b)
            case UInt8(ascii: " "): out.append(UInt8(ascii: "+"))
            default: out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            }
        }
        return out
    }

    // MARK: URLs

    /// The URL's problem when what is known at load time already shows one: a constant URL is checked as a target's;
    /// a templated one whose scheme is written out is checked with each placeholder read as `1` (a valid host, port or
    /// path piece). A URL that starts with a placeholder is checked only when sent.
    static func flowURLProblem(_ url: Template) -> String? {
        guard case .literal(let first)? = url.parts.first else { return nil }
        let known = url.isConstant || String(decoding: first, as: UTF8.self).contains("://")
        guard known else { return nil }
        let probe = url.parts.map { if case .literal(let b) = $0 { return String(decoding: b, as: UTF8.self) } else { return "1" } }.joined()
        return HTTPURL.problem(probe)
    }
}

/// A flow header: its name and value template, and the flow variables the value uses.
struct FlowHeader {
    var name: String
    var value: Template
    var uses: [TemplateUse]

    /// The whole line `Name: value` as a template.
    var line: Template { Template(assembling: [.literal(Array("\(name): ".utf8))] + value.parts) }
}

extension Template {
    /// The template's bytes when it has no placeholder.
    var literalBytes: [UInt8]? {
        guard isConstant else { return nil }
        return parts.flatMap { if case .literal(let b) = $0 { return b } else { return [] } }
    }
}

extension CompiledTemplate {
    /// The template as text with each placeholder written back by name (`${token}`; a slot by `variables[slot]`), for
    /// messages, the plan and `validate`.
    public func displayText(variables: [String]) -> String {
        parts.map { part in
            switch part {
            case .literal(let b): return String(decoding: b, as: UTF8.self)
            case .slot(let s): return "${\(s < variables.count ? variables[s] : "slot\(s)")}"
            case .vu: return "${vu}"
            case .iteration: return "${iteration}"
            case .nowMillis: return "${now_ms}"
            case .uuid: return "${uuid}"
            case .randomInt(let a, let b, _): return "${random_int(\(a),\(b))}"
            }
        }.joined()
    }
}
