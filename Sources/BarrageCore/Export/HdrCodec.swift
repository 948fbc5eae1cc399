import CZlib
import Foundation
import Histogram

/// HdrHistogram's standard V2 encoding, the one Java, C, Go, Rust and Python HdrHistogram read and write
/// (Java's `encodeIntoCompressedByteBuffer` / `decodeFromCompressedByteBuffer`, the "HISTF…" blobs of
/// HdrHistogram log files).
///
/// Uncompressed V2 (all integers big-endian):
/// ```
/// Int32  cookie 0x1c849313 (V2 base 0x1c849303 | 0x10: LEB128-64b9B + ZigZag counts)
/// Int32  payload length: bytes of the counts that follow the 40-byte header
/// Int32  normalizingIndexOffset (0)
/// Int32  numberOfSignificantValueDigits
/// Int64  lowestDiscernibleValue
/// Int64  highestTrackableValue
/// Double integerToDoubleValueConversionRatio (1.0)
/// counts in counts-array index order, each a ZigZag LEB128 varint (at most 9 bytes, the ninth carrying 8 bits);
///        a negative value -n stands for n consecutive zero counts
/// ```
/// Compressed V2: Int32 cookie 0x1c849314 (V2 compressed base 0x1c849304 | 0x10), Int32 length of the deflated
/// bytes, then the uncompressed V2 encoding deflated with zlib's wrapper (`compress2`). Its base64 starts "HISTF".
///
/// Decoding accepts only Barrage's layout (``LatencyHistograms``: lowest discernible value 1, 3 significant digits),
/// so that a decoded histogram adds exactly into ours. Every read is bounds-checked, inflation stops at
/// 64 MiB and anything unexpected throws ``HdrCodecError``; `barrage merge` reads files from elsewhere.
public enum HdrCodec {
    /// Cookie of the uncompressed V2 encoding as Java writes it.
    static let v2Cookie: UInt32 = 0x1c84_9313
    /// Cookie of the compressed V2 encoding as Java writes it.
    static let v2CompressedCookie: UInt32 = 0x1c84_9314
    /// Java compares cookies with the word-size nibble masked off (`cookie & ~0xf0`); so do we.
    static let v2CookieBase: UInt32 = 0x1c84_9303
    static let v2CompressedCookieBase: UInt32 = 0x1c84_9304
    static let v1CookieBase: UInt32 = 0x1c84_9301
    static let v1CompressedCookieBase: UInt32 = 0x1c84_9302
    static let v0CookieBase: UInt32 = 0x1c84_9308
    static let v0CompressedCookieBase: UInt32 = 0x1c84_9309

    /// Bytes before the counts in the uncompressed encoding.
    static let headerBytes = 40
    /// Bytes before the deflated data in the compressed encoding.
    static let compressedHeaderBytes = 8
    /// Inflation stops here: far above what our layout can need (40 + 9 bytes per count ≈ 212 KiB), far below harm.
    static let maxDecompressedBytes = 64 << 20

    // MARK: Encoding

    /// Standard V2 compressed encoding, base64 ("HISTF…").
    public static func encodeCompressedBase64(_ h: LatencyHistogram) -> String {
        Data(encodeCompressed(h)).base64EncodedString()
    }

    /// Standard V2 compressed encoding: cookie, deflated length, zlib-deflated uncompressed V2 encoding.
    public static func encodeCompressed(_ h: LatencyHistogram) -> [UInt8] {
        let plain = encodeUncompressed(h)
        let deflated = deflate(plain)
        var out = [UInt8]()
        out.reserveCapacity(compressedHeaderBytes + deflated.count)
        out.appendBigEndian(v2CompressedCookie)
        out.appendBigEndian(UInt32(deflated.count))
        out.append(contentsOf: deflated)
        return out
    }

