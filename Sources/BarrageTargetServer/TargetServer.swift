import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// An HTTP/1.1 server to aim load at: the target of `barrage serve`, `barrage demo` and the tests.
///
/// Routes (any method except under `/api/`; keep-alive and pipelining honoured, `Connection: close` too):
///
/// | path | response |
/// | --- | --- |
/// | `/` | 200 `ok` |
/// | `/bytes/N` | 200 with N bytes, written in 64 KiB chunks as the peer reads them |
/// | `/delay/MS` | 200 `ok` after MS milliseconds (at most one hour) |
/// | `/status/CODE` | CODE when it is 200...599, else 400 |
/// | `/drip/N?rate=BYTES_PER_SECOND` | 200 with N bytes paced at that rate (unpaced without `rate`) |
/// | `/echo` | 200 with the request body (at most 64 MiB, else 413) |
/// | `/stats` | 200 `{"requests": N, "api": {…}, "ws_upgrades": …}`, N being ``requestsReceived``, `api` the `/api/` requests by ``DemoAPI/Outcome``, then the `/ws` counters (``ServerCounters/webSocketCounters``) |
/// | `/stall?at=DUR&for=DUR[&delay=MS]` | 200 `ok`; the server stalls once, from `at` to `at + for` after start or ``resetClock()``: requests arriving then are answered when the window ends; others after `delay` ms (0 by default) |
/// | `/capacity?n=N&ms=S&queue=Q&key=K` | a known capacity: at most N requests of key K served at once across all event loops, each holding its slot S ms then 200 `ok`; up to Q more wait FIFO; beyond that 503 at once (defaults 4, 10, 1000, `default`) |
/// | `/fault/reset?after=N` | 200 head claiming 1000 body bytes, N of them (default 10), then a TCP reset |
/// | `/fault/close` | the connection closed without a response |
/// | `/fault/stall-headers` | `HTTP/1.1 200 OK\r\n`, then nothing until the peer or ``shutdown()`` closes the connection |
/// | `/fault/truncate?send=N&claim=M` | 200 head claiming M bytes (default 1000), N of them (default 100), then close |
/// | `/fault/bad-status` | the raw bytes `HTTP/1.1 abc OK\r\n\r\n`, then close |
/// | `/fault/huge-headers?kb=N` | 200 `ok` with N KiB (default 400) of filler header lines |
/// | `/fault/ratio?p=P&seed=S` | 503 for a fraction P of the route's requests (evenly spread, deterministic), else 200 `ok` |
/// | `/fault/close-every?n=N` | 200 `ok`; every N-th request on a connection gets `Connection: close` and the connection is closed |
/// | `/api/…` | the stateful demo API (login, items, cart, session; method-specific): see ``DemoAPI`` |
/// | `/ws?delay_ms=D&close_after=N&close_code=C&refuse=S&greet=TEXT&max_message=B` | a `GET` with a WebSocket upgrade: 101, then every message echoed (see ``WebSocketEchoHandler``); with `refuse`, status S instead; without an upgrade, 426 |
/// | anything else | 404 |
///
/// DUR is a whole number of `ms` or `s` (`500ms`, `3s`). ``Route`` documents every parameter and
/// its range; a bad parameter is answered 400.
///
/// A malformed request is answered 400 and its connection closed. Memory per connection stays
/// bounded whatever the body lengths asked for. Stalled connections (`/stall`, `/delay`,
/// `/fault/stall-headers`) hold at most one timer each and are closed by ``shutdown()``.
public final class TargetServer: Sendable {
    /// The host the listener was bound to, as given to ``start(host:port:threads:)``.
    public let host: String
    /// The port the listener is bound to (the one picked when started with port 0).
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let listener: Channel
    let counters: ServerCounters
    /// The `/api/` routes' key and cart counter.
    let demoAPI: DemoAPI
    /// Set by the first ``shutdown()`` call.
    private let shutdownStarted = NIOLockedValueBox(false)
    /// Becomes `true` once the first ``shutdown()`` has finished; waiters block on it.
    private let stopped = ConditionLock(value: false)

    private init(
        host: String,
        port: Int,
        group: MultiThreadedEventLoopGroup,
        listener: Channel,
        counters: ServerCounters,
        demoAPI: DemoAPI
    ) {
        self.demoAPI = demoAPI
        self.host = host
        self.port = port
        self.group = group
        self.listener = listener
        self.counters = counters
    }

