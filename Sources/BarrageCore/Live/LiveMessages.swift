/// What the live view shows of a WebSocket run's messages: the counts so far, connections open, the rate of the
/// latest complete second and the latency of the latest window. Nil in an HTTP run's `LiveSnapshot`.
public struct LiveMessages: Sendable {
    /// Answered, failed and dropped so far as the engine threads see them now (current second included), and the
    /// connections open now.
    public var counts: LiveMessageCounts
    /// The latest complete second of the timeline, measured (`TimelineEntry.measured`): its `messages` (answered +
    /// failed) over its `length_s` are the rate.
    public var lastSecond: TimelineEntry?
    /// The messages handed over in the latest window (`MessageWindow.last`, about the latest second): their latency.
    public var window: MessageRecorder?

    public init(counts: LiveMessageCounts, lastSecond: TimelineEntry? = nil, window: MessageRecorder? = nil) {
        self.counts = counts; self.lastSecond = lastSecond; self.window = window
    }

    /// Messages answered or failed per second over the latest complete second; nil before one, or when that second
    /// was measured for too short a time for a rate to mean anything (`TimelineEntry.minimumRateSeconds`: the drain
    /// at the end, the moment a warm-up ends), as requests' rate is.
    public var rate: Double? {
        guard let e = lastSecond, let n = e.messages else { return nil }
        return TimelineEntry.rate(answered: n, lengthSeconds: e.length_s)
    }

    /// The window's message latency (from each due time) at p50 and p99 in µs; nil when it holds no answered message.
    public var latencyMicros: (p50: Int64, p99: Int64)? {
        guard let h = window?.latency, h.totalCount > 0 else { return nil }
        let v = HistogramScan(h, percentiles: [50, 99]).values
        return (Int64(v[0]), Int64(v[1]))
    }
}