    /// Standard V2 uncompressed encoding: the 40-byte header, then the counts up to the index of the maximum recorded
    /// value, zero runs folded, exactly as Java's `encodeIntoByteBuffer` writes them.
    ///
    /// Written straight from the histogram's counts array into a buffer sized for the worst case: the timeline encodes
    /// every target's histogram every second, and walking the counts through the library's `recordedValues()` (its
    /// iterator does a dozen operations per index, zero counts included) was most of what the controller spent.
    /// When the counts array cannot be read (see ``countsArray(of:)``) the same bytes come from
    /// ``encodeUncompressedByIteration(_:)``.
    static func encodeUncompressed(_ h: LatencyHistogram) -> [UInt8] {
        let layout = HdrLayout(of: h)
        // Java encodes `countsArrayIndex(maxValue) + 1` counts; an empty histogram thus encodes one zero count.
        let countsLimit = layout.countsIndex(forValue: h.maxRecorded) + 1
        guard let counts = countsArray(of: h), counts.count == layout.countsLength, countsLimit <= counts.count else {
            return encodeUncompressedByIteration(h)
        }
        // At most one varint (9 bytes) per count: a zero run takes one varint for several counts.
        let capacity = headerBytes + 9 * countsLimit
        var total: UInt64 = 0
        let out = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            let base = buffer.baseAddress!
            var at = headerBytes
            counts.withUnsafeBufferPointer { c in
                var index = 0
                while index < countsLimit {
                    let count = c[index]
                    if count != 0 {
                        total &+= count
                        // A UInt64 count above Int64.max has no V2 representation (Java's counts are signed); saturate.
                        at = putZigZagVarint(Int64(clamping: count), base, at)
                        index += 1
                        continue
                    }
                    var end = index + 1
                    while end < countsLimit && c[end] == 0 { end += 1 }
                    let zeros = end - index
                    at = putZigZagVarint(zeros == 1 ? 0 : -Int64(zeros), base, at)
                    index = end
                }
            }
            putBigEndian(v2Cookie, base, 0)
            putBigEndian(UInt32(at - headerBytes), base, 4)
            putBigEndian(UInt32(0), base, 8) // normalizingIndexOffset
            putBigEndian(UInt32(h.numberOfSignificantValueDigits.rawValue), base, 12)
            putBigEndian(h.lowestDiscernibleValue, base, 16)
            putBigEndian(h.highestTrackableValue, base, 24)
            putBigEndian((1.0 as Double).bitPattern, base, 32) // integerToDoubleValueConversionRatio
            initialized = at
        }
        // Every count lies at or below the maximum's index; if the array read is not the one the total counts, the
        // reflection found something else: take the library's iterator instead.
        guard total == h.totalCount else { return encodeUncompressedByIteration(h) }
        return out
    }

    /// The histogram's counts array. hdrhistogram-swift keeps it internal (`@usableFromInline var counts`) and offers
    /// only iterators over it; its stored properties are readable through reflection, which costs one look-up per
    /// call instead of a dozen operations per index. Nil if the library ever stores it differently.
    static func countsArray(of h: LatencyHistogram) -> [UInt64]? {
        for child in Mirror(reflecting: h).children where child.label == "counts" {
            return child.value as? [UInt64]
        }
        return nil
    }

    /// The same encoding through the library's public iterator: the reference for ``encodeUncompressed(_:)`` (tests
    /// compare the two) and its fallback.
    static func encodeUncompressedByIteration(_ h: LatencyHistogram) -> [UInt8] {
        let layout = HdrLayout(of: h)
        var counts = [UInt8]()
        let countsLimit = layout.countsIndex(forValue: h.maxRecorded) + 1
        var nextIndex = 0 // the first index not yet written
        func writeZeros(upTo index: Int) {
            let zeros = index - nextIndex
            if zeros == 1 {
                counts.appendZigZagVarint(0)
            } else if zeros > 1 {
                counts.appendZigZagVarint(-Int64(zeros))
            }
            nextIndex = index
        }
        // `recordedValues()` visits the non-zero counts in index order; each value is its index's highest equivalent,
        // which maps back to that same index.
        for step in h.recordedValues() {
            let index = layout.countsIndex(forValue: step.value)
            guard index < countsLimit else { break }
            writeZeros(upTo: index)
            counts.appendZigZagVarint(Int64(clamping: step.count))
            nextIndex = index + 1
        }
        writeZeros(upTo: countsLimit)

        var out = [UInt8]()
        out.reserveCapacity(headerBytes + counts.count)
        out.appendBigEndian(v2Cookie)
        out.appendBigEndian(UInt32(counts.count))
        out.appendBigEndian(UInt32(0)) // normalizingIndexOffset
        out.appendBigEndian(UInt32(h.numberOfSignificantValueDigits.rawValue))
        out.appendBigEndian(h.lowestDiscernibleValue)
        out.appendBigEndian(h.highestTrackableValue)
        out.appendBigEndian((1.0 as Double).bitPattern) // integerToDoubleValueConversionRatio
        out.append(contentsOf: counts)
        return out
    }

    /// Writes `value` big-endian at `base + at`.
    private static func putBigEndian<T: FixedWidthInteger>(_ value: T, _ base: UnsafeMutablePointer<UInt8>, _ at: Int) {
        var bigEndian = value.bigEndian
        withUnsafeBytes(of: &bigEndian) { UnsafeMutableRawPointer(base + at).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// Java's `ZigZagEncoding.putLong` at `base + at` (as `appendZigZagVarint`); returns the position after it.
    private static func putZigZagVarint(_ value: Int64, _ base: UnsafeMutablePointer<UInt8>, _ at: Int) -> Int {
        var raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var at = at
        for _ in 0 ..< 8 {
            if raw < 0x80 {
                base[at] = UInt8(raw)
                return at + 1
            }
            base[at] = UInt8(raw & 0x7f) | 0x80
            raw >>= 7
            at += 1
        }
        base[at] = UInt8(raw)
        return at + 1
    }

    // MARK: Decoding

    /// Decodes the base64 of a V2 compressed (or uncompressed V2) encoding. Surrounding whitespace is ignored.
    public static func decode(base64: String) throws -> LatencyHistogram {
        let trimmed = base64.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, let data = Data(base64Encoded: trimmed) else {
            throw HdrCodecError(.badBase64, "not valid base64")
        }
        return try decode([UInt8](data))
    }

    /// Decodes V2 compressed (and uncompressed V2) encodings. Throws (never traps) on malformed input, unsupported
    /// cookies, or a layout (lowest discernible value, significant digits) different from ours — callers turn that
    /// into an error line. Values beyond our highest trackable value are an error too.
    public static func decode(_ bytes: [UInt8]) throws -> LatencyHistogram {
        var reader = ByteReader(bytes)
        let cookie = try reader.uint32()
        switch cookie & ~0xf0 {
        case v2CompressedCookieBase:
            let length = Int(try reader.uint32())
            guard length == reader.remaining else {
                throw HdrCodecError(.truncated, "compressed length \(length) but \(reader.remaining) bytes follow")
            }
            return try decodeUncompressed(inflate(try reader.bytes(length)))
        case v2CookieBase:
            return try decodeUncompressed(bytes)
        case v0CookieBase, v0CompressedCookieBase, v1CookieBase, v1CompressedCookieBase:
            throw HdrCodecError(.unsupportedCookie, "cookie 0x\(hex(cookie)) is an older (V0/V1) encoding; only V2 is supported")
        default:
            throw HdrCodecError(.unsupportedCookie, "cookie 0x\(hex(cookie)) is not an HdrHistogram V2 encoding")
        }
    }

    static func decodeUncompressed(_ bytes: [UInt8]) throws -> LatencyHistogram {
        var reader = ByteReader(bytes)
        let cookie = try reader.uint32()
        guard cookie & ~0xf0 == v2CookieBase else {
            throw HdrCodecError(.unsupportedCookie, "inner cookie 0x\(hex(cookie)) is not an uncompressed V2 encoding")
        }
        let payloadLength = Int(try reader.uint32())
        let normalizingIndexOffset = try reader.uint32()
        let digits = try reader.uint32()
        let lowest = try reader.uint64()
        _ = try reader.uint64() // highestTrackableValue: any; the counts themselves are checked against ours
        _ = try reader.uint64() // integerToDoubleValueConversionRatio: only DoubleHistogram uses it

        var histogram = LatencyHistograms.make()
        let layout = HdrLayout(of: histogram)
        guard lowest == histogram.lowestDiscernibleValue,
              digits == UInt32(histogram.numberOfSignificantValueDigits.rawValue) else {
            throw HdrCodecError(.foreignLayout, "layout is lowest discernible value \(lowest), \(digits) significant digits; " +
                "expected \(histogram.lowestDiscernibleValue), \(histogram.numberOfSignificantValueDigits.rawValue)")
        }
        guard normalizingIndexOffset == 0 else {
            throw HdrCodecError(.foreignLayout, "normalizing index offset \(Int32(bitPattern: normalizingIndexOffset)) is not supported")
        }
        guard payloadLength == reader.remaining else {
            throw HdrCodecError(.truncated, "payload length \(payloadLength) but \(reader.remaining) bytes follow the header")
        }

        // First pass: validate everything and collect the non-zero counts, so a bad blob never half-fills a histogram.
        var nonZero = [(index: Int, count: UInt64)]()
        var index = 0
        var totalCount: UInt64 = 0
        while reader.remaining > 0 {
            let value = try reader.zigZagVarint()
            if value < 0 {
                // -n: n zero counts. Int64.min has no positive counterpart; it cannot fit our layout anyway.
                guard value != .min, Int(-value) <= layout.countsLength - index else {
                    throw HdrCodecError(.badCounts, "counts array is longer than our layout's \(layout.countsLength) entries")
                }
                index += Int(-value)
                continue
            }
            guard index < layout.countsLength else {
                throw HdrCodecError(.badCounts, "counts array is longer than our layout's \(layout.countsLength) entries")
            }
            if value > 0 {
                guard layout.value(atIndex: index) <= histogram.highestTrackableValue else {
                    throw HdrCodecError(.badCounts, "a count at value \(layout.value(atIndex: index)) is beyond the highest " +
                        "trackable value \(histogram.highestTrackableValue)")
                }
                let (sum, overflow) = totalCount.addingReportingOverflow(UInt64(value))
                // Java's total is a signed 64-bit count; beyond that percentiles and summaries would overflow.
                guard !overflow, sum <= UInt64(Int64.max) else {
                    throw HdrCodecError(.badCounts, "total count overflows 64 bits")
                }
                totalCount = sum
                nonZero.append((index, UInt64(value)))
            }
            index += 1
        }

        // Record each count at its index's lowest value, then touch the highest value of the top index with a zero
        // count: min and max come out as Java's decoder sets them (lowest equivalent of the smallest non-zero index,
        // highest equivalent of the largest). The exact min and max recorded are not part of the format.
        for entry in nonZero {
            guard histogram.record(layout.value(atIndex: entry.index), count: entry.count) else {
                throw HdrCodecError(.badCounts, "count at index \(entry.index) does not fit our layout")
            }
        }
        if let top = nonZero.last {
            histogram.record(layout.highestEquivalentValue(atIndex: top.index), count: 0)
        }
        return histogram
    }

    // MARK: zlib

    /// zlib-wrapped deflate of `input` (zlib's `compress2`, the format Java's `Deflater` writes by default).
    static func deflate(_ input: [UInt8]) -> [UInt8] {
        var capacity = compressBound(uLong(input.count))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = out.withUnsafeMutableBufferPointer { dst in
            input.withUnsafeBufferPointer { src in
                compress2(dst.baseAddress, &capacity, src.baseAddress, uLong(src.count), Z_DEFAULT_COMPRESSION)
            }
        }
        // compress2 fails only without memory or with a too-small buffer, and compressBound rules the latter out.
        precondition(status == Z_OK, "zlib compress2 failed: \(status)")
        out.removeSubrange(Int(capacity)...)
        return out
    }

    /// Inflates one complete zlib stream (zlib's `inflate`), stopping at `limit` bytes of output.
    static func inflate(_ input: [UInt8], limit: Int = maxDecompressedBytes) throws -> [UInt8] {
        guard !input.isEmpty else { throw HdrCodecError(.truncated, "no compressed data") }
        var stream = z_stream()
        guard inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw HdrCodecError(.compression, "zlib inflateInit failed")
        }
        defer { inflateEnd(&stream) }

        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        return try input.withUnsafeBufferPointer { src in
            stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
            stream.avail_in = uInt(src.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { dst in
                    stream.next_out = dst.baseAddress
                    stream.avail_out = uInt(dst.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                guard out.count + produced <= limit else {
                    throw HdrCodecError(.tooLarge, "decompresses to more than \(limit) bytes")
                }
                out.append(contentsOf: chunk[0 ..< produced])
                switch status {
                case Z_STREAM_END:
                    guard stream.avail_in == 0 else {
                        throw HdrCodecError(.compression, "\(stream.avail_in) bytes follow the end of the zlib stream")
                    }
                    return out
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress possible: the input ended before the stream did.
                    throw HdrCodecError(.truncated, "zlib stream is truncated")
                default:
                    throw HdrCodecError(.compression, "zlib inflate failed (\(status))")
                }
            }
        }
    }

    private static func hex(_ value: UInt32) -> String { String(value, radix: 16) }
}

/// Why a histogram could not be decoded. `kind` is a small closed set (fit for a metric label); `detail` says what
/// was found, for the one error line a caller prints.
public struct HdrCodecError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The text is not base64.
        case badBase64
        /// The input ends early, or a declared length does not match what follows.
        case truncated
        /// Not an HdrHistogram V2 cookie (V0/V1 encodings included).
        case unsupportedCookie
        /// zlib rejected the compressed data.
        case compression
        /// Decompresses beyond 64 MiB.
        case tooLarge
        /// A lowest discernible value, significant-digit count or index offset other than ours.
        case foreignLayout
        /// The counts do not fit our layout: too many, beyond the highest trackable value, or overflowing.
        case badCounts
    }

    public let kind: Kind
    public let detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "invalid HdrHistogram encoding: \(detail)" }
}

