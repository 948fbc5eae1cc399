import Foundation
import XCTest
@testable import BarrageCore

final class HdrCodecTests: XCTestCase {
    static let percentiles: [Double] = [50, 90, 99, 99.9, 99.99, 100]

    /// 1 µs … 1 h: exact low values, repeated counts, long zero runs between clusters, single zeros between
    /// neighbours (1 and 3), and the top of the range.
    static func spreadHistogram() -> LatencyHistogram {
        var h = LatencyHistograms.make()
        for value: UInt64 in [1, 3, 4, 5, 999, 1000, 1001, 2047, 2048, 2049, 4095, 10_000, 123_456, 1_000_000, 59_999_999] {
            h.record(value)
        }
        h.record(250, count: 4000)
        h.record(1_500, count: 2500)
        h.record(20_000, count: 900)
        h.record(750_000, count: 90)
        h.record(30_000_000, count: 9)
        for i: UInt64 in 0 ..< 500 { h.record(100 + i * 37) }
        h.record(LatencyHistograms.highestMicros)
        return h
    }

    // MARK: Round trip in Swift

    func testRoundTripPreservesCountsAndPercentiles() throws {
        let original = Self.spreadHistogram()
        let decoded = try HdrCodec.decode(base64: HdrCodec.encodeCompressedBase64(original))

        XCTAssertEqual(decoded.totalCount, original.totalCount)
        XCTAssertEqual(decoded.min, original.min)
        // The format carries counts per bucket, not the exact maximum: the decoded maximum is the top of the maximum's
        // bucket, as in Java's and Python's decoders. `max` (highest equivalent) is identical; `maxRecorded` equivalent.
        XCTAssertEqual(decoded.max, original.max)
        XCTAssertTrue(original.valuesAreEquivalent(decoded.maxRecorded, original.maxRecorded))
        XCTAssertEqual(decoded.maxRecorded, original.highestEquivalentForValue(original.maxRecorded))
        for p in Self.percentiles {
            // Identical wherever the percentile falls below the maximum's bucket; in that bucket Swift's percentile is
            // capped at maxRecorded, so it is identical once both are taken to the top of the bucket.
            let expected = original.highestEquivalentForValue(original.valueAtPercentile(p))
            XCTAssertEqual(decoded.valueAtPercentile(p), expected, "p\(p)")
            XCTAssertTrue(original.valuesAreEquivalent(decoded.valueAtPercentile(p), original.valueAtPercentile(p)), "p\(p)")
        }
        XCTAssertEqual(Self.buckets(decoded), Self.buckets(original))
        XCTAssertEqual(decoded, original)
    }

    func testRoundTripIsExactWhenTheMaximumIsAtTheTopOfItsBucket() throws {
        var original = LatencyHistograms.make()
        original.record(7, count: 3)
        original.record(1_500)
        original.record(original.highestEquivalentForValue(90_000), count: 2)
        let decoded = try HdrCodec.decode(HdrCodec.encodeCompressed(original))
        XCTAssertEqual(decoded.totalCount, original.totalCount)
        XCTAssertEqual(decoded.min, original.min)
        XCTAssertEqual(decoded.maxRecorded, original.maxRecorded)
        for p in Self.percentiles {
            XCTAssertEqual(decoded.valueAtPercentile(p), original.valueAtPercentile(p), "p\(p)")
        }
    }

    func testEmptyHistogramRoundTrips() throws {
        let decoded = try HdrCodec.decode(base64: HdrCodec.encodeCompressedBase64(LatencyHistograms.make()))
        XCTAssertEqual(decoded.totalCount, 0)
        XCTAssertEqual(decoded.maxRecorded, 0)
    }

    func testZeroValueRoundTrips() throws {
        var original = LatencyHistograms.make()
        original.record(0, count: 2)
        original.record(12)
        let decoded = try HdrCodec.decode(HdrCodec.encodeCompressed(original))
        XCTAssertEqual(decoded.totalCount, 3)
        XCTAssertEqual(decoded.min, 0)
        XCTAssertEqual(decoded.countForValue(0), 2)
        XCTAssertEqual(decoded.maxRecorded, 12)
    }

    // MARK: Format

