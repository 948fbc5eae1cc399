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

    /// The command's headers as `run --curl` sends them, `Name: value`: the dropped ones left out, and
    /// Accept-Encoding always (with --compressed, Barrage's own --compressed asks and decodes).
    public static func sentHeaders(_ c: CurlCommand) -> [String] {
        c.headers.filter { !ProfileWriter.isDropped($0.name, compressed: false) }.map { "\($0.name): \($0.value)" }
    }

    /// What `curl --compressed` asks for (libcurl with zlib, brotli and zstd).
    static let curlAcceptEncoding = "deflate, gzip, br, zstd"

    /// A step name from the URL's path (``ProfileWriter/stepName(_:)``).
    static func stepName(_ url: String) -> String { ProfileWriter.stepName(url) }

    public static func render(_ commands: [CurlCommand], baseURL: String? = nil) -> Output {
        typealias W = ProfileWriter
        var w = ProfileWriter(baseURL: baseURL)
        var runFlags: [String] = []
        var stepNames: [String] = []
        var steps: [String] = []

        for command in commands {
            for url in command.urls {
                let name = W.uniqueName(stepName(url), taken: stepNames)
                stepNames.append(name)
                var lines = ["      - name: \(name)"]
                if command.method != "GET" { lines.append("        method: \(command.method)") }
                lines.append("        url: \(W.quoted(w.url(url, step: name)))")

                // Headers: dropped ones left out, repeats joined, secrets replaced.
                var headers: [(name: String, value: String)] = []
                for (hname, hvalue) in command.headers {
                    if w.drops(hname, compressed: command.compressed) { continue }
                    if case .multipart = command.body, hname.lowercased() == "content-type" {
                        w.notes.append("step \(name): the recorded Content-Type left out; the multipart body sets its own")
                        continue
                    }
                    if let j = headers.firstIndex(where: { $0.name.lowercased() == hname.lowercased() }) {
                        headers[j].value += (hname.lowercased() == "cookie" ? "; " : ", ") + hvalue
                        w.notes.append("step \(name): header \(hname) given twice; the values joined")
                    } else {
                        headers.append((hname, hvalue))
                    }
                }
                if command.compressed && !headers.contains(where: { $0.name.lowercased() == "accept-encoding" }) {
                    headers.append(("Accept-Encoding", curlAcceptEncoding))
                    w.notes.append("--compressed: Accept-Encoding: \(curlAcceptEncoding) sent as curl does; the bodies are not decoded (the bytes received are counted as they arrive); run with --compressed to have them decoded")
                } else if command.compressed {
                    w.notes.append("--compressed: the recorded Accept-Encoding kept; the bodies are not decoded (run with --compressed to have them decoded)")
                }
                if !headers.isEmpty {
                    lines.append("        headers:")
                    for (hname, hvalue) in headers {
                        let value = w.headerValue(hname, hvalue, step: name, basicUser: command.basicUser)
                        lines.append("          \(W.quotedKey(hname)): \(W.quoted(value))")
                    }
                }

                switch command.body {
                case .none: break
                case .text(let text): lines.append("        body: \(W.quoted(W.literal(text)))")
                case .file(let path):
                    lines.append("        body_file: \(W.quoted(path))")
                    w.notes.append("step \(name): body_file \(path) is read relative to the profile (curl read it relative to where it ran)")
                case .multipart(let parts):
                    lines.append("        multipart:")
                    let fields = parts.filter { $0.filePath == nil }
                    let files = parts.filter { $0.filePath != nil }
                    if !fields.isEmpty {
                        lines.append("          fields:")
                        for f in fields { lines.append("            \(W.quoted(f.name)): \(W.quoted(W.literal(f.value ?? "")))") }
                    }
                    if !files.isEmpty {
                        lines.append("          files:")
                        for f in files {
                            var entry = "path: \(W.quoted(f.filePath ?? ""))"
                            if let t = f.contentType { entry += ", content_type: \(W.quoted(t))" }
                            entry += ", filename: \(W.quoted(f.fileName ?? (f.filePath ?? "").split(separator: "/").last.map(String.init) ?? ""))"
                            lines.append("            \(W.quoted(f.name)): { \(entry) }")
                        }
                        w.notes.append("step \(name): -F files are read relative to the profile; fields are sent before files")
                    }
                }
                steps.append(lines.joined(separator: "\n"))
            }
            for n in command.notes { w.notes.append("step \(stepNames.last ?? ""): \(n)") }
            if command.insecure && !runFlags.contains("--insecure") { runFlags.append("--insecure") }
            if command.followRedirects && !runFlags.contains("--follow-redirects 50") { runFlags.append("--follow-redirects 50") }
            if let v = command.httpVersion, !runFlags.contains("--http \(v)") { runFlags.append("--http \(v)") }
        }

        var out: [String] = []
        let count = stepNames.count
        out.append("# Imported from \(commands.count == 1 ? "a curl command" : "\(commands.count) curl commands") by `barrage import curl`: \(count) request\(count == 1 ? "" : "s"), sent in order, once.")
        let top = w.topComments(extra: runFlags.isEmpty ? [] : ["recorded with curl flags a profile does not hold: run it with \(runFlags.joined(separator: " "))"])
        out += top.lines
        out.append("name: recorded")
        out.append("scenarios:")
        out.append("  recorded:")
        out.append("    iterations: 1                     # one pass through the recording; raise it, or run with -n, -d, -c")
        out.append("    load: { model: closed, start_concurrency: 1, stages: [ { duration: 1m, concurrency: 1 } ] }   # 1 VU from the start")
        out.append("    flow:")
        out += steps
        return Output(text: out.joined(separator: "\n") + "\n", variables: top.variables)
    }
}
