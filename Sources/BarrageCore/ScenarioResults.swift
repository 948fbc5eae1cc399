import Foundation

extension RunResult {
    /// One scenario of a run that ran several at once (`scenarios.NAME`): its own requests, iterations and groups,
    /// and when it started after the run's start.
    public struct ScenarioResult: Codable, Sendable, Equatable {
        public var start_after_us: Int64
        public var requests: Section
        public var iterations: Iterations?
        public var groups: [String: Group]?
    }
}

/// Puts the results of the lanes of a plan with several scenarios (each run side by side on its own engine threads)
/// together into the run's one result: totals from their histograms (exact, as `merge`), one timeline on the run's
/// clock, each scenario's steps as targets, and each scenario's own numbers under `scenarios`.
public enum ScenarioResults {
    /// Lanes' timelines (already on the run's seconds) added second by second, as `merge` adds segments'.
    public static func sideBySide(_ parts: [(name: String, startedEpochMillis: Int64, entries: [TimelineEntry])]) throws -> [TimelineEntry] {
        try MergedTimeline.sideBySide(parts)
    }

    /// A lane's seconds renumbered from `offset` on.
    public static func shifted(_ timeline: [TimelineEntry], bySeconds offset: Int) -> [TimelineEntry] {
        timeline.map { e in
            var e = e
            e.t_s += offset
            return e
        }
    }

    public static func combine(version: String, plan: RunPlan, lanes: [(lane: ScenarioLane, result: RunResult)]) throws -> RunResult {
        precondition(!lanes.isEmpty)
        var total = Recorder()
        for (lane, r) in lanes { total.merge(try ResultMerge.recorder(of: r, name: "scenario \(lane.name)")) }
        let start = lanes.map(\.result.started_epoch_ms).min()!
        let end = lanes.map { $0.result.started_epoch_ms * 1_000 + $0.result.duration_us }.max()!
        // Each lane's seconds moved onto the run's clock (a late scenario's second 0 is the run's second k).
        let timeline = try MergedTimeline.sideBySide(lanes.map { lane, r in
            (name: lane.name, startedEpochMillis: start,
             entries: shifted(r.timeline, bySeconds: Int((r.started_epoch_ms - start + 500) / 1_000)))
        })
        var result = RunResult(version: version, planRecord: PlanRecord(plan), recorder: total, timeline: timeline,
                               startedEpochMillis: start, durationMicros: Swift.max(0, end - start * 1_000),
                               interrupted: lanes.contains { $0.result.interrupted })
        var scenarios: [String: RunResult.ScenarioResult] = [:]
        var groups: [String: RunResult.Group] = [:]
        for (lane, r) in lanes {
            let rec = try ResultMerge.recorder(of: r, name: "scenario \(lane.name)")
            if r.targets.isEmpty, let only = lane.plan.targets.first {
                result.targets[only.name] = RunResult.Section(rec, durationMicros: r.duration_us)
            } else {
                for (name, section) in r.targets { result.targets[name] = section }
            }
            for (name, g) in r.groups ?? [:] { groups["\(lane.name)/\(name)"] = g }
            scenarios[lane.name] = RunResult.ScenarioResult(start_after_us: lane.startAfterMicros,
                                                            requests: RunResult.Section(rec, durationMicros: r.duration_us),
                                                            iterations: r.iterations, groups: r.groups)
            for (k, v) in r.error_messages where result.error_messages[k] == nil { result.error_messages[k] = v }
        }
        result.scenarios = scenarios
        result.groups = groups.isEmpty ? nil : groups
        result.run_id = lanes[0].result.run_id
        // The process's CPU: each lane measured all of it over its own span; the longest span saw the others too.
        // Its utilization is over every lane's engine threads and the run's span: dividing the process's CPU by one
        // lane's threads would count the other lanes' work as this lane's (above 100 % with two busy lanes).
        if var client = lanes.compactMap(\.result.client).max(by: { $0.cpu_user_us + $0.cpu_system_us < $1.cpu_user_us + $1.cpu_system_us }) {
            let threads = lanes.reduce(0) { $0 + ($1.result.client?.threads ?? $1.lane.plan.effectiveThreads) }
            client.threads = threads
            let wall = Double(Swift.max(1, result.duration_us)) * Double(Swift.max(1, threads))
            client.cpu_utilization = Double(client.cpu_user_us + client.cpu_system_us) / wall
            result.client = client
        }
        return result
    }
}
