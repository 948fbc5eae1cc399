import Foundation

/// One kind of request the plan sends.
public struct RequestTarget: Sendable, Equatable {
    public var name: String
    public var url: String
    public var method: String
    /// Header lines as `Name: value`.
    public var headers: [String]
    public var body: [UInt8]
    /// Relative share of requests when the plan has several targets.
    public var weight: Double = 1
    /// What counts as ok; nil: a complete response with status < 400.
    public var expect: Profile.Expect?
    /// Overrides the plan's timeout for this target.
    public var timeoutMicros: Int64?

    public init(name: String = "default", url: String, method: String = "GET", headers: [String] = [], body: [UInt8] = [],
                weight: Double = 1, expect: Profile.Expect? = nil, timeoutMicros: Int64? = nil) {
        self.name = name; self.url = url; self.method = method; self.headers = headers; self.body = body
        self.weight = weight; self.expect = expect; self.timeoutMicros = timeoutMicros
    }
}

/// A closed-model stage: concurrency moves linearly from where the previous stage ended to `concurrency`.
public struct ClosedStage: Sendable, Equatable {
    public var durationMicros: Int64
    public var concurrency: Int
    public init(durationMicros: Int64, concurrency: Int) { self.durationMicros = durationMicros; self.concurrency = concurrency }
}

/// A stretch of the run with a target load: a concurrency (closed model) or a rate reached linearly by the
/// stage's end (open model).
public struct Stage: Codable, Sendable, Equatable {
    /// nil: until the request count is reached.
    public var duration_us: Int64?
    public var concurrency: Int?
    /// Requests per second at the end of the stage (open model).
    public var rate: Double?

    public init(duration_us: Int64?, concurrency: Int? = nil, rate: Double? = nil) {
        self.duration_us = duration_us; self.concurrency = concurrency; self.rate = rate
    }
}

/// What a run does, fully resolved from flags (or a profile): pure data the engine executes.
public struct RunPlan: Sendable, Equatable {
    public enum Model: String, Sendable, Codable {
        /// Workers that send, wait for the response, and send again.
        case closed
        /// Requests due at times set by a rate, whatever the server does, through a bounded pool.
        case open
    }

    public var model: Model = .closed
    /// Closed model: workers, each with one request in flight at a time. Open model: the pool (max in flight).
    /// Either way, the most connections the run opens.
    public var concurrency: Int
    /// Open model: when each request is due.
    public var schedule: OpenSchedule?
    /// Open model: a request not sent within this long after its due time is dropped (and counted).
    public var maxLatenessMicros: Int64 = 0
    /// Closed model with stages: concurrency starts here and follows `closedStages` (k6 ramping-VUs semantics).
    public var startConcurrency = 0
    public var closedStages: [ClosedStage] = []
    /// Closed model: pause between a worker's requests.
    public var thinkTimeMicros: Int64 = 0
    /// Requests due in the first `warmupMicros` run but are kept out of the results (reported separately).
    public var warmupMicros: Int64 = 0
    /// Fixes the target choice (and Poisson arrivals).
    public var seed: UInt64 = 0
    /// The profile's name, when the plan came from one.
    public var name: String?
    /// The command-line flags that replaced part of the profile's load (`--concurrency 10`, `--duration 5s`).
    public var overrides: [String] = []
    /// This process runs one exact share of the plan (`--segment I/N`); every other field describes the whole plan.
    public var segment: Segment?
    /// TLS, HTTP version and connection controls.
    public var transport = Transport()
    /// Stream every request as an NDJSON line (`--raw`).
    public var recordRaw = false
    /// Stop after this many requests in total (nil: no count limit).
    public var requestLimit: Int?
    /// Stop sending after this long (nil: no time limit).
    public var durationMicros: Int64?
    public var targets: [RequestTarget]
    public var timeoutMicros: Int64
    public var connectTimeoutMicros: Int64
    /// Engine threads.
    public var threads: Int
    public var keepAlive: Bool
    /// "1.1" for now; the HTTP-version issue adds "2" and "auto".
    public var httpVersion: String = "1.1"
    /// Benchmark knobs for the engine (drive mode, pacer quantum): not recorded in the result, not in the fingerprint.
    public var engine = EngineTuning()

