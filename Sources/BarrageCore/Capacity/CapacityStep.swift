import Foundation

/// One step of a capacity search: how it is planned (pool, warm-up, duration) and how it is judged from its
/// `RunResult`. Pure.
public enum CapacityStep {
    /// The pool never shrinks below this many requests in flight.
    public static let minimumPool = 16
    /// Nor grows beyond this (the descriptor check then refuses what the machine cannot open).
    public static let maximumPool = 10_000
    /// Little's law headroom: the pool holds twice the requests a steady step keeps in flight.
    public static let poolHeadroom = 2.0
    /// Without a latency SLO or an observed p99, the latency the pool is sized for.
    public static let defaultLatencyMicros: Int64 = 100_000
    /// A step fails when it achieved less than this share of the offered rate.
    public static let minimumAchievedShare = 0.95
    /// In flight is "growing" when the last third's mean exceeds the first third's by this factor…
    public static let growingFactor = 2.0
    /// …and by at least this many requests (so 1 → 3 in flight on a fast service is not a queue).
    public static let growingFloor = 8.0
    /// The client saturated: its engine threads used at least this share of their CPU…
    public static let saturatedCPU = 0.9
    /// …or requests waited to be sent (p99) at least this long, and at least half the tightest latency SLO (half of
    /// 100 ms without one), while the pool had free slots: lateness that alone would take half the SLO's room.
    public static let saturatedLatenessMicros: Int64 = 10_000

    /// A step, planned.
    public struct Plan: Sendable, Equatable {
        public var rateRPS: Double
        /// The pool (max in flight).
        public var maxInFlight: Int
        /// Kept out of the numbers, at the start of the step.
        public var warmupMicros: Int64
        /// The measured part, after the warm-up.
        public var measureMicros: Int64
        /// Samples the SLOs need (1,000 for a p99, 10,000 for a p99.9, 100 otherwise).
        public var samplesNeeded: Int

        /// Warm-up and measured part: how long requests are sent.
        public var totalMicros: Int64 { warmupMicros + measureMicros }
    }

    /// Samples a set of SLOs needs to mean anything: 10,000 for a p99.9 (or finer), 1,000 for a p99, else 100.
    public static func samplesNeeded(_ slos: [Threshold]) -> Int {
        var needed = 100
        for t in slos {
            guard let stat = t.metric.split(separator: ".", maxSplits: 1).last.map(String.init), t.unit == Threshold.BaseUnit.micros
            else { continue }
            switch stat {
            case "p99.9", "p99.99": needed = Swift.max(needed, 10_000)
            case "p99": needed = Swift.max(needed, 1_000)
            default: break
            }
        }
        return needed
    }

    /// The tightest latency limit among the SLOs (µs), nil when none bounds a latency from above.
    public static func latencyLimitMicros(_ slos: [Threshold]) -> Int64? {
        slos.filter { $0.unit == Threshold.BaseUnit.micros && ($0.op == .lt || $0.op == .le) }.map { Int64($0.limit) }.max()
    }

    /// Plans a step at `rate`: the pool from Little's law, `rate × max(SLO latency, last p99) × 2`, between 16 and
    /// 10,000; the measured part `max(stepDuration, samplesNeeded ÷ rate)`.
    public static func plan(rateRPS rate: Double, slos: [Threshold], warmupMicros: Int64, stepDurationMicros: Int64,
                            lastP99Micros: Int64? = nil) -> Plan {
        let latency = Swift.max(latencyLimitMicros(slos) ?? defaultLatencyMicros, lastP99Micros ?? 0)
        let inFlight = rate * Double(latency) / 1_000_000 * poolHeadroom
        let pool = Swift.min(maximumPool, Swift.max(minimumPool, Int(inFlight.rounded(.up))))
        let samples = samplesNeeded(slos)
        let forSamples = Int64((Double(samples) / Swift.max(rate, 1e-9) * 1_000_000).rounded(.up))
        return Plan(rateRPS: rate, maxInFlight: pool, warmupMicros: warmupMicros,
                    measureMicros: Swift.max(stepDurationMicros, forSamples), samplesNeeded: samples)
    }

    /// A step's verdict and why. Reasons are stable strings: a word, a colon, the detail
    /// (`slo: p99 < 60ms measured 80ms`, `dropped: 12`, `underachieved: …`, `queue_growing: …`, `client_saturated: …`,
    /// `no_ok_response`).
    public struct Judgement: Sendable, Equatable {
        public var verdict: CapacitySearch.StepVerdict
        public var reasons: [String]
        /// The step's SLOs, evaluated.
        public var slos: [ThresholdResult]
    }

