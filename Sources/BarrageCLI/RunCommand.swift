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
              barrage run http://127.0.0.1:8080/echo -m POST --body '{"a":1}' \\
                  -H 'Content-Type: application/json' -n 1000
              barrage run http://127.0.0.1:8080/ --rate 500 -d 30s --max-in-flight 200
              barrage run http://127.0.0.1:8080/ --arrival poisson --seed 42 \\
                  --ramp-rate '0->500:30s,500:60s,500->0:10s'
              barrage run http://127.0.0.1:8080/ \\
                  --ramp-concurrency '0->200:30s,200:60s,200->0:10s'
              barrage run profiles/smoke.yaml -c 10 -d 5s --json -
              barrage run --curl "curl 'http://127.0.0.1:8080/echo' -d 'hi'" -n 100
              barrage run ws://127.0.0.1:8080/ws -c 50 -n 10000 --ws-size 256

            On a profile, -d caps its duration (stages cut there), -n caps its requests, and -c or --rate \
            replace its stages with a constant load, for a quick run; the plan states the override and the \
            result records it (plan.overrides). Other load flags on a profile are errors: edit the profile.

            WebSocket (ws://, wss://; needs libcurl 8): -c connections each send a message and wait for its \
            answer (--ws-answer), -n messages in all, --ws-rate per connection; --rate opens connections instead, \
            each sending --ws-messages. Handshakes are the requests; the messages have their own section. A \
            profile whose target is ws:// or wss:// describes the same in a websocket: block; --ws-* flags override it.

            From other tools: -t is --threads (as in wrk), -z is -d (as in hey); for -q, -k, -o, -T, --latency \
            and --vus the error names Barrage's flag.
            """
        )

        @Argument(help: ArgumentHelp("The URL to load (http://, https://, or ws:// and wss:// for WebSocket), or a load profile (.yaml, .yml or .json); none with --curl.", valueName: "url"))
        var urlArgument: String?

        @Option(help: ArgumentHelp("Load the request of this curl command (the browser's \"Copy as cURL\", bash form) instead of a URL argument; - reads it from standard input.", valueName: "command"))
        var curl: String?

        /// The URL argument, or the URL of the --curl command.
        var url: String { urlArgument ?? curlRequest?.urls.first ?? "" }

        /// The --curl command, read (checked in `validate()`).
        var curlRequest: CurlCommand? { curl.flatMap { try? CurlRun.command($0) } }

        /// The request options, with the --curl command's method, headers, body and transport flags.
        var effectiveRequest: RequestOptions {
            guard let c = curlRequest else { return request }
            return CurlRun.options(request, from: c)
        }

        @Option(name: [.customShort("e"), .customLong("env")], help: ArgumentHelp("Set a profile variable ${NAME} (repeatable; wins over the environment).", valueName: "NAME=VALUE"))
        var variables: [String] = []

        @Option(help: ArgumentHelp("A profile with scenarios: run this scenario (repeatable; default: all of them — today one at a time).", valueName: "name"))
        var scenario: [String] = []

        @Option(name: .shortAndLong, parsing: .unconditional, help: ArgumentHelp("Closed model: workers, requests in flight at once, one connection each (default 50). On a profile: a constant load instead of its stages.", valueName: "n"))
        var concurrency: FlagValue.Whole?

        @Option(parsing: .unconditional, help: ArgumentHelp("Open model: a constant arrival rate in requests per second (with -d or -n). On a profile: a constant rate instead of its stages.", valueName: "req/s"))
        var rate: FlagValue.Rate?

        @Option(help: ArgumentHelp("Open model: a ramping arrival rate, e.g. '0->500:30s,500:60s,500->0:10s'.", valueName: "stages"))
        var rampRate: String?

        @Option(help: ArgumentHelp("Closed model: concurrency along stages, e.g. '0->200:30s,200:60s'.", valueName: "stages"))
        var rampConcurrency: String?

        @Option(parsing: .unconditional, help: ArgumentHelp("Open model: the pool, at most this many requests in flight (default 1000).", valueName: "n"))
        var maxInFlight: FlagValue.Whole?

        @Option(parsing: .unconditional, help: ArgumentHelp("Open model: drop a request not sent within this long after its due time (default: --timeout).", valueName: "duration"))
        var maxLateness: FlagValue.Duration?

        @Option(help: ArgumentHelp("Open model: 'uniform' spacing or 'poisson' arrivals.", valueName: "uniform|poisson"))
        var arrival: String = "uniform"

        @Option(parsing: .unconditional, help: ArgumentHelp("Open model: seed for Poisson arrivals (default 1). On a profile: replaces its seed: (target choice, arrivals, a flow's random values).", valueName: "n"))
        var seed: FlagValue.Seed?

        @OptionGroup var limits: LimitOptions<RunLimits>

        @OptionGroup var request: RequestOptions

        @OptionGroup var threads: ThreadsOption<RunLimits>

        @Option(help: ArgumentHelp("Write the result as JSON (barrage.result.v1) to this path; - for standard output (the summary then goes to stderr).", valueName: "path"))
        var json: String?

        @OptionGroup var gates: GateOptions

        @Flag(help: "Stop the run as soon as any threshold fails (checked once a second on the values so far); exit 99.")
        var abortOnFail = false

        @OptionGroup var exports: ExportOptions

        @Option(help: ArgumentHelp("Stream every request as an NDJSON line (due, sent, done µs; target, status, bytes, error); WebSocket: every handshake and message.", valueName: "path"))
        var raw: String?

        @Option(help: ArgumentHelp("Run one exact share of the plan, I of N (also BARRAGE_SEGMENT=I/N).", valueName: "I/N"))
        var segment: String?

        @Option(parsing: .unconditional, help: ArgumentHelp("Run share JOB_COMPLETION_INDEX + 1 of N (Kubernetes Indexed Jobs).", valueName: "N"))
        var segments: FlagValue.Whole?

        @Option(help: ArgumentHelp("Wait until this moment before starting: RFC 3339 (2026-11-25T20:00:00Z) or +DURATION.", valueName: "time"))
        var startAt: String?

        @Flag(help: "Print only the final summary.")
        var quiet = false

        @OptionGroup var live: LiveOptions

        @OptionGroup(title: "Prometheus remote write") var push: PushOptions

        @OptionGroup var engine: EngineOptions

        @OptionGroup(title: "WebSocket (ws:// and wss://; needs libcurl 8)") var webSocket: WebSocketOptions

        /// A WebSocket run: the URL is ws:// or wss://.
        var isWebSocket: Bool { curl == nil && WebSocketOptions.isWebSocket(url) }

        /// The combinations a WebSocket run refuses (one line each, exit 2), and its message plan's own checks.
        func checkWebSocket() throws {
            if isOpen {
                // The open model: connections arrive at --rate, each sends its --ws-messages and closes.
                guard webSocket.messagesPerConnection != nil else {
                    throw BarrageError.usage("\(rate != nil ? "--rate" : "--ramp-rate"): a WebSocket open model opens connections at this rate; give --ws-messages N (each connection's messages, then it closes)")
                }
                if rate != nil && limits.duration == nil {
                    throw BarrageError.usage("--rate: a WebSocket open model needs -d DURATION (-n counts messages)")
                }
            }
            try refuseForWebSocket()
            _ = try webSocket.plan()
        }

        /// The flags a WebSocket run (a ws:// URL or a WebSocket profile) does not take.
        func refuseForWebSocket() throws {
            let refused: [(String, Bool)] = [
                ("--ramp-concurrency", rampConcurrency != nil),
                ("--method", request.methodFlag.map { $0.uppercased() != "GET" } ?? false),
                ("--body", request.body != nil), ("--body-file", request.bodyFile != nil),
                ("--http", request.httpVersion != "1.1"), ("--max-streams", request.maxStreams != nil),
                ("--no-keepalive", request.noKeepalive), ("--preconnect", request.preconnect),
                ("--follow-redirects", request.followRedirects != nil), ("--compressed", request.compressed),
                // The WebSocket engine does not apply these (`WebSocketThread.configure`): refused, never ignored.
                ("--local-address", !request.localAddress.isEmpty), ("--max-connection-age", request.maxConnectionAge != nil),
                ("--buffer-size", request.bufferSize != nil), ("--engine-mode", engine.engineMode != nil),
                ("--pacer-quantum", engine.pacerQuantum != nil)]
            for (flag, given) in refused where given {
                throw BarrageError.usage("\(flag): not for WebSocket runs (ws://, wss://)")
            }
        }

        /// The load flags, read (`FlagValue`): nil where not given.
        struct Load {
            var concurrency: Int?
            var rate: Double?
            var requests: Int?
            var durationMicros: Int64?
            var maxInFlight: Int?
            var maxLatenessMicros: Int64?
            var seed: UInt64?
            var threads: Int?
        }

        func load() throws -> Load {
            Load(concurrency: try concurrency?.checked("--concurrency", in: 1...1_000_000),
                 rate: try rate?.checked("--rate"),
                 requests: try limits.requestLimit(),
                 durationMicros: try limits.durationMicros(),
                 maxInFlight: try maxInFlight?.checked("--max-in-flight", in: 1...1_000_000),
                 maxLatenessMicros: try maxLateness?.checked("--max-lateness", min: 0, max: 3_600_000_000),
                 seed: try seed?.checked("--seed"),
                 threads: try threads.count())
        }

        var isOpen: Bool { rate != nil || rampRate != nil }

        /// --segment I/N, --segments N with JOB_COMPLETION_INDEX, or BARRAGE_SEGMENT=I/N.
        func resolvedSegment() throws -> Segment? {
            let env = ProcessInfo.processInfo.environment
            if segment != nil && segments != nil { throw BarrageError.usage("--segment and --segments: give one, not both") }
            if let segment { return try Segment.parse(segment, flag: "--segment") }
            if let segmentsFlag = segments {
                let segments = try segmentsFlag.checked("--segments", in: 1...10_000)
                guard let raw = env["JOB_COMPLETION_INDEX"], let index = Int(raw), index >= 0, index < segments else {
                    throw BarrageError.usage("--segments \(segments): JOB_COMPLETION_INDEX must be set to 0…\(segments - 1) (Kubernetes sets it in Indexed Jobs)")
                }
                return Segment(index: index + 1, count: segments)
            }
            if let raw = env["BARRAGE_SEGMENT"], !raw.isEmpty { return try Segment.parse(raw, flag: "BARRAGE_SEGMENT") }
            return nil
        }
        var isProfile: Bool { ProfileInput.isProfile(url) }

        /// Every output, for the checks before the run (writable; at most one on standard output).
        var outputs: [OutputFile] {
            [json.map { OutputFile(path: $0, flag: "--json") }, raw.map { OutputFile(path: $0, flag: "--raw") }].compactMap { $0 }
                + gates.outputs + exports.files
        }

        /// A profile's load overridden from the command line (-d, -n, -c, --rate), and the flags as given.
        func profileOverride() throws -> (LoadOverride, [String]) {
            let l = try load()
            let given = [("--concurrency", concurrency?.text), ("--rate", rate?.text), ("--duration", limits.duration?.text),
                         ("--requests", limits.requests?.text), ("--seed", seed?.text)]
                .compactMap { flag, text in text.map { "\(flag) \($0)" } }
            return (LoadOverride(durationMicros: l.durationMicros, requests: l.requests, concurrency: l.concurrency, rate: l.rate,
                                 seed: l.seed), given)
        }

        func validate() throws {
            if let curl {
                if urlArgument != nil { throw BarrageError.usage("--curl: the URL comes from the curl command; give no URL argument") }
                _ = try CurlRun.command(curl, checking: request)
            } else if urlArgument == nil {
                throw BarrageError.usage("give a URL or a load profile to run (or --curl 'curl …')")
            }
            _ = try resolvedSegment()
            if let startAt { _ = try StartAt.parse(startAt) }
            _ = try ProfileInput.variables(variables)
            try OutputFile.checkOneStdout(outputs)
            let l = try load()
            if isProfile {
                let shape: [(String, Bool)] = [("--ramp-concurrency", rampConcurrency != nil), ("--ramp-rate", rampRate != nil),
                    ("--max-in-flight", maxInFlight != nil), ("--max-lateness", maxLateness != nil),
                    ("--arrival", arrival != "uniform")]
                for (flag, given) in shape where given {
                    throw BarrageError.usage("\(flag): the profile \(url) sets the load shape (load:); edit the profile instead (-d, -n, -c and --rate override it for a quick run)")
                }
                if concurrency != nil && rate != nil { throw BarrageError.usage("--concurrency and --rate: give one, not both") }
                _ = try webSocket.settings() // each --ws-* value; whether the profile is a WebSocket one is known once it is read
                return
            }
            if !variables.isEmpty { throw BarrageError.usage("--env: only for profiles") }
            if !scenario.isEmpty { throw BarrageError.usage("--scenario: only for profiles with scenarios") }
            if isWebSocket {
                try checkWebSocket()
                // The URL's form is an HTTP URL's: ws:// as http://, wss:// as https://.
                if let problem = HTTPURL.problem("http" + url.dropFirst(2)) {
                    throw BarrageError.usage("URL '\(Redaction.url(url))': \(problem)")
                }
            } else if let flag = webSocket.given.first {
                throw BarrageError.usage("\(flag): only for WebSocket runs (a ws:// or wss:// URL)")
            } else {
                try RequestOptions.checkURL(url)
            }
            if rate != nil && rampRate != nil { throw BarrageError.usage("--rate and --ramp-rate: give one, not both") }
            if let rampConcurrency {
                if isOpen { throw BarrageError.usage("--ramp-concurrency: the closed model's ramp; the open model takes --ramp-rate") }
                if concurrency != nil { throw BarrageError.usage("--ramp-concurrency and --concurrency: give one, not both") }
                if limits.duration != nil { throw BarrageError.usage("--duration: --ramp-concurrency sets the duration through its stages") }
                let parsed = try RampGrammar.parse(rampConcurrency, flag: "--ramp-concurrency")
                for v in [parsed.start] + parsed.stages.map(\.value) where v != v.rounded(.down) || v > 1_000_000 {
                    throw BarrageError.usage("--ramp-concurrency '\(rampConcurrency)': concurrency must be a whole number up to 1000000")
                }
            }
            if isOpen {
                if concurrency != nil {
                    throw BarrageError.usage("--concurrency: the open model (--rate/--ramp-rate) takes --max-in-flight instead")
                }
                if l.rate != nil && limits.duration == nil && limits.requests == nil {
                    throw BarrageError.usage("--rate: give -d DURATION or -n REQUESTS to bound the run")
                }
                if rampRate != nil && limits.duration != nil {
                    throw BarrageError.usage("--duration: --ramp-rate sets the duration through its stages")
                }
                if let rampRate { _ = try RampGrammar.parse(rampRate, flag: "--ramp-rate") }
                guard arrival == "uniform" || arrival == "poisson" else {
                    throw BarrageError.usage("--arrival '\(arrival)': expected uniform or poisson")
                }
            } else {
                for (flag, given) in [("--max-in-flight", maxInFlight != nil), ("--max-lateness", maxLateness != nil),
                                      ("--seed", seed != nil), ("--arrival", arrival != "uniform")] where given {
                    throw BarrageError.usage("\(flag): only for the open model (--rate or --ramp-rate)")
                }
            }
        }

        /// The load flags as the plan builder takes them.
        func loadFlags() throws -> LoadFlags {
            let l = try load()
            return LoadFlags(concurrency: l.concurrency, rate: l.rate,
                             rampRate: try rampRate.map { try RampGrammar.parse($0, flag: "--ramp-rate") },
                             rampConcurrency: try rampConcurrency.map { try RampGrammar.parse($0, flag: "--ramp-concurrency") },
                             requests: l.requests, durationMicros: l.durationMicros, maxInFlight: l.maxInFlight,
                             maxLatenessMicros: l.maxLatenessMicros, poisson: arrival == "poisson", seed: l.seed)
        }

        /// The plan: flags read into `PlanInputs`, then `PlanBuilder`.
        func plan() throws -> RunPlan { try planned().plan }

        /// The plan and, for a profile, its thresholds and the scenarios it has that this run leaves out.
        func planned() throws -> (plan: RunPlan, thresholds: [Profile.ThresholdSpec], notRunning: [String]) {
            let l = try load()
            let segment = try resolvedSegment()
            let tuning = try engine.tuning()
            if isProfile {
                let (override, given) = try profileOverride()
                let loaded = try ProfileInput.load(url, variables: variables, request: effectiveRequest, threads: l.threads,
                                                   load: override, overrides: given, segment: segment, recordRaw: raw != nil,
                                                   engine: tuning, scenarios: scenario, webSocket: try webSocket.settings())
                if loaded.plan.workload.webSocket != nil {
                    try refuseForWebSocket()
                } else if let flag = webSocket.given.first {
                    throw BarrageError.usage("\(flag): only for WebSocket runs (\(url) has no ws:// or wss:// target)")
                }
                let running = loaded.plan.lanes.isEmpty ? loaded.plan.workload.flow?.scenario : nil
                let lanes = loaded.plan.lanes.map(\.name)
                return (loaded.plan, loaded.profile.thresholds,
                        loaded.profile.scenarios.map(\.name).filter { $0 != running && !lanes.contains($0) })
            }
            var inputs = try effectiveRequest.inputs(url: url, load: try loadFlags(), threads: l.threads)
            inputs.segment = segment
            inputs.recordRaw = raw != nil
            inputs.engine = tuning
            var plan = try PlanBuilder.build(inputs)
            if isWebSocket { plan.workload.webSocket = try webSocket.plan() }
            return (plan, [], [])
        }

        func run() throws {
            if isWebSocket { try WebSocketOptions.checkLibcurl() }
            let (plan, profileThresholds, notRunning) = try planned()
            if plan.workload.webSocket != nil && !isWebSocket { try WebSocketOptions.checkLibcurl() } // a WebSocket profile
            try RequestOptions.checkHTTPVersion(plan.httpVersion, urls: plan.targets.map(\.url))
            // Gates on a scenario of the profile that this run leaves out (--scenario) are set aside, with a note.
            let record = PlanRecord(plan)
            let thresholds = try gates.parsed(extra: profileThresholds, abortOnFail: abortOnFail).compactMap { gate -> Threshold? in
                var t = gate
                let scenario: String?
                switch t.scope {
                case .scenario(let name), .step(let name, _): scenario = name
                case .target(let name):
                    // `target:SCENARIO/STEP` names a step the way a run of several scenarios does; run alone, the
                    // scenario's steps keep their own names, so the gate reads the step.
                    let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
                    guard parts.count == 2, !record.targets.contains(where: { $0.name == name }),
                          notRunning.contains(parts[0]) || record.scenario == parts[0] else { scenario = nil; break }
                    scenario = parts[0]
                    if record.scenario == parts[0] { t.scope = .step(scenario: parts[0], step: parts[1]) }
                default: scenario = nil
                }
                guard let scenario, notRunning.contains(scenario) else { return t }
                writeStderr("barrage: threshold '\(Threshold.oneLine(t.expr))' not judged: scenario \(scenario) is not running\n")
                return nil
            }
            for t in thresholds { try t.validate(against: record) }
            let output = json.map { OutputFile(path: $0, flag: "--json") }
            try OutputFile.prepare(outputs)
            let rawWriter = try raw.map { try RawWriter(path: $0) }
            var execution = try RunExecution(plan: plan, quiet: quiet, thresholds: thresholds, live: live, raw: rawWriter, push: push)
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
            if let failure = result.setup?.error, !result.interrupted {
                // The setup failed: no load was sent; the outputs still say so (the setup section, zero requests).
                printFlush(TextReport.render(result, header: quiet))
                try output?.write(try result.jsonData())
                try exports.write(result)
                try rawWriter?.finish()
                try gates.writeReports(result: result, thresholds: [])
                throw BarrageError.failure(failure)
            }
            if let when = execution.startAtEpochMillis, result.started_epoch_ms > when + 100 {
                writeStderr("barrage: the connect phase ended \(DurationParser.format(micros: (result.started_epoch_ms - when) * 1000)) after the start time; the run started then\n")
            }
            result.thresholds = ThresholdEvaluator.evaluate(thresholds, on: result)
            printFlush(TextReport.render(result, header: quiet)) // the plan block named the run unless --quiet
            if !thresholds.isEmpty { printFlush(ThresholdEvaluator.summary(result.thresholds, run: result)) }
            try output?.write(try result.jsonData())
            try exports.write(result)
            try rawWriter?.finish()
            try gates.writeReports(result: result, thresholds: result.thresholds)
            MetricsLinger.wait()
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
    /// `--prometheus-rw` and its settings, when given.
    let push: PushOptions?
    /// With a connect phase: the measured run starts at this Unix time (ms) at the earliest, after the phase.
    var startAtEpochMillis: Int64? = nil

    init(plan: RunPlan, quiet: Bool, thresholds: [Threshold] = [], live: LiveOptions? = nil, raw: RawWriter? = nil,
         push: PushOptions? = nil) throws {
        self.raw = raw
        self.push = push?.prometheusRW == nil ? nil : push
        self.plan = plan
        self.quiet = quiet
        self.thresholds = thresholds
        self.live = live
        descriptorLimit = try LevelRunner.checkDescriptors(for: plan)
    }

    func execute() throws -> RunResult {
        if !plan.lanes.isEmpty { return try LaneRun(execution: self).execute() }
        Signals.install()
        if !quiet {
            let context = PlanBlock.Context(descriptorsNeeded: plan.descriptorsNeeded, descriptorLimit: descriptorLimit,
                                            hint: plan.connectStormHint)
            printFlush(PlanBlock.lines(PlanRecord(plan), version: Barrage.version, context: context).joined(separator: "\n"))
        }
        // The run's setup: once, before any load; the flows then read what it captured.
        let signalsBefore = Signals.count
        let setup = try SetupRun.run(for: plan, signalsBefore: signalsBefore)
        if let setup, setup.failed { return try setup.resultWithoutLoad(plan) }
        let running = setup.map { plan.withRunValues($0.values) } ?? plan
        var watch = AbortWatch(thresholds: thresholds, plan: running)
        var abortedBy: String? = nil
        let reporter = try live.map { try LiveReporter(plan: running, options: $0, quiet: quiet, thresholds: thresholds) }
        defer { reporter?.finish() }
        let runID = try RunIdentity.forNewRun()
        let pusher = try push.map { try PrometheusPusher(options: $0, plan: running, runID: runID) }
        var result = try LevelRunner.run(running, startAtEpochMillis: startAtEpochMillis, signalsBefore: signalsBefore, runID: runID,
                                         abort: { progress in
            guard abortedBy == nil, let failing = watch.failing(progress) else { return nil }
            abortedBy = "threshold '\(failing.expr)' failed (\(failing.measuredText)) with abort_on_fail"
            return abortedBy
        }, observe: { reporter?.update($0); pusher?.observe($0) }, raw: raw).result
        result.aborted_by = abortedBy
        if abortedBy != nil { result.interrupted = true }
        result.setup = setup?.section
        reporter?.finish(final: result)
        if let line = pusher?.finish(result: result) { writeStderr(line + "\n") }
        return result
    }
}
