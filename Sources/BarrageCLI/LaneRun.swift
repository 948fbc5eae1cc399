import Foundation
import BarrageCore
import BarrageEngine

/// Runs a plan with several scenarios: each lane (scenario) on its own engine, side by side on its share of the
/// engine threads, started together (a lane with `start_after` that much later), stopped together (a signal, or a
/// gate that fails in any lane), and put together into one result (`ScenarioResults.combine`).
struct LaneRun {
    let execution: RunExecution

    /// The first lane's stop reason, seen by every lane's gate check (they run on their own threads).
    final class SharedStop: @unchecked Sendable {
        private let lock = NSLock()
        private var value: String?
        var reason: String? { lock.withLock { value } }
        func set(_ reason: String) { lock.withLock { if value == nil { value = reason } } }
    }

    func execute() throws -> RunResult {
        var plan = execution.plan
        Signals.install()
        if !execution.quiet {
            let context = PlanBlock.Context(descriptorsNeeded: plan.lanes.reduce(0) { $0 + $1.plan.descriptorsNeeded },
                                            descriptorLimit: execution.descriptorLimit, hint: nil)
            printFlush(PlanBlock.lines(PlanRecord(plan), version: Barrage.version, context: context).joined(separator: "\n"))
        }
        let signalsBefore = Signals.count
        // The run's setup: once, before any scenario starts (and before their start_after clocks).
        let setup = try SetupRun.run(for: plan, signalsBefore: signalsBefore)
        if let setup, setup.failed { return try setup.resultWithoutLoad(plan) }
        if let setup { plan = plan.withRunValues(setup.values) }
        let stop = SharedStop()
        // The live panel and the metrics endpoint: every lane's latest progress, put together when a draw is due.
        let reporter = try execution.live.map { try LiveReporter(plan: plan, options: $0, quiet: execution.quiet, thresholds: execution.thresholds) }
        defer { reporter?.finish() }
        // One id for the run, every lane's; the pusher labels its series with it.
        let runID = try RunIdentity.forNewRun()
        let pusher = try execution.push.map { try PrometheusPusher(options: $0, plan: plan, runID: runID) }
        let pushedBy = pusher
        let laneScenarios: [String?] = plan.lanes.map(\.name)
        let laneTargets = plan.lanes.map { $0.plan.targets.map(\.name) }
        final class Board: @unchecked Sendable {
            let lock = NSLock()
            var latest: [Engine.Progress?]
            init(_ n: Int) { latest = Array(repeating: nil, count: n) }
        }
        let board = Board(plan.lanes.count)
        let starts = plan.lanes.map(\.startAfterMicros)
        let ends = plan.lanes.map(\.endMicros)
        nonisolated(unsafe) let shownBy = reporter
        // Every lane starts on one clock: long enough from now for each engine to set up its handles first.
        let zero = Clock.epochMillis() + 500
        final class Outcomes: @unchecked Sendable {
            let lock = NSLock()
            var results: [Result<RunResult, Error>?]
            init(_ n: Int) { results = Array(repeating: nil, count: n) }
        }
        let outcomes = Outcomes(plan.lanes.count)
        let group = DispatchGroup()
        // Shared by the lanes' controller threads; its appends take a lock.
        nonisolated(unsafe) let raw = execution.raw
        for (l, lane) in plan.lanes.enumerated() {
            // Gates scoped to this scenario (or one of its steps) are judged on its own numbers during the run; the
            // others, on the whole run's, at the end.
            let gates = execution.thresholds.filter { t in
                switch t.scope {
                case .scenario(let name), .step(let name, _): return name == lane.name
                default: return false
                }
            }
            group.enter()
            let thread = Thread {
                var watch = AbortWatch(thresholds: gates, plan: lane.plan)
                let outcome = Result {
                    try LevelRunner.run(lane.plan, startAtEpochMillis: zero + lane.startAfterMicros / 1_000, signalsBefore: signalsBefore,
                                        runID: runID, abort: { progress in
                        if let reason = stop.reason { return reason }
                        guard let failing = watch.failing(progress) else { return nil }
                        let reason = "threshold '\(failing.expr)' failed (\(failing.measuredText)) with abort_on_fail"
                        stop.set(reason)
                        return reason
                    }, observe: { progress in
                        guard shownBy != nil || pushedBy != nil else { return }
                        board.lock.withLock {
                            board.latest[l] = progress
                            shownBy?.update(lanes: board.latest, startAfterMicros: starts, endMicros: ends)
                            pushedBy?.observe(lanes: board.latest, scenarios: laneScenarios, targetNames: laneTargets)
                        }
                    }, raw: raw).result
                }
                outcomes.lock.withLock { outcomes.results[l] = outcome }
                group.leave()
            }
            thread.start()
        }
        group.wait()
        let results = try outcomes.results.map { try $0!.get() }
        var result = try ScenarioResults.combine(version: Barrage.version, plan: plan,
                                                 lanes: Array(zip(plan.lanes, results)).map { (lane: $0.0, result: $0.1) })
        if let reason = stop.reason {
            result.aborted_by = reason
            result.interrupted = true
        }
        result.setup = setup?.section
        reporter?.finish(final: result)
        if let line = pusher?.finish(result: result) { writeStderr(line + "\n") }
        return result
    }
}
