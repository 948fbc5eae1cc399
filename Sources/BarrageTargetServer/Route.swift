import Foundation
/// What a request asks the target server for, decided from its URI alone.
///
/// Parsing is a pure function of the request target so the routing table can be tested without a
/// socket. A known route with a malformed or out-of-range parameter is `.badRequest` (400); an
/// unknown path is `.notFound` (404). Unknown query parameters are ignored; a repeated one takes
/// its last value.
///
/// Durations (`DUR`) are whole numbers with a unit: `500ms`, `3s`.
enum Route: Equatable, Sendable {
    /// `/`: 200 `ok`.
    case root
    /// `/bytes/N`: 200 with `byteCount` body bytes, sent as fast as the peer reads them.
    case bytes(byteCount: Int)
    /// `/delay/MS`: 200 `ok` after `delayMillis` milliseconds.
    case delay(delayMillis: Int64)
    /// `/status/CODE`: that status, for codes 200...599.
    case status(code: Int)
    /// `/redirect/N`: 302 to `/redirect/N-1`; `/redirect/0` answers 200 `ok`.
    case redirect(remaining: Int)
    /// `/drip/N?rate=BYTES_PER_SECOND`: 200 with `byteCount` bytes paced at `bytesPerSecond`
    /// (unpaced when `nil`).
    case drip(byteCount: Int, bytesPerSecond: Int?)
    /// `/echo`: 200 with the request body.
    case echo
    /// `/stats`: 200 JSON `{"requests": N}`.
    case stats
    /// `/stall?at=DUR&for=DUR[&delay=MS]`: 200 `ok`, but the server as a whole stalls once, a
    /// coordinated-omission test aid. The stall window is `[start + at, start + at + for)`, where
    /// `start` is the server's start or its last ``TargetServer/resetClock()``. A request that
    /// arrives inside the window is answered when the window ends; one arriving outside it is
    /// answered after `delayMillis` (0 by default), except that a response falling due inside the
    /// window is held until the window ends (nothing is answered during the stall). `at` and `for`
    /// are required, each at most ``maxStallMillis``; `delay` is at most ``maxDelayMillis``.
    case stall(atMillis: Int64, forMillis: Int64, delayMillis: Int64)
    /// `/fault/…`: a deliberately broken or unreliable response; see ``Fault``. Counted in
    /// ``TargetServer/requestsReceived`` like any request.
    case fault(Fault)
    /// `/api/…`: the stateful demo API (login, items, cart, session); see ``API`` and ``DemoAPI``. Unlike the other
    /// routes, its answers depend on the method, headers and body.
    case api(API)
    /// `/capacity?n=N&ms=S&queue=Q&key=K`: a service with a known capacity. At most `concurrency` requests of `key`
    /// are served at once across the whole server, each holding its slot `serviceMillis` ms, then answered 200 `ok`;
    /// later ones wait first in, first out, up to `queueLimit` of them; beyond that 503 at once. So the key's
    /// capacity is exactly `concurrency × 1000 / serviceMillis` requests a second. Defaults n=4, ms=10, queue=1000,
    /// key=default; `n` is 1...``maxCapacityConcurrency``, `ms` 1...``maxDelayMillis``, `queue`
    /// 0...``maxCapacityQueue``, `key` 1...64 characters of `A-Z a-z 0-9 . _ ~ -`. See ``CapacityLimiter``.
    case capacity(key: String, concurrency: Int, serviceMillis: Int64, queueLimit: Int)
    /// `/ws?delay_ms=D&close_after=N&close_code=C&refuse=S&greet=TEXT&max_message=B`: the WebSocket echo route. A
    /// `GET` with a valid upgrade (and no `refuse`) is upgraded by NIO's server upgrader before it reaches the request
    /// handler (see ``WebSocketEchoHandler``); what reaches the handler is answered `refuse`'s status, or 426 Upgrade
    /// Required. See ``WebSocketOptions`` for the parameters.
    case webSocket(WebSocketOptions)
    /// An unknown path.
    case notFound
    /// A known route whose parameter does not parse or is out of range.
    case badRequest
    /// Like ``badRequest``, with a one-line `message` naming the parameter and its range (answered as the body).
    case badParameter(message: String)

