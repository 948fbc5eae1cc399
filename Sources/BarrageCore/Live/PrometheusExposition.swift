/// A run's counters and histograms in the Prometheus text exposition format 0.0.4, for scraping a run in progress.
///
/// Every family is written from the first scrape on (error classes with zeros, histograms with empty buckets), so
/// dashboards and `rate()` see the series start at zero rather than appear mid-run. Durations are in seconds and
/// bytes in bytes, per Prometheus naming conventions.
public enum PrometheusExposition {
    /// The `Content-Type` to serve this text with.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// One histogram bucket's upper bound: its `le` label as written and its value in microseconds.
    public struct Bound: Sendable, Equatable {
        public var label: String
        public var micros: UInt64
    }

    /// The fixed bucket bounds of `barrage_latency_seconds` and `barrage_service_time_seconds`, +Inf excluded:
    /// 0.5 ms … 10 s, roughly 1-2.5-5 per decade.
    public static let bucketBounds: [Bound] = [
        Bound(label: "0.0005", micros: 500), Bound(label: "0.001", micros: 1_000),
        Bound(label: "0.0025", micros: 2_500), Bound(label: "0.005", micros: 5_000),
        Bound(label: "0.01", micros: 10_000), Bound(label: "0.025", micros: 25_000),
        Bound(label: "0.05", micros: 50_000), Bound(label: "0.1", micros: 100_000),
        Bound(label: "0.25", micros: 250_000), Bound(label: "0.5", micros: 500_000),
        Bound(label: "1", micros: 1_000_000), Bound(label: "2.5", micros: 2_500_000),
        Bound(label: "5", micros: 5_000_000), Bound(label: "10", micros: 10_000_000),
    ]

    /// The exposition of `r` (everything recorded so far), ending with a line feed.
    ///
    /// Families: `barrage_requests_total{result}`, `barrage_responses_total{status}`, `barrage_errors_total{class}`,
    /// `barrage_dropped_total`, `barrage_in_flight`, `barrage_latency_seconds` and `barrage_service_time_seconds`
    /// (histograms over complete responses), `barrage_bytes_received_total`, `barrage_bytes_sent_total`,
    /// `barrage_clamped_samples_total`, `barrage_elapsed_seconds`, and `barrage_info{model,version[,name]} 1`.
    ///
    /// Bucket counts come from the HdrHistogram with `count(within: 0...bound)`, which rounds the bound up to the
    /// histogram's resolution: exact below 2.048 ms, within 0.1 % above. `_sum` is mean × count, since the
    /// histogram keeps no exact sum.
    ///
    /// `version` is the tool's version for `barrage_info` (BarrageCore does not know it; the CLI passes its own).
    ///
    /// A flow (`iterations` given) adds `barrage_iterations_total{scenario,result}` (completed, failed, interrupted,
    /// dropped) and `barrage_iteration_duration_seconds{scenario}` (finished iterations, think steps included).
    ///
    /// A WebSocket run (`messages` given; the requests are then its handshakes) adds
    /// `barrage_messages_total{result}` (answered, failed, dropped), `barrage_message_errors_total{class}` (every
    /// `MessageError` class from the first scrape), `barrage_message_latency_seconds` and
    /// `barrage_message_service_time_seconds` (histograms over answered messages, from the due time and from the send),
    /// and `barrage_connections_open` (connections upgraded and not yet closed, now).
    public static func render(_ r: Recorder, inFlight: Int, plan: PlanRecord, elapsedMicros: Int64,
                              version: String = "unknown", iterations: IterationRecorder? = nil,
                              messages: MessageRecorder? = nil, connectionsOpen: Int = 0) -> String {
        var w = Writer()

        w.family("barrage_requests_total", .counter, "Requests finished so far, by result: ok, failed, or dropped (never sent).")
        w.sample("barrage_requests_total", [("result", "ok")], r.ok)
        w.sample("barrage_requests_total", [("result", "failed")], r.failed)
        w.sample("barrage_requests_total", [("result", "dropped")], r.dropped)

        w.family("barrage_responses_total", .counter, "Complete responses by HTTP status code.")
        for (code, n) in r.statuses.enumerated() where n > 0 {
            w.sample("barrage_responses_total", [("status", String(code))], n)
        }

        w.family("barrage_errors_total", .counter, "Failed requests by error class.")
        for c in ErrorClass.allCases {
            w.sample("barrage_errors_total", [("class", c.rawValue)], r.errors[c.index])
        }

        w.family("barrage_dropped_total", .counter, "Requests scheduled but not sent within the allowed lateness (open model).")
        w.sample("barrage_dropped_total", [], r.dropped)

        w.family("barrage_in_flight", .gauge, "Requests in flight now.")
        w.sample("barrage_in_flight", [], inFlight)

        w.histogram("barrage_latency_seconds", "Latency of complete responses, from when each request was due (corrected for coordinated omission).", r.latency)
        w.histogram("barrage_service_time_seconds", "Service time of complete responses, from when each request was sent.", r.serviceTime)

        w.family("barrage_bytes_received_total", .counter, "Response bytes received: headers and bodies.")
        w.sample("barrage_bytes_received_total", [], r.bytesIn)

        w.family("barrage_bytes_sent_total", .counter, "Request bytes sent.")
        w.sample("barrage_bytes_sent_total", [], r.bytesOut)

        w.family("barrage_clamped_samples_total", .counter, "Duration samples above the histogram range (1 h), recorded at its top.")
        w.sample("barrage_clamped_samples_total", [], r.clampedSamples)

        w.family("barrage_elapsed_seconds", .gauge, "Time since the run started.")
        w.sample("barrage_elapsed_seconds", [], number(Double(elapsedMicros) / 1_000_000))

        if let it = iterations {
            let scenario = ("scenario", plan.scenario ?? "")
            w.family("barrage_iterations_total", .counter, "A flow's iterations so far, by how they ended (dropped: never started).")
            w.sample("barrage_iterations_total", [scenario, ("result", "completed")], it.completed)
            w.sample("barrage_iterations_total", [scenario, ("result", "failed")], it.failed)
            w.sample("barrage_iterations_total", [scenario, ("result", "interrupted")], it.interrupted)
            w.sample("barrage_iterations_total", [scenario, ("result", "dropped")], it.dropped)
            w.histogram("barrage_iteration_duration_seconds", "Duration of finished iterations, from their start (the due time in the open model).",
                        it.duration, labels: [scenario])
        }

        if let m = messages {
            w.family("barrage_messages_total", .counter, "WebSocket messages so far, by result: answered, failed (sent, no answer), or dropped (due, never sent).")
            w.sample("barrage_messages_total", [("result", "answered")], m.answered)
            w.sample("barrage_messages_total", [("result", "failed")], m.failed)
            w.sample("barrage_messages_total", [("result", "dropped")], m.dropped)
            w.family("barrage_message_errors_total", .counter, "Failed WebSocket messages by error class.")
            for c in MessageError.allCases {
                w.sample("barrage_message_errors_total", [("class", c.rawValue)], m.errors[c.index])
            }
            w.histogram("barrage_message_latency_seconds", "Latency of answered WebSocket messages, from when each was due (corrected for coordinated omission).", m.latency)
            w.histogram("barrage_message_service_time_seconds", "Service time of answered WebSocket messages, from when each was sent.", m.serviceTime)
            w.family("barrage_connections_open", .gauge, "WebSocket connections open now (upgraded, not yet closed).")
            w.sample("barrage_connections_open", [], connectionsOpen)
        }

        w.family("barrage_info", .gauge, "The run's load model and the tool's version; always 1.")
        var info = [("model", plan.model), ("version", version)]
        if let name = plan.name { info.append(("name", name)) }
        w.sample("barrage_info", info, 1)

        return w.text
    }

