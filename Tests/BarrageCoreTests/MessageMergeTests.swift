import XCTest
@testable import BarrageCore

/// `barrage merge` (repeated runs and segments) on WebSocket results: the `messages` section adds exactly — the
/// merge of two parts equals the section one run of both parts' messages would have written.
final class MessageMergeTests: XCTestCase {
    private typealias M = MessageThresholdTests

    /// `m` with its summaries read back from their `hdr`, as a merge reads them: the encoded histogram keeps every
    /// count but min and max only to the histogram's precision (3 significant digits), as for requests' `latency_us`.
    private func viaHdr(_ m: RunResult.Messages) throws -> RunResult.Messages {
        var out = m
        out.latency_us = HistogramSummary(try XCTUnwrap(try m.latency_us.histogram()))
        out.service_time_us = HistogramSummary(try XCTUnwrap(try m.service_time_us.histogram()))
        return out
    }

    func testTwoRunsMergeToTheOneRunNumbers() throws {
        let recA = M.recorder(latencies: [10_000, 20_000, 30_000], failed: [.answer_timeout, .closed_by_peer], dropped: 3,
                              closeCodes: [1001, 1001])
        let recB = M.recorder(latencies: [40_000, 900_000], lateMicros: 700, failed: [.closed_by_peer, .cut_short], dropped: 1,
                              closeCodes: [1000, 1001])
        let a = M.wsResult(recA, startMillis: 1_764_000_000_000, runID: "a")
        let b = M.wsResult(recB, startMillis: 1_764_000_010_000, runID: "b")
        let merged = try ResultMerge.merge([("a.json", a), ("b.json", b)])
        let m = try XCTUnwrap(merged.messages)

        var both = recA
        both.merge(recB)
        let oneRun = RunResult.Messages(both, durationMicros: merged.duration_us, answer: "echo")
        XCTAssertEqual(m.latency_us.hdr, oneRun.latency_us.hdr, "the same histogram as one run of both")
        XCTAssertEqual(m.service_time_us.hdr, oneRun.service_time_us.hdr)
        XCTAssertEqual(m, try viaHdr(oneRun), "counts, errors, close codes, summaries and rate as one run of both")

        XCTAssertEqual([m.total, m.answered, m.failed, m.dropped], [13, 5, 4, 4])
        XCTAssertEqual(m.total, m.answered + m.failed + m.dropped)
        XCTAssertEqual([m.sent, m.received], [9, 5])
        XCTAssertEqual(m.errors, ["answer_timeout": 1, "closed_by_peer": 2, "cut_short": 1])
        XCTAssertEqual(m.close_codes, ["1000": 1, "1001": 3])
        XCTAssertEqual(m.latency_us.count, 5)
        XCTAssertEqual(Double(m.latency_us.max), 900_000, accuracy: 900, "within HdrHistogram's precision")
        XCTAssertEqual(merged.duration_us, 4_000_000, "two 2 s runs ten seconds apart")
        XCTAssertEqual(m.rate, 9 / 4.0, accuracy: 1e-12, "answered + failed per second of the merged time")
        // The merged result is judged like one run.
        XCTAssertTrue(try ThresholdEvaluator.evaluate([Threshold.parse("messages == 9")], on: merged)[0].ok)
        // And it survives a round trip through JSON and a second merge with a third run.
        let decoded = try JSONDecoder().decode(RunResult.self, from: JSONEncoder().encode(merged))
        XCTAssertEqual(decoded.messages, m)
        let c = M.wsResult(M.recorder(latencies: [5_000]), startMillis: 1_764_000_020_000, runID: "c")
        let again = try XCTUnwrap(try ResultMerge.merge([("ab.json", decoded), ("c.json", c)]).messages)
        XCTAssertEqual([again.total, again.answered, again.latency_us.count], [14, 6, 6])
    }

    func testSegmentsMergeTheirMessages() throws {
        func segment(_ i: Int, _ rec: MessageRecorder) -> RunResult {
            var r = M.wsResult(rec, runID: "shared")
            r.plan.segment = Segment(index: i, count: 2)
            r.segment = Segment(index: i, count: 2)
            return r
        }
        let recA = M.recorder(latencies: [1_000, 2_000], dropped: 1)
        let recB = M.recorder(latencies: [3_000], failed: [.receive])
        let merged = try ResultMerge.merge([("s1.json", segment(1, recA)), ("s2.json", segment(2, recB))])
        var both = recA
        both.merge(recB)
        XCTAssertEqual(merged.messages, try viaHdr(RunResult.Messages(both, durationMicros: merged.duration_us, answer: "echo")))
        XCTAssertEqual(merged.duration_us, 2_000_000, "segments run side by side")
        XCTAssertEqual(merged.messages?.rate, 2, "4 ended over the shared 2 s")
    }

    func testErrorClassesOfALaterVersionAreKept() throws {
        var a = M.wsResult(M.recorder(failed: [.send]), startMillis: 1_764_000_000_000, runID: "a")
        a.messages?.errors["protocol"] = 2
        a.messages?.failed += 2
        a.messages?.total += 2
        let b = M.wsResult(M.recorder(failed: [.send]), startMillis: 1_764_000_010_000, runID: "b")
        let m = try XCTUnwrap(try ResultMerge.merge([("a.json", a), ("b.json", b)]).messages)
        XCTAssertEqual(m.errors, ["send": 2, "protocol": 2])
        XCTAssertEqual(m.failed, 4)
    }

    func testAWebSocketResultAndAnHTTPOneAreRefusedEvenWithForce() {
        let ws = M.wsResult(M.recorder(latencies: [1_000]), runID: "ws")
        var http = ThresholdEvaluatorTests.result(latencies: [1_000])
        http.run_id = "http"
        for force in [false, true] {
            XCTAssertThrowsError(try ResultMerge.merge([("ws.json", ws), ("http.json", http)], force: force)) { error in
                let message = (error as? BarrageError)?.message ?? ""
                if force {
                    XCTAssertEqual(message, "http.json: an HTTP result (no messages), but ws.json is a WebSocket run: "
                                   + "merge WebSocket results only with each other")
                } else {
                    XCTAssertTrue(message.hasPrefix("http.json: its plan differs from ws.json's"), message)
                }
            }
        }
    }

    func testHTTPResultsMergeWithoutMessages() throws {
        var a = ThresholdEvaluatorTests.result(latencies: [1_000])
        a.run_id = "a"
        var b = ThresholdEvaluatorTests.result(latencies: [2_000])
        b.run_id = "b"
        b.started_epoch_ms = 5_000
        XCTAssertNil(try ResultMerge.merge([("a", a), ("b", b)]).messages)
    }

    func testALatencyWithoutItsHistogramCannotBeMergedExactly() {
        var a = M.wsResult(M.recorder(latencies: [1_000]), startMillis: 1_764_000_000_000, runID: "a")
        a.messages?.latency_us.hdr = nil
        let b = M.wsResult(M.recorder(latencies: [2_000]), startMillis: 1_764_000_010_000, runID: "b")
        XCTAssertThrowsError(try ResultMerge.merge([("a.json", a), ("b.json", b)])) { error in
            XCTAssertEqual((error as? BarrageError)?.message,
                           "a.json messages.latency_us: no histogram (hdr) in this file, so it cannot be merged exactly")
        }
    }
}
