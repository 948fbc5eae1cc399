import XCTest
@testable import BarrageCore
import BarragePlanFixtures

final class RemoteWriteTests: XCTestCase {
    func testOneSeriesEncodesAsTheWriteRequestMessage() {
        let s = RemoteWrite.Series(name: "m", labels: [.init("b", "2"), .init("a", "1")], value: 1.5, timestampMillis: 300)
        // WriteRequest.timeseries(1) { labels(1) {name(1) value(2)} …, samples(2) { value(1, fixed64) timestamp(2, varint) } }
        let label = { (n: String, v: String) -> [UInt8] in [0x0A, UInt8(4 + n.utf8.count + v.utf8.count), 0x0A, UInt8(n.utf8.count)] + Array(n.utf8) + [0x12, UInt8(v.utf8.count)] + Array(v.utf8) }
        var sample: [UInt8] = [0x09]
        withUnsafeBytes(of: (1.5).bitPattern.littleEndian) { sample += $0 }
        sample += [0x10, 0xAC, 0x02] // 300 as a varint
        // Labels sorted by name: __name__ < a < b.
        let ts = label("__name__", "m") + label("a", "1") + label("b", "2") + [0x12, UInt8(sample.count)] + sample
        XCTAssertEqual(RemoteWrite.encode([s]), [0x0A, UInt8(ts.count)] + ts)
    }

    func testSnappyLiteralsRoundTripAtEveryLengthBoundary() throws {
        for n in [0, 1, 60, 61, 256, 257, 65_536, 65_537, 200_000] {
            let input = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let packed = RemoteWrite.snappy(input)
            XCTAssertEqual(try RemoteWrite.unsnappyLiterals(packed), input, "\(n) bytes")
        }
        // The length prefix and a short literal's tag, as the format defines them.
        XCTAssertEqual(RemoteWrite.snappy([7, 8, 9]), [3, 2 << 2, 7, 8, 9])
        XCTAssertEqual(Array(RemoteWrite.snappy([UInt8](repeating: 1, count: 100)).prefix(3)), [100, 60 << 2, 99])
    }

