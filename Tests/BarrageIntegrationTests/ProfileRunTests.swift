import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer

/// Every example profile in profiles/ run against the embedded server through the built binary, plus the
/// coordinated-omission case and closed-model ramps.
final class ProfileRunTests: XCTestCase {
    var tmp: URL!
    var server: TargetServer!

    static let profilesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("profiles")

    override func setUpWithError() throws {
        tmp = try makeTemporaryDirectory()
        server = try TargetServer.start(host: "127.0.0.1", port: 0)
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
        try? FileManager.default.removeItem(at: tmp)
    }

    private func runProfile(_ name: String, extra: [String] = []) throws -> (BarrageBinary.Outcome, RunResult) {
        let json = tmp.appendingPathComponent("\(name).json").path
        let profile = Self.profilesDir.appendingPathComponent(name).path
        let out = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=\(server.baseURL)", "-e", "STAGING_TOKEN=tok-9f8e7d6c5b",
                                         "--json", json] + extra, timeout: 90)
        let result = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        return (out, result)
    }

    private func assertAccounted(_ r: RunResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.requests.total, r.requests.ok + r.requests.failed + r.requests.dropped, file: file, line: line)
        let warm = r.warmup.map { $0.requests.ok + $0.requests.failed } ?? 0
        XCTAssertEqual(server.requestsReceived, r.requests.ok + r.requests.failed + warm, "server saw each sent request", file: file, line: line)
    }

    /// The example profiles gate on latency, send lateness and rate as well as on errors and drops. The timing gates may
    /// fail on a loaded machine without a bug, so the exit status is checked against the verdicts (0 when all pass, 99
    /// otherwise), and only the gates on fractions and counts (errors, drops) must pass.
    private func assertStatusMatchesThresholds(_ out: BarrageBinary.Outcome, _ r: RunResult,
                                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.thresholds.isEmpty, file: file, line: line)
        XCTAssertEqual(out.status, r.thresholds.allSatisfy(\.ok) ? 0 : 99, out.stderr + out.stdout, file: file, line: line)
        for t in r.thresholds where t.unit != "us" && t.unit != "req/s" {
            XCTAssertTrue(t.ok, "\(t.expr): \(t.actual.map { "\($0)" } ?? "not measured")", file: file, line: line)
        }
        for t in r.thresholds where !t.ok {
            print("ProfileRunTests: a timing threshold failed on this machine: \(t.expr) (\(t.actual.map { "\($0)" } ?? "-"))")
        }
    }

    func testEveryExampleProfileValidates() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.profilesDir.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 7)
        for name in names {
            let out = try BarrageBinary.run(["validate", Self.profilesDir.appendingPathComponent(name).path,
                                             "-e", "BASE_URL=http://127.0.0.1:1", "-e", "STAGING_TOKEN=x-token-x"], timeout: 20)
            XCTAssertEqual(out.status, 0, "\(name): \(out.stderr)")
        }
    }

    func testSmoke() throws {
        let (out, r) = try runProfile("smoke.yaml")
        assertStatusMatchesThresholds(out, r)
        XCTAssertGreaterThan(r.requests.ok, 100)
        XCTAssertEqual(r.thresholds.count, 2)
        assertAccounted(r)
    }

    func testConstantRateSendsExactlyThePlan() throws {
        let (out, r) = try runProfile("constant-rate.yaml")
        assertStatusMatchesThresholds(out, r)
        XCTAssertEqual(r.requests.total, 1_000)
        XCTAssertEqual(r.plan.expected_requests, 1_000)
        assertAccounted(r)
    }

    func testRampingRateWithTargetsChecksAndWarmup() throws {
        let (out, r) = try runProfile("ramping-rate.yaml")
        XCTAssertEqual(out.status, 0, out.stderr + out.stdout)
        XCTAssertEqual(Set(r.targets.keys), ["home", "search", "order"])
        XCTAssertEqual(r.stages.count, 3)
        let warm = try XCTUnwrap(r.warmup)
        XCTAssertGreaterThan(warm.requests.total, 0)
        // Poisson arrivals: the whole plan (warm-up included) is close to the integral of the rate (1,050).
        XCTAssertEqual(Double(r.requests.total + warm.requests.total), 1_050, accuracy: 1_050 * 0.1)
        // Weighted choice 8:2:1.
        let home = Double(r.targets["home"]!.requests.total), order = Double(r.targets["order"]!.requests.total)
        XCTAssertEqual(home / order, 8, accuracy: 3)
        XCTAssertEqual(r.errors, [:], "expect checks pass: /echo returns the body containing 'results'")
        // The 1 s warm-up measured nothing; the buckets' lengths add up to the measured duration.
        XCTAssertEqual(r.timeline.first?.length_s, 0)
        XCTAssertNil(r.timeline.first?.rps)
        XCTAssertEqual(r.timeline.reduce(0) { $0 + $1.length_s }, Double(r.duration_us) / 1_000_000, accuracy: 0.000_01)
        for e in r.timeline { XCTAssertEqual(e.rps == nil, e.length_s < 0.5, "second \(e.t_s)") }
        assertAccounted(r)
    }

    func testExpectCheckFailuresAreClassCheck() throws {
        let profile = tmp.appendingPathComponent("check.yaml")
        try """
        targets:
          - { url: "\(server.baseURL)/status/200", expect: { body_contains: "nope" } }
          - { url: "\(server.baseURL)/status/404", expect: { status: [404] } }
          - { url: "\(server.baseURL)/status/500", expect: { status: [200] } }
        load: { model: closed, requests: 30, stages: [ { duration: 10s, concurrency: 3 } ] }
        """.write(to: profile, atomically: true, encoding: .utf8)
        let json = tmp.appendingPathComponent("check.json").path
        let out = try BarrageBinary.run(["run", profile.path, "--json", json], timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(r.requests.total, 30)
        XCTAssertEqual(r.targets["target2"]?.requests.failed, 0, "404 listed as expected")
        XCTAssertEqual(r.targets["target1"]?.errors, ["check": r.targets["target1"]!.requests.total])
        XCTAssertEqual(r.targets["target3"]?.errors, ["check": r.targets["target3"]!.requests.total])
    }

    func testClosedRampFollowsTheStages() throws {
        let (out, r) = try runProfile("closed-ramp.yaml")
        assertStatusMatchesThresholds(out, r)
        XCTAssertEqual(r.stages.map(\.target_concurrency), [50, 50, 0])
        // The ramp (0 → 50 over 2 s) has at most 25 workers in its first second, so at most 25 requests in flight
        // (the peak is an upper estimate, summed over engine threads, each at most its own active workers); how many
        // it sent beside the hold depends on whether the client was CPU-bound, which a loaded machine decides. The
        // ramp down (1 s, 50 → 0) is half as long as the hold at 50 and never has more workers.
        XCTAssertLessThanOrEqual(r.timeline.first?.inFlightMaxOrClose ?? .max, 26, "ramping: \(r.timeline.map(\.in_flight_max))")
        XCTAssertLessThan(r.stages[2].requests.total, r.stages[1].requests.total)
        // At most 50 connections (workers that think share idle connections of their shard).
        XCTAssertLessThanOrEqual(r.connections.new, 50)
        // The stages end at 5 s, where the concurrency reaches 0: nothing is sent later, and what is in flight then ends
        // within its 5 s timeout. A run that kept its workers past the stages would not end.
        XCTAssertLessThan(r.duration_us, 5_000_000 + 5_000_000)
        XCTAssertEqual(r.thresholds.count, 2)
        XCTAssertNotNil(r.thresholds[1].actual, "target:slow is measured on its own section")
        assertAccounted(r)
    }

    func testSpike() throws {
        let (out, r) = try runProfile("spike.yaml")
        assertStatusMatchesThresholds(out, r)
        XCTAssertEqual(r.requests.total, 925)
        XCTAssertEqual(r.stages.count, 5)
        assertAccounted(r)
    }

    func testStagingTokenIsRedactedEverywhere() throws {
        let (out, r) = try runProfile("staging-api.yaml", extra: ["--summary-md", tmp.appendingPathComponent("s.md").path])
        XCTAssertEqual(out.status, 0, out.stderr + out.stdout)
        XCTAssertEqual(r.requests.total, 200)
        let json = try String(contentsOf: tmp.appendingPathComponent("staging-api.yaml.json"), encoding: .utf8)
        for text in [json, out.stdout, out.stderr, try String(contentsOf: tmp.appendingPathComponent("s.md"), encoding: .utf8)] {
            XCTAssertFalse(text.contains("tok-9f8e7d6c5b"), "the token leaked")
        }
        XCTAssertTrue(json.contains("[REDACTED]"))
        XCTAssertTrue(json.contains(server.baseURL), "BASE_URL stays visible")
    }

    func testTenDownloadsProfile() throws {
        let (out, r) = try runProfile("downloads-10x10MB.yaml")
        XCTAssertEqual(out.status, 0, out.stderr + out.stdout)
        XCTAssertEqual(r.requests.ok, 10)
        XCTAssertEqual(r.throughput.body_bytes_in, 104_857_600)
        // Each download is paced to ≥ 1.19 s by the server and the ten workers start together, so they overlap: more
        // than 4 in flight at once (a bound on the run's duration, which was asserted here, counted the machine's speed).
        let peak = r.timeline.map(\.inFlightMaxOrClose).max() ?? 0
        XCTAssertGreaterThan(peak, 4, "the ten downloads ran at once: \(r.timeline.map(\.in_flight_max))")
        XCTAssertEqual(r.connections.new, 10, "each on its own connection (rounds would reuse idle ones)")
    }

    func testCoordinatedOmissionIsCorrected() throws {
        // 100/s through a pool of 1 for 5 s; the server stalls once for 1 s at t = 2 s. Requests due during the stall
        // wait for the pool: their latency from the due time is up to 1 s, while service time stays small.
        let json = tmp.appendingPathComponent("co.json").path
        let run = try BarrageBinary.start(["run", server.baseURL + "/stall?at=2s&for=1s", "--rate", "100", "-d", "5s",
                                           "--max-in-flight", "1", "--json", json])
        // The stall's clock starts with the run's first request (restarted until that arrives), not before the process
        // starts: a slow start would otherwise move the window towards (or before) the run's beginning.
        let deadline = Date().addingTimeInterval(30)
        while server.requestsReceived == 0 && run.process.isRunning && Date() < deadline {
            server.resetClock()
            usleep(1_000)
        }
        let out = run.wait(timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(r.requests.total, 500)
        XCTAssertEqual(r.requests.dropped, 0)
        // The requests due in the stall's first 50 ms wait ≥ 950 ms for its end: on any machine (a slower one only adds).
        XCTAssertGreaterThan(r.latency_us.p99, 700_000, "corrected p99 near 1 s")
        // Service time leaves the wait for the pool out: its p99 stays at a few ms (tens on a loaded machine) while the
        // corrected p99 is ~1 s; service time that counted the wait would equal it.
        XCTAssertLessThan(r.service_time_us.p99 * 4, r.latency_us.p99, "service time p99 stays at a few ms")
        XCTAssertGreaterThan(r.service_time_us.max, 500_000, "the one stalled request")
    }

    func testProfileErrorsNameFileLineAndField() throws {
        let bad = tmp.appendingPathComponent("bad.yaml")
        try "targets:\n  - { url: \"http://127.0.0.1:1/\" }\nload:\n  model: open\n  stages:\n    - { duration: 5s, rate: fast }\n"
            .write(to: bad, atomically: true, encoding: .utf8)
        let out = try BarrageBinary.run(["run", bad.path], timeout: 20)
        XCTAssertEqual(out.status, 2)
        XCTAssertTrue(out.stderr.contains("bad.yaml:6: load.stages[0].rate"), out.stderr)
        let shape = try BarrageBinary.run(["run", Self.profilesDir.appendingPathComponent("smoke.yaml").path, "--max-in-flight", "10",
                                           "-e", "BASE_URL=http://127.0.0.1:1"], timeout: 20)
        XCTAssertEqual(shape.status, 2)
        XCTAssertTrue(shape.stderr.contains("--max-in-flight"), shape.stderr)
        let warm = try BarrageBinary.run(["run", Self.profilesDir.appendingPathComponent("ramping-rate.yaml").path, "-d", "500ms",
                                          "-e", "BASE_URL=http://127.0.0.1:1"], timeout: 20)
        XCTAssertEqual(warm.status, 2)
        XCTAssertEqual(warm.stderr, "barrage: error: --duration 500ms: must be longer than the profile's warm-up (1.00s)\n")
        XCTAssertEqual(server.requestsReceived, 0)
    }

    func testCommandLineOverridesAProfilesLoad() throws {
        let (out, r) = try runProfile("closed-ramp.yaml", extra: ["-c", "2", "-n", "30"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("  overrides    --concurrency 2, --requests 30"), out.stdout)
        XCTAssertEqual(r.plan.overrides, ["--concurrency 2", "--requests 30"])
        XCTAssertEqual(r.plan.concurrency, 2)
        XCTAssertNil(r.plan.start_concurrency, "a constant load, not the profile's stages")
        XCTAssertEqual(r.plan.requests, 30)
        XCTAssertEqual(r.requests.total, 30)
        XCTAssertLessThanOrEqual(r.connections.new, 2)
        XCTAssertEqual(r.plan.targets.map(\.name), ["home", "slow"], "the profile's targets stay")
        assertAccounted(r)
        let unset = try BarrageBinary.run(["run", Self.profilesDir.appendingPathComponent("smoke.yaml").path], timeout: 20)
        XCTAssertEqual(unset.status, 2)
        XCTAssertTrue(unset.stderr.contains("BASE_URL"), unset.stderr)
    }
}

/// Closed ramps from the command line, each second's target, and the client's own CPU use.
final class RampConcurrencyCLITests: XCTestCase {
    func testRampConcurrencyFollowsItsStages() throws {
        let server = try TargetServer.start(host: "127.0.0.1", port: 0)
        defer { try? server.shutdown() }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("r.json").path
        let out = try BarrageBinary.run(["run", server.baseURL + "/delay/10", "--ramp-concurrency", "0->8:1s,8:1s", "--json", json], timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(r.stages.map(\.target_concurrency), [8, 8])
        XCTAssertEqual(r.plan.start_concurrency, 0)
        XCTAssertEqual(r.timeline.first?.target, 0, "concurrency at t = 0")
        XCTAssertEqual(r.timeline.dropFirst().first?.target, 8, "concurrency at t = 1 s")
        XCTAssertLessThanOrEqual(r.connections.new, 8)
        let client = try XCTUnwrap(r.client)
        XCTAssertGreaterThan(client.cpu_user_us + client.cpu_system_us, 0)
        XCTAssertEqual(server.requestsReceived, r.requests.total)
        let bad = try BarrageBinary.run(["run", server.baseURL + "/", "--ramp-concurrency", "0->8.5:1s"], timeout: 20)
        XCTAssertEqual(bad.status, 2)
        let both = try BarrageBinary.run(["run", server.baseURL + "/", "--ramp-concurrency", "0->8:1s", "--rate", "5"], timeout: 20)
        XCTAssertEqual(both.status, 2)
    }
}
