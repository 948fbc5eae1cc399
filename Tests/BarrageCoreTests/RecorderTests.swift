import XCTest
@testable import BarrageCore

final class RecorderTests: XCTestCase {
    private func outcome(latency: Int64, status: Int = 200, error: ErrorClass? = nil, complete: Bool = true,
                         done: Int64 = 1_000_000, connection: ConnectionUse = .reused) -> RequestOutcome {
        RequestOutcome(dueMicros: done - latency, sentMicros: done - latency, doneMicros: done, status: status,
                       error: error, complete: complete, bytesIn: 100, bytesOut: 50, ttfbMicros: latency / 2,
                       connection: connection)
    }

    func testCountsEveryOutcomeOnce() {
        var r = Recorder()
        r.record(outcome(latency: 1_000))
        r.record(outcome(latency: 2_000, status: 503, error: .status))
        r.record(outcome(latency: 3_000, status: 0, error: .connect, complete: false, connection: .none))
        r.recordDropped()
        XCTAssertEqual(r.total, 4)
        XCTAssertEqual(r.ok, 1)
        XCTAssertEqual(r.failed, 2)
        XCTAssertEqual(r.dropped, 1)
        XCTAssertEqual(r.errorCounts, ["status": 1, "connect": 1])
        XCTAssertEqual(r.statusCounts, ["200": 1, "503": 1])
        // Latency covers complete responses only (any status).
        XCTAssertEqual(r.latency.totalCount, 2)
        XCTAssertEqual(r.connectionsReused, 2)
        XCTAssertEqual(r.bytesIn, 300)
    }

    func testPercentilesOfAKnownDistribution() {
        var r = Recorder()
        for v in 1...10_000 { r.record(outcome(latency: Int64(v))) }
        let s = HistogramSummary(r.latency)
        XCTAssertEqual(s.count, 10_000)
        XCTAssertEqual(s.min, 1)
        XCTAssertEqual(s.max, 10_000)
        // 3 significant digits: within 0.1 % of the true value.
        XCTAssertEqual(Double(s.p50), 5_000, accuracy: 5)
        XCTAssertEqual(Double(s.p90), 9_000, accuracy: 9)
        XCTAssertEqual(Double(s.p99), 9_900, accuracy: 10)
        XCTAssertEqual(Double(s.p99_9), 9_990, accuracy: 10)
        XCTAssertEqual(Double(s.mean), 5_000.5, accuracy: 5)
        XCTAssertEqual(Double(s.stdev), 2_886.9, accuracy: 5)
        XCTAssertLessThanOrEqual(s.p99_99, s.max, "no percentile above the maximum")
    }

    func testMergeIsExact() {
        var a = Recorder(), b = Recorder(), both = Recorder()
        for v in stride(from: 100, to: 50_000, by: 37) {
            let o = outcome(latency: Int64(v))
            if v % 2 == 0 { a.record(o) } else { b.record(o) }
            both.record(o)
        }
        a.merge(b)
        XCTAssertEqual(HistogramSummary(a.latency), HistogramSummary(both.latency))
        XCTAssertEqual(a.ok, both.ok)
        XCTAssertEqual(a.statusCounts, both.statusCounts)
    }

    func testSamplesBeyondAnHourAreClampedAndCounted() {
        var r = Recorder()
        r.record(outcome(latency: 4_000_000_000, done: 5_000_000_000))
        XCTAssertEqual(r.clampedSamples, 2) // latency and service time
        XCTAssertEqual(r.latency.totalCount, 1)
    }

    func testEmptySummaryIsZeros() {
        var s = HistogramSummary(LatencyHistograms.make())
        XCTAssertTrue(s.hdr?.hasPrefix("HISTF") ?? false, "even an empty histogram travels with the file")
        s.hdr = nil
        XCTAssertEqual(s, .empty)
    }
}

final class TimelineBuilderTests: XCTestCase {
    private func interval(_ second: Int, ok: Int, failed: Int = 0, latency: UInt64 = 1_000, inFlight: Int = 0) -> IntervalStats {
        var i = IntervalStats(second: second)
        for _ in 0..<ok {
            i.recorder.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: Int64(latency), status: 200, error: nil, complete: true))
        }
        for _ in 0..<failed {
            i.recorder.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: Int64(latency), status: 500, error: .status, complete: true))
        }
        i.inFlight = inFlight
        return i
    }

    func testSecondsAreEmittedOnlyWhenEveryWorkerPassedThem() {
        var b = TimelineBuilder(workers: 2, startEpochMillis: 1_000_000)
        b.add(worker: 0, interval(0, ok: 5, inFlight: 3))
        XCTAssertEqual(b.drain().count, 0)
        b.add(worker: 1, interval(0, ok: 7, inFlight: 4))
        let first = b.drain()
        XCTAssertEqual(first.count, 1)
        XCTAssertEqual(first[0].requests, 12)
        XCTAssertEqual(first[0].in_flight, 7)
        XCTAssertEqual(first[0].epoch_s, 1_000.0)
    }

    func testFinalDrainCoversTheDurationAndKeepsEveryRequest() {
        var b = TimelineBuilder(workers: 2, startEpochMillis: 0)
        b.add(worker: 0, interval(0, ok: 10))
        b.add(worker: 1, interval(0, ok: 10))
        b.add(worker: 0, interval(1, ok: 4, failed: 1))
        b.add(worker: 1, interval(2, ok: 3))  // worker 1 skipped second 1
        let early = b.drain()
        XCTAssertEqual(early.map(\.t_s), [0, 1], "seconds every worker has passed")
        XCTAssertEqual(early[1].requests, 5)
        XCTAssertEqual(early[1].failed, 1)
        b.finish(worker: 0)
        b.finish(worker: 1)
        let rest = b.drain(durationMicros: 2_500_000)
        XCTAssertEqual(rest.map(\.t_s), [2])
        XCTAssertEqual(rest[0].requests, 3)
        XCTAssertEqual(rest[0].rps ?? -1, 6, accuracy: 0.001, "the last bucket is half a second long")
        XCTAssertEqual(rest[0].length_s, 0.5)
    }

    func testACompletionExactlyAtTheEndKeepsItsBucket() {
        var b = TimelineBuilder(workers: 1, startEpochMillis: 0)
        b.add(worker: 0, interval(0, ok: 1))
        b.add(worker: 0, interval(1, ok: 1))
        b.finish(worker: 0)
        let all = b.drain(durationMicros: 1_000_000)
        XCTAssertEqual(all.reduce(0) { $0 + $1.requests }, 2)
    }
}
