import Foundation

/// A capacity search in words: the progress line of a step, the table of every step, the answer line, and the CSV,
/// HTML, JUnit and Markdown outputs. Pure.
public enum CapacityReport {
    /// `rate` as a short number: 400, 412.5.
    public static func rate(_ v: Double) -> String {
        v == v.rounded() ? String(Int64(v)) : fixed(v, 1)
    }

    private static func micros(_ v: Int64, _ s: CapacityStepRecord) -> String {
        s.ok + s.failed == 0 ? "-" : DurationParser.format(micros: v)
    }

    /// `step 3 grow: offered 40 req/s, achieved 39.9 req/s, p99 12ms — pass` (a flow's: `iterations/s`).
    public static func progressLine(_ s: CapacityStepRecord, unit: CapacityResult.RateUnit = .requests) -> String {
        let u = unit.perSecond
        var line = "step \(s.index) \(s.phase.rawValue): offered \(rate(s.offered_rps)) \(u), achieved \(fixed(s.achieved_rps, 1)) \(u), "
            + "p99 \(micros(s.latency_us.p99, s)) — \(s.verdict.rawValue)"
        if let first = s.reasons.first { line += " (\(first)\(s.reasons.count > 1 ? ", …" : ""))" }
        if s.ended_early { line += " [ended early]" }
        return line
    }

    /// Every step as a table.
    public static func table(_ doc: CapacityResult) -> String {
        var rows: [[String]] = [["step", "phase", "offered", "achieved", "p50", "p90", "p99", "errors", "dropped", "in flight",
                                 "lateness p99", "verdict"]]
        for s in doc.steps {
            rows.append([String(s.index), s.phase.rawValue, rate(s.offered_rps), fixed(s.achieved_rps, 1),
                         micros(s.latency_us.p50, s), micros(s.latency_us.p90, s), micros(s.latency_us.p99, s),
                         NumberFormat.percentTrimmed(s.error_rate), NumberFormat.grouped(s.dropped), fixed(s.in_flight_mean, 1),
                         DurationParser.format(micros: s.send_lateness_p99_us), s.verdict.rawValue + (s.ended_early ? "*" : "")])
        }
        var out = TextLayout.table(rows).joined(separator: "\n")
        if doc.steps.contains(where: \.ended_early) { out += "\n  * ended early: it had clearly failed" }
        return out
    }

    /// The bracket as `[low, high) req/s`-like words.
    static func bracketText(_ b: CapacityResult.Bracket, unit: CapacityResult.RateUnit = .requests) -> String {
        let u = unit.perSecond
        switch (b.low, b.high) {
        case (let l?, let h?): return "held at \(rate(l)) \(u), failed at \(rate(h)) \(u)"
        case (let l?, nil): return "held at \(rate(l)) \(u)"
        case (nil, let h?): return "failed at \(rate(h)) \(u)"
        case (nil, nil): return "no step completed"
        }
    }

    /// The answer: one line.
    public static func answer(_ doc: CapacityResult) -> String {
        let slos = doc.slos.map { Threshold.oneLine($0.trimmingCharacters(in: .whitespaces)) }.joined(separator: ", ")
        let bracket = bracketText(doc.bracket, unit: doc.rateUnit)
        let u = doc.rateUnit.perSecond
        if doc.interrupted {
            return "interrupted after \(doc.steps.count) step\(doc.steps.count == 1 ? "" : "s"): \(bracket) (not confirmed)"
        }
        switch doc.verdict {
        case .found?:
            return "capacity: \(rate(doc.capacity_rps ?? 0)) \(u) within \(slos) (\(bracket); confirmed)"
        case .noRate?:
            return "no rate meets \(slos): the lowest tried, \(rate(doc.bracket.high ?? doc.from)) \(u), failed"
        case .clientBound?:
            let at = doc.steps.last { $0.verdict == .clientBound }.map { " at \(rate($0.offered_rps)) \(u)" } ?? ""
            guard let low = doc.at_least_rps else {
                return "client-bound: Barrage itself saturated\(at), before any rate was measured; add --threads or use a bigger client machine"
            }
            return "client-bound: capacity ≥ \(rate(low)) \(u) on this machine — Barrage itself saturated\(at) before an SLO failed; add --threads or use a bigger client machine"
        case .maxReached?:
            return "capacity ≥ \(rate(doc.max)) \(u): --max held within \(slos) (raise --max to search further)"
        case .budget?:
            return "budget ended: \(bracket) (best bracket so far, not confirmed)"
        case .nothingAnswered?:
            return "nothing answered: no step had an ok response"
        case nil:
            return "no answer: \(bracket)"
        }
    }

