import Foundation

/// Everything a plan is made from, read but not yet combined: the load (from flags or a profile), the request and
/// transport settings, and the process's part (threads, segment, raw stream, engine tuning). The CLI only reads
/// flags into this value; `PlanBuilder` makes the plan from it, so every subcommand builds plans the same way.
public struct PlanInputs: Sendable {
    /// Where the load and the requests come from.
    public enum Source: Sendable {
        /// `run URL` and friends: one target and the load flags.
        case flags(LoadFlags, target: RequestTarget)
        /// `run profile.yaml`: the profile, with the command line's load override (`-d`, `-n`, `-c`, `--rate`) and the
        /// flags as given (recorded in the plan).
        case profile(Profile, override: LoadOverride, given: [String])
    }

    public var source: Source
    /// The timeouts (both sources) and, on a profile, the request flags that apply on top of its targets (method,
    /// headers, body); a `.flags` target already carries its method, headers and body.
    public var request: RequestOverride
    public var transport: Transport
    public var threads: Int
    public var segment: Segment?
    public var recordRaw: Bool
    public var engine: EngineTuning
    /// A profile with scenarios: the ones to run (`--scenario`); empty: all of them.
    public var scenarios: [String]
    /// A WebSocket profile: the `--ws-*` flags, each field replacing the profile's `websocket:` field.
    public var webSocket: WebSocketSettings

    public init(source: Source, request: RequestOverride = RequestOverride(), transport: Transport = Transport(), threads: Int,
                segment: Segment? = nil, recordRaw: Bool = false, engine: EngineTuning = EngineTuning(), scenarios: [String] = [],
                webSocket: WebSocketSettings = WebSocketSettings()) {
        self.source = source; self.request = request; self.transport = transport; self.threads = threads
        self.segment = segment; self.recordRaw = recordRaw; self.engine = engine; self.scenarios = scenarios
        self.webSocket = webSocket
    }
}

/// `run`'s load flags, each read and range-checked; nil where not given.
public struct LoadFlags: Sendable, Equatable {
    public var concurrency: Int?
    public var rate: Double?
    public var rampRate: RampGrammar.Parsed?
    public var rampConcurrency: RampGrammar.Parsed?
    public var requests: Int?
    public var durationMicros: Int64?
    public var maxInFlight: Int?
    public var maxLatenessMicros: Int64?
    public var poisson: Bool
    public var seed: UInt64?

    public init(concurrency: Int? = nil, rate: Double? = nil, rampRate: RampGrammar.Parsed? = nil,
                rampConcurrency: RampGrammar.Parsed? = nil, requests: Int? = nil, durationMicros: Int64? = nil,
                maxInFlight: Int? = nil, maxLatenessMicros: Int64? = nil, poisson: Bool = false, seed: UInt64? = nil) {
        self.concurrency = concurrency; self.rate = rate; self.rampRate = rampRate; self.rampConcurrency = rampConcurrency
        self.requests = requests; self.durationMicros = durationMicros; self.maxInFlight = maxInFlight
        self.maxLatenessMicros = maxLatenessMicros; self.poisson = poisson; self.seed = seed
    }

    public var isOpen: Bool { rate != nil || rampRate != nil }
}

/// The request flags that override a profile's targets: a method, headers (a same-named header replaces), a body and
/// the timeouts; nil or empty where not given.
public struct RequestOverride: Sendable, Equatable {
    public var method: String?
    public var headers: [String]
    public var body: [UInt8]?
    public var timeoutMicros: Int64?
    public var connectTimeoutMicros: Int64?

    public init(method: String? = nil, headers: [String] = [], body: [UInt8]? = nil, timeoutMicros: Int64? = nil,
                connectTimeoutMicros: Int64? = nil) {
        self.method = method; self.headers = headers; self.body = body; self.timeoutMicros = timeoutMicros
        self.connectTimeoutMicros = connectTimeoutMicros
    }
}

/// Makes a `RunPlan` from `PlanInputs`: the one place a plan is put together. Pure: no files, no clock, no network.
public enum PlanBuilder {
    /// The plan a profile's request timeout and connect timeout default to when neither it nor a flag sets them.
    public static let defaultTimeoutMicros: Int64 = 30_000_000
    public static let defaultConnectTimeoutMicros: Int64 = 10_000_000
    /// The open model's pool when not given.
    public static let defaultMaxInFlight = 1_000
    /// A closed run given neither `-n` nor `-d` runs this long.
    public static let defaultDurationMicros: Int64 = 10_000_000
    /// A closed run's workers when `-c` is not given.
    public static let defaultConcurrency = 50

