import Foundation

/// `--raw` for a WebSocket run: one NDJSON line per handshake and one per message, in the shape of an HTTP run's
/// request lines (times in µs from the run's start, `due`, `sent`, `done`; `error` null or a class), with a `kind`
/// and the connection slot. Every message the `messages` section counts has exactly one line, so the `message` lines
/// number `messages.total`, and the `handshake` lines `requests.total`.
///
/// ```
/// {"kind":"handshake","due":0,"sent":0,"done":812,"target":"ws://127.0.0.1:8080/ws","status":101,"bytes":129,"error":null,"connection":0}
/// {"kind":"message","due":812,"sent":815,"done":901,"latency":89,"outcome":"answered","error":null,"bytes":7,"connection":0}
/// {"kind":"message","due":1000,"sent":null,"done":1400,"latency":null,"outcome":"dropped","error":"dropped","bytes":0,"connection":0}
/// ```
///
/// A value an engine thread fills and hands over once a second (`take`); pure, so its lines are tested without sockets.
public struct WebSocketRawLines: Sendable {
    /// How a message ended: the `outcome` of its line.
    public enum Outcome: String, Sendable {
        case answered, failed, dropped
    }

    /// The lines so far, not yet taken.
    public private(set) var bytes: [UInt8] = []
    /// The target's name as a JSON string, encoded once.
    private let target: [UInt8]

    public init(targetName: String) {
        let encoded = (try? JSONOutput.encode(targetName)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        target = Array(encoded.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
    }

    /// The lines gathered so far; the buffer starts empty again.
    public mutating func take() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    /// A handshake (one request of the run): its outcome as an HTTP request line has it (`bytes`: the response's
    /// header bytes), on connection slot `connection`. `dropped`: an open-model arrival that never opened (`sent` null,
    /// `error` "dropped", `connection` null).
    public mutating func handshake(_ o: RequestOutcome, connection: Int?, dropped: Bool = false) {
        text("{\"kind\":\"handshake\",\"due\":"); number(o.dueMicros)
        text(",\"sent\":"); if dropped { text("null") } else { number(o.sentMicros) }
        text(",\"done\":"); number(o.doneMicros)
        text(",\"target\":"); bytes.append(contentsOf: target)
        text(",\"status\":"); number(Int64(o.status))
        text(",\"bytes\":"); number(dropped ? 0 : o.bytesIn)
        text(",\"error\":")
        if dropped { text("\"dropped\"") } else if let e = o.error { quoted(e.rawValue) } else { text("null") }
        text(",\"connection\":"); if let connection { number(Int64(connection)) } else { text("null") }
        text("}\n")
    }

    /// A message that ended at `doneMicros`: answered (`latency` = done − due), failed with `error`, or dropped (never
    /// sent: `sentMicros` nil). `bytes`: the answer's payload bytes (0 unless answered).
    public mutating func message(_ outcome: Outcome, dueMicros: Int64, sentMicros: Int64?, doneMicros: Int64,
                                 error: MessageError? = nil, bytes answerBytes: Int = 0, connection: Int) {
        text("{\"kind\":\"message\",\"due\":"); number(dueMicros)
        text(",\"sent\":"); if let sentMicros { number(sentMicros) } else { text("null") }
        text(",\"done\":"); number(doneMicros)
        text(",\"latency\":"); if outcome == .answered { number(doneMicros - dueMicros) } else { text("null") }
        text(",\"outcome\":"); quoted(outcome.rawValue)
        text(",\"error\":")
        switch outcome {
        case .answered: text("null")
        case .failed: quoted((error ?? .receive).rawValue)
        case .dropped: text("\"dropped\"")
        }
        text(",\"bytes\":"); number(Int64(outcome == .answered ? answerBytes : 0))
        text(",\"connection\":"); number(Int64(connection))
        text("}\n")
    }

    /// `count` dropped messages on one connection, the first due at `firstDueMicros`, then every `intervalMicros`.
    public mutating func dropped(count: Int, firstDueMicros: Int64, intervalMicros: Int64, doneMicros: Int64, connection: Int) {
        for j in 0..<Swift.max(0, count) {
            message(.dropped, dueMicros: firstDueMicros + Int64(j) * intervalMicros, sentMicros: nil, doneMicros: doneMicros,
                    connection: connection)
        }
    }

    private mutating func text(_ s: StaticString) { s.withUTF8Buffer { bytes.append(contentsOf: $0) } }

    private mutating func quoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: s.utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func number(_ v: Int64) { bytes.append(contentsOf: String(v).utf8) }
}
