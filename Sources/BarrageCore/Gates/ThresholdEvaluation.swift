import Foundation

/// The outcome of one threshold on one run, as it appears in results and reports.
///
/// JSON keys are exactly `expr`, `metric`, `scope` (`run`, `target:NAME`, `stage:N`, `scenario:NAME`,
/// `step:SCENARIO/STEP`), `op`, `limit`, `actual`, `unit`
/// and `ok`; `actual` is `null` when the run could not measure the metric, and such a threshold is never `ok`.
/// `note` (why it was not measured) is for the human reports only and is not encoded.
public struct ThresholdResult: Sendable, Equatable, Codable {
    public var expr: String
    /// Canonical metric name, as in `Threshold.metric`.
    public var metric: String
    public var scope: Threshold.Scope
    public var op: Threshold.Op
    /// The limit in `unit`.
    public var limit: Double
    /// The measured value in `unit`; nil when it could not be measured (see `note`).
    public var actual: Double?
    /// `us`, `fraction`, `req/s`, `iter/s`, `msg/s` or `count`.
    public var unit: String
    public var ok: Bool
    /// Why `actual` is nil, or nil when it was measured. Not part of the JSON document.
    public var note: String?

    public init(expr: String, metric: String, scope: Threshold.Scope, op: Threshold.Op, limit: Double, actual: Double?,
                unit: String, ok: Bool, note: String? = nil) {
        self.expr = expr; self.metric = metric; self.scope = scope; self.op = op; self.limit = limit
        self.actual = actual; self.unit = unit; self.ok = ok; self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case expr, metric, scope, op, limit, actual, unit, ok
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        expr = try c.decode(String.self, forKey: .expr)
        metric = try c.decode(String.self, forKey: .metric)
        scope = try c.decode(Threshold.Scope.self, forKey: .scope)
        op = try c.decode(Threshold.Op.self, forKey: .op)
        limit = try c.decode(Double.self, forKey: .limit)
        actual = try c.decodeIfPresent(Double.self, forKey: .actual)
        unit = try c.decode(String.self, forKey: .unit)
        ok = try c.decode(Bool.self, forKey: .ok)
        note = nil
    }

    // Encode a missing `actual` as an explicit null so the key set is the same for every threshold.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(expr, forKey: .expr)
        try c.encode(metric, forKey: .metric)
        try c.encode(scope, forKey: .scope)
        try c.encode(op, forKey: .op)
        try c.encode(limit, forKey: .limit)
        try c.encode(actual, forKey: .actual)
        try c.encode(unit, forKey: .unit)
        try c.encode(ok, forKey: .ok)
    }

    // MARK: Display

    /// The metric as users write it: `p99`, `service_time.p99.9`, `error_rate`.
    public var metricLabel: String { ThresholdFormat.label(metric: metric) }

    /// The measured value with its unit (`12.3ms`, `0.25%`, `512.3 req/s`, `3`), or `not measured`.
    public var measuredText: String { actual.map { ThresholdFormat.value($0, unit: unit) } ?? "not measured" }

    /// The limit with its operator: `< 250ms`, `<= 1s`, `<= 1%`.
    public var limitText: String { "\(op.rawValue) \(ThresholdFormat.limit(limit, unit: unit))" }

    /// One summary line: `✓ p99 < 250ms   (p99 = 12.3ms)`; the expression is padded to `exprWidth` characters.
    public func line(exprWidth: Int = 0) -> String {
        let shown = Threshold.oneLine(expr.trimmingCharacters(in: .whitespaces))
        let padded = shown + String(repeating: " ", count: Swift.max(0, exprWidth - shown.count))
        let detail = actual.map { "\(metricLabel) = \(ThresholdFormat.value($0, unit: unit))" } ?? "not measured, \(note ?? "no data")"
        return "\(ok ? "✓" : "✗") \(padded)   (\(detail))"
    }
}

/// Applies thresholds to a finished run. Pure: reads only the `RunResult`.
///
/// Scoped thresholds: a `target:` scope is measured on the result's per-target section, a `stage:` scope on its
/// per-stage section (with one target or one stage, that scope is the whole run). A `scenario:` scope is the
/// scenario's iterations and all its requests (with one scenario per run, the run's numbers); a `step:` scope is the
/// step's target section, as `target:` is. Iteration metrics read the result's `iterations` section, message metrics
/// its `messages` section (run scope only). A scope whose data is missing is reported unmeasured and failed, never
/// passed on numbers that mix scopes.
public enum ThresholdEvaluator {
    /// The measured value of the threshold's metric in its unit, or nil when this result cannot supply it.
    public static func actual(_ t: Threshold, in result: RunResult) -> Double? {
        measure(t, in: result).value
    }