/// The counts-array geometry of an HdrHistogram, computed as hdrhistogram-swift (and Java) compute it: bucket 0
/// holds `subBucketCount` unit-wide slots, each later bucket the upper half of a sub-bucket array twice as coarse.
struct HdrLayout: Equatable {
    /// log2 of the lowest discernible value, rounded down.
    let unitMagnitude: Int
    let subBucketHalfCountMagnitude: Int
    let countsLength: Int

    var subBucketHalfCount: Int { 1 << subBucketHalfCountMagnitude }
    var subBucketCount: Int { 2 << subBucketHalfCountMagnitude }

    init(of h: LatencyHistogram) {
        // The equivalent range of 0 is one unit: 1 << unitMagnitude, exactly as the library rounded it.
        unitMagnitude = h.sizeOfEquivalentRangeForValue(0).trailingZeroBitCount
        // Single-unit resolution up to 2 * 10^digits, rounded up to a power of two (ceil(log2) in integers).
        var largestWithUnitResolution: UInt64 = 2
        for _ in 0 ..< h.numberOfSignificantValueDigits.rawValue { largestWithUnitResolution *= 10 }
        let subBucketCountMagnitude = 64 - (largestWithUnitResolution - 1).leadingZeroBitCount
        subBucketHalfCountMagnitude = max(subBucketCountMagnitude, 1) - 1

        var smallestUntrackable = UInt64(2 << subBucketHalfCountMagnitude) << unitMagnitude
        var bucketCount = 1
        while smallestUntrackable <= h.highestTrackableValue {
            if smallestUntrackable > UInt64.max / 2 {
                bucketCount += 1
                break
            }
            smallestUntrackable <<= 1
            bucketCount += 1
        }
        countsLength = (bucketCount + 1) << subBucketHalfCountMagnitude
    }