    /// A label value escaped per the format: backslash, double quote and line feed as `\\`, `\"` and `\n`.
    public static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        for ch in value.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// `# HELP` text escaped per the format: backslash and line feed only.
    static func escapeHelp(_ text: String) -> String {
        var out = ""
        for ch in text.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// A sample value as Prometheus reads it (Go's ParseFloat): integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded() && Swift.abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    private enum MetricType: String { case counter, gauge, histogram }

    private struct Writer {
        var text = ""

        mutating func family(_ name: String, _ type: MetricType, _ help: String) {
            text += "# HELP \(name) \(PrometheusExposition.escapeHelp(help))\n# TYPE \(name) \(type.rawValue)\n"
        }

        mutating func sample(_ name: String, _ labels: [(String, String)], _ value: String) {
            text += name
            if !labels.isEmpty {
                text += "{" + labels.map { "\($0.0)=\"\(PrometheusExposition.escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
            }
            text += " " + value + "\n"
        }

        mutating func sample(_ name: String, _ labels: [(String, String)], _ value: some BinaryInteger) {
            sample(name, labels, String(value))
        }

        /// Cumulative buckets, then `_sum` (seconds) and `_count`; `+Inf` equals `_count`.
        mutating func histogram(_ name: String, _ help: String, _ h: LatencyHistogram, labels: [(String, String)] = []) {
            family(name, .histogram, help)
            let count = h.totalCount
            for b in PrometheusExposition.bucketBounds {
                sample(name + "_bucket", labels + [("le", b.label)], count == 0 ? 0 : h.count(within: 0...b.micros))
            }
            sample(name + "_bucket", labels + [("le", "+Inf")], count)
            let sumSeconds = count == 0 ? 0 : HistogramScan(h).mean * Double(count) / 1_000_000
            sample(name + "_sum", labels, PrometheusExposition.number(sumSeconds))
            sample(name + "_count", labels, count)
        }
    }
}
