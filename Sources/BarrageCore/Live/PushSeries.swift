/// What a run pushes to Prometheus (`--prometheus-rw`): the series of one push, as plain values.
///
/// Every series carries the run's labels (`run_id`, `profile` when the profile has a name, `segment` as `I/N` when
/// segmented). Counters are cumulative; the latency series are summaries of a window:
///
/// - during the run, `barrage_interval_latency_seconds{stat}` covers the seconds handed over since the previous push
///   (all requests, per target/step with a `target` label when there are several, and per `scenario` when several
///   run), with
///   `barrage_interval_rps` the achieved rate over those seconds;
/// - the final push carries the whole run, as the result JSON has it: `barrage_run_latency_seconds{stat}` (and per
///   target), and its counters are the result's totals.
///
/// `stat` is one of `p50 p90 p95 p99 max` (k6's trend statistics), in seconds.
///
/// A WebSocket run adds its messages: `barrage_messages_total{result}` and `barrage_message_errors_total{class}`
/// (cumulative), `barrage_connections_open`, and the message counterparts of the latency series —
/// `barrage_interval_message_latency_seconds{stat}` and `barrage_interval_message_rate` over the messages handed over
/// since the previous push, `barrage_run_message_latency_seconds{stat}` and `barrage_run_message_rate` in the last.
public enum PushSeries {
    public static let stats: [(name: String, pick: @Sendable (HistogramSummary) -> Int64)] = [
        ("p50", \.p50), ("p90", \.p90), ("p95", \.p95), ("p99", \.p99), ("max", \.max),
    ]

    /// The labels every series of a run carries.
    public static func runLabels(runID: String, plan: PlanRecord) -> [RemoteWrite.Label] {
        var labels = [RemoteWrite.Label("run_id", runID)]
        if let name = plan.name { labels.append(.init("profile", name)) }
        if let s = plan.segment { labels.append(.init("segment", "\(s.index)/\(s.count)")) }
        return labels
    }

    /// One engine's part of a push during the run (one scenario of several, or the whole run): the timeline's
    /// seconds since the previous push, its target (step) names and its iterations so far.
    public struct Lane: Sendable {
        public var scenario: String?
        public var window: [TimelineEntry]
        public var targetNames: [String]
        public var iterations: IterationRecorder?
        /// A WebSocket run's messages so far, and those handed over since the previous push (`MessageWindow.take`);
        /// nil for HTTP runs.
        public var messages: MessageRecorder?
        public var messagesWindow: MessageRecorder?
        /// A WebSocket run's connections open now.
        public var connectionsOpen: Int
        public init(scenario: String?, window: [TimelineEntry], targetNames: [String], iterations: IterationRecorder?,
                    messages: MessageRecorder? = nil, messagesWindow: MessageRecorder? = nil, connectionsOpen: Int = 0) {
            self.scenario = scenario; self.window = window; self.targetNames = targetNames; self.iterations = iterations
            self.messages = messages; self.messagesWindow = messagesWindow; self.connectionsOpen = connectionsOpen
        }
    }

