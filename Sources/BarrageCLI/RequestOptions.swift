import ArgumentParser
import Foundation
import BarrageCore
import BarrageEngine

/// Flags that shape each request, shared by every subcommand that sends requests.
struct RequestOptions: ParsableArguments {
    @Option(name: [.customShort("m"), .customLong("method")], help: "HTTP method (default GET).")
    var methodFlag: String?

    var method: String { methodFlag ?? "GET" }

    @Option(name: [.customShort("H"), .long], help: ArgumentHelp("Request header, 'Name: value' (repeatable).", valueName: "header"))
    var header: [String] = []

    @Option(help: "Request body.")
    var body: String?

    @Option(help: ArgumentHelp("Request body read from a file.", valueName: "path"))
    var bodyFile: String?

    @Option(name: .customLong("timeout"), help: ArgumentHelp("Per-request timeout (default 30s).", valueName: "duration"))
    var timeoutFlag: String?

    @Option(name: .customLong("connect-timeout"), help: ArgumentHelp("Connection timeout (default 10s).", valueName: "duration"))
    var connectTimeoutFlag: String?

    var timeout: String { timeoutFlag ?? "30s" }
    var connectTimeout: String { connectTimeoutFlag ?? "10s" }

    @Flag(help: "Open a new connection for every request.")
    var noKeepalive = false

    func validate() throws {
        let m = method
        guard !m.isEmpty, m.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-" || $0 == "_") }) else {
            throw BarrageError.usage("--method '\(method)': not an HTTP method")
        }
        for h in header { try Self.checkHeader(h) }
        if body != nil && bodyFile != nil {
            throw BarrageError.usage("--body and --body-file: give one, not both")
        }
        _ = try timeoutMicros()
        _ = try connectTimeoutMicros()
    }

    static func checkHeader(_ h: String) throws {
        guard let colon = h.firstIndex(of: ":") else {
            throw BarrageError.usage("--header '\(Redaction.header(h))': expected 'Name: value'")
        }
        let name = h[..<colon]
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != ":" && ($0.isLetter || $0.isNumber || "!#$%&'*+-.^_`|~".contains($0)) }) else {
            throw BarrageError.usage("--header '\(Redaction.header(h))': invalid header name")
        }
        guard !h.contains("\r"), !h.contains("\n") else {
            throw BarrageError.usage("--header '\(Redaction.header(h))': contains a line break")
        }
    }

    func timeoutMicros() throws -> Int64 {
        try Self.duration(timeout, flag: "--timeout", min: 1_000, max: 3_600_000_000)
    }

    func connectTimeoutMicros() throws -> Int64 {
        try Self.duration(connectTimeout, flag: "--connect-timeout", min: 1_000, max: 3_600_000_000)
    }

    /// Parses a duration flag, naming the flag and the bounds when it is out of range.
    static func duration(_ text: String, flag: String, min: Int64, max: Int64) throws -> Int64 {
        guard let v = DurationParser.micros(text) else {
            throw BarrageError.usage("\(flag) '\(text)': not a duration (use e.g. 250ms, 10s, 2m, 1h)")
        }
        guard v >= min, v <= max else {
            throw BarrageError.usage("\(flag) '\(text)': must be between \(DurationParser.format(micros: min)) and \(DurationParser.format(micros: max))")
        }
        return v
    }

    /// Checks a URL: http or https with a host.
    static func checkURL(_ text: String) throws {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else {
            throw BarrageError.usage("URL '\(Redaction.url(text))': expected http:// or https:// with a host")
        }
    }

    /// The request target, reading the body file if one was named.
    func target(url: String) throws -> RequestTarget {
        var bytes: [UInt8] = []
        if let body { bytes = Array(body.utf8) }
        if let bodyFile {
            guard let data = FileManager.default.contents(atPath: bodyFile) else {
                throw BarrageError.usage("--body-file \(bodyFile): cannot read the file")
            }
            bytes = Array(data)
        }
        return RequestTarget(url: url, method: method.uppercased(), headers: header, body: bytes)
    }

    /// A closed-model plan for these request options.
    func plan(url: String, concurrency: Int, requests: Int?, durationMicros: Int64?, threads: Int?) throws -> RunPlan {
        RunPlan(
            concurrency: concurrency,
            requestLimit: requests,
            durationMicros: durationMicros,
            targets: [try target(url: url)],
            timeoutMicros: try timeoutMicros(),
            connectTimeoutMicros: try connectTimeoutMicros(),
            threads: threads ?? SystemLimits.availableCPUs(),
            keepAlive: !noKeepalive
        )
    }

    /// Applies the flags that override a profile: method, headers (same name replaces), body, timeouts.
    func override(_ plan: inout RunPlan) throws {
        var bodyBytes: [UInt8]? = nil
        if let body { bodyBytes = Array(body.utf8) }
        if let bodyFile {
            guard let data = FileManager.default.contents(atPath: bodyFile) else {
                throw BarrageError.usage("--body-file \(bodyFile): cannot read the file")
            }
            bodyBytes = Array(data)
        }
        for i in plan.targets.indices {
            if let methodFlag { plan.targets[i].method = methodFlag.uppercased() }
            if let bodyBytes { plan.targets[i].body = bodyBytes }
            plan.targets[i].headers = HeaderLines.merge(plan.targets[i].headers, header)
            if timeoutFlag != nil { plan.targets[i].timeoutMicros = nil }
        }
        if timeoutFlag != nil { plan.timeoutMicros = try timeoutMicros() }
        if connectTimeoutFlag != nil { plan.connectTimeoutMicros = try connectTimeoutMicros() }
        if noKeepalive { plan.keepAlive = false }
    }
}