    func testEncodedBase64StartsWithHISTF() {
        XCTAssertTrue(HdrCodec.encodeCompressedBase64(Self.spreadHistogram()).hasPrefix("HISTF"))
        XCTAssertTrue(HdrCodec.encodeCompressedBase64(LatencyHistograms.make()).hasPrefix("HISTF"))
    }

    func testUncompressedHeaderAndCounts() throws {
        var h = LatencyHistograms.make()
        h.record(1)
        h.record(3, count: 2)
        h.record(2000)
        let bytes = HdrCodec.encodeUncompressed(h)
        XCTAssertEqual(Array(bytes[0 ..< 4]), [0x1c, 0x84, 0x93, 0x13], "cookie")
        XCTAssertEqual(Array(bytes[8 ..< 16]), [0, 0, 0, 0, 0, 0, 0, 3], "index offset, digits")
        XCTAssertEqual(Array(bytes[16 ..< 24]), [0, 0, 0, 0, 0, 0, 0, 1], "lowest discernible value")
        XCTAssertEqual(Array(bytes[24 ..< 32]), [0, 0, 0, 0, 0xd6, 0x93, 0xa4, 0x00], "highest trackable value")
        XCTAssertEqual(Array(bytes[32 ..< 40]), [0x3f, 0xf0, 0, 0, 0, 0, 0, 0], "conversion ratio 1.0")
        // index 0: 0; index 1: 1 (zz 2); index 2: a single zero (0); index 3: 2 (zz 4); 1996 zeros (zz 3991 = 0x97 0x1f);
        // index 2000: 1 (zz 2).
        let counts: [UInt8] = [0x00, 0x02, 0x00, 0x04, 0x97, 0x1f, 0x02]
        XCTAssertEqual(Array(bytes[4 ..< 8]), [0, 0, 0, UInt8(counts.count)], "payload length")
        XCTAssertEqual(Array(bytes[40...]), counts)

        let compressed = HdrCodec.encodeCompressed(h)
        XCTAssertEqual(Array(compressed[0 ..< 4]), [0x1c, 0x84, 0x93, 0x14], "compressed cookie")
        XCTAssertEqual(try HdrCodec.inflate(Array(compressed[8...])), bytes)
        XCTAssertEqual(try HdrCodec.decode(bytes), h, "uncompressed V2 decodes too")
    }

    /// The encoder reads the counts array directly; the library's iterator gives the reference bytes.
    func testDirectEncodingMatchesTheIteratorsByteForByte() {
        var cases: [LatencyHistogram] = [Self.spreadHistogram(), LatencyHistograms.make()]
        var zero = LatencyHistograms.make()
        zero.record(0, count: 2)
        zero.record(12)
        cases.append(zero)
        var single = LatencyHistograms.make()
        single.record(2048)
        cases.append(single)
        var huge = LatencyHistograms.make()
        huge.record(1, count: UInt64(Int64.max) + 5) // above Int64.max: saturated, as Java's signed counts require
        cases.append(huge)
        var random = SystemRandomNumberGenerator()
        for _ in 0 ..< 20 {
            var h = LatencyHistograms.make()
            for _ in 0 ..< Int.random(in: 1 ... 400, using: &random) {
                h.record(UInt64.random(in: 0 ... 50_000, using: &random), count: UInt64.random(in: 1 ... 300, using: &random))
            }
            cases.append(h)
        }
        for (n, h) in cases.enumerated() {
            XCTAssertNotNil(HdrCodec.countsArray(of: h), "case \(n): the counts array is readable")
            XCTAssertEqual(HdrCodec.encodeUncompressed(h), HdrCodec.encodeUncompressedByIteration(h), "case \(n)")
        }
    }

    func testLayoutMatchesTheLibrary() {
        let h = LatencyHistograms.make()
        let layout = HdrLayout(of: h)
        XCTAssertEqual(layout.countsLength, 23 * 1024)
        var value: UInt64 = 0
        while value <= 4_000_000_000 {
            let index = layout.countsIndex(forValue: value)
            XCTAssertEqual(layout.value(atIndex: index), h.lowestEquivalentForValue(value), "\(value)")
            XCTAssertEqual(layout.highestEquivalentValue(atIndex: index), h.highestEquivalentForValue(value), "\(value)")
            value = value < 5000 ? value + 1 : value + value / 997
        }
    }

    // MARK: Malformed input

