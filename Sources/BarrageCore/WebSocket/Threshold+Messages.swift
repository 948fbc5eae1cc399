/// Threshold metrics on a WebSocket run's `messages` section, measured on the run scope only:
/// `message_latency.STAT` and `message_service_time.STAT` (µs, over answered messages), `messages` (answered +
/// failed), `answered_messages`, `failed_messages`, `dropped_messages` (counts), `message_rate` (msg/s, a plain
/// number) and `message_error_rate` ((failed + dropped) / total, 0 when none).
extension Threshold {
    /// Messages per second (`message_rate`).
    public static let messagesPerSecond = "msg/s"

    /// Accepted prefix → canonical histogram name of the `messages` section.
    static let messageLatencyPrefixes: [(prefix: String, histogram: String)] = [
        ("message_latency.", "message_latency_us"), ("message_service_time.", "message_service_time_us"),
        ("message_latency_us.", "message_latency_us"), ("message_service_time_us.", "message_service_time_us"),
    ]
    static let messageCounters: [String: String] = [
        "messages": BaseUnit.count, "answered_messages": BaseUnit.count, "failed_messages": BaseUnit.count,
        "dropped_messages": BaseUnit.count, "message_rate": messagesPerSecond, "message_error_rate": BaseUnit.fraction,
    ]

    /// True when the metric reads a WebSocket run's `messages` section.
    public var isMessageMetric: Bool { Self.isMessageMetric(metric) }

    static func isMessageMetric(_ canonical: String) -> Bool {
        messageCounters[canonical] != nil || canonical.hasPrefix("message_latency_us.") || canonical.hasPrefix("message_service_time_us.")
    }

    /// The canonical message metric and its unit for `text` (lowercased), nil when it is not one; `stat` reads a
    /// latency statistic (`p99`, `p(99.9)`).
    static func canonicalMessageMetric(_ text: String, stat: (String) -> String?) -> (metric: String, unit: String)?? {
        for (prefix, histogram) in messageLatencyPrefixes where text.hasPrefix(prefix) {
            guard let s = stat(String(text.dropFirst(prefix.count))) else { return .some(nil) }
            return ("\(histogram).\(s)", BaseUnit.micros)
        }
        if let unit = messageCounters[text] { return (text, unit) }
        return nil
    }

    /// A message metric's value from the result's `messages` section.
    static func messageValue(_ metric: String, in m: RunResult.Messages?) -> (value: Double?, note: String?) {
        guard let m else { return (nil, "no messages in this result (message metrics need a WebSocket run)") }
        if let dot = metric.firstIndex(of: ".") {
            let histogram = String(metric[..<dot])
            let summary = histogram == "message_service_time_us" ? m.service_time_us : m.latency_us
            guard summary.count > 0 else { return (nil, "no answered messages, so no \(histogram)") }
            guard let stat = LatencyStat(rawValue: String(metric[metric.index(after: dot)...])) else {
                return (nil, "unknown metric '\(metric)'")
            }
            return (Double(stat.micros(of: summary)), nil)
        }
        switch metric {
        case "messages": return (Double(m.answered + m.failed), nil)
        case "answered_messages": return (Double(m.answered), nil)
        case "failed_messages": return (Double(m.failed), nil)
        case "dropped_messages": return (Double(m.dropped), nil)
        case "message_rate": return (m.rate, nil)
        case "message_error_rate": return (m.total > 0 ? Double(m.failed + m.dropped) / Double(m.total) : 0, nil)
        default: return (nil, "unknown metric '\(metric)'")
        }
    }
}
