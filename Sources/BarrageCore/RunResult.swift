import Foundation

/// The result of one run: the `barrage.result.v1` JSON document. Durations are integer microseconds.
/// Keys are a contract: later versions add keys, never rename or remove these.
public struct RunResult: Codable, Sendable, Equatable {
    public static let schemaID = "barrage.result.v1"

    public struct Requests: Codable, Sendable, Equatable {
        public var total: Int
        public var ok: Int
        public var failed: Int
        public var dropped: Int
    }
    public struct Throughput: Codable, Sendable, Equatable {
        /// (ok + failed) / duration.
        public var rps: Double
        public var ok_rps: Double
        /// Response bytes: headers and body.
        public var bytes_in: Int64
        /// Of `bytes_in`, the bodies alone.
        public var body_bytes_in: Int64
        public var bytes_out: Int64
        public var bytes_in_per_s: Double
    }
    public struct Phases: Codable, Sendable, Equatable {
        public var dns: HistogramSummary
        public var connect: HistogramSummary
        public var tls: HistogramSummary
        public var ttfb: HistogramSummary
        /// Time each transfer waited inside libcurl for a connection (`CURLINFO_QUEUE_TIME_T`): only where the loaded
        /// libcurl reports it (8.6 and later); absent on 7.88 and in older results.
        public var queue: HistogramSummary?
    }
    public struct Connections: Codable, Sendable, Equatable {
        public var new: Int
        public var reused: Int
    }

    /// Results for a part of the run: one target, one stage, or the warm-up.
    public struct Section: Codable, Sendable, Equatable {
        public var requests: Requests
        public var status_codes: [String: Int]
        public var errors: [String: Int]
        /// (ok + failed) per second over `duration_us`.
        public var rps: Double
        public var duration_us: Int64
        public var latency_us: HistogramSummary
        public var service_time_us: HistogramSummary

        public init(_ r: Recorder, durationMicros: Int64) {
            requests = Requests(total: r.total, ok: r.ok, failed: r.failed, dropped: r.dropped)
            status_codes = r.statusCounts
            errors = r.errorCounts
            duration_us = durationMicros
            rps = durationMicros > 0 ? Double(r.ok + r.failed) / (Double(durationMicros) / 1_000_000) : 0
            latency_us = HistogramSummary(r.latency)
            service_time_us = HistogramSummary(r.serviceTime)
        }
    }

    /// The connect phase (`--preconnect`): one request per worker on a connection of its own, before the clock
    /// started, at most `max_attempts_in_flight` at once. Kept out of every other number.
    public struct ConnectPhase: Codable, Sendable, Equatable {
        /// Connections opened (new connections libcurl reported for the phase's requests).
        public var connections: Int
        public var requests: Requests
        public var errors: [String: Int]
        /// From the first connection attempt to the start of the measured run.
        public var duration_us: Int64
        public var max_attempts_in_flight: Int
        /// TCP connect and TLS handshake times of the phase's new connections.
        public var connect_us: HistogramSummary
        public var tls_us: HistogramSummary

        public init(_ r: Recorder, durationMicros: Int64, attemptsInFlight: Int) {
            connections = r.connectionsNew
            requests = Requests(total: r.total, ok: r.ok, failed: r.failed, dropped: r.dropped)
            errors = r.errorCounts
            duration_us = durationMicros
            max_attempts_in_flight = attemptsInFlight
            connect_us = HistogramSummary(r.connect)
            tls_us = HistogramSummary(r.tls)
        }
    }

    /// One stage of the plan: its target load and what was achieved.
    public struct StageResult: Codable, Sendable, Equatable {
        /// Numbered from 1.
        public var stage: Int
        public var start_us: Int64
        public var duration_us: Int64
        /// Open model: the rate at the stage's end; closed: the concurrency.
        public var target_rate: Double?
        public var target_concurrency: Int?
        /// Open model: requests the schedule planned in this stage per second of it.
        public var target_rps: Double?
        public var achieved_rps: Double
        public var requests: Requests
        public var errors: [String: Int]
        public var latency_us: HistogramSummary
        public var service_time_us: HistogramSummary
    }