    /// The failures served under `/fault/`.
    enum Fault: Equatable, Sendable {
        /// `/fault/reset?after=N`: a 200 head with `Content-Length: 1000`, `bodyBytes` body bytes
        /// (default 10, at most 999), then a TCP reset (`SO_LINGER` 0, then close: the peer sees
        /// `ECONNRESET`).
        case reset(bodyBytes: Int)
        /// `/fault/close`: the connection is closed without any response.
        case close
        /// `/fault/stall-headers`: `HTTP/1.1 200 OK\r\n` and then nothing, ever. The connection
        /// stays open (no timer) until the peer closes it or the server shuts down.
        case stallHeaders
        /// `/fault/truncate?send=N&claim=M`: a 200 head with `Content-Length: M` (default 1000),
        /// `sentBytes` body bytes (fewer than `claimedBytes`; default 100, or `claim - 1` when
        /// that is smaller), then the connection is closed (FIN).
        case truncate(sentBytes: Int, claimedBytes: Int)
        /// `/fault/bad-status`: the raw bytes `HTTP/1.1 abc OK\r\n\r\n` (a malformed status line),
        /// then the connection is closed.
        case badStatus
        /// `/fault/huge-headers?kb=N`: a 200 `ok` whose filler header lines (`x-filler-NNNNN`, 1 KiB
        /// each, CRLF included) total `kilobytes` KiB: 400 by default (past libcurl's 300 KB
        /// limit), at most ``maxHugeHeaderKilobytes``.
        case hugeHeaders(kilobytes: Int)
        /// `/fault/ratio?p=P&seed=S`: 503 for a fraction `failureFraction` (0...1, required) of
        /// requests, 200 `ok` otherwise; `seed` (0...2^64-1, default 0) shifts the pattern. See
        /// ``ratioFails(requestIndex:failureFraction:seed:)``.
        case ratio(failureFraction: Double, seed: UInt64)
        /// `/fault/close-every?n=N`: 200 `ok`, but when it is the N-th, 2N-th, … request on its
        /// connection (counting every request on that connection) the response carries
        /// `Connection: close` and the connection is closed after it. `n` is required, at least 1.
        case closeEvery(requests: Int)

        /// Whether request `requestIndex` (0-based, from the `/fault/ratio` route's own counter)
        /// fails.
        ///
        /// A Sturmian (Bresenham) sequence: with `x = requestIndex · p + φ`, the request fails
        /// when `⌊x + p⌋ > ⌊x⌋`, i.e. when the running total `⌊(i + 1)·p + φ⌋` steps up. The phase
        /// `φ` is the fractional part of `seed · 0.6180339887…`. So any N consecutive requests
        /// hold exactly `⌊N·p⌋` or `⌈N·p⌉` failures (300 ± 0 or 1 of 1,000 at p = 0.3), whatever
        /// the seed and wherever the run starts. Computed in 64-bit fixed point, wrapping, so the
        /// result is exact and the same on every platform.
        static func ratioFails(requestIndex: UInt64, failureFraction: Double, seed: UInt64) -> Bool {
            guard failureFraction < 1 else { return true }
            guard failureFraction > 0 else { return false }
            // p and φ as fractions of 2^64; a carry out of the low word is ⌊x⌋ stepping up.
            let step = UInt64(failureFraction * 18_446_744_073_709_551_616.0)
            let phase = seed &* 0x9E37_79B9_7F4A_7C15
            let position = requestIndex &* step &+ phase
            return position > UInt64.max - step
        }
    }

    /// The demo API's endpoints, from the URI alone. The method, token and body are checked by ``DemoAPI``.
    enum API: Equatable, Sendable {
        /// `/api/login`.
        case login
        /// `/api/items[?n=N]`: the first `count` items (``DemoAPI/defaultItemCount`` without `n`; `n` is
        /// 0...``DemoAPI/maxItemCount``).
        case items(count: Int)
        /// `/api/items/ID`, ID in 1...``DemoAPI/maxItemCount``.
        case item(id: Int)
        /// `/api/cart`.
        case cart
        /// `/api/cart/N/pay`, N ≥ 1 (whether cart N was issued is checked by ``DemoAPI``).
        case pay(cartID: Int)
        /// `/api/session`.
        case session
        /// An `/api/` path that names nothing: an unknown path, an item ID outside 1...``DemoAPI/maxItemCount`` or
        /// not a number, a cart ID that is not a number ≥ 1. Answered 404 in JSON.
        case notFound
        /// A known API path with a malformed query (`/api/items?n=x`, or `n` past ``DemoAPI/maxItemCount``).
        /// Answered 400 in JSON.
        case badRequest

