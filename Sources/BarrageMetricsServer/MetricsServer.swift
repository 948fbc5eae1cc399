import NIOCore
import NIOPosix
import NIOHTTP1
import NIOConcurrencyHelpers

/// A minimal HTTP endpoint for live metrics (`run --metrics-addr`): `GET /metrics` answers with whatever text the
/// provider returns (Prometheus exposition format); anything else is 404. One event-loop thread.
public final class MetricsServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    public let port: Int

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, port: Int) {
        self.group = group
        self.channel = channel
        self.port = port
    }

    /// Binds `host:port` (0 picks a free port) and serves `provider()` at /metrics with `contentType`.
    public static func start(host: String, port: Int, contentType: String,
                             provider: @escaping @Sendable () -> String) throws -> MetricsServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let channel = try ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.pipeline.configureHTTPServerPipeline().flatMap {
                        channel.pipeline.addHandler(MetricsHandler(contentType: contentType, provider: provider))
                    }
                }
                .bind(host: host, port: port).wait()
            return MetricsServer(group: group, channel: channel, port: channel.localAddress?.port ?? port)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    public func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

private final class MetricsHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let contentType: String
    let provider: @Sendable () -> String
    private var path = ""
    private var keepAlive = true

    init(contentType: String, provider: @escaping @Sendable () -> String) {
        self.contentType = contentType
        self.provider = provider
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = String(head.uri.prefix { $0 != "?" })
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            let ok = path == "/metrics"
            let text = ok ? provider() : "not found\n"
            var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: ok ? contentType : "text/plain")
            headers.add(name: "Content-Length", value: String(buffer.readableBytes))
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: ok ? .ok : .notFound, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            let channel = context.channel
            let keep = keepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keep { channel.close(promise: nil) }
            }
        }
    }
}
