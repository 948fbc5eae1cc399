import Foundation

/// The human summary printed at the end of a run, in the spirit of wrk and oha: aligned, units per value.
public enum TextReport {
    public static func render(_ r: RunResult) -> String {
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }
        let target = r.plan.targets.first.map { "\($0.method) \($0.url)" } ?? "-"
        var shape = r.plan.model == "open"
            ? "open model, pool \(r.plan.concurrency), \(r.plan.threads) thread\(r.plan.threads == 1 ? "" : "s")"
            : "\(r.plan.concurrency) connections, \(r.plan.threads) thread\(r.plan.threads == 1 ? "" : "s")"
        if let d = r.plan.duration_us { shape += ", \(DurationParser.format(micros: d))" }
        if let n = r.plan.requests { shape += ", \(grouped(n)) requests" }
        line("Barrage \(r.barrage_version) · \(target) · \(shape)\(r.interrupted ? " · INTERRUPTED" : "")")
        line()
        let q = r.requests
        line("  Requests    \(grouped(q.total)) total · \(grouped(q.ok)) ok · \(grouped(q.failed)) failed · \(grouped(q.dropped)) dropped")
        line("  Duration    \(DurationParser.format(micros: r.duration_us)) · \(fixed(r.throughput.rps, 1)) req/s · \(fixed(r.throughput.ok_rps, 1)) ok/s")
        line("  Transfer    \(bytes(Double(r.throughput.bytes_in))) in (\(bytes(r.throughput.bytes_in_per_s))/s) · \(bytes(Double(r.throughput.bytes_out))) out")
        line()
        let open = r.plan.model == "open"
        line(latencyTable(rows: open
            ? [("Latency", r.latency_us), ("Service", r.service_time_us), ("Lateness", r.send_lateness_us)]
            : [("Latency", r.latency_us)]))
        if open {
            line("  (latency counts from each request's due time, corrected for coordinated omission; service time from")
            line("   the actual send; lateness = send − due)")
        } else if r.latency_us.count > 0 {
            line("  (closed model: latency is measured from the send, so it equals service time)")
        }
        if let chart = histogramChart(r.latency_us) { line(chart) }
        let phases: [(String, HistogramSummary)] = [
            ("dns", r.phases_us.dns), ("connect", r.phases_us.connect), ("tls", r.phases_us.tls), ("ttfb", r.phases_us.ttfb),
        ].filter { $0.1.count > 0 }
        if !phases.isEmpty {
            line("  Phases      " + phases.map { "\($0.0) \(DurationParser.format(micros: $0.1.mean)) mean/\(DurationParser.format(micros: $0.1.p99)) p99 (\(grouped($0.1.count)))" }.joined(separator: " · "))
        }
        line("  Connections \(grouped(r.connections.new)) new · \(grouped(r.connections.reused)) reused"
            + (r.protocols.isEmpty ? "" : " · " + r.protocols.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }.joined(separator: " · ")))
        line()
        if !r.status_codes.isEmpty {
            let codes = r.status_codes.sorted { $0.key < $1.key }.map { "\($0.key): \(grouped($0.value))" }
            line("  Status      " + codes.joined(separator: " · "))
        } else {
            line("  Status      no complete responses")
        }
        if !r.errors.isEmpty {
            let errs = r.errors.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }
                .map { "\($0.key): \(grouped($0.value))" }
            line("  Errors      " + errs.joined(separator: " · "))
            for (cls, _) in r.errors.sorted(by: { $0.value > $1.value }).prefix(3) {
                if let message = r.error_messages[cls] { line("              \(cls): \(message)") }
            }
        }
        if !r.targets.isEmpty {
            line()
            var rows = [["target", "requests", "ok", "failed", "dropped", "req/s", "p50", "p99", "errors"]]
            for t in r.plan.targets {
                guard let sct = r.targets[t.name] else { continue }
                rows.append([t.name, grouped(sct.requests.total), grouped(sct.requests.ok), grouped(sct.requests.failed),
                             grouped(sct.requests.dropped), fixed(sct.rps, 1), durationOrDash(sct.latency_us, sct.latency_us.p50),
                             durationOrDash(sct.latency_us, sct.latency_us.p99),
                             sct.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")])
            }
            line(table(rows))
        }
        if r.stages.count > 1 {
            line()
            var rows = [["stage", "length", "target", "achieved", "requests", "dropped", "p50", "p99"]]
            for st in r.stages {
                let target = st.target_rps.map { fixed($0, 1) + "/s avg" } ?? st.target_concurrency.map { "\($0) workers" } ?? "-"
                rows.append([String(st.stage), DurationParser.format(micros: st.duration_us), target, fixed(st.achieved_rps, 1) + "/s",
                             grouped(st.requests.total), grouped(st.requests.dropped),
                             durationOrDash(st.latency_us, st.latency_us.p50), durationOrDash(st.latency_us, st.latency_us.p99)])
            }
            line(table(rows))
        }
        if let w = r.warmup {
            line("  Warm-up     \(grouped(w.requests.total)) requests in the first \(DurationParser.format(micros: w.duration_us)), kept out of the numbers above (p99 \(durationOrDash(w.latency_us, w.latency_us.p99)))")
        }
        if let c = r.connect_phase {
            var text = "  Connect     \(grouped(c.connections)) connection\(c.connections == 1 ? "" : "s") opened in \(DurationParser.format(micros: c.duration_us)) before the clock started"
            text += " (at most \(c.max_attempts_in_flight) attempts at once, connect p99 \(durationOrDash(c.connect_us, c.connect_us.p99))"
            if c.requests.failed > 0 { text += ", \(grouped(c.requests.failed)) failed" }
            line(text + "), kept out of the numbers above")
        }
        for w in warnings(r) { line("  Warning     " + w) }
        if r.clamped_samples > 0 {
            line("  Warning     \(grouped(r.clamped_samples)) samples exceeded one hour and were recorded as one hour")
        }
        return out
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
        if let dominant = r.errors.max(by: { $0.value < $1.value }), r.requests.failed > 0,
           Double(dominant.value) >= 0.9 * Double(r.requests.failed), r.requests.failed * 100 >= r.requests.total {
            let message = r.error_messages[dominant.key].map { ": \($0)" } ?? ""
            out.append("errors are mostly \(dominant.key) (\(grouped(dominant.value)) of \(grouped(r.requests.failed)))\(message)")
        }
        if r.plan.model == "open" && r.send_lateness_us.p99 > 10_000 {
            out.append("SEND LATENESS p99 \(DurationParser.format(micros: r.send_lateness_us.p99)): requests waited to be sent — the pool was full or the client itself was saturated; latency then includes that wait")
        }
        return out
    }

    /// The effective plan in one line, printed before anything is sent.
    public static func planLine(_ p: PlanRecord) -> String {
        let t = p.targets.first.map { "\($0.method) \($0.url)" } ?? "-"
        var parts: [String] = []
        if p.model == "open" {
            let stages = p.stages.map { "\(fixed($0.rate ?? 0, 1))/s by \(DurationParser.format(micros: $0.duration_us ?? 0))" }
            parts.append("open model: from \(fixed(p.start_rate ?? 0, 1))/s, " + stages.joined(separator: ", "))
            if let n = p.expected_requests { parts.append("\(grouped(n)) requests planned") }
            parts.append("pool \(grouped(p.max_in_flight ?? p.concurrency))")
            parts.append("max lateness \(DurationParser.format(micros: p.max_lateness_us ?? 0))")
            if p.arrival == "poisson" { parts.append("poisson arrivals (seed \(p.seed ?? 0))") }
        } else if let start = p.start_concurrency {
            let stages = p.stages.map { "\($0.concurrency ?? 0) by \(DurationParser.format(micros: $0.duration_us ?? 0))" }
            parts.append("closed model: from \(start) workers, " + stages.joined(separator: ", "))
            if let n = p.requests { parts.append("at most \(grouped(n)) requests") }
            if let think = p.think_time_us { parts.append("think time \(DurationParser.format(micros: think))") }
        } else {
            var shape = "\(p.concurrency) connections"
            if let d = p.duration_us { shape += " for \(DurationParser.format(micros: d))" }
            if let n = p.requests { shape += ", \(grouped(n)) requests" }
            parts.append(shape)
        }
        if p.targets.count > 1 {
            parts.append("targets " + p.targets.map { "\($0.name)×\(fixed($0.weight, $0.weight == $0.weight.rounded() ? 0 : 2))" }.joined(separator: " "))
        }
        if let w = p.warmup_us { parts.append("warm-up \(DurationParser.format(micros: w))") }
        if let seg = p.segment { parts.append("segment \(seg.index)/\(seg.count) of this plan") }
        parts.append("\(p.threads) thread\(p.threads == 1 ? "" : "s")")
        parts.append("timeout \(DurationParser.format(micros: p.timeout_us))")
        parts.append("HTTP/\(p.http_version)\(p.keepalive ? "" : ", no keep-alive")")
        return "Running \(t) · " + parts.joined(separator: " · ")
    }

    /// A small bar chart of the latency distribution: complete responses per range, ranges on a 1-2-5 scale.
    static func histogramChart(_ s: HistogramSummary) -> String? {
        guard s.count > 1, s.max > s.min, let h = try? s.histogram() else { return nil }
        var edges: [Int64] = []
        var e: Int64 = 1
        while e <= s.min { e = nextEdge(e) }
        while e < s.max { edges.append(e); e = nextEdge(e) }
        // At most 8 rows: merge the smallest edges away.
        while edges.count > 7 { edges.remove(at: edges.count / 2 % 2 == 0 ? 1 : 0); edges = Array(Set(edges)).sorted() }
        var bounds = [s.min] + edges + [s.max]
        bounds = Array(Set(bounds)).sorted()
        guard bounds.count >= 2 else { return nil }
        var bars: [(label: String, value: Double, text: String)] = []
        var below: UInt64 = 0
        for i in 0..<(bounds.count - 1) {
            let hi = UInt64(bounds[i + 1])
            // Differences of cumulative counts, so that every sample lands in exactly one row.
            let cumulative = i == bounds.count - 2 ? h.totalCount : h.count(within: 0...hi)
            let n = cumulative - below
            below = cumulative
            let share = Double(n) / Double(s.count)
            bars.append(("≤ " + DurationParser.format(micros: Int64(hi)), Double(n), "\(grouped(Int(n))) (\(fixed(share * 100, 1))%)"))
        }
        return ScaleCharts.terminalBars(bars, width: 40).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
    }

    private static func nextEdge(_ e: Int64) -> Int64 {
        var magnitude: Int64 = 1
        while magnitude * 10 <= e { magnitude *= 10 }
        switch e / magnitude {
        case 1: return 2 * magnitude
        case 2: return 5 * magnitude
        default: return 10 * magnitude
        }
    }

    private static func durationOrDash(_ s: HistogramSummary, _ v: Int64) -> String {
        s.count == 0 ? "-" : DurationParser.format(micros: v)
    }

    /// Right-aligned columns (the first left-aligned), indented by two spaces.
    static func table(_ rows: [[String]]) -> String {
        var widths = Array(repeating: 0, count: rows.map(\.count).max() ?? 0)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = Swift.max(widths[i], c.count) } }
        return rows.map { row in
            "  " + row.enumerated().map { i, c in
                i == 0 ? c + String(repeating: " ", count: widths[i] - c.count)
                       : String(repeating: " ", count: widths[i] - c.count) + c
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    private static func latencyTable(rows: [(String, HistogramSummary)]) -> String {
        let headers = ["", "min", "mean", "stdev", "max", "p50", "p75", "p90", "p95", "p99", "p99.9", "p99.99"]
        var table: [[String]] = [headers]
        for (name, s) in rows {
            let f = { (v: Int64) in s.count == 0 ? "-" : DurationParser.format(micros: v) }
            table.append([name, f(s.min), f(s.mean), f(s.stdev), f(s.max), f(s.p50), f(s.p75), f(s.p90), f(s.p95), f(s.p99), f(s.p99_9), f(s.p99_99)])
        }
        var widths = Array(repeating: 0, count: headers.count)
        for row in table { for (i, cell) in row.enumerated() { widths[i] = Swift.max(widths[i], cell.count) } }
        return table.map { row in
            "  " + row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: 10, withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// 1234567 → "1,234,567"
    public static func grouped(_ n: Int) -> String {
        let digits = String(Swift.abs(n))
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    /// Bytes with a unit chosen for the value (B, KB, MB, GB; powers of 1000).
    public static func bytes(_ n: Double) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = n
        var u = 0
        while Swift.abs(v) >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(Int(v))B" : fixed(v, v < 10 ? 2 : (v < 100 ? 1 : 0)) + units[u]
    }
}
