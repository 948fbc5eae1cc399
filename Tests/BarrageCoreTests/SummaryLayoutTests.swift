import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// The text summary as a user reads it: 80 columns, numbers whole, what happened first, how the run stopped.
final class SummaryLayoutTests: XCTestCase {
    private func plan(targets: [RequestTarget], name: String? = nil) -> RunPlan {
        let schedule = OpenSchedule(startRate: 1_000, stages: [RateStage(durationMicros: 600_000_000, rate: 30_000),
                                                              RateStage(durationMicros: 1_800_000_000, rate: 30_000),
                                                              RateStage(durationMicros: 600_000_000, rate: 0)], arrival: .poisson(seed: 7))
        var p = RunPlan.open(schedule: schedule, maxInFlight: 20_000, maxLatenessMicros: 5_000_000, requestLimit: nil,
                             targets: targets, timeoutMicros: 30_000_000, connectTimeoutMicros: 10_000_000, threads: 16, keepAlive: true)
        p.name = name
        return p
    }

    /// An hour at 30,000 req/s over four targets with long names and URLs: big counts, many statuses, long error
    /// messages, every section of the summary.
    private func largeResult() -> RunResult {
        let targets = [
            RequestTarget(name: "checkout-with-a-rather-long-name", url: "https://checkout.staging.internal.example.com:8443/api/v2/checkout/session?include=items,totals,shipping&currency=EUR"),
            RequestTarget(name: "search", url: "https://search.staging.internal.example.com/api/v2/search?q=shoes"),
            RequestTarget(name: "catalogue", url: "https://catalogue.staging.internal.example.com/api/v2/items"),
            RequestTarget(name: "login", url: "https://auth.staging.internal.example.com/oauth2/token", method: "POST"),
        ]
        let p = plan(targets: targets, name: "black-friday-full-site-soak-test-with-every-endpoint")
        var rec = Recorder()
        for i in 0..<5_000 {
            let v = Int64(200 + (i * 7_919) % 400_000 + (i % 97 == 0 ? 3_000_000 : 0))
            rec.record(RequestOutcome(dueMicros: 0, sentMicros: v / 10, doneMicros: v, status: 200, error: nil, complete: true,
                                      dnsMicros: 30, connectMicros: 900, tlsMicros: 4_000, ttfbMicros: v / 2, connection: .new))
        }
        var r = RunResult(version: "0.1.0", plan: p, recorder: rec, timeline: [], startedEpochMillis: 1_764_094_369_123,
                          durationMicros: 3_600_000_000, interrupted: false)
        r.requests = RunResult.Requests(total: 107_999_812, ok: 104_877_120, failed: 2_998_571, dropped: 124_121)
        r.status_codes = ["200": 99_123_456, "201": 4_512_301, "204": 1_241_363, "301": 12, "304": 1_234_567, "400": 21_914,
                          "401": 12_345, "403": 777, "404": 123_456, "409": 4_321, "429": 987_654, "500": 1_212_121,
                          "502": 121_212, "503": 534_872, "504": 54_321]
        r.errors = ["status": 2_873_000, "timeout": 98_765, "connect": 12_345, "read": 9_876, "tls": 3_210, "protocol": 1_375]
        r.error_messages = [
            "status": "HTTP 503 (curl 0)",
            "timeout": "Operation timed out after 30000 milliseconds with 123456 out of 987654 bytes received while reading the body of a very large response from the upstream gateway (curl 28)",
            "connect": "Failed to connect to checkout.staging.internal.example.com port 8443 after 10001 ms: Connection timed out (curl 7)",
            "read": "Recv failure: Connection reset by peer (curl 56)",
        ]
        r.throughput = RunResult.Throughput(rps: 29_965.4, ok_rps: 29_132.5, bytes_in: 987_654_321_012, body_bytes_in: 900_000_000_000,
                                            bytes_out: 123_456_789_012, bytes_in_per_s: 274_348_422.5)
        r.connections = RunResult.Connections(new: 1_234_567, reused: 106_765_245)
        r.protocols = ["HTTP/1.1": 54_000_000, "HTTP/2": 53_999_812]
        r.clamped_samples = 12_345
        r.client = RunResult.ClientUsage(cpu_user_us: 1, cpu_system_us: 1, threads: 16, cpu_utilization: 0.95)
        var section = RunResult.Section(rec, durationMicros: 3_600_000_000)
        section.requests = RunResult.Requests(total: 27_000_000, ok: 26_219_280, failed: 749_643, dropped: 31_077)
        section.rps = 7_491.3
        section.errors = ["status": 718_250, "timeout": 24_691, "connect": 3_086, "read": 2_469, "tls": 802, "protocol": 345]
        for t in targets { r.targets[t.name] = section }
        r.stages = (1...3).map { i in
            RunResult.StageResult(stage: i, start_us: 0, duration_us: i == 2 ? 1_800_000_000 : 600_000_000, target_rate: 30_000,
                                  target_concurrency: nil, target_rps: 15_500.5, achieved_rps: 15_432.1,
                                  requests: RunResult.Requests(total: 36_000_000, ok: 34_959_040, failed: 999_523, dropped: 41_437),
                                  errors: ["status": 957_666], latency_us: section.latency_us, service_time_us: section.service_time_us)
        }
        r.warmup = section
        r.connect_phase = RunResult.ConnectPhase(rec, durationMicros: 12_345_678, attemptsInFlight: 256)
        r.aborted_by = "threshold 'target:checkout-with-a-rather-long-name p99.99 < 250ms' failed (measured 3.41s) with abort_on_fail"
        r.interrupted = true
        return r
    }

