/// The block printed before a run (and by `validate`): what will be sent, how hard, and with which client settings.
///
/// One header line names the run; the lines under it are labelled. The file-descriptor need is shown only when it
/// matters (more than half the limit), and an open run tells its pool (the most requests in flight, hence
/// connections) apart from the connections it is expected to use (the rate times the latency, by Little's law).
public enum PlanBlock {
    /// Client facts the plan alone does not hold.
    public struct Context: Sendable {
        /// File descriptors the run needs and the process limit; nil: not known (validate).
        public var descriptorsNeeded: Int?
        public var descriptorLimit: Int?
        /// A line of advice (the connect-storm hint).
        public var hint: String?

        public init(descriptorsNeeded: Int? = nil, descriptorLimit: Int? = nil, hint: String? = nil) {
            self.descriptorsNeeded = descriptorsNeeded; self.descriptorLimit = descriptorLimit; self.hint = hint
        }
    }

    /// The header and labelled lines, without trailing newlines.
    public static func lines(_ p: PlanRecord, version: String, context: Context = Context()) -> [String] {
        var out = [header(p, version: version)]
        out += body(p)
        if let setup = p.setup {
            // `validate` describes the setup step by step; the run's block names it in one row.
            out.append(row("setup", setup.map(\.name).joined(separator: ", ")
                           + " (\(setup.count) step\(setup.count == 1 ? "" : "s"), once before the load)"))
        }
        if let needed = context.descriptorsNeeded, let limit = context.descriptorLimit, needed * 2 > limit {
            out.append(row("descriptors", "~\(grouped(needed)) needed, limit \(grouped(limit))"))
        }
        if let hint = context.hint { out.append("  " + hint) }
        return out
    }

    /// `Barrage 0.1.0 · GET http://host/ · profile smoke`: the run's one header.
    public static func header(_ p: PlanRecord, version: String) -> String {
        var parts = ["Barrage \(version)"]
        if let t = p.targets.first {
            parts.append("\(t.method) \(t.url)" + (p.targets.count > 1 ? " and \(p.targets.count - 1) more" : ""))
        }
        if let name = p.name { parts.append("profile \(name)") }
        return parts.joined(separator: " · ")
    }

    /// The labelled lines under the header: load, connections, overrides, targets (a flow's scenario and its steps),
    /// warm-up, client settings.
    public static func body(_ p: PlanRecord) -> [String] {
        if let lanes = p.scenarios {
            // Several scenarios at once: each one's own plan lines under a line that names it and its start.
            var out: [String] = []
            for lane in lanes {
                let starts = (lane.start_after_us ?? 0) > 0 ? " (starts \(DurationParser.format(micros: lane.start_after_us!)) in)" : ""
                out.append(row("scenario", scenarioLine(lane.scenario ?? "?", lane) + starts))
                out += body(lane).filter { !$0.hasPrefix("  scenario ") && !$0.hasPrefix("  client ") }.map { "  " + $0 }
            }
            var client = ["\(p.threads) thread\(p.threads == 1 ? "" : "s") (each scenario its share)",
                          "timeout \(DurationParser.format(micros: p.timeout_us))", "HTTP/\(p.http_version)"]
            if let seg = p.segment { client.append("segment \(seg.index)/\(seg.count) of this plan") }
            out.append(row("client", client.joined(separator: " · ")))
            return out
        }
        var out: [String] = []
        // A flow's `-n` bounds its iterations, not its requests (a failed step skips the rest of its iteration).
        let bounded = p.scenario == nil ? "requests" : "iterations"
        if let ws = p.websocket {
            out += webSocketLoad(p, ws)
        } else if p.model == "open" {
            let stages = p.stages.map { "\(rate($0.rate ?? 0)) by \(DurationParser.format(micros: $0.duration_us ?? 0))" }
            var load = "open model, from \(rate(p.start_rate ?? 0)): " + stages.joined(separator: ", ")
            if let n = p.expected_requests { load += "; \(grouped(n)) requests planned" }
            if p.arrival == "poisson" { load += "; poisson arrivals (seed \(p.seed ?? 0))" }
            out.append(row("load", load))
            let pool = p.max_in_flight ?? p.concurrency
            let peak = p.stages.reduce(p.start_rate ?? 0) { max($0, $1.rate ?? 0) }
            let expected = Int((peak * 0.1).rounded(.up))
            out.append(row("pool", "at most \(grouped(pool)) in flight (one connection each)"))
            out.append(row("connections", "about rate × latency: \(grouped(min(pool, expected))) at \(rate(peak)) and 100ms"
                + (expected > pool ? " (the pool caps it)" : "") + ", up to \(grouped(pool))"))
            out.append(row("lateness", "a request not sent \(DurationParser.format(micros: p.max_lateness_us ?? 0)) after its due time is dropped"))
        } else if let start = p.start_concurrency {
            let stages = p.stages.map { "\($0.concurrency ?? 0) by \(DurationParser.format(micros: $0.duration_us ?? 0))" }
            var load = "closed model, from \(start) workers: " + stages.joined(separator: ", ")
            if let n = p.requests { load += "; at most \(grouped(n)) \(bounded)" }
            out.append(row("load", load))
            out.append(row("connections", "up to \(grouped(p.concurrency)), one per worker"))
        } else {
            var load = "closed model, \(grouped(p.concurrency)) worker\(p.concurrency == 1 ? "" : "s")"
            if let d = p.duration_us { load += " for \(DurationParser.format(micros: d))" }
            if let n = p.requests { load += (p.duration_us == nil ? ", " : " or ") + "\(grouped(n)) \(bounded)" }
            out.append(row("load", load))
            out.append(row("connections", "\(grouped(p.concurrency)), one per worker"))
        }
        if let ws = p.websocket {
            // A WebSocket run: each connection has one outstanding message at a time.
            var messages = "\(ws.payload_bytes) B \(ws.frames), one outstanding per connection"
            messages += ws.rate_per_connection.map { ", \(rate($0)) per connection" } ?? ", the next when answered"
            if let n = ws.messages { messages += "; \(grouped(n)) in all" }
            out.append(row("messages", messages))
            out.append(row("answer", (ws.answer_pattern.map { "match \($0)" } ?? ws.answer)
                           + " within \(DurationParser.format(micros: ws.answer_timeout_us))"))
        }
        if let think = p.think_time_us { out.append(row("think time", DurationParser.format(micros: think))) }
        if let overrides = p.overrides, !overrides.isEmpty {
            out.append(row("overrides", overrides.joined(separator: ", ") + " (from the command line, over the profile's load)"))
        }
        if let scenario = p.scenario {
            out.append(row("scenario", scenarioLine(scenario, p)))
            for t in p.targets { out.append(row("step", "\(t.name): \(t.method) \(t.url)")) }
        } else if p.targets.count > 1 {
            for t in p.targets { out.append(row("target", "\(t.name) ×\(weight(t.weight)): \(t.method) \(t.url)")) }
        }
        if let w = p.warmup_us { out.append(row("warm-up", "\(DurationParser.format(micros: w)), kept out of the results")) }
        var client = ["\(p.threads) thread\(p.threads == 1 ? "" : "s")", "timeout \(DurationParser.format(micros: p.timeout_us))",
                      p.websocket == nil ? "HTTP/\(p.http_version)" : "WebSocket (HTTP/1.1 upgrade)"]
        if !p.keepalive { client.append("no keep-alive") }
        if p.targets.contains(where: { $0.url.lowercased().hasPrefix("https://") || $0.url.lowercased().hasPrefix("wss://") }) {
            client.append(p.tls_verify == false ? "TLS certificates NOT verified (--insecure)" : "TLS certificates verified")
        }
        if let seg = p.segment { client.append("segment \(seg.index)/\(seg.count) of this plan") }
        out.append(row("client", client.joined(separator: " · ")))
        return out
    }