    /// The plan, or a usage error when the load override does not fit the profile (naming the flag).
    public static func build(_ inputs: PlanInputs) throws -> RunPlan {
        var plan: RunPlan
        switch inputs.source {
        case .flags(let flags, let target):
            let timeout = inputs.request.timeoutMicros ?? defaultTimeoutMicros
            var transport = inputs.transport
            transport.connectTimeoutMicros = inputs.request.connectTimeoutMicros ?? defaultConnectTimeoutMicros
            plan = RunPlan(load: load(flags, timeoutMicros: timeout),
                           workload: Workload(targets: [target], timeoutMicros: timeout),
                           transport: transport, requestLimit: flags.requests, threads: inputs.threads)
        case .profile(let profile, let override, let given):
            if profile.scenarios.isEmpty {
                if !inputs.scenarios.isEmpty {
                    throw BarrageError.usage("--scenario: \(profile.path) has no scenarios (it has targets:)")
                }
                plan = self.plan(profile: profile, request: inputs.request, transport: inputs.transport, threads: inputs.threads)
                if let written = profile.webSocket {
                    let settings = written.overridden(by: inputs.webSocket)
                    if let problem = settings.payloadProblem {
                        // Only the flags can make it so: the loader checked the profile's own message.
                        throw BarrageError.usage("--ws-message/--ws-size over \(profile.path)'s websocket: block: " + problem
                            + (problem.hasPrefix("not UTF-8") ? " (--ws-binary)" : ""))
                    }
                    plan.workload.webSocket = settings.plan()
                }
            } else {
                let chosen = try scenarios(of: profile, selected: inputs.scenarios)
                if chosen.count > 1 || chosen[0].startAfterMicros > 0 {
                    plan = try lanesPlan(profile, chosen, inputs: inputs, override: override, given: given)
                    plan.runSetup = runSetup(of: profile, request: inputs.request)
                    plan.segment = inputs.segment
                    plan.recordRaw = inputs.recordRaw
                    plan.engine = inputs.engine
                    return plan
                }
                plan = try self.plan(profile: profile, scenario: chosen[0], request: inputs.request, transport: inputs.transport,
                                     threads: inputs.threads)
                plan.runSetup = runSetup(of: profile, request: inputs.request)
            }
            if !override.isEmpty {
                if let problem = override.problem(with: plan) {
                    let flag = override.concurrency != nil && override.rate != nil ? "--concurrency and --rate"
                        : given.first { $0.hasPrefix("--duration") } ?? "--duration"
                    throw BarrageError.usage("\(flag): \(problem)")
                }
                plan = override.applied(to: plan)
                plan.overrides = given
                if let ws = plan.workload.webSocket, plan.schedule != nil, ws.messagesPerConnection == nil {
                    throw BarrageError.usage("--rate: a WebSocket open model opens connections at this rate; give --ws-messages N (or websocket.messages in \(profile.path))")
                }
            }
        }
        plan.segment = inputs.segment
        plan.recordRaw = inputs.recordRaw
        plan.engine = inputs.engine
        return plan
    }

    /// The load `run`'s flags describe: the open model with `--rate`/`--ramp-rate`, a closed ramp with
    /// `--ramp-concurrency`, else constant workers (`-c`, default 50) for `-d` or `-n` (neither: 10 s).
    public static func load(_ f: LoadFlags, timeoutMicros: Int64) -> LoadModel {
        if f.isOpen {
            let stages: [RateStage]
            let startRate: Double
            if let ramp = f.rampRate {
                startRate = ramp.start
                stages = ramp.stages.map { RateStage(durationMicros: $0.durationMicros, rate: $0.value) }
            } else {
                let r = f.rate ?? 0
                let micros = f.durationMicros ?? Int64((Double(f.requests ?? 0) / r * 1_000_000).rounded(.up))
                startRate = r
                stages = [RateStage(durationMicros: micros, rate: r)]
            }
            let schedule = OpenSchedule(startRate: startRate, stages: stages, arrival: f.poisson ? .poisson(seed: f.seed ?? 1) : .uniform)
            return .open(schedule, maxInFlight: f.maxInFlight ?? defaultMaxInFlight, maxLatenessMicros: f.maxLatenessMicros ?? timeoutMicros)
        }
        if let ramp = f.rampConcurrency {
            return .closed(start: Int(ramp.start),
                           stages: ramp.stages.map { ClosedStage(durationMicros: $0.durationMicros, concurrency: Int($0.value)) })
        }
        let duration = f.durationMicros ?? (f.requests == nil ? defaultDurationMicros : nil)
        return .closed(workers: f.concurrency ?? defaultConcurrency, durationMicros: duration)
    }