    public init(concurrency: Int, requestLimit: Int?, durationMicros: Int64?, targets: [RequestTarget],
                timeoutMicros: Int64, connectTimeoutMicros: Int64, threads: Int, keepAlive: Bool) {
        self.concurrency = concurrency; self.requestLimit = requestLimit; self.durationMicros = durationMicros
        self.targets = targets; self.timeoutMicros = timeoutMicros; self.connectTimeoutMicros = connectTimeoutMicros
        self.threads = threads; self.keepAlive = keepAlive
    }

    /// An open-model plan: requests due along `schedule`, at most `maxInFlight` at once.
    public static func open(schedule: OpenSchedule, maxInFlight: Int, maxLatenessMicros: Int64, requestLimit: Int?,
                            targets: [RequestTarget], timeoutMicros: Int64, connectTimeoutMicros: Int64, threads: Int,
                            keepAlive: Bool) -> RunPlan {
        var plan = RunPlan(concurrency: maxInFlight, requestLimit: requestLimit, durationMicros: schedule.totalDurationMicros,
                           targets: targets, timeoutMicros: timeoutMicros, connectTimeoutMicros: connectTimeoutMicros,
                           threads: threads, keepAlive: keepAlive)
        plan.model = .open
        plan.schedule = schedule
        plan.maxLatenessMicros = maxLatenessMicros
        return plan
    }

    /// A closed-model plan whose concurrency follows stages from `start`.
    public static func closedStages(_ stages: [ClosedStage], start: Int, requestLimit: Int?, targets: [RequestTarget],
                                    timeoutMicros: Int64, connectTimeoutMicros: Int64, threads: Int, keepAlive: Bool) -> RunPlan {
        let peak = Swift.max(start, stages.map(\.concurrency).max() ?? 0, 1)
        var plan = RunPlan(concurrency: peak, requestLimit: requestLimit,
                           durationMicros: stages.reduce(0) { $0 + $1.durationMicros }, targets: targets,
                           timeoutMicros: timeoutMicros, connectTimeoutMicros: connectTimeoutMicros, threads: threads,
                           keepAlive: keepAlive)
        plan.startConcurrency = start
        plan.closedStages = stages
        return plan
    }

    /// Connections a closed-model process opens at once at the start without `--preconnect`, above which the summary
    /// suggests it: more than nginx's default listen backlog (511) can overflow the accept queue, and a dropped SYN
    /// is retried a second later — inside the first requests' latency.
    public static let connectStormConnections = 512

    /// A one-line hint when this plan would open more than `connectStormConnections` connections at once; nil otherwise.
    public var connectStormHint: String? {
        guard model == .closed, keepAlive, !transport.preconnect else { return nil }
        let atStart = closedStages.isEmpty ? processConcurrency
            : (segment.map { $0.share(of: startConcurrency) } ?? startConcurrency)
        guard atStart >= Self.connectStormConnections else { return nil }
        return "hint: \(atStart) connections open at once at the start, which can overflow the server's listen backlog (nginx's default is 511) and put 1 s SYN retries into the first requests; --preconnect opens them 256 at a time before the clock starts"
    }

    /// Closed model: this process's concurrency at `micros` from the start — the whole plan's (linear within a stage,
    /// rounded down), split exactly when the plan is segmented.
    public func concurrency(atMicros micros: Int64) -> Int {
        let whole = wholeConcurrency(atMicros: micros)
        return segment.map { $0.share(of: whole) } ?? whole
    }

    /// The whole plan's closed-model concurrency at `micros`.
    public func wholeConcurrency(atMicros micros: Int64) -> Int {
        guard !closedStages.isEmpty else { return concurrency }
        var from = startConcurrency
        var t: Int64 = 0
        for s in closedStages {
            if micros < t + s.durationMicros {
                let f = Double(micros - t) / Double(Swift.max(1, s.durationMicros))
                return Int((Double(from) + Double(s.concurrency - from) * f).rounded(.down))
            }
            t += s.durationMicros
            from = s.concurrency
        }
        return from
    }

