import XCTest
@testable import BarrageCore

/// The one-pass scan must give exactly what the library's own `mean`, `stdDeviation` and `valueAtPercentile`
/// give — bit for bit, since summaries computed either way end up side by side (merge, compare, gates).
final class HistogramScanTests: XCTestCase {
    private let percentiles: [Double] = [0, 0.1, 1, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 99.999, 100]

    private func assertMatchesLibrary(_ h: LatencyHistogram, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let scan = HistogramScan(h, percentiles: percentiles)
        XCTAssertEqual(scan.mean.bitPattern, h.mean.bitPattern, "mean, \(label)", file: file, line: line)
        XCTAssertEqual(scan.stdDeviation.bitPattern, h.stdDeviation.bitPattern, "stdev, \(label)", file: file, line: line)
        for (p, v) in zip(percentiles, scan.values) {
            XCTAssertEqual(v, h.valueAtPercentile(p), "p\(p), \(label)", file: file, line: line)
        }
    }

    func testMatchesTheLibraryOnVariedDistributions() {
        var rng = SplitMix(seed: 42)
        assertMatchesLibrary(LatencyHistograms.make(), "empty")
        var one = LatencyHistograms.make()
        one.record(1_234)
        assertMatchesLibrary(one, "one value")
        var zero = LatencyHistograms.make()
        zero.record(0, count: 3)
        zero.record(7)
        assertMatchesLibrary(zero, "zeros")
        var top = LatencyHistograms.make()
        top.record(LatencyHistograms.highestMicros, count: 5)
        top.record(1)
        assertMatchesLibrary(top, "at the highest trackable value")
        for round in 0..<40 {
            var h = LatencyHistograms.make()
            let n = 1 + Int(rng.next() % 5_000)
            let scale = UInt64(1) << (rng.next() % 30)
            for _ in 0..<n {
                // Log-uniform-ish values, with repeats and occasional large counts.
                let v = (rng.next() % scale) + rng.next() % 100
                h.record(v, count: rng.next() % 10 == 0 ? rng.next() % 1_000 + 1 : 1)
            }
            assertMatchesLibrary(h, "random \(round)")
        }
    }

    func testSummaryUsesTheScan() {
        var h = LatencyHistograms.make()
        for v in 1...10_000 as ClosedRange<UInt64> { h.record(v) }
        let s = HistogramSummary(h)
        XCTAssertEqual(s.p50, min(Int64(h.valueAtPercentile(50)), Int64(h.maxRecorded)))
        XCTAssertEqual(s.p99_99, min(Int64(h.valueAtPercentile(99.99)), Int64(h.maxRecorded)))
        XCTAssertEqual(s.mean, Int64(h.mean.rounded()))
        XCTAssertEqual(s.stdev, Int64(h.stdDeviation.rounded()))
    }

    func testNewHistogramsAreIndependentCopies() {
        var a = LatencyHistograms.make()
        a.record(5)
        let b = LatencyHistograms.make()
        XCTAssertEqual(a.totalCount, 1)
        XCTAssertEqual(b.totalCount, 0)
        XCTAssertEqual(b.valueAtPercentile(50), 0)
    }
}

/// A small deterministic generator, so failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