        /// Routes the path segments after `api` (`["items", "7"]`) and the query.
        init(segments: ArraySlice<Substring>, query: Substring?) {
            switch (segments.first ?? "", segments.count) {
            case ("login", 1):
                self = .login
            case ("items", 1):
                let count = Route.int(
                    Route.parameters(query)["n"],
                    default: DemoAPI.defaultItemCount,
                    in: 0...DemoAPI.maxItemCount
                )
                self = count.map { .items(count: $0) } ?? .badRequest
            case ("items", 2):
                let id = Route.nonNegativeInt(segments[segments.startIndex + 1])
                self = id.flatMap { (1...DemoAPI.maxItemCount).contains($0) ? .item(id: $0) : nil } ?? .notFound
            case ("cart", 1):
                self = .cart
            case ("cart", 3) where segments[segments.startIndex + 2] == "pay":
                let id = Route.nonNegativeInt(segments[segments.startIndex + 1])
                self = id.flatMap { $0 >= 1 ? .pay(cartID: $0) : nil } ?? .notFound
            case ("session", 1):
                self = .session
            default:
                self = .notFound
            }
        }
    }

    /// The longest `/delay` (and `/stall` `delay`) accepted (one hour), so the delay always fits
    /// a `TimeAmount`.
    static let maxDelayMillis: Int64 = 3_600_000
    /// The longest `/stall` `at` or `for` accepted (one day).
    static let maxStallMillis: Int64 = 86_400_000
    /// `/fault/reset` always claims this many body bytes.
    static let resetClaimedBytes = 1000
    /// The largest `/fault/huge-headers` `kb` accepted (4 MiB of headers).
    static let maxHugeHeaderKilobytes = 4096
    /// The largest `/capacity` `n` accepted.
    static let maxCapacityConcurrency = 100_000
    /// The largest `/capacity` `queue` accepted.
    static let maxCapacityQueue = 1_000_000

