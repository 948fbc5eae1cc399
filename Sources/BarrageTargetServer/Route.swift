/// What a request asks the target server for, decided from its URI alone.
///
/// Parsing is a pure function of the request target so the routing table can be tested without a
/// socket. A known route with a malformed or out-of-range parameter is `.badRequest` (400); an
/// unknown path is `.notFound` (404).
enum Route: Equatable, Sendable {
    /// `/`: 200 `ok`.
    case root
    /// `/bytes/N`: 200 with `byteCount` body bytes, sent as fast as the peer reads them.
    case bytes(byteCount: Int)
    /// `/delay/MS`: 200 `ok` after `delayMillis` milliseconds.
    case delay(delayMillis: Int64)
    /// `/status/CODE`: that status, for codes 200...599.
    case status(code: Int)
    /// `/drip/N?rate=BYTES_PER_SECOND`: 200 with `byteCount` bytes paced at `bytesPerSecond`
    /// (unpaced when `nil`).
    case drip(byteCount: Int, bytesPerSecond: Int?)
    /// `/echo`: 200 with the request body.
    case echo
    /// `/stats`: 200 JSON `{"requests": N}`.
    case stats
    /// An unknown path.
    case notFound
    /// A known route whose parameter does not parse or is out of range.
    case badRequest

    /// The longest `/delay` accepted (one hour), so the delay always fits a `TimeAmount`.
    static let maxDelayMillis: Int64 = 3_600_000

    /// Routes the request target `uri` (origin form, e.g. `/drip/10?rate=5`).
    init(uri: String) {
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
        default:
            self = .notFound
        }
    }

    /// Decimal digits only (no sign, no spaces), fitting an `Int`.
    private static func nonNegativeInt(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int(text)
    }
}
