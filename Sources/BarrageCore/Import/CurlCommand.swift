import Foundation

/// One `curl …` command as browsers' "Copy as cURL" (bash) writes it, read into the request(s) it would send.
///
/// The flags Chromium and Firefox write, and the common hand-written ones, are understood; any other flag is an error
/// naming it (never ignored silently). Nothing is read from disk here: `@file` bodies become `bodyFile` paths.
public struct CurlCommand: Sendable, Equatable {
    /// The body of a request.
    public enum Body: Sendable, Equatable {
        case none
        case text(String)
        /// `--data-binary @FILE` or `-d @FILE`: the file, sent as it is.
        case file(String)
        /// `-F`: `multipart/form-data` fields and files, in order.
        case multipart([FormPart])
    }

    /// One `-F` part: `name=value`, or `name=@path[;type=…][;filename=…]`.
    public struct FormPart: Sendable, Equatable {
        public var name: String
        public var value: String?
        public var filePath: String?
        public var contentType: String?
        public var fileName: String?
    }

    /// The URLs, in order (`curl A B` sends both with the same options).
    public var urls: [String] = []
    /// `-X`, `-I` (HEAD), `-G` (GET) or curl's default: POST with a body, GET without.
    public var method: String = "GET"
    /// `-H` lines and the headers `-A`, `-e`, `-b`, `-u` and a body imply, as `(name, value)` in order.
    public var headers: [(name: String, value: String)] = []
    public var body: Body = .none
    /// `--compressed`, `-k`, `-L`.
    public var compressed = false
    public var insecure = false
    public var followRedirects = false
    /// Barrage's `--http` value for curl's protocol flag, the last one given: `--http1.1` → `1.1`, `--http2` and
    /// `--http2-prior-knowledge` → `2`, `--http3` and `--http3-only` → `3` (`--http3` is dropped, with a note, when no
    /// URL is `https://`: curl speaks HTTP/1.1 there; `--http3-only` with an `http://` URL is refused, as curl does;
    /// `--http2` is dropped, with a note, when a URL is `http://`: curl only offers an upgrade there).
    /// Nil without one.
    public var httpVersion: String?
    /// `--http2-prior-knowledge`: HTTP/2 on `http://` too (h2c, as Barrage's `--http 2` sends it), where curl's
    /// `--http2` only asks to upgrade.
    public var priorKnowledge = false
    /// The user name of `-u USER:PASSWORD` (its `Authorization: Basic` header is in `headers`).
    public var basicUser: String?
    /// What was guessed or left out, one line each, for the comments of an imported profile.
    public var notes: [String] = []

    public static func == (a: CurlCommand, b: CurlCommand) -> Bool {
        a.urls == b.urls && a.method == b.method && a.headers.map { [$0.name, $0.value] } == b.headers.map { [$0.name, $0.value] }
            && a.body == b.body && a.compressed == b.compressed && a.insecure == b.insecure
            && a.followRedirects == b.followRedirects && a.httpVersion == b.httpVersion && a.priorKnowledge == b.priorKnowledge && a.notes == b.notes && a.basicUser == b.basicUser
    }

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Every `curl` command in `text` (one per `curl`, split at newlines, `;`, `&&` or `||`), in order.
    public static func parseAll(_ text: String) throws -> [CurlCommand] {
        let commands: [[String]]
        do { commands = try ShellWords.commands(text) } catch let e as ShellWords.Failure { throw Failure(message: e.message) }
        guard !commands.isEmpty else { throw Failure(message: "no curl command in the text") }
        return try commands.map { try parse(words: $0) }
    }

    /// Flags that take a value, by every name curl gives them.
    static let valued: [String: String] = [
        "-X": "request", "--request": "request", "-H": "header", "--header": "header",
        "-d": "data", "--data": "data", "--data-ascii": "data", "--data-raw": "data-raw", "--data-binary": "data-binary",
        "--data-urlencode": "data-urlencode", "-F": "form", "--form": "form", "-b": "cookie", "--cookie": "cookie",
        "-u": "user", "--user": "user", "--url": "url", "-A": "user-agent", "--user-agent": "user-agent",
        "-e": "referer", "--referer": "referer",
    ]
    /// Flags without a value.
    static let switches: [String: String] = [
        "-G": "get", "--get": "get", "--compressed": "compressed", "-k": "insecure", "--insecure": "insecure",
        "-I": "head", "--head": "head", "-L": "location", "--location": "location", "--http2": "http2",
        "--http1.1": "http1.1", "--http2-prior-knowledge": "http2-prior-knowledge", "--http3": "http3",
        "--http3-only": "http3-only", "-s": "ignored", "--silent": "ignored", "-S": "ignored", "--show-error": "ignored",
        "-v": "ignored", "--verbose": "ignored",
    ]

