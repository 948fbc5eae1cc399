import Foundation

/// A WebSocket run's message plan (`barrage run ws://…`): what each connection sends, how often, and what counts as
/// the answer. The connections are the load model's (`-c`: closed); `-n` is the run's message budget
/// (`RunPlan.requestLimit`), `--timeout` the answer timeout. One message is outstanding per connection at a time: the
/// payload carries no correlation id, so the answer is the next message that qualifies (`Answer`).
public struct WebSocketPlan: Sendable, Equatable {
    /// What counts as the answer to the message outstanding on a connection.
    public enum Answer: Sendable, Equatable {
        /// The next message whose payload equals the one sent (the default).
        case echo
        /// The next message, whatever it holds.
        case any
        /// The next message whose payload (as UTF-8 text) matches this regular expression.
        case match(String)

        /// The result's `answer` label: `echo`, `any`, `match`.
        public var label: String {
            switch self {
            case .echo: return "echo"
            case .any: return "any"
            case .match: return "match"
            }
        }
    }

    /// The payload of every message.
    public var payload: [UInt8]
    /// Binary frames (`--ws-binary`); text frames otherwise.
    public var binary: Bool
    /// Messages per second per connection (`--ws-rate`): message k of a connection slot is due at its first open
    /// + k / rate. Nil: the next message is due when the answer to the previous one arrives.
    public var ratePerConnection: Double?
    /// Messages per connection (`--ws-messages`), then the connection closes (1000) and a new one opens. Nil: a
    /// connection lasts as long as the run (or the peer) lets it.
    public var messagesPerConnection: Int?
    public var answer: Answer

    /// The default payload: a short text.
    public static let defaultPayload = Array("barrage".utf8)

    public init(payload: [UInt8] = WebSocketPlan.defaultPayload, binary: Bool = false, ratePerConnection: Double? = nil,
                messagesPerConnection: Int? = nil, answer: Answer = .echo) {
        self.payload = payload
        self.binary = binary
        self.ratePerConnection = ratePerConnection
        self.messagesPerConnection = messagesPerConnection
        self.answer = answer
    }

    /// `--ws-size`: the payload padded (with `.`) or cut to `bytes`.
    public static func sized(_ payload: [UInt8], bytes: Int) -> [UInt8] {
        if payload.count >= bytes { return Array(payload.prefix(bytes)) }
        return payload + [UInt8](repeating: UInt8(ascii: "."), count: bytes - payload.count)
    }

    /// The spacing of due times at `ratePerConnection`, µs (at least 1).
    public var intervalMicros: Int64? {
        ratePerConnection.map { Swift.max(1, Int64((1_000_000 / $0).rounded())) }
    }

    /// The plan as the result records it (`plan.websocket`).
    public struct Record: Codable, Sendable, Equatable {
        public var payload_bytes: Int
        /// `text` or `binary`.
        public var frames: String
        public var rate_per_connection: Double?
        public var messages_per_connection: Int?
        /// The run's message budget (`-n`); absent when bound by time.
        public var messages: Int?
        /// `echo`, `any` or `match`.
        public var answer: String
        /// The regular expression of `match`; absent otherwise.
        public var answer_pattern: String?
        public var answer_timeout_us: Int64
    }

    public func record(messageLimit: Int?, answerTimeoutMicros: Int64) -> Record {
        var pattern: String? = nil
        if case .match(let p) = answer { pattern = p }
        return Record(payload_bytes: payload.count, frames: binary ? "binary" : "text",
                      rate_per_connection: ratePerConnection, messages_per_connection: messagesPerConnection,
                      messages: messageLimit, answer: answer.label, answer_pattern: pattern,
                      answer_timeout_us: answerTimeoutMicros)
    }
}
