import ArgumentParser
import Foundation
import BarrageCore
import BarrageEngine

extension Barrage {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send load to a URL and report latency and throughput.",
            discussion: """
            Closed model (default): -c workers each send a request, wait for its response, and send again, until \
            the request count or the duration is reached (with neither: 10s). Requests in flight at the end finish \
            within the timeout and are counted.

            Open model (--rate or --ramp-rate): requests are due at times set by the rate, whatever the server \
            does, through a pool of at most --max-in-flight requests. A due request with no free slot waits and \
            its latency counts from its due time (corrected for coordinated omission); one still unsent after \
            --max-lateness is dropped and counted. Ramp grammar: FROM->TO:DURATION or VALUE:DURATION, \
            comma-separated, e.g. '0->500:30s,500:60s,500->0:10s'.

            Examples:
              barrage run http://127.0.0.1:8080/ -c 50 -d 10s --json result.json
              barrage run http://127.0.0.1:8080/echo -m POST --body '{"a":1}' -H 'Content-Type: application/json' -n 1000
              barrage run http://127.0.0.1:8080/ --rate 500 -d 30s --max-in-flight 200
              barrage run http://127.0.0.1:8080/ --ramp-rate '0->500:30s,500:60s,500->0:10s' --arrival poisson --seed 42
              barrage run http://127.0.0.1:8080/ --ramp-concurrency '0->200:30s,200:60s,200->0:10s'
            """
        )

        @Argument(help: "The URL to load (http:// or https://), or a load profile (.yaml, .yml or .json).")
        var url: String

        @Option(name: [.customShort("e"), .customLong("env")], help: ArgumentHelp("Set a profile variable ${NAME} (repeatable; wins over the environment).", valueName: "NAME=VALUE"))
        var variables: [String] = []

        @Option(name: .shortAndLong, help: "Closed model: workers, requests in flight at once, one connection each (default 50).")
        var concurrency: Int?

        @Option(help: ArgumentHelp("Open model: a constant arrival rate in requests per second (with -d or -n).", valueName: "req/s"))
        var rate: Double?

        @Option(help: ArgumentHelp("Open model: a ramping arrival rate, e.g. '0->500:30s,500:60s,500->0:10s'.", valueName: "stages"))
        var rampRate: String?

        @Option(help: ArgumentHelp("Closed model: concurrency along stages, e.g. '0->200:30s,200:60s'.", valueName: "stages"))
        var rampConcurrency: String?

        @Option(help: "Open model: the pool, at most this many requests in flight (default 1000).")
        var maxInFlight: Int?

        @Option(help: ArgumentHelp("Open model: drop a request not sent within this long after its due time (default: --timeout).", valueName: "duration"))
        var maxLateness: String?

        @Option(help: ArgumentHelp("Open model: 'uniform' spacing or 'poisson' arrivals.", valueName: "uniform|poisson"))
        var arrival: String = "uniform"

        @Option(help: "Open model: seed for Poisson arrivals (default 1).")
        var seed: UInt64?

        @Option(name: [.customShort("n"), .long], help: "Stop after this many requests in total.")
        var requests: Int?

        @Option(name: .shortAndLong, help: ArgumentHelp("Stop sending after this long (250ms, 10s, 2m, 1h). Default 10s unless -n is given.", valueName: "duration"))
        var duration: String?

        @OptionGroup var request: RequestOptions

        @Option(help: "Engine threads (default: the CPUs this process may run on).")
        var threads: Int?

        @Option(help: ArgumentHelp("Write the result as JSON (barrage.result.v1) to this path.", valueName: "path"))
        var json: String?

        @OptionGroup var gates: GateOptions

        @OptionGroup var exports: ExportOptions

        @Option(help: ArgumentHelp("Run one exact share of the plan, I of N (also BARRAGE_SEGMENT=I/N).", valueName: "I/N"))
        var segment: String?

        @Option(help: ArgumentHelp("Run share JOB_COMPLETION_INDEX + 1 of N (Kubernetes Indexed Jobs).", valueName: "N"))
        var segments: Int?

        @Option(help: ArgumentHelp("Wait until this moment before starting: RFC 3339 (2026-11-25T20:00:00Z) or +DURATION.", valueName: "time"))
        var startAt: String?

        @Flag(help: "Print only the final summary.")
        var quiet = false

        @OptionGroup var live: LiveOptions

        var isOpen: Bool { rate != nil || rampRate != nil }

        /// --segment I/N, --segments N with JOB_COMPLETION_INDEX, or BARRAGE_SEGMENT=I/N.
        func resolvedSegment() throws -> Segment? {
            let env = ProcessInfo.processInfo.environment
            if segment != nil && segments != nil { throw BarrageError.usage("--segment and --segments: give one, not both") }
            if let segment { return try Segment.parse(segment, flag: "--segment") }
            if let segments {
                guard segments >= 1, segments <= 10_000 else { throw BarrageError.usage("--segments \(segments): must be between 1 and 10000") }
                guard let raw = env["JOB_COMPLETION_INDEX"], let index = Int(raw), index >= 0, index < segments else {
                    throw BarrageError.usage("--segments \(segments): JOB_COMPLETION_INDEX must be set to 0…\(segments - 1) (Kubernetes sets it in Indexed Jobs)")
                }
                return Segment(index: index + 1, count: segments)
            }
            if let raw = env["BARRAGE_SEGMENT"], !raw.isEmpty { return try Segment.parse(raw, flag: "BARRAGE_SEGMENT") }
            return nil
        }
        var isProfile: Bool { ProfileInput.isProfile(url) }

        func validate() throws {
            _ = try resolvedSegment()
            if let startAt { _ = try StartAt.parse(startAt) }
            _ = try ProfileInput.variables(variables)
            if isProfile {
                let shape: [(String, Bool)] = [("--concurrency", concurrency != nil), ("--requests", requests != nil), ("--ramp-concurrency", rampConcurrency != nil),
                    ("--duration", duration != nil), ("--rate", rate != nil), ("--ramp-rate", rampRate != nil),
                    ("--max-in-flight", maxInFlight != nil), ("--max-lateness", maxLateness != nil),
                    ("--arrival", arrival != "uniform"), ("--seed", seed != nil)]
                for (flag, given) in shape where given {
                    throw BarrageError.usage("\(flag): the profile \(url) sets the load shape (load.stages); edit the profile instead")
                }
                return
            }
            if !variables.isEmpty { throw BarrageError.usage("--env: only for profiles") }
            try RequestOptions.checkURL(url)
            if let concurrency, concurrency < 1 || concurrency > 1_000_000 {
                throw BarrageError.usage("--concurrency \(concurrency): must be between 1 and 1000000")
            }
            if rate != nil && rampRate != nil { throw BarrageError.usage("--rate and --ramp-rate: give one, not both") }
            if let rampConcurrency {
                if isOpen { throw BarrageError.usage("--ramp-concurrency: the closed model's ramp; the open model takes --ramp-rate") }
                if concurrency != nil { throw BarrageError.usage("--ramp-concurrency and --concurrency: give one, not both") }
                if duration != nil { throw BarrageError.usage("--duration: --ramp-concurrency sets the duration through its stages") }
                let parsed = try RampGrammar.parse(rampConcurrency, flag: "--ramp-concurrency")
                for v in [parsed.start] + parsed.stages.map(\.value) where v != v.rounded(.down) || v > 1_000_000 {
                    throw BarrageError.usage("--ramp-concurrency '\(rampConcurrency)': concurrency must be a whole number up to 1000000")
                }
            }
            if isOpen {
                if concurrency != nil {
                    throw BarrageError.usage("--concurrency: the open model (--rate/--ramp-rate) takes --max-in-flight instead")
                }
                if let rate, !(rate > 0 && rate <= 10_000_000) {
                    throw BarrageError.usage("--rate \(rate): must be above 0 and at most 10000000 req/s")
                }
                if rate != nil && duration == nil && requests == nil {
                    throw BarrageError.usage("--rate: give -d DURATION or -n REQUESTS to bound the run")
                }
                if rampRate != nil && duration != nil {
                    throw BarrageError.usage("--duration: --ramp-rate sets the duration through its stages")
                }
                if let rampRate { _ = try RampGrammar.parse(rampRate, flag: "--ramp-rate") }
                if let maxInFlight, maxInFlight < 1 || maxInFlight > 1_000_000 {
                    throw BarrageError.usage("--max-in-flight \(maxInFlight): must be between 1 and 1000000")
                }
                if let maxLateness { _ = try RequestOptions.duration(maxLateness, flag: "--max-lateness", min: 0, max: 3_600_000_000) }
                guard arrival == "uniform" || arrival == "poisson" else {
                    throw BarrageError.usage("--arrival '\(arrival)': expected uniform or poisson")
                }
            } else {
                for (flag, given) in [("--max-in-flight", maxInFlight != nil), ("--max-lateness", maxLateness != nil),
                                      ("--seed", seed != nil), ("--arrival", arrival != "uniform")] where given {
                    throw BarrageError.usage("\(flag): only for the open model (--rate or --ramp-rate)")
                }
            }
            if let requests, requests < 1 {
                throw BarrageError.usage("--requests \(requests): must be at least 1")
            }
            if let duration {
                _ = try RequestOptions.duration(duration, flag: "--duration", min: 1_000, max: 100 * 86_400 * 1_000_000)
            }
            if let threads, threads < 1 || threads > 1024 {
                throw BarrageError.usage("--threads \(threads): must be between 1 and 1024")
            }
        }

        func plan() throws -> RunPlan {
            if isProfile { return try ProfileInput.load(url, variables: variables, request: request, threads: threads).plan }
            if isOpen { return try openPlan() }
            if let rampConcurrency {
                let parsed = try RampGrammar.parse(rampConcurrency, flag: "--ramp-concurrency")
                return RunPlan.closedStages(parsed.stages.map { ClosedStage(durationMicros: $0.durationMicros, concurrency: Int($0.value)) },
                                            start: Int(parsed.start), requestLimit: requests, targets: [try request.target(url: url)],
                                            timeoutMicros: try request.timeoutMicros(), connectTimeoutMicros: try request.connectTimeoutMicros(),
                                            threads: threads ?? SystemLimits.availableCPUs(), keepAlive: !request.noKeepalive)
                    .withTransport(try request.transport(), httpVersion: request.httpVersion)
            }
            var durationMicros: Int64? = nil
            if let duration {
                durationMicros = try RequestOptions.duration(duration, flag: "--duration", min: 1_000, max: 100 * 86_400 * 1_000_000)
            } else if requests == nil {
                durationMicros = 10_000_000
            }
            return try request.plan(url: url, concurrency: concurrency ?? 50, requests: requests,
                                    durationMicros: durationMicros, threads: threads)
        }

        func openPlan() throws -> RunPlan {
            let stages: [RateStage]
            let startRate: Double
            if let rampRate {
                let parsed = try RampGrammar.parse(rampRate, flag: "--ramp-rate")
                startRate = parsed.start
                stages = parsed.stages.map { RateStage(durationMicros: $0.durationMicros, rate: $0.value) }
            } else {
                let r = rate!
                let micros: Int64
                if let duration {
                    micros = try RequestOptions.duration(duration, flag: "--duration", min: 1_000, max: 100 * 86_400 * 1_000_000)
                } else {
                    micros = Int64((Double(requests!) / r * 1_000_000).rounded(.up))
                }
                startRate = r
                stages = [RateStage(durationMicros: micros, rate: r)]
            }
            let schedule = OpenSchedule(startRate: startRate, stages: stages,
                                        arrival: arrival == "poisson" ? .poisson(seed: seed ?? 1) : .uniform)
            let timeout = try request.timeoutMicros()
            let lateness = try maxLateness.map { try RequestOptions.duration($0, flag: "--max-lateness", min: 0, max: 3_600_000_000) } ?? timeout
            return RunPlan.open(schedule: schedule, maxInFlight: maxInFlight ?? 1_000, maxLatenessMicros: lateness,
                                requestLimit: requests, targets: [try request.target(url: url)], timeoutMicros: timeout,
                                connectTimeoutMicros: try request.connectTimeoutMicros(),
                                threads: threads ?? SystemLimits.availableCPUs(), keepAlive: !request.noKeepalive)
                .withTransport(try request.transport(), httpVersion: request.httpVersion)
        }

        func run() throws {
            var profileThresholds: [Profile.ThresholdSpec] = []
            var plan: RunPlan
            if isProfile {
                let loaded = try ProfileInput.load(url, variables: variables, request: request, threads: threads)
                plan = loaded.plan
                profileThresholds = loaded.profile.thresholds
            } else {
                plan = try self.plan()
            }
            plan.segment = try resolvedSegment()
            plan.recordRaw = exports.raw != nil
            try RequestOptions.checkH2C(httpVersion: plan.httpVersion, urls: plan.targets.map(\.url))
            let thresholds = try gates.parsed(extra: profileThresholds)
            for t in thresholds { try t.validate(against: PlanRecord(plan)) }
            let output = json.map { OutputFile(path: $0, flag: "--json") }
            try output?.checkWritable()
            for o in gates.outputs { try o.checkWritable() }
            try exports.checkWritable()
            let rawWriter = try exports.raw.map { try RawWriter(path: $0) }
            var execution = try RunExecution(plan: plan, quiet: quiet, thresholds: thresholds, live: live, raw: rawWriter)
            if let startAt {
                let when = try StartAt.parse(startAt)
                if plan.transport.preconnect {
                    // Open the connections first, then wait: every segment's measured run starts at the same moment.
                    execution.startAtEpochMillis = when
                    if !quiet { printFlush("Opening connections, then waiting for the start time…") }
                } else {
                    try StartAt.wait(until: when, quiet: quiet)
                }
            }
            var result = try execution.execute()
            if let when = execution.startAtEpochMillis, result.started_epoch_ms > when + 100 {
                writeStderr("barrage: the connect phase ended \(DurationParser.format(micros: (result.started_epoch_ms - when) * 1000)) after the start time; the run started then\n")
            }
            result.thresholds = ThresholdEvaluator.evaluate(thresholds, on: result)
            printFlush(TextReport.render(result))
            if !thresholds.isEmpty { printFlush(ThresholdEvaluator.summary(result.thresholds)) }
            try output?.write(try result.jsonData())
            try exports.write(result)
            try rawWriter?.finish()
            try gates.writeReports(result: result, thresholds: result.thresholds)
            if result.interrupted && result.aborted_by == nil { throw ExitCode(ExitStatus.interrupted.rawValue) }
            if !ThresholdEvaluator.allPassed(result.thresholds) || result.aborted_by != nil {
                throw ExitCode(ExitStatus.gateFailed.rawValue)
            }
            // Measured nothing: a dead service must not pass a CI job that forgot its thresholds.
            if let nothing = RunOutcome.line(result) { throw BarrageError.failure(nothing) }
        }
    }
}

