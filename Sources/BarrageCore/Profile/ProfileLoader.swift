import Foundation
import Yams

/// Reads a load profile (YAML, or JSON since YAML parses it) into a validated `Profile`.
///
/// Every scalar is `${VAR}`-interpolated before it is interpreted, from the CLI's `-e NAME=VALUE` variables first and
/// then the environment; `$${` writes a literal `${`. Unknown keys are errors, so that a typo (`wieght`) never silently
/// falls back to a default. Every failure is one line, `FILE:LINE: FIELD.PATH: message`, thrown as
/// `BarrageError.usage`: `checkout.yaml:14: load.stages[1].rate: expected a number`.
public enum ProfileLoader {
    /// Reads, interpolates and validates a profile file. `variables` are the CLI's -e NAME=VALUE (they win over
    /// `environment`). `body_file`s are read relative to the directory of `path`.
    public static func load(path: String, variables: [String: String], environment: [String: String]) throws -> Profile {
        let text: String
        switch readFile(path) {
        case .failure(let reason):
            throw BarrageError.usage("\(path): cannot read the profile (\(reason))")
        case .success(let bytes):
            guard let decoded = String(bytes: bytes, encoding: .utf8) else {
                throw BarrageError.usage("\(path): cannot read the profile (not UTF-8 text)")
            }
            text = decoded
        }
        return try parse(text: text, path: path, variables: variables, environment: environment)
    }

    /// Interpolates and validates profile text. `path` names the file in messages and is the base of relative
    /// `body_file`s (its directory; the current directory when it has none).
    public static func parse(text: String, path: String, variables: [String: String], environment: [String: String]) throws -> Profile {
        let reader = ProfileReader(file: path, lookup: { variables[$0] ?? environment[$0] },
                                   variableNames: variables.keys.sorted() + environment.keys.sorted().filter { variables[$0] == nil })
        return try reader.profile(from: text)
    }

    /// The values of the `${VAR}`s in `text` that must be redacted everywhere: those whose name contains TOKEN,
    /// SECRET, PASSWORD, KEY or AUTH (case-insensitive). Set, non-empty values only, each once, in order of first use.
    /// `$${VAR}` (an escaped, literal `${VAR}`) is not a use.
    public static func secretValues(in text: String, variables: [String: String], environment: [String: String]) -> [String] {
        var values: [String] = []
        for name in Interpolation.references(in: text) where isSecretName(name) {
            guard let value = variables[name] ?? environment[name], !value.isEmpty, !values.contains(value) else { continue }
            values.append(value)
        }
        return values
    }

    /// Words that make a variable's value a secret.
    static let secretWords = ["TOKEN", "SECRET", "PASSWORD", "KEY", "AUTH"]

    static func isSecretName(_ name: String) -> Bool {
        let upper = name.uppercased()
        return secretWords.contains { upper.contains($0) }
    }

    /// The whole file, or the C library's reason (`No such file or directory`, `Is a directory`).
    static func readFile(_ path: String) -> Result<[UInt8], ReadFailure> {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return .failure(ReadFailure(errno: errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(ReadFailure(errno: errno))
            }
            if n == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    struct ReadFailure: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { String(cString: strerror(errno)) }
    }
}

// MARK: - Interpolation

/// `${NAME}` substitution. NAME is `[A-Za-z_][A-Za-z0-9_]*`; `$${` is a literal `${`; any other `$` is kept as is.
enum Interpolation {
    enum Failure: Error, Equatable {
        case unset(String)
        case badName(String)
        case unterminated
    }

    static func interpolate(_ text: String, lookup: (String) -> String?) -> Result<String, Failure> {
        guard text.contains("$") else { return .success(text) }
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "$", i + 2 < scalars.count, scalars[i + 1] == "$", scalars[i + 2] == "{" {
                out.append("$"); out.append("{")
                i += 3
            } else if c == "$", i + 1 < scalars.count, scalars[i + 1] == "{" {
                guard let close = scalars[(i + 2)...].firstIndex(of: "}") else { return .failure(.unterminated) }
                var name = String(String.UnicodeScalarView(scalars[(i + 2)..<close]))
                // `${NAME:-value}`: the default when NAME is not set.
                var fallback: String? = nil
                if let sep = name.range(of: ":-") {
                    fallback = String(name[sep.upperBound...])
                    name = String(name[..<sep.lowerBound])
                }
                guard isName(name) else { return .failure(.badName(name)) }
                guard let value = lookup(name) ?? fallback else { return .failure(.unset(name)) }
                out.append(contentsOf: value.unicodeScalars)
                i = close + 1
            } else {
                out.append(c)
                i += 1
            }
        }
        return .success(String(out))
    }

