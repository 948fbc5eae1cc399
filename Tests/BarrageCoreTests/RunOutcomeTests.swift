import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// What a run with no ok response says about itself: one line built from its counts, classes and status codes.
final class RunOutcomeTests: XCTestCase {
    private let local = RunOutcome.Destination(connect: "127.0.0.1:1", lookup: "nothing.invalid")

    private func requests(ok: Int = 0, failed: Int = 0, dropped: Int = 0) -> RunResult.Requests {
        RunResult.Requests(total: ok + failed + dropped, ok: ok, failed: failed, dropped: dropped)
    }

    func testOneCauseSaysEveryRequest() {
        let cases: [(errors: [String: Int], statuses: [String: Int], dropped: Int, expected: String)] = [
            (["connect": 6], [:], 0, "every request failed to connect to 127.0.0.1:1"),
            (["dns": 2], [:], 0, "every request failed to resolve nothing.invalid"),
            (["timeout": 4], [:], 0, "every request timed out"),
            (["tls": 2], [:], 0, "every request failed the TLS handshake with 127.0.0.1:1"),
            (["read": 3], [:], 0, "every connection was reset or closed before a complete response"),
            (["protocol": 3], [:], 0, "every response was malformed or truncated"),
            (["write": 1], [:], 0, "every request failed while being sent"),
            (["status": 20], ["503": 20], 0, "every response was an error status (503: 20)"),
            (["status": 1_500], ["503": 1_200, "502": 300], 0, "every response was an error status (503: 1,200, 502: 300)"),
            (["status": 10], ["500": 4, "502": 3, "503": 2, "504": 1], 0, "every response was an error status (500: 4, 502: 3, 503: 2, 1 more code)"),
            (["status": 4], ["200": 4], 0, "every response had a status the plan does not accept (200: 4)"),
            (["check": 5], ["200": 5], 0, "every response failed its expect check"),
            (["other": 2], [:], 0, "every request failed (other)"),
            (["brand-new-class": 2], [:], 0, "every request failed (brand-new-class)"),
            ([:], [:], 9, "every request was dropped: none could be sent within the allowed lateness"),
        ]
        for c in cases {
            let failed = c.errors.values.reduce(0, +)
            XCTAssertEqual(RunOutcome.explain(requests: requests(failed: failed, dropped: c.dropped), statusCodes: c.statuses,
                                              errors: c.errors, destination: local), c.expected)
        }
    }

    func testAMixtureSaysSoMostFrequentFirst() {
        let cases: [(errors: [String: Int], statuses: [String: Int], dropped: Int, expected: String)] = [
            (["connect": 7, "status": 5], ["503": 5], 0, "a mix: 7 failed to connect to 127.0.0.1:1, 5 got an error status (503: 5)"),
            (["timeout": 2, "read": 2], [:], 3, "a mix: 3 dropped (never sent), 2 lost the connection, 2 timed out"),
            (["status": 3, "check": 3], ["200": 3, "500": 3], 0, "a mix: 3 failed the expect check, 3 got an error status (500: 3)"),
            (["dns": 1_234_567, "tls": 1], [:], 0, "a mix: 1,234,567 failed to resolve nothing.invalid, 1 failed the TLS handshake"),
        ]
        for c in cases {
            let failed = c.errors.values.reduce(0, +)
            XCTAssertEqual(RunOutcome.explain(requests: requests(failed: failed, dropped: c.dropped), statusCodes: c.statuses,
                                              errors: c.errors, destination: local), c.expected)
        }
        XCTAssertEqual(RunOutcome.explain(requests: requests(), statusCodes: [:], errors: [:], destination: local), "no request was sent")
    }

    func testTheLineComesOnlyWithoutAnOkResponse() {
        let plan = RunPlan(concurrency: 1, requestLimit: 3, durationMicros: nil, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        var refused = Recorder()
        for _ in 0..<3 { refused.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 5, status: 0, error: .connect, complete: false)) }
        let dead = RunResult(version: "t", plan: plan, recorder: refused, timeline: [], startedEpochMillis: 0, durationMicros: 10, interrupted: false)
        XCTAssertTrue(RunOutcome.measuredNothing(dead.requests))
        XCTAssertEqual(RunOutcome.line(dead), "no ok response: every request failed to connect to 127.0.0.1:1")

