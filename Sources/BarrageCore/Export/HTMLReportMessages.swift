import Foundation

/// The report's panel for a WebSocket run's messages (the result's `messages`): how they ended, their traffic, their
/// latency and service time, the failures by class and the close codes the peer sent; and, from the timeline, the
/// messages per second.
extension HTMLReport {
    static func messagesPanel(_ m: RunResult.Messages) -> String {
        let g = NumberFormat.grouped
        let share = { (n: Int) -> String in m.total > 0 ? NumberFormat.percent(Double(n) / Double(m.total)) + " of all" : "" }
        let counts = [
            Card(label: "Messages", value: g(m.total), sub: "answered + failed + dropped"),
            Card(label: "Answered", value: g(m.answered), sub: share(m.answered), tone: m.answered > 0 ? "good" : ""),
            Card(label: "Failed", value: g(m.failed), sub: m.failed > 0 ? share(m.failed) : "sent, no answer", tone: m.failed > 0 ? "bad" : ""),
            Card(label: "Dropped", value: g(m.dropped), sub: m.dropped > 0 ? share(m.dropped) : "due, never sent",
                 tone: m.dropped > 0 ? "warn" : ""),
            Card(label: "Rate", value: NumberFormat.number(m.rate), sub: "answered or failed per second", unit: "msg/s"),
            Card(label: "Message error rate", value: NumberFormat.percent(m.errorRate), sub: "failed / (answered + failed)",
                 tone: m.errorRate > 0 ? "bad" : ""),
            Card(label: "Sent", value: g(m.sent), sub: NumberFormat.bytes(Double(m.bytes_sent))),
            Card(label: "Received", value: g(m.received), sub: NumberFormat.bytes(Double(m.bytes_received))),
        ]
        var content = [cards(counts), summaryTable([("Message latency", m.latency_us), ("Message service time", m.service_time_us)])]
        if !m.errors.isEmpty || !m.close_codes.isEmpty {
            content.append(#"<div class="grid2">"#)
            content.append(countTable(class: "message-errors", head: ["failure class", "messages", "share of ended"],
                                      rows: m.errors.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }
                                          .map { ($0.key, messageErrorDescription($0.key), $0.value) },
                                      denominator: m.ended, empty: "no failed messages"))
            content.append(countTable(class: "close-codes", head: ["close code", "closes", "share of closes"],
                                      rows: m.close_codes.sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }
                                          .map { ($0.key, closeCodeName(Int($0.key) ?? -1), $0.value) },
                                      denominator: m.close_codes.values.reduce(0, +), empty: "the peer sent no close frame"))
            content.append("</div>")
        }
        let answer: String
        switch m.answer {
        case "any": answer = "the next message received"
        case "match": answer = "the next message matching the plan's pattern"
        default: answer = "the next message equal to the one sent (echo)"
        }
        let note = "WebSocket messages, one outstanding per connection; the requests above are the connections' handshakes. "
            + "Every message the run numbered is counted once: answered, failed (sent, no answer) or dropped (due, never sent). "
            + "The answer is \(answer). Latency counts from each message's due time to its answer (coordinated omission "
            + "corrected), service time from its send."
        return panel("Messages", note: note, content: content.joined(separator: "\n"))
    }

    /// A WebSocket run's messages per second over time (answered or failed, and the failed ones), from the timeline's
    /// per-second counts; nil for results without them (HTTP runs, older files).
    static func messagesOverTimePanel(_ r: RunResult) -> String? {
        guard r.timeline.contains(where: { $0.messages != nil }) else { return nil }
        let domain = timeDomain(r)
        func perSecond(_ e: TimelineEntry, _ n: Int?) -> Double { Double(n ?? 0) / max(e.length_s, TimelineEntry.minimumRateSeconds) }
        var series = [SVGChart.Series(label: "messages / s (answered or failed)", colour: SVGChart.Palette.blue,
                                      segments: rateSegments(r) { perSecond($0, $0.messages) }, width: 2, fill: true)]
        if r.timeline.contains(where: { ($0.messages_failed ?? 0) > 0 }) {
            series.append(SVGChart.Series(label: "failed / s", colour: SVGChart.Palette.red,
                                          segments: rateSegments(r) { perSecond($0, $0.messages_failed) }, width: 1.6))
        }
        let chart = SVGChart.Chart(name: "messages", width: 1112, height: 240, xDomain: domain, xTicks: timeTicks(domain),
                                   xLabel: "time since start", yLabel: "messages / s", series: series,
                                   markers: timelineMarkers(r), emptyText: "no timeline recorded", bands: timelineBands(r))
        return panel("Messages over time", note: "WebSocket messages that ended in each second (answered or failed), over the second's measured length.",
                     content: SVGChart.render(chart))
    }

    /// A small table of counts by key: the key (monospaced) with a few words, the count, its share of `denominator`.
    private static func countTable(class name: String, head: [String], rows: [(key: String, words: String, count: Int)],
                                   denominator: Int, empty: String) -> String {
        var out = [#"<table class="\#(name)"><thead><tr><th>\#(Markup.escape(head[0]))</th><th class="num">\#(Markup.escape(head[1]))</th>"#
            + #"<th class="num">\#(Markup.escape(head[2]))</th></tr></thead><tbody>"#]
        if rows.isEmpty {
            out.append(#"<tr><td colspan="3">\#(Markup.escape(empty))</td></tr>"#)
        }
        for row in rows {
            let share = denominator > 0 ? NumberFormat.percent(Double(row.count) / Double(denominator)) : "–"
            out.append(#"<tr><td><span class="mono">\#(Markup.escape(row.key))</span>"#
                + (row.words.isEmpty ? "" : " " + Markup.escape(row.words))
                + #"</td><td class="num">\#(NumberFormat.grouped(row.count))</td><td class="num">\#(share)</td></tr>"#)
        }
        out.append("</tbody></table>")
        return out.joined(separator: "\n")
    }

    /// A few words on each message failure class; a class added later simply shows none.
    static func messageErrorDescription(_ name: String) -> String {
        let words: [MessageError: String] = [
            .answer_timeout: "no answer in time", .closed_by_peer: "the peer closed", .send: "send failed",
            .receive: "connection broke", .interrupted: "run aborted", .cut_short: "run ended first",
        ]
        return MessageError(rawValue: name).flatMap { words[$0] } ?? ""
    }

    /// RFC 6455's name of a close code (§7.4.1, and the IANA registry's 1012–1014); "0": a close frame without one.
    static func closeCodeName(_ code: Int) -> String {
        switch code {
        case 0: "no code"
        case 1000: "normal closure"
        case 1001: "going away"
        case 1002: "protocol error"
        case 1003: "unsupported data"
        case 1007: "invalid payload"
        case 1008: "policy violation"
        case 1009: "message too big"
        case 1010: "extension required"
        case 1011: "internal error"
        case 1012: "service restart"
        case 1013: "try again later"
        case 1014: "bad gateway"
        case 3000..<4000: "registered"
        case 4000..<5000: "application"
        default: ""
        }
    }
}
