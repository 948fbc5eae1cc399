import Foundation

/// A WebSocket message plan as written, before it is combined: a profile's `websocket:` block, or `run`'s `--ws-*`
/// flags. Each field is nil where it was not given, so that the flags can override a profile field by field
/// (`overridden(by:)`) and the defaults fill what neither gives (`plan()`).
public struct WebSocketSettings: Sendable, Equatable {
    /// The message before sizing (`message:`, `message_file:`, `--ws-message`).
    public var message: [UInt8]?
    /// Binary frames (`binary: true`, `--ws-binary`).
    public var binary: Bool?
    /// Pad (with `.`) or cut the message to this many bytes (`size:`, `--ws-size`).
    public var sizeBytes: Int?
    /// Messages per second per connection (`rate:`, `--ws-rate`).
    public var ratePerConnection: Double?
    /// Messages per connection, then a new connection (`messages:`, `--ws-messages`).
    public var messagesPerConnection: Int?
    /// What answers a message (`answer:`, `--ws-answer`).
    public var answer: WebSocketPlan.Answer?

    /// The largest payload a profile or flag may ask for (`size`, `--ws-size`): 16 MiB.
    public static let maxSizeBytes = 16 << 20
    /// The highest rate per connection (`rate`, `--ws-rate`).
    public static let maxRatePerConnection: Double = 1_000_000

    public init(message: [UInt8]? = nil, binary: Bool? = nil, sizeBytes: Int? = nil, ratePerConnection: Double? = nil,
                messagesPerConnection: Int? = nil, answer: WebSocketPlan.Answer? = nil) {
        self.message = message; self.binary = binary; self.sizeBytes = sizeBytes; self.ratePerConnection = ratePerConnection
        self.messagesPerConnection = messagesPerConnection; self.answer = answer
    }

    /// Nothing given.
    public var isEmpty: Bool { self == WebSocketSettings() }

    /// These settings with every field `other` gives replacing this one's (the flags over a profile).
    public func overridden(by other: WebSocketSettings) -> WebSocketSettings {
        WebSocketSettings(message: other.message ?? message, binary: other.binary ?? binary, sizeBytes: other.sizeBytes ?? sizeBytes,
                          ratePerConnection: other.ratePerConnection ?? ratePerConnection,
                          messagesPerConnection: other.messagesPerConnection ?? messagesPerConnection,
                          answer: other.answer ?? answer)
    }

    /// The payload every message carries: the message (default `barrage`), sized when a size is given.
    public var payload: [UInt8] {
        let message = self.message ?? WebSocketPlan.defaultPayload
        return sizeBytes.map { WebSocketPlan.sized(message, bytes: $0) } ?? message
    }

    /// Why the payload cannot be sent, in words; nil when it can: empty, or not UTF-8 in text frames.
    public var payloadProblem: String? {
        let payload = self.payload
        if payload.isEmpty { return "the message is empty (give text, or a size)" }
        if binary != true && String(validating: payload, as: UTF8.self) == nil {
            return "not UTF-8 text; send it in binary frames"
        }
        return nil
    }

    /// The message plan, defaults filled in. `payloadProblem` should be nil.
    public func plan() -> WebSocketPlan {
        WebSocketPlan(payload: payload, binary: binary ?? false, ratePerConnection: ratePerConnection,
                      messagesPerConnection: messagesPerConnection, answer: answer ?? .echo)
    }
}

extension WebSocketPlan.Answer {
    /// `echo`, `any` or `match:REGEX` read; nil when `problem(_:)` has something to say.
    public init?(text: String) {
        guard Self.problem(text) == nil else { return nil }
        switch text {
        case "echo": self = .echo
        case "any": self = .any
        default: self = .match(String(text.dropFirst("match:".count)))
        }
    }

    /// Why `text` is not an answer rule, in words; nil when it is one.
    public static func problem(_ text: String) -> String? {
        if text == "echo" || text == "any" { return nil }
        guard text.hasPrefix("match:") else { return "expected echo, any or match:REGEX" }
        let pattern = String(text.dropFirst("match:".count))
        guard !pattern.isEmpty, (try? NSRegularExpression(pattern: pattern)) != nil else { return "not a regular expression" }
        return nil
    }
}
