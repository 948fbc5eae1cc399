import Foundation
import XCTest

@testable import BarrageCore

final class USLTests: XCTestCase {
    /// N = 1, 2, 4, …, 512.
    private let levels: [Double] = (0...9).map { pow(2, Double($0)) }

    private func synthetic(lambda: Double, sigma: Double, kappa: Double, noise: Double = 0, seed: UInt64 = 1) -> [Double] {
        var state = seed
        return levels.map { n in
            let x = USL.throughput(concurrency: n, lambda: lambda, sigma: sigma, kappa: kappa)
            guard noise > 0 else { return x }
            // SplitMix64 mapped to [−1, 1): deterministic, platform-independent pseudo-noise.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let unit = Double(z >> 11) / Double(UInt64(1) << 53) * 2 - 1
            return x * (1 + noise * unit)
        }
    }

    private func assertRelative(_ value: Double, _ expected: Double, within tolerance: Double, _ name: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        let error = abs(value - expected) / abs(expected)
        XCTAssertLessThanOrEqual(error, tolerance, "\(name) = \(value), expected \(expected)", file: file, line: line)
    }

    func testThroughputFormula() {
        XCTAssertEqual(USL.throughput(concurrency: 1, lambda: 1000, sigma: 0.3, kappa: 0.01), 1000, accuracy: 1e-9)
        // 1000·4 / (1 + 0.1·3 + 0.01·4·3) = 4000 / 1.42
        XCTAssertEqual(USL.throughput(concurrency: 4, lambda: 1000, sigma: 0.1, kappa: 0.01), 4000 / 1.42, accuracy: 1e-9)
        XCTAssertEqual(USL.throughput(concurrency: 64, lambda: 10, sigma: 0, kappa: 0), 640, accuracy: 1e-12)
    }

    func testRecoversExactParameters() throws {
        let x = synthetic(lambda: 1000, sigma: 0.05, kappa: 0.0005)
        let fit = try XCTUnwrap(USL.fit(concurrency: levels, throughput: x))
        assertRelative(fit.lambda, 1000, within: 0.01, "lambda")
        assertRelative(fit.sigma, 0.05, within: 0.05, "sigma")
        assertRelative(fit.kappa, 0.0005, within: 0.05, "kappa")
        XCTAssertGreaterThan(fit.r2, 0.9999)
        let peak = try XCTUnwrap(fit.peakConcurrency)
        assertRelative(peak, (0.95 / 0.0005).squareRoot(), within: 0.05, "peakConcurrency")
        let peakRPS = try XCTUnwrap(fit.peakRPS)
        XCTAssertEqual(peakRPS, fit.throughput(concurrency: peak), accuracy: 1e-6)
    }

    func testNoisyDataStillFits() throws {
        for seed: UInt64 in [1, 2, 3, 42, 2024] {
            let x = synthetic(lambda: 1000, sigma: 0.05, kappa: 0.0005, noise: 0.03, seed: seed)
            let fit = try XCTUnwrap(USL.fit(concurrency: levels, throughput: x))
            XCTAssertGreaterThan(fit.r2, 0.9, "seed \(seed)")
            assertRelative(fit.sigma, 0.05, within: 0.3, "sigma (seed \(seed))")
            assertRelative(fit.kappa, 0.0005, within: 0.3, "kappa (seed \(seed))")
            assertRelative(fit.lambda, 1000, within: 0.1, "lambda (seed \(seed))")
        }
    }

    func testLinearDataHasNoPeak() throws {
        let x = synthetic(lambda: 250, sigma: 0, kappa: 0)
        let fit = try XCTUnwrap(USL.fit(concurrency: levels, throughput: x))
        XCTAssertEqual(fit.kappa, 0)
        XCTAssertEqual(fit.sigma, 0, accuracy: 1e-9)
        assertRelative(fit.lambda, 250, within: 1e-6, "lambda")
        XCTAssertNil(fit.peakConcurrency)
        XCTAssertNil(fit.peakRPS)
        XCTAssertEqual(fit.r2, 1, accuracy: 1e-9)
    }

    func testAmdahlOnlyData() throws {
        let x = synthetic(lambda: 500, sigma: 0.1, kappa: 0)
        let fit = try XCTUnwrap(USL.fit(concurrency: levels, throughput: x))
        assertRelative(fit.lambda, 500, within: 0.01, "lambda")
        assertRelative(fit.sigma, 0.1, within: 0.05, "sigma")
        XCTAssertEqual(fit.kappa, 0, accuracy: 1e-9)
        XCTAssertNil(fit.peakConcurrency)
    }

