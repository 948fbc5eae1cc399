import Foundation

/// What a run does, fully resolved from flags (or a profile): pure data the engine executes.
public struct RunPlan: Sendable, Equatable {
    public enum Model: String, Sendable, Codable {
        /// Workers that send, wait for the response, and send again.
        case closed
        /// Requests due at times set by a rate, whatever the server does, through a bounded pool.
        case open
    }

    /// How load is offered: closed stages or an open schedule.
    public var load: LoadModel
    /// What each request is.
    public var workload: Workload
    /// TLS, HTTP version and connection controls.
    public var transport: Transport
    /// This process runs one exact share of the plan (`--segment I/N`); every other field describes the whole plan.
    public var segment: Segment?
    /// Stop after this many requests in total (nil: no count limit).
    public var requestLimit: Int?
    /// Requests due in the first `warmupMicros` run but are kept out of the results (reported separately).
    public var warmupMicros: Int64 = 0
    /// Engine threads.
    public var threads: Int
    /// The profile's name, when the plan came from one.
    public var name: String?
    /// The command-line flags that replaced part of the profile's load (`--concurrency 10`, `--duration 5s`).
    public var overrides: [String] = []
    /// Stream every request as an NDJSON line (`--raw`).
    public var recordRaw = false
    /// Benchmark knobs for the engine (drive mode, pacer quantum): not recorded in the result, not in the fingerprint.
    public var engine = EngineTuning()
    /// Several scenarios at once: each lane's own plan, run side by side. Empty for a plan that is one load (then
    /// everything above describes it); otherwise `load` is only the sum of the lanes (their connections, the end of
    /// the last) and `workload.targets` the union of their steps.
    public var lanes: [ScenarioLane] = []
    /// The run's `setup:` (a scenario profile's): run once before any load, its captures then given to the flows
    /// (`withRunValues`). Nil without one; its steps are `PlanRecord.setup`.
    public var runSetup: RunSetupPlan? = nil

    /// The plan; `PlanBuilder` makes it from flags or a profile.
    public init(load: LoadModel, workload: Workload, transport: Transport = Transport(), requestLimit: Int? = nil,
                threads: Int) {
        self.load = load; self.workload = workload; self.transport = transport
        self.requestLimit = requestLimit; self.threads = threads
    }

    // MARK: - Views of the load model, read-only (change `load` to change them)

    public var model: Model { load.kind }
    /// Closed model: the most workers at once. Open model: the pool (max in flight). Either way, the most connections
    /// the run opens.
    public var concurrency: Int { load.connections }
    /// Open model: when each request is due.
    public var schedule: OpenSchedule? {
        if case .open(let o) = load { return o.schedule }
        return nil
    }
    /// Open model: the lateness after which a request is dropped; 0 in the closed model.
    public var maxLatenessMicros: Int64 {
        if case .open(let o) = load { return o.maxLatenessMicros }
        return 0
    }
    /// Closed model with stages: where concurrency starts.
    public var startConcurrency: Int {
        if case .closed(let c) = load, case .stages(let start, _) = c.shape { return start }
        return 0
    }
    /// Closed model: the stages (empty for a constant load and the open model).
    public var closedStages: [ClosedStage] {
        if case .closed(let c) = load, case .stages(_, let stages) = c.shape { return stages }
        return []
    }
    /// Closed model: pause between a worker's requests.
    public var thinkTimeMicros: Int64 {
        if case .closed(let c) = load { return c.thinkTimeMicros }
        return 0
    }
    /// Stop sending after this long (nil: no time limit).
    public var durationMicros: Int64? { load.durationMicros }

    // MARK: - Views of the workload and transport

    public var targets: [RequestTarget] { workload.targets }
    public var seed: UInt64 { workload.seed }
    public var timeoutMicros: Int64 { workload.timeoutMicros }
    public var connectTimeoutMicros: Int64 { transport.connectTimeoutMicros }
    public var keepAlive: Bool { transport.keepAlive }
    public var httpVersion: String { transport.httpVersion }

