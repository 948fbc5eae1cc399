import Foundation

/// What a `/ws` request asks of the WebSocket echo route, from its query alone (see ``Route/webSocket(_:)``).
///
/// | parameter | meaning | range (default) |
/// | --- | --- | --- |
/// | `delay_ms=D` | each echo is sent D ms after its message arrived, in arrival order | 0...``Route/maxDelayMillis`` (0) |
/// | `close_after=N` | after echoing N messages the server sends a close frame with `close_code` | 1...2^63-1 (never) |
/// | `close_code=C` | the code of that close frame | 1000-1003, 1007-1014, 3000-4999 (1000) |
/// | `refuse=S` | the upgrade is answered with HTTP status S and a short body instead | 400...599 (upgrade) |
/// | `greet=TEXT` | TEXT (percent-encoded UTF-8) is sent as a text message right after the upgrade | 1...``maxGreetingBytes`` bytes |
/// | `max_message=B` | a message longer than B bytes is answered with close code 1009 | 0...``maxMessageBytesLimit`` (the limit) |
///
/// A bad value makes the route ``Route/badParameter(message:)`` (400, naming the parameter).
struct WebSocketOptions: Equatable, Sendable {
    /// `delay_ms`: how long after its message arrived each echo is sent.
    var delayMillis: Int64 = 0
    /// `close_after`: echoes after which the server closes; `nil` for never.
    var closeAfterMessages: Int? = nil
    /// `close_code`: the code of the server's close frame after `close_after` echoes.
    var closeCode: UInt16 = 1000
    /// `refuse`: the HTTP status answering the upgrade request instead of 101; `nil` to upgrade.
    var refuseStatus: Int? = nil
    /// `greet`: a text message sent right after the upgrade, before any echo.
    var greeting: String? = nil
    /// `max_message`: the longest message (reassembled payload) echoed; a longer one gets close code 1009.
    var maxMessageBytes: Int = WebSocketOptions.maxMessageBytesLimit

    /// The largest `max_message`, its default, and the largest frame the decoder accepts (16 MiB): what bounds a
    /// connection's memory. A longer frame is refused by the frame decoder with close code 1009 as well.
    static let maxMessageBytesLimit = 16 * 1024 * 1024
    /// The longest `greet` text, in UTF-8 bytes after percent-decoding.
    static let maxGreetingBytes = 4096

    /// Whether `code` may be sent in a close frame: the codes RFC 6455 §7.4 defines for sending (1004, 1005, 1006
    /// and 1015 are reserved) and the ranges for libraries (3000-3999) and applications (4000-4999).
    static func isSendableCloseCode(_ code: Int) -> Bool {
        (1000...1003).contains(code) || (1007...1014).contains(code) || (3000...4999).contains(code)
    }

    /// `/ws`'s query parameters as a route: ``Route/webSocket(_:)``, or ``Route/badParameter(message:)`` naming the
    /// first bad one.
    static func route(query parameters: [Substring: Substring]) -> Route {
        var options = WebSocketOptions()
        guard let delay = Route.int(parameters["delay_ms"], default: 0, in: 0...Int(Route.maxDelayMillis)) else {
            return .badParameter(message: "bad request: delay_ms must be an integer in 0...\(Route.maxDelayMillis)")
        }
        options.delayMillis = Int64(delay)
        if let text = parameters["close_after"] {
            guard let count = Route.int(text, default: 0, in: 1...Int.max) else {
                return .badParameter(message: "bad request: close_after must be an integer of at least 1")
            }
            options.closeAfterMessages = count
        }
        guard let code = Route.int(parameters["close_code"], default: 1000, in: 1000...4999), isSendableCloseCode(code) else {
            return .badParameter(message: "bad request: close_code must be 1000-1003, 1007-1014 or 3000-4999")
        }
        options.closeCode = UInt16(code)
        if let text = parameters["refuse"] {
            guard let status = Route.int(text, default: 0, in: 400...599) else {
                return .badParameter(message: "bad request: refuse must be an HTTP status in 400...599")
            }
            options.refuseStatus = status
        }
        if let text = parameters["greet"] {
            guard let greeting = String(text).removingPercentEncoding, (1...maxGreetingBytes).contains(greeting.utf8.count)
            else {
                return .badParameter(message: "bad request: greet must be 1-\(maxGreetingBytes) bytes of percent-encoded UTF-8")
            }
            options.greeting = greeting
        }
        guard let maxMessage = Route.int(parameters["max_message"], default: maxMessageBytesLimit, in: 0...maxMessageBytesLimit)
        else {
            return .badParameter(message: "bad request: max_message must be an integer in 0...\(maxMessageBytesLimit)")
        }
        options.maxMessageBytes = maxMessage
        return .webSocket(options)
    }
}
