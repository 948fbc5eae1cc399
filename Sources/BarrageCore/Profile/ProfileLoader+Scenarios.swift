import Foundation
import Yams

/// Reading `scenarios:` and `data:`: each scenario's flow becomes a `Flow` whose templates are bound to its variable
/// table (captures first, in step order, then the data columns it uses, in data set and column order). Every name a
/// template uses is checked here, before anything is sent.
extension ProfileReader {
    static let scenarioFields = ["cookies", "iterations", "start_after", "pacing", "graceful_stop", "defaults", "tags", "load",
                                 "setup", "flow"]
    static let requestStepFields = ["name", "method", "url", "headers", "body", "body_file", "json", "form", "expect",
                                    "capture", "continue_on_failure", "timeout", "repeat", "foreach", "multipart"]
    static let bodyFields = ["body", "body_file", "json", "form", "multipart"]
    static let flowExpectFields = ["status", "json", "body_contains"]
    static let captureFields = ["json", "pick", "list", "regex", "group", "header", "cookie", "status"]
    static let dataFields = ["file", "mode", "bind"]

    /// A profile with `scenarios:` (the top-level fields are checked already).
    func scenarioProfile(_ top: Fields) throws -> Profile {
        if let entry = top.entry("websocket") { throw fail(entry.key, "websocket", Self.noWebSocketInScenarios) }
        for other in ["targets", "load"] {
            if let entry = top.entry(other) {
                throw fail(entry.key, other, "cannot be used with scenarios: (each scenario has its own flow and load)")
            }
        }
        let name = try top.value("name").map { try nonEmptyString($0, "name") } ?? defaultName()
        let seed = try top.value("seed").map { try seedValue($0, "seed") }
        var defaults = Profile.Defaults()
        var defaultHeaders: [(node: Node, path: String)] = []
        if let node = top.value("defaults") {
            let map = try fields(node, path: "defaults", line: top.keyLine("defaults"), allowed: Self.defaultsFields)
            defaults.timeoutMicros = try map.value("timeout").map { try positiveDuration($0, map.path("timeout")) }
            defaults.connectTimeoutMicros = try map.value("connect_timeout").map { try positiveDuration($0, map.path("connect_timeout")) }
            if let headers = map.value("headers") { defaultHeaders.append((headers, "defaults.headers")) }
        }
        let dataSets = try top.value("data").map { try readDataSets($0, "data") } ?? []
        let runSetup = try top.value("setup").map {
            try readRunSetup($0, "setup", keyLine: top.keyLine("setup"), dataSets: dataSets, defaultHeaders: defaultHeaders)
        }

        guard let scenariosNode = top.value("scenarios") else {
            throw fail(top.keyLine("scenarios"), "scenarios", "expected a mapping of scenario name to { load, flow }")
        }
        guard let mapping = scenariosNode.mapping else {
            throw fail(scenariosNode, "scenarios", "expected a mapping of scenario name to { load, flow }")
        }
        guard !mapping.isEmpty else { throw fail(scenariosNode, "scenarios", "needs at least one scenario") }
        var scenarios: [Profile.Scenario] = []
        for (keyNode, valueNode) in mapping {
            let scenarioName = keyNode.scalar?.string ?? ""
            let path = "scenarios." + scenarioName
            guard Template.isValidName(scenarioName), !scenarioName.contains(".") else {
                throw fail(keyNode, path, "'\(Threshold.oneLine(scenarioName))' is not a scenario name (letters, digits, '_' and '-')")
            }
            scenarios.append(try readScenario(valueNode, name: scenarioName, path: path, keyLine: line(keyNode),
                                              dataSets: dataSets, defaultHeaders: defaultHeaders,
                                              runCaptures: runSetup?.variables ?? []))
        }

        let targets = Self.targets(of: scenarios)
        let thresholds = try top.value("thresholds").map { try readThresholds($0, "thresholds", targets: targets) } ?? []
        var profile = Profile(name: name, seed: seed, defaults: defaults, targets: targets, load: scenarios[0].load,
                              thresholds: thresholds, path: file, scenarios: scenarios)
        profile.setup = runSetup
        return profile
    }

    /// One target per request step, named by the step (`SCENARIO/STEP` when several scenarios have a step of that
    /// name), so that code reading a profile's targets (the plan, `target:` thresholds) keeps working.
    static func targets(of scenarios: [Profile.Scenario]) -> [Profile.Target] {
        var counts: [String: Int] = [:]
        for s in scenarios { for step in s.flow.requestSteps { counts[step.name, default: 0] += 1 } }
        return scenarios.flatMap { scenario in
            scenario.flow.requestSteps.map { step in
                let name = counts[step.name, default: 0] > 1 ? "\(scenario.name)/\(step.name)" : step.name
                let expect = step.expect.statuses.isEmpty && step.bodyContains == nil
                    ? nil : Profile.Expect(statuses: step.expect.statuses.isEmpty ? nil : step.expect.statuses,
                                           bodyContains: step.bodyContains)
                return Profile.Target(name: name, url: step.urlText, method: step.method, headers: step.headerTexts,
                                      body: step.body.map { Array($0.displayText(variables: scenario.flow.variables).utf8) } ?? [], expect: expect,
                                      timeoutMicros: step.timeoutMicros)
            }
        }
    }

