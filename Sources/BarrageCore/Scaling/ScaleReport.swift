import Foundation

/// One concurrency level of a scaling sweep, as measured.
public struct ScaleLevel: Codable, Sendable, Equatable {
    public var concurrency: Int
    /// The level's wall time: from the start (all connections warm) to the last completion.
    public var duration_us: Int64
    public var requests: RunResult.Requests
    public var throughput: RunResult.Throughput
    public var latency_us: HistogramSummary
    public var service_time_us: HistogramSummary
    public var errors: [String: Int]
    public var status_codes: [String: Int]
    /// Throughput relative to the baseline level (the lowest, normally 1: the sequential baseline).
    public var speedup: Double
    /// speedup / (concurrency / baseline concurrency): 1 is perfect scaling.
    public var efficiency: Double
    /// Requests in flight, averaged over the level's time (measured by the engine).
    public var in_flight: Double
    /// Little's law: throughput × mean latency. Should match `in_flight`; a lower value means time outside requests.
    public var littles_law_in_flight: Double
    /// Connection setup (TCP connect) of the warm-up requests, kept out of the comparison.
    public var connection_setup_us: HistogramSummary
    /// True when not one request of the level was ok: it measured nothing (its rate is of attempts). False in files
    /// written before the key existed.
    public var no_ok_response: Bool

    public init(concurrency: Int, result r: RunResult, inFlight: Double, connectionSetup: HistogramSummary) {
        self.concurrency = concurrency
        duration_us = r.duration_us
        requests = r.requests
        throughput = r.throughput
        latency_us = r.latency_us
        service_time_us = r.service_time_us
        errors = r.errors
        status_codes = r.status_codes
        speedup = 1
        efficiency = 1
        in_flight = inFlight
        littles_law_in_flight = r.throughput.rps * Double(r.latency_us.mean) / 1_000_000
        connection_setup_us = connectionSetup
        no_ok_response = RunOutcome.measuredNothing(r.requests)
    }

    enum CodingKeys: String, CodingKey {
        case concurrency, duration_us, requests, throughput, latency_us, service_time_us, errors, status_codes, speedup,
             efficiency, in_flight, littles_law_in_flight, connection_setup_us, no_ok_response
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        concurrency = try c.decode(Int.self, forKey: .concurrency)
        duration_us = try c.decode(Int64.self, forKey: .duration_us)
        requests = try c.decode(RunResult.Requests.self, forKey: .requests)
        throughput = try c.decode(RunResult.Throughput.self, forKey: .throughput)
        latency_us = try c.decode(HistogramSummary.self, forKey: .latency_us)
        service_time_us = try c.decode(HistogramSummary.self, forKey: .service_time_us)
        errors = try c.decode([String: Int].self, forKey: .errors)
        status_codes = try c.decode([String: Int].self, forKey: .status_codes)
        speedup = try c.decode(Double.self, forKey: .speedup)
        efficiency = try c.decode(Double.self, forKey: .efficiency)
        in_flight = try c.decode(Double.self, forKey: .in_flight)
        littles_law_in_flight = try c.decode(Double.self, forKey: .littles_law_in_flight)
        connection_setup_us = try c.decode(HistogramSummary.self, forKey: .connection_setup_us)
        no_ok_response = try c.decodeIfPresent(Bool.self, forKey: .no_ok_response) ?? false
    }
}

/// The `barrage.scale.v1` document: levels, their speedups, and the Universal Scalability Law fitted to them.
public struct ScaleResult: Codable, Sendable, Equatable {
    public static let schemaID = "barrage.scale.v1"

    public struct Plan: Codable, Sendable, Equatable {
        public var levels: [Int]
        public var requests_per_level: Int?
        public var duration_per_level_us: Int64?
        public var targets: [PlanRecord.Target]
        public var timeout_us: Int64
        public var threads: Int

        public init(levels: [Int], requests_per_level: Int?, duration_per_level_us: Int64?, targets: [PlanRecord.Target],
                    timeout_us: Int64, threads: Int) {
            self.levels = levels; self.requests_per_level = requests_per_level; self.duration_per_level_us = duration_per_level_us
            self.targets = targets; self.timeout_us = timeout_us; self.threads = threads
        }
    }

    public var schema = ScaleResult.schemaID
    public var barrage_version: String
    public var started_at: String
    public var plan: Plan
    public var levels: [ScaleLevel]
    /// nil when fewer than 3 levels or the data cannot be fitted.
    public var usl: USLFit?
    /// The concurrency of the first level whose efficiency falls below 50 %, nil when none does.
    public var knee: Int?
    /// Plain-language caveats: too few levels, a poor fit, errors at some level.
    public var notes: [String]