    func testMalformedInputThrows() throws {
        let valid = HdrCodec.encodeCompressed(Self.spreadHistogram())
        assertThrows(.truncated, [])
        assertThrows(.truncated, Array(valid.prefix(3)))
        assertThrows(.truncated, Array(valid.prefix(8)))
        assertThrows(.truncated, Array(valid.dropLast(5)))
        assertThrows(.truncated, valid + [0])
        var badCookie = valid
        badCookie[1] ^= 0xff
        assertThrows(.unsupportedCookie, badCookie)
        var v1Cookie = valid
        v1Cookie[3] = 0x02
        assertThrows(.unsupportedCookie, v1Cookie)
        var corrupt = valid
        corrupt[20] ^= 0x55
        XCTAssertThrowsError(try HdrCodec.decode(corrupt)) { XCTAssertTrue($0 is HdrCodecError) }

        XCTAssertThrowsError(try HdrCodec.decode(base64: "not base64 at all!")) {
            XCTAssertEqual(($0 as? HdrCodecError)?.kind, .badBase64)
        }
        XCTAssertThrowsError(try HdrCodec.decode(base64: "")) { XCTAssertEqual(($0 as? HdrCodecError)?.kind, .badBase64) }
        XCTAssertThrowsError(try HdrCodec.decode(base64: "HISTFAAAACx4nJNpmSzMwMDAywABzFCaEURcm7yEwf4DVIC")) {
            XCTAssertTrue($0 is HdrCodecError)
        }
    }

