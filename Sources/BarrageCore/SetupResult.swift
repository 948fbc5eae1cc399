import Foundation
import Histogram

extension RunResult {
    /// The run's `setup:` in the result (`setup`): the requests it sent, once per run (once per segment), before any
    /// load. Kept out of every other number of the result (`requests`, `targets`, the timeline). Captured values are
    /// never written: only the names captured.
    public struct Setup: Codable, Sendable, Equatable {
        public var requests: Int
        public var ok: Int
        public var failed: Int
        /// From the setup's first send to its last completion (a merge: the longest segment's).
        public var duration_us: Int64
        /// Per step, by name.
        public var steps: [String: Step]
        /// The names the setup captured (those of the steps that passed), in step order.
        public var captured: [String]
        /// Why the setup failed (`setup step 'login' failed: …`); absent when it passed. No load was sent then.
        public var error: String?

        public struct Step: Codable, Sendable, Equatable {
            public var requests: Int
            public var ok: Int
            public var failed: Int
            /// Over the step's complete responses (its `hdr` lets `merge` add segments exactly).
            public var latency_us: HistogramSummary

            public init(_ r: Recorder) {
                requests = r.ok + r.failed
                ok = r.ok
                failed = r.failed
                latency_us = HistogramSummary(r.latency)
            }
        }

        public init(requests: Int, ok: Int, failed: Int, duration_us: Int64, steps: [String: Step], captured: [String],
                    error: String? = nil) {
            self.requests = requests; self.ok = ok; self.failed = failed; self.duration_us = duration_us
            self.steps = steps; self.captured = captured; self.error = error
        }

        /// Segments' (or repeated runs') setups put together: counts and latencies add, the duration is the longest,
        /// the names captured are the union in first-seen order, the first error is kept. Nil when none has a setup.
        public static func merged(_ parts: [(name: String, setup: Setup?)]) throws -> Setup? {
            let present = parts.compactMap { p in p.setup.map { (p.name, $0) } }
            guard !present.isEmpty else { return nil }
            var out = Setup(requests: 0, ok: 0, failed: 0, duration_us: 0, steps: [:], captured: [])
            var latencies: [String: Recorder] = [:]
            for (name, s) in present {
                out.requests += s.requests; out.ok += s.ok; out.failed += s.failed
                out.duration_us = Swift.max(out.duration_us, s.duration_us)
                for c in s.captured where !out.captured.contains(c) { out.captured.append(c) }
                if out.error == nil { out.error = s.error }
                for (stepName, step) in s.steps {
                    var r = latencies[stepName] ?? Recorder()
                    r.ok += step.ok
                    r.failed += step.failed
                    let h = try ResultMerge.histogram(step.latency_us, "\(name) setup.steps.\(stepName).latency_us")
                    if h.totalCount > 0 { r.latency.add(h) }
                    latencies[stepName] = r
                }
            }
            out.steps = latencies.mapValues(Step.init)
            return out
        }
    }
}
