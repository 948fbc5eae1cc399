import XCTest
import BarrageCore

/// `phases_us.queue` (CURLINFO_QUEUE_TIME_T, libcurl 8.6+): recorded only when the engine read it, present in the
/// result only then, kept through JSON and merge, and absent (not zero) in results from 7.88 or older files.
final class QueuePhaseTests: XCTestCase {
    private let plan = RunPlan(concurrency: 1, requestLimit: 3, durationMicros: nil, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                               timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)

    private func result(queueMicros: [Int64]) -> RunResult {
        var r = Recorder()
        for q in queueMicros {
            var o = RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 1_000, status: 200, error: nil, complete: true)
            o.queueMicros = q
            r.record(o)
        }
        return RunResult(version: "t", plan: plan, recorder: r, timeline: [], startedEpochMillis: 0, durationMicros: 1_000_000, interrupted: false)
    }

    func testQueuePhaseOnlyWhereMeasured() throws {
        let eight = result(queueMicros: [0, 40, 2_000])
        XCTAssertEqual(eight.phases_us.queue?.count, 3)
        XCTAssertEqual(eight.phases_us.queue?.max, 2_000)
        let seven = result(queueMicros: [-1, -1, -1])
        XCTAssertNil(seven.phases_us.queue, "7.88 reports no queue time: no figure rather than a zero")
        let text = String(decoding: try seven.jsonData(), as: UTF8.self)
        XCTAssertFalse(text.contains("\"queue\""), "the key is left out")
        XCTAssertNil(try RunResult.decode(seven.jsonData()).phases_us.queue, "a result without the key still loads")
        let back = try RunResult.decode(eight.jsonData())
        XCTAssertEqual(back.phases_us.queue, eight.phases_us.queue)
        XCTAssertTrue(TextReport.render(eight).contains("queue"), "the text summary lists the phase")
    }

    func testMergeKeepsTheQueuePhase() throws {
        let rec = try ResultMerge.recorder(of: result(queueMicros: [10, 20]), name: "a.json")
        XCTAssertEqual(rec.queue?.totalCount, 2)
        XCTAssertNil(try ResultMerge.recorder(of: result(queueMicros: [-1]), name: "b.json").queue)
        var sum = Recorder()
        sum.merge(try ResultMerge.recorder(of: result(queueMicros: [-1]), name: "b.json"))
        XCTAssertNil(sum.queue, "merging a recorder without the phase makes none")
        sum.merge(rec)
        sum.merge(rec)
        XCTAssertEqual(sum.queue?.totalCount, 4)
    }
}