    func testTheFinalPushCarriesTheResultsTotalsAndWholeRunPercentiles() throws {
        var rec = Recorder()
        for (i, v) in [1_000, 2_000, 3_000, 40_000, 5_000].enumerated() {
            rec.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: Int64(v), status: i == 4 ? 503 : 200,
                                      error: i == 4 ? .status : nil, complete: true, bytesIn: 100, bytesOut: 50))
        }
        let plan = PlanRecord(RunPlan(concurrency: 1, requestLimit: 5, durationMicros: nil,
                                      targets: [RequestTarget(url: "http://127.0.0.1:1/")], timeoutMicros: 1_000_000,
                                      connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true))
        let r = RunResult(version: "t", planRecord: plan, recorder: rec, timeline: [], startedEpochMillis: 0,
                          durationMicros: 1_000_000, interrupted: false)
        let labels = PushSeries.runLabels(runID: "abc", plan: plan)
        let series = PushSeries.final(labels: labels, result: r, timestampMillis: 42)
        func find(_ name: String, _ extra: [String: String]) -> Double? {
            series.first { s in
                s.name == name && extra.allSatisfy { k, v in s.labels.contains(.init(k, v)) } && s.labels.contains(.init("run_id", "abc"))
            }?.value
        }
        XCTAssertEqual(find("barrage_requests_total", ["result": "ok"]), Double(r.requests.ok))
        XCTAssertEqual(find("barrage_requests_total", ["result": "failed"]), Double(r.requests.failed))
        XCTAssertEqual(find("barrage_responses_total", ["status_class": "5xx"]), 1)
        XCTAssertEqual(find("barrage_responses_total", ["status_class": "2xx"]), 4)
        XCTAssertEqual(find("barrage_run_latency_seconds", ["stat": "p99"]), Double(r.latency_us.p99) / 1_000_000)
        XCTAssertEqual(find("barrage_run_latency_seconds", ["stat": "max"]), Double(r.latency_us.max) / 1_000_000)
        XCTAssertTrue(series.allSatisfy { $0.timestampMillis == 42 })
        // The body decodes back to the message.
        XCTAssertEqual(try RemoteWrite.unsnappyLiterals(RemoteWrite.body(series)), RemoteWrite.encode(series))
    }

    func testAnIntervalPushSummarisesOnlyItsWindow() throws {
        var late = LatencyHistograms.make()
        for _ in 0..<10 { _ = late.record(2_000) }
        let window = [TimelineEntry(t_s: 3, epoch_s: 0, requests: 10, ok: 10, failed: 0, dropped: 0, rps: 10, in_flight: 0,
                                    p50_us: 2_000, p99_us: 2_000, max_us: 2_000, hdr: HdrCodec.encodeCompressedBase64(late))]
        let series = PushSeries.interval(labels: [.init("run_id", "x")], sofar: Recorder(), inFlight: 3,
                                         lanes: [.init(scenario: nil, window: window, targetNames: ["a"], iterations: nil)],
                                         timestampMillis: 1)
        let max = series.first { $0.name == "barrage_interval_latency_seconds" && $0.labels.contains(.init("stat", "max")) }
        XCTAssertEqual(try XCTUnwrap(max).value, 0.002, accuracy: 0.00001)
        XCTAssertEqual(series.first { $0.name == "barrage_interval_rps" }?.value, 10)
        XCTAssertEqual(series.first { $0.name == "barrage_in_flight" }?.value, 3)
        XCTAssertFalse(series.contains { $0.labels.contains { $0.name == "target" } }, "one target: no per-target series")
    }

    func testSeveralScenariosPushEachOnesIntervalLatency() throws {
        var h = LatencyHistograms.make()
        for _ in 0..<4 { _ = h.record(3_000) }
        let entry = TimelineEntry(t_s: 0, epoch_s: 0, requests: 4, ok: 4, failed: 0, dropped: 0, rps: 4, in_flight: 0,
                                  p50_us: 3_000, p99_us: 3_000, max_us: 3_000, hdr: HdrCodec.encodeCompressedBase64(h))
        let series = PushSeries.interval(labels: [], sofar: Recorder(), inFlight: 0,
                                         lanes: [.init(scenario: "a", window: [entry], targetNames: ["home"], iterations: IterationRecorder()),
                                                 .init(scenario: "b", window: [entry], targetNames: ["one"], iterations: IterationRecorder())],
                                         timestampMillis: 1)
        for scenario in ["a", "b"] {
            let own = series.first { s in
                s.name == "barrage_interval_latency_seconds" && s.labels.contains(.init("scenario", scenario))
                    && !s.labels.contains { $0.name == "target" } && s.labels.contains(.init("stat", "p99"))
            }
            XCTAssertEqual(try XCTUnwrap(own, scenario).value, 0.003, accuracy: 0.00001)
        }
        XCTAssertEqual(series.first { $0.name == "barrage_interval_rps" }?.value, 8, "both scenarios' rates add up")
    }

    // MARK: WebSocket messages

    private func find(_ series: [RemoteWrite.Series], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        series.first { s in s.name == name && labels.allSatisfy { k, v in s.labels.contains(.init(k, v)) } }?.value
    }

    func testAnIntervalPushCarriesTheMessagesAndTheirWindow() throws {
        let sofar = MessageThresholdTests.recorder(latencies: [1_000, 1_000, 1_000, 80_000], failed: [.receive], dropped: 2)
        let window = MessageThresholdTests.recorder(latencies: [80_000])
        var entry = TimelineEntry(t_s: 3, epoch_s: 0, requests: 0, ok: 0, failed: 0, dropped: 0, rps: nil, in_flight: 0,
                                  p50_us: 0, p99_us: 0, max_us: 0, length_s: 0.5)
        entry.messages = 20
        let series = PushSeries.interval(labels: [.init("run_id", "x")], sofar: Recorder(), inFlight: 1,
                                         lanes: [.init(scenario: nil, window: [entry], targetNames: ["a"], iterations: nil,
                                                       messages: sofar, messagesWindow: window, connectionsOpen: 6)],
                                         timestampMillis: 1)
        XCTAssertEqual(find(series, "barrage_messages_total", ["result": "answered"]), 4)
        XCTAssertEqual(find(series, "barrage_messages_total", ["result": "failed"]), 1)
        XCTAssertEqual(find(series, "barrage_messages_total", ["result": "dropped"]), 2)
        XCTAssertEqual(series.filter { $0.name == "barrage_message_errors_total" }.count, MessageError.count, "every class from the first push")
        XCTAssertEqual(find(series, "barrage_message_errors_total", ["class": "receive"]), 1)
        XCTAssertEqual(find(series, "barrage_connections_open"), 6)
        XCTAssertEqual(find(series, "barrage_interval_message_rate"), 40, "20 ended over half a second")
        // The window's latency only (one message of 80 ms), not the run's so far.
        XCTAssertEqual(try XCTUnwrap(find(series, "barrage_interval_message_latency_seconds", ["stat": "p50"])), 0.08, accuracy: 0.0001)
        XCTAssertTrue(series.allSatisfy { $0.labels.contains(.init("run_id", "x")) })
        // A window too short for a rate has none; an HTTP run has no message series at all.
        entry.length_s = 0.01
        let short = PushSeries.interval(labels: [], sofar: Recorder(), inFlight: 0,
                                        lanes: [.init(scenario: nil, window: [entry], targetNames: ["a"], iterations: nil,
                                                      messages: sofar, messagesWindow: MessageRecorder())], timestampMillis: 1)
        XCTAssertNil(find(short, "barrage_interval_message_rate"))
        XCTAssertNil(find(short, "barrage_interval_message_latency_seconds"), "no answered message in the window: no stat")
        let http = PushSeries.interval(labels: [], sofar: Recorder(), inFlight: 0,
                                       lanes: [.init(scenario: nil, window: [], targetNames: ["a"], iterations: nil)], timestampMillis: 1)
        XCTAssertFalse(http.contains { $0.name.contains("message") || $0.name == "barrage_connections_open" })
    }

    func testTheFinalPushCarriesTheResultsMessages() throws {
        let r = MessageReportTests.sample()
        let m = try XCTUnwrap(r.messages)
        let series = PushSeries.final(labels: [.init("run_id", "ws")], result: r, timestampMillis: 5)
        XCTAssertEqual(find(series, "barrage_messages_total", ["result": "answered"]), Double(m.answered))
        XCTAssertEqual(find(series, "barrage_messages_total", ["result": "failed"]), Double(m.failed))
        XCTAssertEqual(find(series, "barrage_messages_total", ["result": "dropped"]), Double(m.dropped))
        XCTAssertEqual(find(series, "barrage_message_errors_total", ["class": "answer_timeout"]), 2)
        XCTAssertEqual(find(series, "barrage_message_errors_total", ["class": "cut_short"]), 0)
        XCTAssertEqual(find(series, "barrage_run_message_rate"), m.rate)
        XCTAssertEqual(find(series, "barrage_connections_open"), 0)
        for (stat, micros) in [("p50", m.latency_us.p50), ("p99", m.latency_us.p99), ("max", m.latency_us.max)] {
            XCTAssertEqual(find(series, "barrage_run_message_latency_seconds", ["stat": stat]), Double(micros) / 1_000_000, stat)
        }
        XCTAssertEqual(find(series, "barrage_requests_total", ["result": "ok"]), Double(r.requests.ok), "the handshakes stay")
    }
}