    /// A push during the run: counters so far (`sofar`, all lanes together), requests in flight now, each lane's
    /// iterations, and the windows' latency and rate (per target with a `target` label, and a `scenario` label when
    /// several scenarios run).
    public static func interval(labels: [RemoteWrite.Label], sofar: Recorder, inFlight: Int, lanes: [Lane],
                                timestampMillis t: Int64) -> [RemoteWrite.Series] {
        var out = counters(labels: labels, requests: (sofar.ok, sofar.failed, sofar.dropped), statuses: sofar.statusCounts,
                           errors: sofar.errorCounts, timestampMillis: t)
        out.append(.init(name: "barrage_in_flight", labels: labels, value: Double(inFlight), timestampMillis: t))
        var rate: Double? = nil
        var all = LatencyHistograms.make()
        var perTarget: [(labels: [RemoteWrite.Label], histogram: LatencyHistogram)] = []
        for lane in lanes {
            if let it = lane.iterations, let scenario = lane.scenario {
                out += iterationCounters(labels: labels + [.init("scenario", scenario)],
                                         (it.completed, it.failed, it.interrupted, it.dropped), timestampMillis: t)
            }
            let seconds = lane.window.reduce(0.0) { $0 + $1.length_s }
            let answered = lane.window.reduce(0) { $0 + $1.ok + $1.failed }
            if let r = TimelineEntry.rate(answered: answered, lengthSeconds: seconds) { rate = (rate ?? 0) + r }
            var laneAll = LatencyHistograms.make()
            var laneTargets: [String: LatencyHistogram] = [:]
            for entry in lane.window {
                if let hdr = entry.hdr, let h = try? HdrCodec.decode(base64: hdr), h.totalCount > 0 { laneAll.add(h) }
                for (name, hdr) in entry.targets_hdr ?? [:] {
                    guard let h = try? HdrCodec.decode(base64: hdr), h.totalCount > 0 else { continue }
                    if laneTargets[name] == nil { laneTargets[name] = LatencyHistograms.make() }
                    laneTargets[name]!.add(h)
                }
            }
            if laneAll.totalCount > 0 { all.add(laneAll) }
            let scenarioLabel: [RemoteWrite.Label] = lanes.count > 1 ? lane.scenario.map { [.init("scenario", $0)] } ?? [] : []
            if !scenarioLabel.isEmpty, laneAll.totalCount > 0 { perTarget.append((labels + scenarioLabel, laneAll)) }  // the scenario's own
            if lane.targetNames.count > 1 {
                for name in lane.targetNames {
                    guard let h = laneTargets[name] else { continue }
                    perTarget.append((labels + scenarioLabel + [.init("target", name)], h))
                }
            } else if lanes.count > 1, let name = lane.targetNames.first, laneAll.totalCount > 0 {
                perTarget.append((labels + scenarioLabel + [.init("target", name)], laneAll))
            }
        }
        if let rate { out.append(.init(name: "barrage_interval_rps", labels: labels, value: rate, timestampMillis: t)) }
        out += latency("barrage_interval_latency_seconds", labels: labels, HistogramSummary(all), timestampMillis: t)
        for (l, h) in perTarget {
            out += latency("barrage_interval_latency_seconds", labels: l, HistogramSummary(h), timestampMillis: t)
        }
        out += intervalMessages(labels: labels, lanes: lanes, timestampMillis: t)
        return out
    }

    /// A WebSocket run's part of a push during the run (nothing when no lane has messages): the counters so far, the
    /// connections open, and the rate (the window's timeline seconds, as `barrage_interval_rps`) and latency of the
    /// messages handed over since the previous push.
    private static func intervalMessages(labels: [RemoteWrite.Label], lanes: [Lane], timestampMillis t: Int64) -> [RemoteWrite.Series] {
        guard lanes.contains(where: { $0.messages != nil }) else { return [] }
        var sofar = MessageRecorder()
        var window = MessageRecorder()
        var open = 0
        var rate: Double? = nil
        for lane in lanes {
            guard let m = lane.messages else { continue }
            sofar.merge(m)
            if let w = lane.messagesWindow { window.merge(w) }
            open += lane.connectionsOpen
            let seconds = lane.window.reduce(0.0) { $0 + $1.length_s }
            let ended = lane.window.reduce(0) { $0 + ($1.messages ?? 0) }
            if let r = TimelineEntry.rate(answered: ended, lengthSeconds: seconds) { rate = (rate ?? 0) + r }
        }
        var out = messageCounters(labels: labels, (sofar.answered, sofar.failed, sofar.dropped), errors: sofar.errorCounts,
                                  timestampMillis: t)
        out.append(.init(name: "barrage_connections_open", labels: labels, value: Double(open), timestampMillis: t))
        if let rate { out.append(.init(name: "barrage_interval_message_rate", labels: labels, value: rate, timestampMillis: t)) }
        out += latency("barrage_interval_message_latency_seconds", labels: labels, HistogramSummary(window.latency), timestampMillis: t)
        return out
    }

    /// `barrage_messages_total{result}` and `barrage_message_errors_total{class}`, every class from the first push.
    private static func messageCounters(labels: [RemoteWrite.Label], _ c: (answered: Int, failed: Int, dropped: Int),
                                        errors: [String: Int], timestampMillis t: Int64) -> [RemoteWrite.Series] {
        var out: [RemoteWrite.Series] = [("answered", c.answered), ("failed", c.failed), ("dropped", c.dropped)].map { result, n in
            .init(name: "barrage_messages_total", labels: labels + [.init("result", result)], value: Double(n), timestampMillis: t)
        }
        for cls in MessageError.allCases {
            out.append(.init(name: "barrage_message_errors_total", labels: labels + [.init("class", cls.rawValue)],
                             value: Double(errors[cls.rawValue] ?? 0), timestampMillis: t))
        }
        return out
    }

