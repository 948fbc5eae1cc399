import Foundation

/// Writes a HAR recording (``HarFile``) as a load profile: one scenario `recorded` whose flow sends the recorded
/// requests in `startedDateTime` order, once (closed model, 1 VU, `iterations: 1`), as readable YAML with comments
/// saying what was dropped, replaced, proposed or guessed.
///
/// - Static assets (images, fonts, CSS, JS: by response content type, Chromium's `_resourceType` and the path's
///   extension) are left out unless ``Options/includeAssets``; `CONNECT` entries and non-HTTP URLs always.
/// - Pages (`entry.pageref`) become `group`s; think steps come from the recorded gaps between one request's end and
///   the next one's start (or a fixed duration, or none).
/// - `Cookie` headers are dropped: the scenario keeps a cookie jar per VU (`cookies: per_vu`) that sends what the
///   responses set. Other headers are dropped and secrets replaced as ``CurlProfile`` does (``ProfileWriter``).
/// - Correlation: a value of at least ``minimumCorrelatedLength`` characters that an earlier JSON response held and
///   no earlier request sent, repeated in a later request's URL, header or body, becomes a capture on the earlier
///   step (`capture: { token: { json: "$.token" } }`) and `${token}` in the later one.
/// - Redirects: a 3xx entry and the request for its target are both kept, as recorded (the run does not follow
///   redirects unless `--follow-redirects` is given, so it sends what the browser sent).
public enum HarProfile {
    public enum Think: Sendable, Equatable {
        /// The recorded gaps (the default).
        case recorded
        case none
        /// The same pause between every two requests.
        case fixed(micros: Int64)
    }

    public struct Options: Sendable, Equatable {
        public var baseURL: String?
        public var includeAssets = false
        public var think: Think = .recorded
        /// Keep the recorded `Accept-Encoding`.
        public var compressed = false
        /// Named in the first comment line.
        public var source = "a HAR file"

        public init(baseURL: String? = nil, includeAssets: Bool = false, think: Think = .recorded, compressed: Bool = false,
                    source: String = "a HAR file") {
            self.baseURL = baseURL; self.includeAssets = includeAssets; self.think = think; self.compressed = compressed
            self.source = source
        }
    }

    public struct Output: Sendable, Equatable {
        /// The profile, YAML.
        public var text: String
        /// The `${NAME}`s to give with `-e`, in order of first use (`BASE_URL` first when used).
        public var variables: [String]
        /// Request steps written.
        public var requests: Int
        /// The captures proposed, `NAME` → `step ($.path)`, in order.
        public var captures: [String]
    }

    /// The shortest response value that a later request repeating it makes a capture.
    static let minimumCorrelatedLength = 8
    /// Gaps shorter than this are not written as think steps.
    static let minimumThinkMicros: Int64 = 1_000

    /// One request step on its way to the text.
    struct Step {
        var name: String
        var group: String?
        /// The step's fields after `- name:`, each a line relative to the step (`method: POST`).
        var lines: [String]
        var captures: [(name: String, path: String)] = []
        var startMicros: Int64
        var endMicros: Int64
    }

    /// A value an earlier response held: where to capture it.
    struct Source {
        var step: Int
        var path: String
    }

