import ArgumentParser
import Foundation
import BarrageCore
import BarrageEngine

/// Flags that shape each request, shared by every subcommand that sends requests.
struct RequestOptions: ParsableArguments {
    @Option(name: [.customShort("m"), .customLong("method")], help: "HTTP method (default GET).")
    var methodFlag: String?

    var method: String { methodFlag ?? "GET" }

    @Option(name: [.customShort("H"), .long], help: ArgumentHelp("Request header, 'Name: value' (repeatable). No User-Agent is sent unless given here.", valueName: "header"))
    var header: [String] = []

    @Option(parsing: .unconditional, help: "Request body.")
    var body: String?

    @Option(help: ArgumentHelp("Request body read from a file.", valueName: "path"))
    var bodyFile: String?

    @Option(name: .customLong("timeout"), parsing: .unconditional, help: ArgumentHelp("Per-request timeout (default 30s).", valueName: "duration"))
    var timeoutFlag: FlagValue.Duration?

    @Option(name: .customLong("connect-timeout"), parsing: .unconditional, help: ArgumentHelp("Connection timeout (default 10s).", valueName: "duration"))
    var connectTimeoutFlag: FlagValue.Duration?

    var timeout: FlagValue.Duration { timeoutFlag ?? FlagValue.Duration(argument: "30s") }
    var connectTimeout: FlagValue.Duration { connectTimeoutFlag ?? FlagValue.Duration(argument: "10s") }

    @Flag(help: "Open a new connection for every request.")
    var noKeepalive = false

    @Option(name: .customLong("http"), help: ArgumentHelp("HTTP version: 1.1, 2 (h2 over TLS, h2c with prior knowledge on http://), 3 (HTTP/3 over QUIC on https://, no fallback; needs a libcurl with HTTP/3: make release CURL=gnutls) or auto (h2 when TLS offers it).", valueName: "1.1|2|3|auto"))
    var httpVersion: String = "1.1"

    @Option(parsing: .unconditional, help: ArgumentHelp("HTTP/2: at most this many streams per connection.", valueName: "n"))
    var maxStreams: FlagValue.Whole?

    @Flag(help: "Do not verify TLS certificates (noted in the summary and the result).")
    var insecure = false

    @Option(help: ArgumentHelp("Verify TLS peers with these CA certificates (PEM).", valueName: "path"))
    var cacert: String?

    @Option(help: ArgumentHelp("Client certificate for mutual TLS (PEM).", valueName: "path"))
    var cert: String?

    @Option(help: ArgumentHelp("Private key of the client certificate (PEM).", valueName: "path"))
    var key: String?

    @Option(help: ArgumentHelp("Lowest TLS version to accept.", valueName: "1.2|1.3"))
    var tlsMin: String?

    @Option(help: ArgumentHelp("Resolve HOST:PORT to ADDR (repeatable), keeping the name for SNI and Host.", valueName: "host:port:addr"))
    var resolve: [String] = []

