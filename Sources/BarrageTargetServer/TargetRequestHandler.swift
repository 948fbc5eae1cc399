import NIOCore
import NIOHTTP1
import NIOWebSocket

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves the target server's routes on one HTTP/1.1 connection.
///
/// Sits behind `configureHTTPServerPipeline`, whose pipelining handler hands over one request at a
/// time and holds the next until this handler writes `.end`. Everything runs on the channel's
/// event loop. Long bodies (`/bytes`, `/drip`) are written from one shared 64 KiB buffer while the
/// channel is writable and resume on `channelWritabilityChanged`, so memory stays bounded whatever
/// the body length. Timers (`/delay`, `/stall`, paced `/drip`) are `scheduleTask`s cancelled when
/// the connection goes away.
///
/// Faults (`/fault/…`) that stay valid HTTP up to the break (reset, truncate, huge headers) go
/// through the normal encoder and simply stop early; the two that must put malformed bytes on the
/// wire (`bad-status`, `stall-headers`) bypass the encoder, see ``writeRaw(context:_:)``.
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
        /// When the head arrived (what `/stall` windows are checked against).
        let arrival: NIODeadline
        /// The most body bytes gathered for this route (`/echo`, `/api/login`); `nil` for routes whose body is
        /// discarded.
        let bodyLimit: Int?
        /// Body gathered (when `bodyLimit` is set).
        var body: ByteBuffer? = nil
        /// Whether the body passed `bodyLimit` (and was dropped).
        var bodyTooLarge = false
    }

    /// How much body `route` gathers: `nil` when its body is discarded.
    private static func bodyLimit(for route: Route) -> Int? {
        switch route {
        case .echo: return maxEchoBodyBytes
        case .api(.login): return DemoAPI.maxBodyBytes
        default: return nil
        }
    }

    /// What follows the last body byte of a streamed response.
    enum StreamEnding {
        /// `.end`; the connection is closed afterwards unless it is kept alive.
        case end(keepAlive: Bool)
        /// No `.end`: the connection is closed (FIN) once the bytes are written (`/fault/truncate`).
        case close
        /// No `.end`: the connection is reset (RST) once the bytes are written (`/fault/reset`).
        case reset
    }

    /// A long body being written.
    private final class BodyStream {
        var pacer: BodyPacer
        let startDeadline: NIODeadline
        let ending: StreamEnding
        /// The timer for the next paced chunk, while one is set.
        var timer: Scheduled<Void>?
        /// The last write's outcome, kept for the `.close` and `.reset` endings, which must not
        /// close before the bytes reach the socket (closing fails pending writes).
        var lastWrite: EventLoopFuture<Void>?

        init(pacer: BodyPacer, startDeadline: NIODeadline, ending: StreamEnding) {
            self.pacer = pacer
            self.startDeadline = startDeadline
            self.ending = ending
        }

        /// A promise for the next write when the ending needs to know it completed.
        func promiseForWrite(on eventLoop: EventLoop) -> EventLoopPromise<Void>? {
            guard case .end = ending else {
                let promise = eventLoop.makePromise(of: Void.self)
                lastWrite = promise.futureResult
                return promise
            }
            return nil
        }
    }

    enum State {
        /// Waiting for a request head.
        case idle
        /// Head received (held in `pending`), reading the body until `.end`.
        case receiving
        /// Request complete; the response is delayed or streaming.
        case responding
        /// The last response is written and the connection is closing (or closed): input is ignored.
        case closing
        /// A `/fault/stall-headers` response has begun and never ends: input is ignored and the
        /// connection stays open, holding no timer, until the peer or the server closes it.
        case hung
    }

    let counters: ServerCounters
    private let demoAPI: DemoAPI
    var state = State.idle
    /// The request being received, while `state` is `.receiving`.
    private var pending: PendingRequest?
    /// The `/delay` timer, while one is set.
    private var delayTimer: Scheduled<Void>?
    /// The `/capacity` request waiting or holding a slot, while there is one.
    private var capacityTicket: (key: String, ticket: CapacityLimiter.Ticket)?
    /// The `/bytes` or `/drip` body being written.
    private var stream: BodyStream?
    /// Set while `pump` runs, so a writability change fired from inside a flush does not recurse.
    private var isPumping = false
    private var pumpAgain = false
    /// Request heads received on this connection (for `/fault/close-every`).
    var requestsOnConnection = 0
    /// Whether `channelActive` counted this connection in `openConnections`.
    private var countedAsOpen = false

    init(counters: ServerCounters, demoAPI: DemoAPI) {
        self.counters = counters
        self.demoAPI = demoAPI
    }

    // MARK: Inbound events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            counters.requestHeads.add(1)
            requestsOnConnection += 1
            let route = Route(uri: head.uri)
            var request = PendingRequest(head: head, route: route, arrival: .now(), bodyLimit: Self.bodyLimit(for: route))
            if let limit = request.bodyLimit, let length = head.headers.first(name: "content-length").flatMap({ Int($0) }),
                length > limit
            {
                request.bodyTooLarge = true
            }
            pending = request
            state = .receiving
        case (.body(let part), .receiving):
            // Mutated in place through `pending` so the gathered body is never copied.
            guard let limit = pending?.bodyLimit, pending?.bodyTooLarge == false else { return }
            let gathered = pending?.body?.readableBytes ?? 0
            if gathered + part.readableBytes > limit {
                pending?.bodyTooLarge = true
                pending?.body = nil
            } else if pending?.body == nil {
                pending?.body = part
            } else {
                pending?.body?.writeImmutableBuffer(part)
            }
        case (.end, .receiving):
            guard let request = pending else { return closeConnection(context: context) }
            pending = nil
            state = .responding
            respond(context: context, to: request)
        case (_, .closing), (_, .hung):
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

    func channelActive(context: ChannelHandlerContext) {
        if !countedAsOpen {
            countedAsOpen = true
            counters.openConnections.add(1)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelResponse()
        state = .closing
        if countedAsOpen {
            countedAsOpen = false
            counters.openConnections.add(-1)
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelResponse()
        state = .closing
        // Removed at a WebSocket upgrade: ``WebSocketEchoHandler`` counts the connection from then on.
        if countedAsOpen {
            countedAsOpen = false
            counters.openConnections.add(-1)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // NIO's upgrade handler reports a WebSocket upgrade it did not make (a route other than `/ws`, `refuse`, bad
        // handshake headers); the request itself follows and is answered like any other.
        if error is NIOWebSocketUpgradeError { return }
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
            startStream(
                context: context,
                request: head,
                contentLength: byteCount,
                byteCount: byteCount,
                bytesPerSecond: nil,
                ending: .end(keepAlive: head.isKeepAlive)
            )
        case .drip(let byteCount, let bytesPerSecond):
            startStream(
                context: context,
                request: head,
                contentLength: byteCount,
                byteCount: byteCount,
                bytesPerSecond: bytesPerSecond,
                ending: .end(keepAlive: head.isKeepAlive)
            )
        case .delay(let delayMillis):
            respondOK(context: context, request: head, at: .now() + .milliseconds(delayMillis))
        case .stall(let atMillis, let forMillis, let delayMillis):
            let windowStart = counters.stallClockStart + .milliseconds(atMillis)
            let windowEnd = windowStart + .milliseconds(forMillis)
            // Inside the window: answered when it ends. Outside: after the delay, unless that
            // falls inside the window, as the server sends nothing during its stall.
            var due = request.arrival + .milliseconds(delayMillis)
            if (windowStart..<windowEnd).contains(request.arrival) || (windowStart..<windowEnd).contains(due) {
                due = windowEnd
            }
            respondOK(context: context, request: head, at: due)
        case .fault(let fault):
            respond(context: context, to: head, fault: fault)
        case .redirect(let remaining):
            if remaining == 0 {
                respondFixed(context: context, request: head, status: .ok, body: "ok")
            } else {
                var location = HTTPHeaders()
                location.add(name: "Location", value: "/redirect/\(remaining - 1)")
                respond(context: context, request: head, status: .found, contentType: "text/plain",
                        body: ByteBuffer(string: "found"), extraHeaders: location)
            }
        case .status(let code):
            let status = HTTPResponseStatus(statusCode: code)
            let text = status.reasonPhrase.isEmpty ? "\(code)" : "\(code) \(status.reasonPhrase)"
            respondFixed(context: context, request: head, status: status, body: text)
        case .echo:
            if request.bodyTooLarge {
                respondFixed(context: context, request: head, status: .payloadTooLarge, body: "payload too large")
            } else {
                let body = request.body ?? context.channel.allocator.buffer(capacity: 0)
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
                body: ByteBuffer(string: counters.statsJSON)
            )
        case .api(let endpoint):
            respond(context: context, to: request, api: endpoint)
        case .capacity(let key, let concurrency, let serviceMillis, let queueLimit):
            let limits = CapacityLimiter.Limits(
                concurrency: concurrency,
                serviceNanos: UInt64(serviceMillis) * 1_000_000,
                queueLimit: queueLimit
            )
            respondCapacity(context: context, request: head, key: key, limits: limits)
        case .webSocket(let options):
            respondWebSocket(context: context, request: head, options: options)
        case .badParameter(let message):
            respondFixed(context: context, request: head, status: .badRequest, body: message)
        case .notFound:
            respondFixed(context: context, request: head, status: .notFound, body: "not found")
        case .badRequest:
            respondFixed(context: context, request: head, status: .badRequest, body: "bad request")
        }
    }

    /// Answers a `/ws` request that was not upgraded: `refuse`'s status, else 426 Upgrade Required. The connection is
    /// closed after it when the request asked for an upgrade (NIO's decoder reads nothing after such a request).
    private func respondWebSocket(context: ChannelHandlerContext, request: HTTPRequestHead, options: WebSocketOptions) {
        let askedToUpgrade = request.headers.contains(name: "upgrade")
        if let status = options.refuseStatus {
            counters.wsRefused.add(1)
            respondFixed(context: context, request: request, status: HTTPResponseStatus(statusCode: status),
                         body: "refused", forceClose: askedToUpgrade)
        } else {
            respond(context: context, request: request, status: .upgradeRequired, contentType: "text/plain",
                    body: ByteBuffer(string: "upgrade required"), extraHeaders: ["upgrade": "websocket"],
                    forceClose: askedToUpgrade)
        }
    }

    /// Answers 200 `ok` at `deadline` (at once when it has passed), on the `/delay` timer.
    private func respondOK(context: ChannelHandlerContext, request: HTTPRequestHead, at deadline: NIODeadline) {
        guard deadline > .now() else {
            respondFixed(context: context, request: request, status: .ok, body: "ok")
            return
        }
        delayTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.delayTimer = nil
            self.respondFixed(context: context, request: request, status: .ok, body: "ok")
        }
    }

    /// Takes a `/capacity` slot for `key` (answering 200 `ok` when its hold ends), waits for one, or answers 503 at
    /// once when the key's queue is full. See ``CapacityGate``.
    private func respondCapacity(
        context: ChannelHandlerContext,
        request: HTTPRequestHead,
        key: String,
        limits: CapacityLimiter.Limits
    ) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let ticket = counters.capacityGate.enter(key: key, limits: limits, eventLoop: context.eventLoop) { ticket in
            let (handler, context) = bound.value
            // The connection may have closed (or moved on) while the slot was held.
            guard let current = handler.capacityTicket, current.ticket == ticket else { return }
            handler.capacityTicket = nil
            handler.respondFixed(context: context, request: request, status: .ok, body: "ok")
        }
        if let ticket {
            capacityTicket = (key, ticket)
        } else {
            respondFixed(context: context, request: request, status: .serviceUnavailable, body: "503 Service Unavailable")
        }
    }

    /// Answers an `/api/` request through ``DemoAPI`` and counts its outcome.
    private func respond(context: ChannelHandlerContext, to request: PendingRequest, api endpoint: Route.API) {
        let head = request.head
        let cookies = head.headers["cookie"]
        let apiRequest = DemoAPI.Request(
            method: head.method.rawValue,
            authorization: head.headers.first(name: "authorization"),
            cookie: cookies.isEmpty ? nil : cookies.joined(separator: "; "),
            body: request.body.map { Array($0.readableBytesView) } ?? [],
            bodyTooLarge: request.bodyTooLarge
        )
        let answer = demoAPI.respond(to: endpoint, apiRequest)
        counters.record(answer.outcome)
        var headers = HTTPHeaders()
        for header in answer.headers {
            headers.add(name: header.name, value: header.value)
        }
        respond(
            context: context,
            request: head,
            status: HTTPResponseStatus(statusCode: answer.status),
            contentType: "application/json",
            body: ByteBuffer(string: answer.body),
            extraHeaders: headers
        )
    }

    func respondFixed(
        context: ChannelHandlerContext,
        request: HTTPRequestHead,
        status: HTTPResponseStatus,
        body: String,
        forceClose: Bool = false
    ) {
        respond(
            context: context,
            request: request,
            status: status,
            contentType: "text/plain",
            body: ByteBuffer(string: body),
            forceClose: forceClose
        )
    }

    /// Writes a whole response with a body held in memory. `forceClose` closes the connection
    /// after it (saying `Connection: close`) even when the request asked to keep it alive.
    func respond(
        context: ChannelHandlerContext,
        request: HTTPRequestHead,
        status: HTTPResponseStatus,
        contentType: String,
        body: ByteBuffer,
        extraHeaders: HTTPHeaders = [:],
        forceClose: Bool = false
    ) {
        let keepAlive = request.isKeepAlive && !forceClose
        let sendsBody = Self.responseCarriesBody(request: request, status: status)
        var head = Self.responseHead(
            request: request,
            status: status,
            contentType: contentType,
            contentLength: body.readableBytes,
            keepAlive: keepAlive
        )
        head.headers.add(contentsOf: extraHeaders)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if sendsBody && body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        finishResponse(context: context, keepAlive: keepAlive)
    }

    /// Writes the head of a streamed response (`/bytes`, `/drip`, `/fault/reset`,
    /// `/fault/truncate`) announcing `contentLength` bytes and starts its body of `byteCount`
    /// bytes, which `ending` follows.
    func startStream(
        context: ChannelHandlerContext,
        request: HTTPRequestHead,
        contentLength: Int,
        byteCount: Int,
        bytesPerSecond: Int?,
        ending: StreamEnding
    ) {
        // A fault ending closes the connection without warning: the head looks like any other.
        let head = Self.responseHead(
            request: request,
            status: .ok,
            contentType: "application/octet-stream",
            contentLength: contentLength,
            keepAlive: request.isKeepAlive
        )
        let newStream = BodyStream(
            pacer: BodyPacer(
                totalBytes: Self.responseCarriesBody(request: request, status: .ok) ? byteCount : 0,
                bytesPerSecond: bytesPerSecond,
                maxChunkBytes: Self.maxChunkBytes
            ),
            startDeadline: .now(),
            ending: ending
        )
        context.write(wrapOutboundOut(.head(head)), promise: newStream.promiseForWrite(on: context.eventLoop))
        stream = newStream
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
            context.write(
                wrapOutboundOut(.body(.byteBuffer(chunk))),
                promise: stream.promiseForWrite(on: context.eventLoop)
            )
            stream.pacer.recordSent(chunkBytes)
            counters.streamedBodyBytes.add(chunkBytes)
        }
        guard self.stream === stream else { return }
        self.stream = nil
        switch stream.ending {
        case .end(let keepAlive):
            finishResponse(context: context, keepAlive: keepAlive)
        case .close, .reset:
            // No `.end`: the response stays short of its Content-Length.
            state = .closing
            context.flush()
            let reset = if case .reset = stream.ending { true } else { false }
            let written = stream.lastWrite ?? context.eventLoop.makeSucceededVoidFuture()
            written.assumeIsolated().whenComplete { _ in
                if reset {
                    // SO_LINGER on with a zero timeout makes close() send RST and drop the
                    // socket at once instead of a FIN.
                    _ = (context.channel as? SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                }
                context.close(promise: nil)
            }
        }
    }

    /// Writes `bytes` to the socket as they are, flushed, bypassing `HTTPResponseEncoder`.
    ///
    /// The pipeline is `HTTPResponseEncoder`, the request decoder, `HTTPServerPipelineHandler`,
    /// `HTTPServerProtocolErrorHandler`, then this handler. A write from this handler's context
    /// passes through the pipelining and error handlers and the encoder, all typed for
    /// `HTTPServerResponsePart` (a raw `ByteBuffer` would trap in their unwrap, and the encoder
    /// would re-frame it). A write issued from the *encoder's* context instead starts at the
    /// handler before it, i.e. the channel's head, so the bytes reach the socket unchanged, in
    /// order after anything already written, and the HTTP handlers never see them (the
    /// pipelining handler keeps waiting for a response `.end`, so it holds later requests). No
    /// handler is added or removed, so nothing needs restoring on a connection we close or hang
    /// anyway.
    @discardableResult
    func writeRaw(context: ChannelHandlerContext, _ bytes: ByteBuffer) -> EventLoopFuture<Void> {
        do {
            let encoderContext = try context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
            let promise = context.eventLoop.makePromise(of: Void.self)
            encoderContext.writeAndFlush(NIOAny(IOData.byteBuffer(bytes)), promise: promise)
            return promise.futureResult
        } catch {
            closeConnection(context: context)
            return context.eventLoop.makeFailedFuture(error)
        }
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

    func closeConnection(context: ChannelHandlerContext) {
        cancelResponse()
        state = .closing
        context.close(promise: nil)
    }

    /// Cancels any timer, drops any body in progress and withdraws a waiting `/capacity` request (one holding a
    /// slot keeps it until its deadline).
    private func cancelResponse() {
        pending = nil
        if let capacityTicket {
            counters.capacityGate.withdraw(key: capacityTicket.key, ticket: capacityTicket.ticket)
            self.capacityTicket = nil
        }
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

    /// A response head; `keepAlive` is false when the connection closes after this response.
    private static func responseHead(
        request: HTTPRequestHead,
        status: HTTPResponseStatus,
        contentType: String,
        contentLength: Int,
        keepAlive: Bool
    ) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "content-length", value: String(contentLength))
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if request.version.major == 1 && request.version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        return HTTPResponseHead(version: request.version, status: status, headers: headers)
    }
}

@available(*, unavailable)
extension TargetRequestHandler: Sendable {}
