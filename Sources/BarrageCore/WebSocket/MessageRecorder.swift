/// Why a WebSocket message failed (sent, no answer). Stable labels: they are JSON keys.
public enum MessageError: String, Sendable, CaseIterable, Codable {
    /// No answer within the answer timeout (`--timeout`).
    case answer_timeout
    /// The peer closed the connection (a close frame) while the message awaited its answer.
    case closed_by_peer
    /// `curl_ws_send` failed.
    case send
    /// Reading frames failed (`curl_ws_recv`): the connection broke without a close frame.
    case receive
    /// The run was aborted while the message awaited its answer.
    case interrupted
    /// The run stopped (its drain ended) while the message awaited its answer.
    case cut_short

    public var index: Int {
        switch self {
        case .answer_timeout: 0
        case .closed_by_peer: 1
        case .send: 2
        case .receive: 3
        case .interrupted: 4
        case .cut_short: 5
        }
    }

    public static let count = 6
}

/// What the WebSocket messages of some span of a run did, in constant memory, merged exactly across threads and
/// seconds (the messages' counterpart of `Recorder`).
public struct MessageRecorder: Sendable, Equatable {
    /// From each message's due time to its answer (coordinated omission corrected, as requests' `latency`).
    public var latency = LatencyHistograms.make()
    /// From each message's actual send to its answer.
    public var serviceTime = LatencyHistograms.make()
    public var answered = 0
    public var failed = 0
    public var dropped = 0
    /// Failures by `MessageError.index`.
    public var errors = [Int](repeating: 0, count: MessageError.count)
    /// Messages sent (data frames), and every data message received (answers and the others).
    public var sent = 0
    public var received = 0
    /// Payload bytes.
    public var bytesSent: Int64 = 0
    public var bytesReceived: Int64 = 0
    /// Close frames received from the peer, by close code (0: a close frame without a code).
    public var closeCodes: [Int: Int] = [:]
    public var clampedSamples = 0
    /// When the last message was answered or failed (run clock, µs); `Int64.min` before any. A WebSocket run's
    /// measured span ends here, as an HTTP run's ends at its last completion (`Recorder.lastDoneMicros`).
    public var lastDoneMicros = Int64.min

    public init() {}

    public var total: Int { answered + failed + dropped }

    public static func == (a: MessageRecorder, b: MessageRecorder) -> Bool {
        a.answered == b.answered && a.failed == b.failed && a.dropped == b.dropped && a.errors == b.errors
            && a.sent == b.sent && a.received == b.received && a.bytesSent == b.bytesSent
            && a.bytesReceived == b.bytesReceived && a.closeCodes == b.closeCodes
            && a.latency.totalCount == b.latency.totalCount && a.serviceTime.totalCount == b.serviceTime.totalCount
    }

    /// A message answered at `doneMicros`, due at `dueMicros`, sent at `sentMicros` (run clock).
    public mutating func recordAnswered(dueMicros: Int64, sentMicros: Int64, doneMicros: Int64) {
        answered += 1
        if doneMicros > lastDoneMicros { lastDoneMicros = doneMicros }
        Recorder.add(doneMicros - dueMicros, to: &latency, clamped: &clampedSamples)
        Recorder.add(doneMicros - sentMicros, to: &serviceTime, clamped: &clampedSamples)
    }

    /// A message that failed at `doneMicros` (run clock; nil: the time is not known, e.g. in tests).
    public mutating func recordFailed(_ error: MessageError, doneMicros: Int64? = nil) {
        failed += 1
        if let doneMicros, doneMicros > lastDoneMicros { lastDoneMicros = doneMicros }
        errors[error.index] += 1
    }

    public mutating func recordDropped(_ count: Int = 1) {
        dropped += count
    }

    public mutating func recordSent(bytes: Int) {
        sent += 1
        bytesSent += Int64(bytes)
    }

    public mutating func recordReceived(bytes: Int) {
        received += 1
        bytesReceived += Int64(bytes)
    }

    public mutating func recordClose(code: Int) {
        closeCodes[code, default: 0] += 1
    }

    public mutating func merge(_ other: MessageRecorder) {
        if other.latency.totalCount > 0 { latency.add(other.latency) }
        if other.serviceTime.totalCount > 0 { serviceTime.add(other.serviceTime) }
        answered += other.answered
        failed += other.failed
        dropped += other.dropped
        for i in errors.indices { errors[i] += other.errors[i] }
        sent += other.sent
        received += other.received
        bytesSent += other.bytesSent
        bytesReceived += other.bytesReceived
        for (code, n) in other.closeCodes { closeCodes[code, default: 0] += n }
        clampedSamples += other.clampedSamples
        lastDoneMicros = Swift.max(lastDoneMicros, other.lastDoneMicros)
    }

    /// Failures by class label, only classes that occurred.
    public var errorCounts: [String: Int] {
        var out: [String: Int] = [:]
        for c in MessageError.allCases where errors[c.index] > 0 { out[c.rawValue] = errors[c.index] }
        return out
    }
}