    /// Routes the request target `uri`: origin form (`/drip/10?rate=5`), or absolute form
    /// (`http://any.host/drip/10`, as clients send through a proxy — servers must accept it, RFC 9112 §3.2.2), which
    /// lets tests use this server as a forward proxy.
    init(uri rawURI: String) {
        var uri = Substring(rawURI)
        if let scheme = uri.range(of: "://"), uri[..<scheme.lowerBound].allSatisfy({ $0.isLetter }) {
            let afterAuthority = uri[scheme.upperBound...]
            uri = afterAuthority.firstIndex(of: "/").map { afterAuthority[$0...] } ?? "/"
        }
        let pathAndQuery = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = pathAndQuery.first ?? ""
        let query = pathAndQuery.count > 1 ? pathAndQuery[1] : nil
        guard path.first == "/" else {
            self = .notFound
            return
        }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        switch (segments.first ?? "", segments.count) {
        case ("", 1):
            self = .root
        case ("echo", 1):
            self = .echo
        case ("stats", 1):
            self = .stats
        case ("ws", 1):
            self = WebSocketOptions.route(query: Route.parameters(query))
        case ("api", _) where segments.count >= 2:
            self = .api(API(segments: segments.dropFirst(), query: query))
        case ("bytes", 2):
            guard let byteCount = Route.nonNegativeInt(segments[1]) else {
                self = .badRequest
                return
            }
            self = .bytes(byteCount: byteCount)
        case ("delay", 2):
            guard let millis = Route.nonNegativeInt(segments[1]), Int64(millis) <= Route.maxDelayMillis else {
                self = .badRequest
                return
            }
            self = .delay(delayMillis: Int64(millis))
        case ("redirect", 2):
            guard let n = Route.nonNegativeInt(segments[1]), n <= 1_000 else {
                self = .badRequest
                return
            }
            self = .redirect(remaining: n)
        case ("status", 2):
            guard let code = Route.nonNegativeInt(segments[1]), (200...599).contains(code) else {
                self = .badRequest
                return
            }
            self = .status(code: code)
        case ("drip", 2):
            guard let byteCount = Route.nonNegativeInt(segments[1]) else {
                self = .badRequest
                return
            }
            var bytesPerSecond: Int? = nil
            for pair in (query ?? "").split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard keyValue[0] == "rate" else { continue }
                guard keyValue.count == 2, let rate = Route.nonNegativeInt(keyValue[1]), rate > 0 else {
                    self = .badRequest
                    return
                }
                bytesPerSecond = rate
            }
            self = .drip(byteCount: byteCount, bytesPerSecond: bytesPerSecond)
        case ("stall", 1):
            self = Route.stall(query: Route.parameters(query)) ?? .badRequest
        case ("capacity", 1):
            self = Route.capacity(query: Route.parameters(query))
        case ("fault", 2):
            let parameters = Route.parameters(query)
            let fault: Fault?
            switch segments[1] {
            case "reset":
                fault = Route.int(parameters["after"], default: 10, in: 0...(Route.resetClaimedBytes - 1))
                    .map { .reset(bodyBytes: $0) }
            case "close":
                fault = .close
            case "stall-headers":
                fault = .stallHeaders
            case "truncate":
                if let claimed = Route.int(parameters["claim"], default: 1000, in: 1...Int.max),
                    let sent = Route.int(parameters["send"], default: min(100, claimed - 1), in: 0...(claimed - 1))
                {
                    fault = .truncate(sentBytes: sent, claimedBytes: claimed)
                } else {
                    fault = nil
                }
            case "bad-status":
                fault = .badStatus
            case "huge-headers":
                fault = Route.int(parameters["kb"], default: 400, in: 0...Route.maxHugeHeaderKilobytes)
                    .map { .hugeHeaders(kilobytes: $0) }
            case "ratio":
                let seed: UInt64? = parameters["seed"].map { Route.isDigits($0) ? UInt64($0) : nil } ?? 0
                if let p = parameters["p"].flatMap(Route.fraction), let seed {
                    fault = .ratio(failureFraction: p, seed: seed)
                } else {
                    fault = nil
                }
            case "close-every":
                fault = Route.int(parameters["n"], default: 0, in: 1...Int.max).map { .closeEvery(requests: $0) }
            default:
                self = .notFound
                return
            }
            self = fault.map { .fault($0) } ?? .badRequest
        default:
            self = .notFound
        }
    }

    /// `/stall`'s parameters, or `nil` when one is missing, malformed or out of range.
    private static func stall(query parameters: [Substring: Substring]) -> Route? {
        guard let at = parameters["at"].flatMap(durationMillis), at <= maxStallMillis,
            let length = parameters["for"].flatMap(durationMillis), length <= maxStallMillis
        else { return nil }
        var delay: Int64 = 0
        if let text = parameters["delay"] {
            guard let millis = nonNegativeInt(text), Int64(millis) <= maxDelayMillis else { return nil }
            delay = Int64(millis)
        }
        return .stall(atMillis: at, forMillis: length, delayMillis: delay)
    }

    /// `/capacity`'s parameters, or ``badParameter(message:)`` naming the first bad one.
    private static func capacity(query parameters: [Substring: Substring]) -> Route {
        guard let concurrency = int(parameters["n"], default: 4, in: 1...maxCapacityConcurrency) else {
            return .badParameter(message: "bad request: n must be an integer in 1...\(maxCapacityConcurrency)")
        }
        guard let serviceMillis = int(parameters["ms"], default: 10, in: 1...Int(maxDelayMillis)) else {
            return .badParameter(message: "bad request: ms must be an integer in 1...\(maxDelayMillis)")
        }
        guard let queueLimit = int(parameters["queue"], default: 1000, in: 0...maxCapacityQueue) else {
            return .badParameter(message: "bad request: queue must be an integer in 0...\(maxCapacityQueue)")
        }
        let key = parameters["key"] ?? "default"
        let allowed = key.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || ".-_~".utf8.contains(byte)
        }
        guard (1...64).contains(key.utf8.count), allowed else {
            return .badParameter(message: "bad request: key must be 1-64 characters of A-Z a-z 0-9 . _ ~ -")
        }
        return .capacity(key: String(key), concurrency: concurrency, serviceMillis: Int64(serviceMillis), queueLimit: queueLimit)
    }

    /// The query's `key=value` pairs; a key without `=` maps to the empty string (which no
    /// parameter accepts), and a repeated key keeps its last value.
    static func parameters(_ query: Substring?) -> [Substring: Substring] {
        var parameters: [Substring: Substring] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            parameters[keyValue[0]] = keyValue.count == 2 ? keyValue[1] : ""
        }
        return parameters
    }

    /// An optional integer parameter: `defaultValue` when absent, `nil` when malformed or outside
    /// `range`.
    static func int(_ text: Substring?, default defaultValue: Int, in range: ClosedRange<Int>) -> Int? {
        guard let text else { return range.contains(defaultValue) ? defaultValue : nil }
        guard let value = nonNegativeInt(text), range.contains(value) else { return nil }
        return value
    }

    /// `DIGITSms` or `DIGITSs` in milliseconds; `nil` when malformed or past `Int64`.
    static func durationMillis(_ text: Substring) -> Int64? {
        if text.hasSuffix("ms") {
            return nonNegativeInt(text.dropLast(2)).map(Int64.init)
        }
        if text.hasSuffix("s") {
            let (millis, overflow) = nonNegativeInt(text.dropLast()).map(Int64.init)?
                .multipliedReportingOverflow(by: 1000) ?? (0, true)
            return overflow ? nil : millis
        }
        return nil
    }

    /// `DIGITS` or `DIGITS.DIGITS` in 0...1.
    private static func fraction(_ text: Substring) -> Double? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.allSatisfy({ isDigits($0) }), let value = Double(text), (0...1).contains(value) else {
            return nil
        }
        return value
    }

    /// Decimal digits only (no sign, no spaces), fitting an `Int`.
    fileprivate static func nonNegativeInt(_ text: Substring) -> Int? {
        guard isDigits(text) else { return nil }
        return Int(text)
    }

    private static func isDigits(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}

