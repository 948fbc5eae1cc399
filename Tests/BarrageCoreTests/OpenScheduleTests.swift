import XCTest
@testable import BarrageCore

final class OpenScheduleTests: XCTestCase {
    private func dues(_ s: OpenSchedule, limit: Int? = nil, offset: Int = 0, stride: Int = 1) -> [Int64] {
        var it = s.makeIterator(limit: limit, offset: offset, stride: stride)
        var out: [Int64] = []
        while let d = it.next() { out.append(d.dueMicros) }
        return out
    }

    func testConstantRatePlansExactlyTheIntegral() {
        let s = OpenSchedule(startRate: 500, stages: [RateStage(durationMicros: 30_000_000, rate: 500)])
        XCTAssertEqual(s.plannedRequests, 15_000)
        let d = dues(s)
        XCTAssertEqual(d.count, 15_000)
        XCTAssertEqual(d[0], 0)
        XCTAssertEqual(d[1], 2_000)
        XCTAssertEqual(d[500], 1_000_000)
        XCTAssertEqual(d.last, 29_998_000)
    }

    func testLinearRampDueTimesInvertTheIntegral() {
        // 0 → 100/s over 10 s: integral = 50·t²/10 = 5t², so request k is due at sqrt(k/5) s.
        let s = OpenSchedule(startRate: 0, stages: [RateStage(durationMicros: 10_000_000, rate: 100)])
        XCTAssertEqual(s.plannedRequests, 500)
        let d = dues(s)
        XCTAssertEqual(d.count, 500)
        for k in [0, 1, 5, 20, 125, 499] {
            let expected = (Double(k) / 5).squareRoot() * 1_000_000
            XCTAssertEqual(Double(d[k]), expected, accuracy: 1, "k = \(k)")
        }
        XCTAssertEqual(s.rate(atMicros: 5_000_000), 50, accuracy: 1e-9)
    }

    func testStagesChainAndZeroRateStagesSendNothing() {
        let s = OpenSchedule(startRate: 0, stages: [
            RateStage(durationMicros: 2_000_000, rate: 100),  // 100 requests
            RateStage(durationMicros: 1_000_000, rate: 100),  // 100
            RateStage(durationMicros: 1_000_000, rate: 0),    // 50 (ramp down)
            RateStage(durationMicros: 5_000_000, rate: 0),    // 0
            RateStage(durationMicros: 1_000_000, rate: 10),   // 5
        ])
        XCTAssertEqual(s.plannedRequests, 255)
        let d = dues(s)
        XCTAssertEqual(d.count, 255)
        XCTAssertEqual(d.filter { $0 >= 2_000_000 && $0 < 3_000_000 }.count, 100, "the hold stage")
        XCTAssertEqual(d.filter { $0 >= 4_000_000 && $0 < 9_000_000 }.count, 0, "nothing while the rate is 0")
        XCTAssertEqual(d.filter { $0 >= 9_000_000 }.count, 5)
        XCTAssertEqual(d, d.sorted(), "due times never go backwards")
        XCTAssertEqual(s.stageIndex(atMicros: 2_500_000), 1)
        XCTAssertNil(s.stageIndex(atMicros: 10_000_000))
    }

    func testRequestLimitCapsTheSchedule() {
        let s = OpenSchedule(startRate: 1_000, stages: [RateStage(durationMicros: 10_000_000, rate: 1_000)])
        XCTAssertEqual(dues(s, limit: 7).count, 7)
    }

    func testStridedSharesPartitionTheWholeSchedule() {
        for arrival in [Arrival.uniform, .poisson(seed: 7)] {
            let s = OpenSchedule(startRate: 300, stages: [RateStage(durationMicros: 3_000_000, rate: 50)], arrival: arrival)
            let all = dues(s)
            var merged: [Int64] = []
            for offset in 0..<3 { merged += dues(s, offset: offset, stride: 3) }
            XCTAssertEqual(merged.sorted(), all.sorted(), "\(arrival)")
            let second = dues(s, offset: 1, stride: 3)
            XCTAssertEqual(second, stride(from: 1, to: all.count, by: 3).map { all[$0] })
        }
    }

    func testPoissonIsSeededAndHasTheRightMean() {
        let s = OpenSchedule(startRate: 1_000, stages: [RateStage(durationMicros: 20_000_000, rate: 1_000)], arrival: .poisson(seed: 42))
        let a = dues(s), b = dues(s)
        XCTAssertEqual(a, b, "same seed, same arrivals")
        XCTAssertEqual(Double(a.count), 20_000, accuracy: 20_000 * 0.03, "mean rate within 3 %")
        let other = dues(OpenSchedule(startRate: 1_000, stages: [RateStage(durationMicros: 20_000_000, rate: 1_000)], arrival: .poisson(seed: 43)))
        XCTAssertNotEqual(a.prefix(10), other.prefix(10))
        // Gaps are exponential: their coefficient of variation is ≈ 1.
        let gaps = zip(a.dropFirst(), a).map { Double($0 - $1) }
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        let sd = (gaps.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(gaps.count)).squareRoot()
        XCTAssertEqual(sd / mean, 1, accuracy: 0.05)
    }
}

final class RampGrammarTests: XCTestCase {
    func testParsesRampsAndHolds() throws {
        let p = try RampGrammar.parse("0->500:30s,500:60s,500->0:10s", flag: "--ramp-rate")
        XCTAssertEqual(p.start, 0)
        XCTAssertEqual(p.stages.map(\.durationMicros), [30_000_000, 60_000_000, 10_000_000])
        XCTAssertEqual(p.stages.map(\.value), [500, 500, 0])
        let hold = try RampGrammar.parse("200:1m", flag: "--ramp-rate")
        XCTAssertEqual(hold.start, 200)
        XCTAssertEqual(hold.stages.map(\.value), [200])
        let spaced = try RampGrammar.parse(" 10 -> 20 : 1s , 20:500ms ", flag: "x")
        XCTAssertEqual(spaced.stages.count, 2)
    }

    func testRejectsMalformedRampsNamingTheFlag() {
        for text in ["", "500", "a->b:1s", "0->500", "0->500:xs", "0->500:0s", "-5:1s", "0->100:1s,200->0:1s", "1e3:1s", ",", "0->500:30s,"] {
            XCTAssertThrowsError(try RampGrammar.parse(text, flag: "--ramp-rate"), text) { error in
                let e = error as! BarrageError
                XCTAssertEqual(e.status, .usage)
                XCTAssertTrue(e.message.hasPrefix("--ramp-rate '\(text)'"), e.message)
            }
        }
    }
}