    func testEveryLineOfALargeResultFitsEightyColumns() {
        let text = TextReport.render(largeResult())
        let lines = text.components(separatedBy: "\n")
        for line in lines {
            XCTAssertLessThanOrEqual(line.count, 80, "too wide (\(line.count)): \(line)")
        }
        // Numbers are whole: every count of the result appears grouped and unbroken.
        for n in ["107,999,812 total", "104,877,120 ok", "2,998,571 failed", "124,121 dropped", "29,965.4 req/s",
                  "200: 99,123,456", "429: 987,654", "status: 2,873,000", "1,234,567 new", "HTTP/2 53,999,812",
                  "12,345 samples", "27,000,000", "36,000,000"] {
            XCTAssertTrue(text.contains(n), "missing \(n):\n\(text)")
        }
        // Prose is shortened at a word with an ellipsis; its curl code stays.
        XCTAssertTrue(text.contains("… (curl 28)"), text)
        XCTAssertTrue(text.contains("checkout.staging.internal.example.com:8443/api/v2/checkout"), "the URL is wrapped, not cut")
    }

    func testTheFirstLineSaysWhatHappenedWhenNothingWasOk() {
        let p = RunPlan(concurrency: 2, requestLimit: 6, durationMicros: nil, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                        timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 2, keepAlive: true)
        var rec = Recorder()
        for _ in 0..<6 { rec.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 90, status: 0, error: .connect, complete: false)) }
        var r = RunResult(version: "0.1.0", planRecord: PlanRecord(p), recorder: rec, timeline: [], startedEpochMillis: 0, durationMicros: 663, interrupted: false)
        r.error_messages = ["connect": "Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server (curl 7)"]
        let lines = TextReport.render(r).components(separatedBy: "\n")
        XCTAssertEqual(lines[0], "no ok response: every request failed to connect to 127.0.0.1:1")
        XCTAssertTrue(lines[1].hasPrefix("Barrage 0.1.0 · GET http://127.0.0.1:1/"), lines[1])
        let text = lines.joined(separator: "\n")
        XCTAssertFalse(text.contains("req/s"), "an attempt rate is not a throughput:\n\(text)")
        XCTAssertFalse(text.contains("ok/s"), text)
        XCTAssertTrue(text.contains("attempts/s (not a throughput: no request was ok)"), text)
        XCTAssertTrue(text.contains("Latency     no complete responses"), text)
        XCTAssertFalse(text.contains("mostly connect"), "the first line already says it")
        XCTAssertTrue(text.contains("Couldn't connect to server (curl 7)"), "the message is still shown")
        // The JSON keeps its meaning: attempts per second.
        XCTAssertEqual(r.throughput.rps, 6 / 0.000663, accuracy: 1)
    }

    func testErrorResponsesAreNotAThroughputEither() {
        let p = RunPlan(concurrency: 2, requestLimit: 20, durationMicros: nil, targets: [RequestTarget(url: "http://127.0.0.1:8080/status/503")],
                        timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 2, keepAlive: true)
        var rec = Recorder()
        for i in 0..<20 {
            rec.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 300 + Int64(i) * 50, status: 503, error: .status, complete: true))
        }
        let r = RunResult(version: "0.1.0", plan: p, recorder: rec, timeline: [], startedEpochMillis: 0, durationMicros: 20_000, interrupted: false)
        let text = TextReport.render(r)
        XCTAssertTrue(text.hasPrefix("no ok response: every response was an error status (503: 20)\n"), text)
        XCTAssertFalse(text.contains("req/s"), text)
        XCTAssertTrue(text.contains("1,000.0 attempts/s"), text)
        XCTAssertTrue(text.contains("latencies of error responses"), text)
    }

    func testTheHeaderNamesTheProfileAndHowTheRunStopped() {
        var r = largeResult()
        var header = TextReport.render(r).components(separatedBy: "\n").prefix(3).joined(separator: "\n")
        XCTAssertTrue(header.contains("profile black-friday-full-site-soak-test-with-every-endpoint"), header)
        XCTAssertTrue(header.contains("aborted by threshold 'target:checkout-with-a-rather-long-name p99.99 < 250ms'"), header)
        XCTAssertFalse(header.contains("INTERRUPTED"), "a threshold stop is not a signal")

        r.aborted_by = nil
        header = TextReport.render(r).components(separatedBy: "\n").prefix(3).joined(separator: "\n")
        XCTAssertTrue(header.contains("INTERRUPTED"), header)

        r.interrupted = false
        r.plan.name = nil
        header = TextReport.render(r).components(separatedBy: "\n").prefix(3).joined(separator: "\n")
        XCTAssertFalse(header.contains("INTERRUPTED") || header.contains("aborted") || header.contains("profile"), header)
    }

    func testTheLatencyTableIsTwoAlignedBlocks() {
        let p = RunPlan(concurrency: 1, requestLimit: 3, durationMicros: nil, targets: [RequestTarget(url: "http://h/")],
                        timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        var rec = Recorder()
        for v: Int64 in [1_000, 2_000, 30_000_000] {
            rec.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: v, status: 200, error: nil, complete: true))
        }
        let r = RunResult(version: "t", plan: p, recorder: rec, timeline: [], startedEpochMillis: 0, durationMicros: 1_000_000, interrupted: false)
        let table = TextReport.latencyTable(rows: [("Latency", r.latency_us)])
        XCTAssertEqual(table.count, 4)
        XCTAssertTrue(table[0].hasSuffix("min    mean   stdev     max"), table[0])
        XCTAssertTrue(table[2].hasSuffix("p50     p75     p90     p95     p99   p99.9  p99.99"), table[2])
        XCTAssertTrue(table[3].hasPrefix("  Latency     2.00ms"), table[3])
        XCTAssertEqual(Set(table.map(\.count)).count <= 2, true)
        XCTAssertTrue(table.allSatisfy { $0.count <= 80 })
    }

    func testLayoutBreaksBetweenPartsAndNeverInsideANumber() {
        let parts = (1...12).map { "\(TextReport.grouped($0 * 1_234_567)) things" }
        let lines = TextLayout.labelled("Status", parts)
        XCTAssertTrue(lines.allSatisfy { $0.count <= 80 }, "\(lines)")
        XCTAssertTrue(lines[0].hasPrefix("  Status      1,234,567 things · "), lines[0])
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.hasPrefix(String(repeating: " ", count: 14)) })
        let rejoined = lines.map { String($0.dropFirst(14)) }.joined(separator: " · ")
        XCTAssertEqual(rejoined, parts.joined(separator: " · "), "nothing lost or split")

        // Prose wraps at spaces; a single word longer than the line (a URL) is the only thing split.
        let url = "http://" + String(repeating: "x", count: 100) + "/"
        let wrapped = TextLayout.pack(["GET " + url], first: "", indent: "  ")
        XCTAssertTrue(wrapped.allSatisfy { $0.count <= 80 }, "\(wrapped)")
        XCTAssertEqual(wrapped.map { $0.trimmingCharacters(in: .whitespaces) }.joined(), "GET " + url)

        let cut = TextLayout.shortened("one two three four five six seven eight nine ten 12345 (curl 7)", width: 20, lines: 2)
        XCTAssertEqual(cut, ["one two three four", "five six … (curl 7)"])
        XCTAssertEqual(TextLayout.shortened("short (curl 7)", width: 20, lines: 1), ["short (curl 7)"])
    }
}

