import Foundation

/// One kind of request the plan sends.
public struct RequestTarget: Sendable, Equatable {
    public var name: String
    public var url: String
    public var method: String
    /// Header lines as `Name: value`.
    public var headers: [String]
    public var body: [UInt8]

    public init(name: String = "default", url: String, method: String = "GET", headers: [String] = [], body: [UInt8] = []) {
        self.name = name; self.url = url; self.method = method; self.headers = headers; self.body = body
    }
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

    /// Requests the plan schedules: the open model's count, or the closed model's `-n` (nil: time-bound).
    public var expectedRequests: Int? {
        if let schedule {
            let n = schedule.plannedRequests
            return requestLimit.map { Swift.min($0, n) } ?? n
        }
        return requestLimit
    }

    /// Engine threads actually used: never more than there are workers.
    public var effectiveThreads: Int { Swift.max(1, Swift.min(threads, concurrency)) }

    /// File descriptors the plan needs: one per connection, a few per thread, and some headroom.
    public var descriptorsNeeded: Int { concurrency + 4 * effectiveThreads + 64 }
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
        } else {
            stages = [Stage(duration_us: plan.durationMicros, concurrency: plan.concurrency)]
        }
        expected_requests = plan.expectedRequests
        targets = plan.targets.map {
            Target(name: $0.name, url: Redaction.url($0.url), method: $0.method,
                   headers: $0.headers.map(Redaction.header), body_bytes: $0.body.count)
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
    }
}