    func testForeignLayoutThrows() throws {
        var twoDigits = LatencyHistogram(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .two)
        twoDigits.record(42)
        assertThrows(.foreignLayout, HdrCodec.encodeCompressed(twoDigits))
        var coarse = LatencyHistogram(lowestDiscernibleValue: 1000, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        coarse.record(42_000)
        assertThrows(.foreignLayout, HdrCodec.encodeCompressed(coarse))
    }

    func testCountsBeyondOurLayoutThrow() throws {
        // A histogram with a wider range encodes values above our highest trackable value.
        var wide = LatencyHistogram(lowestDiscernibleValue: 1, highestTrackableValue: 1 << 40, numberOfSignificantValueDigits: .three)
        wide.record(4_000_000_000) // inside our counts array, above our highest trackable value
        assertThrows(.badCounts, HdrCodec.encodeCompressed(wide))
        wide.reset()
        wide.record(1 << 39) // beyond our counts array
        assertThrows(.badCounts, HdrCodec.encodeCompressed(wide))

        // Hand-made payloads: a zero run past the array's end, and a count right after the array's end.
        let ours = HdrLayout(of: LatencyHistograms.make())
        assertThrows(.badCounts, Self.uncompressed(counts: [-Int64(ours.countsLength + 1)]))
        assertThrows(.badCounts, Self.uncompressed(counts: [-Int64(ours.countsLength), 1]))
        assertThrows(.badCounts, Self.uncompressed(counts: [.min]))
        assertThrows(.badCounts, Self.uncompressed(counts: [.max, .max, .max]))
        XCTAssertEqual(try HdrCodec.decode(Self.uncompressed(counts: [-Int64(ours.countsLength)])).totalCount, 0)
        // A varint cut short.
        var cut = Self.uncompressed(counts: [1 << 40])
        cut.removeLast()
        cut[7] -= 1
        assertThrows(.truncated, cut)
    }

    func testInflateStopsAtItsLimit() throws {
        let bomb = HdrCodec.deflate([UInt8](repeating: 0, count: 1 << 20))
        XCTAssertThrowsError(try HdrCodec.inflate(bomb, limit: 1 << 16)) { XCTAssertEqual(($0 as? HdrCodecError)?.kind, .tooLarge) }
        XCTAssertEqual(try HdrCodec.inflate(bomb).count, 1 << 20)
    }

    /// 2,000 deterministic mutations of valid blobs, compressed and not (the uncompressed ones reach the varint parser
    /// with arbitrary bytes, which zlib's checksum would otherwise mostly stop): each may throw, none may trap.
    func testFuzzedInputNeverTraps() {
        var rng = SplitMix64(seed: 0x5eed_1234) // BarrageCore's seeded generator
        let plain = HdrCodec.encodeUncompressed(Self.spreadHistogram())
        let compressed = HdrCodec.encodeCompressed(Self.spreadHistogram())
        var decodedCount = 0
        for round in 0 ..< 2000 {
            var blob = round % 2 == 0 ? plain : compressed
            for _ in 0 ..< 1 + Int(rng.next() % 4) {
                let position = Int(rng.next() % UInt64(max(blob.count, 1)))
                switch rng.next() % 6 {
                case 0 where !blob.isEmpty: blob[position] ^= UInt8(1 << (rng.next() % 8))
                case 1 where !blob.isEmpty: blob[position] = UInt8(truncatingIfNeeded: rng.next())
                case 2: blob.removeSubrange(min(position, blob.count)...)
                case 3: blob.insert(UInt8(truncatingIfNeeded: rng.next()), at: min(position, blob.count))
                case 4 where !blob.isEmpty: blob.remove(at: position)
                case 5 where !blob.isEmpty: blob[position] = [0x00, 0x7f, 0x80, 0xff][Int(rng.next() % 4)]
                default: break
                }
            }
            // Half the uncompressed mutants travel compressed, so the compressed path parses arbitrary payloads too.
            if round % 4 == 0 {
                let deflated = HdrCodec.deflate(blob)
                blob = [0x1c, 0x84, 0x93, 0x14] + withUnsafeBytes(of: UInt32(deflated.count).bigEndian) { Array($0) } + deflated
            }
            do {
                let h = try HdrCodec.decode(blob)
                decodedCount += 1
                // Whatever decodes must be usable without trapping (a sample: summaries are slow in debug builds).
                if decodedCount <= 10 {
                    _ = HistogramSummary(h)
                    XCTAssertEqual(try HdrCodec.decode(HdrCodec.encodeCompressed(h)), h)
                }
            } catch {
                XCTAssertTrue(error is HdrCodecError, "\(error)")
            }
        }
        XCTAssertGreaterThan(decodedCount, 0, "some mutations (e.g. of a count byte) still decode")
    }

    // MARK: Interop with the reference implementation (PyPI `hdrhistogram`)

    func testPythonDecodesSwiftEncoding() throws {
        try requirePython()
        let h = Self.spreadHistogram()
        let result = try runPython(["decode", HdrCodec.encodeCompressedBase64(h)])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.utf8)) as? [String: Any])
        func number(_ key: String) throws -> UInt64 { try XCTUnwrap((json[key] as? NSNumber)?.uint64Value, key) }

        XCTAssertEqual(try number("total_count"), h.totalCount)
        XCTAssertEqual(try number("min"), h.min)
        XCTAssertEqual(try number("max"), h.max, "Python's max is the top of the maximum's bucket, as Swift's `max`")
        try assertPercentiles(python: number, swift: h)
        let pythonBuckets = try XCTUnwrap(json["buckets"] as? [[NSNumber]]).map { [$0[0].uint64Value, $0[1].uint64Value] }
        XCTAssertEqual(pythonBuckets, Self.buckets(h))
    }

    func testSwiftDecodesPythonEncoding() throws {
        try requirePython()
        let values: [(UInt64, UInt64)] = [(1, 3), (2, 1), (250, 4000), (999, 1), (1_000, 2), (1_500, 2500), (4_095, 1),
                                          (20_000, 900), (123_456, 1), (750_000, 90), (30_000_000, 9), (3_600_000_000, 1)]
        let list = values.map { "\($0.0):\($0.1)" }.joined(separator: ",")
        let blob = try runPython(["encode", "1", "3600000000", "3", list]).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(blob.hasPrefix("HISTF"))
        let decoded = try HdrCodec.decode(base64: blob)

        var expected = LatencyHistograms.make()
        for (value, count) in values { expected.record(value, count: count) }
        XCTAssertEqual(decoded.totalCount, expected.totalCount)
        XCTAssertEqual(decoded.min, expected.min)
        XCTAssertEqual(decoded.max, expected.max)
        XCTAssertEqual(Self.buckets(decoded), Self.buckets(expected))
        // And what Python itself reports about its own blob.
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(runPython(["decode", blob]).utf8)) as? [String: Any])
        func number(_ key: String) throws -> UInt64 { try XCTUnwrap((json[key] as? NSNumber)?.uint64Value, key) }
        XCTAssertEqual(try number("total_count"), decoded.totalCount)
        XCTAssertEqual(try number("min"), decoded.min)
        XCTAssertEqual(try number("max"), decoded.maxRecorded)
        try assertPercentiles(python: number, swift: decoded)
    }

    func testPythonDecodesEmptySwiftEncoding() throws {
        try requirePython()
        let json = try runPython(["decode", HdrCodec.encodeCompressedBase64(LatencyHistograms.make())])
        XCTAssertTrue(json.contains("\"total_count\": 0"), json)
    }

    // MARK: Helpers

    /// The reference package and Swift pick the percentile's rank differently: Python's `hdrh` rounds
    /// `p * total / 100` half up, HdrHistogram (Java, hdrhistogram-swift) rounds it up; Swift also caps at the exact
    /// maximum recorded where Python reports the top of its bucket. So: Python's value is exactly the top of the bucket
    /// holding Python's rank in our histogram, and where both ranks agree it is the top of Swift's value's bucket.
    private func assertPercentiles(python number: (String) throws -> UInt64, swift h: LatencyHistogram,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        let keys = ["p50", "p90", "p99", "p999", "p9999", "p100"]
        let total = h.totalCount
        for (key, p) in zip(keys, Self.percentiles) {
            let pythonValue = try number(key)
            let pythonRank = max(1, UInt64((p * Double(total)) / 100 + 0.5))
            let swiftRank = p >= 100 ? total : max(1, UInt64(((p.nextDown * Double(total)) / 100).rounded(.up)))
            let atPythonRank = h.recordedValues().first { $0.totalCountToThisValue >= pythonRank }?.value
            XCTAssertEqual(pythonValue, atPythonRank, "\(key): python's value at its rank \(pythonRank)", file: file, line: line)
            if pythonRank == swiftRank {
                // Equal to the unit below the maximum's bucket; in it, Swift's exact maximum vs the bucket's top.
                let swiftValue = h.valueAtPercentile(p)
                XCTAssertTrue(h.valuesAreEquivalent(pythonValue, swiftValue), "\(key): python \(pythonValue), swift \(swiftValue)",
                              file: file, line: line)
                XCTAssertEqual(pythonValue, h.highestEquivalentForValue(swiftValue), key, file: file, line: line)
            }
        }
    }

    /// Every non-zero count as [highest equivalent value, count], in value order.
    static func buckets(_ h: LatencyHistogram) -> [[UInt64]] {
        h.recordedValues().map { [$0.value, $0.count] }
    }

    /// An uncompressed V2 encoding in our layout with the given raw ZigZag counts.
    static func uncompressed(counts: [Int64]) -> [UInt8] {
        var payload = [UInt8]()
        for value in counts {
            var raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
            for _ in 0 ..< 8 where raw >= 0x80 {
                payload.append(UInt8(raw & 0x7f) | 0x80)
                raw >>= 7
            }
            payload.append(UInt8(truncatingIfNeeded: raw))
        }
        var header = HdrCodec.encodeUncompressed(LatencyHistograms.make()).prefix(40)
        header.replaceSubrange(4 ..< 8, with: withUnsafeBytes(of: UInt32(payload.count).bigEndian) { Array($0) })
        return Array(header) + payload
    }

    private func assertThrows(_ kind: HdrCodecError.Kind, _ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try HdrCodec.decode(bytes), file: file, line: line) { error in
            XCTAssertEqual((error as? HdrCodecError)?.kind, kind, "\(error)", file: file, line: line)
        }
    }

    private static let interopScript = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Interop/hdr_interop.py")

    /// Skips unless python3 can import the reference package (`pip install hdrhistogram`, imported as `hdrh`).
    private func requirePython() throws {
        let probe = try? Self.run(["-c", "import hdrh.histogram"])
        guard let probe, probe.status == 0 else {
            throw XCTSkip("interop needs python3 with the PyPI package `hdrhistogram` (pip install hdrhistogram)")
        }
    }

    private func runPython(_ arguments: [String]) throws -> String {
        let result = try Self.run([Self.interopScript.path] + arguments)
        guard result.status == 0 else {
            throw InteropFailure(message: "hdr_interop.py \(arguments.first ?? "") exited \(result.status): \(result.stderr)")
        }
        return result.stdout
    }

    private static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        // stderr goes to a file, so a chatty child cannot block on one pipe while we drain the other.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("hdr-interop-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer { try? errHandle.close() }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errHandle
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = (try? Data(contentsOf: errURL)) ?? Data()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}

private struct InteropFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