    /// Evaluates each threshold, in order.
    public static func evaluate(_ thresholds: [Threshold], on result: RunResult) -> [ThresholdResult] {
        thresholds.map { evaluate($0, on: result) }
    }

    public static func evaluate(_ t: Threshold, on result: RunResult) -> ThresholdResult {
        let m = measure(t, in: result)
        let ok = m.value.map { t.op.holds($0, t.limit) } ?? false
        return ThresholdResult(expr: t.expr, metric: t.metric, scope: t.scope, op: t.op, limit: t.limit, actual: m.value,
                               unit: t.unit, ok: ok, note: m.note)
    }

    /// True when every threshold passed (and vacuously for none).
    public static func allPassed(_ results: [ThresholdResult]) -> Bool {
        results.allSatisfy(\.ok)
    }

    /// The summary block for the text report: one aligned line per threshold, each ending in a newline; for a run
    /// that did not finish (`run` given, interrupted or aborted), a last line saying the thresholds were judged on the
    /// part measured.
    public static func summary(_ results: [ThresholdResult], run: RunResult? = nil) -> String {
        let width = results.map { Threshold.oneLine($0.expr.trimmingCharacters(in: .whitespaces)).count }.max() ?? 0
        var out = results.map { $0.line(exprWidth: width) + "\n" }.joined()
        if !results.isEmpty, let cut = run.flatMap(RunOutcome.cutShortText) {
            let verdict = allPassed(results) ? "passed on the part measured, not on the run planned" : "judged on the part measured"
            out += "(\(cut): \(verdict))\n"
        }
        return out
    }

    // MARK: Measuring

    /// The numbers a threshold is measured on: the whole run, one target's section, or one stage's.
    struct ScopeView {
        var latency: HistogramSummary
        var service: HistogramSummary
        var lateness: HistogramSummary?
        var requests: RunResult.Requests
        var statusCodes: [String: Int]?
        var rps: Double
        var model: String
    }

    static func measure(_ t: Threshold, in r: RunResult) -> (value: Double?, note: String?) {
        if t.isMessageMetric {
            guard t.scope == .run else { return (nil, "message metrics are measured per run only") }
            guard let messages = r.messages else { return (nil, "no messages in this result (message metrics need a WebSocket run)") }
            return messageValue(t.metric, in: messages)
        }
        var view = ScopeView(latency: r.latency_us, service: r.service_time_us, lateness: r.send_lateness_us,
                             requests: r.requests, statusCodes: r.status_codes, rps: r.throughput.rps, model: r.plan.model)
        // A step is its target section; a flow's one scenario is the whole run.
        var target: String? = nil
        switch t.scope {
        case .run:
            break
        case .scenario(let name):
            if let lanes = r.scenarios {
                // Several scenarios at once: the scenario's own requests and iterations.
                guard let lane = lanes[name] else { return (nil, "scope matches nothing: no scenario named '\(name)'") }
                if t.isIterationMetric {
                    guard let iterations = lane.iterations else { return (nil, "no iterations for scenario '\(name)'") }
                    return iterationValue(t.metric, in: iterations)
                }
                let s = lane.requests
                return value(t.metric, in: ScopeView(latency: s.latency_us, service: s.service_time_us, lateness: nil,
                                                     requests: s.requests, statusCodes: s.status_codes, rps: s.rps, model: r.plan.model))
            }
            guard r.plan.scenario == name else { return (nil, "scope matches nothing: no scenario named '\(name)'") }
        case .step(let scenario, let step):
            if r.scenarios != nil {
                // Steps of several scenarios are targets, named SCENARIO/STEP where two scenarios share a name.
                guard let name = [step, "\(scenario)/\(step)"].first(where: { n in r.targets[n] != nil }) else {
                    return (nil, "scope matches nothing: no step '\(scenario)/\(step)'")
                }
                target = name
                break
            }
            // A scenario run beside others names a step it shares with them SCENARIO/STEP.
            guard r.plan.scenario == scenario,
                  let name = [step, "\(scenario)/\(step)"].first(where: { n in r.plan.targets.contains { $0.name == n } }) else {
                return (nil, "scope matches nothing: no step '\(scenario)/\(step)'")
            }
            target = name
        case .target(let name):
            guard r.plan.targets.contains(where: { $0.name == name }) else {
                return (nil, "scope matches nothing: no target named '\(name)'")
            }
            target = name
        case .stage(let n):
            guard n >= 1, n <= r.plan.stages.count else {
                return (nil, "scope matches nothing: the plan has \(r.plan.stages.count) stage\(r.plan.stages.count == 1 ? "" : "s")")
            }
            if r.plan.stages.count > 1 {
                guard n <= r.stages.count else { return (nil, "no per-stage data in this result") }
                let st = r.stages[n - 1]
                view = ScopeView(latency: st.latency_us, service: st.service_time_us, lateness: nil, requests: st.requests,
                                 statusCodes: nil, rps: st.achieved_rps, model: r.plan.model)
            }
        }
        if t.isIterationMetric {
            guard t.scope.hasIterations else { return (nil, "iteration metrics are measured per run or per scenario") }
            guard let iterations = r.iterations else { return (nil, "no iterations in this result (iteration metrics need a scenario)") }
            return iterationValue(t.metric, in: iterations)
        }
        if let name = target {
            if r.plan.targets.count > 1 {
                guard let section = r.targets[name] else { return (nil, "no per-target data for '\(name)' in this result") }
                view = ScopeView(latency: section.latency_us, service: section.service_time_us, lateness: nil,
                                 requests: section.requests, statusCodes: section.status_codes, rps: section.rps, model: r.plan.model)
            }
        }
        return value(t.metric, in: view)
    }