    public static func render(_ har: HarFile, options: Options = Options()) throws -> Output {
        typealias W = ProfileWriter
        var w = ProfileWriter(baseURL: options.baseURL)

        // The entries in startedDateTime order (the file's order among equal times).
        var timed: [(entry: HarFile.Entry, start: Int64, index: Int)] = []
        for (i, e) in har.log.entries.enumerated() {
            guard let start = HarTime.micros(e.startedDateTime) else {
                throw HarFile.Failure(message: "log.entries[\(i)].startedDateTime: '\(W.commentSafe(e.startedDateTime))' is not an ISO 8601 time")
            }
            timed.append((e, start, i))
        }
        timed.sort { ($0.start, $0.index) < ($1.start, $1.index) }

        var assets = 0
        var skipped = 0
        var kept: [(entry: HarFile.Entry, start: Int64)] = []
        for t in timed {
            let lower = t.entry.request.url.lowercased()
            if t.entry.request.method.uppercased() == "CONNECT" || !(lower.hasPrefix("http://") || lower.hasPrefix("https://")) {
                skipped += 1
                continue
            }
            if !options.includeAssets && isAsset(t.entry) { assets += 1; continue }
            kept.append((t.entry, t.start))
        }
        guard !kept.isEmpty else {
            let why = assets > 0 ? " (\(assets) static asset\(assets == 1 ? "" : "s") left out; --include-assets keeps them)" : ""
            throw HarFile.Failure(message: "no requests to import\(why)")
        }

        var steps: [Step] = []
        var sources: [String: Source] = [:]
        /// Everything requests sent so far: a response value found here came from the client, not the server.
        var sent: [String] = []
        /// Capture names by marker number, and where each capture was used.
        var markerNames: [String] = []
        var captureKeys: [String: Int] = [:]
        var captureUses: [[String]] = []
        var captureLines: [String] = []
        var droppedCookies = false
        var http2 = false
        let pageTitles = Dictionary((har.log.pages ?? []).map { ($0.id, $0.title ?? "") }, uniquingKeysWith: { a, _ in a })

        for (k, item) in kept.enumerated() {
            let entry = item.entry
            let request = entry.request
            let name = W.uniqueName(W.stepName(request.url), taken: steps.map(\.name))
            if let v = request.httpVersion?.lowercased(), v.hasPrefix("h2") || v.hasPrefix("http/2") || v.hasPrefix("h3") || v.hasPrefix("http/3") {
                http2 = true
            }

            // The request's texts as recorded: URL, headers kept, body.
            var url = request.url
            var headers: [(name: String, value: String)] = []
            for h in request.headers ?? [] {
                if h.name.lowercased() == "cookie" { droppedCookies = true; continue }
                if w.drops(h.name, compressed: options.compressed) { continue }
                let value = h.value ?? ""
                if let j = headers.firstIndex(where: { $0.name.lowercased() == h.name.lowercased() }) {
                    headers[j].value += ", " + value
                    w.notes.append("step \(name): header \(h.name) recorded twice; the values joined")
                } else {
                    headers.append((h.name, value))
                }
            }
            let post = request.postData
            let mime = (post?.mimeType ?? "").lowercased()
            let params = post?.params ?? []
            var bodyText = post?.text ?? ""
            var fields: [(name: String, value: String)] = []
            var files: [HarFile.Param] = []
            let multipart = mime.hasPrefix("multipart/form-data") && !params.isEmpty
            let form = !multipart && bodyText.isEmpty && !params.isEmpty
            if multipart || form {
                for p in params {
                    if p.fileName != nil && multipart { files.append(p) } else { fields.append((p.name, p.value ?? "")) }
                }
                bodyText = ""
            }
            let requestTexts = [request.url] + (request.headers ?? []).map { $0.value ?? "" } + [post?.text ?? ""] + params.map { $0.value ?? "" }

            // Correlation: values of earlier responses, longest first, become markers.
            var usedMarkers: [Int] = []
            for (value, source) in sources.sorted(by: { ($0.key.count, $0.key) > ($1.key.count, $1.key) }) {
                let inURL = url.contains(value)
                let inHeader = headers.first { $0.value.contains(value) }?.name
                let inBody = bodyText.contains(value) || fields.contains { $0.value.contains(value) }
                guard inURL || inHeader != nil || inBody else { continue }
                let key = "\(source.step) \(source.path)"
                let n: Int
                if let existing = captureKeys[key] {
                    n = existing
                } else {
                    n = markerNames.count
                    let captureName = W.uniqueName(captureName(source.path), taken: markerNames + reservedNames)
                    markerNames.append(captureName)
                    captureKeys[key] = n
                    captureUses.append([])
                    steps[source.step].captures.append((captureName, source.path))
                    captureLines.append("\(captureName) from step \(steps[source.step].name) (\(source.path))")
                }
                let marker = W.marker(n)
                url = url.replacingOccurrences(of: value, with: marker)
                for j in headers.indices { headers[j].value = headers[j].value.replacingOccurrences(of: value, with: marker) }
                bodyText = bodyText.replacingOccurrences(of: value, with: marker)
                for j in fields.indices { fields[j].value = fields[j].value.replacingOccurrences(of: value, with: marker) }
                var whereUsed: [String] = []
                if inURL { whereUsed.append("URL") }
                if let inHeader { whereUsed.append("header \(inHeader)") }
                if inBody { whereUsed.append("body") }
                captureUses[n].append("\(name) (\(whereUsed.joined(separator: ", ")))")
                usedMarkers.append(n)
            }
            func fill(_ text: String) -> String { W.filled(text, markerNames) }

            var lines: [String] = []
            let method = request.method.uppercased()
            if method != "GET" { lines.append("method: \(method)") }
            lines.append("url: \(W.quoted(fill(w.url(url, step: name))))")
            if multipart, let j = headers.firstIndex(where: { $0.name.lowercased() == "content-type" }) {
                headers.remove(at: j)
                w.notes.append("step \(name): the recorded Content-Type left out; the multipart body sets its own")
            }
            if !bodyText.isEmpty, !headers.contains(where: { $0.name.lowercased() == "content-type" }), let m = post?.mimeType, !m.isEmpty {
                headers.append(("Content-Type", m))
            }
            if !headers.isEmpty {
                lines.append("headers:")
                for (hname, hvalue) in headers {
                    lines.append("  \(W.quotedKey(hname)): \(W.quoted(fill(w.headerValue(hname, hvalue, step: name))))")
                }
            }
            if multipart {
                lines.append("multipart:")
                if !fields.isEmpty {
                    lines.append("  fields:")
                    for f in fields { lines.append("    \(W.quoted(f.name)): \(W.quoted(fill(W.literal(f.value))))") }
                }
                if !files.isEmpty {
                    lines.append("  files:")
                    for f in files {
                        let file = f.fileName ?? f.name
                        var entry = "path: \(W.quoted(file))"
                        if let t = f.contentType, !t.isEmpty { entry += ", content_type: \(W.quoted(t))" }
                        entry += ", filename: \(W.quoted(file))"
                        lines.append("    \(W.quoted(f.name)): { \(entry) }")
                        w.notes.append("step \(name): the recording does not hold the file \(file): put it beside the profile")
                    }
                }
            } else if form {
                let pairs = fields.map { "\(W.quoted($0.name)): \(W.quoted(fill(W.literal($0.value))))" }
                lines.append("form: { \(pairs.joined(separator: ", ")) }")
            } else if !bodyText.isEmpty {
                lines.append("body: \(W.quoted(fill(W.literal(bodyText))))")
            }
            if let status = entry.response?.status, (100..<600).contains(status), !(200..<400).contains(status) {
                lines.append("expect: { status: [\(status)] }   # as recorded")
            }
            if let status = entry.response?.status, (300..<400).contains(status), k + 1 < kept.count,
               let target = redirectTarget(entry), target == kept[k + 1].entry.request.url {
                let next = W.uniqueName(W.stepName(target), taken: steps.map(\.name) + [name])
                w.notes.append("step \(name) answered \(status) to the URL of the next step (\(next)): both kept as recorded; run without --follow-redirects, or drop \(next)")
            }

            let durationMicros = Int64(max(0, (entry.time ?? 0) * 1000).rounded())
            steps.append(Step(name: name, group: entry.pageref, lines: lines, startMicros: item.start,
                              endMicros: item.start + durationMicros))
            sent += requestTexts

            // This response's values, for later requests.
            if let content = entry.response?.content, let text = content.decodedText,
               (content.mimeType ?? "").lowercased().contains("json") || text.first == "{" || text.first == "[",
               let json = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
                var found: [(value: String, path: String)] = []
                scalars(json, path: "$", into: &found)
                for (value, path) in found where value.count >= minimumCorrelatedLength && sources[value] == nil {
                    guard !sent.contains(where: { $0.contains(value) }) else { continue }
                    sources[value] = Source(step: steps.count - 1, path: path)
                }
            }
        }

