import ArgumentParser
import Foundation
import BarrageCore
import BarrageEngine

extension Barrage {
    struct Capacity: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find the highest rate a service sustains within its SLOs.",
            discussion: """
            Runs the open model at a constant rate per step, growing ×2 from --from until a step fails, then bisecting \
            between the last rate that held and the first that failed until the gap is within --precision of the \
            lower rate; the rate that holds is confirmed once more (one that flips is reported as noise and the \
            search goes on below it). Each step opens its connections first, keeps --warmup out of the numbers, and \
            lasts --step-duration or long enough for its SLOs (1,000 samples for a p99, 10,000 for a p99.9). A step \
            also fails when requests were dropped, when it achieved under 95 % of the offered rate, or when in flight \
            kept growing; when Barrage itself saturated, the answer is client-bound ("capacity ≥ X on this machine").

            On a profile, its open-model load is replaced by each step's constant rate; with several scenarios, every \
            open-model one is scaled by one factor so that their rates add up to the step's (a flow's rate is of \
            iterations), and closed-model ones run beside them as written.

            Examples:
              barrage capacity http://127.0.0.1:8080/delay/20 --slo 'p99 < 100ms' --slo 'error_rate < 1%'
              barrage capacity http://127.0.0.1:8080/ --slo 'p99 < 50ms' --from 100 --max 20000 \\
                  --budget 10m --json capacity.json --html capacity.html
              barrage capacity api.yaml --slo 'p99 < 250ms' --min-rate 500 --junit capacity.xml

            Exit: 0 answered (also when no rate meets the SLOs) · 99 capacity below --min-rate · 1 nothing answered, \
            or client-bound below --min-rate · 2 bad input · 130 interrupted (what was measured is written).
            """
        )

        @Argument(help: "The URL to load (http:// or https://), or a load profile (.yaml, .yml or .json).")
        var url: String

        @Option(name: .customLong("slo"), help: ArgumentHelp("A service-level objective in the threshold grammar, e.g. 'p99 < 200ms', 'error_rate < 1%' (repeatable; at least one).", valueName: "expr"))
        var slos: [String] = []

        @Option(parsing: .unconditional, help: ArgumentHelp("The first rate, req/s (a flow's: iterations/s; default 10).", valueName: "rate"))
        var from: FlagValue.Rate?

        @Option(parsing: .unconditional, help: ArgumentHelp("The highest rate tried, req/s (a flow's: iterations/s; default 100000).", valueName: "rate"))
        var max: FlagValue.Rate?

        @Option(parsing: .unconditional, help: ArgumentHelp("Each step's measured part at least (default 10s).", valueName: "duration"))
        var stepDuration: FlagValue.Duration?

        @Option(parsing: .unconditional, help: ArgumentHelp("Each step's warm-up, kept out of its numbers (default 2s).", valueName: "duration"))
        var warmup: FlagValue.Duration?

        @Option(help: ArgumentHelp("Bisect until (high − low) ≤ this share of low, above 0 and at most 50% (default 5%).", valueName: "P%"))
        var precision: String = "5%"

        @Option(parsing: .unconditional, help: ArgumentHelp("Stop the search after this long; the best bracket so far is reported.", valueName: "duration"))
        var budget: FlagValue.Duration?

        @Option(parsing: .unconditional, help: ArgumentHelp("Exit 99 when the capacity found is below this rate, req/s (a flow's: iterations/s; JUnit and Markdown like thresholds).", valueName: "rate"))
        var minRate: FlagValue.Rate?

        @Option(name: [.customShort("e"), .customLong("env")], help: ArgumentHelp("Set a profile variable ${NAME} (repeatable).", valueName: "NAME=VALUE"))
        var variables: [String] = []

        @Option(help: ArgumentHelp("A profile with scenarios: run this scenario (repeatable; default: all of them).", valueName: "name"))
        var scenario: [String] = []

        @OptionGroup var request: RequestOptions

        @OptionGroup var threads: ThreadsOption<ScaleLimits>

        @Option(help: ArgumentHelp("Write the search as JSON (barrage.capacity.v1).", valueName: "path"))
        var json: String?

        @Option(help: ArgumentHelp("Write one row per step as CSV.", valueName: "path"))
        var csv: String?

        @Option(help: ArgumentHelp("Write a self-contained HTML page of the search.", valueName: "path"))
        var html: String?

        @Option(help: ArgumentHelp("Write the latency-against-throughput chart (the hockey stick) as an SVG file.", valueName: "path"))
        var svg: String?

        @Option(help: ArgumentHelp("Write the achieved-against-offered-rate chart as an SVG file.", valueName: "path"))
        var svgRates: String?

        @Option(help: ArgumentHelp("Write the --min-rate gate as JUnit XML.", valueName: "path"))
        var junit: String?

        @Option(help: ArgumentHelp("Write a Markdown summary (also to $GITHUB_STEP_SUMMARY when set).", valueName: "path"))
        var summaryMd: String?

        @Flag(help: "Print only the table and the answer.")
        var quiet = false

        @OptionGroup var engine: EngineOptions

        /// Every setting read and checked.
        struct Settings {
            var search: CapacitySearch.Settings
            var slos: [Threshold]
            var warmupMicros: Int64
            var stepDurationMicros: Int64
            var minRate: Double?
        }

        var isProfile: Bool { ProfileInput.isProfile(url) }

        func settings() throws -> Settings {
            guard !slos.isEmpty else { throw BarrageError.usage("--slo: give at least one, e.g. --slo 'p99 < 200ms'") }
            var parsed: [Threshold] = []
            for expr in slos {
                let t: Threshold
                do { t = try Threshold.parse(expr) } catch let e as BarrageError {
                    throw BarrageError.usage("--slo: \(e.message)")
                }
                if let why = CapacityStep.refusal(t) {
                    throw BarrageError.usage("--slo '\(Threshold.oneLine(expr))': \(why)")
                }
                parsed.append(t)
            }
            let fromRPS = try from?.checked("--from") ?? 10
            let maxRPS = try max?.checked("--max") ?? 100_000
            if fromRPS > maxRPS {
                throw BarrageError.usage("--from \(CapacityReport.rate(fromRPS)) is above --max \(CapacityReport.rate(maxRPS))")
            }
            let search = CapacitySearch.Settings(fromRPS: fromRPS, maxRPS: maxRPS, precision: try Self.precision(precision),
                                                 budgetMicros: try budget?.checked("--budget", min: 1_000_000, max: 7 * 86_400_000_000))
            return Settings(search: search, slos: parsed,
                            warmupMicros: try warmup?.checked("--warmup", min: 0, max: 3_600_000_000) ?? 2_000_000,
                            stepDurationMicros: try stepDuration?.checked("--step-duration", min: 100_000, max: 86_400_000_000) ?? 10_000_000,
                            minRate: try minRate?.checked("--min-rate"))
        }

        /// `5%` → 0.05; above 0 and at most 50 %.
        static func precision(_ text: String) throws -> Double {
            let t = text.trimmingCharacters(in: .whitespaces)
            guard t.hasSuffix("%"), let p = Double(t.dropLast().trimmingCharacters(in: .whitespaces)), p.isFinite else {
                throw BarrageError.usage("--precision '\(text)': expected a percentage above 0% and at most 50%, e.g. 5%")
            }
            guard p > 0, p <= 50 else {
                throw BarrageError.usage("--precision '\(text)': expected a percentage above 0% and at most 50%")
            }
            return p / 100
        }

        var outputs: [OutputFile] {
            [json.map { OutputFile(path: $0, flag: "--json") }, csv.map { OutputFile(path: $0, flag: "--csv") },
             html.map { OutputFile(path: $0, flag: "--html") }, svg.map { OutputFile(path: $0, flag: "--svg") },
             svgRates.map { OutputFile(path: $0, flag: "--svg-rates") }, junit.map { OutputFile(path: $0, flag: "--junit") },
             summaryMd.map { OutputFile(path: $0, flag: "--summary-md") }].compactMap { $0 }
        }

        func validate() throws {
            _ = try settings()
            _ = try threads.count()
            try OutputFile.checkOneStdout(outputs)
            if isProfile {
                _ = try ProfileInput.variables(variables)
                return
            }
            if !variables.isEmpty { throw BarrageError.usage("--env: only for profiles") }
            if !scenario.isEmpty { throw BarrageError.usage("--scenario: only for profiles with scenarios") }
            try RequestOptions.checkURL(url)
        }

        /// The plan each step's load is put into: the URL's (open model, preconnected) or the profile's.
        func basePlan() throws -> (plan: RunPlan, preconnect: Bool) {
            let tuning = try engine.tuning()
            if isProfile {
                let loaded = try ProfileInput.load(url, variables: variables, request: request, threads: try threads.count(),
                                                   engine: tuning, scenarios: scenario)
                if let why = CapacityLoad.refusal(loaded.plan) { throw BarrageError.usage("\(url): \(why)") }
                // A flow's connect phase would run its first step outside an iteration: scenarios go without one.
                return (loaded.plan, loaded.plan.workload.flow == nil)
            }
            var inputs = try request.inputs(url: url, load: LoadFlags(rate: 1, durationMicros: 1_000_000), threads: try threads.count())
            inputs.engine = tuning
            return (try PlanBuilder.build(inputs), true)
        }

        func run() throws {
            let s = try settings()
            let (base, preconnect) = try basePlan()
            try RequestOptions.checkHTTPVersion(base.httpVersion, urls: base.targets.map(\.url))
            for t in s.slos { try t.validate(against: PlanRecord(base)) }
            try OutputFile.prepare(outputs)
            let target = isProfile ? url : Redaction.url(url)
            let outcome = try CapacityRun(base: base, preconnect: preconnect, settings: s, quiet: quiet).search()
            let doc = CapacityResult(version: Barrage.version, startedEpochMillis: outcome.startedEpochMillis, runID: outcome.runID,
                                     target: target, slos: slos, settings: s.search, minRate: s.minRate,
                                     search: outcome.search, steps: outcome.steps, interrupted: outcome.interrupted,
                                     rateUnit: CapacityLoad.rateUnit(base))
            printFlush(CapacityReport.table(doc))
            if doc.steps.contains(where: { $0.ok + $0.failed > 0 }) {
                printFlush(CapacityFigure.terminal(doc.figureInput, width: min(LiveReporter.terminalWidth(), 100)).joined(separator: "\n"))
            }
            printFlush(CapacityReport.answer(doc))
            try write(doc, minRate: s.minRate)
            if outcome.interrupted { throw ExitCode(ExitStatus.interrupted.rawValue) }
            try Self.exit(doc, minRate: s.minRate)
        }

        func write(_ doc: CapacityResult, minRate: Double?) throws {
            if let json { try OutputFile(path: json, flag: "--json").write(try doc.jsonData()) }
            if let csv { try OutputFile(path: csv, flag: "--csv").write(Data(CapacityReport.csv(doc).utf8)) }
            if let html { try OutputFile(path: html, flag: "--html").write(Data(CapacityReport.html(doc).utf8)) }
            if let svg { try OutputFile(path: svg, flag: "--svg").write(Data(CapacityFigure.hockeyStickSVG(doc.figureInput).utf8)) }
            if let svgRates { try OutputFile(path: svgRates, flag: "--svg-rates").write(Data(CapacityFigure.offeredAchievedSVG(doc.figureInput).utf8)) }
            if let junit {
                let cases = minRate.map { [CapacityReport.minRateCase(doc, minRate: $0)] } ?? []
                try OutputFile(path: junit, flag: "--junit").write(Data(JUnitReport.xml(suiteName: "barrage.capacity", cases: cases).utf8))
            }
            let markdown = CapacityReport.markdown(doc, minRate: minRate)
            if let summaryMd { try OutputFile(path: summaryMd, flag: "--summary-md").write(Data(markdown.utf8)) }
            if let step = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"], !step.isEmpty {
                if let handle = FileHandle(forWritingAtPath: step) {
                    handle.seekToEndOfFile()
                    handle.write(Data((markdown + "\n").utf8))
                    handle.closeFile()
                } else {
                    writeStderr("barrage: warning: GITHUB_STEP_SUMMARY \(step) is not writable\n")
                }
            }
        }

        /// Exit 1 when nothing answered or when client-bound below --min-rate; 99 when the capacity is below --min-rate
        /// (no rate meeting the SLOs counts as 0); else 0.
        static func exit(_ doc: CapacityResult, minRate: Double?) throws {
            switch doc.verdict {
            case .nothingAnswered?:
                throw BarrageError.failure("nothing answered: no step had an ok response")
            case .clientBound?:
                if let minRate, (doc.at_least_rps ?? 0) < minRate {
                    throw BarrageError.failure("client-bound below --min-rate \(CapacityReport.rate(minRate)) \(doc.rateUnit.perSecond): nothing was learned about the service")
                }
            default:
                if let minRate, (CapacityReport.measuredCapacity(doc) ?? doc.at_least_rps ?? 0) < minRate {
                    throw ExitCode(ExitStatus.gateFailed.rawValue)
                }
            }
        }
    }
}

