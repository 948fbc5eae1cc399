import Foundation
import Histogram

/// Merges results of the same plan — repeated runs, or the segments of a segmented run — exactly: counters add,
/// histograms add (decoded from each summary's `hdr`), percentiles are recomputed from the merged histograms. A
/// WebSocket run's `messages` add the same way (`RunResult.Messages.merged`).
/// Timelines: segments share one clock, repeated runs are concatenated (`MergedTimeline`). No run is counted twice
/// (`MergedRuns.checkNoRunTwice`).
public enum ResultMerge {
    /// Throws `BarrageError.usage` naming the problem: another schema, the same run twice, a missing histogram,
    /// different plans (unless `force`), or a foreign histogram layout.
    public static func merge(_ inputs: [(name: String, result: RunResult)], force: Bool = false,
                             allowPartial: Bool = false) throws -> RunResult {
        guard let first = inputs.first else { throw BarrageError.usage("merge: no inputs") }
        for (name, r) in inputs where r.schema != RunResult.schemaID {
            throw BarrageError.usage("\(name): schema \(r.schema), expected \(RunResult.schemaID)")
        }
        try MergedRuns.checkNoRunTwice(inputs)
        let missing = try checkSegments(inputs, allowPartial: allowPartial)
        if !force {
            let base = comparablePlan(first.result.plan)
            for (name, r) in inputs.dropFirst() {
                let other = comparablePlan(r.plan)
                if other.fingerprint != base.fingerprint {
                    throw BarrageError.usage(planMismatch(name, first.name, differences(base, other)))
                }
            }
        }
        var total = Recorder()
        var warm = Recorder()
        var anyWarm = false
        for (name, r) in inputs {
            total.merge(try recorder(of: r, name: name))
            if let w = r.warmup { warm.merge(try recorder(section: w, name: name + " warmup")); anyWarm = true }
        }
        // The run's time: the union of the inputs' [start, end] spans (parallel segments overlap; repeats add up).
        let spans = inputs.map { (start: $0.result.started_epoch_ms * 1000, end: $0.result.started_epoch_ms * 1000 + $0.result.duration_us) }
            .sorted { $0.start < $1.start }
        var duration: Int64 = 0
        var current: (start: Int64, end: Int64)? = nil
        for s in spans {
            if let c = current, s.start <= c.end { current = (c.start, Swift.max(c.end, s.end)) }
            else { if let c = current { duration += c.end - c.start }; current = s }
        }
        if let c = current { duration += c.end - c.start }
        let startMillis = inputs.map(\.result.started_epoch_ms).min() ?? first.result.started_epoch_ms
        var plan = first.result.plan
        plan.segment = nil
        let clock: MergedRuns.Clock = inputs.contains { $0.result.segment != nil } ? .shared : .concatenated
        let (timeline, offsets) = try MergedTimeline.merge(inputs, clock: clock)
        var merged = RunResult(version: first.result.barrage_version, planRecord: plan, recorder: total,
                               timeline: timeline, startedEpochMillis: startMillis,
                               durationMicros: duration, interrupted: inputs.contains { $0.result.interrupted })
        let parts = inputs.indices.flatMap { MergedRuns.parts(of: inputs[$0].result, offset: offsets[$0]) }
            .sorted { ($0.t_s, $0.segment?.index ?? 0, $0.started_epoch_ms) < ($1.t_s, $1.segment?.index ?? 0, $1.started_epoch_ms) }
        let runs = clock == .shared ? 1 : inputs.reduce(0) { $0 + ($1.result.merged?.runs ?? 1) }
        merged.merged = MergedRuns(runs: runs, clock: clock, parts: parts)
        merged.run_id = mergedRunID(parts)
        // Per-target and per-stage sections.
        var targetNames: [String] = []
        for (_, r) in inputs { for k in r.targets.keys where !targetNames.contains(k) { targetNames.append(k) } }
        for t in targetNames {
            var rec = Recorder()
            for (name, r) in inputs { if let s = r.targets[t] { rec.merge(try recorder(section: s, name: "\(name) targets.\(t)")) } }
            merged.targets[t] = RunResult.Section(rec, durationMicros: duration)
        }
        let stageCount = inputs.map(\.result.stages.count).max() ?? 0
        for i in 0..<stageCount {
            var rec = Recorder()
            var template: RunResult.StageResult? = nil
            var achieved = 0.0
            for (name, r) in inputs where i < r.stages.count {
                let st = r.stages[i]
                template = template ?? st
                achieved += st.achieved_rps
                rec.merge(try recorder(stage: st, name: "\(name) stages[\(i)]"))
            }
            guard var st = template else { continue }
            st.requests = RunResult.Requests(total: rec.total, ok: rec.ok, failed: rec.failed, dropped: rec.dropped)
            st.errors = rec.errorCounts
            st.latency_us = HistogramSummary(rec.latency)
            st.service_time_us = HistogramSummary(rec.serviceTime)
            st.achieved_rps = achieved
            merged.stages.append(st)
        }
        if anyWarm { merged.warmup = RunResult.Section(warm, durationMicros: first.result.warmup?.duration_us ?? 0) }
        // Connect phases: counts add, histograms merge exactly, the longest phase is the merged one's length.
        let phases = inputs.compactMap { i in i.result.connect_phase.map { (name: i.name, phase: $0) } }
        if let first = phases.first?.phase {
            var rec = Recorder()
            for (name, p) in phases { rec.merge(try recorder(connectPhase: p, name: name + " connect_phase")) }
            merged.connect_phase = RunResult.ConnectPhase(rec, durationMicros: phases.map(\.phase.duration_us).max() ?? 0,
                                                          attemptsInFlight: first.max_attempts_in_flight)
        }
        // A flow's iterations and groups (and, with several scenarios, each one's): counts add, histograms merge
        // exactly, rates are over the merged time.
        merged.iterations = try mergedIterations(inputs.compactMap { i in i.result.iterations.map { (i.name, $0) } },
                                                 durationMicros: duration)
        merged.groups = try mergedGroups(inputs.map { ($0.name, $0.result.groups) })
        // A WebSocket run's messages: counts add, histograms merge exactly, the rate is over the merged time.
        merged.messages = try RunResult.Messages.merged(inputs.map { ($0.name, $0.result.messages) }, durationMicros: duration)
        // Each segment ran the whole setup once: their setups add.
        merged.setup = try RunResult.Setup.merged(inputs.map { ($0.name, $0.result.setup) })
        var scenarioNames: [String] = []
        for (_, r) in inputs { for k in (r.scenarios ?? [:]).keys.sorted() where !scenarioNames.contains(k) { scenarioNames.append(k) } }
        if !scenarioNames.isEmpty {
            var scenarios: [String: RunResult.ScenarioResult] = [:]
            for s in scenarioNames {
                let parts = inputs.compactMap { i in i.result.scenarios?[s].map { (name: i.name, part: $0) } }
                var rec = Recorder()
                for (name, part) in parts { rec.merge(try recorder(section: part.requests, name: "\(name) scenarios.\(s).requests")) }
                scenarios[s] = RunResult.ScenarioResult(
                    start_after_us: parts.first?.part.start_after_us ?? 0,
                    requests: RunResult.Section(rec, durationMicros: parts.map(\.part.requests.duration_us).max() ?? 0),
                    iterations: try mergedIterations(parts.compactMap { p in p.part.iterations.map { ("\(p.name) scenarios.\(s)", $0) } },
                                                     durationMicros: parts.map(\.part.requests.duration_us).max() ?? 0),
                    groups: try mergedGroups(parts.map { ("\($0.name) scenarios.\(s)", $0.part.groups) }))
            }
            merged.scenarios = scenarios
        }
        if !missing.isEmpty { merged.partial = true }
        return merged
    }