    /// One command's words, the first being `curl`.
    public static func parse(words: [String]) throws -> CurlCommand {
        guard let first = words.first else { throw Failure(message: "no curl command in the text") }
        if first.hasPrefix("-") {
            throw Failure(message: "a command starts with '\(first)': the line before it lacks its '\\' continuation (or has spaces after it)")
        }
        guard first == "curl" || first.hasSuffix("/curl") else {
            throw Failure(message: "'\(first)': expected a command starting with curl")
        }
        var c = CurlCommand()
        var explicitMethod: String?
        var head = false, get = false, http3Only = false
        var data: [String] = []
        var dataFile: String?
        var form: [FormPart] = []
        var ignored: [String] = []
        var i = 1
        // Each flag with its value (nil for a switch), short clusters (-sSL, -XPOST) split.
        var flags: [(flag: String, value: String?)] = []
        func value(for flag: String, attached: String?) throws -> String {
            if let attached, !attached.isEmpty { return attached }
            guard i < words.count else { throw Failure(message: "curl flag '\(flag)' needs a value") }
            defer { i += 1 }
            return words[i]
        }
        var endOfFlags = false
        while i < words.count {
            let w = words[i]
            i += 1
            if endOfFlags || !w.hasPrefix("-") || w == "-" {
                c.urls.append(w)
                continue
            }
            if w == "--" { endOfFlags = true; continue }
            if w.hasPrefix("--") {
                if valued[w] != nil { flags.append((w, try value(for: w, attached: nil))) }
                else if switches[w] != nil { flags.append((w, nil)) }
                else { throw Failure(message: "unknown curl flag '\(w)'") }
                continue
            }
            var rest = Substring(w.dropFirst())
            while let ch = rest.first {
                let flag = "-" + String(ch)
                rest = rest.dropFirst()
                if valued[flag] != nil {
                    flags.append((flag, try value(for: flag, attached: String(rest))))
                    break
                } else if switches[flag] != nil {
                    flags.append((flag, nil))
                } else {
                    throw Failure(message: "unknown curl flag '\(flag)'" + (w.count > 2 ? " (in '\(w)')" : ""))
                }
            }
        }

        for (flag, v) in flags {
            let name = valued[flag] ?? switches[flag]!
            let v = v ?? ""
            switch name {
            case "request": explicitMethod = v.uppercased()
            case "header":
                guard let colon = v.firstIndex(of: ":") else {
                    if v.hasSuffix(";") { c.headers.append((String(v.dropLast()), "")); continue }
                    throw Failure(message: "-H '\(v)': expected 'Name: value'")
                }
                let hname = v[..<colon].trimmingCharacters(in: .whitespaces)
                let hvalue = v[v.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if hvalue.isEmpty {
                    c.notes.append("header \(hname) without a value (curl removes it) left out")
                    continue
                }
                c.headers.append((hname, hvalue))
            case "data", "data-binary":
                if v.hasPrefix("@") {
                    guard data.isEmpty, dataFile == nil else {
                        throw Failure(message: "\(flag) '\(v)': a body file cannot be combined with other --data")
                    }
                    dataFile = String(v.dropFirst())
                    if name == "data" { c.notes.append("-d @FILE: curl strips the file's newlines; the profile sends the file as it is") }
                } else {
                    guard dataFile == nil else { throw Failure(message: "\(flag): a body file cannot be combined with other --data") }
                    data.append(v)
                }
            case "data-raw":
                guard dataFile == nil else { throw Failure(message: "\(flag): a body file cannot be combined with other --data") }
                data.append(v)
            case "data-urlencode":
                guard dataFile == nil else { throw Failure(message: "\(flag): a body file cannot be combined with other --data") }
                data.append(try urlencoded(v))
            case "form": form.append(try formPart(v))
            case "cookie":
                guard v.contains("=") else {
                    throw Failure(message: "-b '\(v)': a cookie file is not read; give the cookies as 'name=value; …'")
                }
                c.headers.append(("Cookie", v))
            case "user":
                guard let colon = v.firstIndex(of: ":") else {
                    throw Failure(message: "-u '\(v)': give user:password (curl would ask for the password)")
                }
                c.basicUser = String(v[..<colon])
                let pair = String(v[..<colon]) + ":" + String(v[v.index(after: colon)...])
                c.headers.append(("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
            case "url": c.urls.append(v)
            case "user-agent": c.headers.append(("User-Agent", v))
            case "referer": c.headers.append(("Referer", v.hasSuffix(";auto") ? String(v.dropLast(5)) : v))
            case "get": get = true
            case "compressed": c.compressed = true
            case "insecure": c.insecure = true
            case "head": head = true
            case "location": c.followRedirects = true
            case "http2": c.httpVersion = "2"; c.priorKnowledge = false
            case "http2-prior-knowledge": c.httpVersion = "2"; c.priorKnowledge = true
            case "http3", "http3-only": c.httpVersion = "3"; c.priorKnowledge = false; http3Only = name == "http3-only"
            case "http1.1": c.httpVersion = "1.1"; c.priorKnowledge = false
            default: if !ignored.contains(flag) { ignored.append(flag) }
            }
        }
        guard !c.urls.isEmpty else { throw Failure(message: "the curl command has no URL") }
        c.urls = c.urls.map { url in
            if url.contains("://") { return url }
            c.notes.append("'\(url)' has no scheme: http:// assumed, as curl does")
            return "http://" + url
        }
        if c.httpVersion == "3", http3Only, let plain = c.urls.first(where: { !$0.lowercased().hasPrefix("https://") }) {
            throw Failure(message: "--http3-only with '\(plain)': HTTP/3 needs https:// URLs (curl refuses it too)")
        }
        if c.httpVersion == "3", !c.urls.contains(where: { $0.lowercased().hasPrefix("https://") }) {
            c.httpVersion = nil
            c.notes.append("--http3 on http:// left out: HTTP/3 needs https://, and curl speaks HTTP/1.1 there")
        }
        if c.httpVersion == "2", !c.priorKnowledge, c.urls.contains(where: { !$0.lowercased().hasPrefix("https://") }) {
            // curl's --http2 on http:// only offers an upgrade (`Upgrade: h2c`) and falls back to HTTP/1.1; Barrage's
            // --http 2 there would send HTTP/2 with prior knowledge, which an HTTP/1.1-only server refuses. `run --curl`
            // ignores it on http:// the same way; --http2-prior-knowledge is the flag that means h2c.
            c.httpVersion = nil
            c.notes.append("--http2 on http:// left at HTTP/1.1: curl only offers an upgrade there and falls back to HTTP/1.1 (--http2-prior-knowledge would mean h2c, --http 2)")
        }
        if !ignored.isEmpty { c.notes.append("ignored (output only): \(ignored.joined(separator: " "))") }
        if !form.isEmpty && (!data.isEmpty || dataFile != nil) {
            throw Failure(message: "-F and --data: give one kind of body (curl refuses both too)")
        }

        if get {
            if dataFile != nil { throw Failure(message: "-G with a body file: the data must be text for the query string") }
            if !data.isEmpty {
                let query = data.joined(separator: "&")
                c.urls = c.urls.map { $0 + ($0.contains("?") ? "&" : "?") + query }
            }
        } else if let dataFile {
            c.body = .file(dataFile)
        } else if !data.isEmpty {
            c.body = .text(data.joined(separator: "&"))
        } else if !form.isEmpty {
            c.body = .multipart(form)
        }
        if case .text = c.body, !c.hasHeader("Content-Type") {
            c.headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            c.notes.append("Content-Type: application/x-www-form-urlencoded added, as curl sends with --data")
        }
        if case .file = c.body, !c.hasHeader("Content-Type") {
            c.headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            c.notes.append("Content-Type: application/x-www-form-urlencoded added, as curl sends with --data")
        }
        c.method = explicitMethod ?? (head ? "HEAD" : get ? "GET" : c.body == .none ? "GET" : "POST")
        return c
    }

    public func hasHeader(_ name: String) -> Bool {
        headers.contains { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// `--data-urlencode` forms: `content`, `=content`, `name=content` (content percent-encoded); files are refused.
    static func urlencoded(_ v: String) throws -> String {
        if let eq = v.firstIndex(of: "=") {
            let name = String(v[..<eq])
            if name.contains("@") { throw Failure(message: "--data-urlencode '\(v)': a file is not read; give the content") }
            let content = percentEncoded(String(v[v.index(after: eq)...]))
            return name.isEmpty ? content : name + "=" + content
        }
        if v.contains("@") { throw Failure(message: "--data-urlencode '\(v)': a file is not read; give the content") }
        return percentEncoded(v)
    }

    /// Percent-encoding as curl's `--data-urlencode` does: letters, digits and `-._~` kept, everything else `%HH`.
    static func percentEncoded(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || [0x2D, 0x2E, 0x5F, 0x7E].contains(b) {
                out.append(Character(Unicode.Scalar(b)))
            } else {
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// `-F name=value`, `-F name=@path;type=T;filename=F`; `name=<file` (a field read from a file) is refused.
    static func formPart(_ v: String) throws -> FormPart {
        guard let eq = v.firstIndex(of: "="), eq != v.startIndex else { throw Failure(message: "-F '\(v)': expected name=value or name=@file") }
        let name = String(v[..<eq])
        let content = String(v[v.index(after: eq)...])
        if content.hasPrefix("<") { throw Failure(message: "-F '\(v)': a field read from a file (<) is not supported; give the value") }
        guard content.hasPrefix("@") else { return FormPart(name: name, value: content) }
        var part = FormPart(name: name)
        let pieces = content.dropFirst().split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        part.filePath = pieces[0]
        for p in pieces.dropFirst() {
            if p.hasPrefix("type=") { part.contentType = String(p.dropFirst(5)) }
            else if p.hasPrefix("filename=") { part.fileName = String(p.dropFirst(9)) }
            else { throw Failure(message: "-F '\(v)': unknown part option '\(p)' (type= and filename= are understood)") }
        }
        guard !(part.filePath ?? "").isEmpty else { throw Failure(message: "-F '\(v)': no file after @") }
        return part
    }
}
