import Foundation

/// The human summary printed at the end of a run, in the spirit of wrk and oha: aligned, units per value, at most
/// 80 columns wide (lines break between values, never inside a number; see `TextLayout`).
///
/// When not one request was ok, the first line says what happened instead (`no ok response: every request failed
/// to connect to 127.0.0.1:1`, from `RunOutcome`) and the request rate is shown as attempts per second, not as
/// throughput: the JSON's `throughput.rps` keeps its meaning, (ok + failed) / duration, but a rate of failures is
/// not a rate the service sustained.
public enum TextReport {
    /// - Parameter header: false when the plan block (`PlanBlock`) was printed just before in the same stream: it
    ///   already names the version, the target and the load, so the summary opens with `Result` (and how the run
    ///   stopped, when not as planned) instead of repeating them.
    public static func render(_ r: RunResult, header: Bool = true) -> String {
        var out: [String] = []
        func line(_ s: String = "") { out.append(s) }
        func lines(_ ls: [String]) { out.append(contentsOf: ls) }
        let outcome = RunOutcome.line(r)
        if let outcome { lines(TextLayout.pack([outcome], first: "", indent: "  ")) }
        // No ok request (a WebSocket run without an answered message had its handshakes ok: its requests read as usual).
        let nothing = RunOutcome.measuredNothing(r.requests) ? outcome : nil
        if header {
            lines(TextLayout.pack(headerParts(r), first: "", indent: "  "))
        } else {
            lines(TextLayout.pack(["Result"] + (RunOutcome.stopText(r).map { [$0] } ?? []), first: "", indent: "  "))
        }
        line()
        if let s = r.setup { lines(setupLines(s)) }
        let q = r.requests
        // A WebSocket run's requests are its connections' handshakes: the block says so (the JSON keeps `requests`).
        lines(TextLayout.labelled(r.messages == nil ? "Requests" : "Handshakes", ["\(grouped(q.total)) total", "\(grouped(q.ok)) ok", "\(grouped(q.failed)) failed",
                                               "\(grouped(q.dropped)) dropped"]))
        let duration = DurationParser.format(micros: r.duration_us)
        if nothing == nil, r.messages != nil {
            // A WebSocket run: its requests are handshakes (their ok count is in the block above); the message rate is
            // in the Messages block.
            lines(TextLayout.labelled("Duration", [duration, "\(rate(r.throughput.rps)) handshakes/s"]))
        } else if nothing == nil {
            lines(TextLayout.labelled("Duration", [duration, "\(rate(r.throughput.rps)) req/s", "\(rate(r.throughput.ok_rps)) ok/s"]))
        } else {
            lines(TextLayout.labelled("Duration", [duration, "\(rate(r.throughput.rps)) attempts/s (not a throughput: no request was ok)"]))
        }
        lines(TextLayout.labelled("Transfer", ["\(bytes(Double(r.throughput.bytes_in))) in (\(bytes(r.throughput.bytes_in_per_s))/s)",
                                               "\(bytes(Double(r.throughput.bytes_out))) out"]))
        if let m = r.messages {
            line()
            lines(messageLines(m))
        }
        if let it = r.iterations { lines(iterationLines(it)) }
        for (name, s) in (r.scenarios ?? [:]).sorted(by: { $0.key < $1.key }) {
            // Several scenarios at once: each one's iterations, named.
            if let it = s.iterations { lines(iterationLines(it, named: name)) }
        }
        if let groups = r.groups {
            // In the flow's order when the plan says it (steps are targets in order; groups follow their steps).
            for name in groups.keys.sorted() { lines(groupLines(name, groups[name]!)) }
        }
        line()
        let open = r.plan.model == "open"
        if r.latency_us.count == 0 {
            lines(TextLayout.labelled("Latency", ["no complete responses"]))
        } else {
            lines(latencyTable(rows: open
                ? [("Latency", r.latency_us), ("Service", r.service_time_us), ("Lateness", r.send_lateness_us)]
                : [("Latency", r.latency_us)]))
            if nothing != nil {
                lines(TextLayout.pack(["(every response was a failure: these are the latencies of error responses)"], first: "  ", indent: "   "))
            } else if open {
                lines(TextLayout.pack(["(latency counts from each request's due time, corrected for coordinated omission; service time from the actual send; lateness = send − due)"],
                                      first: "  ", indent: "   "))
            } else {
                line("  (closed model: latency is measured from the send, so it equals service time)")
            }
            lines(TerminalHistogram.render(TerminalHistogram.rows(r.latency_us)))
        }
        let phases: [(String, HistogramSummary)] = [
            ("queue", r.phases_us.queue ?? .empty),
            ("dns", r.phases_us.dns), ("connect", r.phases_us.connect), ("tls", r.phases_us.tls), ("ttfb", r.phases_us.ttfb),
        ].filter { $0.1.count > 0 }
        if !phases.isEmpty {
            lines(TextLayout.labelled("Phases", phases.map {
                "\($0.0) \(DurationParser.format(micros: $0.1.mean)) mean/\(DurationParser.format(micros: $0.1.p99)) p99 (\(grouped($0.1.count)))"
            }))
        }
        lines(TextLayout.labelled("Connections", ["\(grouped(r.connections.new)) new", "\(grouped(r.connections.reused)) reused"]
            + r.protocols.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }))
        line()
        if !r.status_codes.isEmpty {
            lines(TextLayout.labelled("Status", r.status_codes.sorted { $0.key < $1.key }.map { "\($0.key): \(grouped($0.value))" }))
        } else {
            lines(TextLayout.labelled("Status", ["no complete responses"]))
        }
        if !r.errors.isEmpty {
            let sorted = r.errors.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }
            lines(TextLayout.labelled("Errors", sorted.map { "\($0.key): \(grouped($0.value))" }))
            for (cls, _) in sorted.prefix(3) {
                guard let message = r.error_messages[cls] else { continue }
                let indent = String(repeating: " ", count: TextLayout.labelColumn)
                let text = TextLayout.shortened("\(cls): \(message)", width: TextLayout.width - TextLayout.labelColumn - 2, lines: 2)
                for (i, l) in text.enumerated() { line(indent + (i == 0 ? "" : "  ") + l) }
            }
        }
        if !r.targets.isEmpty {
            line()
            lines(targetsTable(r))
        }
        if r.stages.count > 1 {
            line()
            lines(stagesTable(r))
        }
        if let w = r.warmup {
            lines(TextLayout.labelled("Warm-up", ["\(grouped(w.requests.total)) requests in the first \(DurationParser.format(micros: w.duration_us)), kept out of the numbers above (p99 \(durationOrDash(w.latency_us, w.latency_us.p99)))"]))
        }
        if let c = r.connect_phase {
            var text = "\(grouped(c.connections)) connection\(c.connections == 1 ? "" : "s") opened in \(DurationParser.format(micros: c.duration_us)) before the clock started"
            text += " (at most \(c.max_attempts_in_flight) attempts at once, connect p99 \(durationOrDash(c.connect_us, c.connect_us.p99))"
            if c.requests.failed > 0 { text += ", \(grouped(c.requests.failed)) failed" }
            lines(TextLayout.labelled("Connect", [text + "), kept out of the numbers above"]))
        }
        for w in warnings(r) { lines(TextLayout.labelled("Warning", [w])) }
        if r.clamped_samples > 0 {
            lines(TextLayout.labelled("Warning", ["\(grouped(r.clamped_samples)) samples exceeded one hour and were recorded as one hour"]))
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// `Barrage 0.1.0`, the profile, the first target, the load shape, and how the run stopped when not as planned.
    static func headerParts(_ r: RunResult) -> [String] {
        var parts = ["Barrage \(r.barrage_version)"]
        if let stop = RunOutcome.stopText(r) { parts.append(stop) }
        if let name = r.plan.name, !name.isEmpty { parts.append("profile \(name)") }
        if let scenario = r.plan.scenario { parts.append("scenario \(scenario)") }
        let more = r.plan.targets.count - 1
        parts.append(r.plan.targets.first.map { "\($0.method) \($0.url)" + (more > 0 ? " (+\(more) more)" : "") } ?? "-")
        var shape = r.plan.model == "open" ? "open model, pool \(grouped(r.plan.concurrency))" : "\(grouped(r.plan.concurrency)) connection\(r.plan.concurrency == 1 ? "" : "s")"
        shape += ", \(r.plan.threads) thread\(r.plan.threads == 1 ? "" : "s")"
        if let d = r.plan.duration_us { shape += ", \(DurationParser.format(micros: d))" }
        if let n = r.plan.requests { shape += ", \(grouped(n)) requests" }
        parts.append(shape)
        return parts
    }

    /// A flow's iterations: how they ended, their rate, and their durations with and without think time.
    static func iterationLines(_ it: RunResult.Iterations, named name: String? = nil) -> [String] {
        var out = TextLayout.labelled("Iterations", [
            (name.map { "\($0): " } ?? "") + "\(grouped(it.completed)) completed", "\(grouped(it.failed)) failed", "\(grouped(it.interrupted)) interrupted",
            "\(grouped(it.dropped)) dropped (\(grouped(it.total)) in all)", "\(rate(it.rate))/s",
        ])
        let d = it.duration_us, w = it.duration_without_think_us
        if d.count == 0 {
            out += TextLayout.labelled("Iteration", ["no finished iterations"])
        } else {
            let f = { (v: Int64) in DurationParser.format(micros: v) }
            var parts = ["p50 \(f(d.p50))", "p90 \(f(d.p90))", "p99 \(f(d.p99))", "max \(f(d.max))"]
            if w.count > 0 && (w.p50 != d.p50 || w.p99 != d.p99) {
                parts.append("(without think: p50 \(f(w.p50)), p99 \(f(w.p99)))")
            }
            out += TextLayout.labelled("Iteration", parts)
        }
        for set in it.data_exhausted ?? [] {
            out += TextLayout.labelled("Data", ["\(set) ran out of unique rows", "no more iterations started"])
        }
        return out
    }

    /// The run's setup, sent before the load: `Setup       1 request · 1 ok · 0 failed · 2.1ms (not counted below)`.
    static func setupLines(_ s: RunResult.Setup) -> [String] {
        TextLayout.labelled("Setup", ["\(grouped(s.requests)) request\(s.requests == 1 ? "" : "s")", "\(grouped(s.ok)) ok",
                                      "\(grouped(s.failed)) failed",
                                      "\(DurationParser.format(micros: s.duration_us)) (not counted below)"])
    }

    /// One group: `Group       buy: 40 ok · 0 failed · p50 12.0ms · p99 30.1ms`.
    static func groupLines(_ name: String, _ g: RunResult.Group) -> [String] {
        var parts = ["\(name): \(grouped(g.ok)) ok", "\(grouped(g.failed)) failed"]
        if g.duration_us.count > 0 {
            let f = { (v: Int64) in DurationParser.format(micros: v) }
            parts += ["p50 \(f(g.duration_us.p50))", "p99 \(f(g.duration_us.p99))"]
        }
        return TextLayout.labelled("Group", parts)
    }

    /// Per target (a flow's per step, titled `step`, in the plan's order): a table when it fits in 80 columns, else
    /// one block per target.
    static func targetsTable(_ r: RunResult) -> [String] {
        let noun = r.plan.scenario == nil ? "target" : "step"
        var rows = [[noun, "requests", "ok", "failed", "dropped", "req/s", "p50", "p99", "errors"]]
        var blocks: [String] = []
        for t in r.plan.targets {
            guard let sct = r.targets[t.name] else { continue }
            let errors = sct.errors.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }
            let row = [t.name, grouped(sct.requests.total), grouped(sct.requests.ok), grouped(sct.requests.failed),
                       grouped(sct.requests.dropped), rate(sct.rps), durationOrDash(sct.latency_us, sct.latency_us.p50),
                       durationOrDash(sct.latency_us, sct.latency_us.p99), errors.joined(separator: ", ")]
            rows.append(row)
            blocks += TextLayout.pack([noun + " " + t.name], first: "  ", indent: "    ")
            blocks += TextLayout.pack(["\(row[1]) requests", "\(row[2]) ok", "\(row[3]) failed", "\(row[4]) dropped",
                                       "\(row[5]) req/s", "p50 \(row[6])", "p99 \(row[7])"]
                                      + errors.enumerated().map { $0.offset == 0 ? "errors " + $0.element : $0.element },
                                      first: "    ", indent: "    ")
        }
        let table = TextLayout.table(rows)
        return table.allSatisfy { $0.count <= TextLayout.width } ? table : blocks
    }

    /// Per stage: a table when it fits in 80 columns, else one block per stage.
    static func stagesTable(_ r: RunResult) -> [String] {
        var rows = [["stage", "length", "target", "achieved", "requests", "dropped", "p50", "p99"]]
        var blocks: [String] = []
        for st in r.stages {
            let target = st.target_rps.map { rate($0) + "/s avg" } ?? st.target_concurrency.map { "\(grouped($0)) workers" } ?? "-"
            let row = [String(st.stage), DurationParser.format(micros: st.duration_us), target, rate(st.achieved_rps) + "/s",
                       grouped(st.requests.total), grouped(st.requests.dropped),
                       durationOrDash(st.latency_us, st.latency_us.p50), durationOrDash(st.latency_us, st.latency_us.p99)]
            rows.append(row)
            blocks += TextLayout.pack(["stage \(row[0])", row[1], "target \(row[2])", "achieved \(row[3])", "\(row[4]) requests",
                                       "\(row[5]) dropped", "p50 \(row[6])", "p99 \(row[7])"], first: "  ", indent: "    ")
        }
        let table = TextLayout.table(rows)
        return table.allSatisfy { $0.count <= TextLayout.width } ? table : blocks
    }

    /// A request rate with grouped thousands and one decimal: `12,345.6`.
    static func rate(_ v: Double) -> String {
        guard v.isFinite else { return fixed(v, 1) }
        let text = fixed(v, 1)
        guard let dot = text.firstIndex(of: "."), let whole = Int(text[..<dot]) else { return text }
        return grouped(whole) + String(text[dot...])
    }

    /// What the reader must not miss: the target rate not reached, drops, a client that was itself the bottleneck.
    public static func warnings(_ r: RunResult) -> [String] {
        var out: [String] = []
        if r.plan.model == "open", let allPlanned = r.plan.expected_requests, allPlanned > 0, !r.interrupted {
            var wholeOrShare = allPlanned
            if let seg = r.plan.segment { wholeOrShare = seg.residueCount(below: allPlanned) }
            let planned = wholeOrShare - (r.warmup?.requests.total ?? 0)
            let scheduleSeconds = Double((r.plan.duration_us ?? 0) - (r.plan.warmup_us ?? 0)) / 1_000_000
            let target = scheduleSeconds > 0 ? Double(planned) / scheduleSeconds : 0
            let sent = r.requests.ok + r.requests.failed
            let achieved = scheduleSeconds > 0 ? Double(sent) / max(scheduleSeconds, Double(r.duration_us) / 1_000_000) : 0
            if target > 0 && achieved < target * 0.95 {
                out.append("achieved \(fixed(achieved, 1)) req/s, below the target \(fixed(target, 1)) req/s by more than 5 %")
            }
        }
        if r.plan.tls_verify == false {
            out.append("INSECURE: TLS certificates were not verified (--insecure)")
        }
        if r.requests.dropped > 0 {
            out.append("\(grouped(r.requests.dropped)) requests dropped: not sent within the allowed lateness (pool too small or server too slow)")
        }
        if let c = r.client, c.cpu_utilization >= 0.9, r.duration_us >= 1_000_000 {
            out.append("CLIENT SATURATED: Barrage used \(fixed(c.cpu_utilization * 100, 0)) % of its \(c.threads) engine thread\(c.threads == 1 ? "'s" : "s'") CPU — the numbers describe Barrage's limits as much as the server's (add --threads or machines)")
        }
        // With no ok response and one error class, the summary's first line already says it (`RunOutcome`).
        let saidFirst = RunOutcome.measuredNothing(r.requests) && r.errors.count == 1 && r.requests.dropped == 0
        if !saidFirst, let dominant = r.errors.max(by: { $0.value < $1.value }), r.requests.failed > 0,
           Double(dominant.value) >= 0.9 * Double(r.requests.failed), r.requests.failed * 100 >= r.requests.total {
            let message = r.error_messages[dominant.key].map { ": \($0)" } ?? ""
            out.append("errors are mostly \(dominant.key) (\(grouped(dominant.value)) of \(grouped(r.requests.failed)))\(message)")
        }
        if r.plan.model == "open" && r.send_lateness_us.p99 > 10_000 {
            out.append("SEND LATENESS p99 \(DurationParser.format(micros: r.send_lateness_us.p99)): requests waited to be sent — the pool was full or the client itself was saturated; latency then includes that wait")
        }
        return out
    }

    /// The latency distribution as bars (see `TerminalHistogram`); nil without a distribution to show.
    static func histogramChart(_ s: HistogramSummary) -> String? {
        let lines = TerminalHistogram.render(TerminalHistogram.rows(s))
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    private static func durationOrDash(_ s: HistogramSummary, _ v: Int64) -> String {
        s.count == 0 ? "-" : DurationParser.format(micros: v)
    }

    /// Right-aligned columns (the first left-aligned), indented by two spaces.
    static func table(_ rows: [[String]]) -> String {
        TextLayout.table(rows).joined(separator: "\n")
    }

    /// Two blocks with aligned columns, so that the table fits 80 columns: min, mean, stdev and max, then the
    /// percentiles, one row per histogram in each.
    static func latencyTable(rows: [(String, HistogramSummary)]) -> [String] {
        let spread = ["min", "mean", "stdev", "max"], ranks = ["p50", "p75", "p90", "p95", "p99", "p99.9", "p99.99"]
        func values(_ s: HistogramSummary) -> ([Int64], [Int64]) {
            ([s.min, s.mean, s.stdev, s.max], [s.p50, s.p75, s.p90, s.p95, s.p99, s.p99_9, s.p99_99])
        }
        let cell = { (s: HistogramSummary, v: Int64) in s.count == 0 ? "-" : DurationParser.format(micros: v) }
        var blocks: [[[String]]] = [[[""] + spread], [[""] + ranks]]
        for (name, s) in rows {
            let (a, b) = values(s)
            blocks[0].append([name] + a.map { cell(s, $0) })
            blocks[1].append([name] + b.map { cell(s, $0) })
        }
        let columnWidth = blocks.flatMap { $0 }.flatMap { $0.dropFirst() }.map(\.count).max() ?? 0
        return blocks.flatMap { block in
            block.map { row in
                TextLayout.rightTrimmed("  " + row[0].padding(toLength: 10, withPad: " ", startingAt: 0) + row.dropFirst().map {
                    "  " + String(repeating: " ", count: columnWidth - $0.count) + $0
                }.joined())
            }
        }
    }

    /// 1234567 → "1,234,567" (`NumberFormat.grouped`).
    public static func grouped(_ n: Int) -> String { NumberFormat.grouped(n) }

    /// Bytes with a unit chosen for the value (`NumberFormat.bytes`).
    public static func bytes(_ n: Double) -> String { NumberFormat.bytes(n) }
}