    public init(version: String, startedEpochMillis: Int64, plan: Plan, levels measured: [ScaleLevel]) {
        barrage_version = version
        started_at = RunResult.rfc3339(epochMillis: startedEpochMillis)
        self.plan = plan
        var levels = measured.sorted { $0.concurrency < $1.concurrency }
        var notes: [String] = []
        if let base = levels.first, base.throughput.rps > 0 {
            for i in levels.indices {
                levels[i].speedup = levels[i].throughput.rps / base.throughput.rps
                levels[i].efficiency = levels[i].speedup / (Double(levels[i].concurrency) / Double(base.concurrency))
            }
            if base.concurrency != 1 {
                notes.append("the lowest level is \(base.concurrency), not 1: speedups are relative to it")
            }
        }
        self.levels = levels
        // A level with no ok response measured nothing: its rate is of attempts, so it stays out of the fit and the knee.
        let measuredLevels = levels.filter { !$0.no_ok_response }
        let n = measuredLevels.map { Double($0.concurrency) }
        let x = measuredLevels.map { $0.throughput.rps }
        usl = measuredLevels.count >= 3 ? USL.fit(concurrency: n, throughput: x) : nil
        if levels.count < 4 {
            notes.append("only \(levels.count) level\(levels.count == 1 ? "" : "s"): at least 4 are needed for a meaningful scalability fit")
        }
        if let fit = usl, fit.r2 < 0.9 {
            notes.append("the USL fit is poor (R² = \(fixed(fit.r2, 2))): the model does not describe this target well")
        }
        if let k = USL.knee(concurrency: measuredLevels.map(\.concurrency), throughput: x) {
            knee = measuredLevels[k].concurrency
        } else {
            knee = nil
        }
        let destination = RunOutcome.Destination(targets: plan.targets)
        for l in levels where l.requests.failed > 0 || l.no_ok_response {
            if l.no_ok_response {
                notes.append("level \(l.concurrency): no ok response: " + RunOutcome.explain(
                    requests: l.requests, statusCodes: l.status_codes, errors: l.errors, destination: destination)
                    + " (left out of the fit)")
                continue
            }
            let share = Double(l.requests.failed) / Double(max(1, l.requests.ok + l.requests.failed))
            notes.append("level \(l.concurrency): \(l.requests.failed) failed requests (\(fixed(share * 100, 1)) %)")
        }
        self.notes = notes
    }

    enum CodingKeys: String, CodingKey { case schema, barrage_version, started_at, plan, levels, usl, knee, notes }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(barrage_version, forKey: .barrage_version)
        try c.encode(started_at, forKey: .started_at)
        try c.encode(plan, forKey: .plan)
        try c.encode(levels, forKey: .levels)
        try c.encode(usl, forKey: .usl)   // explicit null when absent
        try c.encode(knee, forKey: .knee)
        try c.encode(notes, forKey: .notes)
    }

    public func jsonData() throws -> Data {
        try JSONOutput.encode(self)
    }

    public var chartPoints: [ScaleSeriesPoint] {
        levels.map { ScaleSeriesPoint(concurrency: $0.concurrency, rps: $0.throughput.rps, speedup: $0.speedup) }
    }

    /// The per-level table as CSV (one header line, one line per level; durations in µs).
    public var csv: String {
        var out = "concurrency,wall_us,requests,rps,speedup,efficiency,p50_us,p99_us,errors,in_flight,littles_law_in_flight\n"
        for l in levels {
            out += "\(l.concurrency),\(l.duration_us),\(l.requests.total),\(fixed(l.throughput.rps, 3)),\(fixed(l.speedup, 4)),"
                + "\(fixed(l.efficiency, 4)),\(l.latency_us.p50),\(l.latency_us.p99),\(l.requests.failed),"
                + "\(fixed(l.in_flight, 3)),\(fixed(l.littles_law_in_flight, 3))\n"
        }
        return out
    }

    /// The human table, the USL summary and the caveats.
    public var text: String {
        let header = ["level", "wall", "req/s", "speedup", "eff", "p50", "p99", "errors", "in-flight", "X·W"]
        var rows = [header]
        for l in levels {
            rows.append([
                String(l.concurrency) + (l.no_ok_response ? " ✗" : ""), DurationParser.format(micros: l.duration_us), fixed(l.throughput.rps, 1),
                fixed(l.speedup, 2) + "×", fixed(l.efficiency * 100, 0) + "%",
                DurationParser.format(micros: l.latency_us.p50), DurationParser.format(micros: l.latency_us.p99),
                String(l.requests.failed), fixed(l.in_flight, 1), fixed(l.littles_law_in_flight, 1),
            ])
        }
        var widths = Array(repeating: 0, count: header.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = rows.map { r in
            "  " + r.enumerated().map { i, c in String(repeating: " ", count: widths[i] - c.count) + c }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
        out += "  (X·W: Little's law, throughput × mean latency; it should match the measured in-flight count)\n"
        if levels.contains(where: \.no_ok_response) {
            out += "  (✗: no ok response at that level — it measured nothing, its req/s counts attempts)\n"
        }
        out += "\n"
        if let fit = usl {
            out += "  USL fit: λ = \(fixed(fit.lambda, 1)) req/s per request in flight · σ (contention) = \(fixed(fit.sigma, 4))"
                + " · κ (coherency) = \(fixed(fit.kappa, 6)) · R² = \(fixed(fit.r2, 3))\n"
            if let peak = fit.peakConcurrency, let rps = fit.peakRPS {
                out += "  predicted peak: \(fixed(rps, 0)) req/s at \(fixed(peak, 0)) requests in flight\n"
            } else {
                out += "  no peak within the model (κ = 0): throughput keeps rising"
                    + (fit.sigma > 0 ? ", flattening towards λ/σ = \(fixed(fit.lambda / fit.sigma, 0)) req/s\n" : "\n")
            }
        }
        if let knee { out += "  knee: efficiency first falls below 50 % at \(knee) in flight\n" }
        else { out += "  knee: efficiency stays at or above 50 % at every level\n" }
        for n in notes { out += "  note: \(n)\n" }
        return out
    }
}