    /// How many stages the plan has (1 for a constant load).
    public var stageCount: Int { schedule?.stages.count ?? Swift.max(1, closedStages.count) }

    /// The stage (0-based) holding time `micros`; past the end, the last stage.
    /// Called per request by the engine when the plan has stages: no allocation.
    public func stageIndex(atMicros micros: Int64) -> Int {
        if let stages = schedule?.stages { return Self.index(of: micros, in: stages.lazy.map(\.durationMicros)) }
        return Self.index(of: micros, in: closedStages.lazy.map(\.durationMicros))
    }

    /// The index of the duration whose span holds `micros` when the durations are laid end to end; past the end, the
    /// last (0 when there is none).
    private static func index(of micros: Int64, in durations: some Collection<Int64>) -> Int {
        var end: Int64 = 0
        for (i, d) in durations.enumerated() {
            end += d
            if micros < end { return i }
        }
        return Swift.max(0, durations.count - 1)
    }

    /// Stage boundaries: (start µs, duration µs) for each stage.
    public var stageSpans: [(start: Int64, duration: Int64)] {
        let durations: [Int64] = schedule?.stages.map(\.durationMicros) ?? (closedStages.isEmpty ? [durationMicros ?? 0] : closedStages.map(\.durationMicros))
        var t: Int64 = 0
        return durations.map { d in defer { t += d }; return (t, d) }
    }

    /// The target of request k: a weighted pick from a hash of (seed, k), so runs are reproducible and a segmented
    /// run sends the same requests as a whole one.
    @inlinable
    public func targetIndex(forRequest k: Int) -> Int {
        if targets.count == 1 { return 0 }
        var rng = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: k) &* 0x9E37_79B9_7F4A_7C15))
        let u = Double(rng.next() >> 11) / Double(UInt64(1) << 53)
        var x = u * totalWeight
        for (i, t) in targets.enumerated() {
            if x < t.weight { return i }
            x -= t.weight
        }
        return targets.count - 1
    }

    public var totalWeight: Double { targets.reduce(0) { $0 + $1.weight } }

    /// Requests the plan schedules: the open model's count, or the closed model's `-n` (nil: time-bound).
    public var expectedRequests: Int? {
        if let schedule {
            let n = schedule.plannedRequests
            return requestLimit.map { Swift.min($0, n) } ?? n
        }
        return requestLimit
    }

    /// Workers (closed) or pool slots (open) this process runs: the whole plan's, or its segment's share.
    public var processConcurrency: Int { Swift.max(1, segment.map { $0.share(of: concurrency) } ?? concurrency) }

    /// The closed model's request budget of this process (its share of `-n`); the open model bounds the whole plan's
    /// request numbers instead, so there it stays whole.
    public var processRequestLimit: Int? {
        guard schedule == nil, let n = requestLimit else { return requestLimit }
        return segment.map { $0.share(of: n) } ?? n
    }

    /// Requests this process schedules (its segment's share of `expectedRequests`).
    public var processExpectedRequests: Int? {
        guard let whole = expectedRequests else { return nil }
        guard let seg = segment else { return whole }
        if schedule != nil { return seg.residueCount(below: whole) }
        return seg.share(of: whole)
    }

    /// Engine threads actually used: never more than there are workers.
    public var effectiveThreads: Int { Swift.max(1, Swift.min(threads, processConcurrency)) }

    /// File descriptors the plan needs: one per connection, a few per thread, and some headroom.
    public var descriptorsNeeded: Int { processConcurrency + 4 * effectiveThreads + 64 }
}

/// Header names whose values never reach an export, a report or a log.
public enum Redaction {
    public static let secretHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"]
    public static let mask = "[REDACTED]"

    /// `Name: value` with the value masked when the header carries a secret.
    public static func header(_ line: String) -> String {
        guard let colon = line.firstIndex(of: ":") else { return line }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        return secretHeaders.contains(name.lowercased()) ? "\(name): \(mask)" : line
    }

    /// A URL with the password of its userinfo masked (`http://user:[REDACTED]@host/`).
    public static func url(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let afterScheme = text[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return text }
        let userinfo = authority[..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":" + mask + String(text[at...])
    }
}

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

