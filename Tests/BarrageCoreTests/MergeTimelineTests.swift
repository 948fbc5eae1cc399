import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// `merge` never counts a run twice, puts timelines together truthfully (segments on one clock, repeats one after
/// the other), and names plan differences as `compare` does. Pure: results built in memory.
final class MergeTimelineTests: XCTestCase {
    /// A run of `seconds` seconds at `perSecond` ok responses each, the last second `lastLength` long.
    private func sample(seconds: Int = 3, perSecond: Int = 100, startMillis: Int64 = 1_764_000_000_000, lastLength: Double = 1,
                     runID: String? = "11111111-aaaa", segment: Segment? = nil, concurrency: Int = 4) -> RunResult {
        let plan = RunPlan(concurrency: concurrency, requestLimit: nil, durationMicros: Int64(seconds) * 1_000_000,
                           targets: [RequestTarget(url: "http://127.0.0.1:1/")], timeoutMicros: 1_000_000,
                           connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        var total = Recorder()
        var builder = TimelineBuilder(workers: 1, startEpochMillis: startMillis)
        for s in 0..<seconds {
            var i = IntervalStats(second: s)
            for k in 0..<perSecond {
                let due = Int64(s) * 1_000_000 + Int64(k) * 1_000
                let o = RequestOutcome(dueMicros: due, sentMicros: due, doneMicros: due + 2_000 + Int64(k), status: 200, error: nil, complete: true)
                i.recorder.record(o)
                total.record(o)
            }
            i.inFlightMax = 3
            i.inFlight = 2
            i.recorder.inFlightIntegralMicros = 2 * 1_000_000
            builder.add(worker: 0, i)
        }
        builder.finish(worker: 0)
        let duration = Int64(((Double(seconds - 1) + lastLength) * 1_000_000).rounded())
        var r = RunResult(version: "t", plan: plan, recorder: total, timeline: builder.drain(durationMicros: duration),
                          startedEpochMillis: startMillis, durationMicros: duration, interrupted: false)
        r.run_id = runID
        if let segment { r.plan.segment = segment; r.segment = segment }
        return r
    }

    private func refusal(_ inputs: [(name: String, result: RunResult)], force: Bool = false, allowPartial: Bool = false) -> String? {
        do {
            _ = try ResultMerge.merge(inputs, force: force, allowPartial: allowPartial)
            return nil
        } catch let e as BarrageError {
            XCTAssertEqual(e.status, .usage)
            return e.message
        } catch {
            return "\(error)"
        }
    }

    // MARK: Counting a run once

    func testTheSameRunTwiceIsRefusedNamingBothFiles() throws {
        let r = sample()
        let message = try XCTUnwrap(refusal([("r1.json", r), ("copy.json", r)], force: true), "no flag overrides it")
        XCTAssertTrue(message.contains("r1.json and copy.json"), message)
        XCTAssertTrue(message.contains("run_id 11111111-aaaa"), message)
        XCTAssertTrue(message.contains("twice"), message)
    }

    func testTwoRunsWithTheirOwnIdsMerge() throws {
        let m = try ResultMerge.merge([("a", sample(runID: "a")), ("b", sample(startMillis: 1_764_000_026_000, runID: "b"))])
        XCTAssertEqual(m.requests.total, 600)
        XCTAssertEqual(m.merged?.runs, 2)
    }

    func testSegmentsOfOneRunMayShareItsId() throws {
        let a = sample(runID: "shared", segment: Segment(index: 1, count: 2))
        let b = sample(runID: "shared", segment: Segment(index: 2, count: 2))
        let m = try ResultMerge.merge([("s1", a), ("s2", b)])
        XCTAssertEqual(m.run_id, "shared", "the merge of one run's segments is that run")
        XCTAssertEqual(m.merged?.clock, .shared)
        XCTAssertEqual(m.merged?.runs, 1)
        // The same segment of it twice is refused.
        let message = try XCTUnwrap(refusal([("s1", a), ("s1-again", a), ("s2", b)], allowPartial: true))
        XCTAssertTrue(message.contains("s1 and s1-again"), message)
        XCTAssertTrue(message.contains("segment 1/2"), message)
    }

    func testTwoSegmentsWithTheSameFingerprintAndIndexAreRefused() throws {
        // Different run ids (two separate runs of the same segmented plan), the same segment index.
        let a = sample(runID: "first", segment: Segment(index: 1, count: 2))
        let b = sample(startMillis: 1_764_000_100_000, runID: "second", segment: Segment(index: 1, count: 2))
        let message = try XCTUnwrap(refusal([("run1-seg1.json", a), ("run2-seg1.json", b)], force: true, allowPartial: true))
        XCTAssertTrue(message.contains("run1-seg1.json"), message)
        XCTAssertTrue(message.contains("run2-seg1.json"), message)
        XCTAssertTrue(message.contains("1/2"), message)
    }

    func testFilesWithoutARunIdAreComparedOnStartFingerprintAndTotals() throws {
        let old = sample(runID: nil)
        let message = try XCTUnwrap(refusal([("old.json", old), ("old-copy.json", old)]))
        XCTAssertTrue(message.contains("old.json and old-copy.json"), message)
        XCTAssertTrue(message.contains("no run_id"), message)
        // Another start, or other totals: another run.
        XCTAssertNil(refusal([("old.json", old), ("later.json", sample(startMillis: 1_764_000_030_000, runID: nil))]))
        XCTAssertNil(refusal([("old.json", old), ("busier.json", sample(perSecond: 101, runID: nil))]))
    }

    func testAMergeGivenBesideOneOfItsInputsIsRefused() throws {
        let a = sample(runID: "a"), b = sample(startMillis: 1_764_000_026_000, runID: "b")
        let ab = try ResultMerge.merge([("a.json", a), ("b.json", b)])
        let message = try XCTUnwrap(refusal([("ab.json", ab), ("b.json", b)]))
        XCTAssertTrue(message.contains("ab.json and b.json"), message)
        XCTAssertTrue(message.contains("run_id b"), message)
        // A merge of merges that share nothing is fine, and its parts are flattened.
        let c = sample(startMillis: 1_764_000_060_000, runID: "c")
        let abc = try ResultMerge.merge([("ab.json", ab), ("c.json", c)])
        XCTAssertEqual(abc.merged?.runs, 3)
        XCTAssertEqual(abc.merged?.parts.map(\.run_id), ["a", "b", "c"])
        XCTAssertEqual(abc.merged?.runStarts, [0, 3, 6])
    }

    // MARK: Timelines

    func testRepeatedRunsAreConcatenated() throws {
        // Two 3 s runs taken 23 s apart: seconds 0-2 and 3-5, not 0-2 and 26-28 with nothing between.
        let first = sample(lastLength: 0.6, runID: "first")
        let second = sample(startMillis: 1_764_000_026_000, lastLength: 0.6, runID: "second")
        let m = try ResultMerge.merge([("second.json", second), ("first.json", first)])
        XCTAssertEqual(m.timeline.map(\.t_s), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(m.timeline.map(\.epoch_s), [1_764_000_000, 1_764_000_001, 1_764_000_002, 1_764_000_026, 1_764_000_027, 1_764_000_028],
                       "each second keeps when it was")
        XCTAssertEqual(m.timeline.map { $0.rps ?? -1 }, [100, 100, 100 / 0.6, 100, 100, 100 / 0.6], "per-second rates stay true")
        XCTAssertEqual(m.timeline.map(\.length_s), [1, 1, 0.6, 1, 1, 0.6])
        XCTAssertEqual(m.merged?.clock, .concatenated)
        XCTAssertEqual(m.merged?.runStarts, [0, 3])
        XCTAssertEqual(m.merged?.parts.map(\.run_id), ["first", "second"], "in the order they ran")
        XCTAssertEqual(m.timeline.reduce(0) { $0 + $1.requests }, m.requests.total)
        XCTAssertTrue(m.run_id?.hasPrefix("merge-") ?? false)
        XCTAssertEqual(try ResultMerge.merge([("first.json", first), ("second.json", second)]).run_id, m.run_id,
                       "the same inputs give the same id")
    }

    func testSegmentsShareOneClock() throws {
        let a = sample(lastLength: 0.7, runID: "x", segment: Segment(index: 1, count: 2))
        let b = sample(perSecond: 50, startMillis: 1_764_000_000_004, lastLength: 0.2, runID: "y", segment: Segment(index: 2, count: 2))
        let m = try ResultMerge.merge([("a", a), ("b", b)])
        XCTAssertEqual(m.timeline.map(\.t_s), [0, 1, 2])
        XCTAssertEqual(m.timeline.map(\.requests), [150, 150, 150])
        XCTAssertEqual(m.timeline.map(\.length_s), [1, 1, 0.7], "the longer segment's last second")
        XCTAssertEqual(m.timeline[2].rps ?? -1, 150 / 0.7, accuracy: 1e-9)
        XCTAssertEqual(m.timeline.map(\.in_flight_max), [6, 6, 6])
        XCTAssertEqual(m.timeline.map(\.epoch_s), [1_764_000_000, 1_764_000_001, 1_764_000_002])
        XCTAssertEqual(m.timeline[0].p50_us, HistogramSummary(try XCTUnwrap(HdrCodec.decode(base64: XCTUnwrap(m.timeline[0].hdr)))).p50)
        XCTAssertEqual(m.merged?.runStarts, [0])
    }

    // MARK: Plan differences

    func testPlanDifferencesAreNamedAsCompareNamesThem() throws {
        let a = sample(runID: "a")
        let b = sample(startMillis: 1_764_000_026_000, runID: "b", concurrency: 8)
        let message = try XCTUnwrap(refusal([("a.json", a), ("b.json", b)]))
        let lines = message.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "b.json: its plan differs from a.json's (use --force to merge anyway):")
        XCTAssertEqual(Array(lines.dropFirst()), Compare.planWarnings(a.plan, b.plan).map { "  " + $0 })
        XCTAssertTrue(lines.contains("  plans differ: concurrency 4 → 8"), message)
        XCTAssertNil(refusal([("a.json", a), ("b.json", b)], force: true))
    }

    func testIdenticalPlansWithDifferentThreadsMerge() throws {
        var b = sample(startMillis: 1_764_000_026_000, runID: "b")
        b.plan.threads = 7
        XCTAssertNil(refusal([("a.json", sample(runID: "a")), ("b.json", b)]))
    }

    // MARK: Run ids

    func testRunIdsComeFromTheEnvironmentOrAreRandom() throws {
        let random = try RunIdentity.forNewRun(environment: [:])
        XCTAssertEqual(random.count, 36)
        XCTAssertNotEqual(random, try RunIdentity.forNewRun(environment: [:]))
        XCTAssertEqual(try RunIdentity.forNewRun(environment: ["BARRAGE_RUN_ID": "nightly-2026-11-29.1"]), "nightly-2026-11-29.1")
        for bad in ["", "has space", String(repeating: "x", count: 129), "naïve"] {
            XCTAssertThrowsError(try RunIdentity.forNewRun(environment: ["BARRAGE_RUN_ID": bad])) { error in
                XCTAssertTrue((error as? BarrageError)?.message.hasPrefix("BARRAGE_RUN_ID") ?? false, "\(error)")
            }
        }
    }

    func testRunIdAndMergedRoundTripAndOlderFilesLoadWithout() throws {
        let m = try ResultMerge.merge([("a", sample(runID: "a")), ("b", sample(startMillis: 1_764_000_026_000, runID: "b"))])
        XCTAssertEqual(try RunResult.decode(try m.jsonData()), m)
        var object = try JSONSerialization.jsonObject(with: try sample().jsonData()) as! [String: Any]
        XCTAssertEqual(object["run_id"] as? String, "11111111-aaaa")
        object["run_id"] = nil
        let older = try RunResult.decode(try JSONSerialization.data(withJSONObject: object))
        XCTAssertNil(older.run_id)
        XCTAssertNil(older.merged)
    }

    // MARK: The report

    func testTheReportSaysMergeOfNRunsAndMarksEachStart() throws {
        let m = try ResultMerge.merge([("a", sample(runID: "a")), ("b", sample(startMillis: 1_764_000_026_000, runID: "b")),
                                       ("c", sample(startMillis: 1_764_000_060_000, runID: "c"))])
        let html = HTMLReport.render(m)
        XCTAssertTrue(html.contains("merge of 3 runs"), "the header says so")
        XCTAssertEqual(HTMLReport.timelineMarkers(m).map(\.x), [3, 6])
        XCTAssertEqual(HTMLReport.timelineMarkers(m).map(\.label), ["run 2", "run 3"])
        XCTAssertEqual(HTMLReport.timeDomain(m), 0...9, "nine seconds of load, not 60")
        XCTAssertTrue(html.contains("run 3"))
    }

    func testTheReportDrawsNoRateForShortBuckets() throws {
        let r = sample(lastLength: 0.01)
        XCTAssertNil(r.timeline.last?.rps)
        let segments = HTMLReport.rateSegments(r) { $0.rps ?? 0 }
        XCTAssertEqual(segments.flatMap { $0 }.count, 2, "the 10 ms bucket is not drawn")
        XCTAssertEqual(segments.flatMap { $0 }.map(\.1), [100, 100])
    }
}
