import ArgumentParser
import Foundation
import BarrageCore
import BarrageEngine

/// `run`'s WebSocket flags (`barrage run ws://…` or `wss://…`): the message plan of each connection. The connections
/// are `-c`, the run's message budget `-n`, its duration `-d`, the answer timeout `--timeout`; headers, TLS flags and
/// `--connect-to` apply to the handshake.
struct WebSocketOptions: ParsableArguments {
    @Option(name: .customLong("ws-message"), help: ArgumentHelp("WebSocket: the message each connection sends (default 'barrage'); @FILE reads it from a file.", valueName: "text|@file"))
    var message: String?

    @Flag(name: .customLong("ws-binary"), help: "WebSocket: send binary frames (default text).")
    var binary = false

    @Option(name: .customLong("ws-size"), parsing: .unconditional, help: ArgumentHelp("WebSocket: a payload of this many bytes (the message padded with '.', or cut).", valueName: "bytes"))
    var size: FlagValue.Size?

    @Option(name: .customLong("ws-rate"), parsing: .unconditional, help: ArgumentHelp("WebSocket: messages per second per connection, due 1/RATE apart; latency counts from each due time. Default: the next message goes when the answer arrives.", valueName: "msg/s"))
    var rate: FlagValue.Rate?

    @Option(name: .customLong("ws-messages"), parsing: .unconditional, help: ArgumentHelp("WebSocket: messages per connection, then close (1000) and open a new one.", valueName: "n"))
    var messagesPerConnection: FlagValue.Whole?

    @Option(name: .customLong("ws-answer"), help: ArgumentHelp("WebSocket: what answers a message: echo (the next message equal to it, default), any (the next message), match:REGEX (the next message matching).", valueName: "echo|any|match:REGEX"))
    var answer: String?

    /// Whether `url` is a WebSocket URL.
    static func isWebSocket(_ url: String) -> Bool {
        let u = url.lowercased()
        return u.hasPrefix("ws://") || u.hasPrefix("wss://")
    }

    /// The flags given, for "only for ws:// URLs".
    var given: [String] {
        [("--ws-message", message != nil), ("--ws-binary", binary), ("--ws-size", size != nil), ("--ws-rate", rate != nil),
         ("--ws-messages", messagesPerConnection != nil), ("--ws-answer", answer != nil)].filter(\.1).map(\.0)
    }

    /// The message plan, checked (one line naming the flag on a bad value).
    func plan() throws -> WebSocketPlan {
        var payload = WebSocketPlan.defaultPayload
        if let message {
            if message.hasPrefix("@") {
                let path = String(message.dropFirst())
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw BarrageError.usage("--ws-message @\(path): cannot read the file")
                }
                payload = Array(data)
            } else {
                payload = Array(message.utf8)
            }
        }
        if let size { payload = WebSocketPlan.sized(payload, bytes: try size.checked("--ws-size", min: 1, max: 16 << 20)) }
        if payload.isEmpty { throw BarrageError.usage("--ws-message: the message is empty (give text, or --ws-size)") }
        if !binary && String(validatingUTF8: payload.map { CChar(bitPattern: $0) } + [0]) == nil {
            throw BarrageError.usage("--ws-message: not UTF-8 text; add --ws-binary to send it in binary frames")
        }
        let answer = try Self.answer(self.answer ?? "echo")
        return WebSocketPlan(payload: payload, binary: binary,
                             ratePerConnection: try rate?.checked("--ws-rate", max: 1_000_000),
                             messagesPerConnection: try messagesPerConnection?.checked("--ws-messages", in: 1...Int.max),
                             answer: answer)
    }

    static func answer(_ text: String) throws -> WebSocketPlan.Answer {
        switch text {
        case "echo": return .echo
        case "any": return .any
        default:
            guard text.hasPrefix("match:") else {
                throw BarrageError.usage("--ws-answer '\(text)': expected echo, any or match:REGEX")
            }
            let pattern = String(text.dropFirst("match:".count))
            guard !pattern.isEmpty, (try? NSRegularExpression(pattern: pattern)) != nil else {
                throw BarrageError.usage("--ws-answer '\(text)': not a regular expression")
            }
            return .match(pattern)
        }
    }

    /// WebSocket needs a libcurl with `ws` in its protocol list (8.x; Debian 12's 7.88.1 has none): one line naming the
    /// loaded version and how to get 8.x, before anything is sent.
    static func checkLibcurl(_ libcurl: LibcurlInfo = .loaded) throws {
        if !libcurl.webSockets { throw BarrageError.usage(libcurl.webSocketRefusal) }
    }
}