        var oneOk = refused
        oneOk.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 5, status: 200, error: nil, complete: true))
        let alive = RunResult(version: "t", plan: plan, recorder: oneOk, timeline: [], startedEpochMillis: 0, durationMicros: 10, interrupted: false)
        XCTAssertFalse(RunOutcome.measuredNothing(alive.requests))
        XCTAssertNil(RunOutcome.line(alive), "one ok response is a measurement")
    }

    func testTheDestinationIsWhereTheConnectionWent() {
        func target(_ url: String) -> PlanRecord.Target {
            PlanRecord.Target(name: url, url: url, method: "GET", headers: [], body_bytes: 0, weight: 1)
        }
        let cases: [(urls: [String], transport: [String: String]?, connect: String, lookup: String)] = [
            (["http://127.0.0.1:1/"], nil, "127.0.0.1:1", "127.0.0.1"),
            (["http://api.example.invalid/x"], nil, "api.example.invalid:80", "api.example.invalid"),
            (["https://api.example.invalid/x"], nil, "api.example.invalid:443", "api.example.invalid"),
            (["http://[::1]:8080/"], nil, "[::1]:8080", "[::1]"),
            (["http://a:1/", "http://a:1/other", "http://b:2/"], nil, "a:1 or b:2", "a or b"),
            (["http://a/", "http://b/", "http://c/"], nil, "a:80, b:80 or c:80", "a, b or c"),
            (["http://a/", "http://b/", "http://c/", "http://d/"], nil, "any of 4 hosts", "any of 4 names"),
            (["http://a/"], ["proxy": "http://10.0.0.7:3128"], "the proxy 10.0.0.7:3128", "the proxy 10.0.0.7"),
            (["http://a/"], ["unix_socket": "/run/app.sock"], "the Unix socket /run/app.sock", "the Unix socket /run/app.sock"),
        ]
        for c in cases {
            let d = RunOutcome.Destination(targets: c.urls.map(target), transport: c.transport)
            XCTAssertEqual(d.connect, c.connect, "\(c.urls)")
            XCTAssertEqual(d.lookup, c.lookup, "\(c.urls)")
        }
    }

    func testTheMarkdownSummarySaysItToo() {
        let plan = RunPlan(concurrency: 1, requestLimit: 4, durationMicros: nil, targets: [RequestTarget(url: "http://127.0.0.1:8080/status/503")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        var rec = Recorder()
        for _ in 0..<4 { rec.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 50, status: 503, error: .status, complete: true)) }
        let r = RunResult(version: "t", plan: plan, recorder: rec, timeline: [], startedEpochMillis: 0, durationMicros: 1_000, interrupted: false)
        let md = MarkdownSummary.render(result: r, thresholds: [])
        XCTAssertTrue(md.hasPrefix("## Barrage: GET `http://127.0.0.1:8080/status/503` — ❌ no ok response: every response was an error status (503: 4)\n"), md)
        XCTAssertTrue(md.contains("| Attempts (no ok response) | 4000.0/s |"), md)
        XCTAssertFalse(md.contains("| Throughput |"), md)
        let gated = MarkdownSummary.render(result: r, thresholds: [
            ThresholdResult(expr: "error_rate < 1%", metric: "error_rate", scope: .run, op: .lt, limit: 0.01, actual: 1, unit: "", ok: false)])
        XCTAssertTrue(gated.contains("❌ 1 of 1 threshold failed"), "a failed gate comes first (exit 99): \(gated)")
    }

    func testTheAbortingThresholdIsReadFromAbortedBy() {
        XCTAssertEqual(RunOutcome.abortingThreshold("threshold 'p99 < 1s' failed (measured 2.1s) with abort_on_fail"), "p99 < 1s")
        XCTAssertEqual(RunOutcome.abortingThreshold("threshold 'target:api p99<10ms' failed (x) with abort_on_fail"), "target:api p99<10ms")
        XCTAssertNil(RunOutcome.abortingThreshold("something else"))
        XCTAssertNil(RunOutcome.abortingThreshold("threshold '"))
    }
}
