/// A flow's `group`s in constant memory: each pass of a VU through a group's steps, ok or failed, and how long the ok
/// ones took (from the group's first request to the end of its last, pauses between included, as Gatling's group
/// duration). Each engine thread owns one per group; they merge exactly.
public struct GroupRecorder: Sendable {
    public var ok = 0
    /// A step of the group failed, or the iteration was cut short inside it.
    public var failed = 0
    public var duration = LatencyHistograms.make()
    public var clampedSamples = 0

    public init() {}

    public mutating func record(failed didFail: Bool, durationMicros: Int64) {
        if didFail {
            failed += 1
        } else {
            ok += 1
            Recorder.add(durationMicros, to: &duration, clamped: &clampedSamples)
        }
    }

    public mutating func merge(_ o: GroupRecorder) {
        ok += o.ok; failed += o.failed; clampedSamples += o.clampedSamples
        if o.duration.totalCount > 0 { duration.add(o.duration) }
    }
}

extension RunResult {
    /// One group of a flow in the result (`groups.NAME`): `count == ok + failed`.
    public struct Group: Codable, Sendable, Equatable {
        public var count: Int
        public var ok: Int
        public var failed: Int
        /// Passes that ended ok: from the group's first request to the end of its last.
        public var duration_us: HistogramSummary

        public init(_ r: GroupRecorder) {
            count = r.ok + r.failed; ok = r.ok; failed = r.failed
            duration_us = HistogramSummary(r.duration)
        }
    }
}
