import XCTest
@testable import BarrageCore
import BarragePlanFixtures

final class SegmentTests: XCTestCase {
    func testSharesSumExactly() {
        XCTAssertEqual((1...3).map { Segment(index: $0, count: 3).share(of: 10) }, [4, 3, 3])
        for whole in [0, 1, 2, 7, 100, 1_001] {
            for n in [1, 2, 3, 7, 150] {
                XCTAssertEqual((1...n).map { Segment(index: $0, count: n).share(of: whole) }.reduce(0, +), whole, "\(whole) over \(n)")
            }
        }
        XCTAssertEqual(Segment(index: 5, count: 8).share(of: 3), 0, "N larger than the concurrency")
    }

    func testResidueCounts() {
        // k < 10 with k mod 3 == 0: 0,3,6,9 → 4; == 1: 1,4,7 → 3; == 2: 2,5,8 → 3.
        XCTAssertEqual((1...3).map { Segment(index: $0, count: 3).residueCount(below: 10) }, [4, 3, 3])
        XCTAssertEqual(Segment(index: 3, count: 3).residueCount(below: 2), 0)
    }

    func testParse() throws {
        XCTAssertEqual(try Segment.parse("2/3", flag: "--segment"), Segment(index: 2, count: 3))
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "-1/2", ""] {
            XCTAssertThrowsError(try Segment.parse(bad, flag: "--segment"), bad)
        }
    }

    func testOpenSegmentsPartitionTheRequests() {
        // What each engine thread of each segment walks: offset (I−1) + N·t, stride N·T.
        let s = OpenSchedule(startRate: 0, stages: [RateStage(durationMicros: 3_000_000, rate: 200)], arrival: .poisson(seed: 3))
        var all: [Int] = []
        var whole = s.makeIterator()
        while let d = whole.next() { all.append(d.k) }
        var union: [Int] = []
        let n = 3, threads = 2
        for i in 1...n {
            for t in 0..<threads {
                var it = s.makeIterator(offset: (i - 1) + n * t, stride: n * threads)
                while let d = it.next() {
                    XCTAssertEqual(d.k % n, i - 1, "request k belongs to segment (k mod N) + 1")
                    union.append(d.k)
                }
            }
        }
        XCTAssertEqual(union.sorted(), all)
    }

    func testStageIndexAtTheBoundaries() {
        let plan = RunPlan.closedStages([ClosedStage(durationMicros: 2_000_000, concurrency: 4),
                                         ClosedStage(durationMicros: 3_000_000, concurrency: 8),
                                         ClosedStage(durationMicros: 1_000_000, concurrency: 0)],
                                        start: 0, requestLimit: nil, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                                        timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        let cases: [(Int64, Int)] = [(0, 0), (1_999_999, 0), (2_000_000, 1), (4_999_999, 1), (5_000_000, 2),
                                     (5_999_999, 2), (6_000_000, 2), (60_000_000, 2)]
        for (t, stage) in cases { XCTAssertEqual(plan.stageIndex(atMicros: t), stage, "at \(t) µs") }
        let flat = RunPlan(concurrency: 1, requestLimit: nil, durationMicros: 1_000_000, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        XCTAssertEqual(flat.stageIndex(atMicros: 500_000), 0)
    }

    func testClosedConcurrencySplitsAtEveryMoment() {
        var plan = RunPlan.closedStages([ClosedStage(durationMicros: 10_000_000, concurrency: 10), ClosedStage(durationMicros: 5_000_000, concurrency: 10)],
                                        start: 0, requestLimit: 100, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                                        timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 2, keepAlive: true)
        for t in stride(from: Int64(0), to: 15_000_000, by: 250_000) {
            let whole = plan.wholeConcurrency(atMicros: t)
            var sum = 0
            for i in 1...3 {
                plan.segment = Segment(index: i, count: 3)
                sum += plan.concurrency(atMicros: t)
            }
            XCTAssertEqual(sum, whole, "at \(t) µs")
            plan.segment = nil
        }
        plan.segment = Segment(index: 1, count: 3)
        XCTAssertEqual(plan.processConcurrency, 4)
        XCTAssertEqual(plan.processRequestLimit, 34)
    }

    func testFingerprintIgnoresSegmentAndThreads() {
        var plan = RunPlan(concurrency: 10, requestLimit: 100, durationMicros: nil, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 2, keepAlive: true)
        let whole = PlanRecord(plan).fingerprint
        plan.segment = Segment(index: 2, count: 3)
        plan.threads = 1
        XCTAssertEqual(PlanRecord(plan).fingerprint, whole)
        plan.load = .closed(workers: 11, durationMicros: nil)
        XCTAssertNotEqual(PlanRecord(plan).fingerprint, whole)
        XCTAssertEqual(whole.count, 16)
    }
}

final class ConnectStormHintTests: XCTestCase {
    private func closed(_ c: Int) -> RunPlan {
        RunPlan(concurrency: c, requestLimit: nil, durationMicros: 1_000_000, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 2, keepAlive: true)
    }

    func testReceiveBufferIsSmallFromAThousandConnectionsUnlessSet() {
        var t = Transport()
        XCTAssertNil(t.effectiveBufferSize(connections: 999), "libcurl's default")
        XCTAssertEqual(t.effectiveBufferSize(connections: 1_000), 4_096)
        t.bufferSize = 65_536
        XCTAssertEqual(t.effectiveBufferSize(connections: 10_000), 65_536, "--buffer-size wins")
        XCTAssertEqual(t.effectiveBufferSize(connections: 1), 65_536)
    }

    func testHintOnlyWhereManyConnectionsOpenAtOnce() {
        XCTAssertNil(closed(511).connectStormHint)
        XCTAssertTrue(closed(512).connectStormHint?.contains("--preconnect") == true)
        var pre = closed(10_000); pre.transport.preconnect = true
        XCTAssertNil(pre.connectStormHint, "connections are opened before the clock")
        var noKeepAlive = closed(10_000); noKeepAlive.transport.keepAlive = false
        XCTAssertNil(noKeepAlive.connectStormHint, "every request opens its own connection anyway")
        var segmented = closed(1_200); segmented.segment = Segment(index: 1, count: 3)
        XCTAssertNil(segmented.connectStormHint, "this process opens 400")
        let ramp = RunPlan.closedStages([ClosedStage(durationMicros: 1_000_000, concurrency: 5_000)], start: 0, requestLimit: nil,
                                        targets: [RequestTarget(url: "http://127.0.0.1:1/")], timeoutMicros: 1_000_000,
                                        connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        XCTAssertNil(ramp.connectStormHint, "a ramp from 0 opens them gradually")
        let open = RunPlan.open(schedule: OpenSchedule(startRate: 10, stages: [RateStage(durationMicros: 1_000_000, rate: 10)]),
                                maxInFlight: 5_000, maxLatenessMicros: 1_000_000, requestLimit: nil,
                                targets: [RequestTarget(url: "http://127.0.0.1:1/")], timeoutMicros: 1_000_000,
                                connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        XCTAssertNil(open.connectStormHint, "the open model opens connections as requests come due")
    }
}
