import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// What each second of the timeline says: its measured length, a rate only where one means something, and the
/// in-flight peak and time average. Pure: intervals in, entries out.
final class TimelineTruthTests: XCTestCase {
    private func interval(_ second: Int, ok: Int, inFlight: Int = 0, peak: Int = 0, integralMicros: Double = 0) -> IntervalStats {
        var i = IntervalStats(second: second)
        for _ in 0..<ok {
            i.recorder.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 1_000, status: 200, error: nil, complete: true))
        }
        i.inFlight = inFlight
        i.inFlightMax = peak
        i.recorder.inFlightIntegralMicros = integralMicros
        return i
    }

    func testInFlightMaxIsTheSumOfThreadPeaksAndMeanTheTimeAverage() {
        var b = TimelineBuilder(workers: 2, startEpochMillis: 0)
        // Thread 0 peaked at 900 and averaged 600 over the second; thread 1 peaked at 1,100 and averaged 400.
        b.add(worker: 0, interval(0, ok: 10, inFlight: 5, peak: 900, integralMicros: 600 * 1_000_000))
        b.add(worker: 1, interval(0, ok: 10, inFlight: 7, peak: 1_100, integralMicros: 400 * 1_000_000))
        let e = b.drain()
        XCTAssertEqual(e.count, 1)
        XCTAssertEqual(e[0].in_flight, 12, "the count at the second's close is kept")
        XCTAssertEqual(e[0].in_flight_max, 2_000, "the sum of per-thread peaks")
        XCTAssertEqual(e[0].in_flight_mean ?? -1, 1_000, accuracy: 1e-9, "Σ integral / the second's length")
        XCTAssertEqual(e[0].length_s, 1)
        XCTAssertEqual(e[0].rps ?? -1, 20, accuracy: 1e-9)
    }

    func testAThreadThatSleptThroughASecondCountsAtItsCarriedLevel() {
        var b = TimelineBuilder(workers: 2, startEpochMillis: 0)
        b.add(worker: 0, interval(0, ok: 1, inFlight: 3, peak: 3, integralMicros: 3 * 1_000_000))
        b.add(worker: 1, interval(0, ok: 1, inFlight: 2, peak: 2, integralMicros: 2 * 1_000_000))
        b.add(worker: 0, interval(1, ok: 1, inFlight: 3, peak: 4, integralMicros: 3 * 1_000_000))
        b.add(worker: 1, interval(2, ok: 1, inFlight: 2, peak: 2, integralMicros: 2 * 1_000_000)) // slept through second 1
        let e = b.drain()
        XCTAssertEqual(e.map(\.t_s), [0, 1])
        XCTAssertEqual(e[1].in_flight_max, 6, "4 + the sleeper's 2")
        XCTAssertEqual(e[1].in_flight_mean ?? -1, 5, accuracy: 1e-9)
    }

    func testTheMeanNeverExceedsThePeak() {
        var b = TimelineBuilder(workers: 1, startEpochMillis: 0)
        // An integral that spilled over from seconds slept through: capped at the peak.
        b.add(worker: 0, interval(0, ok: 1, inFlight: 2, peak: 2, integralMicros: 6 * 1_000_000))
        XCTAssertEqual(b.drain()[0].in_flight_mean, 2)
    }

    func testADrainOnlyLastBucketHasNoRateButKeepsItsCounts() {
        var b = TimelineBuilder(workers: 1, startEpochMillis: 0)
        b.add(worker: 0, interval(0, ok: 100))
        b.add(worker: 0, interval(1, ok: 10, integralMicros: 10 * 1_000)) // 10 requests finished in the drain
        b.finish(worker: 0)
        let e = b.drain(durationMicros: 1_001_000)
        XCTAssertEqual(e.map(\.t_s), [0, 1])
        XCTAssertEqual(e[1].length_s, 0.001, accuracy: 1e-12)
        XCTAssertNil(e[1].rps, "not 10,000 req/s")
        XCTAssertEqual(e[1].requests, 10)
        XCTAssertEqual(e[1].ok, 10)
    }

    func testASixTenthsLastBucketIsRatedOverItsLength() {
        var b = TimelineBuilder(workers: 1, startEpochMillis: 0)
        b.add(worker: 0, interval(0, ok: 100))
        b.add(worker: 0, interval(1, ok: 60))
        b.finish(worker: 0)
        let e = b.drain(durationMicros: 1_600_000)
        XCTAssertEqual(e[1].length_s, 0.6, accuracy: 1e-12)
        XCTAssertEqual(e[1].rps ?? -1, 100, accuracy: 1e-9)
    }

    func testTheWarmupIsTakenOutOfLengthsAndRates() {
        var b = TimelineBuilder(workers: 1, startEpochMillis: 0)
        b.add(worker: 0, interval(0, ok: 0, inFlight: 8, peak: 8, integralMicros: 8 * 1_000_000))
        b.add(worker: 0, interval(1, ok: 30, inFlight: 8, peak: 8, integralMicros: 8 * 1_000_000)) // warm-up ends at 1.4 s
        b.add(worker: 0, interval(2, ok: 50, inFlight: 8, peak: 8, integralMicros: 8 * 1_000_000))
        b.finish(worker: 0)
        let e = b.drain(durationMicros: 3_000_000).map { $0.measured(runMicros: 3_000_000, warmupMicros: 1_400_000) }
        XCTAssertEqual(e.map(\.length_s), [0, 0.6, 1])
        XCTAssertNil(e[0].rps, "a second inside the warm-up measured nothing")
        XCTAssertEqual(e[0].in_flight_mean, 8, "connections were busy all the same")
        XCTAssertEqual(e[1].rps ?? -1, 50, accuracy: 1e-9, "30 requests over the 0.6 s after the warm-up")
        XCTAssertEqual(e[2].rps, 50)
        // A warm-up ending in the last 0.3 s of a second leaves too little of it for a rate.
        let late = TimelineEntry(t_s: 1, epoch_s: 1, requests: 5, ok: 5, failed: 0, dropped: 0, rps: 5, in_flight: 0,
                                 p50_us: 0, p99_us: 0, max_us: 0).measured(runMicros: 5_000_000, warmupMicros: 1_700_000)
        XCTAssertEqual(late.length_s, 0.3, accuracy: 1e-12)
        XCTAssertNil(late.rps)
    }

    func testALastSecondEmittedBeforeTheThreadsFinishedIsCutAtTheEnd() {
        // Both threads posted their final (partial) second 2 before either said it had finished: the builder took it
        // for a whole second. Measured against the run's end it is 0.3 s long.
        var b = TimelineBuilder(workers: 2, startEpochMillis: 0)
        for w in 0..<2 {
            b.add(worker: w, interval(0, ok: 50))
            b.add(worker: w, interval(1, ok: 50))
            b.add(worker: w, interval(2, ok: 5, peak: 4, integralMicros: 0.3 * 1_000_000))
        }
        var e = b.drain()
        b.finish(worker: 0); b.finish(worker: 1)
        e += b.drain(durationMicros: 2_300_000)
        XCTAssertEqual(e.map(\.t_s), [0, 1, 2])
        XCTAssertEqual(e[2].length_s, 1, "taken for whole")
        let m = e.map { $0.measured(runMicros: 2_300_000, warmupMicros: 0) }
        XCTAssertEqual(m.map(\.length_s), [1, 1, 0.3])
        XCTAssertEqual(m[1].rps, 100)
        XCTAssertNil(m[2].rps, "10 requests over 0.3 s: no rate")
        XCTAssertEqual(m[2].in_flight_mean ?? -1, 2, accuracy: 1e-9, "0.6 request-seconds over 0.3 s")
        XCTAssertEqual(m[2].requests, 10)
    }

    func testARateOfNoneIsWrittenAsNullAndReadBack() throws {
        let e = TimelineEntry(t_s: 2, epoch_s: 2, requests: 3, ok: 3, failed: 0, dropped: 0, rps: nil, in_flight: 1,
                              p50_us: 10, p99_us: 10, max_us: 10, length_s: 0.01, in_flight_max: 4, in_flight_mean: 2.5)
        let data = try JSONOutput.encode(e)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        XCTAssertTrue(object["rps"] is NSNull, "the key is there, null")
        XCTAssertEqual(object["length_s"] as? Double, 0.01)
        XCTAssertEqual(object["in_flight_max"] as? Int, 4)
        XCTAssertEqual(try JSONDecoder().decode(TimelineEntry.self, from: data), e)
    }

    func testEntriesWrittenBeforeTheseKeysStillLoad() throws {
        func entry(_ json: String) throws -> TimelineEntry { try JSONDecoder().decode(TimelineEntry.self, from: Data(json.utf8)) }
        let full = try entry(#"{"t_s":0,"epoch_s":1,"requests":100,"ok":100,"failed":0,"dropped":0,"rps":100,"in_flight":4,"p50_us":1,"p99_us":2,"max_us":3}"#)
        XCTAssertEqual(full.length_s, 1)
        XCTAssertEqual(full.rps, 100)
        XCTAssertNil(full.in_flight_max)
        XCTAssertNil(full.in_flight_mean)
        XCTAssertEqual(full.inFlightMaxOrClose, 4)
        // The old drain bucket: 10 requests over a floor of 1 ms.
        let drain = try entry(#"{"t_s":3,"epoch_s":4,"requests":10,"ok":10,"failed":0,"dropped":0,"rps":10000,"in_flight":0,"p50_us":1,"p99_us":2,"max_us":3}"#)
        XCTAssertEqual(drain.length_s, 0.001, accuracy: 1e-12)
        XCTAssertNil(drain.rps, "read as a new file would have it")
        let threeQuarters = try entry(#"{"t_s":3,"epoch_s":4,"requests":75,"ok":75,"failed":0,"dropped":0,"rps":100,"in_flight":0,"p50_us":1,"p99_us":2,"max_us":3}"#)
        XCTAssertEqual(threeQuarters.length_s, 0.75, accuracy: 1e-12)
        XCTAssertEqual(threeQuarters.rps, 100)
    }

    func testTheCSVLeavesAMissingRateEmpty() {
        let plan = RunPlan(concurrency: 1, requestLimit: nil, durationMicros: 1_000_000, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        let timeline = [
            TimelineEntry(t_s: 0, epoch_s: 0, requests: 5, ok: 5, failed: 0, dropped: 0, rps: 5, in_flight: 1, p50_us: 1, p99_us: 1, max_us: 1,
                          length_s: 1, in_flight_max: 3, in_flight_mean: 1.25),
            TimelineEntry(t_s: 1, epoch_s: 1, requests: 2, ok: 2, failed: 0, dropped: 0, rps: nil, in_flight: 0, p50_us: 1, p99_us: 1, max_us: 1,
                          length_s: 0.004, in_flight_max: 1, in_flight_mean: 0.5),
        ]
        let r = RunResult(version: "t", plan: plan, recorder: Recorder(), timeline: timeline, startedEpochMillis: 0,
                          durationMicros: 1_004_000, interrupted: false)
        let lines = TimelineCSV.render(r).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "t_s,epoch_s,requests,ok,failed,dropped,rps,in_flight,p50_us,p99_us,max_us,errors,in_flight_max,in_flight_mean,length_s")
        XCTAssertEqual(lines[1], "0,0.000,5,5,0,0,5.000,1,1,1,1,,3,1.250,1.000")
        XCTAssertEqual(lines[2], "1,1.000,2,2,0,0,,0,1,1,1,,1,0.500,0.004")
    }

    func testCompareUsesOnlySecondsWithARate() {
        let plan = RunPlan(concurrency: 1, requestLimit: nil, durationMicros: 3_000_000, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        let timeline = (0..<4).map { s in
            TimelineEntry(t_s: s, epoch_s: Double(s), requests: 10, ok: 10, failed: 0, dropped: 0, rps: s == 3 ? nil : 10, in_flight: 1,
                          p50_us: 1, p99_us: 1, max_us: 1, length_s: s == 3 ? 0.01 : 1)
        }
        let r = RunResult(version: "t", plan: plan, recorder: Recorder(), timeline: timeline, startedEpochMillis: 0,
                          durationMicros: 3_010_000, interrupted: false)
        XCTAssertEqual(Compare.fullSeconds(of: r).map(\.t_s), [0, 1, 2])
    }

    func testTheInFlightChartDrawsTheMeanAndThePeakOrTheCloseForOlderFiles() {
        let plan = RunPlan(concurrency: 8, requestLimit: nil, durationMicros: 2_000_000, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        func result(_ timeline: [TimelineEntry]) -> RunResult {
            RunResult(version: "t", plan: plan, recorder: Recorder(), timeline: timeline, startedEpochMillis: 0,
                      durationMicros: 2_000_000, interrupted: false)
        }
        let new = (0..<2).map { TimelineEntry(t_s: $0, epoch_s: Double($0), requests: 8, ok: 8, failed: 0, dropped: 0, rps: 8, in_flight: 0,
                                              p50_us: 1, p99_us: 1, max_us: 1, in_flight_max: 8, in_flight_mean: 6.5) }
        let chart = HTMLReport.inFlightChart(result(new))
        XCTAssertTrue(chart.contains("in flight (mean over each second)"))
        XCTAssertTrue(chart.contains("peak (at most)"))
        var old = new
        for i in old.indices { old[i].in_flight_max = nil; old[i].in_flight_mean = nil }
        let oldChart = HTMLReport.inFlightChart(result(old))
        XCTAssertTrue(oldChart.contains("at each second"))
        XCTAssertFalse(oldChart.contains("peak (at most)"))
    }

    func testTheLiveSparklineSkipsSecondsWithoutARate() {
        let plan = PlanRecord(RunPlan(concurrency: 1, requestLimit: nil, durationMicros: 5_000_000,
                                      targets: [RequestTarget(url: "http://127.0.0.1:1/")], timeoutMicros: 1_000_000,
                                      connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true))
        var last = TimelineEntry(t_s: 1, epoch_s: 1, requests: 0, ok: 0, failed: 0, dropped: 0, rps: nil, in_flight: 1,
                                 p50_us: 0, p99_us: 0, max_us: 0, length_s: 0)
        let warming = LiveSnapshot(plan: plan, elapsedMicros: 2_000_000, totalMicros: 5_000_000, lastSecond: last, recentRPS: [nil, nil])
        let warmingText = LiveView.panel(warming, width: 80, color: false).joined(separator: "\n")
        XCTAssertTrue(warmingText.contains("- req/s"), warmingText)
        last.rps = 20
        let measuring = LiveSnapshot(plan: plan, elapsedMicros: 4_000_000, totalMicros: 5_000_000, lastSecond: last, recentRPS: [nil, nil, 10, 20])
        let text = LiveView.panel(measuring, width: 80, color: false).joined(separator: "\n")
        XCTAssertTrue(text.contains("peak 20.0"), text)
    }
}
