import ArgumentParser
import Foundation
import BarrageCore
import BarrageEngine

/// Threshold and CI-output flags, shared by the subcommands that gate (run, merge). `--abort-on-fail` is run's own.
struct GateOptions: ParsableArguments {
    @Option(name: .customLong("threshold"), help: ArgumentHelp("Pass/fail gate, e.g. 'p99 < 250ms', 'error_rate < 1%', 'rps >= 500' (repeatable); exit 99 when one fails.", valueName: "expr"))
    var thresholds: [String] = []

    @Option(help: ArgumentHelp("Write the thresholds as JUnit XML (- for standard output).", valueName: "path"))
    var junit: String?

    @Option(help: ArgumentHelp("Write a Markdown summary (also to $GITHUB_STEP_SUMMARY when set; - for standard output).", valueName: "path"))
    var summaryMd: String?

    func validate() throws {
        _ = try parsed()
    }

    /// The thresholds of the flags and of a profile; `abortOnFail` (run's flag) applies to all of them.
    func parsed(extra: [Profile.ThresholdSpec] = [], abortOnFail: Bool = false) throws -> [Threshold] {
        var out = try thresholds.map { var t = try Threshold.parse($0); t.abortOnFail = abortOnFail; return t }
        for spec in extra {
            var t = try Threshold.parse(spec.expr)
            t.abortOnFail = spec.abortOnFail || abortOnFail
            t.delayAbortEvalMicros = spec.delayAbortEvalMicros
            out.append(t)
        }
        return out
    }

    var outputs: [OutputFile] {
        [junit.map { OutputFile(path: $0, flag: "--junit") }, summaryMd.map { OutputFile(path: $0, flag: "--summary-md") }].compactMap { $0 }
    }

    /// Writes the JUnit and Markdown outputs that were asked for (and the GitHub step summary).
    func writeReports(result: RunResult, thresholds: [ThresholdResult]) throws {
        if let junit {
            try OutputFile(path: junit, flag: "--junit").write(Data(JUnitReport.xml(thresholds: thresholds, run: result).utf8))
        }
        let markdown = MarkdownSummary.render(result: result, thresholds: thresholds)
        if let summaryMd {
            try OutputFile(path: summaryMd, flag: "--summary-md").write(Data(markdown.utf8))
        }
        if let step = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"], !step.isEmpty {
            // Appended, as GitHub expects; failures here must not lose the run's other outputs.
            if let handle = FileHandle(forWritingAtPath: step) {
                handle.seekToEndOfFile()
                handle.write(Data((markdown + "\n").utf8))
                handle.closeFile()
            } else {
                writeStderr("barrage: warning: GITHUB_STEP_SUMMARY \(step) is not writable\n")
            }
        }
    }
}

/// Evaluates abort-on-fail thresholds once a second on the values measured so far.
struct AbortWatch {
    let thresholds: [Threshold]
    let plan: RunPlan
    private var lastCheckMicros: Int64 = 0

    init(thresholds: [Threshold], plan: RunPlan) {
        self.thresholds = thresholds.filter(\.abortOnFail)
        self.plan = plan
    }

    /// The first failing abort-on-fail threshold, if its delay has passed; checked at most once per second, on a
    /// result built from the seconds closed so far exactly as the final one is (per-target and per-stage sections
    /// included). A rate scoped to a stage is judged only once that stage has ended: before, its seconds are not all in.
    mutating func failing(_ progress: BarrageEngine.Engine.Progress) -> ThresholdResult? {
        guard !thresholds.isEmpty, progress.startedEpochMillis != 0 else { return nil }
        guard progress.elapsedMicros - lastCheckMicros >= 1_000_000 else { return nil }
        lastCheckMicros = progress.elapsedMicros
        let measurement = progress.measurement
        guard measurement.runMicros > plan.warmupMicros else { return nil }
        let sofar = RunResult.build(version: Barrage.version, plan: plan, measured: measurement, interrupted: false)
        let seconds = measurement.runMicros
        let spans = plan.stageSpans
        for t in thresholds where seconds >= t.delayAbortEvalMicros {
            if case .stage(let n) = t.scope, t.metric == "rps", n >= 1, n <= spans.count {
                let span = spans[n - 1]
                if seconds < span.start + span.duration { continue }
            }
            let r = ThresholdEvaluator.evaluate(t, on: sofar)
            if !r.ok && r.actual != nil { return r }
        }
        return nil
    }
}