    /// Connections a closed-model process opens at once at the start without `--preconnect`, above which the summary
    /// suggests it: more than nginx's default listen backlog (511) can overflow the accept queue, and a dropped SYN
    /// is retried a second later — inside the first requests' latency.
    public static let connectStormConnections = 512

    /// A one-line hint when this plan would open more than `connectStormConnections` connections at once; nil otherwise.
    public var connectStormHint: String? {
        guard model == .closed, keepAlive, !transport.preconnect, workload.webSocket == nil else { return nil } // WebSocket: no --preconnect
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
        guard case .closed(let c) = load else { return concurrency }
        return c.workers(atMicros: micros)
    }

    /// How many stages the plan has (1 for a constant load).
    public var stageCount: Int { load.stageCount }

    /// The stage (0-based) holding time `micros`; past the end, the last stage.
    /// Called per request by the engine when the plan has stages: no allocation.
    public func stageIndex(atMicros micros: Int64) -> Int {
        switch load {
        case .open(let o): return Self.index(of: micros, in: o.schedule.stages.lazy.map(\.durationMicros))
        case .closed(let c):
            guard case .stages(_, let stages) = c.shape else { return 0 }
            return Self.index(of: micros, in: stages.lazy.map(\.durationMicros))
        }
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
        var t: Int64 = 0
        return load.stageDurations.map { d in defer { t += d }; return (t, d) }
    }

    /// The target of request k (see `Workload.targetIndex`).
    @inlinable
    public func targetIndex(forRequest k: Int) -> Int { workload.targetIndex(forRequest: k) }

    public var totalWeight: Double { workload.totalWeight }

    /// Requests the plan schedules: the open model's count, or the closed model's `-n` (nil: time-bound).
    public var expectedRequests: Int? {
        guard workload.flow == nil else { return nil } // a flow's steps per iteration vary with failures
        guard workload.webSocket == nil else { return nil } // -n counts messages; handshakes vary with reconnects
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
        guard model == .closed, let n = requestLimit else { return requestLimit }
        return segment.map { $0.share(of: n) } ?? n
    }

    /// A WebSocket run's message budget for this process: its segment's share of `-n` (which counts messages) in
    /// either model — the open model's arrivals are connections, so `-n` does not bound them as it bounds requests.
    public var processMessageLimit: Int? {
        guard let n = requestLimit else { return nil }
        return segment.map { $0.share(of: n) } ?? n
    }

    /// Open model: which numbers of the schedule (requests, or a WebSocket run's connection arrivals) engine thread
    /// `thread` of this process takes — k with k ≡ `offset` (mod `stride`). Number k belongs to segment (k mod N) + 1
    /// and, within it, to thread t of T every T-th time; the segments' threads together take every number once.
    public func scheduleShare(thread: Int) -> (offset: Int, stride: Int) {
        let n = segment?.count ?? 1
        let segmentOffset = (segment?.index ?? 1) - 1
        return (segmentOffset + n * thread, n * effectiveThreads)
    }

    /// A flow's iterations in the whole plan: the scenario's `iterations:`, capped by `-n` (nil: time-bound).
    public var iterationLimit: Int? {
        guard let flow = workload.flow else { return nil }
        switch (flow.iterations, requestLimit) {
        case (let a?, let b?): return Swift.min(a, b)
        case (let a, let b): return a ?? b
        }
    }

    /// This process's share of `iterationLimit` (closed model).
    public var processIterationLimit: Int? {
        guard let n = iterationLimit else { return nil }
        return segment.map { $0.share(of: n) } ?? n
    }

    /// Requests this process schedules (its segment's share of `expectedRequests`).
    public var processExpectedRequests: Int? {
        guard let whole = expectedRequests else { return nil }
        guard let seg = segment else { return whole }
        if model == .open { return seg.residueCount(below: whole) }
        return seg.share(of: whole)
    }

    /// Engine threads actually used: never more than there are workers.
    public var effectiveThreads: Int { Swift.max(1, Swift.min(threads, processConcurrency)) }

    /// File descriptors the plan needs: one per connection, a few per thread, and some headroom.
    public var descriptorsNeeded: Int { processConcurrency + 4 * effectiveThreads + 64 }
}
