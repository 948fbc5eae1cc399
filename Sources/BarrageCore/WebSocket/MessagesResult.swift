extension RunResult {
    /// A WebSocket run's messages (`messages`; absent for HTTP runs): `total == answered + failed + dropped`. The
    /// histograms carry their `hdr`, so a merge adds them exactly as it adds `latency_us`.
    public struct Messages: Codable, Sendable, Equatable {
        /// Messages that took a number from the run's budget: answered + failed + dropped.
        public var total: Int
        public var answered: Int
        /// Sent, no answer: timeout, closed by the peer, send or receive error, cut short at the end.
        public var failed: Int
        /// Due but never sent: the connection was lost, or the run stopped.
        public var dropped: Int
        /// Data frames sent, and every data message received (answers and unmatched ones).
        public var sent: Int
        public var received: Int
        /// Payload bytes.
        public var bytes_sent: Int64
        public var bytes_received: Int64
        /// (answered + failed) per second over the run.
        public var rate: Double
        /// Failures by class: `answer_timeout`, `closed_by_peer`, `send`, `receive`, `interrupted`, `cut_short`.
        public var errors: [String: Int]
        /// Close frames received from the peer by close code (`{"1000": n}`; "0": a close frame without a code).
        public var close_codes: [String: Int]
        /// From each message's due time to its answer (coordinated omission corrected).
        public var latency_us: HistogramSummary
        /// From each message's actual send to its answer.
        public var service_time_us: HistogramSummary
        /// What counted as the answer: `echo`, `any` or `match`.
        public var answer: String

        public init(_ r: MessageRecorder, durationMicros: Int64, answer: String) {
            total = r.total
            answered = r.answered
            failed = r.failed
            dropped = r.dropped
            sent = r.sent
            received = r.received
            bytes_sent = r.bytesSent
            bytes_received = r.bytesReceived
            rate = durationMicros > 0 ? Double(r.answered + r.failed) / (Double(durationMicros) / 1_000_000) : 0
            errors = r.errorCounts
            close_codes = Dictionary(uniqueKeysWithValues: r.closeCodes.map { (String($0.key), $0.value) })
            latency_us = HistogramSummary(r.latency)
            service_time_us = HistogramSummary(r.serviceTime)
            self.answer = answer
        }
    }
}