    public var schema: String = RunResult.schemaID
    public var barrage_version: String
    /// RFC 3339 UTC with milliseconds: when the first request was sent.
    public var started_at: String
    public var started_epoch_ms: Int64
    /// From the first send to the last completion.
    public var duration_us: Int64
    /// True when SIGINT/SIGTERM stopped the run early; the numbers cover what was measured until then.
    public var interrupted: Bool
    public var plan: PlanRecord
    public var requests: Requests
    /// Complete responses by status code.
    public var status_codes: [String: Int]
    /// Failures by error class.
    public var errors: [String: Int]
    public var throughput: Throughput
    /// From the moment each request was due (closed model: sent) to its completion, over complete responses.
    public var latency_us: HistogramSummary
    /// From the actual send to completion, over complete responses.
    public var service_time_us: HistogramSummary
    /// Actual send − due time over every request sent: how late the client itself was (0 in the closed model).
    public var send_lateness_us: HistogramSummary
    public var phases_us: Phases
    public var connections: Connections
    /// Samples above the histograms' one-hour range, recorded at the top of the range.
    public var clamped_samples: Int
    /// Transfers by the HTTP version actually negotiated: `{"HTTP/1.1": n, "HTTP/2": m}`.
    public var protocols: [String: Int] = [:]
    /// The first message seen for each error class (libcurl's explanation), e.g. `{"connect": "Failed to connect …"}`.
    public var error_messages: [String: String] = [:]
    /// Barrage's own CPU use during the run, to tell when the client itself was the bottleneck.
    public var client: ClientUsage? = nil

    public struct ClientUsage: Codable, Sendable, Equatable {
        public var cpu_user_us: Int64
        public var cpu_system_us: Int64
        public var threads: Int
        /// CPU time / (wall time × engine threads): near 1 means the engine threads were saturated.
        public var cpu_utilization: Double
        /// The libcurl the run was made with, as loaded at run time (`8.14.1 OpenSSL/3.0.17`): the same binary runs on
        /// 7.88.1 or 8.x and their numbers differ. Absent in results from before it was recorded.
        public var libcurl: String? = nil
        public init(cpu_user_us: Int64, cpu_system_us: Int64, threads: Int, cpu_utilization: Double) {
            self.cpu_user_us = cpu_user_us; self.cpu_system_us = cpu_system_us; self.threads = threads
            self.cpu_utilization = cpu_utilization
        }
    }
    public var timeline: [TimelineEntry]
    /// Per target (by name), when the plan has more than one target.
    public var targets: [String: Section] = [:]
    /// Per stage, when the plan has stages.
    public var stages: [StageResult] = []
    /// The warm-up (requests due before `plan.warmup_us`), kept out of every other number; nil without a warm-up.
    public var warmup: Section? = nil
    /// The connect phase before the clock started (`--preconnect`); nil without one.
    public var connect_phase: ConnectPhase? = nil
    /// Threshold results, when thresholds were given: `{expr, metric, scope, op, limit, actual, unit, ok}`.
    public var thresholds: [ThresholdResult] = []
    /// Why the run stopped early, when a gate stopped it (`abort_on_fail`); nil otherwise.
    public var aborted_by: String? = nil
    /// A hash of the plan without the segment: results of one plan share it (`barrage merge` checks it).
    public var plan_fingerprint: String = ""
    /// This process's share of a segmented plan (`--segment I/N`); absent otherwise.
    public var segment: Segment? = nil
    /// True for a merge that is missing segments (`barrage merge --allow-partial`); absent otherwise.
    public var partial: Bool? = nil
    /// Random, written when the run starts (or `BARRAGE_RUN_ID`, which the segments of one run may share): `merge`
    /// refuses to count one run twice. Absent in results written before it existed.
    public var run_id: String? = nil
    /// A merge's inputs and how its timeline was put together; absent for a single run.
    public var merged: MergedRuns? = nil
    /// A flow's iterations (a profile with `scenarios:`); absent for plain targets.
    public var iterations: Iterations? = nil
    /// A flow's groups by name; absent without any.
    public var groups: [String: Group]? = nil
    /// Several scenarios at once: each one's requests, iterations and groups by name; absent otherwise.
    public var scenarios: [String: ScenarioResult]? = nil
    /// The run's `setup:` (run once per run, or once per segment, before any load); absent without one. Its requests
    /// are not in `requests` or `targets`.
    public var setup: Setup? = nil
    /// A WebSocket run's messages (`barrage run ws://…`); absent for HTTP runs. Its handshakes are `requests`.
    public var messages: Messages? = nil

    public init(version: String, plan: RunPlan, recorder r: Recorder, timeline: [TimelineEntry],
                startedEpochMillis: Int64, durationMicros: Int64, interrupted: Bool) {
        self.init(version: version, planRecord: PlanRecord(plan), recorder: r, timeline: timeline,
                  startedEpochMillis: startedEpochMillis, durationMicros: durationMicros, interrupted: interrupted)
    }