    // MARK: Data

    func readDataSets(_ node: Node, _ path: String) throws -> [ProfileDataSet] {
        guard let mapping = node.mapping else { throw fail(node, path, "expected a mapping of data set name to { file, mode, bind }") }
        var sets: [ProfileDataSet] = []
        for (keyNode, valueNode) in mapping {
            let name = keyNode.scalar?.string ?? ""
            let setPath = path + "." + name
            guard Template.isValidName(name), !name.contains(".") else {
                throw fail(keyNode, setPath, "'\(Threshold.oneLine(name))' is not a data set name (letters, digits, '_' and '-')")
            }
            let map = try fields(valueNode, path: setPath, line: line(keyNode), allowed: Self.dataFields)
            guard let fileNode = map.value("file") else { throw fail(map.keyLine("file"), map.path("file"), "is required") }
            let resolved = resolve(try nonEmptyString(fileNode, map.path("file")))
            let bytes: [UInt8]
            switch ProfileLoader.readFile(resolved) {
            case .success(let b): bytes = b
            case .failure(let reason):
                throw fail(fileNode, map.path("file"), "cannot read \(Threshold.oneLine(resolved)) (\(reason))")
            }
            let set = try DataSet.load(bytes: bytes, file: resolved)
            let mode = try choice(map.value("mode"), map.path("mode"), or: DataCursor.Mode.sequential, "sequential, random or unique")
            let binding = try choice(map.value("bind"), map.path("bind"), or: DataCursor.Binding.iteration, "iteration or vu")
            sets.append(ProfileDataSet(name: name, set: set, mode: mode, binding: binding))
        }
        return sets
    }

    // MARK: Scenario

    /// One of a fixed set of words (`mode`, `bind`, `cookies`): `fallback` when the field is absent, an error naming
    /// the field and the words otherwise.
    func choice<T: RawRepresentable>(_ node: Node?, _ path: String, or fallback: T, _ words: String) throws -> T where T.RawValue == String {
        guard let node else { return fallback }
        let text = try string(node, path)
        guard let value = T(rawValue: text) else { throw fail(node, path, "expected \(words), not '\(Threshold.oneLine(text))'") }
        return value
    }

    func readScenario(_ node: Node, name: String, path: String, keyLine: Int, dataSets: [ProfileDataSet],
                      defaultHeaders profileHeaders: [(node: Node, path: String)], runCaptures: [String] = []) throws -> Profile.Scenario {
        try refuseWebSocketBlock(node, path)
        let map = try fields(node, path: path, line: keyLine, allowed: Self.scenarioFields)
        guard let loadNode = map.value("load") else { throw fail(map.keyLine("load"), map.path("load"), "is required") }
        let load = try readLoad(loadNode, map.path("load"), keyLine: map.keyLine("load"))
        let cookies = try choice(map.value("cookies"), map.path("cookies"), or: Flow.CookieMode.perIteration, "per_iteration, per_vu or off")
        var iterations: Int?
        if let n = map.value("iterations") {
            let value = try integer(n, map.path("iterations"))
            guard value >= 1 else { throw fail(n, map.path("iterations"), "must be at least 1") }
            guard load.model == .closed else {
                throw fail(n, map.path("iterations"), "only for the closed model, but load.model is \(load.model.rawValue)")
            }
            iterations = value
        }
        let startAfter = try map.value("start_after").map { try duration($0, map.path("start_after")) } ?? 0
        guard let flowNode = map.value("flow") else { throw fail(map.keyLine("flow"), map.path("flow"), "is required") }
        // The scenario's own defaults: headers on top of the profile's, a timeout for steps that set none.
        var defaultHeaders = profileHeaders
        var defaultTimeout: Int64?
        if let node = map.value("defaults") {
            let d = try fields(node, path: map.path("defaults"), line: map.keyLine("defaults"), allowed: ["headers", "timeout"])
            if let headers = d.value("headers") { defaultHeaders.append((headers, d.path("headers"))) }
            defaultTimeout = try d.value("timeout").map { try positiveDuration($0, d.path("timeout")) }
        }
        var tags: [String: String] = [:]
        if let node = map.value("tags") {
            guard let pairs = node.mapping else { throw fail(node, map.path("tags"), "expected a mapping of tag name to value") }
            for (k, v) in pairs {
                let key = k.scalar?.string ?? ""
                guard Template.isValidName(key) else {
                    throw fail(k, map.path("tags") + "." + key, "'\(Threshold.oneLine(key))' is not a tag name (letters, digits, '_' and '-')")
                }
                tags[key] = try string(v, map.path("tags") + "." + key)
            }
        }
        var flow = try readFlow(flowNode, map.path("flow"), keyLine: map.keyLine("flow"), scenario: name, dataSets: dataSets,
                                defaultHeaders: defaultHeaders, setup: map.value("setup").map { ($0, map.path("setup")) },
                                runCaptures: runCaptures)
        if let defaultTimeout {
            flow.steps = flow.steps.map { step in
                guard case .request(var r) = step, r.timeoutMicros == nil else { return step }
                r.timeoutMicros = defaultTimeout
                return .request(r)
            }
        }
        flow.tags = tags
        flow.cookies = cookies
        flow.iterations = iterations
        if let n = map.value("pacing") {
            guard load.model == .closed else {
                throw fail(n, map.path("pacing"), "only for the closed model (the open model's arrivals already set when iterations start)")
            }
            flow.pacingMicros = try duration(n, map.path("pacing"))
        }
        if let n = map.value("graceful_stop") { flow.gracefulStopMicros = try duration(n, map.path("graceful_stop")) }
        return Profile.Scenario(name: name, load: load, startAfterMicros: startAfter, flow: flow)
    }

