import Yams

/// Reading a WebSocket profile: one `ws://` or `wss://` target, a `websocket:` block (the message plan, every field
/// optional), and a load the WebSocket engine can run — constant connections (closed) or connections arriving at a rate,
/// each sending `websocket.messages` (open). `load.requests` counts messages, as `-n` does.
extension ProfileReader {
    static let webSocketFields = ["message", "message_file", "binary", "size", "rate", "messages", "answer"]

    /// Whether `url` is a WebSocket URL (`ws://`, `wss://`, any case).
    static func isWebSocketURL(_ url: String) -> Bool {
        let u = url.lowercased()
        return u.hasPrefix("ws://") || u.hasPrefix("wss://")
    }

    /// The profile's WebSocket settings: nil for an HTTP profile (a `websocket:` block there is an error), else the
    /// block's fields (all nil without one), after checking the targets and the load fit a WebSocket run.
    func readWebSocketProfile(_ top: Fields, targets: [Profile.Target], load: Profile.Load) throws -> WebSocketSettings? {
        let block = top.entry("websocket")
        guard let wsIndex = targets.firstIndex(where: { Self.isWebSocketURL($0.url) }) else {
            if let block {
                throw fail(block.key, "websocket", "only for a profile whose target is a ws:// or wss:// URL (targets[0].url is '\(Threshold.oneLine(Redaction.url(targets[0].url)))')")
            }
            return nil
        }
        let items = top.value("targets")?.sequence ?? []
        if targets.count > 1 {
            let other = wsIndex == 0 ? 1 : 0
            throw fail(items[other], "targets[\(other)]",
                       "a WebSocket profile has one target (targets[\(wsIndex)].url is \(targets[wsIndex].url.lowercased().hasPrefix("wss") ? "wss" : "ws")://); run other URLs in a profile of their own")
        }
        try checkWebSocketTarget(items[0], "targets[0]")
        var settings = WebSocketSettings()
        if let node = block.map(\.value), !Self.isNull(node) {
            settings = try readWebSocket(node, "websocket", keyLine: top.keyLine("websocket"))
        }
        if let loadNode = top.value("load") { try checkWebSocketLoad(loadNode, "load", load: load, settings: settings, top: top) }
        return settings
    }

    /// The target fields a WebSocket target does not take (its handshake is a GET answered 101; its messages are the
    /// `websocket:` block's).
    func checkWebSocketTarget(_ node: Node, _ path: String) throws {
        let map = try fields(node, path: path, line: line(node), allowed: Self.targetFields)
        if let m = map.value("method"), try string(m, map.path("method")).uppercased() != "GET" {
            throw fail(m, map.path("method"), "a WebSocket target's handshake is a GET")
        }
        let refused: [(String, String)] = [
            ("body", "a WebSocket target sends websocket.message, not a body"),
            ("body_file", "a WebSocket target sends websocket.message_file, not a body"),
            ("expect", "a WebSocket handshake must answer 101; websocket.answer says what answers a message"),
            ("timeout", "a WebSocket run's answer timeout is defaults.timeout")]
        for (field, reason) in refused {
            if let entry = map.entry(field) { throw fail(entry.key, map.path(field), reason) }
        }
    }

    /// The `websocket:` block.
    func readWebSocket(_ node: Node, _ path: String, keyLine: Int) throws -> WebSocketSettings {
        let map = try fields(node, path: path, line: keyLine, allowed: Self.webSocketFields)
        var s = WebSocketSettings()
        if let messageNode = map.value("message"), let fileNode = map.value("message_file") {
            let fileIsLater = line(fileNode) >= line(messageNode)
            throw fail(fileIsLater ? fileNode : messageNode, map.path(fileIsLater ? "message_file" : "message"),
                       "message and message_file cannot both be given")
        }
        if let n = map.value("message") { s.message = Array(try string(n, map.path("message")).utf8) }
        if let n = map.value("message_file") {
            let resolved = resolve(try nonEmptyString(n, map.path("message_file")))
            switch ProfileLoader.readFile(resolved) {
            case .success(let bytes): s.message = bytes
            case .failure(let reason): throw fail(n, map.path("message_file"), "cannot read \(Threshold.oneLine(resolved)) (\(reason))")
            }
        }
        if let n = map.value("binary") { s.binary = try bool(n, map.path("binary")) }
        if let n = map.value("size") { s.sizeBytes = try byteSize(n, map.path("size")) }
        if let n = map.value("rate") {
            let rate = try number(n, map.path("rate"))
            guard rate > 0, rate <= WebSocketSettings.maxRatePerConnection else {
                throw fail(n, map.path("rate"), "expected messages per second per connection above 0 and at most \(Int(WebSocketSettings.maxRatePerConnection))")
            }
            s.ratePerConnection = rate
        }
        if let n = map.value("messages") {
            let value = try integer(n, map.path("messages"))
            guard value >= 1 else { throw fail(n, map.path("messages"), "must be at least 1") }
            s.messagesPerConnection = value
        }
        if let n = map.value("answer") {
            let text = try string(n, map.path("answer"))
            guard let answer = WebSocketPlan.Answer(text: text) else {
                throw fail(n, map.path("answer"), "'\(Threshold.oneLine(text))': \(WebSocketPlan.Answer.problem(text) ?? "")")
            }
            s.answer = answer
        }
        if let problem = s.payloadProblem {
            // Point at what made the payload: the message (or its file), else the size.
            let field = ["message", "message_file", "size"].first { map.value($0) != nil } ?? "message"
            let node = map.value(field)
            let hint = problem.hasPrefix("not UTF-8") ? "not UTF-8 text; add binary: true to send it in binary frames" : problem
            throw fail(node.map(line) ?? keyLine, map.path(field), hint)
        }
        return s
    }