    func countsIndex(forValue value: UInt64) -> Int {
        let subBucketMask = UInt64(subBucketCount - 1) << unitMagnitude
        let leadingZeroCountBase = 64 - unitMagnitude - (subBucketHalfCountMagnitude + 1)
        let bucketIndex = leadingZeroCountBase - (value | subBucketMask).leadingZeroBitCount
        let subBucketIndex = Int(value >> (bucketIndex + unitMagnitude))
        return ((bucketIndex + 1) << subBucketHalfCountMagnitude) + subBucketIndex - subBucketHalfCount
    }

    /// The lowest value counted at `index`.
    func value(atIndex index: Int) -> UInt64 {
        var bucketIndex = (index >> subBucketHalfCountMagnitude) - 1
        var subBucketIndex = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
        if bucketIndex < 0 {
            subBucketIndex -= subBucketHalfCount
            bucketIndex = 0
        }
        return UInt64(subBucketIndex) << (bucketIndex + unitMagnitude)
    }

    /// The highest value counted at `index`.
    func highestEquivalentValue(atIndex index: Int) -> UInt64 {
        let bucketIndex = max((index >> subBucketHalfCountMagnitude) - 1, 0)
        return value(atIndex: index) + (UInt64(1) << (bucketIndex + unitMagnitude)) - 1
    }
}