/// The terminal latency histogram: rows log-spaced between the fastest and the slowest response.
final class TerminalHistogramTests: XCTestCase {
    func testEdgesAreLogSpacedBetweenMinAndMax() {
        let cases: [(min: Int64, max: Int64, rows: Int, edges: [Int64])] = [
            (1_000, 256_000, 8, [2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000]),
            (100, 10_000, 2, [1_000, 10_000]),
            (5_000, 10_000, 4, [5_946, 7_071, 8_409, 10_000]),
            (0, 1_000, 3, [10, 100, 1_000]),                 // a 0 µs minimum counts as 1 µs
            (1_000, 1_003, 8, [1_003]),                      // bounds that would print alike are merged
            (7, 7, 8, []),                                   // one value: no chart
            (9, 3, 8, []),
        ]
        for c in cases {
            XCTAssertEqual(TerminalHistogram.edges(min: c.min, max: c.max, rows: c.rows), c.edges, "\(c.min)…\(c.max)")
        }
    }

    func testEverySampleLandsInOneRowAndEmptyEndsAreDropped() {
        typealias Sample = (micros: Int64, count: Int)
        let cases: [(samples: [Sample], min: Int64, max: Int64, rows: [TerminalHistogram.Row])] = [
            // 5 ms … 10 ms: four rows over the range, not one "≤ 10 ms" row holding everything.
            ([(5_000, 10), (6_000, 30), (7_500, 20), (10_000, 1)], 5_000, 10_000,
             [.init(upToMicros: 5_946, count: 10), .init(upToMicros: 7_071, count: 30), .init(upToMicros: 8_409, count: 20),
              .init(upToMicros: 10_000, count: 1)]),
            // A bucket's highest-equivalent value above the maximum still lands in the last row; below the minimum, the first.
            ([(990, 2), (10_040, 3)], 1_000, 10_000,
             [.init(upToMicros: 1_778, count: 2), .init(upToMicros: 3_162, count: 0), .init(upToMicros: 5_623, count: 0),
              .init(upToMicros: 10_000, count: 3)]),
        ]
        for c in cases {
            let rows = TerminalHistogram.rows(c.samples, min: c.min, max: c.max, rows: 4)
            XCTAssertEqual(rows, c.rows)
            XCTAssertEqual(rows.reduce(0) { $0 + $1.count }, c.samples.reduce(0) { $0 + $1.count })
        }
        // Empty rows at either end are dropped (values outside the stated range would leave them).
        let trimmed = TerminalHistogram.rows([(6_000, 4), (7_000, 1)], min: 5_000, max: 10_000, rows: 4)
        XCTAssertEqual(trimmed, [.init(upToMicros: 7_071, count: 5)])
    }

