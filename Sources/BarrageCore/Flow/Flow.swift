import Foundation

/// A scenario's flow as the engine runs it: steps in order, each VU looping iterations through them, with a variable
/// table per VU (captures, data columns, environment values) that templates read by slot. Made by the profile loader
/// (`ProfileLoader`, `scenarios:`), checked before anything is sent: every name a template uses is a slot, and a step
/// uses only captures of earlier steps.
public struct Flow: Sendable, Equatable {
    /// The scenario's name (results, thresholds `scenario:NAME`).
    public var scenario: String
    public var steps: [FlowStep]
    /// The variable table's slots: slot i holds `variables[i]` (a capture, `set.column`, or an environment name).
    public var variables: [String]
    /// Constant values of slots known at load time (environment and `-e`); the others start empty.
    public var initialValues: [FlowValue]
    /// Data sets and the slots their columns fill.
    public var data: [FlowData]
    public var cookies: CookieMode
    /// Closed model: iterations in the whole run, shared by the VUs (nil: as many as the duration allows).
    public var iterations: Int?
    /// Iterations under way when sending ends may finish their steps for this long; then they are interrupted
    /// (k6's `gracefulStop`, 5 s by default).
    public var gracefulStopMicros: Int64 = 5_000_000
    /// Closed model: a VU starts an iteration no sooner than this long after its previous one started (constant
    /// pacing, as k6's and Locust's); 0: at once (after the load's think time).
    public var pacingMicros: Int64 = 0
    /// The first `setupCount` steps are the scenario's `setup`: each VU runs them once, at the start of its first
    /// iteration (again at its next iteration if they failed); later iterations start after them. What they capture
    /// stays for the VU's lifetime.
    public var setupCount = 0
    /// `group`s: their names, and each step's group (nil outside any). A group's steps are contiguous.
    public var groups: [String] = []
    public var groupOfStep: [Int?] = []
    /// The scenario's `tags`, carried into the result (`plan.tags`).
    public var tags: [String: String] = [:]
    /// Captures of the run's `setup:` (run once per run, before any load) that this flow's templates read: each is a
    /// slot of `variables`, empty until `withRunValues` fills its initial value with what the setup captured.
    public var runCaptures: [String] = []

    public enum CookieMode: String, Sendable, Equatable, CaseIterable {
        /// Each VU has a jar, emptied at the start of each iteration (k6's default).
        case perIteration = "per_iteration"
        /// Each VU keeps its jar for its lifetime.
        case perVU = "per_vu"
        /// No cookie engine: `Set-Cookie` is ignored.
        case off
    }

    public init(scenario: String, steps: [FlowStep], variables: [String] = [], initialValues: [FlowValue]? = nil,
                data: [FlowData] = [], cookies: CookieMode = .perIteration, iterations: Int? = nil) {
        self.scenario = scenario
        self.steps = steps
        self.variables = variables
        self.initialValues = initialValues ?? Array(repeating: .empty, count: variables.count)
        self.data = data
        self.cookies = cookies
        self.iterations = iterations
    }

    /// The flow with the run setup's captured values as the initial values of their slots (every VU starts with
    /// them; they are never emptied, as constants resolved at load are not).
    public func withRunValues(_ values: [String: FlowValue]) -> Flow {
        var flow = self
        for name in runCaptures {
            if let slot = variables.firstIndex(of: name), let value = values[name] { flow.initialValues[slot] = value }
        }
        return flow
    }

    /// The request steps in order (each is a `target` of the plan, named by the step).
    public var requestSteps: [RequestStep] {
        steps.compactMap { if case .request(let r) = $0 { return r } else { return nil } }
    }

    /// The index of each step among the request steps (nil for a think step): the step's target index.
    public var targetIndexOfStep: [Int?] {
        var n = 0
        return steps.map { step in
            guard case .request = step else { return nil }
            defer { n += 1 }
            return n
        }
    }
}

/// One step of a flow.
public enum FlowStep: Sendable, Equatable {
    case request(RequestStep)
    /// A pause before the next step (not counted as a request; counted in iteration duration, not in the "without
    /// think time" one).
    case think(ThinkTime)
}