    /// A WebSocket run's load and connections: a constant number of connections (closed), or connections opened at a
    /// rate (open), each sending the `messages` line's plan. `-n` counts messages, not handshakes.
    static func webSocketLoad(_ p: PlanRecord, _ ws: WebSocketPlan.Record) -> [String] {
        let budget = ws.messages.map { "\(grouped($0)) message\($0 == 1 ? "" : "s")" }
        if p.model == "open" {
            let stages = p.stages.map { "\(rate($0.rate ?? 0)) by \(DurationParser.format(micros: $0.duration_us ?? 0))" }
            var load = "open model, connections opened from \(rate(p.start_rate ?? 0)): " + stages.joined(separator: ", ")
            if let budget { load += "; at most \(budget) in all" }
            if p.arrival == "poisson" { load += "; poisson arrivals (seed \(p.seed ?? 0))" }
            let pool = p.max_in_flight ?? p.concurrency
            let each = ws.messages_per_connection.map { "each sends \(grouped($0)) message\($0 == 1 ? "" : "s"), then closes" }
                ?? "each sends its messages, then closes"
            return [row("load", load),
                    row("connections", "at most \(grouped(pool)) open at once; \(each)"),
                    row("lateness", "a connection not opened \(DurationParser.format(micros: p.max_lateness_us ?? 0)) after its due time is dropped")]
        }
        let n = p.concurrency
        var load = "closed model, \(grouped(n)) connection\(n == 1 ? "" : "s")"
        // A profile's closed load has stages (of constant connections): their durations add up.
        let staged = p.start_concurrency == nil || p.stages.isEmpty ? nil : p.stages.reduce(Int64(0)) { $0 + ($1.duration_us ?? 0) }
        let duration = p.duration_us ?? staged
        if let d = duration { load += " for \(DurationParser.format(micros: d))" }
        if let budget { load += (duration == nil ? ", " : " or ") + budget }
        let each = ws.messages_per_connection.map { "each sends \(grouped($0)) message\($0 == 1 ? "" : "s"), then closes and a new one opens" }
            ?? "each sends its messages until the run ends"
        return [row("load", load), row("connections", "\(grouped(n)) open at once; \(each)")]
    }

    /// `checkout: 4 request steps, 40 iterations`; a time-bound flow says so instead of a count.
    static func scenarioLine(_ scenario: String, _ p: PlanRecord) -> String {
        let steps = "\(p.targets.count) request step\(p.targets.count == 1 ? "" : "s")"
        let bound = p.iterations.map { "\(grouped($0)) iteration\($0 == 1 ? "" : "s")" } ?? "iterations until the time is up"
        return "\(scenario): \(steps), \(bound)"
    }

    static func row(_ label: String, _ text: String) -> String {
        "  " + label + String(repeating: " ", count: max(1, 13 - label.count)) + text
    }

    static func rate(_ r: Double) -> String { (r == r.rounded() ? grouped(Int(r)) : fixed(r, 1)) + "/s" }

    static func weight(_ w: Double) -> String { fixed(w, w == w.rounded() ? 0 : 2) }

    static func grouped(_ n: Int) -> String { TextReport.grouped(n) }
}