/// Runs a plan with the process-level duties around it: descriptor limits, signals, the plan line.
struct RunExecution {
    let plan: RunPlan
    let quiet: Bool
    let thresholds: [Threshold]
    let live: LiveOptions?
    let descriptorLimit: Int
    let raw: RawWriter?
    /// With a connect phase: the measured run starts at this Unix time (ms) at the earliest, after the phase.
    var startAtEpochMillis: Int64? = nil

    init(plan: RunPlan, quiet: Bool, thresholds: [Threshold] = [], live: LiveOptions? = nil, raw: RawWriter? = nil) throws {
        self.raw = raw
        self.plan = plan
        self.quiet = quiet
        self.thresholds = thresholds
        self.live = live
        descriptorLimit = try LevelRunner.checkDescriptors(for: plan)
    }

    func execute() throws -> RunResult {
        Signals.install()
        if !quiet {
            printFlush(TextReport.planLine(PlanRecord(plan)))
            let https = plan.targets.contains { $0.url.lowercased().hasPrefix("https://") }
            printFlush("  \(plan.processConcurrency) connection\(plan.processConcurrency == 1 ? "" : "s") need ~\(plan.descriptorsNeeded) file descriptors (limit \(descriptorLimit))"
                + (https ? " · TLS certificates verified" : ""))
            if let hint = plan.connectStormHint { printFlush("  " + hint) }
        }
        var watch = AbortWatch(thresholds: thresholds, plan: plan)
        var abortedBy: String? = nil
        let reporter = try live.map { try LiveReporter(plan: plan, options: $0, quiet: quiet) }
        defer { reporter?.finish() }
        var result = try LevelRunner.run(plan, startAtEpochMillis: startAtEpochMillis, signalsBefore: Signals.count, abort: { progress in
            guard abortedBy == nil, let failing = watch.failing(progress) else { return nil }
            abortedBy = "threshold '\(failing.expr)' failed (\(failing.measuredText)) with abort_on_fail"
            return abortedBy
        }, observe: { reporter?.update($0) }, raw: raw).result
        reporter?.finish()
        result.aborted_by = abortedBy
        if abortedBy != nil { result.interrupted = true }
        return result
    }
}
