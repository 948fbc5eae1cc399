extension RunResult.Messages {
    /// The `messages` sections of results being merged (repeated runs, or the segments of one run), put together
    /// exactly: the counts add (so `total == answered + failed + dropped` holds), errors and close codes add by key
    /// (classes a later version adds included), the latency and service-time histograms add through their `hdr`, and
    /// `rate` is recomputed over the merged time. Nil when no input has messages.
    ///
    /// A WebSocket result and an HTTP one are refused, even with `--force`: the merged messages would leave out the
    /// HTTP run's time and traffic while its requests (not handshakes) would be added to the handshakes.
    public static func merged(_ inputs: [(name: String, messages: RunResult.Messages?)],
                              durationMicros: Int64) throws -> RunResult.Messages? {
        guard let withMessages = inputs.first(where: { $0.messages != nil }) else { return nil }
        if let without = inputs.first(where: { $0.messages == nil }) {
            throw BarrageError.usage("\(without.name): an HTTP result (no messages), but \(withMessages.name) is a WebSocket "
                                     + "run: merge WebSocket results only with each other")
        }
        var rec = MessageRecorder()
        var errors: [String: Int] = [:]
        var closeCodes: [String: Int] = [:]
        for (name, m) in inputs {
            guard let m else { continue }
            rec.answered += m.answered
            rec.failed += m.failed
            rec.dropped += m.dropped
            rec.sent += m.sent
            rec.received += m.received
            rec.bytesSent += m.bytes_sent
            rec.bytesReceived += m.bytes_received
            let latency = try ResultMerge.histogram(m.latency_us, "\(name) messages.latency_us")
            let service = try ResultMerge.histogram(m.service_time_us, "\(name) messages.service_time_us")
            if latency.totalCount > 0 { rec.latency.add(latency) }
            if service.totalCount > 0 { rec.serviceTime.add(service) }
            for (cls, n) in m.errors { errors[cls, default: 0] += n }
            for (code, n) in m.close_codes { closeCodes[code, default: 0] += n }
        }
        var out = RunResult.Messages(rec, durationMicros: durationMicros, answer: withMessages.messages!.answer)
        out.errors = errors
        out.close_codes = closeCodes
        return out
    }
}