/// Bounds-checked big-endian reads over a byte array.
private struct ByteReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw HdrCodecError(.truncated, "input ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= remaining else { throw HdrCodecError(.truncated, "input ends early") }
        defer { position += count }
        return Array(bytes[position ..< position + count])
    }

    mutating func uint32() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0 ..< 4 { value = value << 8 | UInt32(try byte()) }
        return value
    }

    mutating func uint64() throws -> UInt64 {
        var value: UInt64 = 0
        for _ in 0 ..< 8 { value = value << 8 | UInt64(try byte()) }
        return value
    }

    /// Java's `ZigZagEncoding.getLong`: LEB128 of at most 9 bytes, the ninth contributing all 8 bits, then ZigZag.
    mutating func zigZagVarint() throws -> Int64 {
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            if shift == 56 {
                raw |= UInt64(b) << 56
                break
            }
            raw |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }
}

private extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        var bigEndian = value.bigEndian
        Swift.withUnsafeBytes(of: &bigEndian) { append(contentsOf: $0) }
    }

    /// Java's `ZigZagEncoding.putLong`: ZigZag, then LEB128 of at most 9 bytes, the ninth carrying the top 8 bits.
    mutating func appendZigZagVarint(_ value: Int64) {
        var raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        for _ in 0 ..< 8 {
            if raw < 0x80 {
                append(UInt8(raw))
                return
            }
            append(UInt8(raw & 0x7f) | 0x80)
            raw >>= 7
        }
        append(UInt8(raw))
    }
}