    public init(version: String, planRecord: PlanRecord, recorder r: Recorder, timeline: [TimelineEntry],
                startedEpochMillis: Int64, durationMicros: Int64, interrupted: Bool) {
        barrage_version = version
        started_at = RunResult.rfc3339(epochMillis: startedEpochMillis)
        started_epoch_ms = startedEpochMillis
        duration_us = durationMicros
        self.interrupted = interrupted
        self.plan = planRecord
        plan_fingerprint = planRecord.fingerprint
        segment = planRecord.segment
        requests = Requests(total: r.total, ok: r.ok, failed: r.failed, dropped: r.dropped)
        status_codes = r.statusCounts
        errors = r.errorCounts
        let seconds = Double(durationMicros) / 1_000_000
        func per(_ v: Double) -> Double { seconds > 0 ? v / seconds : 0 }
        throughput = Throughput(rps: per(Double(r.ok + r.failed)), ok_rps: per(Double(r.ok)),
                                bytes_in: r.bytesIn, body_bytes_in: r.bodyBytesIn, bytes_out: r.bytesOut, bytes_in_per_s: per(Double(r.bytesIn)))
        latency_us = HistogramSummary(r.latency)
        service_time_us = HistogramSummary(r.serviceTime)
        send_lateness_us = HistogramSummary(r.sendLateness)
        phases_us = Phases(dns: HistogramSummary(r.dns), connect: HistogramSummary(r.connect),
                           tls: HistogramSummary(r.tls), ttfb: HistogramSummary(r.ttfb),
                           queue: r.queue.flatMap { $0.totalCount > 0 ? HistogramSummary($0) : nil })
        connections = Connections(new: r.connectionsNew, reused: r.connectionsReused)
        clamped_samples = r.clampedSamples
        for (i, label) in ["", "HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/3"].enumerated() where i > 0 && r.httpVersions[i] > 0 {
            protocols[label] = r.httpVersions[i]
        }
        self.timeline = timeline
    }

    /// `2026-11-25T18:12:49.123Z`
    public static func rfc3339(epochMillis: Int64) -> String {
        let seconds = epochMillis >= 0 ? epochMillis / 1000 : (epochMillis - 999) / 1000
        let millis = Int(epochMillis - seconds * 1000)
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ w: Int) -> String { String(repeating: "0", count: Swift.max(0, w - String(v).count)) + String(v) }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    /// The document as pretty-printed JSON with a trailing newline.
    public func jsonData() throws -> Data {
        try JSONOutput.encode(self)
    }

    public static func decode(_ data: Data) throws -> RunResult {
        try JSONDecoder().decode(RunResult.self, from: data)
    }
}

extension RunResult {
    /// Adds the per-target and per-stage sections from the engine's recorders (indexed like the plan's targets and stages).
    /// `runMicros` is the whole run (start to last completion), warm-up included.
    public mutating func addSections(plan: RunPlan, targets perTarget: [Recorder], stages perStage: [Recorder], warmup: Recorder?,
                                     runMicros: Int64) {
        if plan.targets.count > 1 {
            for (i, t) in plan.targets.enumerated() where i < perTarget.count {
                targets[t.name] = Section(perTarget[i], durationMicros: duration_us)
            }
        }
        let spans = plan.stageSpans
        if spans.count > 1 || plan.schedule != nil || !plan.closedStages.isEmpty {
            stages = spans.enumerated().map { i, span in
                let r = i < perStage.count ? perStage[i] : Recorder()
                // A stage's time runs from its start to its end, or to the last completion for the last stage.
                let end = i == spans.count - 1 ? Swift.max(span.start + span.duration, runMicros) : span.start + span.duration
                // The measured part of the stage starts after any warm-up.
                let measuredStart = Swift.min(Swift.max(span.start, plan.warmupMicros), end)
                let length = Double(Swift.max(1, end - measuredStart)) / 1_000_000
                var targetRPS: Double? = nil
                if let schedule = plan.schedule, i < schedule.stages.count {
                    let a = schedule.rate(atMicros: measuredStart), b = schedule.stages[i].rate
                    targetRPS = (a + b) / 2
                }
                return StageResult(
                    stage: i + 1, start_us: span.start, duration_us: span.duration,
                    target_rate: plan.schedule.map { i < $0.stages.count ? $0.stages[i].rate : 0 },
                    target_concurrency: plan.schedule == nil ? (plan.closedStages.isEmpty ? plan.concurrency : plan.closedStages[i].concurrency) : nil,
                    target_rps: targetRPS,
                    achieved_rps: Double(r.ok + r.failed) / length,
                    requests: Requests(total: r.total, ok: r.ok, failed: r.failed, dropped: r.dropped),
                    errors: r.errorCounts,
                    latency_us: HistogramSummary(r.latency),
                    service_time_us: HistogramSummary(r.serviceTime))
            }
        }
        if let warmup, plan.warmupMicros > 0 {
            self.warmup = Section(warmup, durationMicros: plan.warmupMicros)
        }
    }
}

