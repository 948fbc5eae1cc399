import Foundation

/// The pure core of `barrage compare BASE.json NEW.json`: two `barrage.result.v1` documents in, a noise-aware
/// `Comparison` out. A CI gate that cries wolf gets deleted, so a change only counts as a regression when it lies
/// outside what the runs' own second-to-second variation could produce.
///
/// Method. Each metric's change is the whole-run value of NEW minus that of BASE. Its 95 % confidence interval
/// comes from a bootstrap over seconds: each run's per-second `timeline` is resampled with replacement (2,000 times,
/// with the project's SplitMix64 generator seeded with 42, so the same files always give the same interval), a
/// statistic is computed per resample, and the 2.5 % and 97.5 % quantiles of the per-resample differences
/// NEW − BASE bound the interval.
/// The timeline holds only `rps`, `ok`, `failed`, `p50_us`, `p99_us` and `max_us` per second, so:
/// - `rps` uses the mean of the per-second rps; `error_rate` uses Σfailed / Σ(ok + failed) over the resampled seconds;
///   `p50`, `p99` and `max` use the mean of that column over the seconds that recorded a latency.
/// - `p90`, `p99.9` and `mean` have no column; they borrow the `p99` column's spread. That is an approximation:
///   conservative (too wide) for `mean` and `p90`, which vary less than p99, and possibly too narrow for `p99.9`.
/// - A resample's statistic is carried onto the whole-run value before differencing: multiplied by
///   (resampled statistic / statistic over all seconds) for rps and latencies, shifted by their difference for
///   `error_rate`. The interval then surrounds the change the table shows (a mean of per-second maxima, say, is
///   far below the run's maximum) while its width is the timeline's.
/// With fewer than 3 usable seconds in either run there is no interval: the verdict rests on the point change alone
/// and the row is marked `noise_unknown`.
public enum Compare {
    /// Bootstrap resamples per comparison.
    public static let resamples = 2_000
    /// The bootstrap generator's seed: fixed, so a comparison is reproducible.
    public static let seed: UInt64 = 42
    /// Below this many seconds in either timeline, the noise is not estimated.
    public static let minimumSeconds = 3

    /// A metric `compare` reports and a gate can name.
    public enum Metric: String, Codable, Sendable, CaseIterable {
        case rps
        /// failed / (ok + failed), as a fraction 0…1.
        case error_rate
        case mean, p50, p90, p99
        case p99_9 = "p99.9"
        case max

        /// True when a larger value is worse (latency, errors); false for throughput.
        public var higherIsWorse: Bool { self != .rps }
        /// Latencies are microseconds from `latency_us`.
        public var isLatency: Bool { latencyStat != nil }
        /// The latency statistic this metric reads, in the vocabulary thresholds share; nil for rps and error_rate.
        public var latencyStat: LatencyStat? { LatencyStat(rawValue: rawValue) }
    }

    /// A limit on how much worse a metric may get: `p99=10%`, `rps=5%`, `error_rate=0.5pp`.
    public struct Gate: Sendable, Equatable {
        public enum Limit: Sendable, Equatable {
            /// A fraction of the base value: 0.10 for `10%`.
            case relative(Double)
            /// Percentage points of error rate: 0.5 for `0.5pp` (error_rate only).
            case percentagePoints(Double)
        }
        /// As the user wrote it, trimmed.
        public var spec: String
        public var metric: Metric
        public var limit: Limit

        public init(spec: String, metric: Metric, limit: Limit) {
            self.spec = spec; self.metric = metric; self.limit = limit
        }

        /// The limit as written in normal form: `10%`, `0.5pp`.
        public var limitText: String {
            switch limit {
            case .relative(let f): return fixedTrimmed(f * 100, 6) + "%"
            case .percentagePoints(let p): return fixedTrimmed(p, 6) + "pp"
            }
        }
    }