        // The flow: steps, think steps between them, pages as groups.
        var flow: [String] = []
        var groupNames: [String] = []
        var i = 0
        while i < steps.count {
            let group = steps[i].group
            var j = i
            while j + 1 < steps.count, group != nil, steps[j + 1].group == group { j += 1 }
            var body: [String] = []
            for s in i...j {
                body += stepText(steps[s])
                if s < j, let pause = think(steps[s], steps[s + 1], options.think) { body.append("- think: \(pause)") }
            }
            if let group {
                let gname = W.uniqueName(group, taken: groupNames)
                groupNames.append(gname)
                let title = pageTitles[group].map { $0.isEmpty ? "" : "   # \(W.commentSafe($0))" } ?? ""
                flow.append("      - group: \(W.quoted(gname))\(title)")
                flow.append("        steps:")
                flow += body.map { "          " + $0 }
            } else {
                flow += body.map { "      " + $0 }
            }
            if j + 1 < steps.count, let pause = think(steps[j], steps[j + 1], options.think) { flow.append("      - think: \(pause)") }
            i = j + 1
        }

        var extra: [String] = []
        if assets > 0 { extra.append("static assets left out: \(assets) (images, fonts, CSS, JS); --include-assets keeps them") }
        if skipped > 0 { extra.append("left out: \(skipped) CONNECT or non-HTTP entr\(skipped == 1 ? "y" : "ies")") }
        if droppedCookies {
            extra.append("Cookie headers dropped: the VU's cookie jar (cookies: per_vu) sends what the responses set; cookies the browser had before the recording are not sent")
        }
        switch options.think {
        case .recorded: extra.append("think steps: the recorded pauses between one request's end and the next one's start (import with --think none or --think DUR to change)")
        case .none: break
        case .fixed(let micros): extra.append("think steps: \(DurationParser.format(micros: micros)) between requests (--think)")
        }
        for (n, line) in captureLines.enumerated() {
            extra.append("capture proposed: \(line), used as ${\(markerNames[n])} in \(captureUses[n].joined(separator: ", "))")
        }
        if http2 { extra.append("recorded over HTTP/2 or later: run with --http 2 to do the same") }
        if options.compressed {
            extra.append("--compressed: the recorded Accept-Encoding kept; the bodies are not decoded (run with --compressed to have them decoded)")
        }

