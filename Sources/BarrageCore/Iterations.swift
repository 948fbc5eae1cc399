import Histogram

/// A flow's iterations, in constant memory: how each ended, and how long the finished ones took. Each engine thread
/// owns one and records without locks; recorders merge exactly.
public struct IterationRecorder: Sendable {
    public var completed = 0
    public var failed = 0
    public var interrupted = 0
    /// Open model: arrivals dropped before their iteration started (each is also one dropped request).
    public var dropped = 0
    /// Completed and failed iterations: from the start (the due time in the open model) to the last step's end.
    public var duration = LatencyHistograms.make()
    /// The same without the flow's think steps.
    public var durationWithoutThink = LatencyHistograms.make()
    public var clampedSamples = 0
    /// `mode: unique` data sets that ran out of rows (after which no more iterations started), as
    /// "NAME (FILE)", sorted.
    public var dataExhausted: [String] = []

    public init() {}

    /// Notes that a unique data set ran out (once per name).
    public mutating func noteExhausted(_ dataSet: String) {
        guard !dataExhausted.contains(dataSet) else { return }
        dataExhausted.append(dataSet)
        dataExhausted.sort()
    }

    public var total: Int { completed + failed + interrupted + dropped }

    /// Records one iteration's end. Interrupted iterations are counted but not timed (they did not finish).
    public mutating func record(_ end: IterationEnd, durationMicros: Int64, thinkMicros: Int64) {
        switch end {
        case .completed: completed += 1
        case .failed: failed += 1
        case .interrupted:
            interrupted += 1
            return
        }
        Recorder.add(durationMicros, to: &duration, clamped: &clampedSamples)
        Recorder.add(durationMicros - thinkMicros, to: &durationWithoutThink, clamped: &clampedSamples)
    }

    /// Records one iteration's end for a flow without think steps, into `duration` only: without think steps the
    /// second histogram holds the same samples, so whoever hands the recorder on sets it with
    /// ``takeDurationAsWithoutThink()`` (one histogram recorded and copied per second instead of two). Clamped samples
    /// count twice, as recording both would count them.
    public mutating func recordWithoutThinkSteps(_ end: IterationEnd, durationMicros: Int64) {
        switch end {
        case .completed: completed += 1
        case .failed: failed += 1
        case .interrupted:
            interrupted += 1
            return
        }
        let before = clampedSamples
        Recorder.add(durationMicros, to: &duration, clamped: &clampedSamples)
        clampedSamples += clampedSamples - before
    }

    /// `durationWithoutThink` := `duration`, after ``recordWithoutThinkSteps(_:durationMicros:)``.
    public mutating func takeDurationAsWithoutThink() { durationWithoutThink = duration }

    public mutating func recordDropped() { dropped += 1 }

    /// The recorder a result's iteration section was made from (its durations decoded from `hdr`).
    public init(_ it: RunResult.Iterations) throws {
        completed = it.completed; failed = it.failed; interrupted = it.interrupted; dropped = it.dropped
        let d = try ResultMerge.histogram(it.duration_us, "iterations.duration_us")
        let w = try ResultMerge.histogram(it.duration_without_think_us, "iterations.duration_without_think_us")
        if d.totalCount > 0 { duration.add(d) }
        if w.totalCount > 0 { durationWithoutThink.add(w) }
        for set in it.data_exhausted ?? [] { noteExhausted(set) }
    }

    public mutating func merge(_ o: IterationRecorder) {
        completed += o.completed; failed += o.failed; interrupted += o.interrupted; dropped += o.dropped
        if o.duration.totalCount > 0 { duration.add(o.duration) }
        if o.durationWithoutThink.totalCount > 0 { durationWithoutThink.add(o.durationWithoutThink) }
        clampedSamples += o.clampedSamples
        for d in o.dataExhausted { noteExhausted(d) }
    }
}

extension RunResult {
    /// A flow's iterations in the result (`iterations`): `total == completed + failed + interrupted + dropped`.
    public struct Iterations: Codable, Sendable, Equatable {
        public var scenario: String
        public var total: Int
        public var completed: Int
        public var failed: Int
        public var interrupted: Int
        public var dropped: Int
        /// Completed (or failed) iterations per second of the measured time.
        public var rate: Double
        /// Completed and failed iterations, from start to the end of the last step they ran; and without think steps.
        public var duration_us: HistogramSummary
        public var duration_without_think_us: HistogramSummary
        /// `mode: unique` data sets that ran out of rows ("NAME (FILE)"); absent when none did.
        public var data_exhausted: [String]?

        public init(scenario: String, _ r: IterationRecorder, durationMicros: Int64) {
            self.scenario = scenario
            total = r.total; completed = r.completed; failed = r.failed; interrupted = r.interrupted; dropped = r.dropped
            let seconds = Double(durationMicros) / 1_000_000
            rate = seconds > 0 ? Double(r.completed + r.failed) / seconds : 0
            duration_us = HistogramSummary(r.duration)
            duration_without_think_us = HistogramSummary(r.durationWithoutThink)
            data_exhausted = r.dataExhausted.isEmpty ? nil : r.dataExhausted
        }
    }
}
