import Foundation

/// The plan as recorded in the result JSON (`plan`), with secrets redacted.
public struct PlanRecord: Codable, Sendable, Equatable {
    public struct Target: Codable, Sendable, Equatable {
        public var name: String
        public var url: String
        public var method: String
        public var headers: [String]
        public var body_bytes: Int
        public var weight: Double
    }
    public var model: String
    public var concurrency: Int
    public var requests: Int?
    public var duration_us: Int64?
    public var stages: [Stage]
    public var targets: [Target]
    public var timeout_us: Int64
    public var connect_timeout_us: Int64
    public var threads: Int
    public var keepalive: Bool
    public var http_version: String
    /// Requests the plan schedules (nil: bound by time, closed model).
    public var expected_requests: Int?
    /// Open model only (omitted otherwise): where the first stage's rate starts, the pool, the lateness limit, arrivals.
    public var start_rate: Double?
    public var max_in_flight: Int?
    public var max_lateness_us: Int64?
    public var arrival: String?
    public var seed: UInt64?
    /// Closed model with stages: where concurrency starts; the pause between a worker's requests.
    public var start_concurrency: Int?
    public var think_time_us: Int64?
    /// Requests due in this first stretch were kept out of the results (see the result's `warmup`).
    public var warmup_us: Int64?
    /// The profile's name.
    public var name: String?
    /// The flags that replaced part of the profile's load, as given (`--concurrency 10`); absent when none.
    public var overrides: [String]?
    /// This process's share, when the plan was segmented; the other fields describe the whole plan.
    public var segment: Segment?
    /// False with `--insecure`: certificates were not verified.
    public var tls_verify: Bool?
    /// Connection controls that were set (absent when none): follow_redirects, compressed, preconnect, buffer_size, proxy (redacted), unix_socket, local_addresses, max_connection_age_us, max_streams, tls_min, resolve, connect_to.
    public var transport: [String: String]?
    /// A flow (a profile's scenario): its name, and its iterations when the plan bounds them; absent for plain targets.
    /// The flow's request steps are `targets`, in order.
    public var scenario: String?
    public var iterations: Int?
    /// The scenario's `tags:`; absent when it has none.
    public var tags: [String: String]?
    /// Several scenarios at once: each one's plan (with its `scenario` name and `start_after_us`); absent otherwise.
    public var scenarios: [PlanRecord]?
    /// In `scenarios[]`: when the scenario started, after the run's start; absent elsewhere.
    public var start_after_us: Int64?
    /// The run's `setup:` steps (a scenario profile's), sent once before the load; absent without one (so the
    /// fingerprints of plans without a setup are as before).
    public var setup: [Target]?
    /// A WebSocket run's message plan; absent for HTTP runs (so their fingerprints are as before).
    public var websocket: WebSocketPlan.Record?

    public init(_ plan: RunPlan) {
        model = plan.model.rawValue
        concurrency = plan.concurrency
        requests = plan.workload.flow == nil ? plan.requestLimit : nil // a flow's -n bounds iterations (`iterations`)
        duration_us = plan.durationMicros
        if let schedule = plan.schedule {
            stages = schedule.stages.map { Stage(duration_us: $0.durationMicros, rate: $0.rate) }
            start_rate = schedule.startRate
            switch schedule.arrival {
            case .uniform: arrival = "uniform"; seed = nil
            case .poisson(let s): arrival = "poisson"; seed = s
            }
            max_in_flight = plan.concurrency
            max_lateness_us = plan.maxLatenessMicros
        } else if !plan.closedStages.isEmpty {
            stages = plan.closedStages.map { Stage(duration_us: $0.durationMicros, concurrency: $0.concurrency) }
            start_concurrency = plan.startConcurrency
            think_time_us = plan.thinkTimeMicros > 0 ? plan.thinkTimeMicros : nil
        } else {
            stages = [Stage(duration_us: plan.durationMicros, concurrency: plan.concurrency)]
        }
        warmup_us = plan.warmupMicros > 0 ? plan.warmupMicros : nil
        name = plan.name
        overrides = plan.overrides.isEmpty ? nil : plan.overrides
        segment = plan.segment
        let t = plan.transport
        tls_verify = t.insecure ? false : nil
        var controls: [String: String] = [:]
        if let n = t.followRedirects { controls["follow_redirects"] = String(n) }
        if t.compressed { controls["compressed"] = "true" }
        if t.preconnect { controls["preconnect"] = "true" }
        if let b = t.bufferSize { controls["buffer_size"] = String(b) }
        if let p = t.proxy { controls["proxy"] = Redaction.url(p) }
        if let u = t.unixSocket { controls["unix_socket"] = u }
        if !t.localAddresses.isEmpty { controls["local_addresses"] = t.localAddresses.joined(separator: ",") }
        if let a = t.maxConnectionAgeMicros { controls["max_connection_age_us"] = String(a) }
        if let m = t.maxStreams { controls["max_streams"] = String(m) }
        if let v = t.tlsMin { controls["tls_min"] = v }
        if !t.resolve.isEmpty { controls["resolve"] = t.resolve.joined(separator: ",") }
        if !t.connectTo.isEmpty { controls["connect_to"] = t.connectTo.joined(separator: ",") }
        if t.caCert != nil { controls["cacert"] = "set" }
        if t.clientCert != nil { controls["client_cert"] = "set" }
        transport = controls.isEmpty ? nil : controls
        if seed == nil && plan.targets.count > 1 { seed = plan.seed } // the seed that fixed the target choice
        expected_requests = plan.expectedRequests
        targets = plan.targets.map {
            Target(name: $0.name, url: Redaction.url($0.url), method: $0.method,
                   headers: $0.headers.map(Redaction.header), body_bytes: $0.body.count, weight: $0.weight)
        }
        timeout_us = plan.timeoutMicros
        connect_timeout_us = plan.connectTimeoutMicros
        threads = plan.effectiveThreads
        keepalive = plan.keepAlive
        scenario = plan.workload.flow?.scenario
        iterations = plan.iterationLimit
        tags = plan.workload.flow.flatMap { $0.tags.isEmpty ? nil : $0.tags }
        if !plan.lanes.isEmpty {
            scenarios = plan.lanes.map { lane in
                var r = PlanRecord(lane.plan)
                r.start_after_us = lane.startAfterMicros
                return r
            }
            // The lanes side by side: open when any is (latency then counts from due times somewhere in it).
            model = plan.lanes.contains { $0.plan.model == .open } ? "open" : "closed"
            stages = []
            expected_requests = nil
        }
        http_version = plan.httpVersion
        if let ws = plan.workload.webSocket {
            websocket = ws.record(messageLimit: plan.requestLimit, answerTimeoutMicros: plan.timeoutMicros)
            requests = nil // -n counts messages (`websocket.messages`)
        }
        setup = plan.runSetup.map { s in
            s.targets.map { Target(name: $0.name, url: Redaction.url($0.url), method: $0.method,
                                   headers: $0.headers.map(Redaction.header), body_bytes: $0.body.count, weight: $0.weight) }
        }
    }