    /// Parses one `--max-regression` value: `METRIC=N%` (any metric) or `error_rate=Npp`.
    /// - Throws: `BarrageError.usage` naming the text and what is wrong with it.
    public static func parseGate(_ text: String) throws -> Gate {
        let spec = text.trimmingCharacters(in: .whitespaces)
        func refuse(_ why: String) -> BarrageError { .usage("--max-regression \(text): \(why)") }
        let names = Metric.allCases.map(\.rawValue).joined(separator: ", ")
        let parts = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw refuse("expected METRIC=LIMIT, such as p99=10% or error_rate=0.5pp") }
        let name = parts[0].trimmingCharacters(in: .whitespaces)
        guard let metric = Metric(rawValue: name) else {
            throw refuse(name.isEmpty ? "no metric (one of \(names))" : "unknown metric \(name) (one of \(names))")
        }
        var value = parts[1].trimmingCharacters(in: .whitespaces)
        let points: Bool
        if value.hasSuffix("pp") {
            points = true; value.removeLast(2)
        } else if value.hasSuffix("%") {
            points = false; value.removeLast()
        } else {
            throw refuse("the limit must end in % (relative) or pp (percentage points, error_rate only)")
        }
        guard !value.isEmpty, value.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "." }),
              value.first != ".", value.last != ".", let number = Double(value), number.isFinite else {
            throw refuse("the limit must be a non-negative number followed by % or pp")
        }
        if points {
            guard metric == .error_rate else { throw refuse("pp (percentage points) applies to error_rate only; use %") }
            guard number <= 100 else { throw refuse("an error rate cannot change by more than 100pp") }
            return Gate(spec: spec, metric: metric, limit: .percentagePoints(number))
        }
        return Gate(spec: spec, metric: metric, limit: .relative(number / 100))
    }

    // MARK: Comparison

    /// The seconds that have a rate: not those measured for less than half a second (the drain at the end of a run,
    /// the warm-up, the end of each run inside a merge), whose rate would be extrapolated from a few completions and
    /// widen every interval.
    static func fullSeconds(of run: RunResult) -> [TimelineEntry] {
        run.timeline.filter { $0.rps != nil }
    }

    /// Compares two runs metric by metric, estimates each change's noise from the timelines, and checks the gates.
    /// `resamples` and `seed` are fixed by default; tests and experiments may vary them.
    public static func compare(base: RunResult, new: RunResult, gates: [Gate] = [],
                               resamples: Int = Compare.resamples, seed: UInt64 = Compare.seed) -> Comparison {
        let intervals = bootstrap(base: base, new: new, resamples: resamples, seed: seed)
        let rows = Metric.allCases.map { metric -> Comparison.MetricRow in
            let b = value(metric, of: base), n = value(metric, of: new)
            let change = n - b
            let interval = intervals[metric]
            let verdict: Comparison.Verdict
            if let (low, high) = interval {
                verdict = (low <= 0 && high >= 0) ? .withinNoise : direction(of: low, metric)
            } else {
                verdict = change == 0 ? .withinNoise : direction(of: change, metric)
            }
            return Comparison.MetricRow(metric: metric, base: b, new: n, change: change,
                                        relative_change: b != 0 ? change / b : nil,
                                        ci_low: interval?.0, ci_high: interval?.1, verdict: verdict,
                                        noise_unknown: interval == nil)
        }
        var warnings = planWarnings(base.plan, new.plan)
        if base.barrage_version != new.barrage_version {
            warnings.append("results come from different Barrage versions (\(base.barrage_version) → \(new.barrage_version))")
        }
        for (label, run) in [("base", base), ("new", new)] where run.interrupted {
            warnings.append("the \(label) run was interrupted: its numbers cover only part of its plan")
        }
        for (label, run) in [("base", base), ("new", new)] {
            let seconds = fullSeconds(of: run).count
            let latencySeconds = fullSeconds(of: run).filter { $0.max_us > 0 }.count
            if seconds < minimumSeconds {
                warnings.append("the \(label) run's timeline has \(seconds) second\(seconds == 1 ? "" : "s") (fewer than \(minimumSeconds)): "
                                + "noise unknown, verdicts rest on the point change alone")
            } else if latencySeconds < minimumSeconds {
                warnings.append("the \(label) run has \(latencySeconds) second\(latencySeconds == 1 ? "" : "s") with latencies (fewer than \(minimumSeconds)): "
                                + "latency noise unknown, latency verdicts rest on the point change alone")
            }
        }
        let results = gates.map { gate in evaluate(gate, rows.first { $0.metric == gate.metric }!) }
        var comparison = Comparison(metrics: rows, gates: results, warnings: warnings)
        // Per target, when both runs have the same target: point changes (the timeline is whole-run only, so the noise
        // of a target's numbers is unknown and its rows never gate).
        for name in Set(base.targets.keys).intersection(new.targets.keys).sorted() {
            let b = base.targets[name]!, n = new.targets[name]!
            comparison.targets[name] = Metric.allCases.map { metric in
                let bv = value(metric, of: b), nv = value(metric, of: n)
                let change = nv - bv
                return Comparison.MetricRow(metric: metric, base: bv, new: nv, change: change,
                                            relative_change: bv != 0 ? change / bv : nil, ci_low: nil, ci_high: nil,
                                            verdict: change == 0 ? .withinNoise : direction(of: change, metric), noise_unknown: true)
            }
        }
        comparison.iterations = iterationRows(base: base, new: new)
        comparison.messages = messageRows(base: base, new: new)
        return comparison
    }

    /// A metric's value in one target's section of a result.
    static func value(_ metric: Metric, of s: RunResult.Section) -> Double {
        value(metric, latency: s.latency_us, requests: s.requests, rps: s.rps)
    }

    /// The whole-run value of a metric: rps, error rate as a fraction, or microseconds of `latency_us`.
    public static func value(_ metric: Metric, of run: RunResult) -> Double {
        value(metric, latency: run.latency_us, requests: run.requests, rps: run.throughput.rps)
    }

    /// A metric from a latency summary, request counts and a rate: shared by whole runs and per-target sections.
    static func value(_ metric: Metric, latency l: HistogramSummary, requests: RunResult.Requests, rps: Double) -> Double {
        if let stat = metric.latencyStat { return Double(stat.micros(of: l)) }
        return metric == .rps ? rps : requests.errorRate
    }

    /// The verdict for a change of this sign, by the metric's direction.
    private static func direction(of change: Double, _ metric: Metric) -> Comparison.Verdict {
        (change > 0) == metric.higherIsWorse ? .regression : .improvement
    }

    // MARK: Bootstrap

    /// A uniform index in 0..<n from the project's SplitMix64 (whose stream depends only on its seed, unlike the
    /// standard library's generator), by multiply-high: the bias, n / 2⁶⁴, is far below anything measurable here.
    static func index(below n: Int, _ rng: inout SplitMix64) -> Int {
        Int(UInt64(n).multipliedFullWidth(by: rng.next()).high)
    }

    /// The timeline statistics of one (re)sample of seconds.
    private struct SecondStats {
        var rps = 0.0, errorRate = 0.0, p50 = 0.0, p99 = 0.0, max = 0.0
    }

    /// A run's seconds as columns, split by use: every second counts for throughput and errors; only seconds that
    /// recorded a latency (`max_us > 0`) count for the latency columns, so an idle or all-failed second does not
    /// read as 0 µs.
    private struct Seconds {
        var rps: [Double] = [], ok: [Int] = [], failed: [Int] = []
        var p50: [Double] = [], p99: [Double] = [], max: [Double] = []

        init(_ timeline: [TimelineEntry]) {
            for e in timeline {
                rps.append(e.rps ?? 0); ok.append(e.ok); failed.append(e.failed)
                if e.max_us > 0 {
                    p50.append(Double(e.p50_us)); p99.append(Double(e.p99_us)); max.append(Double(e.max_us))
                }
            }
        }

        var count: Int { rps.count }
        var latencyCount: Int { p99.count }

        /// Statistics over every second once.
        func observed() -> SecondStats {
            var s = SecondStats()
            if count > 0 {
                s.rps = rps.reduce(0, +) / Double(count)
                s.errorRate = RunResult.Requests.errorRate(ok: ok.reduce(0, +), failed: failed.reduce(0, +))
            }
            if latencyCount > 0 {
                let n = Double(latencyCount)
                s.p50 = p50.reduce(0, +) / n; s.p99 = p99.reduce(0, +) / n; s.max = max.reduce(0, +) / n
            }
            return s
        }

        /// Statistics over as many seconds drawn with replacement.
        func resampled(_ rng: inout SplitMix64) -> SecondStats {
            var s = SecondStats()
            if count > 0 {
                var sumRps = 0.0, sumOk = 0, sumFailed = 0
                for _ in 0..<count {
                    let i = Compare.index(below: count, &rng)
                    sumRps += rps[i]; sumOk += ok[i]; sumFailed += failed[i]
                }
                s.rps = sumRps / Double(count)
                s.errorRate = RunResult.Requests.errorRate(ok: sumOk, failed: sumFailed)
            }
            if latencyCount > 0 {
                var sum50 = 0.0, sum99 = 0.0, sumMax = 0.0
                for _ in 0..<latencyCount {
                    let i = Compare.index(below: latencyCount, &rng)
                    sum50 += p50[i]; sum99 += p99[i]; sumMax += max[i]
                }
                let n = Double(latencyCount)
                s.p50 = sum50 / n; s.p99 = sum99 / n; s.max = sumMax / n
            }
            return s
        }
    }

    /// A resampled statistic carried onto the whole-run value: scaled by its ratio to the observed statistic, or, for
    /// the error rate (and any statistic observed as 0, where a ratio means nothing), shifted by the difference.
    private static func project(_ metric: Metric, whole: Double, _ r: SecondStats, observed o: SecondStats) -> Double {
        func scaled(_ resampled: Double, _ observed: Double) -> Double {
            observed > 0 ? whole * (resampled / observed) : whole + (resampled - observed)
        }
        switch metric {
        case .rps: return scaled(r.rps, o.rps)
        case .error_rate: return whole + (r.errorRate - o.errorRate)
        case .p50: return scaled(r.p50, o.p50)
        case .p99, .p90, .p99_9, .mean: return scaled(r.p99, o.p99)
        case .max: return scaled(r.max, o.max)
        }
    }

    /// 95 % intervals of each metric's change, absent where either run has too few usable seconds.
    private static func bootstrap(base: RunResult, new: RunResult, resamples: Int, seed: UInt64) -> [Metric: (Double, Double)] {
        let b = Seconds(fullSeconds(of: base)), n = Seconds(fullSeconds(of: new))
        let throughputKnown = b.count >= minimumSeconds && n.count >= minimumSeconds
        let latencyKnown = b.latencyCount >= minimumSeconds && n.latencyCount >= minimumSeconds
        let metrics = Metric.allCases.filter { $0.isLatency ? latencyKnown : throughputKnown }
        guard resamples > 0, !metrics.isEmpty else { return [:] }

        let bObserved = b.observed(), nObserved = n.observed()
        var rng = SplitMix64(seed: seed)
        var differences = [[Double]](repeating: [], count: metrics.count)
        for i in metrics.indices { differences[i].reserveCapacity(resamples) }
        let bWhole = metrics.map { value($0, of: base) }, nWhole = metrics.map { value($0, of: new) }
        for _ in 0..<resamples {
            let bs = b.resampled(&rng), ns = n.resampled(&rng)
            for (i, m) in metrics.enumerated() {
                differences[i].append(project(m, whole: nWhole[i], ns, observed: nObserved)
                                      - project(m, whole: bWhole[i], bs, observed: bObserved))
            }
        }
        var out: [Metric: (Double, Double)] = [:]
        for (i, m) in metrics.enumerated() {
            let sorted = differences[i].sorted()
            out[m] = (quantile(sorted, 0.025), quantile(sorted, 0.975))
        }
        return out
    }

    /// The `p` quantile of sorted values, linearly interpolated between order statistics (Hyndman–Fan type 7).
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        let h = Double(sorted.count - 1) * p
        let lo = Int(h.rounded(.down))
        let hi = Swift.min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    // MARK: Gates

    private static func evaluate(_ gate: Gate, _ row: Comparison.MetricRow) -> Comparison.GateResult {
        let m = row.metric
        // How much worse NEW is, in the limit's unit (negative: better).
        let worse: Double
        let moved: String
        let exceeded: Bool
        switch gate.limit {
        case .percentagePoints(let points):
            worse = (m.higherIsWorse ? row.change : -row.change) * 100
            moved = NumberFormat.signed(row.change * 100, 2) + "pp"
            exceeded = worse > points
        case .relative(let fraction):
            if let rel = row.relative_change {
                worse = m.higherIsWorse ? rel : -rel
                moved = NumberFormat.signed(rel * 100, 1) + "%"
            } else {
                // From a base of 0 any worsening is unbounded in relative terms.
                worse = row.change == 0 ? 0 : (m.higherIsWorse == (row.change > 0) ? .infinity : -.infinity)
                moved = "from 0 to \(Comparison.format(m, row.new))"
            }
            exceeded = worse > fraction
        }
        let subject = "\(m.rawValue) \(moved)"
        let limit = gate.limitText
        let noise = row.noise_unknown ? " (noise unknown)" : ""
        let ok: Bool
        let message: String
        switch (exceeded, row.verdict) {
        case (true, .regression):
            ok = false
            message = "\(subject) is a regression beyond the \(limit) limit\(noise)"
        case (true, .withinNoise):
            ok = true
            message = "\(subject) exceeds the \(limit) limit but is within noise"
        case (true, .improvement):
            ok = true
            message = "\(subject) exceeds the \(limit) limit but the interval says improvement"
        case (false, .improvement):
            ok = true
            message = "\(subject) is an improvement\(noise)"
        case (false, _):
            ok = true
            message = worse > 0 ? "\(subject) is within the \(limit) limit" : "\(subject): no worse than base"
        }
        return Comparison.GateResult(spec: gate.spec, metric: m, limit: limit, ok: ok, message: message)
    }

    // MARK: Plan differences

    /// One warning line per plan field that differs, read off the plans' JSON so that fields added later are covered.
    static func planWarnings(_ base: PlanRecord, _ new: PlanRecord) -> [String] {
        guard base != new else { return [] }
        let encoder = JSONEncoder()
        guard let a = try? JSONDecoder().decode(JSONValue.self, from: encoder.encode(base)),
              let b = try? JSONDecoder().decode(JSONValue.self, from: encoder.encode(new)) else {
            return ["the runs' plans differ"]
        }
        var diffs: [(path: String, key: String, old: String, new: String)] = []
        JSONValue.diff(a, b, path: "", key: "", into: &diffs)
        // A nested leaf that repeats a top-level difference (stages[0].concurrency beside concurrency) adds nothing.
        let topLevel = Set(diffs.filter { $0.path == $0.key }.map { "\($0.key)|\($0.old)|\($0.new)" })
        return diffs
            .filter { $0.path == $0.key || !topLevel.contains("\($0.key)|\($0.old)|\($0.new)") }
            .map { "plans differ: \($0.path) \($0.old) → \($0.new)" }
    }

    /// Just enough JSON to diff two encoded plans.
    private enum JSONValue: Decodable, Equatable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSONValue])
        case object([String: JSONValue])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let v = try? c.decode(Bool.self) { self = .bool(v) }
            else if let v = try? c.decode(Double.self) { self = .number(v) }
            else if let v = try? c.decode(String.self) { self = .string(v) }
            else if let v = try? c.decode([JSONValue].self) { self = .array(v) }
            else { self = .object(try c.decode([String: JSONValue].self)) }
        }

        func render(key: String) -> String {
            switch self {
            case .null: return "none"
            case .bool(let v): return v ? "true" : "false"
            case .number(let v):
                if key.hasSuffix("_us") { return DurationParser.format(microsDouble: v) }
                return fixedTrimmed(v, 6)
            case .string(let v): return v.isEmpty ? "\"\"" : v
            case .array(let v): return "\(v.count) entr\(v.count == 1 ? "y" : "ies")"
            case .object: return "{…}"
            }
        }

        static func diff(_ a: JSONValue?, _ b: JSONValue?, path: String, key: String,
                         into out: inout [(path: String, key: String, old: String, new: String)]) {
            guard a != b else { return }
            switch (a, b) {
            case (.object(let x)?, .object(let y)?):
                for k in Set(x.keys).union(y.keys).sorted() {
                    diff(x[k], y[k], path: path.isEmpty ? k : "\(path).\(k)", key: k, into: &out)
                }
            case (.array(let x)?, .array(let y)?):
                if x.count != y.count {
                    out.append((path, key, a!.render(key: key), b!.render(key: key)))
                }
                for i in 0..<Swift.min(x.count, y.count) {
                    diff(x[i], y[i], path: "\(path)[\(i)]", key: key, into: &out)
                }
            default:
                out.append((path, key, a?.render(key: key) ?? "(absent)", b?.render(key: key) ?? "(absent)"))
            }
        }
    }

    // MARK: Formatting
}

