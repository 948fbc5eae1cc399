import Foundation

/// A GitHub-flavoured Markdown summary of a run, for `$GITHUB_STEP_SUMMARY` or a pull-request comment:
/// a heading with the target and the outcome, a table of the key numbers (a WebSocket run's messages first) and, when
/// gates were given, a table of them.
public enum MarkdownSummary {
    public static func render(result r: RunResult, thresholds: [ThresholdResult]) -> String {
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }

        var target: String
        switch r.plan.targets.count {
        case 0: target = "no target"
        case 1: target = "\(r.plan.targets[0].method) \(code(r.plan.targets[0].url))"
        default: target = r.plan.scenario == nil ? "\(r.plan.targets.count) targets" : "\(r.plan.targets.count) steps"
        }
        if let scenario = r.plan.scenario { target = "scenario \(code(scenario)), " + target }
        line("## Barrage: \(target) — \(outcome(r, thresholds))")
        line()

        let q = r.requests
        let latency = r.latency_us
        func micros(_ v: Int64) -> String { latency.count == 0 ? "-" : DurationParser.format(micros: v) }
        var rows: [(String, String)] = [
            (r.messages == nil ? "Requests" : "Handshakes", TextReport.grouped(q.total)), // WebSocket: the connections' handshakes
            ("OK", TextReport.grouped(q.ok)),
            ("Failed", TextReport.grouped(q.failed)),
            ("Dropped", TextReport.grouped(q.dropped)),
            ("Duration", DurationParser.format(micros: r.duration_us)),
            RunOutcome.measuredNothing(q) ? ("Attempts (no ok response)", fixed(r.throughput.rps, 1) + "/s")
                                          : ("Throughput", fixed(r.throughput.rps, 1) + " req/s"),
            ("Error rate", NumberFormat.percentTrimmed(q.errorRate)),
            ("Latency p50", micros(latency.p50)),
            ("Latency p90", micros(latency.p90)),
            ("Latency p99", micros(latency.p99)),
            ("Latency p99.9", micros(latency.p99_9)),
            ("Latency max", micros(latency.max)),
        ]
        // A flow's iterations; with several scenarios at once, each one's, named.
        var flows: [(String?, RunResult.Iterations)] = r.iterations.map { [(nil, $0)] } ?? []
        for (name, s) in (r.scenarios ?? [:]).sorted(by: { $0.key < $1.key }) { if let it = s.iterations { flows.append((name, it)) } }
        var iterationRows: [(String, String)] = []
        for (name, it) in flows {
            let d = it.duration_us
            let duration = d.count == 0 ? "no finished iterations"
                : [d.p50, d.p90, d.p99].map { DurationParser.format(micros: $0) }.joined(separator: " / ")
            let label = name.map { " (\($0))" } ?? ""
            iterationRows += [
                ("Iterations" + label, "\(TextReport.grouped(it.completed)) completed · \(TextReport.grouped(it.failed)) failed · "
                    + "\(TextReport.grouped(it.interrupted)) interrupted · \(TextReport.grouped(it.dropped)) dropped "
                    + "(\(TextReport.grouped(it.total)) in all), \(fixed(it.rate, 1))/s"),
                ("Iteration p50 / p90 / p99" + label, duration),
            ]
        }
        rows.insert(contentsOf: iterationRows, at: 0)
        // A WebSocket run's messages first: its requests are the connections' handshakes.
        if let m = r.messages {
            let l = m.latency_us
            rows.insert(contentsOf: [
                ("Messages", "\(TextReport.grouped(m.answered)) answered · \(TextReport.grouped(m.failed)) failed · "
                    + "\(TextReport.grouped(m.dropped)) dropped (\(TextReport.grouped(m.total)) in all), \(fixed(m.rate, 1)) msg/s, "
                    + "error rate \(NumberFormat.percentTrimmed(m.errorRate))"),
                ("Message latency p50 / p90 / p99", l.count == 0 ? "no answered messages"
                    : [l.p50, l.p90, l.p99].map { DurationParser.format(micros: $0) }.joined(separator: " / ")),
            ], at: 0)
        }
        line("| Metric | Value |")
        line("| --- | ---: |")
        for (name, value) in rows { line("| \(name) | \(cell(value)) |") }

        if !thresholds.isEmpty {
            line()
            line("### Thresholds")
            line()
            line("| | Threshold | Measured | Limit |")
            line("| :---: | --- | ---: | ---: |")
            for t in thresholds {
                let measured = t.actual == nil ? "not measured (\(t.note ?? "no data"))" : t.measuredText
                line("| \(t.ok ? "✓" : "✗") | \(cell(code(t.expr.trimmingCharacters(in: .whitespaces)))) | \(cell(measured)) | \(cell(t.limitText)) |")
            }
        }
        return out
    }

    /// `✅ passed`, `❌ 1 of 3 thresholds failed`, or without gates `completed`; `interrupted` is added when it was.
    /// A run with no ok response (exit 1 unless a threshold failed) says what happened instead.
    private static func outcome(_ r: RunResult, _ thresholds: [ThresholdResult]) -> String {
        var text: String
        let failedGates = thresholds.filter { !$0.ok }.count
        let count = "\(thresholds.count) threshold\(thresholds.count == 1 ? "" : "s")"
        // A run that did not finish (a signal, or an abort_on_fail threshold): judged on the part measured.
        let cut = RunOutcome.cutShortText(r)
        if r.aborted_by != nil, let cut {
            return "❌ " + cut
        }
        if failedGates == 0, let nothing = RunOutcome.line(r) {
            text = "❌ " + nothing
        } else if thresholds.isEmpty {
            if let cut { return "⚠️ " + cut }
            text = "completed"
        } else if failedGates == 0 {
            if let cut { return "⚠️ \(cut): passed on the part measured (\(count))" }
            text = "✅ passed (\(count))"
        } else {
            text = "❌ \(failedGates) of \(count) failed"
        }
        if let cut { text += " · ⚠️ \(cut)" }
        return text
    }

    /// A code span that survives any backticks in its content (CommonMark: a longer fence, padded with spaces).
    static func code(_ s: String) -> String {
        let flat = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        var longest = 0, run = 0
        for ch in flat {
            run = ch == "`" ? run + 1 : 0
            longest = Swift.max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = longest > 0 ? " " : ""
        return fence + pad + flat + pad + fence
    }

    /// A table cell: one line, with pipes escaped (GFM splits cells on `|` even inside code spans).
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "|", with: "\\|")
    }
}
