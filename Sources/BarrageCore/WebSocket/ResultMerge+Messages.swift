extension ResultMerge {
    /// WebSocket `messages` sections added: counts and close codes add, the latency and service-time histograms merge
    /// exactly from their `hdr`, the rate is over the merged time; nil when no input has one.
    static func mergedMessages(_ parts: [(String, RunResult.Messages)], durationMicros: Int64) throws -> RunResult.Messages? {
        guard let first = parts.first?.1 else { return nil }
        var rec = MessageRecorder()
        for (name, m) in parts {
            rec.answered += m.answered
            rec.failed += m.failed
            rec.dropped += m.dropped
            rec.sent += m.sent
            rec.received += m.received
            rec.bytesSent += m.bytes_sent
            rec.bytesReceived += m.bytes_received
            for c in MessageError.allCases { rec.errors[c.index] += m.errors[c.rawValue] ?? 0 }
            for (code, n) in m.close_codes { if let c = Int(code) { rec.closeCodes[c, default: 0] += n } }
            let latency = try histogram(m.latency_us, "\(name) messages.latency_us")
            let service = try histogram(m.service_time_us, "\(name) messages.service_time_us")
            if latency.totalCount > 0 { rec.latency.add(latency) }
            if service.totalCount > 0 { rec.serviceTime.add(service) }
        }
        var merged = RunResult.Messages(rec, durationMicros: durationMicros, answer: first.answer)
        // Classes a later version added (unknown here) are kept as counted.
        for (_, m) in parts {
            for (k, n) in m.errors where MessageError(rawValue: k) == nil { merged.errors[k, default: 0] += n }
        }
        return merged
    }
}
