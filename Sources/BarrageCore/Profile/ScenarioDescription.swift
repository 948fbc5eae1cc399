/// What `barrage validate` prints for a scenario: its load, its steps in order with their captures, and the data sets
/// its flow reads. Templates are shown with their placeholders (`${token}`), environment values already resolved.
public enum ScenarioDescription {
    /// `  scenario     checkout · closed · 40 iterations · cookies per_iteration`, then one line per step
    /// (`    1 POST login http://… → token (json $.token)`, `    2 think 500ms`) and per data set.
    public static func lines(_ scenario: Profile.Scenario) -> [String] {
        let flow = scenario.flow
        var head = ["\(scenario.name)", scenario.load.model.rawValue]
        if let n = flow.iterations { head.append("\(n) iteration\(n == 1 ? "" : "s")") }
        head.append("cookies \(flow.cookies.rawValue)")
        if scenario.startAfterMicros > 0 { head.append("starts after \(DurationParser.format(micros: scenario.startAfterMicros))") }
        if flow.pacingMicros > 0 { head.append("pacing \(DurationParser.format(micros: flow.pacingMicros))") }
        var lines = ["  scenario     " + head.joined(separator: " · ")]
        if !flow.runCaptures.isEmpty { lines.append("    reads from the run's setup: \(flow.runCaptures.joined(separator: ", "))") }
        lines += stepLines(flow)
        for d in flow.data {
            let used = d.set.columns.indices.filter { d.slots[$0] != nil }.map { d.set.columns[$0] }
            lines.append("    data \(d.name): \(d.set.file) · \(d.set.rowCount) row\(d.set.rowCount == 1 ? "" : "s") · "
                         + "\(d.mode.rawValue), bind \(d.binding.rawValue) · uses \(used.joined(separator: ", "))")
        }
        return lines
    }

    /// The run's `setup:`: `  setup        once per run, before any load · captures token`, then its steps.
    public static func setupLines(_ flow: Flow) -> [String] {
        let captures = flow.variables.isEmpty ? "" : " · captures \(flow.variables.joined(separator: ", "))"
        return ["  setup        once per run, before any load" + captures] + stepLines(flow)
    }

    /// One line per step: `    1 POST login http://… → token (json $.token)`, `    2 think 500ms`.
    static func stepLines(_ flow: Flow) -> [String] {
        var lines: [String] = []
        for (i, step) in flow.steps.enumerated() {
            // Setup steps (once per VU) are marked: `    1 setup POST login …`.
            let number = "    \(i + 1) " + (i < flow.setupCount ? "setup " : "")
            switch step {
            case .think(let t):
                lines.append(number + "think \(think(t))")
            case .request(let r):
                var line = number + "\(r.method) \(r.name) \(Redaction.url(r.urlText))"
                if !r.captures.isEmpty { line += " → " + r.captures.map { "\($0.name) (\(source($0.source)))" }.joined(separator: ", ") }
                if r.repeatCount > 1 { line += " · repeat \(r.repeatCount)" }
                if let loop = r.foreach { line += " · foreach \(loop.item) in \(loop.list) (at most \(loop.max))" }
                if r.continueOnFailure { line += " · continue on failure" }
                if i < flow.groupOfStep.count, let g = flow.groupOfStep[i] { line += " · group \(flow.groups[g])" }
                lines.append(line)
            }
        }
        return lines
    }

    static func think(_ t: ThinkTime) -> String {
        switch t {
        case .fixed(let d): return DurationParser.format(micros: d)
        case .uniform(let lo, let hi): return "uniform \(DurationParser.format(micros: lo))–\(DurationParser.format(micros: hi))"
        case .normal(let mean, let sd): return "normal \(DurationParser.format(micros: mean)) ± \(DurationParser.format(micros: sd))"
        }
    }

    static func source(_ s: Capture.Source) -> String {
        switch s {
        case .json(let path, let pick): return "json \(path)" + (pick == .first ? "" : ", pick \(pick.rawValue)")
        case .jsonList(let path): return "json \(path), list"
        case .regex(let r): return "regex \(r)" + (r.group == 1 ? "" : ", group \(r.group)")
        case .header(let name, let r): return "header \(name)" + (r.map { ", regex \($0)" + ($0.group == 1 ? "" : ", group \($0.group)") } ?? "")
        case .cookie(let name): return "cookie \(name)"
        case .status: return "status"
        }
    }
}
