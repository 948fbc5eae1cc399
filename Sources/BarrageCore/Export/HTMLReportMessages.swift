import Foundation

/// The report's panel for a WebSocket run's messages (the result's `messages`): how they ended, their rate, the
/// peer's close codes, and their latency (from each due time) and service time (from each send).
extension HTMLReport {
    static func messagesPanel(_ m: RunResult.Messages) -> String {
        let g = NumberFormat.grouped
        let share = { (n: Int) -> String in m.total > 0 ? NumberFormat.percent(Double(n) / Double(m.total)) + " of all" : "" }
        var counts = [
            Card(label: "Messages", value: g(m.total), sub: "answered + failed + dropped"),
            Card(label: "Answered", value: g(m.answered), sub: share(m.answered), tone: m.answered > 0 ? "good" : ""),
            Card(label: "Failed", value: g(m.failed), sub: m.failed > 0 ? share(m.failed) : "sent, no answer", tone: m.failed > 0 ? "bad" : ""),
            Card(label: "Dropped", value: g(m.dropped), sub: m.dropped > 0 ? share(m.dropped) : "due, never sent", tone: m.dropped > 0 ? "warn" : ""),
            Card(label: "Rate", value: NumberFormat.number(m.rate), sub: "answered + failed per second", unit: "msg/s"),
            Card(label: "Frames", value: g(m.sent) + " / " + g(m.received), sub: "sent / received"),
        ]
        if !m.errors.isEmpty {
            counts.append(Card(label: "Failures", value: g(m.failed),
                               sub: m.errors.sorted { $0.key < $1.key }.map { "\($0.key) \(g($0.value))" }.joined(separator: ", "), tone: "bad"))
        }
        if !m.close_codes.isEmpty {
            counts.append(Card(label: "Closed by the peer", value: g(m.close_codes.values.reduce(0, +)),
                               sub: m.close_codes.sorted { $0.key < $1.key }.map { "\($0.key): \(g($0.value))" }.joined(separator: ", ")))
        }
        let table = summaryTable([("Message latency", m.latency_us), ("Message service time", m.service_time_us)])
        let note = "A WebSocket run: one message outstanding per connection, answered by "
            + (m.answer == "echo" ? "the next message equal to it" : m.answer == "any" ? "the next message" : "the next message matching the pattern")
            + ". Latency counts from each message's due time (coordinated omission corrected), service time from its send. "
            + "The handshakes are the run's requests."
        return panel("Messages", note: note, content: cards(counts) + "\n" + table)
    }
}
