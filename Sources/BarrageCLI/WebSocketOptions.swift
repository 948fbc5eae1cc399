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
        let settings = try self.settings()
        if settings.payload.isEmpty { throw BarrageError.usage("--ws-message: the message is empty (give text, or --ws-size)") }
        if settings.payloadProblem != nil {
            throw BarrageError.usage("--ws-message: not UTF-8 text; add --ws-binary to send it in binary frames")
        }
        return settings.plan()
    }

    /// The flags as given, each value checked (one line naming the flag), nil where not given: alone they make a URL
    /// run's plan (`plan()`); on a WebSocket profile each replaces the `websocket:` field it names.
    func settings() throws -> WebSocketSettings {
        var settings = WebSocketSettings()
        if let message {
            if message.hasPrefix("@") {
                let path = String(message.dropFirst())
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw BarrageError.usage("--ws-message @\(path): cannot read the file")
                }
                settings.message = Array(data)
            } else {
                settings.message = Array(message.utf8)
            }
        }
        if binary { settings.binary = true }
        settings.sizeBytes = try size?.checked("--ws-size", min: 1, max: WebSocketSettings.maxSizeBytes)
        settings.ratePerConnection = try rate?.checked("--ws-rate", max: WebSocketSettings.maxRatePerConnection)
        settings.messagesPerConnection = try messagesPerConnection?.checked("--ws-messages", in: 1...Int.max)
        settings.answer = try answer.map { try Self.answer($0) }
        return settings
    }

    static func answer(_ text: String) throws -> WebSocketPlan.Answer {
        guard let answer = WebSocketPlan.Answer(text: text) else {
            throw BarrageError.usage("--ws-answer '\(text)': \(WebSocketPlan.Answer.problem(text) ?? "")")
        }
        return answer
    }

    /// WebSocket needs a libcurl with `ws` in its protocol list (8.x; Debian 12's 7.88.1 has none): one line naming the
    /// loaded version and how to get 8.x, before anything is sent.
    static func checkLibcurl(_ libcurl: LibcurlInfo = .loaded) throws {
        if !libcurl.webSockets { throw BarrageError.usage(libcurl.webSocketRefusal) }
    }
}
