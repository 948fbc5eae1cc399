/// The closed set of ways a request can fail. Stable labels: they are JSON keys and metric labels.
/// Later features may add classes; none is ever renamed.
public enum ErrorClass: String, Sendable, CaseIterable, Codable {
    /// TCP connection refused or unreachable.
    case connect
    /// The host name could not be resolved.
    case dns
    /// The request did not finish within its timeout (or the connection within the connect timeout).
    case timeout
    /// TLS handshake or certificate verification failed.
    case tls
    /// The connection was reset or closed mid-exchange (including an empty reply).
    case read
    /// The response was malformed or truncated.
    case `protocol`
    /// Sending the request failed.
    case write
    /// A complete response with status ≥ 400 (or outside the statuses the plan expects).
    case status
    /// Anything else, including requests cut short at shutdown.
    case other
    /// A complete response that failed the target's `expect` check (status not listed, or body without the text).
    case check
    /// A flow step's capture found nothing (or its body was over the size a step keeps).
    case capture

    /// Dense index for per-thread counter arrays.
    @inlinable public var index: Int {
        switch self {
        case .connect: 0
        case .dns: 1
        case .timeout: 2
        case .tls: 3
        case .read: 4
        case .protocol: 5
        case .write: 6
        case .status: 7
        case .other: 8
        case .check: 9
        case .capture: 10
        }
    }

    public static let count = 11

    /// Classifies a finished libcurl transfer from its `CURLcode` (as a plain integer, so this stays pure)
    /// and the HTTP status it got (0 when none). Returns nil when the request is ok.
    ///
    /// The mapping of libcurl's codes (see `curl/curl.h`):
    /// - 6 COULDNT_RESOLVE_HOST, 5 COULDNT_RESOLVE_PROXY → `dns`
    /// - 7 COULDNT_CONNECT, 45 INTERFACE_FAILED → `connect`
    /// - 28 OPERATION_TIMEDOUT → `timeout`
    /// - 35, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91, 98 (SSL_*, PEER_FAILED_VERIFICATION, USE_SSL_FAILED) → `tls`
    /// - 56 RECV_ERROR, 52 GOT_NOTHING → `read`
    /// - 55 SEND_ERROR, 25 UPLOAD_FAILED, 26 READ_ERROR (reading the request body) → `write`
    /// - 8 WEIRD_SERVER_REPLY, 18 PARTIAL_FILE, 16 HTTP2, 92 HTTP2_STREAM, 61 BAD_CONTENT_ENCODING,
    ///   47 TOO_MANY_REDIRECTS, 100 TOO_LARGE, 95 HTTP3 → `protocol`
    /// - 1 UNSUPPORTED_PROTOCOL → `protocol`: URLs are checked before a run (http and https only), so during one
    ///   libcurl returns it only for a response it cannot parse as HTTP — a malformed status line
    ///   (`HTTP/1.1 abc OK`: "Unsupported HTTP version in response"), or an HTTP/0.9 reply
    /// - 0 OK with status ≥ 400 → `status`; 0 OK without a valid status (< 100) → `protocol`
    /// - anything else → `other`
    ///
    /// What the embedded server's faults give with libcurl 7.88 (HTTP/1.1):
    ///
    /// | fault | libcurl | class |
    /// | --- | --- | --- |
    /// | `/fault/reset` (reset mid-body) | 56 RECV_ERROR "Connection reset by peer" | `read` |
    /// | `/fault/close` (no response) | 52 GOT_NOTHING "Empty reply from server" | `read` |
    /// | `/fault/truncate` | 18 PARTIAL_FILE "transfer closed with N bytes remaining" | `protocol` |
    /// | `/fault/bad-status` | 1 UNSUPPORTED_PROTOCOL "Unsupported HTTP version in response" | `protocol` |
    /// | `/fault/huge-headers` (> 300 KB) | 56 RECV_ERROR "Too large response headers: N > 307200" | `read` (see below) |
    /// | `/fault/stall-headers` | 28 OPERATION_TIMEDOUT (status 200 already parsed) | `timeout` |
    /// | `/fault/ratio` (503) | 0 with status 503 | `status` |
    ///
    /// libcurl 7.88 reports its 300 KB response-header limit with the same code as a reset (56), so the code alone
    /// cannot tell that size problem from a transport failure and it stays `read`; telling them apart needs more than
    /// the code (e.g. `CURLINFO_HEADER_SIZE` past the limit: 307,262 bytes there, 81 for a reset). Where libcurl
    /// reports it as 100 TOO_LARGE instead, it is `protocol`.
    @inlinable
    public static func classify(curlCode: Int, httpStatus: Int) -> ErrorClass? {
        switch curlCode {
        case 0:
            if httpStatus >= 400 { return .status }
            return httpStatus < 100 ? .protocol : nil
        case 5, 6: return .dns
        case 7, 45: return .connect
        case 28: return .timeout
        case 35, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91, 98: return .tls
        case 52, 56: return .read
        case 25, 26, 55: return .write
        case 1, 8, 16, 18, 47, 61, 92, 95, 100: return .protocol
        default: return .other
        }
    }
}
