/// Prometheus remote write 1.0 on the wire: a `WriteRequest` protocol buffer, compressed with snappy's block format.
///
/// Only what a push needs is written by hand: the three messages (`WriteRequest { repeated TimeSeries timeseries = 1 }`,
/// `TimeSeries { repeated Label labels = 1; repeated Sample samples = 2 }`, `Label { string name = 1; string value = 2 }`,
/// `Sample { double value = 1; int64 timestamp = 2 }`) and snappy blocks made of literals only, which the format
/// allows (a decoder must accept them; they are just not smaller). A push is a few kilobytes once every few seconds,
/// so compression would buy nothing worth a dependency.
public enum RemoteWrite {
    /// The headers every push carries (the spec's, version 0.1.0).
    public static let headers: [(String, String)] = [
        ("Content-Type", "application/x-protobuf"),
        ("Content-Encoding", "snappy"),
        ("X-Prometheus-Remote-Write-Version", "0.1.0"),
    ]

    /// One sample of one series: its labels (`__name__` among them) and a value at a Unix time in ms.
    public struct Series: Sendable, Equatable {
        public var labels: [Label]
        public var value: Double
        public var timestampMillis: Int64

        public init(name: String, labels: [Label], value: Double, timestampMillis: Int64) {
            self.labels = [Label("__name__", name)] + labels
            self.value = value
            self.timestampMillis = timestampMillis
        }

        /// The metric name.
        public var name: String { labels.first { $0.name == "__name__" }?.value ?? "" }
    }

    public struct Label: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    /// The body of one push: the series encoded, then compressed.
    public static func body(_ series: [Series]) -> [UInt8] { snappy(encode(series)) }

    /// The `WriteRequest` message. Labels are sorted by name within each series, as receivers require.
    public static func encode(_ series: [Series]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(series.count * 96)
        for s in series {
            var ts: [UInt8] = []
            for label in s.labels.sorted(by: { $0.name < $1.name }) {
                var l: [UInt8] = []
                field(1, bytes: Array(label.name.utf8), into: &l)
                field(2, bytes: Array(label.value.utf8), into: &l)
                field(1, bytes: l, into: &ts)
            }
            var sample: [UInt8] = [0x09] // field 1, wire type 1 (64-bit)
            withUnsafeBytes(of: s.value.bitPattern.littleEndian) { sample.append(contentsOf: $0) }
            sample.append(0x10) // field 2, wire type 0 (varint)
            varint(UInt64(bitPattern: s.timestampMillis), into: &sample)
            field(2, bytes: sample, into: &ts)
            field(1, bytes: ts, into: &out)
        }
        return out
    }

    /// A length-delimited field (wire type 2).
    private static func field(_ number: UInt64, bytes: [UInt8], into out: inout [UInt8]) {
        varint(number << 3 | 2, into: &out)
        varint(UInt64(bytes.count), into: &out)
        out.append(contentsOf: bytes)
    }

    static func varint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// Snappy's block format with literals only: the uncompressed length as a varint, then literal elements of at
    /// most 64 KiB each (tag `(len-1) << 2` below 61 bytes, else tag 60–62 followed by `len-1` in 1–3 bytes).
    public static func snappy(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count + input.count / 65_536 * 3 + 8)
        varint(UInt64(input.count), into: &out)
        var start = 0
        while start < input.count {
            let length = min(65_536, input.count - start)
            let n = length - 1
            if n < 60 {
                out.append(UInt8(n) << 2)
            } else if n < 1 << 8 {
                out.append(60 << 2)
                out.append(UInt8(n))
            } else {
                out.append(61 << 2)
                out.append(UInt8(n & 0xFF))
                out.append(UInt8(n >> 8))
            }
            out.append(contentsOf: input[start..<start + length])
            start += length
        }
        return out
    }

    public enum DecodeError: Error { case malformed }

    /// Reads a snappy block made of literals (what `snappy` writes); for tests and diagnostics.
    public static func unsnappyLiterals(_ input: [UInt8]) throws -> [UInt8] {
        var i = 0
        func readVarint() throws -> UInt64 {
            var shift: UInt64 = 0, value: UInt64 = 0
            while true {
                guard i < input.count, shift < 64 else { throw DecodeError.malformed }
                let b = input[i]; i += 1
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
        }
        let total = Int(try readVarint())
        var out: [UInt8] = []
        while i < input.count {
            let tag = input[i]; i += 1
            guard tag & 3 == 0 else { throw DecodeError.malformed }
            var n = Int(tag >> 2)
            if n >= 60 {
                let extra = n - 59
                guard i + extra <= input.count else { throw DecodeError.malformed }
                n = 0
                for k in 0..<extra { n |= Int(input[i + k]) << (8 * k) }
                i += extra
            }
            let length = n + 1
            guard i + length <= input.count else { throw DecodeError.malformed }
            out.append(contentsOf: input[i..<i + length])
            i += length
        }
        guard out.count == total else { throw DecodeError.malformed }
        return out
    }
}