// MARK: - Decoding files written by earlier versions
//
// Result keys are only ever added, so a baseline written by an older Barrage must still load: every key added after
// the first version decodes with a default when absent.

extension RunResult {
    enum CodingKeys: String, CodingKey {
        case schema, barrage_version, started_at, started_epoch_ms, duration_us, interrupted, plan, requests, status_codes,
             errors, throughput, latency_us, service_time_us, send_lateness_us, phases_us, connections, clamped_samples,
             timeline, targets, stages, warmup, thresholds, aborted_by, plan_fingerprint, segment, partial, protocols,
             error_messages, client, connect_phase, run_id, merged, iterations, groups, scenarios, setup, messages
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        barrage_version = try c.decodeIfPresent(String.self, forKey: .barrage_version) ?? "unknown"
        started_at = try c.decode(String.self, forKey: .started_at)
        started_epoch_ms = try c.decode(Int64.self, forKey: .started_epoch_ms)
        duration_us = try c.decode(Int64.self, forKey: .duration_us)
        interrupted = try c.decodeIfPresent(Bool.self, forKey: .interrupted) ?? false
        plan = try c.decode(PlanRecord.self, forKey: .plan)
        requests = try c.decode(Requests.self, forKey: .requests)
        status_codes = try c.decode([String: Int].self, forKey: .status_codes)
        errors = try c.decode([String: Int].self, forKey: .errors)
        throughput = try c.decode(Throughput.self, forKey: .throughput)
        latency_us = try c.decode(HistogramSummary.self, forKey: .latency_us)
        service_time_us = try c.decode(HistogramSummary.self, forKey: .service_time_us)
        send_lateness_us = try c.decodeIfPresent(HistogramSummary.self, forKey: .send_lateness_us) ?? .empty
        phases_us = try c.decode(Phases.self, forKey: .phases_us)
        connections = try c.decode(Connections.self, forKey: .connections)
        clamped_samples = try c.decodeIfPresent(Int.self, forKey: .clamped_samples) ?? 0
        timeline = try c.decode([TimelineEntry].self, forKey: .timeline)
        targets = try c.decodeIfPresent([String: Section].self, forKey: .targets) ?? [:]
        stages = try c.decodeIfPresent([StageResult].self, forKey: .stages) ?? []
        warmup = try c.decodeIfPresent(Section.self, forKey: .warmup)
        thresholds = try c.decodeIfPresent([ThresholdResult].self, forKey: .thresholds) ?? []
        aborted_by = try c.decodeIfPresent(String.self, forKey: .aborted_by)
        plan_fingerprint = try c.decodeIfPresent(String.self, forKey: .plan_fingerprint) ?? plan.fingerprint
        segment = try c.decodeIfPresent(Segment.self, forKey: .segment)
        partial = try c.decodeIfPresent(Bool.self, forKey: .partial)
        protocols = try c.decodeIfPresent([String: Int].self, forKey: .protocols) ?? [:]
        error_messages = try c.decodeIfPresent([String: String].self, forKey: .error_messages) ?? [:]
        client = try c.decodeIfPresent(ClientUsage.self, forKey: .client)
        connect_phase = try c.decodeIfPresent(ConnectPhase.self, forKey: .connect_phase)
        run_id = try c.decodeIfPresent(String.self, forKey: .run_id)
        merged = try c.decodeIfPresent(MergedRuns.self, forKey: .merged)
        iterations = try c.decodeIfPresent(Iterations.self, forKey: .iterations)
        groups = try c.decodeIfPresent([String: Group].self, forKey: .groups)
        scenarios = try c.decodeIfPresent([String: ScenarioResult].self, forKey: .scenarios)
        setup = try c.decodeIfPresent(Setup.self, forKey: .setup)
        messages = try c.decodeIfPresent(Messages.self, forKey: .messages)
    }
}

extension RunResult.Throughput {
    enum CodingKeys: String, CodingKey { case rps, ok_rps, bytes_in, body_bytes_in, bytes_out, bytes_in_per_s }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rps = try c.decode(Double.self, forKey: .rps)
        ok_rps = try c.decode(Double.self, forKey: .ok_rps)
        bytes_in = try c.decode(Int64.self, forKey: .bytes_in)
        body_bytes_in = try c.decodeIfPresent(Int64.self, forKey: .body_bytes_in) ?? 0
        bytes_out = try c.decode(Int64.self, forKey: .bytes_out)
        bytes_in_per_s = try c.decode(Double.self, forKey: .bytes_in_per_s)
    }
}

