import Foundation

/// A pass/fail gate on one number of a run, written as a short expression: `p99 < 250ms`, `error_rate <= 1%`,
/// `target:api p95 < 100ms`, `stage:2 rps >= 480`, `scenario:checkout iteration_duration.p95 < 2s`,
/// `step:checkout/login p99 < 300ms`.
///
/// Grammar (whitespace optional between metric, operator and limit):
///
///     [SCOPE ] METRIC OP LIMIT
///     SCOPE  = target:NAME | target:"NAME WITH SPACES" | stage:N        (stages are numbered from 1)
///            | scenario:NAME | step:SCENARIO/STEP                      (names may be quoted too)
///     METRIC = [latency. | service_time. | send_lateness.] STAT          (latency. is the default)
///            | error_rate | dropped | dropped_rate | rps | status_Nxx | status_NNN
///            | iteration_duration.STAT | iteration_duration_without_think.STAT
///            | iterations | iteration_rate | iteration_error_rate | dropped_iterations | interrupted_iterations
///            | message_latency.STAT | message_service_time.STAT
///            | messages | answered_messages | failed_messages | dropped_messages | message_rate | message_error_rate
///     STAT   = p50 | p75 | p90 | p95 | p99 | p99.9 | p99.99 | max | mean | min   (also p(99.9))
///     OP     = < | <= | > | >= | ==
///
/// Limits are converted to the metric's base unit: latency limits are durations with a unit (`250ms`, parsed by
/// `DurationParser`) stored as µs; rates (`error_rate`, `dropped_rate`) are `1%` or `0.01`, stored as a fraction;
/// `rps` is a plain number of requests per second; counts (`dropped`, `status_…`) are whole numbers.
///
/// Iteration metrics read a flow's `iterations` section: `iteration_duration.*` and
/// `iteration_duration_without_think.*` its two duration summaries (µs, over finished iterations), `iterations` the
/// finished ones (completed + failed), `iteration_rate` their rate (`iter/s`, a plain number), `iteration_error_rate`
/// failed / (completed + failed) (0 when none finished), `dropped_iterations` and `interrupted_iterations` counts.
/// They are measured on the run or on a `scenario:` scope only (a step, target or stage has no iterations).
///
/// Message metrics read a WebSocket run's `messages` section: `message_latency.*` (from each message's due time) and
/// `message_service_time.*` (from its send) its two summaries (µs, over answered messages), `messages` the messages
/// that were sent and ended (answered + failed), `message_rate` their rate (`msg/s`, a plain number),
/// `message_error_rate` failed / (answered + failed) (0 when none ended; dropped messages were never sent, as for
/// `error_rate`), `answered_messages`, `failed_messages` and `dropped_messages` counts. They are measured on the run only, and a plan that is not a WebSocket run refuses them.
///
/// `send_lateness.*` reads `send_lateness_us` (actual send − due time). In the closed model every request is sent the
/// moment it is due, so an empty summary there counts as 0 µs; in any other model an empty summary (nothing sent) is a
/// failed, unmeasured gate, never a pass. Likewise `latency.*` and `service_time.*` with no complete responses.
public struct Threshold: Sendable, Equatable, Codable {
    public enum Op: String, Sendable, Codable, CaseIterable {
        case lt = "<", le = "<=", gt = ">", ge = ">=", eq = "=="

        /// Whether `actual OP limit` holds.
        public func holds(_ actual: Double, _ limit: Double) -> Bool {
            switch self {
            case .lt: actual < limit
            case .le: actual <= limit
            case .gt: actual > limit
            case .ge: actual >= limit
            case .eq: actual == limit
            }
        }
    }

    /// Which part of the run a threshold looks at. Encoded as a string: `run`, `target:NAME`, `stage:N`,
    /// `scenario:NAME`, `step:SCENARIO/STEP`.
    public enum Scope: Sendable, Equatable, Codable, CustomStringConvertible {
        case run
        /// A request target by its `name` in the plan (a flow's request step is a target too).
        case target(String)
        /// A stage of the plan, numbered from 1.
        case stage(Int)
        /// A flow's scenario by name: its iterations and all its requests.
        case scenario(String)
        /// One request step of a scenario's flow: the step's requests (its target section).
        case step(scenario: String, step: String)

