import Foundation

/// Writes an OpenAPI 3.0/3.1 document's operations as a load profile: one scenario `api` whose flow sends one request
/// per operation (document order, or the order of `operations`), once, 1 VU — the same shape as `import curl`, with
/// comments saying what was guessed.
///
/// The server (`servers[0].url`, its variables at their defaults) becomes `${BASE_URL}`; path parameters are written
/// inline with their example (or, with `pathVariables`, as `${name}` variables to give with `-e`); query and header parameters get their example (required ones always, optional ones
/// when the document gives a value); security schemes become headers with `${…}` secrets (`Bearer ${TOKEN}`,
/// `${API_KEY}`); a JSON request body is the media type's example or one derived from its schema. When an operation
/// without security answers a `token` (or `access_token`) in its JSON, that step captures it and the bearer steps
/// after it send the captured `${token}`: a login followed by authenticated calls runs as it is.
public enum OpenAPIProfile {
    public struct Output: Sendable, Equatable {
        /// The profile, YAML.
        public var text: String
        /// The `${NAME}`s to give with `-e`, in order (`BASE_URL` first).
        public var variables: [String]
        /// The steps written, in order.
        public var stepNames: [String]
    }

    /// One operation of the document.
    struct Operation {
        var method: String
        var path: String
        var id: String?
        var value: OpenAPIValue
        var pathItem: OpenAPIValue
        var place: String
    }

    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// The document's operations in document order.
    static func operations(_ doc: OpenAPIDocument) throws -> [Operation] {
        var out: [Operation] = []
        for (path, rawItem) in doc.root["paths"]?.members ?? [] {
            let item = try doc.resolved(rawItem, at: "paths.\(path)")
            for (key, op) in item.members where methods.contains(key.lowercased()) {
                out.append(Operation(method: key.uppercased(), path: path, id: op["operationId"]?.string,
                                     value: op, pathItem: item, place: "paths.\(path).\(key)"))
            }
        }
        return out
    }

    /// A step name from an operationId (letters, digits, `_`, `-` kept), else `get_api_items_id` from method and path.
    static func stepName(_ op: Operation) -> String {
        func clean(_ s: String) -> String {
            String(s.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") ? Character($0) : "_" })
        }
        if let id = op.id, !id.isEmpty { return String(clean(id).prefix(60)) }
        let segments = op.path.split(separator: "/").map { clean($0.replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "")) }
        return String(([op.method.lowercased()] + segments).joined(separator: "_").prefix(60))
    }