    /// The scenario to run: the one named with `--scenario`, or the profile's only one. Several at once are not
    /// supported yet: a usage error that says how to run them one at a time.
    static func scenarios(of p: Profile, selected: [String]) throws -> [Profile.Scenario] {
        let names = p.scenarios.map(\.name)
        for name in selected where !names.contains(name) {
            let hint = Suggestion.closest(to: name, among: names).map { " (did you mean '\($0)'?)" } ?? ""
            throw BarrageError.usage("--scenario \(name): \(p.path) has no such scenario\(hint); it has \(names.joined(separator: ", "))")
        }
        return selected.isEmpty ? p.scenarios : p.scenarios.filter { selected.contains($0.name) }
    }

    /// Several scenarios at once (or one that starts late): a plan of lanes, each scenario's own plan with the
    /// command line's load override applied to it (`-d` caps the run, so a lane that starts late is cut that much
    /// sooner), its share of the engine threads (by its connections, at least one), and its steps named
    /// `SCENARIO/STEP` where another chosen scenario has a step of the same name.
    static func lanesPlan(_ p: Profile, _ chosen: [Profile.Scenario], inputs: PlanInputs, override: LoadOverride,
                          given: [String]) throws -> RunPlan {
        var lanes: [ScenarioLane] = []
        for s in chosen {
            var lanePlan = try plan(profile: p, scenario: s, request: inputs.request, transport: inputs.transport, threads: 1)
            if !override.isEmpty {
                var o = override
                if let d = o.durationMicros {
                    guard d > s.startAfterMicros else {
                        throw BarrageError.usage("\(given.first { $0.hasPrefix("--duration") } ?? "--duration"): the run ends before scenario \(s.name) starts (start_after \(DurationParser.format(micros: s.startAfterMicros)))")
                    }
                    o.durationMicros = d - s.startAfterMicros
                }
                if let problem = o.problem(with: lanePlan) {
                    let flag = o.concurrency != nil && o.rate != nil ? "--concurrency and --rate"
                        : given.first { $0.hasPrefix("--duration") } ?? "--duration"
                    throw BarrageError.usage("\(flag): scenario \(s.name): \(problem)")
                }
                lanePlan = o.applied(to: lanePlan)
                lanePlan.overrides = given
            }
            lanes.append(ScenarioLane(name: s.name, startAfterMicros: s.startAfterMicros, plan: lanePlan))
        }
        // Step names: unique across the lanes (results and thresholds key on them).
        var count: [String: Int] = [:]
        for lane in lanes { for t in lane.plan.targets { count[t.name, default: 0] += 1 } }
        for l in lanes.indices {
            for t in lanes[l].plan.workload.targets.indices where count[lanes[l].plan.workload.targets[t].name, default: 0] > 1 {
                lanes[l].plan.workload.targets[t].name = lanes[l].name + "/" + lanes[l].plan.workload.targets[t].name
            }
        }
        // Threads: each lane its share by connections, at least one.
        let total = Swift.max(1, lanes.reduce(0) { $0 + $1.plan.concurrency })
        for l in lanes.indices {
            lanes[l].plan.threads = Swift.max(1, (inputs.threads * lanes[l].plan.concurrency + total / 2) / total)
            lanes[l].plan.segment = inputs.segment
            lanes[l].plan.recordRaw = inputs.recordRaw
            lanes[l].plan.engine = inputs.engine
        }
        let ends = lanes.map(\.endMicros)
        let end: Int64? = ends.contains { $0 == nil } ? nil : ends.compactMap { $0 }.max()
        var plan = RunPlan(load: .closed(workers: total, durationMicros: end),
                           workload: Workload(targets: lanes.flatMap(\.plan.targets), seed: p.seed ?? 0,
                                              timeoutMicros: lanes[0].plan.timeoutMicros),
                           transport: lanes[0].plan.transport, threads: lanes.reduce(0) { $0 + $1.plan.threads })
        plan.lanes = lanes
        plan.name = p.name
        plan.overrides = override.isEmpty ? [] : given
        return plan
    }