    @Option(help: ArgumentHelp("Connect to HOST2:PORT2 for requests to HOST:PORT (repeatable).", valueName: "host:port:host2:port2"))
    var connectTo: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("Follow up to N redirects (default: do not follow; redirects are counted by status).", valueName: "n"))
    var followRedirects: FlagValue.Whole?

    @Flag(help: "Ask for compressed bodies (Accept-Encoding) and count decoded bytes.")
    var compressed = false

    @Option(help: ArgumentHelp("Send requests through this proxy.", valueName: "url"))
    var proxy: String?

    @Option(help: ArgumentHelp("Connect through this Unix domain socket.", valueName: "path"))
    var unixSocket: String?

    @Option(help: ArgumentHelp("Local source address, repeatable: used round-robin across connections.", valueName: "addr"))
    var localAddress: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("Replace a connection once it is this old (whole seconds).", valueName: "duration"))
    var maxConnectionAge: FlagValue.Duration?

    @Flag(help: "Open every worker's connection before the clock starts (one request each, at most 256 connection attempts at once), reported as the connect phase and kept out of the results.")
    var preconnect = false

    @Option(parsing: .unconditional, help: ArgumentHelp("libcurl's receive buffer per connection, 1k to 512k (default 16k; 4k from 1,000 connections per process).", valueName: "bytes"))
    var bufferSize: FlagValue.Size?

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
        _ = try transport()
        guard ["1.1", "2", "3", "auto"].contains(httpVersion) else {
            throw BarrageError.usage("--http '\(httpVersion)': expected 1.1, 2, 3 or auto")
        }
    }

    /// h2c with prior knowledge breaks on connection reuse before libcurl 8.0.0 (curl issue 10634): refuse it there
    /// rather than report a run of framing errors. Decided by the libcurl loaded at run time (`LibcurlInfo.loaded`),
    /// so the same binary allows it with 8.x on `LD_LIBRARY_PATH`; the refusal names the install line for 8.x.
    static func checkH2C(httpVersion: String, urls: [String], libcurl: LibcurlInfo = .loaded) throws {
        guard httpVersion == "2", urls.contains(where: { $0.lowercased().hasPrefix("http://") }) else { return }
        if !libcurl.supports(.h2c) {
            let reason = libcurl.atLeast(8, 0) ? "built without HTTP/2" : "its reused h2c connections fail, curl issue 10634; or use https:// for HTTP/2"
            throw BarrageError.usage(libcurl.refusal(.h2c, flag: "--http 2 on http:// (h2c with prior knowledge)", reason: reason))
        }
    }

    /// What the HTTP version asks of the loaded libcurl and the URLs: h2c (`checkH2C`) and HTTP/3 (`checkHTTP3`).
    static func checkHTTPVersion(_ httpVersion: String, urls: [String], libcurl: LibcurlInfo = .loaded) throws {
        try checkH2C(httpVersion: httpVersion, urls: urls, libcurl: libcurl)
        try checkHTTP3(httpVersion: httpVersion, urls: urls, libcurl: libcurl)
    }

    /// `--http 3` is HTTP/3 only (CURL_HTTP_VERSION_3ONLY: no quiet fallback to TCP), so it needs `https://` URLs and
    /// a loaded libcurl with the HTTP3 feature — Debian's GnuTLS flavour from bookworm-backports, which a binary
    /// linked against the OpenSSL flavour cannot load (its symbols are versioned apart): the second build,
    /// `make release CURL=gnutls`. Refused before anything is sent.
    static func checkHTTP3(httpVersion: String, urls: [String], libcurl: LibcurlInfo = .loaded) throws {
        guard httpVersion == "3" else { return }
        if let plain = urls.first(where: { !$0.lowercased().hasPrefix("https://") }) {
            throw BarrageError.usage("--http 3: HTTP/3 runs over QUIC with TLS, so it needs https:// URLs; '\(Redaction.url(plain))' is not one")
        }
        guard !libcurl.http3 else { return }
        throw BarrageError.usage(libcurl.http3Refusal)
    }

    /// The TLS and connection controls, checked.
    func transport() throws -> Transport {
        var t = Transport()
        t.httpVersion = httpVersion
        t.keepAlive = !noKeepalive
        t.insecure = insecure
        for (flag, path) in [("--cacert", cacert), ("--cert", cert), ("--key", key)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw BarrageError.usage("\(flag) \(path): cannot read the file")
            }
        }
        if (cert == nil) != (key == nil) { throw BarrageError.usage("--cert and --key: give both for mutual TLS") }
        t.caCert = cacert
        t.clientCert = cert
        t.clientKey = key
        if let tlsMin, !["1.2", "1.3"].contains(tlsMin) { throw BarrageError.usage("--tls-min '\(tlsMin)': expected 1.2 or 1.3") }
        t.tlsMin = tlsMin
        for r in resolve where r.split(separator: ":", omittingEmptySubsequences: false).count < 3 || Int(r.split(separator: ":")[1]) == nil {
            throw BarrageError.usage("--resolve '\(r)': expected HOST:PORT:ADDR")
        }
        t.resolve = resolve
        for c in connectTo where c.split(separator: ":", omittingEmptySubsequences: false).count != 4 {
            throw BarrageError.usage("--connect-to '\(c)': expected HOST:PORT:HOST2:PORT2")
        }
        t.connectTo = connectTo
        t.maxStreams = try maxStreams?.checked("--max-streams", in: 1...1_000_000)
        t.followRedirects = try followRedirects?.checked("--follow-redirects", in: 0...1_000)
        t.compressed = compressed
        t.preconnect = preconnect
        if let bufferSize { t.bufferSize = try bufferSize.checked("--buffer-size", min: 1_024, max: 524_288) }
        if let proxy {
            guard let u = URLComponents(string: proxy), u.scheme != nil, u.host != nil else {
                throw BarrageError.usage("--proxy '\(Redaction.url(proxy))': expected a URL like http://host:port")
            }
        }
        t.proxy = proxy
        t.unixSocket = unixSocket
        t.localAddresses = localAddress
        if let age = maxConnectionAge {
            t.maxConnectionAgeMicros = try age.checked("--max-connection-age", min: 1_000_000, max: 86_400_000_000)
        }
        return t
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
        try timeout.checked("--timeout", min: 1_000, max: 3_600_000_000)
    }

    func connectTimeoutMicros() throws -> Int64 {
        try connectTimeout.checked("--connect-timeout", min: 1_000, max: 3_600_000_000)
    }

    /// Checks a URL given on the command line completely (`HTTPURL`): scheme, host, port 1-65535, no raw spaces.
    static func checkURL(_ text: String) throws {
        if let problem = HTTPURL.problem(text) {
            throw BarrageError.usage("URL '\(Redaction.url(text))': \(problem)")
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

    /// The request settings a plan is built with: the timeouts (nil where not given, so a profile's own apply) and,
    /// for a profile, the method, headers and body that replace its targets'.
    func requestOverride() throws -> RequestOverride {
        var bodyBytes: [UInt8]? = nil
        if let body { bodyBytes = Array(body.utf8) }
        if let bodyFile {
            guard let data = FileManager.default.contents(atPath: bodyFile) else {
                throw BarrageError.usage("--body-file \(bodyFile): cannot read the file")
            }
            bodyBytes = Array(data)
        }
        return RequestOverride(method: methodFlag?.uppercased(), headers: header, body: bodyBytes,
                               timeoutMicros: timeoutFlag == nil ? nil : try timeoutMicros(),
                               connectTimeoutMicros: connectTimeoutFlag == nil ? nil : try connectTimeoutMicros())
    }

    /// A plan's inputs for one URL with these request options and `load`.
    func inputs(url: String, load: LoadFlags, threads: Int?) throws -> PlanInputs {
        PlanInputs(source: .flags(load, target: try target(url: url)), request: try requestOverride(), transport: try transport(),
                   threads: threads ?? SystemLimits.availableCPUs())
    }
}