    /// The names referenced by well-formed `${NAME}`s (spaces inside the braces ignored, as flow templates allow), in
    /// order, with repeats; escaped `$${` is skipped.
    static func references(in text: String) -> [String] {
        var names: [String] = []
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            if scalars[i] == "$", i + 2 < scalars.count, scalars[i + 1] == "$", scalars[i + 2] == "{" {
                i += 3
            } else if scalars[i] == "$", i + 1 < scalars.count, scalars[i + 1] == "{",
                      let close = scalars[(i + 2)...].firstIndex(of: "}") {
                var name = String(String.UnicodeScalarView(scalars[(i + 2)..<close])).trimmingSpaces  // flows allow ${ NAME }
                if let sep = name.range(of: ":-") { name = String(name[..<sep.lowerBound]).trimmingSpaces }  // ${NAME:-value}
                if isName(name) { names.append(name) }
                i = close + 1
            } else {
                i += 1
            }
        }
        return names
    }

    static func isName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first == "_" || first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }
}

// MARK: - Reader

/// One profile being read: knows the file name for messages and where variables come from.
/// (Scenarios and flows are read in `ProfileLoader+Scenarios.swift`.)
struct ProfileReader {
    let file: String
    let lookup: (String) -> String?
    /// The names `lookup` knows (-e first, then the environment): did-you-mean candidates for flow templates.
    var variableNames: [String] = []

    static let topFields = ["name", "seed", "defaults", "data", "setup", "scenarios", "targets", "load", "websocket", "thresholds"]
    static let defaultsFields = ["timeout", "connect_timeout", "headers"]
    static let targetFields = ["name", "url", "method", "headers", "body", "body_file", "weight", "expect", "timeout"]
    static let expectFields = ["status", "body_contains"]
    static let openOnlyLoadFields = ["start_rate", "max_in_flight", "max_lateness", "arrival"]
    static let closedOnlyLoadFields = ["start_concurrency", "think_time", "requests"]
    static let loadFields = ["model", "warmup", "stages"] + openOnlyLoadFields + closedOnlyLoadFields
    static let stageFields = ["duration", "rate", "concurrency"]
    static let thresholdFields = ["expr", "abort_on_fail", "delay_abort_eval"]

    // MARK: Errors

    func fail(_ line: Int, _ path: String, _ message: String) -> BarrageError {
        let field = path.isEmpty ? "" : Threshold.oneLine(path) + ": "
        return .usage("\(file):\(line): \(field)\(message)")
    }

    func fail(_ node: Node, _ path: String, _ message: String) -> BarrageError {
        fail(line(node), path, message)
    }

    func line(_ node: Node) -> Int { node.mark?.line ?? 1 }

    // MARK: Document

    func profile(from text: String) throws -> Profile {
        // Editors on Windows may start the file with a byte-order mark, which the YAML parser rejects.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw fail(1, "", "the profile is empty") }
            root = node
        } catch let error as YamlError {
            throw syntaxError(error, text: text)
        }
        guard root.mapping != nil else {
            throw fail(root, "", "expected a mapping with targets and load at the top of the profile")
        }
        let top = try fields(root, path: "", line: line(root), allowed: Self.topFields)
        if top.entry("scenarios") != nil { return try scenarioProfile(top) }
        if let data = top.entry("data") {
            throw fail(data.key, "data", "data sets are read by scenarios' flows: add scenarios: (or remove data:)")
        }
        if let setup = top.entry("setup") {
            throw fail(setup.key, "setup", "the run's setup is for profiles with scenarios: (their steps read what it captures)")
        }

