import Histogram

/// One engine thread's measurements for one second of the run (bucketed by completion time). The run's totals
/// are the sum of these, so each outcome is recorded once, into the current second.
public struct IntervalStats: Sendable {
    /// Whole seconds since the run's start.
    public var second: Int
    public var recorder = Recorder()
    /// Per target, the latency of complete responses (only when the plan has several targets).
    public var targetLatency: [LatencyHistogram] = []
    /// Requests in flight on this thread when the second closed.
    public var inFlight = 0
    /// The most requests in flight on this thread at any moment of the second (including those carried in).
    public var inFlightMax = 0
    /// A flow's iterations that ended in this second (nil for plain targets): handed over with the second, so gates on
    /// iteration metrics are judged during the run as requests are.
    public var iterations: IterationRecorder?
    /// A flow's groups' passes that ended in this second, by group (empty without groups).
    public var groups: [GroupRecorder] = []
    /// A WebSocket run's messages that ended in this second (nil for HTTP runs).
    public var messages: MessageRecorder?

    public init(second: Int, targets: Int = 1) {
        self.second = second
        if targets > 1 { targetLatency = (0..<targets).map { _ in LatencyHistograms.make() } }
    }

    public var ok: Int { recorder.ok }
    public var failed: Int { recorder.failed }
    public var dropped: Int { recorder.dropped }
}

/// One second of the run in the result.
public struct TimelineEntry: Codable, Sendable, Equatable {
    /// A bucket measured for less than this many seconds keeps its counts but has no rate (`rps` nil): a rate over a
    /// few milliseconds (the drain at the end, the moment a warm-up ends) means nothing.
    public static let minimumRateSeconds = 0.5

    /// Seconds since the run's first send (the bucket's start).
    public var t_s: Int
    /// The bucket's start in Unix time, seconds with millisecond precision.
    public var epoch_s: Double
    /// Requests that ended in this second: ok + failed + dropped.
    public var requests: Int
    public var ok: Int
    public var failed: Int
    public var dropped: Int
    /// (ok + failed) / `length_s`; nil when the bucket was measured for less than `minimumRateSeconds`.
    public var rps: Double?
    /// Requests in flight when the second closed.
    public var in_flight: Int
    /// The most requests in flight during the second: the sum of each engine thread's peak, so an upper bound (the
    /// threads need not peak at the same moment). Nil in results written before it existed.
    public var in_flight_max: Int?
    /// Requests in flight averaged over the second's time (Little's law: throughput × mean latency). Nil in results
    /// written before it existed.
    public var in_flight_mean: Double?
    /// The measured part of the bucket in seconds: 1, less for the last one (ends at the last completion) and for the
    /// one in which a warm-up ends (starts there), 0 for a second wholly inside the warm-up.
    public var length_s: Double
    public var p50_us: Int64
    public var p99_us: Int64
    public var max_us: Int64
    /// Failures that ended in this second, by class.
    public var errors: [String: Int]
    /// This second's latency distribution (HdrHistogram V2 compressed, base64).
    public var hdr: String?
    /// Per target (several targets only): this second's latency distribution of that target, by name.
    public var targets_hdr: [String: String]?
    /// The plan's load at the start of this second: the rate (open model, req/s) or the concurrency (closed).
    public var target: Double?
    /// A flow's iterations that finished (completed or failed) in this second, and of them the failed ones; nil for
    /// plain targets and in results written before they existed.
    public var iterations: Int?
    public var iterations_failed: Int?
    /// A WebSocket run's messages that ended (answered or failed) in this second, and of them the failed ones; nil for
    /// HTTP runs and in results written before they existed.
    public var messages: Int?
    public var messages_failed: Int?

    public init(t_s: Int, epoch_s: Double, requests: Int, ok: Int, failed: Int, dropped: Int, rps: Double?, in_flight: Int,
                p50_us: Int64, p99_us: Int64, max_us: Int64, hdr: String? = nil, targets_hdr: [String: String]? = nil,
                errors: [String: Int] = [:], length_s: Double = 1, in_flight_max: Int? = nil, in_flight_mean: Double? = nil) {
        self.t_s = t_s; self.epoch_s = epoch_s; self.requests = requests; self.ok = ok; self.failed = failed
        self.dropped = dropped; self.rps = rps; self.in_flight = in_flight
        self.p50_us = p50_us; self.p99_us = p99_us; self.max_us = max_us; self.errors = errors; self.hdr = hdr; self.targets_hdr = targets_hdr
        self.length_s = length_s; self.in_flight_max = in_flight_max; self.in_flight_mean = in_flight_mean
    }