    /// Iteration sections added: counts, and the duration histograms from their `hdr`; nil when there is none.
    static func mergedIterations(_ parts: [(String, RunResult.Iterations)], durationMicros: Int64) throws -> RunResult.Iterations? {
        guard let first = parts.first?.1 else { return nil }
        var rec = IterationRecorder()
        for (name, it) in parts {
            rec.completed += it.completed; rec.failed += it.failed; rec.interrupted += it.interrupted; rec.dropped += it.dropped
            let d = try histogram(it.duration_us, "\(name) iterations.duration_us")
            let w = try histogram(it.duration_without_think_us, "\(name) iterations.duration_without_think_us")
            if d.totalCount > 0 { rec.duration.add(d) }
            if w.totalCount > 0 { rec.durationWithoutThink.add(w) }
            for d in it.data_exhausted ?? [] { rec.noteExhausted(d) }
        }
        return RunResult.Iterations(scenario: first.scenario, rec, durationMicros: durationMicros)
    }

    /// Group sections added by name; nil when there is none.
    static func mergedGroups(_ parts: [(String, [String: RunResult.Group]?)]) throws -> [String: RunResult.Group]? {
        var names: [String] = []
        for (_, g) in parts { for k in (g ?? [:]).keys.sorted() where !names.contains(k) { names.append(k) } }
        guard !names.isEmpty else { return nil }
        var groups: [String: RunResult.Group] = [:]
        for g in names {
            var rec = GroupRecorder()
            for (name, part) in parts {
                guard let p = part?[g] else { continue }
                rec.ok += p.ok; rec.failed += p.failed
                let h = try histogram(p.duration_us, "\(name) groups.\(g).duration_us")
                if h.totalCount > 0 { rec.duration.add(h) }
            }
            groups[g] = RunResult.Group(rec)
        }
        return groups
    }