    /// One row per step.
    public static func csv(_ doc: CapacityResult) -> String {
        var out = "index,phase,offered_rps,achieved_rps,duration_us,requests,ok,failed,dropped,error_rate,p50_us,p90_us,p99_us,"
            + "p999_us,max_us,in_flight_mean,send_lateness_p99_us,cpu,max_in_flight,verdict,ended_early,reasons\n"
        for s in doc.steps {
            let reasons = "\"" + s.reasons.joined(separator: "; ").replacingOccurrences(of: "\"", with: "\"\"") + "\""
            let fields: [String] = [
                String(s.index), s.phase.rawValue, fixed(s.offered_rps, 3), fixed(s.achieved_rps, 3), String(s.duration_us),
                String(s.requests), String(s.ok), String(s.failed), String(s.dropped), fixed(s.error_rate, 6),
                String(s.latency_us.p50), String(s.latency_us.p90), String(s.latency_us.p99), String(s.latency_us.p999),
                String(s.latency_us.max), fixed(s.in_flight_mean, 3), String(s.send_lateness_p99_us),
                s.cpu.map { fixed($0, 4) } ?? "", String(s.max_in_flight), s.verdict.rawValue, s.ended_early ? "true" : "false", reasons,
            ]
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    /// A self-contained page in the report's design (`HTMLReport`'s frame, stylesheet and chart module): the answer,
    /// the hockey stick (latency percentiles against achieved throughput, SLO lines, capacity, the USL bend),
    /// achieved against offered rate, and the step table.
    public static func html(_ doc: CapacityResult) -> String {
        func e(_ s: String) -> String { Markup.escape(s) }
        let input = doc.figureInput
        let verdict: (text: String, style: String, note: String)
        switch doc.verdict {
        case .found?: verdict = ("FOUND", "pass", answer(doc))
        case .clientBound?: verdict = ("CLIENT-BOUND", "warn", answer(doc))
        case .maxReached?: verdict = ("AT LEAST MAX", "pass", answer(doc))
        case .budget?: verdict = ("BUDGET ENDED", "warn", answer(doc))
        case .noRate?: verdict = ("NO RATE MEETS THE SLO", "fail", answer(doc))
        case .nothingAnswered?: verdict = ("NOTHING ANSWERED", "fail", answer(doc))
        case nil: verdict = ("INTERRUPTED", "warn", answer(doc))
        }
        var body: [String] = []
        body.append(HTMLReport.band(heading: "Barrage capacity search", target: doc.target,
                                    meta: "SLOs \(doc.slos.joined(separator: ", ")) · from \(rate(doc.from)) to \(rate(doc.max)) \(doc.rateUnit.perSecond) · precision \(NumberFormat.percentTrimmed(doc.precision)) · started \(doc.started_at)",
                                    verdict: verdict))
        body.append("<main>")
        body.append(#"<p class="answer"><strong>\#(e(answer(doc)))</strong></p>"#)
        let usl = CapacityFigure.usl(input)
        var note = "Each step's p50, p90 and p99 against the rate it achieved: filled dots held, hollow red ones failed; the SLOs as horizontal lines, the capacity as a vertical one over its bracket."
        if let bend = usl.bendRPS { note += " The Universal Scalability Law fitted to the steps bends at about \(rate(bend)) \(doc.rateUnit.perSecond) (dotted line)." }
        body.append(HTMLReport.panel("Latency against throughput", note: note,
                                     content: SVGChart.render(CapacityFigure.hockeyStickChart(input))))
        body.append(HTMLReport.panel("Achieved against offered rate", note: "On the diagonal every offered request was answered; below it the service (or the client) fell behind.",
                                     content: SVGChart.render(CapacityFigure.offeredAchievedChart(input))))
        var table = [#"<table class="steps"><thead><tr><th class="num">step</th><th>phase</th><th class="num">offered/s</th><th class="num">achieved/s</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">errors</th><th class="num">dropped</th><th class="num">in flight</th><th class="num">late p99</th><th>verdict</th><th>reasons</th></tr></thead><tbody>"#]
        for s in doc.steps {
            let cells = [String(s.index), s.phase.rawValue, rate(s.offered_rps), fixed(s.achieved_rps, 1), micros(s.latency_us.p50, s),
                         micros(s.latency_us.p90, s), micros(s.latency_us.p99, s), NumberFormat.percentTrimmed(s.error_rate),
                         NumberFormat.grouped(s.dropped), fixed(s.in_flight_mean, 1), DurationParser.format(micros: s.send_lateness_p99_us)]
            let style = s.verdict == .pass ? "good" : (s.verdict == .clientBound ? "warn" : "bad")
            table.append("<tr>" + cells.enumerated().map { i, c in "<td\(i == 1 ? "" : " class=\"num\"")>\(e(c))</td>" }.joined()
                + "<td class=\"\(style)\">\(e(s.verdict.rawValue + (s.ended_early ? " (ended early)" : "")))</td>"
                + "<td>\(e(s.reasons.joined(separator: "; ")))</td></tr>")
        }
        table.append("</tbody></table>")
        body.append(HTMLReport.panel("Steps", note: "Every step in the order it ran.", content: table.joined(separator: "\n")))
        body.append("</main>")
        body.append(HTMLReport.footer("Barrage \(doc.version) · \(CapacityResult.schemaID) · started \(doc.started_at)"))
        return HTMLReport.document(title: "Barrage capacity · \(doc.target)", body: body)
    }

    /// The `--min-rate` gate as a CI case: `capacity >= R`, ok when the capacity found (or the "at least" of
    /// `max_reached`) is at least R.
    public static func minRateCase(_ doc: CapacityResult, minRate: Double) -> (name: String, ok: Bool, message: String) {
        let u = doc.rateUnit.perSecond
        let name = "capacity >= \(rate(minRate)) \(u)"
        let measured = measuredCapacity(doc)
        let ok = measured.map { $0 >= minRate } ?? false
        let message = "\(answer(doc)); limit >= \(rate(minRate)) \(u)"
        return (name, ok, message)
    }

    /// The capacity the gate compares: the confirmed capacity, or `max` when it held; nil otherwise.
    public static func measuredCapacity(_ doc: CapacityResult) -> Double? {
        switch doc.verdict {
        case .found?: return doc.capacity_rps
        case .maxReached?: return doc.max
        case .noRate?: return 0
        default: return nil
        }
    }

    /// A GitHub-flavoured Markdown summary: the answer, the gate (with `--min-rate`) and the steps.
    public static func markdown(_ doc: CapacityResult, minRate: Double?) -> String {
        var out = "## Barrage capacity: \(doc.target.replacingOccurrences(of: "|", with: "\\|"))\n\n"
        out += "**\(answer(doc))**\n\n"
        if let minRate {
            let c = minRateCase(doc, minRate: minRate)
            out += "| Gate | Result |\n|---|---|\n| \(c.name) | \(c.ok ? "✅ pass" : "❌ fail") |\n\n"
        }
        let u = doc.rateUnit.perSecond
        out += "| Step | Phase | Offered \(u) | Achieved \(u) | p99 | Errors | Verdict |\n|---:|---|---:|---:|---:|---:|---|\n"
        for s in doc.steps {
            out += "| \(s.index) | \(s.phase.rawValue) | \(rate(s.offered_rps)) | \(fixed(s.achieved_rps, 1)) | \(micros(s.latency_us.p99, s)) | "
                + "\(NumberFormat.percentTrimmed(s.error_rate)) | \(s.verdict.rawValue) |\n"
        }
        return out
    }
}
