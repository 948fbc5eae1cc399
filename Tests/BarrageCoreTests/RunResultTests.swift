import XCTest
@testable import BarrageCore
import BarragePlanFixtures

final class RunResultTests: XCTestCase {
    private func sample() -> RunResult {
        let plan = RunPlan(concurrency: 4, requestLimit: nil, durationMicros: 2_000_000,
                           targets: [RequestTarget(url: "http://u:secret@127.0.0.1:1/", headers: ["Authorization: Bearer x", "Accept: */*"])],
                           timeoutMicros: 30_000_000, connectTimeoutMicros: 10_000_000, threads: 2, keepAlive: true)
        var r = Recorder()
        for i in 0..<100 {
            r.record(RequestOutcome(dueMicros: Int64(i) * 1_000, sentMicros: Int64(i) * 1_000, doneMicros: Int64(i) * 1_000 + 500,
                                    status: 200, error: nil, complete: true, bytesIn: 10, bytesOut: 5, connection: .reused))
        }
        return RunResult(version: "test", plan: plan, recorder: r, timeline: [], startedEpochMillis: 1_764_094_369_123,
                         durationMicros: 2_000_000, interrupted: false)
    }

    func testKeysAreTheContract() throws {
        let json = try JSONSerialization.jsonObject(with: try sample().jsonData()) as! [String: Any]
        for key in ["schema", "started_at", "started_epoch_ms", "duration_us", "plan", "requests", "status_codes", "errors",
                    "throughput", "latency_us", "service_time_us", "phases_us", "connections", "timeline"] {
            XCTAssertNotNil(json[key], key)
        }
        XCTAssertEqual(json["schema"] as? String, "barrage.result.v1")
        let requests = json["requests"] as! [String: Int]
        XCTAssertEqual(Set(requests.keys), ["total", "ok", "failed", "dropped"])
        let throughput = json["throughput"] as! [String: Any]
        XCTAssertEqual(Set(throughput.keys), ["rps", "ok_rps", "bytes_in", "body_bytes_in", "bytes_out", "bytes_in_per_s"])
        XCTAssertEqual(throughput["rps"] as? Double, 50)
        let latency = json["latency_us"] as! [String: Any]
        XCTAssertEqual(Set(latency.keys), ["count", "min", "mean", "stdev", "max", "p50", "p75", "p90", "p95", "p99", "p99_9", "p99_99", "hdr"])
        XCTAssertEqual(Set((json["phases_us"] as! [String: Any]).keys), ["dns", "connect", "tls", "ttfb"])
        XCTAssertEqual(Set((json["connections"] as! [String: Any]).keys), ["new", "reused"])
        let plan = json["plan"] as! [String: Any]
        for key in ["model", "stages", "concurrency", "targets", "timeout_us", "threads"] { XCTAssertNotNil(plan[key], "plan.\(key)") }
        XCTAssertTrue(plan["requests"] is NSNull, "absent limits are explicit nulls")
    }

    func testSecretsNeverReachTheFile() throws {
        let text = String(decoding: try sample().jsonData(), as: UTF8.self)
        XCTAssertFalse(text.contains("secret"))
        XCTAssertFalse(text.contains("Bearer x"))
        XCTAssertTrue(text.contains("Accept: */*"))
    }

    func testStartedAtIsRFC3339UTCWithMillis() {
        XCTAssertEqual(RunResult.rfc3339(epochMillis: 1_764_094_369_123), "2025-11-25T18:12:49.123Z")
        XCTAssertEqual(RunResult.rfc3339(epochMillis: 0), "1970-01-01T00:00:00.000Z")
    }

    func testRoundTrips() throws {
        let r = sample()
        XCTAssertEqual(try RunResult.decode(try r.jsonData()), r)
    }

