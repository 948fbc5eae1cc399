import Foundation

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
