import Histogram

/// How one request ended, as the engine reports it. Times are microseconds on the run's monotonic clock
/// (0 = the run's first send); phase durations are -1 when that phase did not happen for this transfer.
public struct RequestOutcome: Sendable {
    /// When the request was due: the intended start. In the closed model it equals `sentMicros`.
    public var dueMicros: Int64
    /// When it was handed to the connection.
    public var sentMicros: Int64
    /// When the response completed or the request failed.
    public var doneMicros: Int64
    /// The HTTP status of a complete response, 0 when there was none.
    public var status: Int
    /// nil when ok.
    public var error: ErrorClass?
    /// True when a response (any status) was received completely; latency is recorded only then.
    public var complete: Bool
    /// Response bytes received: headers and body.
    public var bytesIn: Int64
    /// Of `bytesIn`, the body alone (as delivered, after any decoding).
    public var bodyBytesIn: Int64
    public var bytesOut: Int64
    public var dnsMicros: Int64
    public var connectMicros: Int64
    public var tlsMicros: Int64
    public var ttfbMicros: Int64
    /// Whether this request opened a connection, reused one, or never got one.
    public var connection: ConnectionUse
    /// The HTTP version used: 10, 11, 20, 30; 0 when none.
    public var httpVersion: Int = 0
    /// Time the transfer waited inside libcurl for a connection (`CURLINFO_QUEUE_TIME_T`, libcurl 8.6 and later);
    /// -1 where the loaded libcurl does not report it.
    public var queueMicros: Int64 = -1

    public init(dueMicros: Int64, sentMicros: Int64, doneMicros: Int64, status: Int, error: ErrorClass?, complete: Bool,
                bytesIn: Int64 = 0, bodyBytesIn: Int64 = 0, bytesOut: Int64 = 0, dnsMicros: Int64 = -1, connectMicros: Int64 = -1,
                tlsMicros: Int64 = -1, ttfbMicros: Int64 = -1, connection: ConnectionUse = .none) {
        self.dueMicros = dueMicros; self.sentMicros = sentMicros; self.doneMicros = doneMicros
        self.status = status; self.error = error; self.complete = complete
        self.bytesIn = bytesIn; self.bodyBytesIn = bodyBytesIn; self.bytesOut = bytesOut
        self.dnsMicros = dnsMicros; self.connectMicros = connectMicros; self.tlsMicros = tlsMicros; self.ttfbMicros = ttfbMicros
        self.connection = connection
    }
}

/// How a request used connections.
public enum ConnectionUse: Sendable {
    /// It never got a connection (refused, DNS failure, cut short before connecting).
    case none
    /// It opened a new connection.
    case new
    /// It was sent on a connection kept alive from an earlier request.
    case reused
}

/// Everything measured over some span of a run, in constant memory: histograms and counters.
/// Each engine thread owns one and records into it without locks; recorders merge exactly.
public struct Recorder: Sendable {
    public var latency = LatencyHistograms.make()
    public var serviceTime = LatencyHistograms.make()
    /// Actual send − due time, over every request sent (0 in the closed model).
    public var sendLateness = LatencyHistograms.make()
    public var dns = LatencyHistograms.make()
    public var connect = LatencyHistograms.make()
    public var tls = LatencyHistograms.make()
    public var ttfb = LatencyHistograms.make()
    /// `RequestOutcome.queueMicros`, only on a libcurl that reports it: made on the first sample, so a run on 7.88
    /// carries no eighth histogram (184 KiB per recorder).
    public var queue: LatencyHistogram?

    public var ok = 0
    public var failed = 0
    public var dropped = 0
    /// Failures by `ErrorClass.index`.
    public var errors = [Int](repeating: 0, count: ErrorClass.count)
    /// Complete responses by status code 0…999.
    public var statuses = [Int](repeating: 0, count: 1000)
    public var bytesIn: Int64 = 0
    public var bodyBytesIn: Int64 = 0
    public var bytesOut: Int64 = 0
    /// Requests in flight integrated over time (µs × requests), for the time-averaged in-flight count.
    public var inFlightIntegralMicros: Double = 0
    /// Transfers by HTTP version actually used (index: 0 none, 1 HTTP/1.0, 2 HTTP/1.1, 3 HTTP/2, 4 HTTP/3).
    public var httpVersions = [Int](repeating: 0, count: 5)
    public var connectionsNew = 0
    public var connectionsReused = 0
    /// Samples above the histogram range, recorded at its top instead. Reported, never hidden.
    public var clampedSamples = 0
    /// Earliest send and latest completion seen, on the run clock (µs); `Int64.max`/`Int64.min` when none.
    public var firstSendMicros = Int64.max
    public var lastDoneMicros = Int64.min

    public init() {}

    public var total: Int { ok + failed + dropped }