    /// Binds `host:port` and starts serving on `threads` event loops.
    ///
    /// - Parameters:
    ///   - host: Address or name to bind; `127.0.0.1` by default.
    ///   - port: Port to bind, 0...65535; 0 picks a free port (read it back from ``port``).
    ///   - threads: Event-loop threads, at least 1; `System.coreCount` when `nil`.
    /// - Throws: ``TargetServerError`` for a bad port or thread count, or NIO's error when the
    ///   bind fails.
    public static func start(host: String = "127.0.0.1", port: Int = 0, threads: Int? = nil) throws -> TargetServer {
        guard (0...65535).contains(port) else { throw TargetServerError.invalidPort(port) }
        let threadCount = threads ?? System.coreCount
        guard threadCount >= 1 else { throw TargetServerError.invalidThreadCount(threadCount) }

        let counters = ServerCounters()
        let demoAPI = DemoAPI(key: DemoAPI.randomKey())
        // "Server start" for `/stall` windows, set before any connection can arrive.
        counters.resetStallClock()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threadCount)
        let webSocketUpgrader = Self.webSocketUpgrader(counters: counters)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(
                .writeBufferWaterMark,
                value: .init(low: TargetRequestHandler.maxChunkBytes, high: 4 * TargetRequestHandler.maxChunkBytes)
            )
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [webSocketUpgrader], completionHandler: Self.removeRequestHandler),
                        withErrorHandling: true
                    )
                    try channel.pipeline.syncOperations.addHandler(TargetRequestHandler(counters: counters, demoAPI: demoAPI))
                }
            }
        let listener: Channel
        do {
            listener = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        guard let boundPort = listener.localAddress?.port else {
            try? listener.close().wait()
            try? group.syncShutdownGracefully()
            throw TargetServerError.noLocalAddress
        }
        return TargetServer(host: host, port: boundPort, group: group, listener: listener, counters: counters, demoAPI: demoAPI)
    }

    /// `http://HOST:PORT`, with an IPv6 host in brackets.
    public var baseURL: String { Self.baseURL(host: host, port: port) }

    /// Request heads received since start or the last ``resetCount()``, on every route
    /// (`/stats` included).
    public var requestsReceived: Int { counters.requestHeads.value }

    /// Sets ``requestsReceived``, the `/api/` outcome counts and the `/ws` counts to 0, and restarts `/fault/ratio`'s request
    /// numbering so its failure pattern repeats from the start. Cart numbers keep counting (so a cart issued before
    /// stays payable and no number is issued twice).
    public func resetCount() {
        counters.requestHeads.reset()
        counters.ratioRequests.reset()
        for counter in counters.apiOutcomes {
            counter.reset()
        }
        for (_, counter) in counters.webSocketCounters {
            counter.reset()
        }
    }

    /// `/api/` requests that ended in each outcome since start or the last ``resetCount()`` (what `/stats` reports
    /// under `api`).
    var apiOutcomeCounts: [DemoAPI.Outcome: Int] {
        Dictionary(uniqueKeysWithValues: zip(DemoAPI.Outcome.allCases, counters.apiOutcomes.map(\.value)))
    }

    /// Restarts the clock that `/stall` windows are measured from (initially the server's start),
    /// so `/stall?at=…` counts from now. Call it right before a run.
    public func resetClock() {
        counters.resetStallClock()
    }

    /// Closes the listener and every connection and stops the event loops; returns once they
    /// have stopped. Calling it again (or concurrently) waits for the first call and returns.
    /// Must not be called from one of the server's event-loop threads.
    public func shutdown() throws {
        let isFirstCall = shutdownStarted.withLockedValue { started in
            defer { started = true }
            return !started
        }
        guard isFirstCall else {
            try waitUntilClosed()
            return
        }
        defer {
            stopped.lock()
            stopped.unlock(withValue: true)
        }
        // The listener may already be closed; shutting the group down closes every connection.
        try? listener.close().wait()
        try group.syncShutdownGracefully()
    }

    /// Blocks the calling thread until ``shutdown()`` has finished (used by `barrage serve`).
    /// Must not be called from one of the server's event-loop threads.
    public func waitUntilClosed() throws {
        stopped.lock(whenValue: true)
        stopped.unlock()
    }

    /// NIO's WebSocket upgrader for `/ws`: it upgrades what ``WebSocketEchoHandler/acceptsUpgrade(_:)`` accepts
    /// (anything else reaches ``TargetRequestHandler`` as an ordinary request) and puts a ``WebSocketEchoHandler`` at
    /// the end of the upgraded pipeline. The upgrade request is counted in ``requestsReceived`` here, since the
    /// request handler never sees it.
    private static func webSocketUpgrader(counters: ServerCounters) -> NIOWebSocketServerUpgrader {
        NIOWebSocketServerUpgrader(
            maxFrameSize: WebSocketOptions.maxMessageBytesLimit,
            automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(WebSocketEchoHandler.acceptsUpgrade(head) ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    guard case .webSocket(let options) = Route(uri: head.uri) else {
                        throw NIOWebSocketUpgradeError.unsupportedWebSocketTarget
                    }
                    counters.requestHeads.add(1)
                    counters.wsUpgrades.add(1)
                    try channel.pipeline.syncOperations.addHandler(WebSocketEchoHandler(options: options, counters: counters))
                }
            }
        )
    }

    /// Takes the HTTP request handler out of an upgraded pipeline (NIO's upgrade handler calls this after removing
    /// its own HTTP handlers and before the WebSocket ones are added after it).
    @Sendable
    private static func removeRequestHandler(context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        if let handlerContext = try? pipeline.context(handlerType: TargetRequestHandler.self) {
            pipeline.removeHandler(context: handlerContext, promise: nil)
        }
    }

    static func baseURL(host: String, port: Int) -> String {
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "http://\(hostPart):\(port)"
    }
}

/// Why ``TargetServer/start(host:port:threads:)`` refused to start.
public enum TargetServerError: Error, Equatable, Sendable {
    /// The port is outside 0...65535.
    case invalidPort(Int)
    /// The thread count is below 1.
    case invalidThreadCount(Int)
    /// The bound listener reported no local port.
    case noLocalAddress
}
