/// What the engine measured over a run (or over the seconds of it closed so far), as plain values.
public struct RunMeasurement: Sendable {
    /// Everything after the warm-up, over all targets and stages.
    public var recorder: Recorder
    /// Per target and per stage, indexed like the plan's (empty with one target, one stage).
    public var targets: [Recorder]
    public var stages: [Recorder]
    /// The requests due within the plan's warm-up; nil without one.
    public var warmup: Recorder?
    public var timeline: [TimelineEntry]
    /// Unix ms of the run clock's zero.
    public var startedEpochMillis: Int64
    /// From the run clock's zero to the last completion (during the run: to the end of the last closed second),
    /// warm-up included.
    public var runMicros: Int64
    /// The first message seen for each error class.
    public var firstErrors: [String: String]
    /// The connect phase (one request per worker before the clock started), how long it took, and how many connection
    /// attempts it allowed at once; nil without one.
    public var connectPhase: Recorder?
    public var connectPhaseMicros: Int64 = 0
    public var connectAttemptsInFlight: Int = 0
    /// The process's CPU time while the engine ran (user, system), µs; nil when not measured (during the run).
    public var cpuMicros: (user: Int64, system: Int64)?
    /// The run's identity (`RunIdentity`), written into the result.
    public var runID: String?
    /// A flow's iterations (after the warm-up); nil for plain targets.
    public var iterations: IterationRecorder?
    /// A flow's groups, indexed like `Flow.groups`.
    public var groups: [GroupRecorder] = []
    /// A WebSocket run's messages (after the warm-up); nil for HTTP runs.
    public var messages: MessageRecorder?
    /// The libcurl the engine ran on (`8.14.1 OpenSSL/3.0.17`), as loaded at run time; nil where not known.
    public var libcurl: String?

    public init(recorder: Recorder, targets: [Recorder] = [], stages: [Recorder] = [], warmup: Recorder? = nil,
                timeline: [TimelineEntry] = [], startedEpochMillis: Int64, runMicros: Int64, firstErrors: [String: String] = [:]) {
        self.recorder = recorder; self.targets = targets; self.stages = stages; self.warmup = warmup
        self.timeline = timeline; self.startedEpochMillis = startedEpochMillis; self.runMicros = runMicros
        self.firstErrors = firstErrors
    }
}

extension RunResult {
    /// The one way a result is made from a plan and what was measured: the final result of `run`, `scale` and `demo`,
    /// and the in-run result that abort-on-fail gates are judged on, so a gate sees the same sections (per target, per
    /// stage) during the run as after it. How the run was stopped (`interrupted`, `aborted_by`) is the caller's.
    public static func build(version: String, plan: RunPlan, measured m: RunMeasurement, interrupted: Bool) -> RunResult {
        // Each second's target load, from the plan (the process's share when segmented); a second's length and rate
        // cover only its part after the warm-up and before the last completion.
        var timeline = m.timeline.map { $0.measured(runMicros: m.runMicros, warmupMicros: plan.warmupMicros) }
        for i in timeline.indices {
            let t = Int64(timeline[i].t_s) * 1_000_000
            if let s = plan.schedule {
                let rate = s.rate(atMicros: t)
                timeline[i].target = plan.segment.map { rate / Double($0.count) } ?? rate
            } else {
                timeline[i].target = Double(plan.concurrency(atMicros: t))
            }
        }
        // With a warm-up, durations and rates cover the measured time after it; the timeline covers the whole run.
        let measured = Swift.max(0, m.runMicros - plan.warmupMicros)
        var result = RunResult(version: version, plan: plan, recorder: m.recorder, timeline: timeline,
                               startedEpochMillis: m.startedEpochMillis, durationMicros: measured, interrupted: interrupted)
        result.error_messages = m.firstErrors
        result.addSections(plan: plan, targets: m.targets, stages: m.stages,
                           warmup: plan.warmupMicros > 0 ? m.warmup : nil, runMicros: m.runMicros)
        result.run_id = m.runID
        if let flow = plan.workload.flow, let iterations = m.iterations {
            result.iterations = Iterations(scenario: flow.scenario, iterations, durationMicros: measured)
            if !flow.groups.isEmpty && m.groups.count == flow.groups.count {
                result.groups = Dictionary(uniqueKeysWithValues: zip(flow.groups, m.groups.map(RunResult.Group.init)))
            }
        }
        if let cpu = m.cpuMicros {
            let wall = Double(Swift.max(1, m.runMicros)) * Double(plan.effectiveThreads)
            result.client = ClientUsage(cpu_user_us: cpu.user, cpu_system_us: cpu.system, threads: plan.effectiveThreads,
                                        cpu_utilization: Double(cpu.user + cpu.system) / wall)
            result.client?.libcurl = m.libcurl
        }
        if let ws = plan.workload.webSocket, let messages = m.messages {
            result.messages = Messages(messages, durationMicros: measured, answer: ws.answer.label)
        }
        if let c = m.connectPhase {
            result.connect_phase = ConnectPhase(c, durationMicros: m.connectPhaseMicros, attemptsInFlight: m.connectAttemptsInFlight)
        }
        return result
    }
}
