/// The value of one flow variable in a VU's variable table: bytes (a capture, a data column, an environment value)
/// or a list (a `list` capture of every `[*]` match, for a later `foreach`).
public enum FlowValue: Sendable, Equatable {
    case bytes([UInt8])
    case list([[UInt8]])

    /// An unset variable (a capture that failed under `continue_on_failure`): renders as nothing.
    public static let empty = FlowValue.bytes([])

    /// The value as text (lists joined by ","), for messages and tests.
    public var text: String {
        switch self {
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        case .list(let items): return items.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",")
        }
    }

    /// Appends the value's bytes; a list renders as its items joined by ",".
    @inlinable
    public func append(into out: inout [UInt8]) {
        switch self {
        case .bytes(let b): out.append(contentsOf: b)
        case .list(let items):
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: item)
            }
        }
    }
}
