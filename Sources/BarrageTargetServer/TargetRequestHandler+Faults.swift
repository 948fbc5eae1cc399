import NIOCore
import NIOHTTP1

/// The `/fault/…` routes: responses that break HTTP on purpose (resets, truncations, a stalled head, a bad status
/// line, huge headers, a failure ratio, closes every N requests), built on the handler's own writers.
extension TargetRequestHandler {
    /// The raw bytes of `/fault/bad-status`.
    static let badStatusBytes = ByteBuffer(string: "HTTP/1.1 abc OK\r\n\r\n")
    /// The raw bytes of `/fault/stall-headers`.
    static let stalledHeadBytes = ByteBuffer(string: "HTTP/1.1 200 OK\r\n")
    /// The value of each `/fault/huge-headers` filler line: `x-filler-NNNNN: ` (16 bytes), the
    /// value and CRLF make 1 KiB.
    static let fillerHeaderValue = String(repeating: "h", count: 1024 - 16 - 2)

    /// `x-filler-NNNNN` (14 bytes; five digits cover ``Route/maxHugeHeaderKilobytes``).
    private static func fillerHeaderName(_ line: Int) -> String {
        let digits = String(line)
        return "x-filler-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// Answers a `/fault/…` request: the misbehaviour its route names.
    func respond(context: ChannelHandlerContext, to request: HTTPRequestHead, fault: Route.Fault) {
        switch fault {
        case .reset(let bodyBytes):
            startStream(
                context: context,
                request: request,
                contentLength: Route.resetClaimedBytes,
                byteCount: bodyBytes,
                bytesPerSecond: nil,
                ending: .reset
            )
        case .close:
            closeConnection(context: context)
        case .stallHeaders:
            // Nothing more is ever written; `channelInactive` (peer close, or the event loops
            // shutting down) ends it. The pipelining handler holds any further requests, reading
            // nothing more until then, so the connection buffers at most one socket read.
            state = .hung
            writeRaw(context: context, Self.stalledHeadBytes)
        case .truncate(let sentBytes, let claimedBytes):
            startStream(
                context: context,
                request: request,
                contentLength: claimedBytes,
                byteCount: sentBytes,
                bytesPerSecond: nil,
                ending: .close
            )
        case .badStatus:
            state = .closing
            writeRaw(context: context, Self.badStatusBytes).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .hugeHeaders(let kilobytes):
            var headers = HTTPHeaders()
            headers.reserveCapacity(kilobytes)
            for line in 0..<kilobytes {
                headers.add(name: Self.fillerHeaderName(line), value: Self.fillerHeaderValue)
            }
            respond(
                context: context,
                request: request,
                status: .ok,
                contentType: "text/plain",
                body: ByteBuffer(string: "ok"),
                extraHeaders: headers
            )
        case .ratio(let failureFraction, let seed):
            let index = UInt64(bitPattern: Int64(counters.ratioRequests.next()))
            if Route.Fault.ratioFails(requestIndex: index, failureFraction: failureFraction, seed: seed) {
                respondFixed(
                    context: context,
                    request: request,
                    status: .serviceUnavailable,
                    body: "503 Service Unavailable"
                )
            } else {
                respondFixed(context: context, request: request, status: .ok, body: "ok")
            }
        case .closeEvery(let requests):
            respondFixed(
                context: context,
                request: request,
                status: .ok,
                body: "ok",
                forceClose: requestsOnConnection % requests == 0
            )
        }
    }
}
