extension TextReport {
    /// A WebSocket run's `Messages` block: how the messages ended, their traffic, the peer's close codes, and their
    /// latency (from each due time) and service time (from each send).
    static func messageLines(_ m: RunResult.Messages) -> [String] {
        var out = TextLayout.labelled("Messages", [
            "\(grouped(m.total)) total", "\(grouped(m.answered)) answered", "\(grouped(m.failed)) failed",
            "\(grouped(m.dropped)) dropped", "\(rate(m.rate))/s",
        ])
        out += TextLayout.labelled("", [
            "\(grouped(m.sent)) sent (\(bytes(Double(m.bytes_sent))))",
            "\(grouped(m.received)) received (\(bytes(Double(m.bytes_received))))", "answer: \(m.answer)",
        ])
        if !m.errors.isEmpty {
            out += TextLayout.labelled("Msg errors", m.errors.sorted { $0.key < $1.key }.map { "\($0.key): \(grouped($0.value))" })
        }
        if !m.close_codes.isEmpty {
            out += TextLayout.labelled("Closes", m.close_codes.sorted { $0.key < $1.key }.map { "\($0.key): \(grouped($0.value))" })
        }
        if m.latency_us.count == 0 {
            out += TextLayout.labelled("Msg lat.", ["no answered messages"])
        } else {
            out += latencyTable(rows: [("Msg lat.", m.latency_us), ("Msg svc", m.service_time_us)])
            out += TextLayout.pack(["(message latency counts from each message's due time; service time from its send)"],
                                   first: "  ", indent: "   ")
        }
        return out
    }
}
