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

/// A stretch of the run with a target load. The closed model's load is a concurrency.
public struct Stage: Codable, Sendable, Equatable {
    /// nil: until the request count is reached.
    public var duration_us: Int64?
    public var concurrency: Int
}

/// What a run does, fully resolved from flags (or a profile): pure data the engine executes.
public struct RunPlan: Sendable, Equatable {
    public enum Model: String, Sendable, Codable { case closed }

    public var model: Model = .closed
    /// Workers, each with one request in flight at a time.
    public var concurrency: Int
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

    public init(_ plan: RunPlan) {
        model = plan.model.rawValue
        concurrency = plan.concurrency
        requests = plan.requestLimit
        duration_us = plan.durationMicros
        stages = [Stage(duration_us: plan.durationMicros, concurrency: plan.concurrency)]
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
    }
}
