import BarrageCore
import BarrageEngine

/// Runs one plan on the engine with the process duties around it (signals, grace period) and turns the engine's
/// output into a result. Shared by `run`, `scale` and `demo`.
struct LevelRunner {
    /// How long requests in flight may take to finish after the first SIGINT/SIGTERM.
    static let graceMicros: Int64 = 5_000_000

    struct Measured {
        var result: RunResult
        /// Time-averaged requests in flight.
        var inFlight: Double
        /// The connect phase (one request per worker before the clock started), when there was one.
        var connectPhase: Recorder?
    }

    /// Raises the descriptor limit and fails (exit 1) before anything is sent when `connections` cannot fit.
    @discardableResult
    static func checkDescriptors(for plan: RunPlan) throws -> Int {
        let limit = SystemLimits.raiseDescriptorLimit()
        if plan.descriptorsNeeded > limit {
            throw BarrageError.failure(
                "\(plan.processConcurrency) connections need about \(plan.descriptorsNeeded) file descriptors but the limit is \(limit); raise it (ulimit -n) or lower --concurrency")
        }
        return limit
    }

    /// Counts signals from `signalsBefore`: the first drains, a second (or the grace running out) aborts.
    /// `abort` is asked on each tick whether a gate demands the run stop; it returns the reason.
    /// `preconnect` runs the connect phase whatever the plan says (`scale` always does).
    /// `startAtEpochMillis`: with a connect phase, the measured run waits for this Unix time (ms) after it.
    /// `runID`: the run's id when the caller made it already (several scenarios share one); else made here.
    static func run(_ plan: RunPlan, preconnect: Bool = false, startAtEpochMillis: Int64? = nil, signalsBefore: Int,
                    runID given: String? = nil, abort: ((Engine.Progress) -> String?)? = nil,
                    observe: ((Engine.Progress) -> Void)? = nil, raw: RawWriter? = nil) throws -> Measured {
        // Written at the start; a bad BARRAGE_RUN_ID is refused (exit 2) before anything is sent.
        let runID = try given ?? RunIdentity.forNewRun()
        let control = StopControl()
        var graceEnd: Int64? = nil
        if Signals.count > signalsBefore { control.raise(to: .draining) }
        // No User-Agent unless the user sends one (-H, profile headers): what libcurl, wrk and wrk2 send, and libcurl
        // 7.88 would spend ~7,000 instructions per request formatting ours.
        let engine = Engine(plan: plan)
        let out = try engine.run(control: control, warmup: preconnect || plan.transport.preconnect,
                                 startAtEpochMillis: startAtEpochMillis, raw: raw.map { w in { w.append($0) } }) { progress in
            observe?(progress)
            let elapsed = progress.elapsedMicros
            let signals = Signals.count - signalsBefore
            if signals >= 1 && graceEnd == nil {
                graceEnd = elapsed + graceMicros
                control.raise(to: .draining)
                writeStderr("\nbarrage: stopping: letting requests in flight finish (up to \(DurationParser.format(micros: graceMicros)); press Ctrl-C again to cut them short)\n")
            }
            if graceEnd == nil, let reason = abort?(progress) {
                graceEnd = elapsed + graceMicros
                control.raise(to: .draining)
                writeStderr("\nbarrage: stopping: \(reason)\n")
            }
            if signals >= 2 || (graceEnd.map { elapsed > $0 } ?? false) {
                control.raise(to: .aborting)
            }
        }
        var measurement = out.measurement
        measurement.runID = runID
        let result = RunResult.build(version: Barrage.version, plan: plan, measured: measurement,
                                     interrupted: Signals.count > signalsBefore)
        let inFlight = out.durationMicros > 0 ? out.recorder.inFlightIntegralMicros / Double(out.durationMicros) : 0
        return Measured(result: result, inFlight: inFlight, connectPhase: out.connectPhase)
    }
}
