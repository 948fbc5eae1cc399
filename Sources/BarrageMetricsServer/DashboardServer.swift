import NIOCore
import NIOPosix
import NIOHTTP1
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// The live dashboard's endpoint (`run --dashboard`): `GET /` answers with the page, `GET /events` with a server-sent
/// event stream that stays open. Read-only: any other method is 405, any other path 404. One event-loop thread of
/// its own, so the run's threads never wait on a browser.
///
/// The server keeps the latest event of each id (`publish`) and replays them to a client that connects later, so a
/// page opened mid-run shows the last numbers at once. `finish` replaces them with one last event (the final report),
/// sends it and closes every stream; a client that connects afterwards (during `--metrics-linger`) gets it and the
/// end of the stream.
public final class DashboardServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let state: DashboardState
    public let port: Int

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, state: DashboardState, port: Int) {
        self.group = group
        self.channel = channel
        self.state = state
        self.port = port
    }

    /// Binds `host:port` (0 picks a free port) and serves `page` at `/`.
    public static func start(host: String, port: Int, page: String) throws -> DashboardServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = DashboardState(page: page)
        do {
            let channel = try ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.pipeline.configureHTTPServerPipeline().flatMap {
                        channel.pipeline.addHandler(DashboardHandler(state: state))
                    }
                }
                .bind(host: host, port: port).wait()
            return DashboardServer(group: group, channel: channel, state: state, port: channel.localAddress?.port ?? port)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    /// Whether a page is listening: without one, the controller skips rendering.
    public var hasClients: Bool { state.clientCount > 0 }

    /// Sends these events (each framed already, keyed by what it replaces) to every open stream and keeps them for
    /// clients that connect later.
    public func publish(_ events: [(id: String, text: String)]) {
        let streams = state.update(events)
        let text = events.map(\.text).joined()
        for s in streams { s.send(text, close: false) }
    }

    /// The last event: sent to every open stream, which then ends; later clients get it alone.
    public func finish(_ event: String) {
        let streams = state.finish(event)
        state.pendingEnds.withLockedValue { $0 += streams.count }
        for s in streams {
            s.send(event, close: true) { [state] in state.pendingEnds.withLockedValue { $0 -= 1 } }
        }
    }

    /// Stops listening and closes every connection; an open page is given up to a second to receive the last event.
    public func shutdown() {
        var waitedMicros = 0
        while state.pendingEnds.withLockedValue({ $0 }) > 0 && waitedMicros < 1_000_000 {
            usleep(10_000)
            waitedMicros += 10_000
        }
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// What every connection shares: the page, the latest events, the open streams.
final class DashboardState: Sendable {
    let page: String
    private struct Inner {
        var order: [String] = []
        var latest: [String: String] = [:]
        var final: String?
        var streams: [ObjectIdentifier: DashboardHandler] = [:]
    }
    private let inner = NIOLockedValueBox(Inner())
    /// Streams sent the last event and not yet closed.
    let pendingEnds = NIOLockedValueBox(0)

    init(page: String) { self.page = page }

    var clientCount: Int { inner.withLockedValue { $0.streams.count } }

    func update(_ events: [(id: String, text: String)]) -> [DashboardHandler] {
        inner.withLockedValue { s in
            guard s.final == nil else { return [] }
            for e in events {
                if s.latest[e.id] == nil { s.order.append(e.id) }
                s.latest[e.id] = e.text
            }
            return Array(s.streams.values)
        }
    }

    func finish(_ event: String) -> [DashboardHandler] {
        inner.withLockedValue { s in
            s.final = event
            s.order = []; s.latest = [:]
            let all = Array(s.streams.values)
            s.streams = [:]
            return all
        }
    }

    /// Registers a stream and returns what it must be sent first, and whether the stream then ends (the run is over).
    func open(_ handler: DashboardHandler) -> (replay: String, ended: Bool) {
        inner.withLockedValue { s in
            if let final = s.final { return (final, true) }
            s.streams[ObjectIdentifier(handler)] = handler
            return (s.order.compactMap { s.latest[$0] }.joined(), false)
        }
    }

    func close(_ handler: DashboardHandler) {
        _ = inner.withLockedValue { $0.streams.removeValue(forKey: ObjectIdentifier(handler)) }
    }
}

final class DashboardHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: DashboardState
    private var head: HTTPRequestHead?
    /// Set once this connection is an event stream; touched on the channel's event loop only.
    private var context: ChannelHandlerContext?
    private var streaming = false
    /// The channel's event loop: set before the stream is registered (under the state's lock), never changed after.
    private var loop: EventLoop?

    init(state: DashboardState) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head, !streaming else { return }
            self.head = nil
            respond(context: context, head: head)
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let path = String(head.uri.prefix { $0 != "?" })
        guard head.method == .GET else {
            return plain(context: context, head: head, status: .methodNotAllowed, text: "read-only: GET only\n", extra: [("Allow", "GET")])
        }
        switch path {
        case "/":
            plain(context: context, head: head, status: .ok, text: state.page, contentType: "text/html; charset=utf-8")
        case "/events":
            openStream(context: context)
        default:
            plain(context: context, head: head, status: .notFound, text: "not found\n")
        }
    }

    private func openStream(context: ChannelHandlerContext) {
        streaming = true
        self.context = context
        loop = context.eventLoop
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "Connection", value: "close") // one stream per connection; it ends when the run does
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        let (replay, ended) = state.open(self)
        write(context: context, ": barrage dashboard\nretry: 1000\n\n" + replay, close: ended)
    }

    /// From any thread: hops to the channel's event loop. `done` runs once the text is written (or cannot be).
    func send(_ text: String, close: Bool, done: (@Sendable () -> Void)? = nil) {
        guard let loop else { done?(); return }
        loop.execute {
            guard let context = self.context else { done?(); return }
            self.write(context: context, text, close: close, done: done)
        }
    }

    private func write(context: ChannelHandlerContext, _ text: String, close: Bool, done: (@Sendable () -> Void)? = nil) {
        guard context.channel.isActive else { done?(); return }
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        if close {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                channel.close(promise: nil)
                done?()
            }
        } else {
            context.flush()
            done?()
        }
    }

    private func plain(context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus, text: String,
                       contentType: String = "text/plain; charset=utf-8", extra: [(String, String)] = []) {
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        for (name, value) in extra { headers.add(name: name, value: value) }
        let keep = head.isKeepAlive
        if !keep { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keep { channel.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if streaming { state.close(self) }
        self.context = nil
        context.fireChannelInactive()
    }
}
