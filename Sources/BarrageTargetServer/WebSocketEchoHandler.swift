import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Serves one upgraded `/ws` connection: echoes every message, answers pings and closes.
///
/// NIO's `NIOWebSocketServerUpgrader` answers the upgrade (101) and puts the frame encoder and decoder in place;
/// ``TargetServer`` then adds this handler with the request's ``WebSocketOptions``. Everything runs on the channel's
/// event loop.
///
/// - A text or binary message (its fragments reassembled) is echoed as one frame with the same opcode and payload,
///   `delay_ms` after it arrived, in arrival order (one timer, for the oldest pending echo).
/// - After `close_after` echoes the server sends a close frame with `close_code`; messages that arrive past the
///   `close_after`-th are counted as received but not echoed.
/// - A message longer than `max_message` gets close code 1009 (and a frame longer than
///   ``WebSocketOptions/maxMessageBytesLimit`` the same, from the decoder's error); a protocol error (a continuation
///   without a message, a new message inside a fragmented one, an unknown opcode, a malformed frame) gets 1002.
/// - Ping → pong with the same payload; a pong is ignored.
/// - The peer's close is answered with a close frame carrying the same code (an empty one when the peer sent no
///   code), then the connection is closed; echoes still pending are dropped.
/// - After the server's own close frame it waits for the peer's close, at most ``closeGraceMillis``, then closes
///   the connection (at once after a decoder error, since nothing more can be read).
///
/// Counts in ``ServerCounters``: messages received, messages sent (echoes and the greeting), close frames sent.
/// Reading pauses while the channel is not writable, so a peer that does not read its echoes cannot grow the
/// outbound buffer without bound.
final class WebSocketEchoHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// How long the server waits, after its own close frame, for the peer's close before closing the connection.
    static let closeGraceMillis: Int64 = 2_000

    /// An echo waiting for its due time.
    private struct Echo {
        let due: NIODeadline
        let opcode: WebSocketOpcode
        let payload: ByteBuffer
    }

    private enum CloseState {
        /// Messages are echoed.
        case open
        /// The server sent its close frame and waits for the peer's (or its grace timer).
        case closeSent
        /// The connection is closing: nothing more is sent.
        case closing
    }

    private let options: WebSocketOptions
    private let counters: ServerCounters
    /// A fragmented message being reassembled: its opcode and the payload so far.
    private var partial: (opcode: WebSocketOpcode, payload: ByteBuffer)?
    /// Echoes not yet sent, oldest first (their due times are in order).
    private var echoes = CircularBuffer<Echo>()
    /// The timer for the oldest pending echo, while one is set.
    private var echoTimer: Scheduled<Void>?
    /// Messages accepted for echo (at most `close_after`).
    private var messagesAccepted = 0
    /// Echoes sent.
    private var echoesSent = 0
    private var closeState = CloseState.open
    /// Closes the connection if the peer does not answer the server's close frame.
    private var closeTimer: Scheduled<Void>?
    /// Whether this handler counted the connection in `openConnections` (the HTTP handler, removed at the upgrade,
    /// stopped counting it).
    private var countedAsOpen = false

    init(options: WebSocketOptions, counters: ServerCounters) {
        self.options = options
        self.counters = counters
    }

    /// Whether the upgrade request `head` is to be upgraded: a `GET` of `/ws` whose options parse and do not refuse.
    /// Anything else goes on to ``TargetRequestHandler`` as an ordinary request (400, `refuse`'s status, or 426).
    static func acceptsUpgrade(_ head: HTTPRequestHead) -> Bool {
        guard head.method == .GET, case .webSocket(let options) = Route(uri: head.uri) else { return false }
        return options.refuseStatus == nil
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        countedAsOpen = true
        counters.openConnections.add(1)
        if let greeting = options.greeting {
            let frame = WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: greeting))
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
            counters.wsMessagesSent.add(1)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimers()
        stopCountingAsOpen()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimers()
        stopCountingAsOpen()
        closeState = .closing
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Backpressure: stop reading (so stop producing echoes) while the peer is not reading them.
        try? context.channel.syncOptions?.setOption(.autoRead, value: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let frameError = error as? NIOWebSocketError {
            // The decoder stops after an error: close at once once the close frame is written.
            let code: UInt16 = if case .invalidFrameLength = frameError { 1009 } else { 1002 }
            sendClose(context: context, code: code, waitForPeer: false)
        } else {
            closeConnection(context: context)
        }
    }

    // MARK: Frames

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .connectionClose:
            receivedClose(context: context, frame: frame)
        case .ping:
            guard closeState == .open else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            break
        case .text, .binary:
            guard closeState == .open else { return }
            guard partial == nil else { return sendClose(context: context, code: 1002, waitForPeer: true) }
            let payload = frame.unmaskedData
            guard payload.readableBytes <= options.maxMessageBytes else {
                return sendClose(context: context, code: 1009, waitForPeer: true)
            }
            if frame.fin {
                received(context: context, opcode: frame.opcode, payload: payload)
            } else {
                partial = (frame.opcode, payload)
            }
        case .continuation:
            guard closeState == .open else { return }
            guard var message = partial else { return sendClose(context: context, code: 1002, waitForPeer: true) }
            partial = nil
            let payload = frame.unmaskedData
            guard message.payload.readableBytes + payload.readableBytes <= options.maxMessageBytes else {
                return sendClose(context: context, code: 1009, waitForPeer: true)
            }
            message.payload.writeImmutableBuffer(payload)
            if frame.fin {
                received(context: context, opcode: message.opcode, payload: message.payload)
            } else {
                partial = message
            }
        default:
            guard closeState == .open else { return }
            sendClose(context: context, code: 1002, waitForPeer: true)
        }
    }

    /// A whole message arrived: counted, and queued for its echo unless `close_after` echoes are already accepted.
    private func received(context: ChannelHandlerContext, opcode: WebSocketOpcode, payload: ByteBuffer) {
        counters.wsMessagesReceived.add(1)
        if let limit = options.closeAfterMessages, messagesAccepted >= limit { return }
        messagesAccepted += 1
        echoes.append(Echo(due: context.eventLoop.now + .milliseconds(options.delayMillis), opcode: opcode, payload: payload))
        sendDueEchoes(context: context)
    }

    /// Sends every echo that is due, oldest first, and sets the timer for the next one; sends the close frame after
    /// the `close_after`-th echo.
    private func sendDueEchoes(context: ChannelHandlerContext) {
        guard echoTimer == nil else { return }
        let now = context.eventLoop.now
        var wrote = false
        while closeState == .open, let next = echoes.first {
            guard next.due <= now else {
                echoTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: next.due) {
                    self.echoTimer = nil
                    self.sendDueEchoes(context: context)
                }
                break
            }
            echoes.removeFirst()
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: next.opcode, data: next.payload)), promise: nil)
            wrote = true
            echoesSent += 1
            counters.wsMessagesSent.add(1)
            if let limit = options.closeAfterMessages, echoesSent >= limit {
                // Flushes the echoes written before it.
                sendClose(context: context, code: options.closeCode, waitForPeer: true)
                return
            }
        }
        if wrote {
            context.flush()
        }
    }

    /// Answers the peer's close with the same code, or closes the connection when it answers the server's own.
    private func receivedClose(context: ChannelHandlerContext, frame: WebSocketFrame) {
        switch closeState {
        case .open:
            closeState = .closing
            stopTimers()
            let payload = frame.unmaskedData
            let code = payload.readableBytes >= 2 ? payload.getSlice(at: payload.readerIndex, length: 2)! : context.channel.allocator.buffer(capacity: 0)
            counters.wsClosesSent.add(1)
            let written = context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)))
            written.assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .closeSent:
            closeConnection(context: context)
        case .closing:
            break
        }
    }

    /// Sends the server's close frame with `code` (once); then waits for the peer's close, at most
    /// ``closeGraceMillis``, or closes as soon as the frame is written when `waitForPeer` is false.
    private func sendClose(context: ChannelHandlerContext, code: UInt16, waitForPeer: Bool) {
        guard closeState == .open else {
            if !waitForPeer { closeConnection(context: context) }
            return
        }
        closeState = waitForPeer ? .closeSent : .closing
        stopTimers()
        echoes.removeAll()
        partial = nil
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.writeInteger(code)
        counters.wsClosesSent.add(1)
        let written = context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)))
        if waitForPeer {
            closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Self.closeGraceMillis)) {
                self.closeTimer = nil
                self.closeConnection(context: context)
            }
        } else {
            written.assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    private func closeConnection(context: ChannelHandlerContext) {
        closeState = .closing
        stopTimers()
        context.close(promise: nil)
    }

    private func stopTimers() {
        echoTimer?.cancel()
        echoTimer = nil
        closeTimer?.cancel()
        closeTimer = nil
    }

    private func stopCountingAsOpen() {
        if countedAsOpen {
            countedAsOpen = false
            counters.openConnections.add(-1)
        }
    }
}

@available(*, unavailable)
extension WebSocketEchoHandler: Sendable {}