    /// The profile's run `setup:` with its steps as targets (a `--timeout` replaces their timeouts, as for a flow).
    static func runSetup(of p: Profile, request r: RequestOverride) -> RunSetupPlan? {
        guard let flow = p.setup else { return nil }
        return RunSetupPlan(flow: flow, targets: targets(of: flow, request: r))
    }

    /// A flow's request steps as the plan's targets, in order.
    static func targets(of flow: Flow, request r: RequestOverride) -> [RequestTarget] {
        flow.requestSteps.map { step in
            RequestTarget(name: step.name, url: step.urlText, method: step.method, headers: step.headerTexts,
                          body: step.body.map { $0.constantBytes ?? Array($0.displayText(variables: flow.variables).utf8) } ?? [],
                          timeoutMicros: r.timeoutMicros == nil ? step.timeoutMicros : nil)
        }
    }

    /// The plan of one scenario: its load, its flow (whose request steps are the plan's targets, in order), the
    /// profile's seed and timeouts. Request flags that would rewrite steps (method, headers, body) are refused: the
    /// steps say what they send.
    static func plan(profile p: Profile, scenario s: Profile.Scenario, request r: RequestOverride, transport: Transport,
                     threads: Int) throws -> RunPlan {
        for (flag, given) in [("--method", r.method != nil), ("--header", !r.headers.isEmpty), ("--body", r.body != nil)] where given {
            throw BarrageError.usage("\(flag): \(p.path) describes its requests in scenarios' flows; edit the steps instead")
        }
        if transport.preconnect {
            throw BarrageError.usage("--preconnect: not with scenarios yet (a warm-up request would run a flow's first step outside its iteration)")
        }
        var flat = p
        flat.load = s.load
        var plan = self.plan(profile: flat, request: r, transport: transport, threads: threads)
        plan.workload.targets = targets(of: s.flow, request: r)
        plan.workload.flow = s.flow
        return plan
    }

    /// The plan a profile describes, with the request flags applied. Timeouts default to 30 s (request) and 10 s
    /// (connect), the pool to 1,000, the lateness limit to the request timeout, the seed to 0.
    static func plan(profile p: Profile, request r: RequestOverride, transport: Transport, threads: Int) -> RunPlan {
        let timeout = r.timeoutMicros ?? p.defaults.timeoutMicros ?? defaultTimeoutMicros
        let profileTimeout = p.defaults.timeoutMicros ?? defaultTimeoutMicros
        var t = transport
        t.connectTimeoutMicros = r.connectTimeoutMicros ?? p.defaults.connectTimeoutMicros ?? defaultConnectTimeoutMicros
        let targets = p.targets.map { target in
            RequestTarget(name: target.name, url: target.url, method: r.method ?? target.method,
                          headers: HeaderLines.merge(HeaderLines.merge(p.defaults.headers, target.headers), r.headers),
                          body: r.body ?? target.body, weight: target.weight, expect: target.expect,
                          timeoutMicros: r.timeoutMicros == nil ? target.timeoutMicros : nil)
        }
        let seed = p.seed ?? 0
        let load: LoadModel
        var requestLimit: Int? = nil
        switch p.load.model {
        case .open:
            let schedule = OpenSchedule(startRate: p.load.startRate,
                                        stages: p.load.stages.map { RateStage(durationMicros: $0.durationMicros, rate: $0.rate ?? 0) },
                                        arrival: p.load.arrival == "poisson" ? .poisson(seed: seed) : .uniform)
            // The lateness limit follows the profile's own timeout: a --timeout flag does not move it.
            load = .open(schedule, maxInFlight: p.load.maxInFlight ?? defaultMaxInFlight,
                         maxLatenessMicros: p.load.maxLatenessMicros ?? profileTimeout)
        case .closed where p.webSocket != nil:
            // A WebSocket profile's connections are constant (the loader checked): one load of the stages' total length.
            load = .closed(workers: p.load.startConcurrency, durationMicros: p.load.stages.reduce(0) { $0 + $1.durationMicros })
            requestLimit = p.load.requests
        case .closed:
            load = .closed(start: p.load.startConcurrency,
                           stages: p.load.stages.map { ClosedStage(durationMicros: $0.durationMicros, concurrency: $0.concurrency ?? 0) },
                           thinkTimeMicros: p.load.thinkTimeMicros)
            requestLimit = p.load.requests
        }
        var plan = RunPlan(load: load, workload: Workload(targets: targets, seed: seed, timeoutMicros: timeout), transport: t,
                           requestLimit: requestLimit, threads: threads)
        plan.warmupMicros = p.load.warmupMicros
        plan.name = p.name
        return plan
    }
}