    // MARK: Flow

    /// A request step read but not yet bound to slots.
    private struct PendingRequest {
        /// `foreach: { list, as, max }` as read (bound to slots in readFlow).
        struct Loop {
            var list: String
            var item: String
            var max: Int
            var line: Int
            var path: String
        }
        var loop: Loop?
        /// `expect.json` checks whose value is a template, by index.
        var expectTemplates: [(Int, Template)] = []
        var step: RequestStep
        var url: Template
        var headers: [Template]
        var body: Template?
        var uses: [TemplateUse]
    }

    private enum PendingStep {
        case request(PendingRequest)
        case think(ThinkTime)
    }

    /// A scenario's flow: its `setup` steps (run once per VU, before its first iteration) and then its `flow` steps,
    /// read as one list so that flow steps may use what setup steps captured.
    func readFlow(_ node: Node, _ path: String, keyLine: Int, scenario: String, dataSets: [ProfileDataSet],
                  defaultHeaders: [(node: Node, path: String)],
                  setup: (node: Node, path: String)? = nil, runCaptures: [String] = [],
                  inRunSetup: Bool = false) throws -> Flow {
        guard let flowList = node.sequence else { throw fail(node, path, "expected a list of steps") }
        guard !flowList.isEmpty else { throw fail(keyLine, path, "needs at least one step") }
        var setupItems: [Node] = []
        if let setup {
            guard let items = setup.node.sequence else { throw fail(setup.node, setup.path, "expected a list of steps") }
            setupItems = Array(items)
        }
        // Each item with the path messages name it by: setup[i] or flow[i]; a group's steps (`{ group: NAME, steps:
        // [...] }`) are laid out in place, as flow[i].steps[k], each knowing its group.
        var list: [Node] = []
        var paths: [String] = []
        var groupOf: [Int?] = []
        var groups: [String] = []
        let top = setupItems.indices.map { (setupItems[$0], "\(setup!.path)[\($0)]") } + flowList.indices.map { (flowList[$0], "\(path)[\($0)]") }
        for (item, itemPath) in top {
            guard item.mapping?.contains(where: { $0.key.scalar?.string == "group" }) == true else {
                list.append(item); paths.append(itemPath); groupOf.append(nil)
                continue
            }
            let g = try fields(item, path: itemPath, line: line(item), allowed: ["group", "steps"])
            let name = try nonEmptyString(g.value("group")!, g.path("group"))
            if groups.contains(name) { throw fail(g.keyLine("group"), g.path("group"), "duplicate group name '\(Threshold.oneLine(name))'") }
            guard let stepsNode = g.value("steps"), let steps = stepsNode.sequence, !steps.isEmpty else {
                throw fail(g.keyLine("steps"), g.path("steps"), "expected a list of steps (a group needs at least one)")
            }
            groups.append(name)
            for (k, sub) in steps.enumerated() {
                if sub.mapping?.contains(where: { $0.key.scalar?.string == "group" }) == true {
                    throw fail(sub, "\(g.path("steps"))[\(k)]", "groups do not nest")
                }
                list.append(sub); paths.append("\(g.path("steps"))[\(k)]"); groupOf.append(groups.count - 1)
            }
        }

        // Pass 1: step names and capture names, so that any step's templates can tell a capture from the environment.
        var scope = FlowScope(dataSets: dataSets)
        scope.runCaptures = runCaptures
        scope.inRunSetup = inRunSetup
        var stepNames: [String?] = []
        var nameLines: [Int] = []
        for (i, item) in list.enumerated() {
            let itemPath = paths[i]
            guard let mapping = item.mapping else {
                throw fail(item, itemPath, "expected a step: a mapping with url (a request) or think (a pause)")
            }
            let entries = mapping.map { (name: $0.key.scalar?.string ?? "", key: $0.key, value: $0.value) }
            if entries.contains(where: { $0.name == "think" }) {
                stepNames.append(nil)
                nameLines.append(line(item))
                continue
            }
            let nameNode = entries.first { $0.name == "name" && !Self.isNull($0.value) }?.value
            let stepName = try nameNode.map { try nonEmptyString($0, itemPath + ".name") } ?? "step\(i + 1)"
            if let j = stepNames.firstIndex(where: { $0 == stepName }) {
                throw fail(nameNode ?? item, itemPath + ".name",
                           "duplicate step name '\(Threshold.oneLine(stepName))' (also \(paths[j]) on line \(nameLines[j]))")
            }
            stepNames.append(stepName)
            nameLines.append(nameNode.map(line) ?? line(item))
            if let loop = entries.first(where: { $0.name == "foreach" && !Self.isNull($0.value) })?.value,
               let asNode = loop.mapping?.first(where: { $0.key.scalar?.string == "as" })?.value {
                let name = asNode.scalar?.string ?? ""
                let asPath = itemPath + ".foreach.as"
                guard Template.isValidName(name), !name.contains(".") else {
                    throw fail(asNode, asPath, "'\(Threshold.oneLine(name))' is not a variable name (letters, digits, '_' and '-')")
                }
                if FlowScope.builtIns.contains(name) || dataSets.contains(where: { $0.name == name }) || scope.captures[name] != nil
                    || runCaptures.contains(name) {
                    throw fail(asNode, asPath, "'\(name)' is already a built-in, a data set or a capture")
                }
                // Set by this step before each of its requests: its own templates may use it.
                scope.captures[name] = FlowScope.CaptureSite(step: i, stepName: stepName)
                scope.captureOrder.append(name)
                scope.loopVariables.insert(name)
            }
            guard let captureNode = entries.first(where: { $0.name == "capture" && !Self.isNull($0.value) })?.value else { continue }
            guard let captures = captureNode.mapping else {
                throw fail(captureNode, itemPath + ".capture", "expected a mapping of variable name to { json | regex | header | cookie | status }")
            }
            for (keyNode, _) in captures {
                let capture = keyNode.scalar?.string ?? ""
                let capturePath = itemPath + ".capture." + capture
                guard Template.isValidName(capture), !capture.contains(".") else {
                    throw fail(keyNode, capturePath, "'\(Threshold.oneLine(capture))' is not a capture name (letters, digits, '_' and '-')")
                }
                if FlowScope.builtIns.contains(capture) {
                    throw fail(keyNode, capturePath, "capture '\(capture)' has the name of a built-in (vu, iteration, uuid, now_ms, random_int)")
                }
                if dataSets.contains(where: { $0.name == capture }) {
                    throw fail(keyNode, capturePath, "capture '\(capture)' has the name of a data set (data.\(capture))")
                }
                if runCaptures.contains(capture) {
                    throw fail(keyNode, capturePath,
                               "capture '\(capture)' is already captured by the run's setup (setup:); its value is every VU's, so give this one another name")
                }
                if let site = scope.captures[capture] {
                    throw fail(keyNode, capturePath,
                               "capture '\(capture)' is already captured by step \(site.stepName) (\(paths[site.step])); capture names are unique in a scenario")
                }
                scope.captures[capture] = FlowScope.CaptureSite(step: i, stepName: stepName)
                scope.captureOrder.append(capture)
            }
        }

        // Pass 2: every step in full.
        var pending: [PendingStep] = []
        for (i, item) in list.enumerated() {
            let itemPath = paths[i]
            try refuseWebSocketBlock(item, itemPath)
            if let stepName = stepNames[i] {
                pending.append(.request(try readRequestStep(item, itemPath, name: stepName, scope: scope, defaultHeaders: defaultHeaders)))
            } else {
                let map = try fields(item, path: itemPath, line: line(item), allowed: ["think"])
                guard let thinkNode = map.value("think") else {
                    throw fail(map.keyLine("think"), map.path("think"), "expected a duration (500ms), { uniform: [min, max] } or { normal: [mean, stddev] }")
                }
                pending.append(.think(try readThink(thinkNode, map.path("think"))))
            }
        }
        guard stepNames.contains(where: { $0 != nil }) else {
            throw fail(keyLine, path, "has no request step (a flow needs at least one step with a url)")
        }

        // The variable table: captures in step order, then the data columns used, in data set and column order.
        var usedColumns = Set<String>()
        for case .request(let r) in pending { for use in r.uses where use.name.contains(".") { usedColumns.insert(use.name) } }
        var variables = scope.captureOrder
        var data: [FlowData] = []
        for set in dataSets {
            var slots: [Int?] = []
            for column in set.set.columns {
                let name = "\(set.name).\(column)"
                if usedColumns.contains(name) {
                    slots.append(variables.count)
                    variables.append(name)
                } else {
                    slots.append(nil)
                }
            }
            if slots.contains(where: { $0 != nil }) {
                data.append(FlowData(name: set.name, set: set.set, mode: set.mode, binding: set.binding, slots: slots))
            }
        }
        // Then the run setup's captures the flow reads (their values come from the setup run, before any load).
        var usedRunCaptures: [String] = []
        for case .request(let r) in pending {
            for use in r.uses where runCaptures.contains(use.name) && !usedRunCaptures.contains(use.name) { usedRunCaptures.append(use.name) }
        }
        usedRunCaptures.sort { runCaptures.firstIndex(of: $0)! < runCaptures.firstIndex(of: $1)! }
        variables += usedRunCaptures
        var slotOf: [String: Int] = [:]
        for (i, v) in variables.enumerated() { slotOf[v] = i }

        // Bind, checking that a step uses only captures of earlier steps.
        var steps: [FlowStep] = []
        for (i, p) in pending.enumerated() {
            switch p {
            case .think(let t): steps.append(.think(t))
            case .request(var r):
                for use in r.uses {
                    guard let site = scope.captures[use.name], site.step >= i else { continue }
                    if site.step == i && scope.loopVariables.contains(use.name) { continue } // the step's own loop variable
                    let whose = site.step == i ? "this step (\(site.stepName)) itself" : "a later step (\(site.stepName))"
                    throw fail(use.line, use.path, "uses '\(use.name)', which is captured only by \(whose)")
                }
                let lookup: (String) -> Int? = { slotOf[$0] }
                var stream = 0
                r.step.url = try r.url.bind(firstRandomStream: stream, slotOf: lookup)
                stream += r.url.randomCount
                r.step.headers = try r.headers.map { h in
                    defer { stream += h.randomCount }
                    return try h.bind(firstRandomStream: stream, slotOf: lookup)
                }
                r.step.body = try r.body.map { try $0.bind(firstRandomStream: stream, slotOf: lookup) }
                for (k, template) in r.expectTemplates {
                    r.step.expectTemplates.append(RequestStep.ExpectTemplate(check: k, value: try template.bind(firstRandomStream: stream, slotOf: lookup)))
                    stream += template.randomCount
                }
                if let loop = r.loop {
                    guard let site = scope.captures[loop.list], !scope.loopVariables.contains(loop.list) else {
                        let known = scope.captureOrder.filter { !scope.loopVariables.contains($0) }
                        let hint = Suggestion.closest(to: loop.list, among: known).map { " (did you mean '\($0)'?)" } ?? ""
                        throw fail(loop.line, loop.path + ".list", "'\(loop.list)' is not a capture\(hint); foreach goes over a list a step captured (list: true)")
                    }
                    guard site.step < i else {
                        throw fail(loop.line, loop.path + ".list", "'\(loop.list)' is captured only by \(site.step == i ? "this step itself" : "a later step (\(site.stepName))")")
                    }
                    r.step.foreach = RequestStep.ForEach(list: loop.list, listSlot: slotOf[loop.list]!, item: loop.item,
                                                         itemSlot: slotOf[loop.item]!, max: loop.max)
                }
                steps.append(.request(r.step))
            }
        }
        var flow = Flow(scenario: scenario, steps: steps, variables: variables, data: data)
        // Setup steps were the first items; a group among them counts its steps.
        flow.setupCount = top.prefix(setupItems.count).reduce(0) { n, entry in
            n + (entry.0.mapping?.contains(where: { $0.key.scalar?.string == "group" }) == true
                 ? (entry.0.mapping?.first(where: { $0.key.scalar?.string == "steps" })?.value.sequence?.count ?? 0) : 1)
        }
        flow.groups = groups
        flow.groupOfStep = groupOf
        flow.runCaptures = usedRunCaptures
        return flow
    }