    /// Segments: one plan fingerprint, one N, and each index 1…N exactly once. Returns the missing indices (only
    /// when `allowPartial`); throws naming a duplicated or missing segment.
    static func checkSegments(_ inputs: [(name: String, result: RunResult)], allowPartial: Bool) throws -> [Int] {
        let segmented = inputs.filter { $0.result.segment != nil }
        guard !segmented.isEmpty else { return [] }
        if let whole = inputs.first(where: { $0.result.segment == nil }) {
            throw BarrageError.usage("\(whole.name): not a segment, but \(segmented[0].name) is; merge segments of one plan together")
        }
        let first = segmented[0]
        let n = first.result.segment!.count
        var seen: [Int: String] = [:]
        for (name, r) in segmented {
            let seg = r.segment!
            guard seg.count == n else {
                throw BarrageError.usage("\(name): segment \(seg.index)/\(seg.count), but \(first.name) is one of \(n)")
            }
            guard r.plan_fingerprint == first.result.plan_fingerprint else {
                throw BarrageError.usage("\(name): plan fingerprint \(r.plan_fingerprint) differs from \(first.name)'s \(first.result.plan_fingerprint): not segments of the same plan")
            }
            if let other = seen[seg.index] {
                throw BarrageError.usage("segment \(seg.index)/\(n) appears twice (\(other) and \(name))")
            }
            seen[seg.index] = name
        }
        let missing = (1...n).filter { seen[$0] == nil }
        if !missing.isEmpty && !allowPartial {
            let list = missing.map { "\($0)/\(n)" }.joined(separator: ", ")
            throw BarrageError.usage("segment\(missing.count == 1 ? "" : "s") \(list) missing; merge all \(n) or pass --allow-partial")
        }
        return missing
    }

    /// The plan without what legitimately differs between segments or repeats (threads, the segment).
    static func comparablePlan(_ p: PlanRecord) -> PlanRecord {
        var c = p
        c.threads = 0
        c.segment = nil
        return c
    }

    /// The `plans differ: FIELD OLD → NEW` lines `compare` prints, from the first input's plan to this one's.
    static func differences(_ a: PlanRecord, _ b: PlanRecord) -> [String] {
        let lines = Compare.planWarnings(a, b)
        return lines.isEmpty ? ["plans differ"] : lines
    }

    /// The refusal: the files first, then one line per difference.
    static func planMismatch(_ name: String, _ firstName: String, _ lines: [String]) -> String {
        "\(name): its plan differs from \(firstName)'s (use --force to merge anyway):\n"
            + lines.map { "  " + $0 }.joined(separator: "\n")
    }