        let count = steps.count
        var out = ["# Imported from \(W.commentSafe(options.source)) by `barrage import har`: \(count) request\(count == 1 ? "" : "s") of \(har.log.entries.count) entr\(har.log.entries.count == 1 ? "y" : "ies"), sent in order, once."]
        let top = w.topComments(droppedWhy: "hop-by-hop, computed by libcurl, HTTP/2 pseudo-headers, or the browser's own", extra: extra)
        out += top.lines
        out.append("name: recorded")
        out.append("scenarios:")
        out.append("  recorded:")
        out.append("    cookies: per_vu                   # the VU's jar replaces the recorded Cookie headers")
        out.append("    iterations: 1                     # one pass through the recording; raise it, or run with -n, -d, -c")
        out.append("    load: { model: closed, start_concurrency: 1, stages: [ { duration: 1m, concurrency: 1 } ] }   # 1 VU from the start")
        out.append("    flow:")
        out += flow
        return Output(text: out.joined(separator: "\n") + "\n", variables: top.variables, requests: count,
                      captures: captureLines)
    }

    /// Names a capture may not take: built-ins and the import's own variable.
    static let reservedNames = ["vu", "iteration", "uuid", "now_ms", "random_int", "BASE_URL"]

    static func stepText(_ s: Step) -> [String] {
        var out = ["- name: \(s.name)"] + s.lines.map { "  " + $0 }
        if !s.captures.isEmpty {
            let list = s.captures.map { "\($0.name): { json: \(ProfileWriter.quoted($0.path)) }" }
            out.append("  capture: { \(list.joined(separator: ", ")) }")
        }
        return out
    }

    /// The pause written between two steps, or `nil` for none.
    static func think(_ a: Step, _ b: Step, _ think: Think) -> String? {
        switch think {
        case .none: return nil
        case .fixed(let micros): return micros > 0 ? durationText(micros) : nil
        case .recorded:
            let gap = b.startMicros - a.endMicros
            return gap >= minimumThinkMicros ? durationText(gap) : nil
        }
    }

    /// A duration the loader reads, to the millisecond (`250ms`, `1500ms`), or microseconds below one.
    static func durationText(_ micros: Int64) -> String {
        micros >= 1_000 ? "\((micros + 500) / 1_000)ms" : "\(micros)us"
    }

    /// A capture name from a JSON path: its last key (`$.data.token` → `token`, `$.items[0].id` → `id`).
    static func captureName(_ path: String) -> String {
        var last = Substring(path)
        if let r = path.range(of: "['", options: .backwards), path.hasSuffix("']") {
            last = path[r.upperBound..<path.index(path.endIndex, offsetBy: -2)]
        } else {
            let cut = path.lastIndex(where: { $0 == "." }) .map { path.index(after: $0) } ?? path.startIndex
            last = path[cut...]
            if let bracket = last.firstIndex(of: "[") { last = last[..<bracket] }
        }
        var name = String(last.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") ? Character($0) : "_" })
        if name.isEmpty || name == "$" { name = "value" }
        if name.first?.isNumber == true { name = "v_" + name }
        return name
    }

    /// A JSON document as far as correlation needs it: strings and integers, with the paths to them.
    enum JSONValue: Decodable {
        case object([String: JSONValue])
        case array([JSONValue])
        case scalar(String)
        case other

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .other }
            else if (try? c.decode(Bool.self)) != nil { self = .other }
            else if let i = try? c.decode(Int64.self) { self = .scalar(String(i)) }
            else if (try? c.decode(Double.self)) != nil { self = .other }
            else if let s = try? c.decode(String.self) { self = .scalar(s) }
            else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
            else { self = .object(try c.decode([String: JSONValue].self)) }
        }
    }

    /// The scalars of a JSON value with their paths (keys in sorted order, so the first path found is stable).
    static func scalars(_ json: JSONValue, path: String, into out: inout [(value: String, path: String)]) {
        guard out.count < 10_000 else { return }
        switch json {
        case .object(let object):
            for key in object.keys.sorted() {
                let isPlain = key.first.map { $0.isLetter || $0 == "_" } == true
                    && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                guard isPlain || !(key.contains("'") || key.contains("\\")) else { continue }
                scalars(object[key]!, path: isPlain ? "\(path).\(key)" : "\(path)['\(key)']", into: &out)
            }
        case .array(let array):
            for (i, v) in array.enumerated() { scalars(v, path: "\(path)[\(i)]", into: &out) }
        case .scalar(let s):
            out.append((s, path))
        case .other:
            break
        }
    }

    /// Where a 3xx entry pointed: `redirectURL` or the `Location` header, made absolute against the request's URL.
    static func redirectTarget(_ entry: HarFile.Entry) -> String? {
        let location = entry.response?.redirectURL.flatMap { $0.isEmpty ? nil : $0 }
            ?? entry.response?.headers?.first { $0.name.lowercased() == "location" }?.value
        guard let location, !location.isEmpty else { return nil }
        if location.contains("://") { return location }
        if location.hasPrefix("/") { return ProfileWriter.originOf(entry.request.url) + location }
        return nil
    }

    /// A static asset: an image, font, style sheet or script, by response type, Chromium's resource type or extension.
    static func isAsset(_ entry: HarFile.Entry) -> Bool {
        if let t = entry._resourceType?.lowercased(), ["image", "font", "stylesheet", "script", "media"].contains(t) { return true }
        let mime = (entry.response?.content?.mimeType ?? "").lowercased()
        if mime.hasPrefix("image/") || mime.hasPrefix("font/") || mime.hasPrefix("text/css") || mime.hasPrefix("video/") || mime.hasPrefix("audio/")
            || ["javascript", "ecmascript", "application/font", "application/x-font", "application/vnd.ms-fontobject"].contains(where: { mime.contains($0) }) {
            return true
        }
        var path = Substring(entry.request.url)
        if let scheme = path.range(of: "://") { path = path[scheme.upperBound...] }
        path = path.prefix { $0 != "?" && $0 != "#" }
        guard let slash = path.firstIndex(of: "/"), let dot = path[slash...].lastIndex(of: "."),
              !path[dot...].contains("/") else { return false }
        return assetExtensions.contains(path[path.index(after: dot)...].lowercased())
    }

    static let assetExtensions: Set<String> = ["png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif", "bmp", "tif", "tiff",
                                               "woff", "woff2", "ttf", "otf", "eot", "css", "js", "mjs", "map",
                                               "mp4", "webm", "mp3", "ogg", "wav"]
}
