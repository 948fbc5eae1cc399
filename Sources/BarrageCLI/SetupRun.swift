import Foundation
import BarrageCore
import BarrageEngine

/// Runs a profile's top-level `setup:` once, before any scenario's load: its steps in order, one at a time, as a
/// one-VU, one-iteration plan on the engine (the run's transport: TLS options, `--connect-to`, timeouts), with a
/// cookie jar of its own that is dropped afterwards. What it captured is read back from the VU's variable table and
/// given to every scenario's flow as constants (`RunPlan.withRunValues`). Captured values are never printed.
struct SetupRun {
    /// What goes into the result (`setup`): counts, per step, the names captured, the failure.
    var section: RunResult.Setup
    /// What the setup captured, by name.
    var values: [String: FlowValue]
    /// A signal stopped it.
    var interrupted: Bool
    /// The run's id (`BARRAGE_RUN_ID` or a new one), for a result written without load.
    var runID: String

    var failed: Bool { section.error != nil }

    /// Runs `plan.runSetup` (nil when the plan has none). Signals counted from `signalsBefore` cut it short.
    static func run(for plan: RunPlan, signalsBefore: Int) throws -> SetupRun? {
        guard let setup = plan.runSetup else { return nil }
        // A bad BARRAGE_RUN_ID is refused (exit 2) before anything is sent, the setup's requests included.
        let runID = try RunIdentity.forNewRun()
        let setupPlan = setup.plan(for: plan)
        let control = StopControl()
        let out = try Engine(plan: setupPlan).run(control: control) { _ in
            if Signals.count > signalsBefore { control.raise(to: .aborting) }
        }
        let interrupted = Signals.count > signalsBefore
        let steps = setup.flow.requestSteps
        // Per step: the engine keeps per-target recorders when there are several targets; one step is the whole run.
        let perStep = out.targets.count == steps.count ? out.targets
            : steps.count == 1 ? [out.recorder] : Array(repeating: Recorder(), count: steps.count)
        var sections: [String: RunResult.Setup.Step] = [:]
        var captured: [String] = []
        var error: String?
        for (i, step) in steps.enumerated() {
            let r = perStep[i]
            sections[step.name] = RunResult.Setup.Step(r)
            guard error == nil else { continue }
            if r.failed > 0 || r.dropped > 0 {
                error = "setup step '\(step.name)' failed: " + reason(step: step.name, firstErrors: out.firstErrors)
            } else if r.ok == 0 {
                error = interrupted ? "the run's setup was interrupted before step '\(step.name)' ended"
                    : "setup step '\(step.name)' did not run"
            } else {
                captured += step.captures.map(\.name)
            }
        }
        if interrupted && error == nil { error = "the run was interrupted during its setup" }
        var values: [String: FlowValue] = [:]
        if let table = out.firstVUVariables {
            for (slot, name) in setup.flow.variables.enumerated() where slot < table.count { values[name] = table[slot] }
        }
        let section = RunResult.Setup(requests: out.recorder.ok + out.recorder.failed, ok: out.recorder.ok,
                                      failed: out.recorder.failed, duration_us: out.durationMicros, steps: sections,
                                      captured: captured, error: error)
        return SetupRun(section: section, values: values, interrupted: interrupted, runID: runID)
    }

    /// The flow's own wording of a failure (`status 401, expected 200`, a capture that found nothing, libcurl's
    /// message for a transport error), without the step name it starts with.
    static func reason(step: String, firstErrors: [String: String]) -> String {
        let messages = firstErrors.sorted { $0.key < $1.key }
        let prefix = step + ": "
        if let own = messages.first(where: { $0.value.hasPrefix(prefix) }) { return String(own.value.dropFirst(prefix.count)) }
        guard let any = messages.first else { return "no response" }
        return "\(any.key): \(any.value)"
    }

    /// The result of a run whose setup failed: no load sent, the setup section, every count of the load zero.
    func resultWithoutLoad(_ plan: RunPlan) throws -> RunResult {
        let now = Clock.epochMillis()
        func empty(_ p: RunPlan) -> RunResult {
            var m = RunMeasurement(recorder: Recorder(), startedEpochMillis: now, runMicros: 0)
            if p.workload.flow != nil { m.iterations = IterationRecorder() }
            return RunResult.build(version: Barrage.version, plan: p, measured: m, interrupted: interrupted)
        }
        var result = plan.lanes.isEmpty ? empty(plan)
            : try ScenarioResults.combine(version: Barrage.version, plan: plan, lanes: plan.lanes.map { (lane: $0, result: empty($0.plan)) })
        result.setup = section
        result.interrupted = interrupted
        result.run_id = runID
        return result
    }
}