/// A request step: what to send (templates over the VU's variables) and what to take from the response.
public struct RequestStep: Sendable, Equatable {
    public var name: String
    public var method: String
    public var url: CompiledTemplate
    /// The URL as written (for the plan, the result and messages; templates unresolved).
    public var urlText: String
    /// Header lines `Name: value`, each a template.
    public var headers: [CompiledTemplate]
    public var headerTexts: [String]
    /// The body (from `body`, `json` or `form`), a template; nil: no body.
    public var body: CompiledTemplate?
    public var expect: Expect
    /// A substring the body must contain (checked while it streams, as for targets).
    public var bodyContains: String?
    public var captures: [Capture]
    /// Keep going with the next step when this one fails (its captures then stay empty).
    public var continueOnFailure: Bool
    public var timeoutMicros: Int64?
    /// `expect.json` checks whose expected string is a template over the VU's variables (`{ "$.user": "${users.name}" }`),
    /// rendered when the response is judged.
    public var expectTemplates: [ExpectTemplate] = []

    public struct ExpectTemplate: Sendable, Equatable {
        public var check: Int
        public var value: CompiledTemplate
        public init(check: Int, value: CompiledTemplate) { self.check = check; self.value = value }
    }

    /// `repeat: N`: the step is sent N times in a row (each a request of the step; the captures are the last's).
    public var repeatCount = 1
    /// `foreach: { list, as, max }`: one request per element of a captured list (at most `max`), the element in the
    /// `as` variable; none when the list is empty.
    public var foreach: ForEach?

    public struct ForEach: Sendable, Equatable {
        public var list: String
        public var listSlot: Int
        public var item: String
        public var itemSlot: Int
        public var max: Int
        public init(list: String, listSlot: Int, item: String, itemSlot: Int, max: Int) {
            self.list = list; self.listSlot = listSlot; self.item = item; self.itemSlot = itemSlot; self.max = max
        }
    }

    public init(name: String, method: String = "GET", url: CompiledTemplate, urlText: String, headers: [CompiledTemplate] = [],
                headerTexts: [String] = [], body: CompiledTemplate? = nil, expect: Expect = Expect(), bodyContains: String? = nil,
                captures: [Capture] = [], continueOnFailure: Bool = false, timeoutMicros: Int64? = nil) {
        self.name = name; self.method = method; self.url = url; self.urlText = urlText; self.headers = headers
        self.headerTexts = headerTexts; self.body = body; self.expect = expect; self.bodyContains = bodyContains
        self.captures = captures; self.continueOnFailure = continueOnFailure; self.timeoutMicros = timeoutMicros
    }

    /// The step keeps its response body (up to `FlowLimits.bodyBytes`) for a capture or a JSON check.
    public var needsBody: Bool { expect.needsBody || captures.contains { $0.needsBody } }
    /// The step keeps its response headers for a capture.
    public var needsHeaders: Bool {
        captures.contains {
            switch $0.source {
            case .header, .cookie: return true
            default: return false
            }
        }
    }
    /// Anything of the URL, headers or body depends on the VU's variables or a built-in: rendered per request.
    public var isTemplated: Bool {
        !(url.isConstant && headers.allSatisfy(\.isConstant) && (body?.isConstant ?? true))
    }
}

/// A data set bound to a flow: its rows, how VUs draw them, and the slot of each column.
public struct FlowData: Sendable, Equatable {
    /// The name templates use (`users` in `${users.name}`).
    public var name: String
    public var set: DataSet
    public var mode: DataCursor.Mode
    public var binding: DataCursor.Binding
    /// Slot of each column (nil: no template uses it).
    public var slots: [Int?]

    public init(name: String, set: DataSet, mode: DataCursor.Mode, binding: DataCursor.Binding, slots: [Int?]) {
        self.name = name; self.set = set; self.mode = mode; self.binding = binding; self.slots = slots
    }
}

/// Bounds on what a flow keeps of a response.
public enum FlowLimits {
    /// A step that captures from or checks its body keeps at most this much; over it the step fails (`capture`).
    public static let bodyBytes = 1 << 20
    /// What all VUs' kept responses may hold together in one process (split over the engine threads): 2,000 VUs
    /// capturing from 1 MB bodies must not mean 2 GB. Buffers are kept and reused, so this bounds their capacity.
    public static let keptBytes = 256 << 20
}