    /// An iteration metric from a flow's `iterations` section.
    private static func iterationValue(_ metric: String, in it: RunResult.Iterations) -> (value: Double?, note: String?) {
        if let dot = metric.firstIndex(of: ".") {
            let histogram = String(metric[..<dot])
            let summary = histogram == "iteration_duration_without_think_us" ? it.duration_without_think_us : it.duration_us
            guard summary.count > 0 else { return (nil, "no finished iterations, so no \(histogram)") }
            guard let stat = LatencyStat(rawValue: String(metric[metric.index(after: dot)...])) else {
                return (nil, "unknown metric '\(metric)'")
            }
            return (Double(stat.micros(of: summary)), nil)
        }
        switch metric {
        case "iterations": return (Double(it.finished), nil)
        case "iteration_rate": return (it.rate, nil)
        case "iteration_error_rate": return (it.errorRate, nil)
        case "dropped_iterations": return (Double(it.dropped), nil)
        case "interrupted_iterations": return (Double(it.interrupted), nil)
        default: return (nil, "unknown metric '\(metric)'")
        }
    }

    /// A message metric from a WebSocket run's `messages` section.
    private static func messageValue(_ metric: String, in m: RunResult.Messages) -> (value: Double?, note: String?) {
        if let dot = metric.firstIndex(of: ".") {
            let histogram = String(metric[..<dot])
            let summary = histogram == "message_service_time_us" ? m.service_time_us : m.latency_us
            // No answered message: nothing was measured, and a latency gate must not pass on zeros.
            guard summary.count > 0 else { return (nil, "no answered messages, so no \(histogram)") }
            guard let stat = LatencyStat(rawValue: String(metric[metric.index(after: dot)...])) else {
                return (nil, "unknown metric '\(metric)'")
            }
            return (Double(stat.micros(of: summary)), nil)
        }
        switch metric {
        case "messages": return (Double(m.ended), nil)
        case "answered_messages": return (Double(m.answered), nil)
        case "message_rate": return (m.rate, nil)
        case "message_error_rate": return (m.errorRate, nil)
        case "dropped_messages": return (Double(m.dropped), nil)
        case "failed_messages": return (Double(m.failed), nil)
        default: return (nil, "unknown metric '\(metric)'")
        }
    }