/// The outcome of `barrage compare`: every metric's change and verdict, the gates' results, and warnings.
/// Encoded as JSON with snake_case keys; latencies in microseconds, rps in requests per second, error rates and
/// relative changes as fractions (0.012 is 1.2 %).
public struct Comparison: Codable, Sendable, Equatable {
    public static let schemaID = "barrage.compare.v1"

    /// Direction-aware: higher latency or error rate is worse, lower rps is worse.
    public enum Verdict: String, Codable, Sendable {
        case regression
        case improvement
        /// The 95 % interval of the change contains 0 (or, with the noise unknown, the change is exactly 0).
        case withinNoise = "within noise"

        /// A point change whose noise is unknown (a flow's iterations, a WebSocket run's messages): within noise only
        /// when it is exactly 0, else its direction.
        static func pointChange(_ change: Double, higherIsWorse: Bool) -> Verdict {
            change == 0 ? .withinNoise : ((change > 0) == higherIsWorse ? .regression : .improvement)
        }
    }

    public struct MetricRow: Codable, Sendable, Equatable {
        public var metric: Compare.Metric
        public var base: Double
        public var new: Double
        /// new − base.
        public var change: Double
        /// change / base; nil when base is 0.
        public var relative_change: Double?
        /// The 95 % bootstrap interval of the change; nil when the noise is unknown.
        public var ci_low: Double?
        public var ci_high: Double?
        public var verdict: Verdict
        /// True when either timeline had fewer than 3 usable seconds: the verdict rests on the point change alone.
        public var noise_unknown: Bool