extension PlanRecord.Target {
    enum CodingKeys: String, CodingKey { case name, url, method, headers, body_bytes, weight }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        url = try c.decode(String.self, forKey: .url)
        method = try c.decode(String.self, forKey: .method)
        headers = try c.decode([String].self, forKey: .headers)
        body_bytes = try c.decode(Int.self, forKey: .body_bytes)
        weight = try c.decodeIfPresent(Double.self, forKey: .weight) ?? 1
    }
}

extension TimelineEntry {
    enum CodingKeys: String, CodingKey {
        case t_s, epoch_s, requests, ok, failed, dropped, rps, in_flight, in_flight_max, in_flight_mean, length_s,
             p50_us, p99_us, max_us, errors, hdr, targets_hdr, target, iterations, iterations_failed, messages, messages_failed
    }

    /// Files written before `length_s` existed: a bucket's length is read back from its rate (answered / rps, at most
    /// a second), and a rate over less than `minimumRateSeconds` is dropped as a new file would have it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        t_s = try c.decode(Int.self, forKey: .t_s)
        epoch_s = try c.decode(Double.self, forKey: .epoch_s)
        requests = try c.decode(Int.self, forKey: .requests)
        ok = try c.decode(Int.self, forKey: .ok)
        failed = try c.decode(Int.self, forKey: .failed)
        dropped = try c.decode(Int.self, forKey: .dropped)
        rps = try c.decodeIfPresent(Double.self, forKey: .rps)
        in_flight = try c.decode(Int.self, forKey: .in_flight)
        in_flight_max = try c.decodeIfPresent(Int.self, forKey: .in_flight_max)
        in_flight_mean = try c.decodeIfPresent(Double.self, forKey: .in_flight_mean)
        p50_us = try c.decode(Int64.self, forKey: .p50_us)
        p99_us = try c.decode(Int64.self, forKey: .p99_us)
        max_us = try c.decode(Int64.self, forKey: .max_us)
        errors = try c.decodeIfPresent([String: Int].self, forKey: .errors) ?? [:]
        hdr = try c.decodeIfPresent(String.self, forKey: .hdr)
        targets_hdr = try c.decodeIfPresent([String: String].self, forKey: .targets_hdr)
        target = try c.decodeIfPresent(Double.self, forKey: .target)
        iterations = try c.decodeIfPresent(Int.self, forKey: .iterations)
        iterations_failed = try c.decodeIfPresent(Int.self, forKey: .iterations_failed)
        messages = try c.decodeIfPresent(Int.self, forKey: .messages)
        messages_failed = try c.decodeIfPresent(Int.self, forKey: .messages_failed)
        if let length = try c.decodeIfPresent(Double.self, forKey: .length_s) {
            length_s = length
        } else {
            let answered = ok + failed
            if let r = rps, r > 0, answered > 0, Double(answered) / r < 1 { length_s = Double(answered) / r } else { length_s = 1 }
            if length_s < TimelineEntry.minimumRateSeconds { rps = nil }
        }
    }

    /// As synthesized, except that a missing rate is written as `null` (the key is always there).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(t_s, forKey: .t_s)
        try c.encode(epoch_s, forKey: .epoch_s)
        try c.encode(requests, forKey: .requests)
        try c.encode(ok, forKey: .ok)
        try c.encode(failed, forKey: .failed)
        try c.encode(dropped, forKey: .dropped)
        try c.encode(rps, forKey: .rps)
        try c.encode(in_flight, forKey: .in_flight)
        try c.encodeIfPresent(in_flight_max, forKey: .in_flight_max)
        try c.encodeIfPresent(in_flight_mean, forKey: .in_flight_mean)
        try c.encode(length_s, forKey: .length_s)
        try c.encode(p50_us, forKey: .p50_us)
        try c.encode(p99_us, forKey: .p99_us)
        try c.encode(max_us, forKey: .max_us)
        try c.encode(errors, forKey: .errors)
        try c.encodeIfPresent(hdr, forKey: .hdr)
        try c.encodeIfPresent(targets_hdr, forKey: .targets_hdr)
        try c.encodeIfPresent(target, forKey: .target)
        try c.encodeIfPresent(iterations, forKey: .iterations)
        try c.encodeIfPresent(iterations_failed, forKey: .iterations_failed)
        try c.encodeIfPresent(messages, forKey: .messages)
        try c.encodeIfPresent(messages_failed, forKey: .messages_failed)
    }
}