    // MARK: Steps

    private func readRequestStep(_ node: Node, _ path: String, name: String, scope: FlowScope,
                                 defaultHeaders: [(node: Node, path: String)]) throws -> PendingRequest {
        let map = try fields(node, path: path, line: line(node), allowed: Self.requestStepFields)
        var uses: [TemplateUse] = []
        guard let urlNode = map.value("url") else {
            throw fail(map.keyLine("url"), map.path("url"), "is required (a step is a request with a url, or think: for a pause)")
        }
        let url = try flowTemplate(urlNode, map.path("url"), scope: scope, uses: &uses)
        if Self.isWebSocketURL(url.text) {
            throw fail(urlNode, map.path("url"), "'\(Threshold.oneLine(Redaction.url(url.text)))': \(Self.noWebSocketInScenarios)")
        }
        if let problem = Self.flowURLProblem(url) {
            throw fail(urlNode, map.path("url"), "'\(Threshold.oneLine(Redaction.url(url.text)))': \(problem)")
        }
        var method = "GET"
        if let methodNode = map.value("method") {
            let text = try string(methodNode, map.path("method"))
            guard !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isAlphabetic }) else {
                throw fail(methodNode, map.path("method"), "'\(Threshold.oneLine(text))' is not an HTTP method (letters only, e.g. GET or POST)")
            }
            method = text.uppercased()
        }

        // Headers: the profile's defaults, the scenario's, then the step's (a same-named header replaces in place).
        var headers: [FlowHeader] = []
        let layers = try defaultHeaders.map { try flowHeaders($0.node, $0.path, scope: scope) }
            + [try map.value("headers").map({ try flowHeaders($0, map.path("headers"), scope: scope) }) ?? []]
        for layer in layers {
            for header in layer {
                if let j = headers.firstIndex(where: { $0.name.caseInsensitiveCompare(header.name) == .orderedSame }) {
                    headers[j] = header
                } else {
                    headers.append(header)
                }
            }
        }

        // Body: one of body, body_file, json, form.
        let given = map.entries.filter { Self.bodyFields.contains($0.name) && !Self.isNull($0.value) }
        if given.count > 1 {
            throw fail(given[1].key, map.path(given[1].name), "give one of body, body_file, json and form, not both \(given[0].name) and \(given[1].name)")
        }
        var body: Template?
        var contentType: String?
        if let n = map.value("body") {
            body = try flowTemplate(n, map.path("body"), scope: scope, uses: &uses)
        } else if let n = map.value("body_file") {
            let resolved = resolve(try nonEmptyString(n, map.path("body_file")))
            switch ProfileLoader.readFile(resolved) {
            case .success(let bytes): body = Template(assembling: [.literal(bytes)])
            case .failure(let reason): throw fail(n, map.path("body_file"), "cannot read \(Threshold.oneLine(resolved)) (\(reason))")
            }
        } else if let n = map.value("json") {
            body = try jsonBody(n, map.path("json"), scope: scope, uses: &uses)
            contentType = "application/json"
        } else if let n = map.value("form") {
            body = try formBody(n, map.path("form"), scope: scope, uses: &uses)
            contentType = "application/x-www-form-urlencoded"
        } else if let n = map.value("multipart") {
            body = try multipartBody(n, map.path("multipart"), scope: scope, uses: &uses)
            contentType = "multipart/form-data; boundary=\(Self.multipartBoundary)"
        }
        if let contentType, !headers.contains(where: { $0.name.caseInsensitiveCompare("Content-Type") == .orderedSame }) {
            headers.append(FlowHeader(name: "Content-Type", value: Template(assembling: [.literal(Array(contentType.utf8))]), uses: []))
        }
        uses += headers.flatMap(\.uses)

        let (expect, bodyContains, expectTemplates) = try map.value("expect").map {
            try readFlowExpect($0, map.path("expect"), keyLine: map.keyLine("expect"), scope: scope, uses: &uses)
        } ?? (Expect(), nil, [])
        let captures = try map.value("capture").map { try readCaptures($0, map.path("capture")) } ?? []
        let continueOnFailure = try map.value("continue_on_failure").map { try bool($0, map.path("continue_on_failure")) } ?? false
        let timeout = try map.value("timeout").map { try positiveDuration($0, map.path("timeout")) }
        if map.value("repeat") != nil && map.value("foreach") != nil {
            throw fail(map.keyLine("foreach"), map.path("foreach"), "give repeat or foreach, not both")
        }
        var repeatCount = 1
        if let n = map.value("repeat") {
            repeatCount = try integer(n, map.path("repeat"))
            guard (1...10_000).contains(repeatCount) else { throw fail(n, map.path("repeat"), "expected 1 to 10000 requests") }
        }
        var loop: PendingRequest.Loop?
        if let n = map.value("foreach") {
            let f = try fields(n, path: map.path("foreach"), line: map.keyLine("foreach"), allowed: ["list", "as", "max"])
            guard let listNode = f.value("list") else { throw fail(f.keyLine("list"), f.path("list"), "is required (the capture to go over)") }
            guard let asNode = f.value("as") else { throw fail(f.keyLine("as"), f.path("as"), "is required (the variable each element is in)") }
            let maxCount = try f.value("max").map { try integer($0, f.path("max")) } ?? 100
            guard (1...10_000).contains(maxCount) else { throw fail(f.keyLine("max"), f.path("max"), "expected 1 to 10000") }
            var list = try nonEmptyString(listNode, f.path("list"))
            if list.hasPrefix("${") && list.hasSuffix("}") { list = String(list.dropFirst(2).dropLast()) }
            loop = PendingRequest.Loop(list: list, item: asNode.scalar?.string ?? "", max: maxCount, line: line(listNode),
                                       path: map.path("foreach"))
        }

        let lines = headers.map(\.line)
        let placeholder = CompiledTemplate(parts: [])  // bound in readFlow
        let step = RequestStep(name: name, method: method, url: placeholder, urlText: url.text, headers: [],
                               headerTexts: lines.map(\.text), body: nil, expect: expect, bodyContains: bodyContains,
                               captures: captures, continueOnFailure: continueOnFailure, timeoutMicros: timeout)
        var pendingStep = step
        pendingStep.repeatCount = repeatCount
        return PendingRequest(loop: loop, expectTemplates: expectTemplates, step: pendingStep, url: url, headers: lines, body: body,
                              uses: uses)
    }

    /// `think: 500ms`, `think: { uniform: [200ms, 1s] }` or `think: { normal: [500ms, 100ms] }`.
    func readThink(_ node: Node, _ path: String) throws -> ThinkTime {
        let shapes = "expected a duration (500ms), { uniform: [min, max] } or { normal: [mean, stddev] }"
        let think: ThinkTime
        if node.scalar != nil {
            think = .fixed(micros: try duration(node, path))
        } else {
            guard node.mapping != nil else { throw fail(node, path, shapes) }
            let map = try fields(node, path: path, line: line(node), allowed: ["uniform", "normal"])
            guard map.entries.count == 1, let entry = map.entries.first else { throw fail(node, path, shapes) }
            let kindPath = map.path(entry.name)
            let pair = entry.name == "uniform" ? "[min, max]" : "[mean, stddev]"
            guard let list = entry.value.sequence, list.count == 2 else {
                throw fail(entry.value, kindPath, "expected two durations: \(pair)")
            }
            let a = try duration(list[0], kindPath + "[0]"), b = try duration(list[1], kindPath + "[1]")
            think = entry.name == "uniform" ? .uniform(minMicros: a, maxMicros: b) : .normal(meanMicros: a, stddevMicros: b)
        }
        do {
            return try think.validated()
        } catch let error as BarrageError {
            throw fail(node, path, error.message)
        }
    }

    /// `expect: { status, json: { PATH: scalar }, body_contains }` of a step.
    /// A step's `expect`: statuses, JSON checks (a string value may use the VU's variables: such checks come back as
    /// templates by their index, bound later with the step's), and `body_contains` (environment variables only).
    func readFlowExpect(_ node: Node, _ path: String, keyLine: Int, scope: FlowScope,
                        uses: inout [TemplateUse]) throws -> (Expect, String?, [(Int, Template)]) {
        var templated: [(Int, Template)] = []
        let map = try fields(node, path: path, line: keyLine, allowed: Self.flowExpectFields)
        var expect = Expect()
        if let statusNode = map.value("status") {
            let statusPath = map.path("status")
            if let list = statusNode.sequence {
                guard !list.isEmpty else { throw fail(statusNode, statusPath, "expected at least one status code") }
                expect.statuses = try list.enumerated().map { try status($1, "\(statusPath)[\($0)]") }
            } else {
                expect.statuses = [try status(statusNode, statusPath)]
            }
        }
        if let jsonNode = map.value("json") {
            guard let checks = jsonNode.mapping else {
                throw fail(jsonNode, map.path("json"), "expected a mapping of JSON path to value, as in { \"$.ok\": true }")
            }
            for (keyNode, valueNode) in checks {
                let text = try string(keyNode, map.path("json"))
                let checkPath = map.path("json") + "." + text
                let jsonPath: JSONPath
                do {
                    jsonPath = try JSONPath(parsing: text)
                } catch let error as BarrageError {
                    throw fail(keyNode, checkPath, error.message)
                }
                let expected: JSONValue
                if let plain = Self.plainJSONScalar(valueNode) {
                    expected = plain
                } else if valueNode.scalar != nil {
                    let template = try flowTemplate(valueNode, checkPath, scope: scope, uses: &uses)
                    if let bytes = template.literalBytes {
                        expected = JSONValue(string: String(decoding: bytes, as: UTF8.self))
                    } else {
                        templated.append((expect.json.count, template))
                        expected = JSONValue(string: "")
                    }
                } else {
                    throw fail(valueNode, checkPath, "expected a scalar (a string, number, true, false or null)")
                }
                expect.json.append(Expect.JSONCheck(path: jsonPath, expected: expected))
            }
        }
        let bodyContains = try map.value("body_contains").map { try constantFlowText($0, map.path("body_contains"), scope: scope) }
        return (expect, bodyContains, templated)
    }

    /// `capture: { NAME: { json | regex | header | cookie | status … } }`, in file order (the names are checked in
    /// `readFlow`'s first pass).
    func readCaptures(_ node: Node, _ path: String) throws -> [Capture] {
        guard let mapping = node.mapping else {
            throw fail(node, path, "expected a mapping of variable name to { json | regex | header | cookie | status }")
        }
        return try mapping.enumerated().map { i, entry in
            let name = entry.key.scalar?.string ?? ""
            return Capture(name: name, source: try readCaptureSource(entry.value, path + "." + name, keyLine: line(entry.key)), index: i)
        }
    }

    private func readCaptureSource(_ node: Node, _ path: String, keyLine: Int) throws -> Capture.Source {
        let map = try fields(node, path: path, line: keyLine, allowed: Self.captureFields)
        let present = map.entries.filter { !Self.isNull($0.value) }.map(\.name)
        let sources = ["json", "header", "cookie", "status"].filter(present.contains)
            + (present.contains("regex") && !present.contains("header") ? ["regex"] : [])
        guard let source = sources.first else {
            throw fail(node, path, "expected one source: json, regex, header, cookie or status")
        }
        if sources.count > 1 {
            let second = map.entry(sources[1])!
            throw fail(second.key, map.path(sources[1]), "give one source, not both \(sources[0]) and \(sources[1])")
        }
        let allowedExtras: [String: [String]] = ["json": ["pick", "list"], "regex": ["group"], "header": ["regex", "group"]]
        for extra in present where extra != source && !(allowedExtras[source] ?? []).contains(extra) {
            let entry = map.entry(extra)!
            let hint = extra == "group" ? "only with regex" : extra == "regex" ? "only alone or with header" : "only with json"
            throw fail(entry.key, map.path(extra), "\(extra) goes \(hint), not with \(source)")
        }
        if present.contains("group"), !present.contains("regex") {
            throw fail(map.entry("group")!.key, map.path("group"), "group goes only with regex")
        }
        func regex() throws -> FlowRegex {
            let n = map.value("regex")!
            let pattern = try string(n, map.path("regex"))
            let group = try map.value("group").map { try nonNegativeInteger($0, map.path("group")) } ?? 1
            do {
                return try FlowRegex(pattern, group: group)
            } catch let error as BarrageError {
                throw fail(n, map.path("regex"), error.message)
            }
        }
        switch source {
        case "json":
            let n = map.value("json")!
            let text = try string(n, map.path("json"))
            let jsonPath: JSONPath
            do {
                jsonPath = try JSONPath(parsing: text)
            } catch let error as BarrageError {
                throw fail(n, map.path("json"), error.message)
            }
            let list = try map.value("list").map { try bool($0, map.path("list")) } ?? false
            if list {
                if let pick = map.entry("pick"), !Self.isNull(pick.value) {
                    throw fail(pick.key, map.path("pick"), "pick does not go with list: true (the list holds every match)")
                }
                return .jsonList(jsonPath)
            }
            var pick = JSONPath.Pick.first
            if let p = map.value("pick") {
                let text = try string(p, map.path("pick"))
                guard let value = JSONPath.Pick(rawValue: text) else {
                    throw fail(p, map.path("pick"), "expected first, last or random, not '\(Threshold.oneLine(text))'")
                }
                pick = value
            }
            return .json(jsonPath, pick: pick)
        case "regex":
            return .regex(try regex())
        case "header":
            let n = map.value("header")!
            let name = try nonEmptyString(n, map.path("header"))
            guard name.unicodeScalars.allSatisfy(Self.isTokenChar) else {
                throw fail(n, map.path("header"), "'\(Threshold.oneLine(name))' is not a valid header name")
            }
            return .header(name, regex: present.contains("regex") ? try regex() : nil)
        case "cookie":
            return .cookie(try nonEmptyString(map.value("cookie")!, map.path("cookie")))
        default:
            let n = map.value("status")!
            guard try bool(n, map.path("status")) else {
                throw fail(n, map.path("status"), "expected true (status: true captures the status code)")
            }
            return .status
        }
    }
}