    func testPercentsAreWhole() {
        let cases: [(count: Int, total: Int, text: String)] = [
            (321, 1_000, "32%"), (1, 1_000, "<1%"), (0, 1_000, "0%"), (997, 1_000, ">99%"), (1_000, 1_000, "100%"),
            (5, 1_000, "1%"), (0, 0, "0%"),
        ]
        for c in cases { XCTAssertEqual(TerminalHistogram.percent(c.count, of: c.total), c.text, "\(c.count)/\(c.total)") }
    }

    func testRowsFitEightyColumnsWithTheirCountsWhole() {
        let rows = [TerminalHistogram.Row(upToMicros: 1_234, count: 21_914), .init(upToMicros: 12_345, count: 1_234_567_890),
                    .init(upToMicros: 61_000_000, count: 3)]
        let lines = TerminalHistogram.render(rows)
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines.allSatisfy { $0.count <= 80 }, "\(lines)")
        XCTAssertTrue(lines[0].hasSuffix("21,914 (<1%)"), lines[0])
        XCTAssertTrue(lines[1].hasSuffix("1,234,567,890 (>99%)"), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("    ≤ 1m01s "), lines[2])
        XCTAssertFalse(lines.joined().contains("…"))
        // The largest row has the full bar; a non-empty row at least a sliver.
        XCTAssertEqual(lines[1].filter { $0 == "█" }.count, lines.map { $0.filter { $0 == "█" }.count }.max())
        XCTAssertTrue(lines[2].contains("▏"))
    }

    func testASummaryOfARealDistribution() throws {
        var rec = Recorder()
        for i in 0..<1_000 {
            rec.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 5_000 + Int64(i % 50) * 100, status: 200, error: nil, complete: true))
        }
        rec.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 10_000, status: 200, error: nil, complete: true))
        let summary = HistogramSummary(rec.latency)
        let rows = TerminalHistogram.rows(summary)
        XCTAssertEqual(rows.reduce(0) { $0 + $1.count }, 1_001)
        XCTAssertEqual(rows.last?.upToMicros, summary.max)
        XCTAssertGreaterThanOrEqual(rows.count, 4, "the rows spread over 5…10 ms")
        XCTAssertLessThan(rows.map(\.count).max() ?? 0, 1_000, "no single row holds (nearly) everything")
        XCTAssertNotEqual(rows.first?.count, 0)
        XCTAssertNotEqual(rows.last?.count, 0)
    }
}