/// Runs the steps a `CapacitySearch` asks for, one after another, on the engine.
struct CapacityRun {
    let base: RunPlan
    let preconnect: Bool
    let settings: Barrage.Capacity.Settings
    let quiet: Bool

    struct Outcome {
        var search: CapacitySearch
        var steps: [CapacityStepRecord]
        var interrupted: Bool
        var startedEpochMillis: Int64
        var runID: String?
    }

    func search() throws -> Outcome {
        Signals.install()
        let signalsBefore = Signals.count
        var search = CapacitySearch(settings.search)
        var steps: [CapacityStepRecord] = []
        var interrupted = false
        var runID: String? = nil
        var lastPassP99: Int64? = nil
        let started = Clock.epochMillis()
        let unit = CapacityLoad.rateUnit(base)
        while let request = search.next() {
            if Signals.count > signalsBefore { interrupted = true; search.cancel(); break }
            let step = CapacityStep.plan(rateRPS: request.rateRPS, slos: settings.slos, warmupMicros: settings.warmupMicros,
                                         stepDurationMicros: settings.stepDurationMicros, lastP99Micros: lastPassP99)
            guard search.fits(stepMicros: step.totalMicros) else { search.endForBudget(); break }
            let plan = CapacityLoad.applied(step, to: base)
            let openScenarios = CapacityLoad.openScenarios(plan)
            let began = Clock.monotonicMicros()
            var endedEarly: String? = nil
            let result: RunResult
            if plan.lanes.isEmpty {
                try LevelRunner.checkDescriptors(for: plan)
                var lastCheck: Int64 = 0
                result = try LevelRunner.run(plan, preconnect: preconnect, signalsBefore: signalsBefore, abort: { progress in
                    guard endedEarly == nil, progress.startedEpochMillis != 0,
                          progress.elapsedMicros - lastCheck >= 1_000_000 else { return nil }
                    lastCheck = progress.elapsedMicros
                    let measurement = progress.measurement
                    guard measurement.runMicros > plan.warmupMicros else { return nil }
                    let sofar = RunResult.build(version: Barrage.version, plan: plan, measured: measurement, interrupted: false)
                    endedEarly = CapacityStep.clearlyFailed(sofar: sofar, slos: settings.slos, samplesNeeded: step.samplesNeeded)
                    return endedEarly.map { "step \(request.index) has clearly failed (\($0)); ending it early" }
                }).result
            } else {
                // Several scenarios side by side, each on its own engine (no connect phase, no early end).
                result = try RunExecution(plan: plan, quiet: true).execute()
            }
            runID = runID ?? result.run_id
            var judgement = CapacityStep.judge(result: result, slos: settings.slos, offeredRPS: request.rateRPS, pool: plan.concurrency,
                                               openScenarios: openScenarios, unit: unit)
            if let endedEarly, judgement.verdict == .pass {
                judgement.verdict = .fail
                judgement.reasons.append(endedEarly)
            }
            if result.interrupted {
                // A step cut short by a signal says nothing: recorded as measured, not judged by the search.
                steps.append(CapacityStepRecord(index: request.index, phase: request.phase, offeredRPS: request.rateRPS, result: result,
                                                inFlightMean: CapacityStepRecord.inFlightMean(result), verdict: judgement.verdict,
                                                reasons: judgement.reasons + ["interrupted"], endedEarly: false,
                                                maxInFlight: step.maxInFlight, openScenarios: openScenarios))
                interrupted = true
                search.cancel()
                break
            }
            search.record(CapacitySearch.StepOutcome(verdict: judgement.verdict, answered: !RunOutcome.measuredNothing(result.requests),
                                                     elapsedMicros: Clock.monotonicMicros() - began))
            let verdict = search.records.last?.verdict ?? judgement.verdict
            if verdict == .pass { lastPassP99 = result.latency_us.p99 }
            let record = CapacityStepRecord(index: request.index, phase: request.phase, offeredRPS: request.rateRPS, result: result,
                                            inFlightMean: CapacityStepRecord.inFlightMean(result), verdict: verdict,
                                            reasons: judgement.reasons, endedEarly: endedEarly != nil, maxInFlight: step.maxInFlight,
                                            openScenarios: openScenarios)
            steps.append(record)
            if !quiet { printFlush(CapacityReport.progressLine(record, unit: unit)) }
        }
        return Outcome(search: search, steps: steps, interrupted: interrupted, startedEpochMillis: started, runID: runID)
    }
}
