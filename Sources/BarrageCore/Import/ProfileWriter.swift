/// What the importers (`import curl`, `import har`) share when they write a recording as a profile: the URL with its
/// origin under `${BASE_URL}` and its secret query parameters as variables, header values (secrets as variables, the
/// scheme of an Authorization kept), the headers dropped, the notes, and the comment block at the top that lists
/// them; plus the YAML text helpers (quoting, step names).
///
/// Text given to ``url(_:step:)`` and ``headerValue(_:_:step:basicUser:)`` may hold ``ProfileWriter/marker(_:)``s:
/// places a caller fills with a `${…}` of its own afterwards (a capture), never read as secrets nor escaped.
struct ProfileWriter {
    /// The recorded prefix written `${BASE_URL}`, without a trailing `/`.
    let base: String?
    var secrets = Secrets()
    var usedBase = false
    /// Header names dropped, as first seen.
    var dropped: [String] = []
    /// One-line notes written as comments at the top, each once.
    var notes: [String] = []

    init(baseURL: String?) {
        base = baseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    // MARK: Headers

    /// Headers left out of every step: hop-by-hop ones, the ones libcurl computes, and the browser's own.
    static let droppedHeaders: Set<String> = ["host", "content-length", "connection", "keep-alive", "proxy-connection",
                                               "transfer-encoding", "te", "trailer", "upgrade"]

    static func isDropped(_ name: String, compressed: Bool) -> Bool {
        let lower = name.lowercased()
        return droppedHeaders.contains(lower) || lower.hasPrefix("sec-") || lower.hasPrefix(":")
            || (lower == "accept-encoding" && !compressed)
    }

    /// Whether the header is dropped; a dropped one is remembered for the comment.
    mutating func drops(_ name: String, compressed: Bool) -> Bool {
        guard Self.isDropped(name, compressed: compressed) else { return false }
        if !dropped.contains(where: { $0.lowercased() == name.lowercased() }) { dropped.append(name) }
        return true
    }

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

    /// The template text of a header's value: a secret as a variable, an `Origin`/`Referer` under the base as
    /// `${BASE_URL}…`, anything else literal. A value holding a marker is the caller's, never a secret.
    mutating func headerValue(_ name: String, _ value: String, step: String, basicUser: String? = nil) -> String {
        if Self.isSecretHeader(name) && !value.contains(Self.markerStart) {
            return secretHeaderValue(name, value, step: step, basicUser: basicUser)
        }
        if let base, ["origin", "referer"].contains(name.lowercased()), value == base || value.hasPrefix(base + "/") {
            return "${BASE_URL}" + Self.literal(String(value.dropFirst(base.count)))
        }
        return Self.literal(value)
    }

    /// The value written for a secret header: the scheme of an Authorization kept, the credentials a variable.
    mutating func secretHeaderValue(_ name: String, _ value: String, step: String, basicUser: String?) -> String {
        let lower = name.lowercased()
        if lower == "authorization" || lower == "proxy-authorization",
           let space = value.firstIndex(of: " "), value[..<space].allSatisfy({ $0.isASCII && $0.isLetter }) {
            let scheme = String(value[..<space])
            let credentials = String(value[value.index(after: space)...]).trimmingSpaces
            if scheme.lowercased() == "basic" {
                let who = basicUser.map { "'\($0):PASSWORD'" } ?? "user:password"
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
        let v = secrets.variable(Self.variableName(name), value: value, what: "\(name) header of step \(step)")
        return "${\(v)}"
    }

    // MARK: URLs

    /// The template text of a URL: the base replaced, secret query parameters replaced, the rest literal.
    mutating func url(_ url: String, step: String) -> String {
        var rest = url
        var prefix = ""
        if let base, url == base || url.hasPrefix(base + "/") || url.hasPrefix(base + "?") {
            prefix = "${BASE_URL}"
            rest = String(url.dropFirst(base.count))
            usedBase = true
        } else if base != nil {
            notes.append("step \(step): \(Self.originOf(url)) is not under --base-url; kept as recorded")
        }
        var text = prefix
        guard let q = rest.firstIndex(of: "?") else { return text + Self.literal(rest) }
        text += Self.literal(String(rest[..<q])) + "?"
        let fragmentStart = rest[q...].firstIndex(of: "#") ?? rest.endIndex
        let query = rest[rest.index(after: q)..<fragmentStart]
        text += query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let eq = pair.firstIndex(of: "="), Self.isSecretParameter(String(pair[..<eq])),
                  !pair.contains(Self.markerStart) else { return Self.literal(String(pair)) }
            let key = String(pair[..<eq])
            let v = secrets.variable(Self.variableName(key), value: String(pair[pair.index(after: eq)...]),
                                     what: "query parameter \(key) of step \(step)")
            return Self.literal(key) + "=${\(v)}"
        }.joined(separator: "&")
        return text + Self.literal(String(rest[fragmentStart...]))
    }

    // MARK: The comment block

    /// The comments at the top after the first line: BASE_URL, the secrets, the dropped headers, `extra` lines, the
    /// notes; and the variables the profile needs (`BASE_URL` first when used).
    func topComments(droppedWhy: String = "hop-by-hop, computed by libcurl, or the browser's own",
                     extra: [String] = []) -> (lines: [String], variables: [String]) {
        var out: [String] = []
        var variables: [String] = []
        if usedBase, let base {
            variables.append("BASE_URL")
            out.append("# BASE_URL: give it with -e BASE_URL=… (recorded: \(Self.commentSafe(base)))")
        }
        if !secrets.entries.isEmpty {
            out.append("# secrets: give them with -e NAME=…")
            let width = secrets.entries.map(\.name.count).max() ?? 0
            for e in secrets.entries {
                out.append("#   \(e.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(Self.commentSafe(e.what))")
                variables.append(e.name)
            }
        }
        if !dropped.isEmpty {
            out.append("# dropped headers (\(droppedWhy)): \(Self.commentSafe(dropped.joined(separator: ", ")))")
        }
        out += extra.map { "# " + Self.commentSafe($0) }
        var seen = Set<String>()
        for n in notes where seen.insert(n).inserted { out.append("# \(Self.commentSafe(n))") }
        return (out, variables)
    }

    // MARK: Secrets

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

    // MARK: Markers

    static let markerStart: Character = "\u{1}"

    /// A stand-in for the `n`th `${…}` a caller puts into recorded text before it is written; ``filled(_:_:)`` puts
    /// the names in afterwards.
    static func marker(_ n: Int) -> String { "\u{1}\(n)\u{1}" }

    /// `text` with each marker replaced by `${names[n]}`.
    static func filled(_ text: String, _ names: [String]) -> String {
        guard text.contains(markerStart) else { return text }
        var out = text
        for (n, name) in names.enumerated() { out = out.replacingOccurrences(of: marker(n), with: "${\(name)}") }
        return out
    }

    // MARK: Text

    /// `text` as profile text that interpolation leaves as it is (`${` written `$${`).
    static func literal(_ text: String) -> String { text.replacingOccurrences(of: "${", with: "$${") }

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