    // Encode nil limits as explicit nulls so the key set is the same in every result.
    enum CodingKeys: String, CodingKey {
        case model, concurrency, requests, duration_us, stages, targets, timeout_us, connect_timeout_us, threads, keepalive, http_version
        case expected_requests, start_rate, max_in_flight, max_lateness_us, arrival, seed
        case start_concurrency, think_time_us, warmup_us, name, overrides, segment, tls_verify, transport
        case scenario, iterations, tags, scenarios, start_after_us, setup, websocket
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(concurrency, forKey: .concurrency)
        try c.encode(requests, forKey: .requests)
        try c.encode(duration_us, forKey: .duration_us)
        try c.encode(stages, forKey: .stages)
        try c.encode(targets, forKey: .targets)
        try c.encode(timeout_us, forKey: .timeout_us)
        try c.encode(connect_timeout_us, forKey: .connect_timeout_us)
        try c.encode(threads, forKey: .threads)
        try c.encode(keepalive, forKey: .keepalive)
        try c.encode(http_version, forKey: .http_version)
        try c.encode(expected_requests, forKey: .expected_requests)
        try c.encodeIfPresent(start_rate, forKey: .start_rate)
        try c.encodeIfPresent(max_in_flight, forKey: .max_in_flight)
        try c.encodeIfPresent(max_lateness_us, forKey: .max_lateness_us)
        try c.encodeIfPresent(arrival, forKey: .arrival)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(start_concurrency, forKey: .start_concurrency)
        try c.encodeIfPresent(think_time_us, forKey: .think_time_us)
        try c.encodeIfPresent(warmup_us, forKey: .warmup_us)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(overrides, forKey: .overrides)
        try c.encodeIfPresent(segment, forKey: .segment)
        try c.encodeIfPresent(tls_verify, forKey: .tls_verify)
        try c.encodeIfPresent(transport, forKey: .transport)
        try c.encodeIfPresent(scenario, forKey: .scenario)
        try c.encodeIfPresent(iterations, forKey: .iterations)
        try c.encodeIfPresent(tags, forKey: .tags)
        try c.encodeIfPresent(scenarios, forKey: .scenarios)
        try c.encodeIfPresent(setup, forKey: .setup)
        try c.encodeIfPresent(websocket, forKey: .websocket)
        try c.encodeIfPresent(start_after_us, forKey: .start_after_us)
    }
}

extension PlanRecord {
    /// A short hash of the plan without what differs between its segments and repeats (threads, the segment):
    /// results with the same fingerprint ran the same plan.
    public var fingerprint: String {
        var c = self
        c.threads = 0
        c.segment = nil
        // Several scenarios: the same holds for each one's plan (absent otherwise, so other fingerprints are as before).
        c.scenarios = c.scenarios?.map { lane in
            var l = lane
            l.threads = 0
            l.segment = nil
            return l
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(c)).map { Array($0) } ?? []
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 // FNV-1a
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
