/// Writes curl commands (`CurlCommand`) as a load profile: one scenario `recorded` whose flow sends the requests in
/// order, once (closed model, 1 VU, `iterations: 1`), written by hand as readable YAML with comments saying what was
/// dropped, replaced or guessed.
///
/// Hop-by-hop and browser-only headers are dropped; values that look like secrets (Authorization, Cookie, token and
/// key headers, `-u` credentials, tokens in query strings) become `${NAME}` variables listed at the top, to be given
/// with `-e NAME=…`. With a base URL, URLs under it become `${BASE_URL}…`.
public enum CurlProfile {
    public struct Output: Sendable, Equatable {
        /// The profile, YAML.
        public var text: String
        /// The `${NAME}`s the profile needs, in order of first use (`BASE_URL` first when used).
        public var variables: [String]
    }

    /// Headers left out of every step: hop-by-hop ones, the ones libcurl computes, and the browser's own.
    static let droppedHeaders: Set<String> = ["host", "content-length", "connection", "keep-alive", "proxy-connection",
                                               "transfer-encoding", "te", "trailer", "upgrade"]

    static func isDropped(_ name: String, compressed: Bool) -> Bool {
        let lower = name.lowercased()
        return droppedHeaders.contains(lower) || lower.hasPrefix("sec-") || lower.hasPrefix(":")
            || (lower == "accept-encoding" && !compressed)
    }

    /// The command's headers as `run --curl` sends them, `Name: value`: the dropped ones left out, and
    /// Accept-Encoding always (with --compressed, Barrage's own --compressed asks and decodes).
    public static func sentHeaders(_ c: CurlCommand) -> [String] {
        c.headers.filter { !isDropped($0.name, compressed: false) }.map { "\($0.name): \($0.value)" }
    }

    /// What `curl --compressed` asks for (libcurl with zlib, brotli and zstd).
    static let curlAcceptEncoding = "deflate, gzip, br, zstd"