    /// The merge's own run id: the one its parts share (the segments of one run started with `BARRAGE_RUN_ID`), or
    /// one derived from its parts, so that the same inputs always give the same id.
    static func mergedRunID(_ parts: [MergedRuns.Part]) -> String {
        let ids = Set(parts.compactMap(\.run_id))
        if ids.count == 1, parts.allSatisfy({ $0.run_id != nil }) { return ids.first! }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 // FNV-1a over each part's identity
        for p in parts {
            let key = "\(p.run_id ?? "-")|\(p.segment.map { "\($0.index)/\($0.count)" } ?? "-")|\(p.started_epoch_ms)|\(p.plan_fingerprint)|\(p.requests.total);"
            for b in key.utf8 { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        }
        let hex = String(hash, radix: 16)
        return "merge-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Rebuilds what a result measured as a Recorder, from its counters and its histograms' `hdr` blobs.
    public static func recorder(of r: RunResult, name: String) throws -> Recorder {
        var rec = Recorder()
        rec.latency = try histogram(r.latency_us, "\(name): latency_us")
        rec.serviceTime = try histogram(r.service_time_us, "\(name): service_time_us")
        rec.sendLateness = try histogram(r.send_lateness_us, "\(name): send_lateness_us")
        rec.dns = try histogram(r.phases_us.dns, "\(name): phases_us.dns")
        rec.connect = try histogram(r.phases_us.connect, "\(name): phases_us.connect")
        rec.tls = try histogram(r.phases_us.tls, "\(name): phases_us.tls")
        rec.ttfb = try histogram(r.phases_us.ttfb, "\(name): phases_us.ttfb")
        if let queue = r.phases_us.queue { rec.queue = try histogram(queue, "\(name): phases_us.queue") }
        fill(&rec, requests: r.requests, statuses: r.status_codes, errors: r.errors)
        rec.bytesIn = r.throughput.bytes_in
        rec.bodyBytesIn = r.throughput.body_bytes_in
        rec.bytesOut = r.throughput.bytes_out
        rec.connectionsNew = r.connections.new
        rec.connectionsReused = r.connections.reused
        rec.clampedSamples = r.clamped_samples
        rec.firstSendMicros = 0
        rec.lastDoneMicros = r.duration_us
        return rec
    }

    static func recorder(section s: RunResult.Section, name: String) throws -> Recorder {
        var rec = Recorder()
        rec.latency = try histogram(s.latency_us, "\(name).latency_us")
        rec.serviceTime = try histogram(s.service_time_us, "\(name).service_time_us")
        fill(&rec, requests: s.requests, statuses: s.status_codes, errors: s.errors)
        return rec
    }

    static func recorder(stage s: RunResult.StageResult, name: String) throws -> Recorder {
        var rec = Recorder()
        rec.latency = try histogram(s.latency_us, "\(name).latency_us")
        rec.serviceTime = try histogram(s.service_time_us, "\(name).service_time_us")
        fill(&rec, requests: s.requests, statuses: [:], errors: s.errors)
        return rec
    }

    static func recorder(connectPhase p: RunResult.ConnectPhase, name: String) throws -> Recorder {
        var rec = Recorder()
        rec.connect = try histogram(p.connect_us, "\(name).connect_us")
        rec.tls = try histogram(p.tls_us, "\(name).tls_us")
        fill(&rec, requests: p.requests, statuses: [:], errors: p.errors)
        rec.connectionsNew = p.connections
        return rec
    }

    private static func fill(_ rec: inout Recorder, requests: RunResult.Requests, statuses: [String: Int], errors: [String: Int]) {
        rec.ok = requests.ok
        rec.failed = requests.failed
        rec.dropped = requests.dropped
        for (code, n) in statuses { if let c = Int(code), c >= 0, c < rec.statuses.count { rec.statuses[c] += n } }
        for (cls, n) in errors { if let c = ErrorClass(rawValue: cls) { rec.errors[c.index] += n } else { rec.errors[ErrorClass.other.index] += n } }
    }

    static func histogram(_ s: HistogramSummary, _ what: String) throws -> LatencyHistogram {
        if s.count == 0 && s.hdr == nil { return LatencyHistograms.make() }
        do {
            guard let h = try s.histogram() else {
                throw BarrageError.usage("\(what): no histogram (hdr) in this file, so it cannot be merged exactly")
            }
            guard h.totalCount == UInt64(s.count) else {
                throw BarrageError.usage("\(what): the histogram holds \(h.totalCount) samples but count says \(s.count)")
            }
            return h
        } catch let e as HdrCodecError {
            throw BarrageError.usage("\(what): \(e)")
        }
    }
}
