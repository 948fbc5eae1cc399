import Foundation
import Histogram

/// What the report concludes from a result, apart from how it is drawn: the verdict, the load ranges named in the
/// header, and the latency percentile spectrum's points.
extension HTMLReport {
    // MARK: - Verdict and load


    /// The pill in the header, in the order of the exit codes: a signal or a threshold first, then a run that
    /// measured nothing (exit 1), then passing thresholds.
    static func verdict(_ r: RunResult) -> (text: String, style: String, note: String) {
        var notes: [String] = []
        if let reason = r.aborted_by {
            let by = RunOutcome.abortingThreshold(reason).map { "aborted by threshold '\($0)'" } ?? "stopped by \(reason)"
            return ("ABORTED", "fail", by)
        }
        if r.interrupted { notes.append("interrupted") }
        let passed = r.thresholds.filter(\.ok).count
        if !r.thresholds.isEmpty {
            notes.insert("\(passed) of \(r.thresholds.count) thresholds passed", at: 0)
            if passed < r.thresholds.count { return ("FAIL", "fail", notes.joined(separator: " · ")) }
        }
        if r.requests.total == 0 { return ("NO REQUESTS", r.interrupted ? "warn" : "fail", notes.joined(separator: " · ")) }
        if let nothing = RunOutcome.line(r) {
            notes.insert(String(nothing.dropFirst("no ok response: ".count)), at: 0)
            return ("NO OK RESPONSE", r.interrupted ? "warn" : "fail", notes.joined(separator: " · "))
        }
        if !r.thresholds.isEmpty {
            // A run that did not finish passed on the part measured, not on the run planned: never a bare PASS.
            if let cut = RunOutcome.cutShortText(r) {
                return ("PASS — INTERRUPTED", "warn", "\(cut): \(passed) of \(r.thresholds.count) thresholds passed on the part measured")
            }
            return ("PASS", "pass", notes.joined(separator: " · "))
        }
        if r.requests.failed > 0 || r.requests.dropped > 0 {
            notes.insert("\(NumberFormat.percent(r.requests.errorRate)) errors", at: 0)
            return (r.interrupted ? "INTERRUPTED WITH ERRORS" : "COMPLETED WITH ERRORS", "warn", notes.joined(separator: " · "))
        }
        return (r.interrupted ? "INTERRUPTED" : "COMPLETED", r.interrupted ? "warn" : "pass", "no thresholds set")
    }

    static func scaleVerdict(_ s: ScaleResult) -> (text: String, style: String, note: String) {
        let failedLevels = s.levels.filter { $0.requests.failed > 0 }.count
        let note = failedLevels > 0 ? "errors at \(failedLevels) level\(failedLevels == 1 ? "" : "s")" : "\(s.levels.count) levels measured"
        let dead = s.levels.filter(\.no_ok_response).count
        if dead > 0 && dead == s.levels.count { return ("NO OK RESPONSE", "fail", "at any level: the sweep measured nothing") }
        if let knee = s.knee { return ("KNEE AT \(knee)", failedLevels > 0 ? "fail" : "warn", note) }
        if s.levels.isEmpty { return ("NO LEVELS", "warn", "") }
        return ("SCALES", failedLevels > 0 ? "warn" : "pass", note)
    }


    /// `merge of 3 runs` (drawn one after the other, each start marked) or `merge of 4 segments of one run`.
    static func mergeText(_ m: MergedRuns) -> String {
        if m.clock == .shared {
            return "merge of \(m.parts.count) segment\(m.parts.count == 1 ? "" : "s") of one run"
        }
        return "merge of \(m.runs) run\(m.runs == 1 ? "" : "s")" + (m.runs > 1 ? ", one after the other" : "")
    }


    /// `100 → 400 req/s` (the open model's start rate to its highest stage rate), or one rate when constant.
    static func rateRange(_ p: PlanRecord) -> String? {
        let rates = p.stages.compactMap(\.rate)
        guard let peak = rates.max() else { return nil }
        let start = p.start_rate ?? rates[0]
        if rates.allSatisfy({ $0 == start }) { return "\(NumberFormat.number(start)) req/s" }
        let low = min(start, rates.min() ?? start)
        return "\(NumberFormat.number(low)) → \(NumberFormat.number(peak)) req/s"
    }