    /// (ok + failed) over `lengthSeconds`, or nil when the bucket is too short for a rate to mean anything.
    public static func rate(answered: Int, lengthSeconds: Double) -> Double? {
        lengthSeconds >= minimumRateSeconds ? Double(answered) / lengthSeconds : nil
    }

    /// The time-averaged in-flight count, or the count at the second's close for results written before it existed.
    public var inFlightMeanOrClose: Double { in_flight_mean ?? Double(in_flight) }
    /// The peak in-flight count, or the count at the second's close for results written before it existed.
    public var inFlightMaxOrClose: Int { in_flight_max ?? in_flight }

    /// This bucket, fresh from `TimelineBuilder`, measured against the whole run: its length is the part of its second
    /// after the warm-up and before the run's last completion (`runMicros`, from the first send), and its rate divides
    /// by that. Requests due in the warm-up are kept out of the results, so a second wholly inside the warm-up
    /// measured nothing (length 0, no rate) and the second in which it ends measured only the rest. The cut at the end
    /// also covers a last second that the builder emitted as whole before the last thread finished. Counts and
    /// in-flight values stay; the time-averaged in-flight count is rescaled when the second turns out shorter than
    /// the builder took it to be. Apply once.
    public func measured(runMicros: Int64, warmupMicros: Int64) -> TimelineEntry {
        let start = Int64(t_s) * 1_000_000
        let builderWall = Int64((length_s * 1_000_000).rounded())
        let wallEnd = Swift.min(start + 1_000_000, Swift.max(runMicros, start))
        let wall = Swift.min(wallEnd - start, builderWall)
        var e = self
        e.length_s = Double(Swift.max(0, start + wall - Swift.max(start, warmupMicros))) / 1_000_000
        e.rps = TimelineEntry.rate(answered: ok + failed, lengthSeconds: e.length_s)
        if wall < builderWall, let mean = in_flight_mean {
            let rescaled = mean * Double(builderWall) / Double(Swift.max(wall, 1_000))
            e.in_flight_mean = (Swift.min(rescaled, Double(in_flight_max ?? Int.max)) * 1000).rounded() / 1000
        }
        return e
    }
}

/// Merges per-thread seconds into the run's timeline as they arrive, so that no thread keeps per-second data
/// for longer than it takes every thread to pass that second. Pure: fed values, returns values.
///
/// Each bucket carries its length: its second, cut at the run's last completion for the last one, and rates divide by
/// it. In-flight counts describe the whole second: the peak (sum of per-thread peaks) and the time average. The
/// warm-up is taken out afterwards (`TimelineEntry.measured`).
public struct TimelineBuilder: Sendable {
    private let workers: Int
    private let startEpochMillis: Int64
    /// The newest second each worker has reported (-1: none yet; Int.max: finished).
    private var reportedThrough: [Int]
    private var lastInFlight: [Int]
    private var pending: [Int: Pending] = [:]
    private var nextToEmit = 0

    private struct Pending {
        var ok = 0, failed = 0, dropped = 0
        var latency = LatencyHistograms.make()
        /// Nothing added to `latency` yet: the first worker's histogram is taken as it is (adding it into the empty one
        /// gives the same histogram, after copying 184 KB of zero counts and walking them).
        var latencyEmpty = true
        var errors = [Int](repeating: 0, count: ErrorClass.count)
        var targetLatency: [LatencyHistogram] = []
        var inFlight: [Int: Int] = [:]
        var inFlightMax: [Int: Int] = [:]
        /// Requests in flight integrated over the second, summed over the workers that reported it (µs × requests).
        var inFlightIntegralMicros = 0.0
        var iterations = 0, iterationsFailed = 0
        var messages = 0, messagesFailed = 0
    }

    /// Target names, for per-target blobs in each second (several targets only).
    private let targetNames: [String]

    /// A flow's run: each second carries its finished iterations.
    private let countsIterations: Bool

    /// A WebSocket run (its threads hand over each second's messages): each second carries its ended messages.
    private var countsMessages = false

    public init(workers: Int, startEpochMillis: Int64, targetNames: [String] = [], iterations: Bool = false) {
        self.targetNames = targetNames
        self.countsIterations = iterations
        self.workers = workers
        self.startEpochMillis = startEpochMillis
        self.reportedThrough = Array(repeating: -1, count: workers)
        self.lastInFlight = Array(repeating: 0, count: workers)
    }

