import ArgumentParser
import Foundation
import BarrageCore
import BarrageEngine

extension Barrage {
    struct Scale: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure how throughput and latency scale from one request at a time to many in flight.",
            discussion: """
            Runs the same workload at each concurrency level. Level 1 is the sequential baseline: one request at a \
            time on one connection. Every level first opens its connections with one warm-up request per worker \
            (reported as connection setup, kept out of the comparison), then starts all workers together.

            Prints per level: wall time, req/s, speedup over the lowest level, efficiency (speedup / level), p50, p99, \
            errors, and Little's law (measured in-flight vs throughput × mean latency). Fits the Universal \
            Scalability Law X(N) = λN / (1 + σ(N−1) + κN(N−1)) and names the knee where efficiency falls below 50 %.

            Examples:
              barrage scale http://127.0.0.1:8080/delay/50 --levels 1,2,4,8,16,32,64 \\
                  -d 3s --svg scale.svg
              barrage scale http://127.0.0.1:8080/ --levels 1,4,16,64,256 -n 20000 \\
                  --json scale.json --csv scale.csv
            """
        )

        @Argument(help: "The URL to load (http:// or https://).")
        var url: String

        @Option(parsing: .unconditional, help: ArgumentHelp("Concurrency levels, comma-separated.", valueName: "list"))
        var levels: String = "1,2,4,8,16,32,64,128,256,512,1024"

        @OptionGroup var limits: LimitOptions<ScaleLimits>

        @OptionGroup var request: RequestOptions

        @OptionGroup var threads: ThreadsOption<ScaleLimits>

        @Option(help: ArgumentHelp("Write the sweep as JSON (barrage.scale.v1).", valueName: "path"))
        var json: String?

        @Option(help: ArgumentHelp("Write the charts as a self-contained SVG.", valueName: "path"))
        var svg: String?

        @Option(help: ArgumentHelp("Write the per-level table as CSV.", valueName: "path"))
        var csv: String?

        @Flag(help: "Print only the final table and chart.")
        var quiet = false

        @OptionGroup var engine: EngineOptions

        func validate() throws {
            try RequestOptions.checkURL(url)
            _ = try parsedLevels()
            if limits.requests != nil && limits.duration != nil {
                throw BarrageError.usage("--requests and --duration: give one per-level limit, not both")
            }
            _ = try checkedLimits()
        }

        /// -n, -d and --threads, read.
        func checkedLimits() throws -> (requests: Int?, durationMicros: Int64?, threads: Int?) {
            (try limits.requestLimit(), try limits.durationMicros(), try threads.count())
        }

        func parsedLevels() throws -> [Int] {
            var out: [Int] = []
            for part in levels.split(separator: ",", omittingEmptySubsequences: false) {
                let t = part.trimmingCharacters(in: .whitespaces)
                guard let n = Int(t), n >= 1, n <= 100_000 else {
                    throw BarrageError.usage("--levels '\(levels)': '\(t)' is not a concurrency between 1 and 100000")
                }
                out.append(n)
            }
            guard Set(out).count == out.count else { throw BarrageError.usage("--levels '\(levels)': a level is repeated") }
            return out.sorted()
        }

        func run() throws {
            let levels = try parsedLevels()
            let limits = try checkedLimits()
            let durationMicros = limits.durationMicros ?? (limits.requests == nil ? 5_000_000 : nil)
            let outputs = [json.map { OutputFile(path: $0, flag: "--json") }, svg.map { OutputFile(path: $0, flag: "--svg") },
                           csv.map { OutputFile(path: $0, flag: "--csv") }].compactMap { $0 }
            try OutputFile.prepare(outputs)
            var inputs = try request.inputs(url: url, load: LoadFlags(concurrency: levels.max()!, requests: limits.requests,
                                                                      durationMicros: durationMicros), threads: limits.threads)
            inputs.engine = try engine.tuning()
            let base = try PlanBuilder.build(inputs)
            try RequestOptions.checkHTTPVersion(base.httpVersion, urls: base.targets.map(\.url))
            try LevelRunner.checkDescriptors(for: base)
            let sweep = try ScaleSweep.run(base: inputs, levels: levels, quiet: quiet)
            printFlush(sweep.result.text)
            printFlush(ScaleCharts.terminal(sweep.result.chartPoints, fit: sweep.result.usl))
            if let json { try OutputFile(path: json, flag: "--json").write(try sweep.result.jsonData()) }
            if let svg {
                let title = "Scaling of \(base.targets[0].method) \(Redaction.url(base.targets[0].url))"
                try OutputFile(path: svg, flag: "--svg").write(Data(ScaleCharts.svg(sweep.result.chartPoints, fit: sweep.result.usl, title: title).utf8))
            }
            if let csv { try OutputFile(path: csv, flag: "--csv").write(Data(sweep.result.csv.utf8)) }
            if sweep.interrupted { throw ExitCode(ExitStatus.interrupted.rawValue) }
            // Exit 1 only when no level had an ok response: the sweep measured nothing at all.
            let measured = sweep.result.levels
            if let first = measured.first, measured.allSatisfy(\.no_ok_response) {
                throw BarrageError.failure("no ok response at any level: " + RunOutcome.explain(
                    requests: first.requests, statusCodes: first.status_codes, errors: first.errors,
                    destination: RunOutcome.Destination(targets: sweep.result.plan.targets, transport: PlanRecord(base).transport)))
            }
        }
    }
}

/// Runs a plan at each concurrency level, one after another, and assembles the scaling result.
enum ScaleSweep {
    struct Output {
        var result: ScaleResult
        var interrupted: Bool
    }

    /// `base` is built once per level with its concurrency set to the level.
    static func run(base inputs: PlanInputs, levels: [Int], quiet: Bool) throws -> Output {
        Signals.install()
        let signalsBefore = Signals.count
        let started = Clock.epochMillis()
        var measured: [ScaleLevel] = []
        var interrupted = false
        let base = try PlanBuilder.build(inputs)
        for level in levels {
            var levelInputs = inputs
            if case .flags(var flags, let target) = inputs.source {
                flags.concurrency = level
                levelInputs.source = .flags(flags, target: target)
            }
            let plan = try PlanBuilder.build(levelInputs)
            if !quiet {
                printFlush("level \(level): \(level) in flight…")
            }
            let m = try LevelRunner.run(plan, preconnect: true, signalsBefore: signalsBefore)
            let setup = m.connectPhase.map { HistogramSummary($0.connect) } ?? .empty
            measured.append(ScaleLevel(concurrency: level, result: m.result, inFlight: m.inFlight, connectionSetup: setup))
            if m.result.interrupted { interrupted = true; break }
        }
        let planRecord = ScaleResult.Plan(
            levels: levels, requests_per_level: base.requestLimit, duration_per_level_us: base.durationMicros,
            targets: PlanRecord(base).targets, timeout_us: base.timeoutMicros, threads: base.effectiveThreads)
        var result = ScaleResult(version: Barrage.version, startedEpochMillis: started, plan: planRecord, levels: measured)
        if interrupted { result.notes.append("interrupted: only the levels measured before the signal are included") }
        return Output(result: result, interrupted: interrupted)
    }
}