    /// The last push: the result's totals and whole-run latency (and each scenario's iterations, and a WebSocket run's
    /// messages: the `messages` section's counts, rate and latency).
    public static func final(labels: [RemoteWrite.Label], result r: RunResult, timestampMillis t: Int64) -> [RemoteWrite.Series] {
        var out = counters(labels: labels, requests: (r.requests.ok, r.requests.failed, r.requests.dropped),
                           statuses: r.status_codes, errors: r.errors, timestampMillis: t)
        out.append(.init(name: "barrage_in_flight", labels: labels, value: 0, timestampMillis: t))
        if let it = r.iterations {
            out += iterationCounters(labels: labels + [.init("scenario", it.scenario)],
                                     (it.completed, it.failed, it.interrupted, it.dropped), timestampMillis: t)
        }
        for (name, s) in (r.scenarios ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let it = s.iterations else { continue }
            out += iterationCounters(labels: labels + [.init("scenario", name)],
                                     (it.completed, it.failed, it.interrupted, it.dropped), timestampMillis: t)
        }
        out.append(.init(name: "barrage_run_rps", labels: labels, value: r.throughput.rps, timestampMillis: t))
        out += latency("barrage_run_latency_seconds", labels: labels, r.latency_us, timestampMillis: t)
        for (name, s) in (r.scenarios ?? [:]).sorted(by: { $0.key < $1.key }) {
            out += latency("barrage_run_latency_seconds", labels: labels + [.init("scenario", name)], s.requests.latency_us, timestampMillis: t)
        }
        if let m = r.messages {
            out += messageCounters(labels: labels, (m.answered, m.failed, m.dropped), errors: m.errors, timestampMillis: t)
            out.append(.init(name: "barrage_connections_open", labels: labels, value: 0, timestampMillis: t))
            out.append(.init(name: "barrage_run_message_rate", labels: labels, value: m.rate, timestampMillis: t))
            out += latency("barrage_run_message_latency_seconds", labels: labels, m.latency_us, timestampMillis: t)
        }
        if r.targets.count > 1 {
            for (name, s) in r.targets.sorted(by: { $0.key < $1.key }) {
                out += latency("barrage_run_latency_seconds", labels: labels + [.init("target", name)], s.latency_us, timestampMillis: t)
            }
        }
        return out
    }

    private static func counters(labels: [RemoteWrite.Label], requests: (ok: Int, failed: Int, dropped: Int),
                                 statuses: [String: Int], errors: [String: Int], timestampMillis t: Int64) -> [RemoteWrite.Series] {
        var out: [RemoteWrite.Series] = [
            .init(name: "barrage_requests_total", labels: labels + [.init("result", "ok")], value: Double(requests.ok), timestampMillis: t),
            .init(name: "barrage_requests_total", labels: labels + [.init("result", "failed")], value: Double(requests.failed), timestampMillis: t),
            .init(name: "barrage_requests_total", labels: labels + [.init("result", "dropped")], value: Double(requests.dropped), timestampMillis: t),
        ]
        // Status classes, every one from the first push (a series that appears mid-run breaks rate()).
        var classes = [Int](repeating: 0, count: 6)
        for (code, n) in statuses {
            guard let c = Int(code), (100...599).contains(c) else { continue }
            classes[c / 100] += n
        }
        for c in 1...5 {
            out.append(.init(name: "barrage_responses_total", labels: labels + [.init("status_class", "\(c)xx")],
                             value: Double(classes[c]), timestampMillis: t))
        }
        for c in ErrorClass.allCases {
            out.append(.init(name: "barrage_errors_total", labels: labels + [.init("class", c.rawValue)],
                             value: Double(errors[c.rawValue] ?? 0), timestampMillis: t))
        }
        return out
    }

    private static func iterationCounters(labels: [RemoteWrite.Label], _ c: (Int, Int, Int, Int),
                                          timestampMillis t: Int64) -> [RemoteWrite.Series] {
        [("completed", c.0), ("failed", c.1), ("interrupted", c.2), ("dropped", c.3)].map { result, n in
            .init(name: "barrage_iterations_total", labels: labels + [.init("result", result)], value: Double(n), timestampMillis: t)
        }
    }

    /// The `stat` series of one summary; none when it holds no sample.
    private static func latency(_ name: String, labels: [RemoteWrite.Label], _ s: HistogramSummary,
                                timestampMillis t: Int64) -> [RemoteWrite.Series] {
        guard s.count > 0 else { return [] }
        return stats.map { stat, pick in
            .init(name: name, labels: labels + [.init("stat", stat)], value: Double(pick(s)) / 1_000_000, timestampMillis: t)
        }
    }
}