    /// Adds a worker's closed second. A worker reports its seconds in increasing order.
    public mutating func add(worker: Int, _ interval: IntervalStats) {
        var p = pending[interval.second] ?? Pending()
        p.ok += interval.ok
        p.failed += interval.failed
        p.dropped += interval.dropped
        if p.latencyEmpty { p.latency = interval.recorder.latency } else { p.latency.add(interval.recorder.latency) }
        p.latencyEmpty = false
        for i in p.errors.indices { p.errors[i] += interval.recorder.errors[i] }
        if !interval.targetLatency.isEmpty {
            if p.targetLatency.isEmpty { p.targetLatency = interval.targetLatency }
            else { for i in p.targetLatency.indices { p.targetLatency[i].add(interval.targetLatency[i]) } }
        }
        p.inFlight[worker] = interval.inFlight
        p.inFlightMax[worker] = Swift.max(interval.inFlightMax, interval.inFlight)
        p.inFlightIntegralMicros += interval.recorder.inFlightIntegralMicros
        if let it = interval.iterations {
            p.iterations += it.completed + it.failed
            p.iterationsFailed += it.failed
        }
        if let m = interval.messages {
            countsMessages = true
            p.messages += m.answered + m.failed
            p.messagesFailed += m.failed
        }
        pending[interval.second] = p
        reportedThrough[worker] = Swift.max(reportedThrough[worker], interval.second)
    }

    /// Marks a worker as finished: it reports nothing more.
    public mutating func finish(worker: Int) {
        reportedThrough[worker] = Int.max
    }

    /// Entries for every second that all workers have passed, in order. `durationMicros` (the whole run, warm-up
    /// included, to its last completion) bounds the last bucket's length when known (at the end of the run); seconds
    /// at or beyond the duration are discarded then.
    public mutating func drain(durationMicros: Int64? = nil) -> [TimelineEntry] {
        // A second is complete once every worker still running has reported it (or a later one).
        let through = reportedThrough.min() ?? -1
        var limit = through == Int.max ? nextToEmit - 1 : through  // all finished: the final drain (with the duration) emits the rest
        if let d = durationMicros {
            // Every second that holds a completion gets a bucket, even one ending exactly at the duration.
            let withData = pending.keys.max() ?? -1
            let buckets = Swift.max(Int((d + 999_999) / 1_000_000), withData + 1, 1)
            limit = buckets - 1
        }
        var out: [TimelineEntry] = []
        while nextToEmit <= limit {
            let s = nextToEmit
            let p = pending.removeValue(forKey: s) ?? Pending()
            // A worker that reported nothing for this second slept through it: its count stayed where it was.
            var peak = 0
            for w in 0..<workers {
                let carried = lastInFlight[w]
                if let f = p.inFlight[w] { lastInFlight[w] = f }
                peak += p.inFlightMax[w] ?? carried
            }
            let silentInFlight = (0..<workers).filter { p.inFlight[$0] == nil }.reduce(0) { $0 + lastInFlight[$1] }
            let bucketStart = Int64(s) * 1_000_000
            let wallEnd = durationMicros.map { Swift.min(bucketStart + 1_000_000, $0) } ?? bucketStart + 1_000_000
            let wallMicros = Swift.max(0, wallEnd - bucketStart)
            let length = Double(wallMicros) / 1_000_000
            // The integral of workers that slept through the second landed in an earlier one: count them at their
            // carried level, and never above the peak.
            let integral = p.inFlightIntegralMicros + Double(silentInFlight) * Double(wallMicros)
            let mean = Swift.min(integral / Double(Swift.max(wallMicros, 1_000)), Double(peak))
            let summary = HistogramSummary(p.latency)
            var entry = TimelineEntry(
                t_s: s,
                epoch_s: Double(startEpochMillis + Int64(s) * 1000) / 1000,
                requests: p.ok + p.failed + p.dropped,
                ok: p.ok, failed: p.failed, dropped: p.dropped,
                rps: TimelineEntry.rate(answered: p.ok + p.failed, lengthSeconds: length),
                in_flight: lastInFlight.reduce(0, +),
                p50_us: summary.p50, p99_us: summary.p99, max_us: summary.max, hdr: summary.hdr,
                targets_hdr: targetNames.count > 1
                    ? Dictionary(uniqueKeysWithValues: targetNames.enumerated().map { i, name in
                        (name, HdrCodec.encodeCompressedBase64(i < p.targetLatency.count ? p.targetLatency[i] : LatencyHistograms.make()))
                    })
                    : nil,
                errors: Dictionary(uniqueKeysWithValues: ErrorClass.allCases.filter { p.errors[$0.index] > 0 }.map { ($0.rawValue, p.errors[$0.index]) }),
                length_s: length,
                in_flight_max: peak,
                in_flight_mean: (mean * 1000).rounded() / 1000
            )
            if countsIterations { entry.iterations = p.iterations; entry.iterations_failed = p.iterationsFailed }
            if countsMessages { entry.messages = p.messages; entry.messages_failed = p.messagesFailed }
            out.append(entry)
            nextToEmit += 1
        }
        if durationMicros != nil { pending.removeAll() }
        return out
    }
}