    /// `4 → 64` when a closed model's concurrency follows stages; nil for a constant concurrency.
    static func concurrencyRange(_ p: PlanRecord) -> String? {
        guard p.model != "open", p.stages.count > 1 || p.start_concurrency != nil else { return nil }
        let levels = p.stages.compactMap(\.concurrency) + [p.start_concurrency ?? p.concurrency]
        guard let low = levels.min(), let high = levels.max(), low != high else { return nil }
        return "\(NumberFormat.grouped(low)) → \(NumberFormat.grouped(high))"
    }

    // MARK: - Latency spectrum


    /// One point of a percentile spectrum: the percentile (0…100) and the value there, µs.
    struct SpectrumPoint: Equatable {
        var percentile: Double
        var micros: Double
    }


    /// The spectrum of one summary: the full distribution when the summary carries its histogram, else its fixed
    /// percentiles.
    static func spectrum(_ s: HistogramSummary) -> (points: [SpectrumPoint], full: Bool) {
        // The full distribution when the summary carries it (`hdr`, absent in files written without it).
        if s.count > 0, let blob = s.hdr, let h = try? HdrCodec.decode(base64: blob) { return (spectrumPoints(from: h), true) }
        return (spectrumPoints(summary: s), false)
    }


    /// The spectrum from a summary's fixed percentiles: min at 0 %, p50 … p99.99, and the maximum at the rank of the
    /// last sample. A percentile finer than one sample in `count` says nothing the maximum does not, so it is left out.
    static func spectrumPoints(summary s: HistogramSummary) -> [SpectrumPoint] {
        guard s.count > 0 else { return [] }
        let lastRank = lastRankPercentile(count: Double(s.count))
        var out = [SpectrumPoint(percentile: 0, micros: Double(s.min))]
        let fixed: [(Double, Int64)] = [(50, s.p50), (75, s.p75), (90, s.p90), (95, s.p95), (99, s.p99), (99.9, s.p99_9), (99.99, s.p99_99)]
        for (p, v) in fixed where p < lastRank - 1e-9 {
            out.append(SpectrumPoint(percentile: p, micros: Double(v)))
        }
        if lastRank > 0 { out.append(SpectrumPoint(percentile: lastRank, micros: Double(s.max))) } else { out[0].micros = Double(s.max) }
        return out
    }


    /// The full percentile spectrum of a histogram, as HdrHistogram's plots draw it: its percentile iteration at five
    /// ticks per half-distance to 100 %, values capped at the exact maximum, and the final (100 %) step placed at the
    /// rank of the last sample so that it lands on a finite point of the 1/(1−p) axis.
    ///
    /// The hook for summaries that carry `hdr`: see `spectrum(_:)`.
    static func spectrumPoints(from histogram: LatencyHistogram) -> [SpectrumPoint] {
        guard histogram.totalCount > 0 else { return [] }
        let n = Double(histogram.totalCount)
        let maxMicros = Double(histogram.maxRecorded)
        let lastRank = lastRankPercentile(count: n)
        var out: [SpectrumPoint] = []
        for step in histogram.percentiles(ticksPerHalfDistance: 5) {
            let p = min(step.percentileLevelIteratedTo, lastRank)
            let v = min(Double(step.value), maxMicros)
            if let last = out.last, last.percentile >= p {
                out[out.count - 1].micros = max(last.micros, v)
            } else {
                out.append(SpectrumPoint(percentile: p, micros: v))
            }
        }
        if out.last?.percentile != lastRank || out.last?.micros != maxMicros {
            out.append(SpectrumPoint(percentile: lastRank, micros: maxMicros))
        }
        return out
    }


    /// 100 × (1 − 1/n): where the largest of n samples sits on the spectrum's axis (x = log10 n).
    static func lastRankPercentile(count n: Double) -> Double {
        n <= 1 ? 0 : 100 * (1 - 1 / n)
    }


    /// log10(1 / (1 − p)): 0 at 0 %, 1 at 90 %, 2 at 99 %, …
    static func spectrumX(_ percentile: Double) -> Double {
        let rest = 1 - percentile / 100
        return rest > 0 ? log10(1 / rest) : 12
    }


    static func percentileLabel(_ p: Double) -> String {
        if p == 0 { return "0%" }
        var digits = 0
        while digits < 6, abs(p * pow(10, Double(digits)) - (p * pow(10, Double(digits))).rounded()) > 1e-6 { digits += 1 }
        return fixed(p, digits) + "%"
    }
}