        public var description: String {
            switch self {
            case .run: "run"
            case .target(let name): "target:\(name)"
            case .stage(let n): "stage:\(n)"
            case .scenario(let name): "scenario:\(name)"
            case .step(let scenario, let step): "step:\(scenario)/\(step)"
            }
        }

        /// Reads the encoded form (`run`, `target:NAME`, `stage:N`, `scenario:NAME`, `step:SCENARIO/STEP`); nil when
        /// malformed.
        public init?(encoded text: String) {
            if text == "run" {
                self = .run
            } else if text.hasPrefix("target:"), text.count > "target:".count {
                self = .target(String(text.dropFirst("target:".count)))
            } else if text.hasPrefix("stage:"), let n = Int(text.dropFirst("stage:".count)), n >= 1 {
                self = .stage(n)
            } else if text.hasPrefix("scenario:"), text.count > "scenario:".count {
                self = .scenario(String(text.dropFirst("scenario:".count)))
            } else if text.hasPrefix("step:"), let (scenario, step) = Self.splitStep(text.dropFirst("step:".count)) {
                self = .step(scenario: scenario, step: step)
            } else {
                return nil
            }
        }

        /// `SCENARIO/STEP` split at its first `/`; nil when either side is empty.
        static func splitStep(_ text: Substring) -> (String, String)? {
            guard let slash = text.firstIndex(of: "/") else { return nil }
            let scenario = text[..<slash], step = text[text.index(after: slash)...]
            guard !scenario.isEmpty, !step.isEmpty else { return nil }
            return (String(scenario), String(step))
        }