    func testPeakFormula() throws {
        let peak = try XCTUnwrap(USL.peak(lambda: 1000, sigma: 0.05, kappa: 0.0005))
        XCTAssertEqual(peak.concurrency, (0.95 / 0.0005).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(peak.rps, USL.throughput(concurrency: peak.concurrency, lambda: 1000, sigma: 0.05, kappa: 0.0005), accuracy: 1e-9)
        // The peak is a maximum: its neighbours are lower.
        for n in [peak.concurrency * 0.9, peak.concurrency * 1.1] {
            XCTAssertLessThan(USL.throughput(concurrency: n, lambda: 1000, sigma: 0.05, kappa: 0.0005), peak.rps)
        }
        XCTAssertNil(USL.peak(lambda: 1000, sigma: 0.05, kappa: 0))
        XCTAssertNil(USL.peak(lambda: 1000, sigma: 1.2, kappa: 0.001))
        let fit = USLFit(lambda: 100, sigma: 0.2, kappa: 0.002, r2: 1)
        XCTAssertEqual(try XCTUnwrap(fit.peakConcurrency), 20, accuracy: 1e-9)
    }

    func testKnee() {
        // Efficiency: 1, 0.9, 0.75, 0.6, 0.45 → the 16-level (index 4) is the knee.
        let n = [1, 2, 4, 8, 16, 32]
        let x = [100.0, 180, 300, 480, 720, 800]
        XCTAssertEqual(USL.knee(concurrency: n, throughput: x), 4)
        // Perfectly linear: no knee.
        XCTAssertNil(USL.knee(concurrency: n, throughput: n.map { Double($0) * 10 }))
        // Exactly 0.5 is not below 0.5.
        XCTAssertNil(USL.knee(concurrency: [1, 2], throughput: [10, 10]))
        XCTAssertEqual(USL.knee(concurrency: [1, 2], throughput: [10, 9.99]), 1)
        // Unsorted input: the baseline is the smallest concurrency, the index refers to the input.
        XCTAssertEqual(USL.knee(concurrency: [8, 1, 4], throughput: [30, 10, 35]), 0)
        // A baseline that is not N = 1 scales the ideal accordingly.
        XCTAssertNil(USL.knee(concurrency: [2, 4], throughput: [20, 40]))
        // Degenerate input.
        XCTAssertNil(USL.knee(concurrency: [], throughput: []))
        XCTAssertNil(USL.knee(concurrency: [1, 2], throughput: [0, 5]))
        XCTAssertNil(USL.knee(concurrency: [1, 2], throughput: [5]))
        XCTAssertNil(USL.knee(concurrency: [0, 2], throughput: [5, 5]))
    }

    func testDegenerateInputsReturnNil() {
        XCTAssertNil(USL.fit(concurrency: [], throughput: []))
        XCTAssertNil(USL.fit(concurrency: [1], throughput: [100]))
        XCTAssertNil(USL.fit(concurrency: [1, 2, 4], throughput: [0, 0, 0]))
        XCTAssertNil(USL.fit(concurrency: [1, 2], throughput: [100]))
        XCTAssertNil(USL.fit(concurrency: [4, 4, 4], throughput: [100, 110, 90]))
        XCTAssertNil(USL.fit(concurrency: [0, 1, 2], throughput: [0, 100, 200]))
        XCTAssertNil(USL.fit(concurrency: [1, 2, 4], throughput: [100, .nan, 300]))
        XCTAssertNil(USL.fit(concurrency: [1, 2, .infinity], throughput: [100, 200, 300]))
        XCTAssertNil(USL.fit(concurrency: [1, 2, 4], throughput: [100, -5, 300]))
    }

    func testAwkwardButValidInputs() throws {
        // Two points are enough to return something finite.
        let two = try XCTUnwrap(USL.fit(concurrency: [1, 2], throughput: [100, 150]))
        XCTAssertTrue(two.lambda.isFinite && two.sigma.isFinite && two.kappa.isFinite && two.r2.isFinite)
        // Flat throughput: all contention.
        let flat = try XCTUnwrap(USL.fit(concurrency: [1, 2, 4, 8], throughput: [100, 100, 100, 100]))
        XCTAssertEqual(flat.r2, 1, accuracy: 1e-6)
        XCTAssertEqual(flat.sigma, 1, accuracy: 1e-3)
        // A zero among positives and a retrograde tail.
        let odd = try XCTUnwrap(USL.fit(concurrency: [1, 2, 4, 8, 16], throughput: [0, 200, 350, 300, 100]))
        XCTAssertTrue(odd.r2.isFinite)
        XCTAssertGreaterThanOrEqual(odd.sigma, 0)
        XCTAssertGreaterThanOrEqual(odd.kappa, 0)
        // Large magnitudes.
        let big = synthetic(lambda: 2e7, sigma: 0.02, kappa: 1e-5)
        let bigFit = try XCTUnwrap(USL.fit(concurrency: levels, throughput: big))
        assertRelative(bigFit.lambda, 2e7, within: 0.01, "lambda")
        assertRelative(bigFit.kappa, 1e-5, within: 0.05, "kappa")
    }

    func testFitIsDeterministic() throws {
        let n: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        let x = n.map { USL.throughput(concurrency: $0, lambda: 800, sigma: 0.03, kappa: 0.0002) * (1 + 0.02 * sin($0)) }
        let first = try XCTUnwrap(USL.fit(concurrency: n, throughput: x))
        // How fast the fit is was asserted here with a wall-clock bound (a thread of a loaded machine can lose any
        // amount of time between two slices); the fit's speed is a benchmark's question, not a test's.
        XCTAssertEqual(USL.fit(concurrency: n, throughput: x), first)
    }

    func testCodableUsesSnakeCaseAndExplicitNulls() throws {
        let linear = USLFit(lambda: 100, sigma: 0, kappa: 0, r2: 1)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try XCTUnwrap(String(data: encoder.encode(linear), encoding: .utf8))
        XCTAssertEqual(json, #"{"kappa":0,"lambda":100,"peak_concurrency":null,"peak_rps":null,"r2":1,"sigma":0}"#)

        let peaked = USLFit(lambda: 1000, sigma: 0.05, kappa: 0.0005, r2: 0.99)
        let data = try encoder.encode(peaked)
        let text = try XCTUnwrap(String(data: data, encoding: .utf8))
        XCTAssertTrue(text.contains(#""peak_concurrency":"#) && !text.contains("null"))
        XCTAssertEqual(try JSONDecoder().decode(USLFit.self, from: data), peaked)
        XCTAssertEqual(try JSONDecoder().decode(USLFit.self, from: Data(json.utf8)), linear)
    }
}
