import Foundation

/// `compare` on WebSocket runs: when both results have `messages`, their message latency percentiles, rate and error
/// rate are compared as point changes (results carry no per-second message timeline, so the noise is unknown and
/// these rows never gate), as a flow's iterations are.
extension Compare {
    /// The message metrics when both runs have messages; nil otherwise. Latencies only when both runs had an answered
    /// message (a run without one has no latency to compare: its zeros are not measurements).
    static func messageRows(base: RunResult, new: RunResult) -> [Comparison.MessageRow]? {
        guard let b = base.messages, let n = new.messages else { return nil }
        let timed = b.latency_us.count > 0 && n.latency_us.count > 0
        return Comparison.MessageMetric.allCases.filter { timed || !$0.isLatency }.map { metric in
            let bv = metric.value(of: b), nv = metric.value(of: n)
            let change = nv - bv
            let verdict = Comparison.Verdict.pointChange(change, higherIsWorse: metric.higherIsWorse)
            return Comparison.MessageRow(metric: metric, base: bv, new: nv, change: change,
                                         relative_change: bv != 0 ? change / bv : nil, verdict: verdict)
        }
    }
}

extension Comparison {
    /// The message metrics `compare` reports: latency percentiles (µs of `messages.latency_us`, from each message's due
    /// time), the rate of messages answered or failed (per second) and the message error rate (a fraction).
    public enum MessageMetric: String, Codable, Sendable, CaseIterable {
        case message_latency_p50 = "message_latency.p50"
        case message_latency_p90 = "message_latency.p90"
        case message_latency_p99 = "message_latency.p99"
        case message_latency_p99_9 = "message_latency.p99.9"
        case message_rate
        case message_error_rate

        /// True for the latency percentiles.
        public var isLatency: Bool { self != .message_rate && self != .message_error_rate }

        /// True when a larger value is worse (latencies, the error rate); false for the rate.
        public var higherIsWorse: Bool { self != .message_rate }

        func value(of m: RunResult.Messages) -> Double {
            switch self {
            case .message_latency_p50: Double(m.latency_us.p50)
            case .message_latency_p90: Double(m.latency_us.p90)
            case .message_latency_p99: Double(m.latency_us.p99)
            case .message_latency_p99_9: Double(m.latency_us.p99_9)
            case .message_rate: m.rate
            case .message_error_rate: m.errorRate
            }
        }

        /// `1.20ms`, `12.5/s` for the rate, `1.20%` for the error rate.
        func format(_ v: Double) -> String {
            switch self {
            case .message_rate: fixed(v, 1) + "/s"
            case .message_error_rate: fixed(v * 100, 2) + "%"
            default: DurationParser.format(microsDouble: v)
            }
        }
    }


    /// The text block for `messages`: one row per metric.
    func messageText() -> String {
        guard let messages else { return "" }
        var rows = [["metric", "base", "new", "rel", "change"]]
        for r in messages {
            rows.append([r.metric.rawValue, r.metric.format(r.base), r.metric.format(r.new),
                         r.relative_change.map { NumberFormat.signed($0 * 100, 1) + "%" } ?? "-",
                         r.verdict == .withinNoise ? "same" : (r.verdict == .regression ? "worse" : "better")])
        }
        return "\n  Messages (point changes; noise unknown, not gated):\n" + TextReport.table(rows) + "\n"
    }

    /// One message metric's point change from BASE to NEW.
    public typealias MessageRow = PointChangeRow<MessageMetric>
}