        /// True for the scopes iteration metrics can be measured on: the run and a scenario.
        public var hasIterations: Bool {
            switch self {
            case .run, .scenario: true
            case .target, .stage, .step: false
            }
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let scope = Scope(encoded: text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "scope '\(text)' is not run, target:NAME, stage:N, scenario:NAME or step:SCENARIO/STEP")
            }
            self = scope
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(description)
        }
    }

    /// The expression as the user wrote it.
    public var expr: String
    /// Canonical metric name: `latency_us.p99`, `service_time_us.p99.9`, `send_lateness_us.max`, `error_rate`, `rps`,
    /// `status_5xx`, `status_429`, `dropped`, `dropped_rate`, and for flows `iteration_duration_us.p95`,
    /// `iteration_duration_without_think_us.p99`, `iterations`, `iteration_rate`, `iteration_error_rate`,
    /// `dropped_iterations`, `interrupted_iterations`, and for WebSocket runs `message_latency_us.p99`,
    /// `message_service_time_us.p50`, `messages`, `answered_messages`, `failed_messages`, `dropped_messages`,
    /// `message_rate`, `message_error_rate`. Latency metrics are named after the result's JSON sections.
    public var metric: String
    public var scope: Scope
    public var op: Op
    /// The limit in the metric's base unit (see `unit`).
    public var limit: Double
    /// The base unit of `limit` and of the measured value: `us`, `fraction`, `req/s`, `iter/s`, `msg/s` or `count`.
    public var unit: String
    /// Stop the run as soon as this threshold fails (for the live evaluator; not set by the expression syntax).
    public var abortOnFail: Bool = false
    /// How long into the run before `abortOnFail` may stop it, so that warm-up noise does not abort a run.
    public var delayAbortEvalMicros: Int64 = 0

    public init(expr: String, metric: String, scope: Scope = .run, op: Op, limit: Double, unit: String,
                abortOnFail: Bool = false, delayAbortEvalMicros: Int64 = 0) {
        self.expr = expr; self.metric = metric; self.scope = scope; self.op = op; self.limit = limit; self.unit = unit
        self.abortOnFail = abortOnFail; self.delayAbortEvalMicros = delayAbortEvalMicros
    }

    enum CodingKeys: String, CodingKey {
        case expr, metric, scope, op, limit, unit
        case abortOnFail = "abort_on_fail"
        case delayAbortEvalMicros = "delay_abort_eval_us"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        expr = try c.decode(String.self, forKey: .expr)
        metric = try c.decode(String.self, forKey: .metric)
        scope = try c.decodeIfPresent(Scope.self, forKey: .scope) ?? .run
        op = try c.decode(Op.self, forKey: .op)
        limit = try c.decode(Double.self, forKey: .limit)
        unit = try c.decode(String.self, forKey: .unit)
        abortOnFail = try c.decodeIfPresent(Bool.self, forKey: .abortOnFail) ?? false
        delayAbortEvalMicros = try c.decodeIfPresent(Int64.self, forKey: .delayAbortEvalMicros) ?? 0
    }

    // MARK: Units

    public enum BaseUnit {
        public static let micros = "us"
        public static let fraction = "fraction"
        public static let requestsPerSecond = "req/s"
        /// Finished iterations per second (`iteration_rate`).
        public static let iterationsPerSecond = "iter/s"
        /// WebSocket messages answered or failed per second (`message_rate`).
        public static let messagesPerSecond = "msg/s"
        public static let count = "count"
    }

    // MARK: Parsing

    /// Accepted prefix → canonical histogram name. The canonical names are accepted too, so `metric` round-trips.
    static let latencyPrefixes: [(prefix: String, histogram: String)] = [
        ("latency.", "latency_us"), ("service_time.", "service_time_us"), ("send_lateness.", "send_lateness_us"),
        ("latency_us.", "latency_us"), ("service_time_us.", "service_time_us"), ("send_lateness_us.", "send_lateness_us"),
        ("iteration_duration.", "iteration_duration_us"), ("iteration_duration_without_think.", "iteration_duration_without_think_us"),
        ("iteration_duration_us.", "iteration_duration_us"),
        ("iteration_duration_without_think_us.", "iteration_duration_without_think_us"),
        ("message_latency.", "message_latency_us"), ("message_service_time.", "message_service_time_us"),
        ("message_latency_us.", "message_latency_us"), ("message_service_time_us.", "message_service_time_us"),
    ]
    /// The histograms of a flow's `iterations` section, by canonical name.
    static let iterationHistograms: Set<String> = ["iteration_duration_us", "iteration_duration_without_think_us"]
    /// The iteration metrics that are not durations.
    static let iterationCounters: Set<String> = ["iterations", "iteration_rate", "iteration_error_rate", "dropped_iterations",
                                                 "interrupted_iterations"]

    /// The histograms of a WebSocket run's `messages` section, by canonical name.
    static let messageHistograms: Set<String> = ["message_latency_us", "message_service_time_us"]
    /// The message metrics that are not durations.
    static let messageCounters: Set<String> = ["messages", "answered_messages", "failed_messages", "dropped_messages",
                                               "message_rate", "message_error_rate"]

    /// True when the metric reads a WebSocket run's `messages` section rather than its requests (handshakes).
    public var isMessageMetric: Bool { Self.isMessageMetric(metric) }

    static func isMessageMetric(_ canonical: String) -> Bool {
        if messageCounters.contains(canonical) { return true }
        guard let dot = canonical.firstIndex(of: ".") else { return false }
        return messageHistograms.contains(String(canonical[..<dot]))
    }

    /// True when the metric reads a flow's `iterations` section rather than its requests.
    public var isIterationMetric: Bool { Self.isIterationMetric(metric) }

    static func isIterationMetric(_ canonical: String) -> Bool {
        if iterationCounters.contains(canonical) { return true }
        guard let dot = canonical.firstIndex(of: ".") else { return false }
        return iterationHistograms.contains(String(canonical[..<dot]))
    }
    private static let operatorHelp = "use <, <=, >, >= or =="
    private static let metricHelp = "expected p50, p75, p90, p95, p99, p99.9, p99.99, max, mean or min "
        + "(optionally latency., service_time. or send_lateness.), error_rate, dropped, dropped_rate, rps, "
        + "status_4xx, status_5xx or status_NNN; for flows iteration_duration.STAT, "
        + "iteration_duration_without_think.STAT, iterations, iteration_rate, iteration_error_rate, dropped_iterations "
        + "or interrupted_iterations; for WebSocket runs message_latency.STAT, message_service_time.STAT, messages, "
        + "answered_messages, failed_messages, dropped_messages, message_rate or message_error_rate"

    /// Parses an expression. Every failure is a `BarrageError.usage` whose one-line message names the expression:
    /// `threshold 'p99 < 250': a latency limit needs a unit, e.g. 250ms`.
    public static func parse(_ expr: String) throws -> Threshold {
        func fail(_ why: String) -> BarrageError { .usage("threshold '\(oneLine(expr))': \(why)") }

        var rest = Substring(expr).drop(while: \.isWhitespace)
        while let last = rest.last, last.isWhitespace { rest = rest.dropLast() }
        guard !rest.isEmpty else { throw fail("empty expression") }

        // Scope: a leading `target:`, `stage:`, `scenario:` or `step:` word.
        var scope = Scope.run
        let lowered = rest.lowercased()
        /// The name after a scope word: up to the next space, or between double quotes.
        func scopeName(_ word: String, example: String) throws -> String {
            rest = rest.dropFirst(word.count)
            let name: Substring
            if rest.first == "\"" {
                rest = rest.dropFirst()
                guard let close = rest.firstIndex(of: "\"") else { throw fail("unterminated quote in the \(word.dropLast()) name") }
                name = rest[..<close]
                rest = rest[rest.index(after: close)...]
            } else {
                let end = rest.firstIndex(where: \.isWhitespace) ?? rest.endIndex
                name = rest[..<end]
                rest = rest[end...]
            }
            guard !name.isEmpty else { throw fail("\(word) needs a \(word.dropLast()) name, e.g. \(example)") }
            guard rest.isEmpty || rest.first!.isWhitespace else { throw fail("expected a space after the scope \(word)\(name)") }
            return String(name)
        }
        if lowered.hasPrefix("target:") {
            scope = .target(try scopeName("target:", example: "target:api p95 < 100ms"))
        } else if lowered.hasPrefix("scenario:") {
            scope = .scenario(try scopeName("scenario:", example: "scenario:checkout iteration_duration.p95 < 2s"))
        } else if lowered.hasPrefix("step:") {
            let text = try scopeName("step:", example: "step:checkout/login p99 < 300ms")
            guard let (scenario, step) = Scope.splitStep(Substring(text)) else {
                throw fail("step: needs SCENARIO/STEP, e.g. step:checkout/login p99 < 300ms (a step name alone is ambiguous across scenarios; target:STEP names a step of the plan's one scenario)")
            }
            scope = .step(scenario: scenario, step: step)
        } else if lowered.hasPrefix("stage:") {
            rest = rest.dropFirst("stage:".count)
            let end = rest.firstIndex(where: \.isWhitespace) ?? rest.endIndex
            let number = rest[..<end]
            rest = rest[end...]
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(number) else {
                throw fail("stage: needs a stage number, e.g. stage:2 rps >= 480")
            }
            guard n >= 1 else { throw fail("stages are numbered from 1") }
            scope = .stage(n)
        } else if let colon = rest.firstIndex(of: ":"), !rest[..<colon].contains(where: { $0.isWhitespace || isOperatorChar($0) }) {
            throw fail("unknown scope '\(rest[...colon])' (use target:NAME, stage:N, scenario:NAME or step:SCENARIO/STEP)")
        }
        rest = rest.drop(while: \.isWhitespace)
        guard !rest.isEmpty else { throw fail("expected a metric after the scope") }

        // Metric: letters, digits, '.', '_' and the parentheses of p(99.9).
        let metricEnd = rest.firstIndex(where: { !isMetricChar($0) }) ?? rest.endIndex
        let metricText = String(rest[..<metricEnd])
        rest = rest[metricEnd...].drop(while: \.isWhitespace)
        guard !metricText.isEmpty else {
            throw fail(rest.first.map(isOperatorChar) == true ? "expected a metric before the operator" : "expected a metric, \(metricHelp)")
        }
        guard let (metric, unit) = canonicalMetric(metricText) else {
            throw fail("unknown metric '\(metricText)', \(metricHelp)")
        }

        // Operator: the run of symbol characters that follows.
        let opEnd = rest.firstIndex(where: { !isOperatorChar($0) }) ?? rest.endIndex
        let opText = String(rest[..<opEnd])
        rest = rest[opEnd...].drop(while: \.isWhitespace)
        guard !opText.isEmpty else {
            if rest.isEmpty { throw fail("expected an operator and a limit after '\(metricText)'") }
            throw fail("expected an operator after '\(metricText)' (\(operatorHelp))")
        }
        guard let op = Op(rawValue: opText) else { throw fail("unknown operator '\(opText)' (\(operatorHelp))") }
        if isIterationMetric(metric) && !scope.hasIterations {
            throw fail("\(metricText) is measured per run or per scenario (scenario:NAME), not on the scope \(scope)")
        }
        if isMessageMetric(metric) && scope != .run {
            throw fail("\(metricText) is measured per run only (a WebSocket run's messages), not on the scope \(scope)")
        }

        // Limit, in the metric's unit.
        let limitText = String(rest)
        guard !limitText.isEmpty else { throw fail("expected a limit after '\(opText)'") }
        let limit: Double
        switch unit {
        case BaseUnit.micros:
            if let micros = DurationParser.micros(limitText) {
                limit = Double(micros)
            } else if plainNumber(limitText) != nil {
                throw fail("a latency limit needs a unit, e.g. \(limitText)ms")
            } else {
                throw fail("limit '\(limitText)' is not a duration (e.g. 250ms, 1.5s)")
            }
        case BaseUnit.fraction:
            if limitText.hasSuffix("%") {
                let number = limitText.dropLast().trimmingCharacters(in: .whitespaces)
                guard let percent = plainNumber(number) else { throw fail("limit '\(limitText)' is not a number") }
                guard percent <= 100 else { throw fail("a rate cannot exceed 100%") }
                limit = percent / 100
            } else {
                guard let fraction = plainNumber(limitText) else { throw fail("limit '\(limitText)' is not a number") }
                guard fraction <= 1 else { throw fail("a rate is a percentage or a fraction of 1: write \(limitText)% or \(fixedTrimmed(fraction / 100, 6))") }
                limit = fraction
            }
        case BaseUnit.requestsPerSecond:
            guard let rps = plainNumber(limitText) else { throw fail("limit '\(limitText)' is not a number of requests per second") }
            limit = rps
        case BaseUnit.iterationsPerSecond:
            guard let rate = plainNumber(limitText) else { throw fail("limit '\(limitText)' is not a number of iterations per second") }
            limit = rate
        case BaseUnit.messagesPerSecond:
            guard let rate = plainNumber(limitText) else { throw fail("limit '\(limitText)' is not a number of messages per second") }
            limit = rate
        default:
            guard let count = plainNumber(limitText) else { throw fail("limit '\(limitText)' is not a number") }
            guard count == count.rounded() else {
                let things = isIterationMetric(metric) ? "iterations" : isMessageMetric(metric) ? "messages" : "requests"
                throw fail("limit '\(limitText)' is not a whole number of \(things)")
            }
            limit = count
        }
        return Threshold(expr: expr, metric: metric, scope: scope, op: op, limit: limit, unit: unit)
    }

    /// Checks the scope against the plan: a target that is not in `plan.targets`, a stage past `plan.stages`, a scenario
    /// that is not the plan's or a step that is not one of its request steps is a usage error ("scope matches nothing")
    /// naming the expression; so is an iteration metric on a plan without a scenario, and a message metric on a plan
    /// that is not a WebSocket run (no `websocket` record, so no `messages` section).
    public func validate(against plan: PlanRecord) throws {
        func refuse(_ why: String) -> BarrageError { .usage("threshold '\(Self.oneLine(expr))': \(why)") }
        if isMessageMetric && plan.websocket == nil {
            throw refuse("message metrics need a WebSocket run (barrage run ws://… or wss://…); this plan sends HTTP requests")
        }
        if let lanes = plan.scenarios {
            // Several scenarios at once: scenario and step scopes name one of them; iteration metrics need one.
            let names = lanes.compactMap(\.scenario)
            switch scope {
            case .scenario(let name):
                guard names.contains(name) else {
                    throw refuse("scope matches nothing: no scenario named '\(name)' (scenarios: \(names.joined(separator: ", ")))")
                }
            case .step(let scenario, let step):
                guard let lane = lanes.first(where: { $0.scenario == scenario }),
                      lane.targets.contains(where: { $0.name == step || $0.name == "\(scenario)/\(step)" }) else {
                    throw refuse("scope matches nothing: no step '\(scenario)/\(step)'")
                }
            case .run where isIterationMetric:
                throw refuse("with several scenarios, iteration metrics are per scenario: scope it (scenario:NAME)")
            default:
                break
            }
            if case .target(let name) = scope, !plan.targets.contains(where: { $0.name == name }) {
                throw refuse("scope matches nothing: no target named '\(name)'")
            }
            if case .stage = scope { throw refuse("with several scenarios there are no stage sections; scope it to a scenario") }
            return
        }
        if isIterationMetric && plan.scenario == nil {
            throw refuse("iteration metrics need a scenario (a profile with scenarios:)")
        }
        switch scope {
        case .run:
            return
        case .target(let name):
            guard plan.targets.contains(where: { $0.name == name }) else {
                let names = plan.targets.map(\.name).joined(separator: ", ")
                throw refuse("scope matches nothing: no target named '\(name)' (targets: \(names.isEmpty ? "none" : names))")
            }
        case .stage(let n):
            guard n >= 1, n <= plan.stages.count else {
                throw refuse("scope matches nothing: stage \(n) but the plan has \(plan.stages.count) stage\(plan.stages.count == 1 ? "" : "s")")
            }
        case .scenario(let name):
            guard plan.scenario == name else {
                throw refuse("scope matches nothing: no scenario named '\(name)' (\(Self.scenarioList(plan)))")
            }
        case .step(let scenario, let step):
            guard plan.scenario == scenario, plan.targets.contains(where: { $0.name == step }) else {
                let steps = plan.scenario.map { s in plan.targets.map { "\(s)/\($0.name)" }.joined(separator: ", ") }
                throw refuse("scope matches nothing: no step '\(scenario)/\(step)' (\(steps.map { "steps: \($0)" } ?? Self.scenarioList(plan)))")
            }
        }
    }

    /// `scenarios: checkout`, or that the plan has none.
    private static func scenarioList(_ plan: PlanRecord) -> String {
        plan.scenario.map { "scenarios: \($0)" } ?? "the plan has no scenarios"
    }

    /// The canonical metric and its unit for a metric as written, or nil when it is not one we know.
    static func canonicalMetric(_ written: String) -> (metric: String, unit: String)? {
        let text = written.lowercased()
        for (prefix, histogram) in latencyPrefixes where text.hasPrefix(prefix) {
            guard let stat = latencyStat(String(text.dropFirst(prefix.count))) else { return nil }
            return ("\(histogram).\(stat)", BaseUnit.micros)
        }
        if let stat = latencyStat(text) { return ("latency_us.\(stat)", BaseUnit.micros) }
        switch text {
        case "error_rate", "dropped_rate", "iteration_error_rate": return (text, BaseUnit.fraction)
        case "dropped", "iterations", "dropped_iterations", "interrupted_iterations": return (text, BaseUnit.count)
        case "rps": return (text, BaseUnit.requestsPerSecond)
        case "iteration_rate": return (text, BaseUnit.iterationsPerSecond)
        case "message_error_rate": return (text, BaseUnit.fraction)
        case "messages", "answered_messages", "dropped_messages", "failed_messages": return (text, BaseUnit.count)
        case "message_rate": return (text, BaseUnit.messagesPerSecond)
        default: break
        }
        guard text.hasPrefix("status_") else { return nil }
        let code = Array(text.dropFirst("status_".count))
        guard code.count == 3 else { return nil }
        if code[1] == "x" && code[2] == "x" {
            guard let d = code[0].wholeNumberValue, code[0].isASCII, (1...5).contains(d) else { return nil }
            return (text, BaseUnit.count)
        }
        guard code.allSatisfy({ $0.isASCII && $0.isNumber }), code[0] != "0" else { return nil }
        return (text, BaseUnit.count)
    }

    /// `p99`, `p(99.9)`, `max` … → the canonical stat name, or nil.
    private static func latencyStat(_ text: String) -> String? {
        var stat = text
        if stat.hasPrefix("p("), stat.hasSuffix(")") { stat = "p" + stat.dropFirst(2).dropLast() }
        return LatencyStat(rawValue: stat)?.rawValue
    }

    private static func isMetricChar(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "(" || c == ")")
    }

    /// Characters that make up an operator token; anything else stops it. Wide on purpose, so that `=>`, `!=` or `≤`
    /// are reported as unknown operators rather than as a garbled metric or limit.
    private static func isOperatorChar(_ c: Character) -> Bool {
        !(c.isLetter || c.isNumber || c.isWhitespace || c == "." || c == "_" || c == "(" || c == ")" || c == "%" || c == "\"" || c == "-" || c == "+")
    }

    /// A plain non-negative decimal (`480`, `0.01`, `12.5`): no sign, exponent, `inf` or hex, unlike `Double(_:)`.
    static func plainNumber(_ text: String) -> Double? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// The expression with control characters escaped, so that an error message stays on one line.
    public static func oneLine(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.properties.generalCategory == .control {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