        let name = try top.value("name").map { try nonEmptyString($0, "name") } ?? defaultName()
        let seed = try top.value("seed").map { try seedValue($0, "seed") }
        let defaults = try top.value("defaults").map { try readDefaults($0, "defaults", keyLine: top.keyLine("defaults")) }
            ?? Profile.Defaults()
        guard let targetsNode = top.value("targets") else { throw fail(top.keyLine("targets"), "targets", "is required") }
        let targets = try readTargets(targetsNode, "targets")
        guard let loadNode = top.value("load") else { throw fail(top.keyLine("load"), "load", "is required") }
        let load = try readLoad(loadNode, "load", keyLine: top.keyLine("load"))
        let webSocket = try readWebSocketProfile(top, targets: targets, load: load)
        let thresholds = try top.value("thresholds").map { try readThresholds($0, "thresholds", targets: targets) } ?? []
        var profile = Profile(name: name, seed: seed, defaults: defaults, targets: targets, load: load,
                              thresholds: thresholds, path: file)
        profile.webSocket = webSocket
        return profile
    }

    /// The file's name without directory and extension (`profiles/checkout.yaml` → `checkout`), for a profile with no
    /// `name:`.
    func defaultName() -> String {
        var base = file.split(separator: "/").last.map(String.init) ?? ""
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = String(base[..<dot]) }
        return base.isEmpty ? "profile" : base
    }

    func syntaxError(_ error: YamlError, text: String) -> BarrageError {
        func describe(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return problem }
            return "\(problem) (\(context.text) at line \(context.mark.line))"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return fail(mark.line, "", "YAML syntax error: " + Threshold.oneLine(describe(problem, context)))
        case .reader(let problem, let offset, _, _):
            var line = 1
            if let offset {
                line += text.prefix(offset).reduce(0) { $1 == "\n" || $1 == "\r\n" ? $0 + 1 : $0 }
            }
            return fail(line, "", "YAML syntax error: " + Threshold.oneLine(problem))
        case .duplicatedKeysInMapping(let duplicates, let context):
            var seen: [String] = []
            for key in duplicates where !seen.contains(key) { seen.append(key) }
            let keys = seen.map { "'\(Threshold.oneLine($0))'" }.joined(separator: ", ")
            return fail(context.mark.line, "", "duplicate key \(keys) in a mapping")
        default:
            return fail(1, "", "YAML error: " + Threshold.oneLine("\(error)"))
        }
    }

    // MARK: Defaults and targets

    func readDefaults(_ node: Node, _ path: String, keyLine: Int) throws -> Profile.Defaults {
        let map = try fields(node, path: path, line: keyLine, allowed: Self.defaultsFields)
        var defaults = Profile.Defaults()
        defaults.timeoutMicros = try map.value("timeout").map { try positiveDuration($0, map.path("timeout")) }
        defaults.connectTimeoutMicros = try map.value("connect_timeout").map { try positiveDuration($0, map.path("connect_timeout")) }
        defaults.headers = try map.value("headers").map { try readHeaders($0, map.path("headers")) } ?? []
        return defaults
    }

    func readTargets(_ node: Node, _ path: String) throws -> [Profile.Target] {
        guard let list = node.sequence else { throw fail(node, path, "expected a list of targets") }
        guard !list.isEmpty else { throw fail(node, path, "needs at least one target") }
        var targets: [Profile.Target] = []
        var nameLines: [Int] = []
        for (i, item) in list.enumerated() {
            let itemPath = "\(path)[\(i)]"
            var (target, nameLine) = try readTarget(item, itemPath)
            if target.name.isEmpty { target.name = list.count == 1 ? "default" : "target\(i + 1)" }
            if let earlier = targets.firstIndex(where: { $0.name == target.name }) {
                throw fail(nameLine, itemPath + ".name",
                           "duplicate target name '\(Threshold.oneLine(target.name))' (also \(path)[\(earlier)] on line \(nameLines[earlier]))")
            }
            targets.append(target)
            nameLines.append(nameLine)
        }
        return targets
    }

    /// One target, with an empty name when none is given, and the line of its name (else of the target).
    func readTarget(_ node: Node, _ path: String) throws -> (Profile.Target, nameLine: Int) {
        let map = try fields(node, path: path, line: line(node), allowed: Self.targetFields)
        let name = try map.value("name").map { try nonEmptyString($0, map.path("name")) } ?? ""
        let nameLine = map.value("name").map(line) ?? line(node)
        guard let urlNode = map.value("url") else { throw fail(map.keyLine("url"), map.path("url"), "is required") }
        let url = try string(urlNode, map.path("url"))
        // A WebSocket URL's form is an HTTP URL's: ws:// as http://, wss:// as https:// (the rest in +WebSocket).
        let checked = Self.isWebSocketURL(url) ? "http" + url.dropFirst(2) : url
        if let problem = HTTPURL.problem(checked) {
            throw fail(urlNode, map.path("url"), "'\(Threshold.oneLine(Redaction.url(url)))': \(problem)")
        }
        var target = Profile.Target(name: name, url: url)
        if let methodNode = map.value("method") {
            let method = try string(methodNode, map.path("method"))
            guard !method.isEmpty, method.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isAlphabetic }) else {
                throw fail(methodNode, map.path("method"), "'\(Threshold.oneLine(method))' is not an HTTP method (letters only, e.g. GET or POST)")
            }
            target.method = method.uppercased()
        }
        target.headers = try map.value("headers").map { try readHeaders($0, map.path("headers")) } ?? []
        if let bodyNode = map.value("body"), let fileNode = map.value("body_file") {
            // Point at whichever of the two comes second.
            let fileIsLater = line(fileNode) >= line(bodyNode)
            throw fail(fileIsLater ? fileNode : bodyNode, map.path(fileIsLater ? "body_file" : "body"),
                       "body and body_file cannot both be given")
        }
        if let bodyNode = map.value("body") {
            target.body = Array(try string(bodyNode, map.path("body")).utf8)
        }
        if let fileNode = map.value("body_file") {
            let relative = try nonEmptyString(fileNode, map.path("body_file"))
            let resolved = resolve(relative)
            switch ProfileLoader.readFile(resolved) {
            case .success(let bytes): target.body = bytes
            case .failure(let reason):
                throw fail(fileNode, map.path("body_file"), "cannot read \(Threshold.oneLine(resolved)) (\(reason))")
            }
        }
        if let weightNode = map.value("weight") {
            let weight = try number(weightNode, map.path("weight"))
            guard weight > 0 else { throw fail(weightNode, map.path("weight"), "must be greater than 0") }
            target.weight = weight
        }
        target.expect = try map.value("expect").map { try readExpect($0, map.path("expect"), keyLine: map.keyLine("expect")) }
        target.timeoutMicros = try map.value("timeout").map { try positiveDuration($0, map.path("timeout")) }
        return (target, nameLine)
    }

    func readExpect(_ node: Node, _ path: String, keyLine: Int) throws -> Profile.Expect {
        let map = try fields(node, path: path, line: keyLine, allowed: Self.expectFields)
        var expect = Profile.Expect()
        if let statusNode = map.value("status") {
            let statusPath = map.path("status")
            if let list = statusNode.sequence {
                guard !list.isEmpty else { throw fail(statusNode, statusPath, "expected at least one status code") }
                expect.statuses = try list.enumerated().map { try status($1, "\(statusPath)[\($0)]") }
            } else {
                expect.statuses = [try status(statusNode, statusPath)]
            }
        }
        expect.bodyContains = try map.value("body_contains").map { try string($0, map.path("body_contains")) }
        return expect
    }

    func status(_ node: Node, _ path: String) throws -> Int {
        let code = try integer(node, path)
        guard (100...599).contains(code) else { throw fail(node, path, "\(code) is not an HTTP status (100-599)") }
        return code
    }

    /// A map of header name → value, as `Name: value` lines in file order.
    func readHeaders(_ node: Node, _ path: String) throws -> [String] {
        guard let mapping = node.mapping else { throw fail(node, path, "expected a mapping of header name to value") }
        var lines: [String] = []
        var names: [String] = []
        for (keyNode, valueNode) in mapping {
            let name = try string(keyNode, path)
            let headerPath = path + "." + name
            guard !name.isEmpty, name.unicodeScalars.allSatisfy(Self.isTokenChar) else {
                throw fail(keyNode, headerPath, "'\(Threshold.oneLine(name))' is not a valid header name")
            }
            if names.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) {
                throw fail(keyNode, headerPath, "header '\(name)' is given twice (names are case-insensitive)")
            }
            let value = try string(valueNode, headerPath)
            guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw fail(valueNode, headerPath, "a header value cannot contain CR, LF or NUL")
            }
            names.append(name)
            lines.append("\(name): \(value)")
        }
        return lines
    }

    // MARK: Load

    func readLoad(_ node: Node, _ path: String, keyLine: Int) throws -> Profile.Load {
        let map = try fields(node, path: path, line: keyLine, allowed: Self.loadFields)
        guard let modelNode = map.value("model") else {
            throw fail(map.line, map.path("model"), "is required (open or closed)")
        }
        let modelText = try string(modelNode, map.path("model"))
        guard let model = Profile.Load.Model(rawValue: modelText) else {
            throw fail(modelNode, map.path("model"), "expected open or closed, not '\(Threshold.oneLine(modelText))'")
        }
        let wrongFields = model == .open ? Self.closedOnlyLoadFields : Self.openOnlyLoadFields
        for entry in map.entries where wrongFields.contains(entry.name) {
            let other = model == .open ? "closed" : "open"
            throw fail(entry.key, map.path(entry.name), "only for the \(other) model, but load.model is \(model.rawValue)")
        }

        guard let stagesNode = map.value("stages") else { throw fail(map.keyLine("stages"), map.path("stages"), "is required") }
        let stages = try readStages(stagesNode, map.path("stages"), model: model)
        var load = Profile.Load(model: model, stages: stages)
        if let n = map.value("start_rate") { load.startRate = try nonNegativeNumber(n, map.path("start_rate")) }
        if let n = map.value("start_concurrency") { load.startConcurrency = try nonNegativeInteger(n, map.path("start_concurrency")) }
        if let n = map.value("max_in_flight") {
            let value = try integer(n, map.path("max_in_flight"))
            guard value >= 1 else { throw fail(n, map.path("max_in_flight"), "must be at least 1") }
            load.maxInFlight = value
        }
        load.maxLatenessMicros = try map.value("max_lateness").map { try positiveDuration($0, map.path("max_lateness")) }
        if let n = map.value("arrival") {
            let arrival = try string(n, map.path("arrival"))
            guard arrival == "uniform" || arrival == "poisson" else {
                throw fail(n, map.path("arrival"), "expected uniform or poisson, not '\(Threshold.oneLine(arrival))'")
            }
            load.arrival = arrival
        }
        if let n = map.value("warmup") { load.warmupMicros = try duration(n, map.path("warmup")) }
        if let n = map.value("think_time") { load.thinkTimeMicros = try duration(n, map.path("think_time")) }
        if let n = map.value("requests") {
            let value = try integer(n, map.path("requests"))
            guard value >= 1 else { throw fail(n, map.path("requests"), "must be at least 1") }
            load.requests = value
        }
        return load
    }

    func readStages(_ node: Node, _ path: String, model: Profile.Load.Model) throws -> [Profile.LoadStage] {
        guard let list = node.sequence else { throw fail(node, path, "expected a list of stages") }
        guard !list.isEmpty else { throw fail(node, path, "needs at least one stage") }
        return try list.enumerated().map { i, item in
            let map = try fields(item, path: "\(path)[\(i)]", line: line(item), allowed: Self.stageFields)
            let (wanted, unwanted) = model == .open ? ("rate", "concurrency") : ("concurrency", "rate")
            if let extra = map.entry(unwanted) {
                throw fail(extra.key, map.path(unwanted),
                           "only for the \(model == .open ? "closed" : "open") model, but load.model is \(model.rawValue) (use \(wanted))")
            }
            guard let durationNode = map.value("duration") else {
                throw fail(map.keyLine("duration"), map.path("duration"), "is required")
            }
            let micros = try positiveDuration(durationNode, map.path("duration"))
            guard let valueNode = map.value(wanted) else {
                throw fail(map.keyLine(wanted), map.path(wanted), "is required for the \(model.rawValue) model")
            }
            if model == .open {
                return Profile.LoadStage(durationMicros: micros, rate: try nonNegativeNumber(valueNode, map.path("rate")))
            }
            return Profile.LoadStage(durationMicros: micros, concurrency: try nonNegativeInteger(valueNode, map.path("concurrency")))
        }
    }

    // MARK: Thresholds

    func readThresholds(_ node: Node, _ path: String, targets: [Profile.Target]) throws -> [Profile.ThresholdSpec] {
        guard let list = node.sequence else {
            throw fail(node, path, "expected a list of expressions or { expr, abort_on_fail, delay_abort_eval }")
        }
        return try list.enumerated().map { i, item in
            let itemPath = "\(path)[\(i)]"
            var spec: Profile.ThresholdSpec
            let exprNode: Node
            if item.mapping != nil {
                let map = try fields(item, path: itemPath, line: line(item), allowed: Self.thresholdFields)
                guard let e = map.value("expr") else { throw fail(map.keyLine("expr"), map.path("expr"), "is required") }
                exprNode = e
                spec = Profile.ThresholdSpec(expr: try string(e, map.path("expr")), line: line(item))
                if let n = map.value("abort_on_fail") { spec.abortOnFail = try bool(n, map.path("abort_on_fail")) }
                if let n = map.value("delay_abort_eval") { spec.delayAbortEvalMicros = try duration(n, map.path("delay_abort_eval")) }
            } else {
                exprNode = item
                spec = Profile.ThresholdSpec(expr: try string(item, itemPath), line: line(item))
            }
            let threshold: Threshold
            do {
                threshold = try Threshold.parse(spec.expr)
            } catch let error as BarrageError {
                throw fail(exprNode, itemPath, error.message)
            }
            if case .target(let name) = threshold.scope, !targets.contains(where: { $0.name == name }) {
                let names = targets.map(\.name).joined(separator: ", ")
                throw fail(exprNode, itemPath,
                           "threshold '\(Threshold.oneLine(spec.expr))': no target named '\(Threshold.oneLine(name))' (targets: \(names))")
            }
            return spec
        }
    }

    // MARK: Mappings

    /// A mapping's fields by name, after checking that every key is one of `allowed`.
    struct Fields {
        /// Where the mapping is (`targets[0]`, `load`; empty for the top level).
        let base: String
        /// The line for "is required" messages: the line of the key that holds the mapping, else the mapping's own.
        let line: Int
        let entries: [(name: String, key: Node, value: Node)]

        func path(_ name: String) -> String { base.isEmpty ? name : base + "." + name }

        func entry(_ name: String) -> (name: String, key: Node, value: Node)? { entries.first { $0.name == name } }

        /// The value, or nil when absent or written as null (`key:` with nothing after it, `~`, `null`).
        func value(_ name: String) -> Node? {
            guard let value = entry(name)?.value, !ProfileReader.isNull(value) else { return nil }
            return value
        }

        /// The line of a present-but-null key, else the mapping's line.
        func keyLine(_ name: String) -> Int { entry(name)?.key.mark?.line ?? line }
    }

    func fields(_ node: Node, path: String, line: Int, allowed: [String]) throws -> Fields {
        guard let mapping = node.mapping else {
            let what = path.isEmpty ? "the profile" : path
            throw fail(node, path, "expected a mapping (\(what) takes \(allowed.joined(separator: ", ")))")
        }
        var entries: [(name: String, key: Node, value: Node)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { throw fail(key, path, "expected a field name") }
            let fieldPath = path.isEmpty ? name : path + "." + name
            guard allowed.contains(name) else {
                var message = "unknown field '\(Threshold.oneLine(name))'"
                if let guess = Self.closest(name, among: allowed) { message += " (did you mean '\(guess)'?)" }
                throw fail(key, fieldPath, message)
            }
            entries.append((name, key, value))
        }
        return Fields(base: path, line: line, entries: entries)
    }

    /// The allowed name closest to a misspelt one: within edit distance 2 (1 for names of up to 4 letters, so that
    /// `ramp` is not taken for `rate`); a transposition counts 1.
    static func closest(_ name: String, among allowed: [String]) -> String? {
        let lowered = Array(name.lowercased())
        let best = allowed.map { ($0, editDistance(lowered, Array($0))) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= (lowered.count <= 4 ? 1 : 2) else { return nil }
        return best.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }

    // MARK: Scalars

    static func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// A scalar's text after `${VAR}` interpolation; any non-null scalar is accepted (`name: 42` is the string "42").
    func string(_ node: Node, _ path: String) throws -> String {
        guard let scalar = node.scalar else { throw fail(node, path, "expected a string") }
        guard !Self.isNull(node) else { throw fail(node, path, "expected a string (write \"\" for an empty one)") }
        switch Interpolation.interpolate(scalar.string, lookup: lookup) {
        case .success(let text):
            return text
        case .failure(.unset(let name)):
            throw fail(node, path, "variable \(name) is not set (use -e \(name)=… or the environment)")
        case .failure(.badName(let name)):
            throw fail(node, path, "'${\(Threshold.oneLine(name))}' is not a variable name (letters, digits and _; write $${ for a literal ${)")
        case .failure(.unterminated):
            throw fail(node, path, "unterminated ${ (write $${ for a literal ${)")
        }
    }

    func nonEmptyString(_ node: Node, _ path: String) throws -> String {
        let text = try string(node, path)
        guard !text.isEmpty else { throw fail(node, path, "must not be empty") }
        return text
    }

    /// A plain decimal (`500`, `-1`, `0.25`): no exponent, `inf`, hex or underscores.
    static func decimal(_ text: String) -> Double? {
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let value = Double(digits), value.isFinite else { return nil }
        return negative ? -value : value
    }

    func number(_ node: Node, _ path: String) throws -> Double {
        guard node.scalar != nil, !Self.isNull(node) else { throw fail(node, path, "expected a number") }
        guard let value = Self.decimal(try string(node, path)) else { throw fail(node, path, "expected a number") }
        return value
    }

    func nonNegativeNumber(_ node: Node, _ path: String) throws -> Double {
        let value = try number(node, path)
        guard value >= 0 else { throw fail(node, path, "must not be negative") }
        return value
    }

    func integer(_ node: Node, _ path: String) throws -> Int {
        guard node.scalar != nil, !Self.isNull(node) else { throw fail(node, path, "expected a whole number") }
        let text = try string(node, path)
        guard let value = Int(text) else {
            throw fail(node, path, Self.decimal(text) == nil ? "expected a number" : "expected a whole number")
        }
        return value
    }

    func nonNegativeInteger(_ node: Node, _ path: String) throws -> Int {
        let value = try integer(node, path)
        guard value >= 0 else { throw fail(node, path, "must not be negative") }
        return value
    }

    func seedValue(_ node: Node, _ path: String) throws -> UInt64 {
        guard node.scalar != nil else { throw fail(node, path, "expected a non-negative whole number") }
        let text = try string(node, path)
        guard let value = UInt64(text) else { throw fail(node, path, "expected a non-negative whole number") }
        return value
    }

    func bool(_ node: Node, _ path: String) throws -> Bool {
        guard node.scalar != nil, !Self.isNull(node) else { throw fail(node, path, "expected true or false") }
        switch try string(node, path) {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw fail(node, path, "expected true or false")
        }
    }

    /// A duration with a unit (`5s`, `250ms`, `1m30s`) in µs; a bare `0` is accepted.
    func duration(_ node: Node, _ path: String) throws -> Int64 {
        let example = "expected a duration with a unit, e.g. 5s or 250ms"
        guard node.scalar != nil, !Self.isNull(node) else { throw fail(node, path, example) }
        let text = try string(node, path)
        if let micros = DurationParser.micros(text) { return micros }
        if let value = Self.decimal(text) {
            if value == 0 { return 0 }
            if value > 0 { throw fail(node, path, "a duration needs a unit, e.g. \(text)s or \(text)ms") }
        }
        throw fail(node, path, example)
    }

    func positiveDuration(_ node: Node, _ path: String) throws -> Int64 {
        let micros = try duration(node, path)
        guard micros > 0 else { throw fail(node, path, "must be greater than 0") }
        return micros
    }

    // MARK: Values

    /// `body_file` relative to the profile's directory; absolute paths as they are.
    func resolve(_ relative: String) -> String {
        guard !relative.hasPrefix("/"), let slash = file.lastIndex(of: "/") else { return relative }
        return String(file[...slash]) + relative
    }

    /// RFC 9110 `tchar`.
    static func isTokenChar(_ c: Unicode.Scalar) -> Bool {
        guard c.isASCII else { return false }
        if ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) { return true }
        return "!#$%&'*+-.^_`|~".unicodeScalars.contains(c)
    }
}
