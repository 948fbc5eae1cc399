/// The messages of a recent window of a WebSocket run, cut from the cumulative `MessageRecorder` that the run's
/// progress carries (`Engine.Progress.messages`): what the live view shows as the latest second's message latency,
/// and what each `--prometheus-rw` push reports as its interval's.
///
/// Windows are taken by subtraction (`MessageRecorder.subtracting`), so consecutive windows partition the messages:
/// each one ends in exactly one window, and their sum is the cumulative recorder.
public struct MessageWindow: Sendable {
    /// The cumulative recorder when the current window began.
    private var baseline = MessageRecorder()
    /// The timeline length (closed seconds) when the last window closed; -1 before any.
    private var closedSeconds = -1
    /// The latest closed window; nil before the first.
    public private(set) var last: MessageRecorder?

    public init() {}

    /// The live view's window: called on every progress tick with the messages so far and the number of seconds the
    /// run's timeline holds. When a second has closed since the previous call, the messages handed over since the
    /// previous close become `last` (about one second of them: the threads hand over their seconds as they close).
    /// Returns whether `last` changed.
    @discardableResult
    public mutating func advance(sofar: MessageRecorder, closedSeconds seconds: Int) -> Bool {
        guard seconds != closedSeconds else { return false }
        let first = closedSeconds < 0
        closedSeconds = seconds
        if first && seconds == 0 { return false } // nothing closed yet: the window starts at the run's start
        last = sofar.subtracting(baseline)
        baseline = sofar
        return true
    }

    /// A push's window: the messages handed over since the previous `take` (or the start), now `last`.
    public mutating func take(sofar: MessageRecorder) -> MessageRecorder {
        let window = sofar.subtracting(baseline)
        baseline = sofar
        last = window
        return window
    }
}

extension MessageRecorder {
    /// What was recorded after `earlier`, a snapshot of this same cumulative recorder: counts, error classes, traffic
    /// and close codes subtract, and so do the histograms, bucket by bucket (exact: both share one layout). A count that
    /// would go negative (`earlier` was not an earlier snapshot) is taken as 0. `lastDoneMicros` stays this one's.
    public func subtracting(_ earlier: MessageRecorder) -> MessageRecorder {
        var out = MessageRecorder()
        out.answered = Swift.max(0, answered - earlier.answered)
        out.failed = Swift.max(0, failed - earlier.failed)
        out.dropped = Swift.max(0, dropped - earlier.dropped)
        for i in errors.indices { out.errors[i] = Swift.max(0, errors[i] - earlier.errors[i]) }
        out.sent = Swift.max(0, sent - earlier.sent)
        out.received = Swift.max(0, received - earlier.received)
        out.bytesSent = Swift.max(0, bytesSent - earlier.bytesSent)
        out.bytesReceived = Swift.max(0, bytesReceived - earlier.bytesReceived)
        for (code, n) in closeCodes {
            let d = n - (earlier.closeCodes[code] ?? 0)
            if d > 0 { out.closeCodes[code] = d }
        }
        out.clampedSamples = Swift.max(0, clampedSamples - earlier.clampedSamples)
        out.lastDoneMicros = lastDoneMicros
        out.latency = Self.subtract(earlier.latency, from: latency)
        out.serviceTime = Self.subtract(earlier.serviceTime, from: serviceTime)
        return out
    }

    /// `later` less `earlier`, bucket by bucket; `later` as it is when `earlier` is empty.
    private static func subtract(_ earlier: LatencyHistogram, from later: LatencyHistogram) -> LatencyHistogram {
        if earlier.totalCount == 0 { return later }
        var out = LatencyHistograms.make()
        guard later.totalCount > earlier.totalCount else { return out }
        for v in later.recordedValues() {
            let before = earlier.countForValue(v.value)
            if v.count > before { _ = out.record(v.value, count: v.count - before) }
        }
        return out
    }
}
