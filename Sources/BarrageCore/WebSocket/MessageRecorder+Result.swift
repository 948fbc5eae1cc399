extension MessageRecorder {
    /// A result's `messages` section back as a recorder (counts, error classes, traffic, close codes, and the
    /// histograms from their `hdr`): what `--metrics-addr` serves once the run is over, so a scrape then sees the
    /// totals the JSON has. Error classes this version does not know, and close codes that are not numbers, are left
    /// out. Throws when a histogram cannot be read back.
    public init(_ m: RunResult.Messages) throws {
        self.init()
        answered = m.answered
        failed = m.failed
        dropped = m.dropped
        for (label, n) in m.errors {
            if let c = MessageError(rawValue: label) { errors[c.index] += n }
        }
        sent = m.sent
        received = m.received
        bytesSent = m.bytes_sent
        bytesReceived = m.bytes_received
        for (code, n) in m.close_codes {
            if let c = Int(code) { closeCodes[c, default: 0] += n }
        }
        latency = try ResultMerge.histogram(m.latency_us, "messages.latency_us")
        serviceTime = try ResultMerge.histogram(m.service_time_us, "messages.service_time_us")
    }
}
