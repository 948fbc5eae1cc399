import Foundation
import Histogram

/// The timeline of a merge. Segments of one run share one clock — they start together, so second t of each is the
/// same second: counts add and latencies merge from each second's `hdr`. Repeated runs are concatenated in the order
/// they started, each run's seconds after the previous run's, so per-second rates stay true and the time between
/// runs is not drawn as seconds of load.
enum MergedTimeline {
    /// The merged timeline and, per input (in the order given), the merged second at which its timeline starts.
    static func merge(_ inputs: [(name: String, result: RunResult)], clock: MergedRuns.Clock) throws
        -> (timeline: [TimelineEntry], offsets: [Int]) {
        switch clock {
        case .shared: return (try shared(inputs), inputs.map { _ in 0 })
        case .concatenated: return concatenated(inputs)
        }
    }

    /// Each input after the previous one, by start time; `t_s` renumbered, `epoch_s` kept (when that second was).
    static func concatenated(_ inputs: [(name: String, result: RunResult)]) -> (timeline: [TimelineEntry], offsets: [Int]) {
        let order = inputs.indices.sorted { (inputs[$0].result.started_epoch_ms, $0) < (inputs[$1].result.started_epoch_ms, $1) }
        var offsets = inputs.map { _ in 0 }
        var timeline: [TimelineEntry] = []
        var next = 0
        for i in order {
            let entries = inputs[i].result.timeline
            offsets[i] = next
            for e in entries {
                var e = e
                e.t_s += next
                timeline.append(e)
            }
            next += (entries.map(\.t_s).max() ?? -1) + 1
        }
        return (timeline, offsets)
    }

    /// Seconds with the same `t_s` added: counts and in-flight values sum, the length is the longest segment's
    /// (they ran side by side), the rate is the summed answers over it, latencies merge exactly.
    static func shared(_ inputs: [(name: String, result: RunResult)]) throws -> [TimelineEntry] {
        try sideBySide(inputs.map { (name: $0.name, startedEpochMillis: $0.result.started_epoch_ms, entries: $0.result.timeline) })
    }

    /// Timelines that ran side by side on one clock (segments; several scenarios, already moved onto the run's
    /// seconds), added second by second as `shared` says.
    static func sideBySide(_ inputs: [(name: String, startedEpochMillis: Int64, entries: [TimelineEntry])]) throws -> [TimelineEntry] {
        struct Acc {
            var e: TimelineEntry
            var h: LatencyHistogram
            var targets: [String: LatencyHistogram]
            var peakKnown: Bool
            var meanKnown: Bool
        }
        let startMillis = inputs.map(\.startedEpochMillis).min() ?? 0
        var bySecond: [Int: Acc] = [:]
        for (name, _, timeline) in inputs {
            for e in timeline {
                var h = LatencyHistograms.make()
                if let blob = e.hdr {
                    do { h = try HdrCodec.decode(base64: blob) } catch { throw BarrageError.usage("\(name): timeline[\(e.t_s)].hdr: \(error)") }
                }
                var targets: [String: LatencyHistogram] = [:]
                for (t, blob) in e.targets_hdr ?? [:] {
                    do { targets[t] = try HdrCodec.decode(base64: blob) } catch {
                        throw BarrageError.usage("\(name): timeline[\(e.t_s)].targets_hdr.\(t): \(error)")
                    }
                }
                guard var acc = bySecond[e.t_s] else {
                    bySecond[e.t_s] = Acc(e: e, h: h, targets: targets, peakKnown: e.in_flight_max != nil, meanKnown: e.in_flight_mean != nil)
                    continue
                }
                acc.e.requests += e.requests; acc.e.ok += e.ok; acc.e.failed += e.failed; acc.e.dropped += e.dropped
                acc.e.in_flight += e.in_flight
                acc.e.in_flight_max = (acc.e.in_flight_max ?? 0) + (e.in_flight_max ?? 0)
                acc.e.in_flight_mean = (acc.e.in_flight_mean ?? 0) + (e.in_flight_mean ?? 0)
                acc.peakKnown = acc.peakKnown && e.in_flight_max != nil
                acc.meanKnown = acc.meanKnown && e.in_flight_mean != nil
                acc.e.length_s = Swift.max(acc.e.length_s, e.length_s)
                for (k, v) in e.errors { acc.e.errors[k, default: 0] += v }
                acc.e.target = acc.e.target.flatMap { a in e.target.map { a + $0 } }
                if acc.e.iterations != nil || e.iterations != nil {
                    acc.e.iterations = (acc.e.iterations ?? 0) + (e.iterations ?? 0)
                    acc.e.iterations_failed = (acc.e.iterations_failed ?? 0) + (e.iterations_failed ?? 0)
                }
                if acc.e.messages != nil || e.messages != nil {
                    acc.e.messages = (acc.e.messages ?? 0) + (e.messages ?? 0)
                    acc.e.messages_failed = (acc.e.messages_failed ?? 0) + (e.messages_failed ?? 0)
                }
                acc.h.add(h)
                for (t, th) in targets { if acc.targets[t] != nil { acc.targets[t]!.add(th) } else { acc.targets[t] = th } }
                bySecond[e.t_s] = acc
            }
        }
        return bySecond.keys.sorted().map { t in
            var acc = bySecond[t]!
            let s = HistogramSummary(acc.h)
            acc.e.epoch_s = Double(startMillis + Int64(t) * 1000) / 1000
            acc.e.rps = TimelineEntry.rate(answered: acc.e.ok + acc.e.failed, lengthSeconds: acc.e.length_s)
            if !acc.peakKnown { acc.e.in_flight_max = nil }
            if !acc.meanKnown { acc.e.in_flight_mean = nil }
            acc.e.p50_us = s.p50; acc.e.p99_us = s.p99; acc.e.max_us = s.max; acc.e.hdr = s.hdr
            if !acc.targets.isEmpty { acc.e.targets_hdr = acc.targets.mapValues { HdrCodec.encodeCompressedBase64($0) } }
            return acc.e
        }
    }
}
