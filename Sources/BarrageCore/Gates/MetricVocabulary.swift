/// The metrics `compare` and thresholds share, named once: a latency statistic of a `HistogramSummary` by the name
/// both grammars use (`p99.9`), and the error rate of a set of requests.
///
/// `Compare.Metric` is the subset `compare` measures (its raw values are the JSON contract); thresholds accept every
/// statistic here, on any of the result's histograms (`latency_us`, `service_time_us`, `send_lateness_us`, and a flow's
/// `iterations.duration_us` and `iterations.duration_without_think_us`, a WebSocket run's `messages.latency_us` and
/// `messages.service_time_us`).
public enum LatencyStat: String, CaseIterable, Sendable {
    // In the order messages list them.
    case p50, p75, p90, p95, p99
    case p99_9 = "p99.9"
    case p99_99 = "p99.99"
    case max, mean, min

    /// The statistic's value in a summary, microseconds.
    public func micros(of s: HistogramSummary) -> Int64 {
        switch self {
        case .p50: s.p50
        case .p75: s.p75
        case .p90: s.p90
        case .p95: s.p95
        case .p99: s.p99
        case .p99_9: s.p99_9
        case .p99_99: s.p99_99
        case .max: s.max
        case .mean: s.mean
        case .min: s.min
        }
    }
}

extension RunResult.Requests {
    /// failed / (ok + failed), as a fraction 0…1; 0 when nothing was answered or failed (dropped requests were never
    /// sent and do not count).
    public var errorRate: Double { Self.errorRate(ok: ok, failed: failed) }

    /// The error rate of counts that are not (yet) a `Requests`, such as a resampled timeline's.
    static func errorRate(ok: Int, failed: Int) -> Double {
        ok + failed > 0 ? Double(failed) / Double(ok + failed) : 0
    }
}

extension RunResult.Iterations {
    /// Iterations that ran to their end, completed or failed (not interrupted, not dropped).
    public var finished: Int { completed + failed }

    /// failed / (completed + failed), as a fraction 0…1; 0 when no iteration finished.
    public var errorRate: Double { finished > 0 ? Double(failed) / Double(finished) : 0 }
}

extension RunResult.Messages {
    /// Messages that were sent and ended: answered + failed (dropped ones were never sent).
    public var ended: Int { answered + failed }

    /// failed / (answered + failed), as a fraction 0…1; 0 when no message ended.
    public var errorRate: Double { ended > 0 ? Double(failed) / Double(ended) : 0 }
}
