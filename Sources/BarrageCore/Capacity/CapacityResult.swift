import Foundation

/// One step of a capacity search as the `barrage.capacity.v1` document records it.
public struct CapacityStepRecord: Codable, Sendable, Equatable {
    public struct Latency: Codable, Sendable, Equatable {
        public var p50: Int64
        public var p90: Int64
        public var p99: Int64
        public var p999: Int64
        public var max: Int64

        public init(p50: Int64, p90: Int64, p99: Int64, p999: Int64, max: Int64) {
            self.p50 = p50; self.p90 = p90; self.p99 = p99; self.p999 = p999; self.max = max
        }

        public init(_ s: HistogramSummary) {
            self.init(p50: s.p50, p90: s.p90, p99: s.p99, p999: s.p99_9, max: s.max)
        }
    }

    /// From 1.
    public var index: Int
    public var phase: CapacitySearch.Phase
    public var offered_rps: Double
    /// (ok + failed) per second of the measured part.
    public var achieved_rps: Double
    /// The measured part (after the warm-up), µs.
    public var duration_us: Int64
    /// Requests of the measured part: ok + failed + dropped.
    public var requests: Int
    public var ok: Int
    public var failed: Int
    public var dropped: Int
    /// failed / (ok + failed).
    public var error_rate: Double
    public var latency_us: Latency
    /// Requests in flight, averaged over the measured seconds.
    public var in_flight_mean: Double
    public var send_lateness_p99_us: Int64
    /// The engine threads' CPU utilisation (0…1), when measured.
    public var cpu: Double?
    public var verdict: CapacitySearch.StepVerdict
    /// Stable strings: a word, a colon, the detail (see `CapacityStep.Judgement`).
    public var reasons: [String]
    /// True when the step was stopped early because it had clearly failed.
    public var ended_early: Bool
    /// The step's pool (max in flight), from Little's law.
    public var max_in_flight: Int
    /// Requests sent in the warm-up (ok + failed), kept out of every number above.
    public var warmup_requests: Int
    /// Requests of the connect phase (one per connection opened before the step's clock started).
    public var connect_requests: Int

    public init(index: Int, phase: CapacitySearch.Phase, offeredRPS: Double, result r: RunResult, inFlightMean: Double,
                verdict: CapacitySearch.StepVerdict, reasons: [String], endedEarly: Bool, maxInFlight: Int,
                openScenarios: [String] = []) {
        self.index = index
        self.phase = phase
        offered_rps = offeredRPS
        achieved_rps = CapacityStep.achievedRPS(r, openScenarios: openScenarios)
        duration_us = r.duration_us
        requests = r.requests.total
        ok = r.requests.ok
        failed = r.requests.failed
        dropped = r.requests.dropped
        error_rate = r.requests.errorRate
        latency_us = Latency(r.latency_us)
        in_flight_mean = inFlightMean
        send_lateness_p99_us = r.send_lateness_us.p99
        cpu = r.client?.cpu_utilization
        self.verdict = verdict
        self.reasons = reasons
        ended_early = endedEarly
        max_in_flight = maxInFlight
        warmup_requests = r.warmup.map { $0.requests.ok + $0.requests.failed } ?? 0
        connect_requests = r.connect_phase?.requests.total ?? 0
    }

    /// Requests in flight over the measured seconds, weighted by each second's measured length.
    public static func inFlightMean(_ r: RunResult) -> Double {
        var weighted = 0.0, seconds = 0.0
        for e in r.timeline where e.length_s > 0 {
            guard let m = e.in_flight_mean else { continue }
            weighted += m * e.length_s
            seconds += e.length_s
        }
        return seconds > 0 ? weighted / seconds : 0
    }
}

/// The `barrage.capacity.v1` document: the search's settings, its answer and every step.
public struct CapacityResult: Codable, Sendable, Equatable {
    public static let schemaID = "barrage.capacity.v1"

    public struct Bracket: Codable, Sendable, Equatable {
        /// The highest rate that held; nil when none did.
        public var low: Double?
        /// The lowest rate that failed (or flipped on confirmation); nil when none did.
        public var high: Double?