    /// Judges a step: SLOs by the threshold evaluation; drops, an achieved rate below 95 % of `offered`, or in flight
    /// growing through the step fail it whatever the SLOs say; a step that failed while the client saturated is
    /// client-bound, unless the service failed on its own (its queue grew, or an SLO fails on the service time).
    /// `openScenarios`: with several scenarios, the open-model ones, whose rates add up to the offered one (closed ones
    /// run beside them as written).
    public static func judge(result r: RunResult, slos: [Threshold], offeredRPS offered: Double, pool: Int,
                             openScenarios: [String] = [], unit: CapacityResult.RateUnit = .requests) -> Judgement {
        var fails: [String] = []
        let evaluated = ThresholdEvaluator.evaluate(slos, on: r)
        for e in evaluated where !e.ok {
            fails.append("slo: \(Threshold.oneLine(e.expr.trimmingCharacters(in: .whitespaces))) measured \(e.measuredText)")
        }
        if r.requests.dropped > 0 { fails.append("dropped: \(r.requests.dropped)") }
        let achieved = achievedRPS(r, openScenarios: openScenarios)
        if achieved < offered * minimumAchievedShare {
            fails.append("underachieved: \(fixed(achieved, 1)) of \(fixed(offered, 1)) \(unit.perSecond)")
        }
        if let growth = inFlightGrowth(r), growth.isGrowing {
            fails.append("queue_growing: in flight \(fixed(growth.first, 1)) → \(fixed(growth.last, 1))")
        }
        if RunOutcome.measuredNothing(r.requests) { fails.append("no_ok_response") }
        // A step that held is a pass even when the client strained (its latency, counted from the due times, only
        // looks worse for it). One that failed while the client saturated says nothing about the service — unless the
        // service failed on its own: a queue growing, or an SLO broken on the service time alone (from the actual
        // send, without the client's lateness).
        let saturation = fails.isEmpty ? [] : clientSaturation(r, pool: pool, latencyLimitMicros: latencyLimitMicros(slos))
        if !saturation.isEmpty && !failsOnServiceTime(r, slos: slos) && !fails.contains(where: { $0.hasPrefix("queue_growing") }) {
            return Judgement(verdict: .clientBound, reasons: saturation + fails, slos: evaluated)
        }
        return Judgement(verdict: fails.isEmpty ? .pass : .fail, reasons: fails, slos: evaluated)
    }

    /// Whether an SLO fails with every latency taken from the actual send (the service time) instead of the due time.
    static func failsOnServiceTime(_ r: RunResult, slos: [Threshold]) -> Bool {
        var service = r
        service.latency_us = r.service_time_us
        return ThresholdEvaluator.evaluate(slos, on: service).contains { !$0.ok }
    }

    /// What the step achieved of the rate it offered, per second of the measured part: requests (ok + failed), or a
    /// flow's iterations (a flow's rate is of iterations); with several scenarios, the open-model ones' added up.
    public static func achievedRPS(_ r: RunResult, openScenarios: [String] = []) -> Double {
        if !openScenarios.isEmpty, let scenarios = r.scenarios {
            return openScenarios.compactMap { name in
                scenarios[name].map { $0.iterations?.rate ?? $0.requests.rps }
            }.reduce(0, +)
        }
        return r.iterations?.rate ?? r.throughput.rps
    }

    /// In flight over the measured seconds: the mean of the first third's and the last third's `in_flight_mean`
    /// (seconds wholly measured, at least 3 of them); nil with fewer.
    public static func inFlightGrowth(_ r: RunResult) -> (first: Double, last: Double, isGrowing: Bool)? {
        let means = r.timeline.filter { $0.length_s >= 0.999 }.compactMap(\.in_flight_mean)
        guard means.count >= 3 else { return nil }
        let third = means.count / 3
        let first = means.prefix(third).reduce(0, +) / Double(third)
        let last = means.suffix(third).reduce(0, +) / Double(third)
        return (first, last, last > first * growingFactor && last - first > growingFloor)
    }

    /// The signals `run`'s saturation warnings use: the engine threads' CPU near full, or send lateness while the
    /// pool had room (a full pool's lateness is the server's doing) large against the latency SLO. Empty when the
    /// client kept up.
    public static func clientSaturation(_ r: RunResult, pool: Int, latencyLimitMicros: Int64? = nil) -> [String] {
        var out: [String] = []
        if let c = r.client, c.cpu_utilization >= saturatedCPU, r.duration_us >= 1_000_000 {
            out.append("client_saturated: engine CPU \(fixed(c.cpu_utilization * 100, 0)) %")
        }
        let peak = r.timeline.compactMap(\.in_flight_max).max() ?? 0
        let lateness = Swift.max(saturatedLatenessMicros, (latencyLimitMicros ?? defaultLatencyMicros) / 2)
        if r.send_lateness_us.p99 > lateness && peak < pool {
            out.append("client_saturated: send lateness p99 \(DurationParser.format(micros: r.send_lateness_us.p99)) with the pool not full")
        }
        return out
    }

    /// During a step: why it has clearly failed already, or nil. Drops, or a latency SLO broken by 2× or more on at
    /// least its sample minimum.
    public static func clearlyFailed(sofar r: RunResult, slos: [Threshold], samplesNeeded: Int) -> String? {
        if r.requests.dropped > 0 { return "dropped: \(r.requests.dropped)" }
        guard r.latency_us.count >= samplesNeeded else { return nil }
        for t in slos where t.unit == Threshold.BaseUnit.micros && (t.op == .lt || t.op == .le) && t.scope == .run {
            let e = ThresholdEvaluator.evaluate(t, on: r)
            if let actual = e.actual, actual >= 2 * t.limit {
                return "slo: \(Threshold.oneLine(t.expr.trimmingCharacters(in: .whitespaces))) measured \(e.measuredText), twice the limit"
            }
        }
        return nil
    }

    /// SLOs that make no sense for a search (exit 2): a `stage:` scope, or an `rps` metric (the search sets the rate).
    public static func refusal(_ t: Threshold) -> String? {
        if case .stage = t.scope { return "a capacity step has no stages; drop the stage: scope" }
        if t.metric == "rps" { return "the search sets the rate; use --min-rate R to require a capacity" }
        return nil
    }
}
