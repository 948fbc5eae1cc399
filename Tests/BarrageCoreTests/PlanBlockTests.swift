import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// The block printed before a run and by `validate`.
final class PlanBlockTests: XCTestCase {
    let targets = [RequestTarget(url: "http://a.test/")]

    func closed(_ c: Int) -> RunPlan {
        RunPlan(concurrency: c, requestLimit: nil, durationMicros: 10_000_000, targets: targets, timeoutMicros: 30_000_000,
                connectTimeoutMicros: 10_000_000, threads: 2, keepAlive: true)
    }

    func testOneHeaderThenLabelledLines() {
        var plan = closed(50)
        plan.name = "smoke"
        let lines = PlanBlock.lines(PlanRecord(plan), version: "9.9.9")
        XCTAssertEqual(lines, [
            "Barrage 9.9.9 · GET http://a.test/ · profile smoke",
            "  load         closed model, 50 workers for 10.0s",
            "  connections  50, one per worker",
            "  client       2 threads · timeout 30.0s · HTTP/1.1",
        ])
        XCTAssertEqual(lines.filter { $0.hasPrefix("Barrage") || $0.hasPrefix("Running") }.count, 1)
    }

    func testDescriptorsOnlyWhenTheyMatter() {
        let record = PlanRecord(closed(50))
        let roomy = PlanBlock.lines(record, version: "1", context: .init(descriptorsNeeded: 122, descriptorLimit: 1_048_576))
        XCTAssertFalse(roomy.contains { $0.contains("descriptors") })
        let tight = PlanBlock.lines(record, version: "1", context: .init(descriptorsNeeded: 700, descriptorLimit: 1_024))
        XCTAssertTrue(tight.contains("  descriptors  ~700 needed, limit 1,024"), "\(tight)")
        let hinted = PlanBlock.lines(record, version: "1", context: .init(hint: "hint: use --preconnect"))
        XCTAssertEqual(hinted.last, "  hint: use --preconnect")
    }

    func testAnOpenRunTellsThePoolFromTheExpectedConnections() {
        let schedule = OpenSchedule(startRate: 0, stages: [RateStage(durationMicros: 30_000_000, rate: 500)])
        let plan = RunPlan.open(schedule: schedule, maxInFlight: 1_000, maxLatenessMicros: 30_000_000, requestLimit: nil,
                                targets: targets, timeoutMicros: 30_000_000, connectTimeoutMicros: 10_000_000, threads: 2, keepAlive: true)
        let lines = PlanBlock.body(PlanRecord(plan))
        XCTAssertEqual(lines[0], "  load         open model, from 0/s: 500/s by 30.0s; 7,500 requests planned")
        XCTAssertEqual(lines[1], "  pool         at most 1,000 in flight (one connection each)")
        XCTAssertEqual(lines[2], "  connections  about rate × latency: 50 at 500/s and 100ms, up to 1,000")
        var small = plan
        if case .open(var o) = plan.load { o.maxInFlight = 20; small.load = .open(o) }
        XCTAssertTrue(PlanBlock.body(PlanRecord(small))[2].contains("20 at 500/s and 100ms (the pool caps it)"))
    }

    func testOverridesTargetsAndTLSAreStated() {
        var plan = closed(10)
        plan.workload.targets = [RequestTarget(name: "home", url: "https://a.test/", weight: 3),
                        RequestTarget(name: "order", url: "https://a.test/o", method: "POST")]
        plan.overrides = ["--concurrency 10", "--duration 5s"]
        plan.warmupMicros = 1_000_000
        let lines = PlanBlock.lines(PlanRecord(plan), version: "1")
        XCTAssertEqual(lines[0], "Barrage 1 · GET https://a.test/ and 1 more")
        XCTAssertTrue(lines.contains("  overrides    --concurrency 10, --duration 5s (from the command line, over the profile's load)"), "\(lines)")
        XCTAssertTrue(lines.contains("  target       home ×3: GET https://a.test/"), "\(lines)")
        XCTAssertTrue(lines.contains("  target       order ×1: POST https://a.test/o"), "\(lines)")
        XCTAssertTrue(lines.contains("  warm-up      1.00s, kept out of the results"), "\(lines)")
        XCTAssertTrue(lines.last!.hasSuffix("TLS certificates verified"), "\(lines)")
    }

    /// A WebSocket run's block says what happens: connections (not workers), each with its messages, over an upgrade.
    func testAWebSocketRunNamesItsConnectionsAndTheUpgrade() {
        var plan = RunPlan(concurrency: 4, requestLimit: 400, durationMicros: 10_000_000, targets: [RequestTarget(url: "ws://a.test/ws")],
                           timeoutMicros: 5_000_000, connectTimeoutMicros: 10_000_000, threads: 2, keepAlive: true)
        plan.workload.webSocket = WebSocketPlan(payload: Array(repeating: 46, count: 64), ratePerConnection: 20)
        XCTAssertEqual(PlanBlock.body(PlanRecord(plan)), [
            "  load         closed model, 4 connections for 10.0s or 400 messages",
            "  connections  4 open at once; each sends its messages until the run ends",
            "  messages     64 B text, one outstanding per connection, 20/s per connection; 400 in all",
            "  answer       echo within 5.00s",
            "  client       2 threads · timeout 5.00s · WebSocket (HTTP/1.1 upgrade)",
        ])
        plan.workload.webSocket?.messagesPerConnection = 3
        XCTAssertEqual(PlanBlock.body(PlanRecord(plan))[1],
                       "  connections  4 open at once; each sends 3 messages, then closes and a new one opens")
        var counted = plan
        counted.load = .closed(workers: 1, durationMicros: nil)
        XCTAssertEqual(PlanBlock.body(PlanRecord(counted))[0], "  load         closed model, 1 connection, 400 messages")

        let schedule = OpenSchedule(startRate: 0, stages: [RateStage(durationMicros: 30_000_000, rate: 50)])
        var open = RunPlan.open(schedule: schedule, maxInFlight: 200, maxLatenessMicros: 2_000_000, requestLimit: nil,
                                targets: [RequestTarget(url: "wss://a.test/ws")], timeoutMicros: 5_000_000,
                                connectTimeoutMicros: 10_000_000, threads: 1, keepAlive: true)
        open.workload.webSocket = WebSocketPlan(messagesPerConnection: 10)
        let lines = PlanBlock.body(PlanRecord(open))
        XCTAssertEqual(Array(lines.prefix(3)), [
            "  load         open model, connections opened from 0/s: 50/s by 30.0s",
            "  connections  at most 200 open at once; each sends 10 messages, then closes",
            "  lateness     a connection not opened 2.00s after its due time is dropped",
        ])
        XCTAssertEqual(lines.last, "  client       1 thread · timeout 5.00s · WebSocket (HTTP/1.1 upgrade) · TLS certificates verified")
        XCTAssertFalse(lines.contains { $0.contains("worker") || $0.contains("requests planned") || $0.contains("HTTP/1.1 ·") }, "\(lines)")
    }

    /// The connect-storm hint names --preconnect, which a WebSocket run refuses: none for WebSocket.
    func testAWebSocketRunGetsNoPreconnectHint() {
        var plan = closed(600)
        XCTAssertNotNil(plan.connectStormHint)
        plan.workload.webSocket = WebSocketPlan()
        XCTAssertNil(plan.connectStormHint)
    }
}
