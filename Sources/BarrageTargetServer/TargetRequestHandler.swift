import NIOCore
import NIOHTTP1

/// Serves the target server's routes on one HTTP/1.1 connection.
///
/// Sits behind `configureHTTPServerPipeline`, whose pipelining handler hands over one request at a
/// time and holds the next until this handler writes `.end`. Everything runs on the channel's
/// event loop. Long bodies (`/bytes`, `/drip`) are written from one shared 64 KiB buffer while the
/// channel is writable and resume on `channelWritabilityChanged`, so memory stays bounded whatever
/// the body length. Timers (`/delay`, paced `/drip`) are `scheduleTask`s cancelled when the
/// connection goes away.
final class TargetRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Largest `/echo` body accepted; a longer one is drained and answered 413.
    static let maxEchoBodyBytes = 64 * 1024 * 1024
    /// Largest body write, and the size of the shared body pattern.
    static let maxChunkBytes = 64 * 1024
    /// Body bytes for `/bytes` and `/drip`: read-only and shared by every connection.
    static let bodyPattern = ByteBuffer(repeating: UInt8(ascii: "x"), count: maxChunkBytes)

    /// A request being received.
    private struct PendingRequest {
        let head: HTTPRequestHead
        let route: Route
        /// Body gathered for `/echo`.
        var echoBody: ByteBuffer? = nil
        /// Whether an `/echo` body passed `maxEchoBodyBytes`.
        var echoBodyTooLarge = false
    }

    /// A long body being written.
    private final class BodyStream {
        var pacer: BodyPacer
        let startDeadline: NIODeadline
        let keepAlive: Bool
        /// The timer for the next paced chunk, while one is set.
        var timer: Scheduled<Void>?

        init(pacer: BodyPacer, startDeadline: NIODeadline, keepAlive: Bool) {
            self.pacer = pacer
            self.startDeadline = startDeadline
            self.keepAlive = keepAlive
        }
    }

    private enum State {
        /// Waiting for a request head.
        case idle
        /// Head received (held in `pending`), reading the body until `.end`.
        case receiving
        /// Request complete; the response is delayed or streaming.
        case responding
        /// The last response is written and the connection is closing (or closed): input is ignored.
        case closing
    }

    private let counters: ServerCounters
    private var state = State.idle
    /// The request being received, while `state` is `.receiving`.
    private var pending: PendingRequest?
    /// The `/delay` timer, while one is set.
    private var delayTimer: Scheduled<Void>?
    /// The `/bytes` or `/drip` body being written.
    private var stream: BodyStream?
    /// Set while `pump` runs, so a writability change fired from inside a flush does not recurse.
    private var isPumping = false
    private var pumpAgain = false

    init(counters: ServerCounters) {
        self.counters = counters
    }

    // MARK: Inbound events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            counters.requestHeads.add(1)
            var request = PendingRequest(head: head, route: Route(uri: head.uri))
            if request.route == .echo, let length = head.headers.first(name: "content-length").flatMap({ Int($0) }),
                length > Self.maxEchoBodyBytes
            {
                request.echoBodyTooLarge = true
            }
            pending = request
            state = .receiving
        case (.body(let part), .receiving):
            // Mutated in place through `pending` so the gathered body is never copied.
            guard pending?.route == .echo, pending?.echoBodyTooLarge == false else { return }
            let gathered = pending?.echoBody?.readableBytes ?? 0
            if gathered + part.readableBytes > Self.maxEchoBodyBytes {
                pending?.echoBodyTooLarge = true
                pending?.echoBody = nil
            } else if pending?.echoBody == nil {
                pending?.echoBody = part
            } else {
                pending?.echoBody?.writeImmutableBuffer(part)
            }
        case (.end, .receiving):
            guard let request = pending else { return closeConnection(context: context) }
            pending = nil
            state = .responding
            respond(context: context, to: request)
        case (_, .closing):
            break
        case (.head, _), (.body, _), (.end, _):
            // Out of sequence: the pipelining handler should make this impossible.
            closeConnection(context: context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, stream != nil {
            pump(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelResponse()
        state = .closing
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelResponse()
        state = .closing
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Parse errors were already answered 400 by HTTPServerProtocolErrorHandler; any error
        // ends the connection.
        closeConnection(context: context)
    }

    // MARK: Responses

    private func respond(context: ChannelHandlerContext, to request: PendingRequest) {
        let head = request.head
        switch request.route {
        case .root:
            respondFixed(context: context, request: head, status: .ok, body: "ok")
        case .bytes(let byteCount):
            startStream(context: context, request: head, byteCount: byteCount, bytesPerSecond: nil)
        case .drip(let byteCount, let bytesPerSecond):
            startStream(context: context, request: head, byteCount: byteCount, bytesPerSecond: bytesPerSecond)
        case .delay(let delayMillis):
            delayTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(delayMillis)) {
                self.delayTimer = nil
                self.respondFixed(context: context, request: head, status: .ok, body: "ok")
            }
        case .status(let code):
            let status = HTTPResponseStatus(statusCode: code)
            let text = status.reasonPhrase.isEmpty ? "\(code)" : "\(code) \(status.reasonPhrase)"
            respondFixed(context: context, request: head, status: status, body: text)
        case .echo:
            if request.echoBodyTooLarge {
                respondFixed(context: context, request: head, status: .payloadTooLarge, body: "payload too large")
            } else {
                let body = request.echoBody ?? context.channel.allocator.buffer(capacity: 0)
                respond(
                    context: context,
                    request: head,
                    status: .ok,
                    contentType: "application/octet-stream",
                    body: body
                )
            }
        case .stats:
            respond(
                context: context,
                request: head,
                status: .ok,
                contentType: "application/json",
                body: ByteBuffer(string: "{\"requests\": \(counters.requestHeads.value)}")
            )
        case .notFound:
            respondFixed(context: context, request: head, status: .notFound, body: "not found")
        case .badRequest:
            respondFixed(context: context, request: head, status: .badRequest, body: "bad request")
        }
    }

    private func respondFixed(
        context: ChannelHandlerContext,
        request: HTTPRequestHead,
        status: HTTPResponseStatus,
        body: String
    ) {
        respond(
            context: context,
            request: request,
            status: status,
            contentType: "text/plain",
            body: ByteBuffer(string: body)
        )
    }

    /// Writes a whole response with a body held in memory.
    private func respond(
        context: ChannelHandlerContext,
        request: HTTPRequestHead,
        status: HTTPResponseStatus,
        contentType: String,
        body: ByteBuffer
    ) {
        let sendsBody = Self.responseCarriesBody(request: request, status: status)
        let head = Self.responseHead(
            request: request,
            status: status,
            contentType: contentType,
            contentLength: body.readableBytes
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if sendsBody && body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        finishResponse(context: context, keepAlive: request.isKeepAlive)
    }

    /// Writes the head of a `/bytes` or `/drip` response and starts its body.
    private func startStream(
        context: ChannelHandlerContext,
        request: HTTPRequestHead,
        byteCount: Int,
        bytesPerSecond: Int?
    ) {
        let head = Self.responseHead(
            request: request,
            status: .ok,
            contentType: "application/octet-stream",
            contentLength: byteCount
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        guard Self.responseCarriesBody(request: request, status: .ok) else {
            finishResponse(context: context, keepAlive: request.isKeepAlive)
            return
        }
        stream = BodyStream(
            pacer: BodyPacer(totalBytes: byteCount, bytesPerSecond: bytesPerSecond, maxChunkBytes: Self.maxChunkBytes),
            startDeadline: .now(),
            keepAlive: request.isKeepAlive
        )
        pump(context: context)
    }

    /// Writes body chunks until the body is done, the channel is not writable, or the next chunk
    /// is not yet due.
    private func pump(context: ChannelHandlerContext) {
        if isPumping {
            pumpAgain = true
            return
        }
        isPumping = true
        defer { isPumping = false }
        repeat {
            pumpAgain = false
            pumpChunks(context: context)
        } while pumpAgain
    }

    private func pumpChunks(context: ChannelHandlerContext) {
        guard let stream, stream.timer == nil else { return }
        while !stream.pacer.isComplete {
            // A flush or write below can close the channel, which drops `self.stream`.
            guard self.stream === stream else { return }
            if stream.pacer.bytesPerSecond != nil {
                let due = stream.startDeadline + .nanoseconds(stream.pacer.nextChunkDueNanos)
                if due > .now() {
                    stream.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
                        stream.timer = nil
                        self.pump(context: context)
                    }
                    context.flush()
                    return
                }
            }
            guard context.channel.isWritable else {
                // channelWritabilityChanged resumes once the socket drains.
                context.flush()
                return
            }
            let chunkBytes = stream.pacer.nextChunkBytes
            let chunk = Self.bodyPattern.getSlice(at: Self.bodyPattern.readerIndex, length: chunkBytes)!
            context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
            stream.pacer.recordSent(chunkBytes)
            counters.streamedBodyBytes.add(chunkBytes)
        }
        guard self.stream === stream else { return }
        self.stream = nil
        finishResponse(context: context, keepAlive: stream.keepAlive)
    }

    /// Ends the response; closes the connection once it is written unless it is kept alive.
    private func finishResponse(context: ChannelHandlerContext, keepAlive: Bool) {
        // Set the state first: writing `.end` may deliver the next pipelined request at once.
        state = keepAlive ? .idle : .closing
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    private func closeConnection(context: ChannelHandlerContext) {
        cancelResponse()
        state = .closing
        context.close(promise: nil)
    }

    /// Cancels any timer and drops any body in progress.
    private func cancelResponse() {
        pending = nil
        delayTimer?.cancel()
        delayTimer = nil
        stream?.timer?.cancel()
        stream?.timer = nil
        stream = nil
    }

    // MARK: Heads

    /// Whether the response may carry body bytes: not for `HEAD` or `CONNECT` requests nor for
    /// statuses such as 204 and 304 (NIO's encoder rejects or mis-frames them otherwise).
    private static func responseCarriesBody(request: HTTPRequestHead, status: HTTPResponseStatus) -> Bool {
        request.method != .HEAD && request.method != .CONNECT && status.mayHaveResponseBody
    }

    private static func responseHead(
        request: HTTPRequestHead,
        status: HTTPResponseStatus,
        contentType: String,
        contentLength: Int
    ) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "content-length", value: String(contentLength))
        if !request.isKeepAlive {
            headers.add(name: "connection", value: "close")
        } else if request.version.major == 1 && request.version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        return HTTPResponseHead(version: request.version, status: status, headers: headers)
    }
}

@available(*, unavailable)
extension TargetRequestHandler: Sendable {}