    private static func value(_ metric: String, in r: ScopeView) -> (value: Double?, note: String?) {
        if let dot = metric.firstIndex(of: "."), metric[..<dot].hasSuffix("_us") {
            let histogram = String(metric[..<dot])
            let stat = String(metric[metric.index(after: dot)...])
            let summary: HistogramSummary
            switch histogram {
            case "latency_us": summary = r.latency
            case "service_time_us": summary = r.service
            case "send_lateness_us":
                guard let lateness = r.lateness else { return (nil, "send lateness is recorded for the whole run only") }
                // The closed model sends each request the moment it is due, so an empty summary there means 0 µs;
                // in any other model an empty summary means nothing was sent, and the gate is unmeasured.
                if lateness.count == 0 && r.model == "closed" { return (0, nil) }
                summary = lateness
            default:
                return (nil, "unknown metric '\(metric)'")
            }
            // Nothing recorded: no latency was measured, and a latency gate must not pass on zeros.
            guard summary.count > 0 else {
                return (nil, histogram == "send_lateness_us" ? "no requests were sent" : "no complete responses, so no \(histogram)")
            }
            guard let stat = LatencyStat(rawValue: stat) else { return (nil, "unknown metric '\(metric)'") }
            return (Double(stat.micros(of: summary)), nil)
        }
        let q = r.requests
        switch metric {
        case "error_rate":
            return (q.errorRate, nil)
        case "dropped":
            return (Double(q.dropped), nil)
        case "dropped_rate":
            return (q.total > 0 ? Double(q.dropped) / Double(q.total) : 0, nil)
        case "rps":
            return (r.rps, nil)
        default:
            break
        }
        if metric.hasPrefix("status_") {
            guard let statusCodes = r.statusCodes else { return (nil, "status codes are recorded per run and per target, not per stage") }
            let code = metric.dropFirst("status_".count)
            if code.count == 3, code.hasSuffix("xx"), let cls = code.first?.wholeNumberValue {
                let sum = statusCodes.reduce(0) { acc, entry in
                    guard let status = Int(entry.key), status / 100 == cls, status >= 100 else { return acc }
                    return acc + entry.value
                }
                return (Double(sum), nil)
            }
            if let status = Int(code) {
                return (Double(statusCodes[String(status)] ?? 0), nil)
            }
        }
        return (nil, "unknown metric '\(metric)'")
    }
}

/// Formatting of threshold values for the text, JUnit and Markdown reports.
enum ThresholdFormat {
    /// A value in a threshold unit: `12.3ms`, `1.5%`, `480 req/s`, `1,204`.
    static func value(_ v: Double, unit: String) -> String {
        switch unit {
        case Threshold.BaseUnit.micros: DurationParser.format(microsDouble: v)
        case Threshold.BaseUnit.fraction: NumberFormat.percentTrimmed(v)
        case Threshold.BaseUnit.requestsPerSecond: fixedTrimmed(v, 1) + " req/s"
        case Threshold.BaseUnit.iterationsPerSecond: fixedTrimmed(v, 1) + " iter/s"
        case Threshold.BaseUnit.messagesPerSecond: fixedTrimmed(v, 1) + " msg/s"
        case Threshold.BaseUnit.count where v.isFinite && Swift.abs(v) < 1e15: TextReport.grouped(Int(v.rounded()))
        default: fixedTrimmed(v, 3)
        }
    }

    /// A limit as users write it: like `value`, without the trailing zeros that show a measurement's precision
    /// (`1s`, not `1.00s`).
    static func limit(_ v: Double, unit: String) -> String {
        let text = value(v, unit: unit)
        guard unit == Threshold.BaseUnit.micros, let dot = text.firstIndex(of: "."),
              let unitStart = text[dot...].firstIndex(where: { !($0.isASCII && $0.isNumber) && $0 != "." }) else { return text }
        var number = String(text[..<unitStart])
        while number.hasSuffix("0") { number.removeLast() }
        if number.hasSuffix(".") { number.removeLast() }
        return number + text[unitStart...]
    }

    /// `latency_us.p99` → `p99`; `service_time_us.max` → `service_time.max`; `iteration_duration_us.p95` →
    /// `iteration_duration.p95`; `message_latency_us.p99` → `message_latency.p99`; others as they are.
    static func label(metric: String) -> String {
        if metric.hasPrefix("latency_us.") { return String(metric.dropFirst("latency_us.".count)) }
        for histogram in ["service_time", "send_lateness", "iteration_duration", "iteration_duration_without_think",
                          "message_latency", "message_service_time"]
            where metric.hasPrefix(histogram + "_us.") {
            return histogram + "." + metric.dropFirst(histogram.count + 4)
        }
        return metric
    }
}