    /// A byte count: `256`, `4k` (KiB), `1m` (MiB); from 1 byte to 16 MiB.
    func byteSize(_ node: Node, _ path: String) throws -> Int {
        let problem = "expected a size from 1 to 16m bytes, like 256, 4k or 1m"
        guard node.scalar != nil, !Self.isNull(node) else { throw fail(node, path, problem) }
        let text = try string(node, path).lowercased()
        var digits = Substring(text), scale = 1
        if text.hasSuffix("k") { digits = digits.dropLast(); scale = 1_024 } else if text.hasSuffix("m") { digits = digits.dropLast(); scale = 1 << 20 }
        guard let n = Int(digits), n >= 1, n <= WebSocketSettings.maxSizeBytes / scale else { throw fail(node, path, problem) }
        return n * scale
    }

    /// The load fields a WebSocket run cannot follow: a warm-up, think time, and (closed) connections that change
    /// along the stages; the open model needs `websocket.messages` (connections arrive, send that many, and close).
    func checkWebSocketLoad(_ node: Node, _ path: String, load: Profile.Load, settings: WebSocketSettings, top: Fields) throws {
        let map = try fields(node, path: path, line: top.keyLine("load"), allowed: Self.loadFields)
        if let entry = map.entry("warmup"), load.warmupMicros > 0 {
            throw fail(entry.key, map.path("warmup"), "not for WebSocket runs (every message counts)")
        }
        if let entry = map.entry("think_time"), load.thinkTimeMicros > 0 {
            throw fail(entry.key, map.path("think_time"), "not for WebSocket runs (websocket.rate paces each connection's messages)")
        }
        switch load.model {
        case .open:
            guard settings.messagesPerConnection != nil else {
                let at = top.entry("websocket").map { line($0.key) } ?? map.keyLine("model")
                throw fail(at, "websocket.messages", "is required for the open model (connections arrive at load's rate; each sends this many messages, then closes)")
            }
        case .closed:
            let connections = load.startConcurrency
            let constant = "a WebSocket run keeps its connections constant"
            guard map.value("start_concurrency") != nil else {
                let wanted = load.stages.first?.concurrency ?? 1
                throw fail(map.line, map.path("start_concurrency"), "\(constant): give start_concurrency: \(wanted), the stages' concurrency (else it ramps from 0)")
            }
            guard connections >= 1 else { throw fail(map.value("start_concurrency")!, map.path("start_concurrency"), "must be at least 1 (connections)") }
            let stageNodes = map.value("stages")?.sequence ?? []
            for (i, stage) in load.stages.enumerated() where stage.concurrency != connections {
                let stageMap = try fields(stageNodes[i], path: "\(map.path("stages"))[\(i)]", line: line(stageNodes[i]), allowed: Self.stageFields)
                throw fail(stageMap.value("concurrency").map(line) ?? line(stageNodes[i]), stageMap.path("concurrency"),
                           "\(constant): expected \(connections), the start_concurrency (ramping connections is not supported)")
            }
        }
    }

    /// A `websocket:` key where WebSocket runs are not possible (a scenario, a flow step): one line saying so.
    func refuseWebSocketBlock(_ node: Node, _ path: String) throws {
        guard let key = node.mapping?.first(where: { $0.key.scalar?.string == "websocket" })?.key else { return }
        throw fail(key, path + ".websocket", Self.noWebSocketInScenarios)
    }

    static let noWebSocketInScenarios =
        "WebSocket is not available in scenarios (flows have no WebSocket steps): a WebSocket profile has targets: (one ws:// or wss:// URL), websocket: and load:"
}
