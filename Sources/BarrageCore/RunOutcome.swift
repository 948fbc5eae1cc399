import Foundation

/// Whether a run measured anything, and — when not one request ended ok — what happened instead, in one line.
///
/// A run with no ok response measured nothing about the service: its latencies (if any) are of error pages and its
/// request rate is a rate of attempts. `run` exits 1 with this line (after 130 for a signal and 99 for a threshold),
/// so a dead service cannot pass a CI job that forgot its thresholds; `scale` marks each such level.
public enum RunOutcome {
    /// True when not one request ended ok (a complete response with an accepted status): every request failed or
    /// was dropped, or none was sent.
    public static func measuredNothing(_ requests: RunResult.Requests) -> Bool {
        requests.ok == 0
    }

    /// `no ok response: every request failed to connect to 127.0.0.1:1`, or nil when some request was ok.
    public static func line(_ r: RunResult) -> String? {
        if !measuredNothing(r.requests), let m = r.messages, m.total > 0, m.answered == 0 {
            // A WebSocket run whose connections opened but whose messages never got an answer measured nothing either.
            let classes = m.errors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            return "no answered message: \(m.failed) failed, \(m.dropped) dropped"
                + (classes.isEmpty ? "" : " (\(classes.joined(separator: ", ")))")
        }
        guard measuredNothing(r.requests) else { return nil }
        return "no ok response: " + explain(requests: r.requests, statusCodes: r.status_codes, errors: r.errors,
                                            destination: Destination(r.plan))
    }

    /// Where the requests went, as the failures name it.
    public struct Destination: Sendable, Equatable {
        /// What a connection was opened to: `127.0.0.1:1`, `the proxy 10.0.0.7:3128`, `the Unix socket /run/app.sock`.
        public var connect: String
        /// The name looked up: `api.example.invalid` (or the proxy's host).
        public var lookup: String

        public init(connect: String, lookup: String) {
            self.connect = connect
            self.lookup = lookup
        }

        /// From the plan's targets and transport (a proxy or a Unix socket is where the connection goes).
        public init(_ plan: PlanRecord) {
            self.init(targets: plan.targets, transport: plan.transport)
        }

        /// From targets as recorded, and the plan's connection controls (`PlanRecord.transport`) when known.
        public init(targets: [PlanRecord.Target], transport: [String: String]? = nil) {
            let transport = transport ?? [:]
            if let socket = transport["unix_socket"] {
                self.init(connect: "the Unix socket \(socket)", lookup: "the Unix socket \(socket)")
                return
            }
            if let proxy = transport["proxy"], let hp = Destination.hostPort(proxy) {
                self.init(connect: "the proxy \(hp.hostPort)", lookup: "the proxy \(hp.host)")
                return
            }
            var hostPorts: [String] = [], hosts: [String] = []
            for t in targets {
                guard let hp = Destination.hostPort(t.url) else { continue }
                if !hostPorts.contains(hp.hostPort) { hostPorts.append(hp.hostPort) }
                if !hosts.contains(hp.host) { hosts.append(hp.host) }
            }
            self.init(connect: Destination.either(hostPorts, noun: "hosts"), lookup: Destination.either(hosts, noun: "names"))
        }

        /// `a`, `a or b`, `a, b or c`, and past three `any of 4 hosts`.
        static func either(_ items: [String], noun: String) -> String {
            switch items.count {
            case 0: return "the target"
            case 1: return items[0]
            case 2, 3: return items.dropLast().joined(separator: ", ") + " or " + items.last!
            default: return "any of \(items.count) \(noun)"
            }
        }

        /// `host:port` of a URL, the port defaulted from the scheme; IPv6 hosts in brackets.
        static func hostPort(_ url: String) -> (host: String, hostPort: String)? {
            guard let c = URLComponents(string: url), let rawHost = c.host, !rawHost.isEmpty else { return nil }
            let host = rawHost.contains(":") && !rawHost.hasPrefix("[") ? "[\(rawHost)]" : rawHost
            let scheme = c.scheme?.lowercased() ?? "http"
            let port = c.port ?? (scheme == "https" ? 443 : (scheme.hasPrefix("socks") ? 1080 : 80))
            return (host, "\(host):\(port)")
        }
    }