        // Encode nils as explicit nulls so that every row has the same keys.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(metric, forKey: .metric)
            try c.encode(base, forKey: .base)
            try c.encode(new, forKey: .new)
            try c.encode(change, forKey: .change)
            try c.encode(relative_change, forKey: .relative_change)
            try c.encode(ci_low, forKey: .ci_low)
            try c.encode(ci_high, forKey: .ci_high)
            try c.encode(verdict, forKey: .verdict)
            try c.encode(noise_unknown, forKey: .noise_unknown)
        }
    }

    public struct GateResult: Codable, Sendable, Equatable {
        /// As given: `p99=10%`.
        public var spec: String
        public var metric: Compare.Metric
        /// Normal form: `10%`, `0.5pp`.
        public var limit: String
        /// False only when the change is worse than the limit and the verdict is `regression`.
        public var ok: Bool
        public var message: String
    }

    public var schema = Comparison.schemaID
    public var metrics: [MetricRow]
    public var gates: [GateResult]
    /// Human lines: plan differences, version differences, interrupted runs, unknown noise.
    public var warnings: [String]
    /// Per target present in both runs: the same metrics as point changes (noise unknown, never gated).
    public var targets: [String: [MetricRow]] = [:]
    /// A flow's iteration metrics when both runs have iterations, as point changes (noise unknown, never gated);
    /// absent otherwise.
    public var iterations: [IterationRow]? = nil
    /// A WebSocket run's message metrics when both runs have messages, as point changes (noise unknown, never gated);
    /// absent otherwise.
    public var messages: [MessageRow]? = nil

    public init(metrics: [MetricRow], gates: [GateResult], warnings: [String]) {
        self.metrics = metrics; self.gates = gates; self.warnings = warnings
    }

    /// True when every gate passed (and when there are none).
    public var gatesPassed: Bool { gates.allSatisfy(\.ok) }

    /// The row for a metric.
    public subscript(metric: Compare.Metric) -> MetricRow? { metrics.first { $0.metric == metric } }

    /// The document as pretty-printed JSON with a trailing newline.
    public func jsonData() throws -> Data {
        try JSONOutput.encode(self)
    }

    /// The human table: metric, base, new, change, relative change, 95 % interval and verdict; then gates and warnings.
    public func text(baseName: String = "base", newName: String = "new") -> String {
        var table: [[String]] = [["metric", "base", "new", "change", "rel", "95% CI", "verdict"]]
        for r in metrics {
            let ci: String
            if let low = r.ci_low, let high = r.ci_high {
                ci = "\(Self.formatChange(r.metric, low)) … \(Self.formatChange(r.metric, high))"
            } else {
                ci = "unknown"
            }
            table.append([
                r.metric.rawValue, Self.format(r.metric, r.base), Self.format(r.metric, r.new),
                Self.formatChange(r.metric, r.change),
                r.relative_change.map { NumberFormat.signed($0 * 100, 1) + "%" } ?? "-",
                ci, r.verdict.rawValue + (r.noise_unknown ? " (noise unknown)" : ""),
            ])
        }
        var widths = Array(repeating: 0, count: table[0].count)
        for row in table { for (i, cell) in row.enumerated() { widths[i] = Swift.max(widths[i], cell.count) } }
        let leftAligned: Set<Int> = [0, 6]
        var out = "Compare \(baseName) → \(newName)\n\n"
        for row in table {
            let cells = row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return leftAligned.contains(i) ? cell + pad : pad + cell
            }
            out += "  " + cells.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        out += "\n  95% CI: bootstrap over per-second timelines (\(TextReport.grouped(Compare.resamples)) resamples); "
            + "p90, p99.9 and mean borrow the p99 column's spread\n"
        if !targets.isEmpty {
            var rows = [["target", "metric", "base", "new", "rel", "change"]]
            for (name, metrics) in targets.sorted(by: { $0.key < $1.key }) {
                for r in metrics {
                    rows.append([name, r.metric.rawValue, Self.format(r.metric, r.base), Self.format(r.metric, r.new),
                                 r.relative_change.map { NumberFormat.signed($0 * 100, 1) + "%" } ?? "-",
                                 r.verdict == .withinNoise ? "same" : (r.verdict == .regression ? "worse" : "better")])
                }
            }
            out += "\n  Per target (point changes; noise unknown, not gated):\n" + TextReport.table(rows) + "\n"
        }
        if let iterations {
            var rows = [["metric", "base", "new", "rel", "change"]]
            for r in iterations {
                rows.append([r.metric.rawValue, r.metric.format(r.base), r.metric.format(r.new),
                             r.relative_change.map { NumberFormat.signed($0 * 100, 1) + "%" } ?? "-",
                             r.verdict == .withinNoise ? "same" : (r.verdict == .regression ? "worse" : "better")])
            }
            out += "\n  Iterations (point changes; noise unknown, not gated):\n" + TextReport.table(rows) + "\n"
        }
        out += messageText()
        if !gates.isEmpty {
            out += "\n"
            for g in gates { out += "  \(g.ok ? "PASS" : "FAIL")  \(g.spec): \(g.message)\n" }
        }
        if !warnings.isEmpty {
            out += "\n"
            for w in warnings { out += "  Warning  \(w)\n" }
        }
        return out
    }

    /// A value in the metric's unit: `12.3ms`, `1234.5` (rps), `1.20%`.
    public static func format(_ metric: Compare.Metric, _ v: Double) -> String {
        switch metric {
        case .rps: return fixed(v, 1)
        case .error_rate: return fixed(v * 100, 2) + "%"
        default: return DurationParser.format(microsDouble: v)
        }
    }

    /// A change in the metric's unit with its sign: `+2.10ms`, `-100.0`, `+1.00pp`.
    static func formatChange(_ metric: Compare.Metric, _ v: Double) -> String {
        switch metric {
        case .rps: return NumberFormat.signed(v, 1)
        case .error_rate: return NumberFormat.signed(v * 100, 2) + "pp"
        default:
            let s = DurationParser.format(microsDouble: v)
            return v > 0 && s.contains(where: { $0.isNumber && $0 != "0" }) ? "+" + s : s
        }
    }
}
