/// A load profile as written in a file (`profiles/*.yaml`, JSON also accepted), after `${VAR}` interpolation and
/// validation. Durations are µs; paths are already resolved relative to the profile file.
public struct Profile: Sendable, Equatable {
    public var name: String
    /// Fixes target choice and Poisson arrivals; nil when not given.
    public var seed: UInt64?
    public var defaults: Defaults
    public var targets: [Target]
    public var load: Load
    public var thresholds: [ThresholdSpec]
    /// Where it was read from (for messages).
    public var path: String
    /// The `scenarios:` of a flow profile, in file order; empty for a profile of weighted `targets:`. A scenario
    /// profile also fills `load` (the first scenario's) and `targets` (one per request step, named by the step) so that
    /// code reading targets keeps working; the flows themselves are here.
    public var scenarios: [Scenario]
    /// The top-level `setup:` of a scenario profile: steps run once per run, before any load; its captures
    /// (`variables`) are every scenario's to read. Nil without one.
    public var setup: Flow? = nil
    /// A WebSocket profile (its one target is `ws://` or `wss://`): the `websocket:` block's message plan, each field
    /// nil where not written (all nil without a block). Nil for an HTTP profile.
    public var webSocket: WebSocketSettings? = nil

    /// One `scenarios:` entry: a flow and the load that runs it.
    public struct Scenario: Sendable, Equatable {
        public var name: String
        public var load: Load
        /// When the scenario starts, from the start of the run (`start_after`, default 0).
        public var startAfterMicros: Int64
        public var flow: Flow
        public init(name: String, load: Load, startAfterMicros: Int64 = 0, flow: Flow) {
            self.name = name; self.load = load; self.startAfterMicros = startAfterMicros; self.flow = flow
        }
    }

    public struct Defaults: Sendable, Equatable {
        public var timeoutMicros: Int64?
        public var connectTimeoutMicros: Int64?
        /// `Name: value` lines, in file order.
        public var headers: [String]
        public init(timeoutMicros: Int64? = nil, connectTimeoutMicros: Int64? = nil, headers: [String] = []) {
            self.timeoutMicros = timeoutMicros; self.connectTimeoutMicros = connectTimeoutMicros; self.headers = headers
        }
    }

    public struct Target: Sendable, Equatable {
        public var name: String
        public var url: String
        public var method: String
        /// The target's own headers (`Name: value`), on top of the defaults (a same-named header replaces the default).
        public var headers: [String]
        /// The body, from `body:` (a string) or `body_file:` (read relative to the profile).
        public var body: [UInt8]
        public var weight: Double
        public var expect: Expect?
        /// Per-target timeout overriding the defaults.
        public var timeoutMicros: Int64?
        public init(name: String, url: String, method: String = "GET", headers: [String] = [], body: [UInt8] = [],
                    weight: Double = 1, expect: Expect? = nil, timeoutMicros: Int64? = nil) {
            self.name = name; self.url = url; self.method = method; self.headers = headers; self.body = body
            self.weight = weight; self.expect = expect; self.timeoutMicros = timeoutMicros
        }
    }

    /// What counts as ok for a target: statuses (default: < 400) and an optional substring of the body.
    /// A response that fails its check is failed with class `check`.
    public struct Expect: Sendable, Equatable {
        public var statuses: [Int]?
        public var bodyContains: String?
        public init(statuses: [Int]? = nil, bodyContains: String? = nil) { self.statuses = statuses; self.bodyContains = bodyContains }
    }

    public struct Load: Sendable, Equatable {
        public enum Model: String, Sendable { case open, closed }
        public var model: Model
        /// Open: where the first stage's rate starts (default 0).
        public var startRate: Double
        /// Closed: where the first stage's concurrency starts (default 0).
        public var startConcurrency: Int
        /// Open: the bounded pool (default 1000).
        public var maxInFlight: Int?
        /// Open: drop a request unsent this long after its due time (default: the request timeout).
        public var maxLatenessMicros: Int64?
        public var arrival: String            // "uniform" | "poisson"
        /// Run, but keep out of the results (reported separately).
        public var warmupMicros: Int64
        /// Closed: pause between a worker's requests.
        public var thinkTimeMicros: Int64
        /// Closed: stop after this many requests in total.
        public var requests: Int?
        public var stages: [LoadStage]
        public init(model: Model, startRate: Double = 0, startConcurrency: Int = 0, maxInFlight: Int? = nil,
                    maxLatenessMicros: Int64? = nil, arrival: String = "uniform", warmupMicros: Int64 = 0,
                    thinkTimeMicros: Int64 = 0, requests: Int? = nil, stages: [LoadStage]) {
            self.model = model; self.startRate = startRate; self.startConcurrency = startConcurrency
            self.maxInFlight = maxInFlight; self.maxLatenessMicros = maxLatenessMicros; self.arrival = arrival
            self.warmupMicros = warmupMicros; self.thinkTimeMicros = thinkTimeMicros; self.requests = requests; self.stages = stages
        }
    }

    /// `{ duration, rate }` (open) or `{ duration, concurrency }` (closed): linear from the previous stage's end.
    public struct LoadStage: Sendable, Equatable {
        public var durationMicros: Int64
        public var rate: Double?
        public var concurrency: Int?
        public init(durationMicros: Int64, rate: Double? = nil, concurrency: Int? = nil) {
            self.durationMicros = durationMicros; self.rate = rate; self.concurrency = concurrency
        }
    }

    /// A threshold as written: a string, or `{ expr, abort_on_fail, delay_abort_eval }`. Parsed by the gates code.
    public struct ThresholdSpec: Sendable, Equatable {
        public var expr: String
        public var abortOnFail: Bool
        public var delayAbortEvalMicros: Int64
        /// The line it was written on, for error messages.
        public var line: Int
        public init(expr: String, abortOnFail: Bool = false, delayAbortEvalMicros: Int64 = 0, line: Int = 0) {
            self.expr = expr; self.abortOnFail = abortOnFail; self.delayAbortEvalMicros = delayAbortEvalMicros; self.line = line
        }
    }

    public init(name: String, seed: UInt64? = nil, defaults: Defaults = Defaults(), targets: [Target], load: Load,
                thresholds: [ThresholdSpec] = [], path: String = "", scenarios: [Scenario] = []) {
        self.name = name; self.seed = seed; self.defaults = defaults; self.targets = targets; self.load = load
        self.thresholds = thresholds; self.path = path; self.scenarios = scenarios
    }
}