    /// What happened to the requests of a run (or a part of one) with no ok response, without the `no ok response: `
    /// prefix. One cause: `every request failed to connect to 127.0.0.1:1`, `every response was an error status
    /// (503: 12)`; several: `a mix: 7 failed to connect to 127.0.0.1:1, 5 got an error status (503: 5)`.
    public static func explain(requests q: RunResult.Requests, statusCodes: [String: Int], errors: [String: Int],
                               destination: Destination) -> String {
        if q.total == 0 { return "no request was sent" }
        var counts = errors.filter { $0.value > 0 }
        if q.dropped > 0 { counts["dropped"] = q.dropped }
        let causes = counts.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }
            .map { (name: $0.key, count: $0.value) }
        if causes.count == 1 {
            return every(causes[0].name, statusCodes: statusCodes, destination: destination)
        }
        if causes.isEmpty {
            // Failures without a class (a result from elsewhere): say what the counts say.
            return "\(TextReport.grouped(q.failed)) failed, \(TextReport.grouped(q.dropped)) dropped"
        }
        return "a mix: " + causes.map { some($0.name, $0.count, statusCodes: statusCodes, destination: destination) }
            .joined(separator: ", ")
    }

    /// The whole run failed one way.
    static func every(_ cause: String, statusCodes: [String: Int], destination d: Destination) -> String {
        switch cause {
        case "connect": return "every request failed to connect to \(d.connect)"
        case "dns": return "every request failed to resolve \(d.lookup)"
        case "timeout": return "every request timed out"
        case "tls": return "every request failed the TLS handshake with \(d.connect)"
        case "read": return "every connection was reset or closed before a complete response"
        case "protocol": return "every response was malformed or truncated"
        case "write": return "every request failed while being sent"
        case "status":
            let codes = codeList(statusCodes)
            return allErrorCodes(statusCodes)
                ? "every response was an error status (\(codes))"
                : "every response had a status the plan does not accept (\(codes))"
        case "check": return "every response failed its expect check"
        case "capture": return "every response failed a capture"
        case "dropped": return "every request was dropped: none could be sent within the allowed lateness"
        default: return "every request failed (\(cause))"
        }
    }

    /// `n` requests of a mixture that failed one way.
    static func some(_ cause: String, _ n: Int, statusCodes: [String: Int], destination d: Destination) -> String {
        let count = TextReport.grouped(n)
        switch cause {
        case "connect": return "\(count) failed to connect to \(d.connect)"
        case "dns": return "\(count) failed to resolve \(d.lookup)"
        case "timeout": return "\(count) timed out"
        case "tls": return "\(count) failed the TLS handshake"
        case "read": return "\(count) lost the connection"
        case "protocol": return "\(count) got a malformed response"
        case "write": return "\(count) failed while being sent"
        case "status":
            let errorCodes = statusCodes.filter { (Int($0.key) ?? 0) >= 400 }
            return "\(count) got an error status" + (errorCodes.isEmpty ? "" : " (\(codeList(errorCodes)))")
        case "check": return "\(count) failed the expect check"
        case "capture": return "\(count) failed a capture"
        case "dropped": return "\(count) dropped (never sent)"
        default: return "\(count) failed (\(cause))"
        }
    }

    /// `503: 12, 502: 3` — the most frequent first, at most three, then how many more codes.
    static func codeList(_ codes: [String: Int]) -> String {
        let sorted = codes.filter { $0.value > 0 }.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }
        var parts = sorted.prefix(3).map { "\($0.key): \(TextReport.grouped($0.value))" }
        if sorted.count > 3 { parts.append("\(sorted.count - 3) more code\(sorted.count == 4 ? "" : "s")") }
        return parts.isEmpty ? "no status recorded" : parts.joined(separator: ", ")
    }

    static func allErrorCodes(_ codes: [String: Int]) -> Bool {
        codes.filter { $0.value > 0 }.allSatisfy { (Int($0.key) ?? 0) >= 400 }
    }

    /// `p99 < 1s` from `aborted_by` (`threshold 'p99 < 1s' failed (…) with abort_on_fail`); nil for another reason.
    public static func abortingThreshold(_ abortedBy: String) -> String? {
        let prefix = "threshold '"
        guard abortedBy.hasPrefix(prefix), let end = abortedBy.range(of: "' failed") else { return nil }
        let start = abortedBy.index(abortedBy.startIndex, offsetBy: prefix.count)
        guard start <= end.lowerBound else { return nil }
        return String(abortedBy[start..<end.lowerBound])
    }

    /// A run that did not finish, for its verdict: `interrupted after 12.3s` (a signal) or `aborted by threshold
    /// 'p99 < 1s' after 4.00s`; nil for a run that ran as planned. Thresholds that pass on such a run passed on the
    /// part measured, never on the run planned: every verdict says so.
    public static func cutShortText(_ r: RunResult) -> String? {
        guard r.interrupted || r.aborted_by != nil, let stop = stopText(r) else { return nil }
        return (stop == "INTERRUPTED" ? "interrupted" : stop) + " after " + DurationParser.format(micros: r.duration_us)
    }

    /// How the run ended, when not as planned: `aborted by threshold 'p99 < 1s'` or `INTERRUPTED` (a signal).
    public static func stopText(_ r: RunResult) -> String? {
        if let reason = r.aborted_by {
            return abortingThreshold(reason).map { "aborted by threshold '\($0)'" } ?? "aborted: \(reason)"
        }
        return r.interrupted ? "INTERRUPTED" : nil
    }
}