    private func withConnectPhase(_ r: RunResult, connections: Int, failed: Int = 0, micros: Int64) -> RunResult {
        var phase = Recorder()
        for i in 0..<connections {
            phase.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 900, status: i < failed ? 0 : 200,
                                        error: i < failed ? .connect : nil, complete: i >= failed, connectMicros: 100 + Int64(i),
                                        connection: .new))
        }
        var out = r
        out.connect_phase = RunResult.ConnectPhase(phase, durationMicros: micros, attemptsInFlight: 256)
        return out
    }

    func testConnectPhaseIsReportedAndRoundTrips() throws {
        let r = withConnectPhase(sample(), connections: 4, failed: 1, micros: 12_000)
        let c = try XCTUnwrap(r.connect_phase)
        XCTAssertEqual(c.connections, 4)
        XCTAssertEqual(c.requests.total, 4)
        XCTAssertEqual(c.requests.failed, 1)
        XCTAssertEqual(c.errors, ["connect": 1])
        XCTAssertEqual(c.connect_us.count, 4)
        XCTAssertEqual(try RunResult.decode(try r.jsonData()), r)
        let text = TextReport.render(r)
        // The line wraps at 80 columns, between words.
        XCTAssertTrue(text.contains("Connect     4 connections opened in 12.0ms before the clock started"), text)
        XCTAssertTrue(text.replacingOccurrences(of: "\n              ", with: " ").contains("(at most 256 attempts at once"), text)
        XCTAssertTrue(text.contains("1 failed"), text)
        XCTAssertFalse(TextReport.render(sample()).contains("Connect     "), "no line without a connect phase")
        let json = try JSONSerialization.jsonObject(with: try r.jsonData()) as! [String: Any]
        let phase = json["connect_phase"] as! [String: Any]
        XCTAssertEqual(Set(phase.keys), ["connections", "requests", "errors", "duration_us", "max_attempts_in_flight", "connect_us", "tls_us"])
        XCTAssertNil((try JSONSerialization.jsonObject(with: try sample().jsonData()) as! [String: Any])["connect_phase"])
    }

    func testMergedConnectPhasesAddUp() throws {
        var a = withConnectPhase(sample(), connections: 3, micros: 10_000)
        var b = withConnectPhase(sample(), connections: 5, failed: 2, micros: 30_000)
        a.plan.segment = Segment(index: 1, count: 2); a.segment = a.plan.segment
        b.plan.segment = Segment(index: 2, count: 2); b.segment = b.plan.segment
        let m = try ResultMerge.merge([("a", a), ("b", b)])
        let c = try XCTUnwrap(m.connect_phase)
        XCTAssertEqual(c.connections, 8)
        XCTAssertEqual(c.requests.total, 8)
        XCTAssertEqual(c.requests.failed, 2)
        XCTAssertEqual(c.errors, ["connect": 2])
        XCTAssertEqual(c.duration_us, 30_000, "the longest phase")
        XCTAssertEqual(c.connect_us.count, 8, "histograms merged from hdr")
    }

    func testTextReportShowsTheNumbers() {
        let text = TextReport.render(sample())
        XCTAssertTrue(text.contains("100 total · 100 ok · 0 failed · 0 dropped"), text)
        XCTAssertTrue(text.contains("50.0 req/s"), text)
        XCTAssertTrue(text.contains("200: 100"), text)
        XCTAssertTrue(text.contains("p99.99"), text)
        XCTAssertFalse(text.contains("secret"))
    }

    func testGroupingAndBytes() {
        XCTAssertEqual(TextReport.grouped(1_234_567), "1,234,567")
        XCTAssertEqual(TextReport.grouped(999), "999")
        XCTAssertEqual(TextReport.bytes(999), "999B")
        XCTAssertEqual(TextReport.bytes(10_485_760), "10.5MB")
    }
}

final class TextReportChecksTests: XCTestCase {
    private func result(latencies: [Int64], errors: [ErrorClass] = [], cpu: Double? = nil) -> RunResult {
        let plan = RunPlan(concurrency: 2, requestLimit: nil, durationMicros: 2_000_000, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        var r = Recorder()
        for v in latencies { r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: v, status: 200, error: nil, complete: true)) }
        for e in errors { r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 10, status: 0, error: e, complete: false)) }
        var result = RunResult(version: "t", plan: plan, recorder: r, timeline: [], startedEpochMillis: 0, durationMicros: 2_000_000, interrupted: false)
        if let cpu { result.client = RunResult.ClientUsage(cpu_user_us: 1, cpu_system_us: 1, threads: 1, cpu_utilization: cpu) }
        result.error_messages = ["connect": "Failed to connect (curl 7)"]
        return result
    }

    func testTheLatencyChartCountsEverySampleOnce() throws {
        let latencies = (1...997).map { Int64($0 * 37 % 90_000 + 100) }
        let chart = try XCTUnwrap(TextReport.histogramChart(result(latencies: latencies).latency_us))
        let counts = chart.split(separator: "\n").map { line -> Int in
            let beforeParen = line.split(separator: "(").first!.split(separator: " ").last!
            return Int(beforeParen.replacingOccurrences(of: ",", with: ""))!
        }
        XCTAssertEqual(counts.reduce(0, +), 997)
        XCTAssertLessThanOrEqual(counts.count, 9)
    }

    func testWarningsNameADominantErrorAndASaturatedClient() {
        let saturated = TextReport.warnings(result(latencies: [1_000], errors: Array(repeating: .connect, count: 9) + [.timeout], cpu: 0.97))
        XCTAssertTrue(saturated.contains { $0.hasPrefix("CLIENT SATURATED: Barrage used 97 % of its 1 engine thread's CPU") }, "\(saturated)")
        XCTAssertTrue(saturated.contains { $0.contains("mostly connect (9 of 10): Failed to connect (curl 7)") }, "\(saturated)")
        let calm = TextReport.warnings(result(latencies: [1_000], errors: [.connect, .timeout], cpu: 0.3))
        XCTAssertTrue(calm.isEmpty, "\(calm)")
    }
}