    public init(_ plan: RunPlan) {
        model = plan.model.rawValue
        concurrency = plan.concurrency
        requests = plan.requestLimit
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
        http_version = plan.httpVersion
    }

    // Encode nil limits as explicit nulls so the key set is the same in every result.
    enum CodingKeys: String, CodingKey {
        case model, concurrency, requests, duration_us, stages, targets, timeout_us, connect_timeout_us, threads, keepalive, http_version
        case expected_requests, start_rate, max_in_flight, max_lateness_us, arrival, seed
        case start_concurrency, think_time_us, warmup_us, name, overrides, segment, tls_verify, transport
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
    }
}

/// TLS, protocol and connection controls, set once on every easy handle.
public struct Transport: Sendable, Equatable {
    /// Skip certificate and host name verification (loudly noted in the summary and the result).
    public var insecure = false
    public var caCert: String?
    public var clientCert: String?
    public var clientKey: String?
    /// "1.2" or "1.3".
    public var tlsMin: String?
    /// `HOST:PORT:ADDR` (libcurl's CURLOPT_RESOLVE).
    public var resolve: [String] = []
    /// `HOST:PORT:HOST2:PORT2` (CURLOPT_CONNECT_TO).
    public var connectTo: [String] = []
    /// Streams per HTTP/2 connection (nil: the server's limit).
    public var maxStreams: Int?
    /// Follow up to this many redirects (nil: do not follow).
    public var followRedirects: Int?
    /// Ask for compressed bodies (Accept-Encoding) and count decoded bytes.
    public var compressed = false
    public var proxy: String?
    public var unixSocket: String?
    /// Local source addresses, used round-robin across connections.
    public var localAddresses: [String] = []
    /// Close and reopen a connection once it is this old (whole seconds).
    public var maxConnectionAgeMicros: Int64?
    /// Open every worker's connection before the clock starts (`--preconnect`): the connect phase.
    public var preconnect = false
    /// libcurl's receive buffer per connection (`--buffer-size`, bytes); nil: automatic.
    public var bufferSize: Int?

    /// From this many connections in one process, the automatic receive buffer is 4 KB instead of libcurl's 16 KB:
    /// −12 KB per connection (−105 MB at 10,000), and no slower there (bench/README.md).
    public static let smallBufferConnections = 1_000
    public static let smallBufferBytes = 4_096

    /// The CURLOPT_BUFFERSIZE to set for a process with `connections` connections; nil: libcurl's default (16 KB).
    public func effectiveBufferSize(connections: Int) -> Int? {
        if let bufferSize { return bufferSize }
        return connections >= Self.smallBufferConnections ? Self.smallBufferBytes : nil
    }

    public init() {}
}

/// One share of a plan split over N processes (`--segment I/N`, I from 1).
public struct Segment: Codable, Sendable, Equatable {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) { self.index = index; self.count = count }

    /// Parses `I/N`.
    public static func parse(_ text: String, flag: String) throws -> Segment {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(parts[1].trimmingCharacters(in: .whitespaces)), n >= 1, n <= 10_000, i >= 1, i <= n else {
            throw BarrageError.usage("\(flag) '\(text)': expected I/N with 1 ≤ I ≤ N ≤ 10000")
        }
        return Segment(index: i, count: n)
    }

    /// This segment's share of a whole that is split so the shares sum exactly (10 over 3 → 4, 3, 3).
    public func share(of whole: Int) -> Int {
        whole / count + (index - 1 < whole % count ? 1 : 0)
    }

    /// How many request numbers k < `whole` belong to this segment (k mod N == I − 1).
    public func residueCount(below whole: Int) -> Int {
        whole > index - 1 ? (whole - (index - 1) + count - 1) / count : 0
    }
}

extension PlanRecord {
    /// A short hash of the plan without what differs between its segments and repeats (threads, the segment):
    /// results with the same fingerprint ran the same plan.
    public var fingerprint: String {
        var c = self
        c.threads = 0
        c.segment = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(c)).map { Array($0) } ?? []
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 // FNV-1a
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