    /// Renders `doc`. `operations` chooses and orders the operations (by operationId or by the generated step name);
    /// `baseURL` stands in for `servers[0].url`. With `pathVariables`, path parameters are `${name}` variables (listed
    /// with their example, to be given with `-e name=…`) instead of their example written inline.
    public static func render(_ doc: OpenAPIDocument, operations selection: [String]? = nil,
                              baseURL: String? = nil, pathVariables: Bool = false) throws -> Output {
        let all = try operations(doc)
        var chosen: [Operation]
        if let selection {
            chosen = []
            for wanted in selection {
                guard let op = all.first(where: { $0.id == wanted }) ?? all.first(where: { stepName($0) == wanted }) else {
                    let known = all.map { $0.id ?? stepName($0) }
                    throw OpenAPIDocument.Failure(message: "--operations: no operation '\(ProfileWriter.commentSafe(wanted))' in \(doc.file) (it has: \(known.prefix(20).joined(separator: ", "))\(known.count > 20 ? ", …" : ""))")
                }
                chosen.append(op)
            }
        } else {
            chosen = all
        }
        guard !chosen.isEmpty else { throw OpenAPIDocument.Failure(message: "\(doc.file): paths: the document has no operations") }

        // The server: BASE_URL stands for servers[0].url (variables at their defaults); a relative one keeps its path.
        var serverNote: String
        var serverPath = ""
        if let baseURL {
            serverNote = "--base-url: \(baseURL)"
        } else if let server = doc.root["servers"]?.array?.first, let raw = server["url"]?.string {
            var url = raw
            var defaults: [String] = []
            for (name, variable) in server["variables"]?.members ?? [] {
                let value = variable["default"]?.text ?? ""
                url = url.replacingOccurrences(of: "{\(name)}", with: value)
                defaults.append("\(name)=\(value)")
            }
            if url.hasPrefix("/") || !url.contains("://") {
                serverPath = url.hasSuffix("/") ? String(url.dropLast()) : url
                serverPath = serverPath.hasPrefix("/") || serverPath.isEmpty ? serverPath : "/" + serverPath
                serverNote = "servers[0] is relative (\(raw)): BASE_URL is the origin, \(serverPath.isEmpty ? "/" : serverPath) is kept in the URLs"
            } else {
                serverNote = "servers[0]: \(url)" + (defaults.isEmpty ? "" : " (\(raw) with \(defaults.joined(separator: ", ")))")
            }
        } else {
            serverNote = "the document has no servers: BASE_URL is the origin the paths are under"
        }

        var secrets = ProfileWriter.Secrets()
        var notes: [String] = []
        var inline: [String] = []
        var pathVariableNames: [(name: String, what: String)] = []
        var stepNames: [String] = []
        var steps: [String] = []
        var jar = false
        var capturedToken = false
        let securitySchemes = try doc.root["components"]?["securitySchemes"].map { try doc.resolved($0, at: "components.securitySchemes") }

        for op in chosen {
            let name = ProfileWriter.uniqueName(stepName(op), taken: stepNames)
            stepNames.append(name)
            var lines = ["      - name: \(name)"]
            if op.method != "GET" { lines.append("        method: \(op.method)") }

            // Parameters: the path item's, overridden by the operation's (same name and in).
            var params: [(value: OpenAPIValue, place: String)] = []
            for (source, place) in [(op.pathItem, "paths.\(op.path)"), (op.value, op.place)] {
                for (i, raw) in (source["parameters"]?.array ?? []).enumerated() {
                    let p = try doc.resolved(raw, at: "\(place).parameters[\(i)]")
                    if let j = params.firstIndex(where: { $0.value["name"] == p["name"] && $0.value["in"] == p["in"] }) {
                        params[j] = (p, "\(place).parameters[\(i)]")
                    } else {
                        params.append((p, "\(place).parameters[\(i)]"))
                    }
                }
            }
            var path = op.path
            var query: [String] = []
            var headers: [(name: String, value: String)] = []
            var cookies: [String] = []
            for (p, place) in params {
                guard let pname = p["name"]?.string, let location = p["in"]?.string else { continue }
                let required = p["required"] == .bool(true) || location == "path"
                let pick = try OpenAPIExample.forHolder(p, in: doc, at: place)
                if !required && pick.isDerived {
                    notes.append("step \(name): optional \(location) parameter \(pname) left out (no example in the document)")
                    continue
                }
                let guess = pick.isDerived ? "guessed, " + pick.source : pick.source
                switch location {
                case "path" where pathVariables:
                    let variable = variableName(pname)
                    path = path.replacingOccurrences(of: "{\(pname)}", with: "\u{1}\(variable)\u{2}")
                    if !pathVariableNames.contains(where: { $0.name == variable }) {
                        pathVariableNames.append((variable, "\(pick.value.text) (\(guess); first used by step \(name))"))
                    }
                case "path":
                    path = path.replacingOccurrences(of: "{\(pname)}", with: encode(pick.value.text, allowed: pathAllowed))
                    inline.append("\(pname) = \(pick.value.text) in step \(name) (\(guess))")
                case "query":
                    let values = pick.value.array.map { $0.map(\.text) } ?? [pick.value.text]
                    let explode = p["explode"] != .bool(false)
                    if explode {
                        for v in values { query.append(encode(pname, allowed: queryAllowed) + "=" + encode(v, allowed: queryAllowed)) }
                    } else {
                        query.append(encode(pname, allowed: queryAllowed) + "=" + encode(values.joined(separator: ","), allowed: queryAllowed))
                    }
                    if pick.isDerived { notes.append("step \(name): query parameter \(pname) = \(pick.value.text) (\(guess))") }
                case "header":
                    guard !["accept", "content-type", "authorization"].contains(pname.lowercased()) else { continue }
                    headers.append((pname, ProfileWriter.literal(pick.value.text)))
                    if pick.isDerived { notes.append("step \(name): header \(pname): \(pick.value.text) (\(guess))") }
                case "cookie":
                    cookies.append("\(pname)=\(pick.value.text)")
                    if pick.isDerived { notes.append("step \(name): cookie \(pname) = \(pick.value.text) (\(guess))") }
                default: break
                }
            }
            // A template name no parameter declares: 1, said so (braces are not sent).
            while let open = path.firstIndex(of: "{"), let close = path[open...].firstIndex(of: "}") {
                let pname = String(path[path.index(after: open)..<close])
                path.replaceSubrange(open...close, with: "1")
                inline.append("\(pname) = 1 in step \(name) (guessed: the path names it, no parameter declares it)")
            }
            if !cookies.isEmpty { headers.append(("Cookie", ProfileWriter.literal(cookies.joined(separator: "; ")))) }

            // Security: the first requirement of the operation's (else the document's) list.
            let requirement = (op.value["security"] ?? doc.root["security"])?.array?.first
            for (schemeName, _) in requirement?.members ?? [] {
                guard let raw = securitySchemes?[schemeName] else {
                    notes.append("step \(name): security scheme \(schemeName) is not in components.securitySchemes; left out")
                    continue
                }
                let scheme = try doc.resolved(raw, at: "components.securitySchemes.\(schemeName)")
                let type = scheme["type"]?.string ?? ""
                let httpScheme = scheme["scheme"]?.string?.lowercased() ?? ""
                if type == "apiKey", let keyName = scheme["name"]?.string {
                    let location = scheme["in"]?.string ?? "header"
                    if location == "cookie" {
                        jar = true
                        notes.append("step \(name): cookie \(keyName) (security \(schemeName)) is left to the cookie jar (cookies: per_vu): an earlier step must set it, or add a Cookie header")
                        continue
                    }
                    let base = keyName.lowercased().replacingOccurrences(of: "-", with: "_").hasSuffix("api_key") || keyName.lowercased().contains("apikey") ? "API_KEY" : ProfileWriter.variableName(keyName)
                    let v = secrets.variable(base, value: schemeName, what: "API key \(keyName) (\(location), security scheme \(schemeName))")
                    if location == "query" {
                        query.append(encode(keyName, allowed: queryAllowed) + "=${\(v)}")
                    } else {
                        headers.append((keyName, "${\(v)}"))
                    }
                } else if type == "http" && httpScheme == "basic" {
                    let v = secrets.variable("BASIC_AUTH", value: schemeName, what: "base64 of user:password (security scheme \(schemeName); printf %s user:password | base64)")
                    headers.append(("Authorization", "Basic ${\(v)}"))
                } else if type == "http" && httpScheme != "bearer" {
                    notes.append("step \(name): security scheme \(schemeName) (http \(httpScheme)) is not written; add its Authorization header")
                } else if ["http", "oauth2", "openIdConnect"].contains(type) {
                    if capturedToken {
                        headers.append(("Authorization", "Bearer ${token}"))
                    } else {
                        let v = secrets.variable("TOKEN", value: "bearer", what: "bearer token (security scheme \(schemeName)\(type == "http" ? "" : ", \(type)"))")
                        headers.append(("Authorization", "Bearer ${\(v)}"))
                    }
                } else {
                    notes.append("step \(name): security scheme \(schemeName) (\(type)) is not written")
                }
            }

            // The request body: JSON first, then a form, then any media type with an example.
            var bodyLines: [String] = []
            if let rawBody = op.value["requestBody"] {
                let body = try doc.resolved(rawBody, at: op.place + ".requestBody")
                let content = body["content"]?.members ?? []
                let json = content.first { $0.key.lowercased().hasPrefix("application/json") || $0.key.lowercased().hasSuffix("+json") }
                let form = content.first { $0.key.lowercased() == "application/x-www-form-urlencoded" }
                let contentPlace = op.place + ".requestBody.content"
                if let (type, media) = json {
                    let pick = try OpenAPIExample.forHolder(media, in: doc, at: "\(contentPlace).\(type)")
                    headers.append(("Content-Type", type))
                    // An example written as JSON text (a string holding an object or array) is sent as it is.
                    var bodyText = pick.value.json
                    if let s = pick.value.string, let first = s.trimmingCharacters(in: .whitespacesAndNewlines).first,
                       first == "{" || first == "[", (try? JSONSerialization.jsonObject(with: Data(s.utf8))) != nil {
                        bodyText = s
                    }
                    bodyLines.append("        body: \(ProfileWriter.quoted(ProfileWriter.literal(bodyText)))")
                    if pick.isDerived { notes.append("step \(name): the JSON body is \(pick.source); edit it to send real data") }
                } else if let (type, media) = form {
                    let pick = try OpenAPIExample.forHolder(media, in: doc, at: "\(contentPlace).\(type)")
                    headers.append(("Content-Type", type))
                    let text = pick.value.members.isEmpty ? pick.value.text
                        : pick.value.members.map { encode($0.key, allowed: formAllowed) + "=" + encode($0.value.text, allowed: formAllowed) }.joined(separator: "&")
                    bodyLines.append("        body: \(ProfileWriter.quoted(ProfileWriter.literal(text)))")
                    if pick.isDerived { notes.append("step \(name): the form body is \(pick.source)") }
                } else if let (type, media) = content.first {
                    let pick = try OpenAPIExample.forHolder(media, in: doc, at: "\(contentPlace).\(type)")
                    headers.append(("Content-Type", type))
                    bodyLines.append("        body: \(ProfileWriter.quoted(ProfileWriter.literal(pick.value.text)))")
                    notes.append("step \(name): the \(type) body is \(pick.isDerived ? "a placeholder (" + pick.source + ")" : "the document's " + pick.source)")
                }
            }

            var url = "${BASE_URL}" + ProfileWriter.literal(serverPath + path)
            // The path variables, marked while the path was built, become ${name}s; the rest of the path is literal.
            url = url.replacingOccurrences(of: "\u{1}", with: "${").replacingOccurrences(of: "\u{2}", with: "}")
            if !query.isEmpty { url += "?" + query.map { $0.contains("=${") ? $0 : ProfileWriter.literal($0) }.joined(separator: "&") }
            lines.append("        url: \(ProfileWriter.quoted(url))")
            if !headers.isEmpty {
                lines.append("        headers:")
                for (hname, hvalue) in headers { lines.append("          \(ProfileWriter.quotedKey(hname)): \(ProfileWriter.quoted(hvalue))") }
            }
            lines += bodyLines

            // A login: an operation without security whose JSON answer holds a token, before a bearer operation.
            if !capturedToken, requirement == nil || requirement?.members.isEmpty == true,
               let field = try tokenField(op, in: doc),
               chosen.drop(while: { $0.place != op.place }).dropFirst().contains(where: { usesBearer($0, doc: doc, schemes: securitySchemes) }) {
                capturedToken = true
                lines.append("        capture: { token: { json: \(ProfileWriter.quoted("$." + field)) } }   # guessed: a login; the bearer steps after it send it")
            }
            steps.append(lines.joined(separator: "\n"))
        }

        var out: [String] = []
        let title = doc.root["info"]?["title"]?.string ?? "api"
        let count = stepNames.count
        out.append("# Imported from \(ProfileWriter.commentSafe(doc.file)) (OpenAPI \(ProfileWriter.commentSafe(doc.version)), \(ProfileWriter.commentSafe(title))) by `barrage import openapi`: \(count) request\(count == 1 ? "" : "s"), sent in order, once.")
        out.append("# BASE_URL: give it with -e BASE_URL=… (\(ProfileWriter.commentSafe(serverNote)))")
        var variables = ["BASE_URL"]
        if !secrets.entries.isEmpty {
            out.append("# secrets: give them with -e NAME=…")
            let width = secrets.entries.map(\.name.count).max() ?? 0
            for e in secrets.entries {
                out.append("#   \(e.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(ProfileWriter.commentSafe(e.what))")
                variables.append(e.name)
            }
        }
        if !pathVariableNames.isEmpty {
            out.append("# path parameters: give them with -e NAME=… (the document's example shown)")
            let width = pathVariableNames.map(\.name.count).max() ?? 0
            for v in pathVariableNames {
                out.append("#   \(v.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(ProfileWriter.commentSafe(v.what))")
                variables.append(v.name)
            }
        }
        if !inline.isEmpty {
            out.append("# path parameters, written inline with their example value:")
            for i in inline { out.append("#   \(ProfileWriter.commentSafe(i))") }
        }
        var seen = Set<String>()
        for n in notes where seen.insert(n).inserted { out.append("# \(ProfileWriter.commentSafe(n))") }
        out.append("name: \(ProfileWriter.quoted(title))")
        out.append("scenarios:")
        out.append("  api:")
        if jar { out.append("    cookies: per_vu                   # the security schemes include a cookie: the jar carries it between steps") }
        out.append("    iterations: 1                     # one pass through the operations; raise it, or run with -n, -d, -c")
        out.append("    load: { model: closed, start_concurrency: 1, stages: [ { duration: 1m, concurrency: 1 } ] }   # 1 VU from the start")
        out.append("    flow:")
        out += steps
        return Output(text: out.joined(separator: "\n") + "\n", variables: variables, stepNames: stepNames)
    }

    /// A `-e` variable name from a parameter name: characters other than letters, digits and `_` become `_`.
    static func variableName(_ raw: String) -> String {
        var name = String(raw.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") ? Character($0) : "_" })
        if name.first.map({ $0.isNumber }) ?? true { name = "p_" + name }
        return name
    }

    /// Whether the operation's security (its own, else the document's) asks for a bearer token.
    static func usesBearer(_ op: Operation, doc: OpenAPIDocument, schemes: OpenAPIValue?) -> Bool {
        let requirement = (op.value["security"] ?? doc.root["security"])?.array?.first
        return requirement?.members.contains { entry in
            guard let raw = schemes?[entry.key], let s = try? doc.resolved(raw, at: "components.securitySchemes") else { return false }
            let type = s["type"]?.string ?? ""
            return (type == "http" && s["scheme"]?.string?.lowercased() == "bearer") || type == "oauth2" || type == "openIdConnect"
        } ?? false
    }

    /// The top-level property of the operation's 2xx JSON answer that holds a token (`token`, `access_token`, …).
    static func tokenField(_ op: Operation, in doc: OpenAPIDocument) throws -> String? {
        for (status, raw) in op.value["responses"]?.members ?? [] where status.hasPrefix("2") {
            let response = try doc.resolved(raw, at: "\(op.place).responses.\(status)")
            for (type, media) in response["content"]?.members ?? [] where type.lowercased().contains("json") {
                guard let schema = media["schema"] else { continue }
                let s = try doc.resolved(schema, at: "\(op.place).responses.\(status).content.\(type).schema")
                let names = s["properties"]?.members.map(\.key) ?? []
                if let field = ["token", "access_token", "accessToken", "id_token"].first(where: names.contains) { return field }
            }
        }
        return nil
    }

    static let pathAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        set.insert(charactersIn: "-._~!$'()*,;:@")
        return set
    }()
    static let queryAllowed: CharacterSet = {
        var set = pathAllowed
        set.remove(charactersIn: ";")
        set.insert(charactersIn: "/?")
        return set
    }()
    static let formAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        set.insert(charactersIn: "-._~*")
        return set
    }()

    static func encode(_ s: String, allowed: CharacterSet) -> String {
        s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
