import Foundation

/// How every JSON document Barrage writes is encoded: pretty-printed, keys sorted (stable diffs), slashes unescaped,
/// a trailing newline.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }
}