    /// A header whose value is a secret.
    static func isSecretHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower == "cookie" || ["auth", "token", "secret", "password", "api-key", "apikey", "api_key"].contains { lower.contains($0) }
    }

    /// A query parameter whose value is a secret.
    static func isSecretParameter(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["token", "secret", "password", "passwd", "api_key", "apikey", "api-key", "auth", "signature"].contains { lower.contains($0) }
            || ["key", "sig"].contains(lower)
    }

    /// The secrets found so far: one variable per distinct value.
    struct Secrets {
        var entries: [(name: String, value: String, what: String)] = []

        /// The variable holding `value` (made from `base` the first time, `_2`… when the name is taken by another value).
        mutating func variable(_ base: String, value: String, what: String) -> String {
            if let e = entries.first(where: { $0.value == value && ($0.name == base || $0.name.hasPrefix(base + "_")) }) {
                return e.name
            }
            var name = base
            var n = 2
            while entries.contains(where: { $0.name == name }) { name = "\(base)_\(n)"; n += 1 }
            entries.append((name, value, what))
            return name
        }
    }

    /// A variable name from a header or parameter name, carrying a word that makes Barrage redact its value.
    static func variableName(_ raw: String) -> String {
        var name = String(raw.uppercased().unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) ? Character($0) : "_" })
        if name.first.map({ $0.isNumber }) ?? true { name = "V_" + name }
        return ProfileLoader.isSecretName(name) ? name : name + "_SECRET"
    }

    /// `text` as profile text that interpolation leaves as it is (`${` written `$${`).
    static func literal(_ text: String) -> String { text.replacingOccurrences(of: "${", with: "$${") }

    public static func render(_ commands: [CurlCommand], baseURL: String? = nil) -> Output {
        var secrets = Secrets()
        var usedBase = false
        var dropped: [String] = []
        var notes: [String] = []
        var runFlags: [String] = []
        var stepNames: [String] = []
        var steps: [String] = []
        let base = baseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }

        for command in commands {
            for url in command.urls {
                let name = uniqueName(stepName(url), taken: stepNames)
                stepNames.append(name)
                var lines = ["      - name: \(name)"]
                if command.method != "GET" { lines.append("        method: \(command.method)") }

                // The URL: the base replaced, secret parameters replaced, the rest literal.
                var rest = url
                var prefix = ""
                if let base, url == base || url.hasPrefix(base + "/") || url.hasPrefix(base + "?") {
                    prefix = "${BASE_URL}"
                    rest = String(url.dropFirst(base.count))
                    usedBase = true
                } else if base != nil {
                    notes.append("step \(name): \(originOf(url)) is not under --base-url; kept as recorded")
                }
                var urlText = prefix
                if let q = rest.firstIndex(of: "?") {
                    urlText += literal(String(rest[..<q])) + "?"
                    let fragmentStart = rest[q...].firstIndex(of: "#") ?? rest.endIndex
                    let query = rest[rest.index(after: q)..<fragmentStart]
                    urlText += query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
                        guard let eq = pair.firstIndex(of: "="), isSecretParameter(String(pair[..<eq])) else { return literal(String(pair)) }
                        let key = String(pair[..<eq])
                        let v = secrets.variable(variableName(key), value: String(pair[pair.index(after: eq)...]),
                                                 what: "query parameter \(key) of step \(name)")
                        return literal(key) + "=${\(v)}"
                    }.joined(separator: "&")
                    urlText += literal(String(rest[fragmentStart...]))
                } else {
                    urlText += literal(rest)
                }
                lines.append("        url: \(quoted(urlText))")

                // Headers: dropped ones left out, repeats joined, secrets replaced.
                var headers: [(name: String, value: String)] = []
                for (hname, hvalue) in command.headers {
                    if isDropped(hname, compressed: command.compressed) {
                        if !dropped.contains(where: { $0.lowercased() == hname.lowercased() }) { dropped.append(hname) }
                        continue
                    }
                    if case .multipart = command.body, hname.lowercased() == "content-type" {
                        notes.append("step \(name): the recorded Content-Type left out; the multipart body sets its own")
                        continue
                    }
                    if let j = headers.firstIndex(where: { $0.name.lowercased() == hname.lowercased() }) {
                        headers[j].value += (hname.lowercased() == "cookie" ? "; " : ", ") + hvalue
                        notes.append("step \(name): header \(hname) given twice; the values joined")
                    } else {
                        headers.append((hname, hvalue))
                    }
                }
                if command.compressed && !headers.contains(where: { $0.name.lowercased() == "accept-encoding" }) {
                    headers.append(("Accept-Encoding", curlAcceptEncoding))
                    notes.append("--compressed: Accept-Encoding: \(curlAcceptEncoding) sent as curl does; the bodies are not decoded (the bytes received are counted as they arrive); run with --compressed to have them decoded")
                } else if command.compressed {
                    notes.append("--compressed: the recorded Accept-Encoding kept; the bodies are not decoded (run with --compressed to have them decoded)")
                }
                if !headers.isEmpty {
                    lines.append("        headers:")
                    for (hname, hvalue) in headers {
                        let value: String
                        if isSecretHeader(hname) {
                            value = secretHeaderValue(hname, hvalue, command: command, step: name, secrets: &secrets)
                        } else if let base, ["origin", "referer"].contains(hname.lowercased()),
                                  hvalue == base || hvalue.hasPrefix(base + "/") {
                            value = "${BASE_URL}" + literal(String(hvalue.dropFirst(base.count)))
                        } else {
                            value = literal(hvalue)
                        }
                        lines.append("          \(quotedKey(hname)): \(quoted(value))")
                    }
                }

                switch command.body {
                case .none: break
                case .text(let text): lines.append("        body: \(quoted(literal(text)))")
                case .file(let path):
                    lines.append("        body_file: \(quoted(path))")
                    notes.append("step \(name): body_file \(path) is read relative to the profile (curl read it relative to where it ran)")
                case .multipart(let parts):
                    lines.append("        multipart:")
                    let fields = parts.filter { $0.filePath == nil }
                    let files = parts.filter { $0.filePath != nil }
                    if !fields.isEmpty {
                        lines.append("          fields:")
                        for f in fields { lines.append("            \(quoted(f.name)): \(quoted(literal(f.value ?? "")))") }
                    }
                    if !files.isEmpty {
                        lines.append("          files:")
                        for f in files {
                            var entry = "path: \(quoted(f.filePath ?? ""))"
                            if let t = f.contentType { entry += ", content_type: \(quoted(t))" }
                            entry += ", filename: \(quoted(f.fileName ?? (f.filePath ?? "").split(separator: "/").last.map(String.init) ?? ""))"
                            lines.append("            \(quoted(f.name)): { \(entry) }")
                        }
                        notes.append("step \(name): -F files are read relative to the profile; fields are sent before files")
                    }
                }
                steps.append(lines.joined(separator: "\n"))
            }
            for n in command.notes { notes.append("step \(stepNames.last ?? ""): \(n)") }
            if command.insecure && !runFlags.contains("--insecure") { runFlags.append("--insecure") }
            if command.followRedirects && !runFlags.contains("--follow-redirects 50") { runFlags.append("--follow-redirects 50") }
            if let v = command.httpVersion, !runFlags.contains("--http \(v)") { runFlags.append("--http \(v)") }
        }

        var out: [String] = []
        let count = stepNames.count
        out.append("# Imported from \(commands.count == 1 ? "a curl command" : "\(commands.count) curl commands") by `barrage import curl`: \(count) request\(count == 1 ? "" : "s"), sent in order, once.")
        var variables: [String] = []
        if usedBase, let base {
            variables.append("BASE_URL")
            out.append("# BASE_URL: give it with -e BASE_URL=… (recorded: \(commentSafe(base)))")
        }
        if !secrets.entries.isEmpty {
            out.append("# secrets: give them with -e NAME=…")
            let width = secrets.entries.map(\.name.count).max() ?? 0
            for e in secrets.entries {
                out.append("#   \(e.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(commentSafe(e.what))")
                variables.append(e.name)
            }
        }
        if !dropped.isEmpty {
            out.append("# dropped headers (hop-by-hop, computed by libcurl, or the browser's own): \(commentSafe(dropped.joined(separator: ", ")))")
        }
        if !runFlags.isEmpty {
            out.append("# recorded with curl flags a profile does not hold: run it with \(runFlags.joined(separator: " "))")
        }
        var seen = Set<String>()
        for n in notes where seen.insert(n).inserted { out.append("# \(commentSafe(n))") }
        out.append("name: recorded")
        out.append("scenarios:")
        out.append("  recorded:")
        out.append("    iterations: 1                     # one pass through the recording; raise it, or run with -n, -d, -c")
        out.append("    load: { model: closed, start_concurrency: 1, stages: [ { duration: 1m, concurrency: 1 } ] }   # 1 VU from the start")
        out.append("    flow:")
        out += steps
        return Output(text: out.joined(separator: "\n") + "\n", variables: variables)
    }

    /// The value written for a secret header: the scheme of an Authorization kept, the credentials a variable.
    static func secretHeaderValue(_ name: String, _ value: String, command: CurlCommand, step: String,
                                  secrets: inout Secrets) -> String {
        let lower = name.lowercased()
        if lower == "authorization" || lower == "proxy-authorization",
           let space = value.firstIndex(of: " "), value[..<space].allSatisfy({ $0.isASCII && $0.isLetter }) {
            let scheme = String(value[..<space])
            let credentials = String(value[value.index(after: space)...]).trimmingSpaces
            if scheme.lowercased() == "basic" {
                let who = command.basicUser.map { "'\($0):PASSWORD'" } ?? "user:password"
                let v = secrets.variable("BASIC_AUTH", value: credentials,
                                         what: "\(name) Basic of step \(step): base64 of \(who) (printf %s \(who) | base64)")
                return "\(scheme) ${\(v)}"
            }
            let v = secrets.variable(lower == "authorization" ? "AUTH_TOKEN" : "PROXY_AUTH_TOKEN", value: credentials,
                                     what: "\(name) \(scheme) credentials of step \(step)")
            return "\(scheme) ${\(v)}"
        }
        if lower == "cookie" {
            let v = secrets.variable("COOKIE_SECRET", value: value, what: "Cookie header of step \(step) (name=value; …)")
            return "${\(v)}"
        }
        let v = secrets.variable(variableName(name), value: value, what: "\(name) header of step \(step)")
        return "${\(v)}"
    }

    /// A step name from the URL's path: its segments joined with `_` (`/api/items/7` → `api_items_7`), `root` for `/`.
    static func stepName(_ url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        let path = rest.firstIndex(of: "/").map { rest[$0...] } ?? ""
        let clean = path.prefix { $0 != "?" && $0 != "#" }
        let segments = clean.split(separator: "/").map { seg in
            String(seg.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") ? Character($0) : "_" })
        }
        let joined = segments.joined(separator: "_")
        if joined.isEmpty { return "root" }
        return String(joined.prefix(40))
    }

    static func uniqueName(_ name: String, taken: [String]) -> String {
        guard taken.contains(name) else { return name }
        var n = 2
        while taken.contains("\(name)_\(n)") { n += 1 }
        return "\(name)_\(n)"
    }

    static func originOf(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let after = url[scheme.upperBound...]
        return String(url[..<(after.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? url.endIndex)])
    }

    /// A comment stays one line.
    static func commentSafe(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0 == "\u{85}" || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : Character($0) })
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{85}", "\u{2028}", "\u{2029}", "\u{FEFF}":
                let h = String(u.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    out += "\\x" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16, uppercase: true)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// A header name as a mapping key: plain when it is a token of letters, digits and `-`, quoted otherwise.
    static func quotedKey(_ s: String) -> String {
        s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) && !s.isEmpty ? s : quoted(s)
    }
}