extension TargetServer {
    /// Every route with an example request and what it answers (at most 40 characters), for `serve --help`; a
    /// test routes each example.
    public static let routeHelp: [(example: String, answer: String)] = [
        ("/", "200 ok"),
        ("/bytes/1024", "200 with N body bytes"),
        ("/delay/50", "200 ok after N milliseconds"),
        ("/status/503", "that status (200-599)"),
        ("/redirect/3", "302 to /redirect/N-1 (N = 0: 200)"),
        ("/drip/1000?rate=100", "N bytes paced at rate bytes/s"),
        ("/echo", "200 with the request body"),
        ("/stats", "200 JSON {\"requests\": N, \"api\": {…}}"),
        ("/stall?at=2s&for=1s&delay=5", "the server stalls once (at, for)"),
        ("/capacity?n=4&ms=10&queue=1000&key=a", "N at once for S ms, FIFO queue, 503"),
        ("/ws?delay_ms=0&close_after=10", "WebSocket echo (426 without upgrade)"),
        ("/fault/reset?after=10", "TCP reset after N of 1000 body bytes"),
        ("/fault/close", "closed without a response"),
        ("/fault/stall-headers", "a status line, then nothing"),
        ("/fault/truncate?send=100&claim=1000", "a body cut short, then FIN"),
        ("/fault/bad-status", "a malformed status line"),
        ("/fault/huge-headers?kb=400", "N KiB of headers"),
        ("/fault/ratio?p=0.3&seed=1", "503 for a fraction p, else 200"),
        ("/fault/close-every?n=100", "Connection: close every N-th request"),
        ("/api/login", "POST user, password: token and cookie"),
        ("/api/items?n=20", "GET: JSON list of N items (default 20)"),
        ("/api/items/7", "GET: item 7 (Bearer token required)"),
        ("/api/cart", "POST: 201, Location (Bearer token)"),
        ("/api/cart/1/pay", "POST: pays cart 1 (Bearer token)"),
        ("/api/session", "GET: the session cookie's user"),
    ]
}
