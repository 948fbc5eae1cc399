import XCTest
@testable import BarrageCore

final class FlowThinkTimeTests: XCTestCase {
    private func keys(_ n: Int) -> [FlowKey] { (0..<n).map { FlowKey(seed: 3, scenario: 0, vu: $0 % 7, iteration: $0, step: 2) } }

    func testFixed() {
        XCTAssertEqual(ThinkTime.fixed(micros: 500_000).micros(key: FlowKey(seed: 1)), 500_000)
        XCTAssertEqual(ThinkTime.fixed(micros: 0).micros(key: FlowKey(seed: 1)), 0)
    }

    func testUniformStaysInBoundsAndIsKeyed() {
        let t = ThinkTime.uniform(minMicros: 200_000, maxMicros: 1_000_000)
        let draws = keys(2000).map { t.micros(key: $0) }
        XCTAssertTrue(draws.allSatisfy { (200_000...1_000_000).contains($0) })
        XCTAssertEqual(keys(2000).map { t.micros(key: $0) }, draws, "same keys, same pauses")
        let mean = Double(draws.reduce(0, +)) / Double(draws.count)
        XCTAssertEqual(mean, 600_000, accuracy: 30_000)
        XCTAssertEqual(ThinkTime.uniform(minMicros: 5, maxMicros: 5).micros(key: FlowKey(seed: 0)), 5)
        XCTAssertEqual(ThinkTime.uniform(minMicros: 0, maxMicros: 1_000).meanMicros, 500)
        var k = FlowKey(seed: 3, vu: 1, iteration: 1, step: 2)
        let a = t.micros(key: k)
        k.step = 3
        XCTAssertNotEqual(a, t.micros(key: k), "another step pauses differently")
    }

    func testNormalIsClippedAtZero() {
        let t = ThinkTime.normal(meanMicros: 100_000, stddevMicros: 200_000)
        let draws = keys(4000).map { t.micros(key: $0) }
        XCTAssertTrue(draws.allSatisfy { $0 >= 0 })
        XCTAssertTrue(draws.contains(0), "about a third clip to 0")
        let wide = ThinkTime.normal(meanMicros: 1_000_000, stddevMicros: 100_000)
        let w = keys(4000).map { wide.micros(key: $0) }
        let mean = Double(w.reduce(0, +)) / Double(w.count)
        XCTAssertEqual(mean, 1_000_000, accuracy: 10_000)
        let sd = (w.map { pow(Double($0) - mean, 2) }.reduce(0, +) / Double(w.count)).squareRoot()
        XCTAssertEqual(sd, 100_000, accuracy: 10_000)
        XCTAssertEqual(ThinkTime.normal(meanMicros: 7, stddevMicros: 0).micros(key: FlowKey(seed: 0)), 7)
    }

    func testValidation() {
        XCTAssertNoThrow(try ThinkTime.uniform(minMicros: 0, maxMicros: 0).validated())
        for bad: ThinkTime in [.fixed(micros: -1), .uniform(minMicros: 5, maxMicros: 4), .uniform(minMicros: -1, maxMicros: 4),
                               .normal(meanMicros: -1, stddevMicros: 0), .normal(meanMicros: 1, stddevMicros: -1)] {
            XCTAssertThrowsError(try bad.validated(), "\(bad)")
        }
    }
}