    @usableFromInline @inline(__always)
    static func add(_ value: Int64, to histogram: inout LatencyHistogram, clamped: inout Int) {
        let v = UInt64(Swift.max(value, 0))
        if v > LatencyHistograms.highestMicros || !histogram.record(v) {
            histogram.record(LatencyHistograms.highestMicros)
            clamped += 1
        }
    }

    /// Records one finished request. No allocation.
    @inlinable
    public mutating func record(_ outcome: RequestOutcome) {
        recordImpl(outcome)
    }

    @usableFromInline
    mutating func recordImpl(_ o: RequestOutcome) {
        if let error = o.error {
            failed += 1
            errors[error.index] += 1
        } else {
            ok += 1
        }
        Self.add(o.sentMicros - o.dueMicros, to: &sendLateness, clamped: &clampedSamples)
        if o.complete {
            Self.add(o.doneMicros - o.dueMicros, to: &latency, clamped: &clampedSamples)
            Self.add(o.doneMicros - o.sentMicros, to: &serviceTime, clamped: &clampedSamples)
            if o.status >= 0 && o.status < 1000 { statuses[o.status] += 1 }
        }
        if o.dnsMicros >= 0 { Self.add(o.dnsMicros, to: &dns, clamped: &clampedSamples) }
        if o.connectMicros >= 0 { Self.add(o.connectMicros, to: &connect, clamped: &clampedSamples) }
        if o.tlsMicros >= 0 { Self.add(o.tlsMicros, to: &tls, clamped: &clampedSamples) }
        if o.ttfbMicros >= 0 { Self.add(o.ttfbMicros, to: &ttfb, clamped: &clampedSamples) }
        if o.queueMicros >= 0 {
            if queue == nil { queue = LatencyHistograms.make() }
            Self.add(o.queueMicros, to: &queue!, clamped: &clampedSamples)
        }
        switch o.httpVersion {
        case 10: httpVersions[1] += 1
        case 11: httpVersions[2] += 1
        case 20: httpVersions[3] += 1
        case 30: httpVersions[4] += 1
        default: break
        }
        switch o.connection {
        case .new: connectionsNew += 1
        case .reused: connectionsReused += 1
        case .none: break
        }
        bytesIn += o.bytesIn
        bodyBytesIn += o.bodyBytesIn
        bytesOut += o.bytesOut
        if o.sentMicros < firstSendMicros { firstSendMicros = o.sentMicros }
        if o.doneMicros > lastDoneMicros { lastDoneMicros = o.doneMicros }
    }

    /// Records a request that was scheduled but never sent (open model: later than its allowed lateness).
    public mutating func recordDropped() {
        dropped += 1
    }

    /// Adds another recorder's contents to this one. Exact: histograms add bucket by bucket.
    public mutating func merge(_ other: Recorder) {
        // HdrHistogram's `add` walks every counts entry (23,552 of them) in unspecialised generic code even when
        // the other histogram is empty — most are (phases of reused connections, latency of a dead target), and
        // merging happens per thread per second.
        @inline(__always) func add(_ h: inout LatencyHistogram, _ o: LatencyHistogram) {
            if o.totalCount > 0 { h.add(o) }
        }
        add(&latency, other.latency)
        add(&serviceTime, other.serviceTime)
        add(&sendLateness, other.sendLateness)
        add(&dns, other.dns)
        add(&connect, other.connect)
        add(&tls, other.tls)
        add(&ttfb, other.ttfb)
        if let q = other.queue, q.totalCount > 0 {
            if queue == nil { queue = LatencyHistograms.make() }
            queue!.add(q)
        }
        ok += other.ok
        failed += other.failed
        dropped += other.dropped
        for i in errors.indices { errors[i] += other.errors[i] }
        for i in statuses.indices where other.statuses[i] != 0 { statuses[i] += other.statuses[i] }
        bytesIn += other.bytesIn
        bodyBytesIn += other.bodyBytesIn
        bytesOut += other.bytesOut
        inFlightIntegralMicros += other.inFlightIntegralMicros
        for i in httpVersions.indices { httpVersions[i] += other.httpVersions[i] }
        connectionsNew += other.connectionsNew
        connectionsReused += other.connectionsReused
        clampedSamples += other.clampedSamples
        firstSendMicros = Swift.min(firstSendMicros, other.firstSendMicros)
        lastDoneMicros = Swift.max(lastDoneMicros, other.lastDoneMicros)
    }

    /// Error counts by class label, only classes that occurred.
    public var errorCounts: [String: Int] {
        var out: [String: Int] = [:]
        for c in ErrorClass.allCases where errors[c.index] > 0 { out[c.rawValue] = errors[c.index] }
        return out
    }

    /// Complete responses by status code, as strings ("200"), only codes that occurred.
    public var statusCounts: [String: Int] {
        var out: [String: Int] = [:]
        for (code, n) in statuses.enumerated() where n > 0 { out[String(code)] = n }
        return out
    }
}
