import NIOCore
import NIOEmbedded
import NIOWebSocket
import XCTest

@testable import BarrageTargetServer

/// `/ws`'s options as routed from the URI, and ``WebSocketEchoHandler`` fed frames in an `EmbeddedChannel` (no
/// sockets; its virtual clock makes `delay_ms` and the close grace exact).
final class WebSocketEchoHandlerTests: XCTestCase {
    private var counters = ServerCounters()

    /// An active embedded channel with the handler for `/ws` + `query` added (as after an upgrade).
    private func channel(_ query: String = "") throws -> EmbeddedChannel {
        guard case .webSocket(let options) = Route(uri: "/ws" + query) else {
            throw XCTSkip("not a /ws route: \(query)")
        }
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        try channel.pipeline.syncOperations.addHandler(WebSocketEchoHandler(options: options, counters: counters))
        return channel
    }

    private func frame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true) -> WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(string: text))
    }

    private func closeFrame(code: UInt16) -> WebSocketFrame {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
    }

    /// Every frame written so far, as (opcode, payload bytes).
    private func written(_ channel: EmbeddedChannel) throws -> [(WebSocketOpcode, [UInt8])] {
        var frames: [(WebSocketOpcode, [UInt8])] = []
        while let frame = try channel.readOutbound(as: WebSocketFrame.self) {
            XCTAssertTrue(frame.fin)
            XCTAssertNil(frame.maskKey, "a server does not mask")
            frames.append((frame.opcode, Array(frame.data.readableBytesView)))
        }
        return frames
    }

    private func texts(_ frames: [(WebSocketOpcode, [UInt8])]) -> [String] {
        frames.map { String(decoding: $0.1, as: UTF8.self) }
    }

    private func closeCode(_ payload: [UInt8]) -> UInt16? {
        payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
    }

    func testOptionsAreRoutedFromTheQuery() {
        XCTAssertEqual(Route(uri: "/ws"), .webSocket(WebSocketOptions()))
        var all = WebSocketOptions()
        all.delayMillis = 25
        all.closeAfterMessages = 3
        all.closeCode = 4001
        all.greeting = "hi there"
        all.maxMessageBytes = 100
        XCTAssertEqual(Route(uri: "/ws?delay_ms=25&close_after=3&close_code=4001&greet=hi%20there&max_message=100"), .webSocket(all))
        var refused = WebSocketOptions()
        refused.refuseStatus = 403
        XCTAssertEqual(Route(uri: "http://any.host/ws?refuse=403"), .webSocket(refused))
        for bad in ["delay_ms=3600001", "close_after=x", "close_code=999", "close_code=1006", "close_code=5000",
                    "refuse=399", "refuse=600", "greet=", "max_message=-1"] {
            guard case .badParameter(let message) = Route(uri: "/ws?" + bad) else {
                XCTFail("\(bad) is not a bad parameter: \(Route(uri: "/ws?" + bad))")
                continue
            }
            XCTAssertTrue(message.hasPrefix("bad request: " + bad.prefix { $0 != "=" }), message)
        }
        XCTAssertEqual(Route(uri: "/ws/x"), .notFound)
        XCTAssertTrue(WebSocketOptions.isSendableCloseCode(1011))
        XCTAssertFalse(WebSocketOptions.isSendableCloseCode(1015))
    }

    func testMessagesAreEchoedWithTheirOpcodeAndFragmentsAsOneFrame() throws {
        let channel = try channel()
        try channel.writeInbound(frame(.text, "hello"))
        try channel.writeInbound(frame(.binary, "\u{1}\u{2}"))
        try channel.writeInbound(frame(.text, "frag", fin: false))
        try channel.writeInbound(frame(.continuation, "men", fin: false))
        try channel.writeInbound(frame(.continuation, "ted"))
        try channel.writeInbound(frame(.ping, "p"))
        try channel.writeInbound(frame(.pong, "ignored"))
        let out = try written(channel)
        XCTAssertEqual(out.map(\.0), [.text, .binary, .text, .pong])
        XCTAssertEqual(texts(out), ["hello", "\u{1}\u{2}", "fragmented", "p"])
        XCTAssertEqual(counters.wsMessagesReceived.value, 3)
        XCTAssertEqual(counters.wsMessagesSent.value, 3)
        XCTAssertEqual(counters.openConnections.value, 1)
        _ = try? channel.finish()
        XCTAssertEqual(counters.openConnections.value, 0)
    }

    func testDelayedEchoesLeaveWhenDueAndInOrder() throws {
        let channel = try channel("?delay_ms=100")
        try channel.writeInbound(frame(.text, "a"))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(40))
        try channel.writeInbound(frame(.text, "b"))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(59))
        XCTAssertTrue(try written(channel).isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(texts(try written(channel)), ["a"])
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(39))
        XCTAssertTrue(try written(channel).isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(texts(try written(channel)), ["b"])
        _ = try? channel.finish()
    }

    func testCloseAfterSendsItsCodeAndClosesOnThePeersAnswer() throws {
        let channel = try channel("?close_after=2&close_code=4005")
        for text in ["1", "2", "3"] {
            try channel.writeInbound(frame(.text, text))
        }
        let out = try written(channel)
        XCTAssertEqual(out.map(\.0), [.text, .text, .connectionClose])
        XCTAssertEqual(closeCode(out[2].1), 4005)
        XCTAssertTrue(channel.isActive, "waits for the peer's close")
        try channel.writeInbound(closeFrame(code: 4005))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(counters.wsClosesSent.value, 1)
        XCTAssertEqual(counters.wsMessagesSent.value, 2)
    }

    func testTheServersCloseGivesUpWaitingAfterTheGrace() throws {
        let channel = try channel("?close_after=1")
        try channel.writeInbound(frame(.text, "only"))
        XCTAssertEqual(closeCode(try written(channel).last?.1 ?? []), 1000)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(WebSocketEchoHandler.closeGraceMillis - 1))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertFalse(channel.isActive)
    }

    func testThePeersCloseIsAnsweredWithTheSameCodeAndPendingEchoesDropped() throws {
        let channel = try channel("?delay_ms=10")
        try channel.writeInbound(frame(.text, "late"))
        try channel.writeInbound(closeFrame(code: 4002))
        let out = try written(channel)
        XCTAssertEqual(out.map(\.0), [.connectionClose])
        XCTAssertEqual(closeCode(out[0].1), 4002)
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(counters.wsMessagesSent.value, 0)
    }

    func testGreetingIsSentFirst() throws {
        let channel = try channel("?greet=hello%21")
        try channel.writeInbound(frame(.text, "x"))
        XCTAssertEqual(texts(try written(channel)), ["hello!", "x"])
        XCTAssertEqual(counters.wsMessagesSent.value, 2)
        _ = try? channel.finish()
    }

    func testTooLongMessagesGet1009AndProtocolErrors1002() throws {
        let long = try channel("?max_message=5")
        try long.writeInbound(frame(.text, "abc", fin: false))
        try long.writeInbound(frame(.continuation, "def"))
        XCTAssertEqual(try written(long).map { closeCode($0.1) }, [1009])
        XCTAssertEqual(counters.wsMessagesReceived.value, 0)

        let stray = try channel()
        try stray.writeInbound(frame(.continuation, "nothing to continue"))
        XCTAssertEqual(try written(stray).map { closeCode($0.1) }, [1002])

        // The decoder's own errors: a frame past the limit, then the connection closes without waiting.
        let decoder = try channel()
        decoder.pipeline.fireErrorCaught(NIOWebSocketError.invalidFrameLength)
        XCTAssertEqual(try written(decoder).map { closeCode($0.1) }, [1009])
        XCTAssertFalse(decoder.isActive)
        XCTAssertEqual(counters.wsClosesSent.value, 3)
    }
}