        public init(low: Double?, high: Double?) { self.low = low; self.high = high }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(low, forKey: .low)
            try c.encode(high, forKey: .high)
        }
    }

    /// What the search's rates count: a URL's or a profile's requests, a flow's iterations (a flow's step rate is of
    /// iterations, and so is its achieved rate), or with several scenarios both added up (some flows, some not).
    public enum RateUnit: String, Codable, Sendable, Equatable {
        case requests, iterations, mixed

        /// The unit printed after a rate: `req/s`, `iterations/s`, or `arrivals/s` (a request of a scenario without a
        /// flow, or an iteration of a flow's).
        public var perSecond: String {
            switch self {
            case .requests: return "req/s"
            case .iterations: return "iterations/s"
            case .mixed: return "arrivals/s"
            }
        }
    }

    public var schema = CapacityResult.schemaID
    /// Barrage's version.
    public var version: String
    public var started_at: String
    public var run_id: String?
    /// The URL (credentials redacted) or the profile's path.
    public var target: String
    /// The SLO expressions as given.
    public var slos: [String]
    /// Fraction: bisection stops when (high − low) ≤ precision × low.
    public var precision: Double
    public var from: Double
    public var max: Double
    public var budget_us: Int64?
    public var min_rate: Double?
    /// What every rate here counts (`requests`, `iterations`, `mixed`); absent from documents written before it, which
    /// were of requests (`rateUnit`).
    public var rate_unit: RateUnit?
    public var verdict: CapacitySearch.Verdict?
    /// The confirmed capacity (verdict `found`); nil otherwise.
    public var capacity_rps: Double?
    /// The rate the service held at least: the highest clean pass (the "≥" of `client_bound`, `max_reached`, `budget`).
    public var at_least_rps: Double?
    public var bracket: Bracket
    /// True when a signal stopped the search; `verdict` is then nil.
    public var interrupted: Bool
    public var steps: [CapacityStepRecord]
    /// The Universal Scalability Law fitted to the steps' (in flight, achieved rate) and where its curve bends; nil
    /// with fewer than 3 usable steps (passed, or achieving 95 % of their offered rate).
    public var usl: USLSummary?

    public struct USLSummary: Codable, Sendable, Equatable {
        /// Throughput at one request in flight (req/s), contention and coherency, and the fit's R².
        public var lambda: Double
        public var sigma: Double
        public var kappa: Double
        public var r2: Double
        /// The fitted curve's maximum (req/s); nil when it never peaks (κ = 0).
        public var peak_rps: Double?
        /// Where the curve bends (efficiency half of one request's; `scale`'s knee): nil when it does not within
        /// twice the highest in-flight mean measured.
        public var knee_rps: Double?

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(lambda, forKey: .lambda); try c.encode(sigma, forKey: .sigma); try c.encode(kappa, forKey: .kappa)
            try c.encode(r2, forKey: .r2); try c.encode(peak_rps, forKey: .peak_rps); try c.encode(knee_rps, forKey: .knee_rps)
        }
    }

    public init(version: String, startedEpochMillis: Int64, runID: String?, target: String, slos: [String],
                settings: CapacitySearch.Settings, minRate: Double?, search: CapacitySearch, steps: [CapacityStepRecord],
                interrupted: Bool, rateUnit: RateUnit = .requests) {
        self.version = version
        started_at = RunResult.rfc3339(epochMillis: startedEpochMillis)
        run_id = runID
        self.target = target
        self.slos = slos
        precision = settings.precision
        from = settings.fromRPS
        max = settings.maxRPS
        budget_us = settings.budgetMicros
        min_rate = minRate
        rate_unit = rateUnit
        verdict = interrupted ? nil : search.verdict
        capacity_rps = interrupted ? nil : search.capacityRPS
        at_least_rps = search.atLeastRPS
        bracket = Bracket(low: search.lowRPS, high: search.highRPS)
        self.interrupted = interrupted
        self.steps = steps
        usl = nil
        let (fit, bend) = CapacityFigure.usl(figureInput)
        usl = fit.map { USLSummary(lambda: $0.lambda, sigma: $0.sigma, kappa: $0.kappa, r2: $0.r2, peak_rps: $0.peakRPS, knee_rps: bend) }
    }

    enum CodingKeys: String, CodingKey {
        case schema, version, started_at, run_id, target, slos, precision, from, max, budget_us, min_rate, rate_unit, verdict,
             capacity_rps, at_least_rps, bracket, interrupted, steps, usl
    }

    /// Nullable keys are written as null, not left out: readers find every key.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(version, forKey: .version)
        try c.encode(started_at, forKey: .started_at)
        try c.encode(run_id, forKey: .run_id)
        try c.encode(target, forKey: .target)
        try c.encode(slos, forKey: .slos)
        try c.encode(precision, forKey: .precision)
        try c.encode(from, forKey: .from)
        try c.encode(max, forKey: .max)
        try c.encode(budget_us, forKey: .budget_us)
        try c.encode(min_rate, forKey: .min_rate)
        try c.encode(rateUnit, forKey: .rate_unit)
        try c.encode(verdict, forKey: .verdict)
        try c.encode(capacity_rps, forKey: .capacity_rps)
        try c.encode(at_least_rps, forKey: .at_least_rps)
        try c.encode(bracket, forKey: .bracket)
        try c.encode(interrupted, forKey: .interrupted)
        try c.encode(steps, forKey: .steps)
        try c.encode(usl, forKey: .usl)
    }

    /// What the rates count; requests for a document written before `rate_unit`.
    public var rateUnit: RateUnit { rate_unit ?? .requests }

    public func jsonData() throws -> Data { try JSONOutput.encode(self) }

    public static func decode(_ data: Data) throws -> CapacityResult {
        try JSONDecoder().decode(CapacityResult.self, from: data)
    }
}
