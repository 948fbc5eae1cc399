import XCTest
import BarrageCore
import BarrageTargetServer
import BarrageTestSupport

/// `barrage run` on a profile with scenarios, through the built binary against the embedded server's demo API:
/// the journey runs, its numbers match the server's own counts, and bad combinations are one line and exit 2.
final class ScenarioRunTests: XCTestCase {
    static let profilesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("profiles")
    var server: TargetServer!

    override func setUpWithError() throws {
        server = try TargetServer.start(host: "127.0.0.1", port: 0)
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
    }

    private var journey: String { Self.profilesDir.appendingPathComponent("user-journey.yaml").path }

    private func apiCounts() throws -> [String: Int] { try demoAPICounts(port: server.port) }

    func testTheUserJourneyRunsAndEveryIterationAndStepIsCounted() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("r.json").path
        let raw = dir.appendingPathComponent("r.ndjson").path
        let out = try BarrageBinary.run(["run", journey, "-e", "BASE_URL=" + server.baseURL, "--json", json, "--raw", raw,
                                         "--quiet"], timeout: 60)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        let it = try XCTUnwrap(r.iterations)
        XCTAssertEqual(it.scenario, "checkout")
        XCTAssertEqual(it.total, 40)
        XCTAssertEqual(it.completed, 40, "\(r.error_messages)")
        XCTAssertEqual(r.plan.scenario, "checkout")
        XCTAssertEqual(r.plan.iterations, 40)
        XCTAssertEqual(r.requests.total, 240)
        XCTAssertEqual(r.plan.targets.map(\.name), ["login", "items", "item", "session", "cart", "pay"])
        let api = try apiCounts()
        for (step, outcome) in [("login", "login"), ("items", "items"), ("item", "item"), ("session", "session"),
                                ("cart", "cart"), ("pay", "pay")] {
            XCTAssertEqual(r.targets[step]?.requests.ok, 40, step)
            XCTAssertEqual(api[outcome], 40, outcome)
        }
        XCTAssertEqual(api["unauthorized"], 0)
        XCTAssertEqual(server.requestsReceived, 240 + 1)
        XCTAssertEqual(r.groups?["buy"]?.ok, 40, "cart and pay as one group, once per iteration")
        // Each second carries the iterations that finished in it: they add up to the run's.
        XCTAssertEqual(r.timeline.reduce(0) { $0 + ($1.iterations ?? 0) }, it.completed + it.failed)
        XCTAssertTrue(r.timeline.allSatisfy { $0.iterations != nil && $0.iterations_failed == 0 })
        let page = HTMLReport.render(r)
        XCTAssertTrue(page.contains("data-chart=\"iterations\""), "the report draws them over time")
        // Every request is one raw line, with its step, iteration and VU.
        let lines = try String(contentsOfFile: raw, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 240)
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertNotNil(first["iteration"])
        XCTAssertNotNil(first["vu"])
        XCTAssertEqual(Set(lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["iteration"] as? Int }),
                       Set(0..<40), "each iteration's steps carry its number")
    }

    func testTheJourneyInTheOpenModelAccountsForEveryArrival() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.profilesDir.appendingPathComponent("data/users.csv").path,
                                         toPath: dir.appendingPathComponent("data/users.csv").path)
        // The journey at 40 arrivals/s for 1 s through a pool of 20 VUs, instead of 40 closed-model iterations.
        let text = try String(contentsOfFile: journey, encoding: .utf8)
            .replacingOccurrences(of: "    iterations: 40                                                # 40 journeys in all, shared by the 4 VUs\n", with: "")
            .replacingOccurrences(of: "load: { model: closed, stages: [ { duration: 10s, concurrency: 4 } ] }",
                                  with: "load: { model: open, max_in_flight: 20, stages: [ { duration: 1s, rate: 40 } ], start_rate: 40 }")
        XCTAssertTrue(text.contains("model: open"))
        let profile = dir.appendingPathComponent("open.yaml").path
        try text.write(toFile: profile, atomically: true, encoding: .utf8)
        let out = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=" + server.baseURL, "--json", "-", "--quiet"], timeout: 60)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try JSONDecoder().decode(RunResult.self, from: Data(out.stdout.utf8))
        let it = try XCTUnwrap(r.iterations)
        XCTAssertEqual(it.total, 40, "one iteration per arrival")
        XCTAssertEqual(it.total, it.completed + it.failed + it.interrupted + it.dropped)
        XCTAssertEqual(r.targets["login"]?.requests.total, 40, "each arrival's first step, sent or dropped")
        XCTAssertEqual(r.requests.total, r.requests.ok + r.requests.failed + r.requests.dropped)
        let api = try apiCounts()
        XCTAssertEqual(api["pay"], r.targets["pay"]?.requests.ok)
        XCTAssertEqual(api["login"], r.targets["login"].map { $0.requests.total - $0.requests.dropped })
    }

    func testSeveralScenariosRunAtOnceAndOneCanBeChosen() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let profile = dir.appendingPathComponent("two.yaml").path
        try """
        scenarios:
          browse:
            iterations: 6
            load: { model: closed, stages: [ { duration: 5s, concurrency: 2 } ], start_concurrency: 2 }
            flow:
              - { name: list, url: "${BASE_URL}/api/items" }
              - { name: item, url: "${BASE_URL}/api/items/1", expect: { status: [401] } }
          checkout:
            start_after: 500ms
            load: { model: open, max_in_flight: 5, start_rate: 10, stages: [ { duration: 1s, rate: 10 } ] }
            flow:
              - { name: home, url: "${BASE_URL}/" }
              - { name: item, url: "${BASE_URL}/api/items/2", expect: { status: [401] } }
        thresholds:
          - "scenario:browse iterations >= 6"
          - "scenario:checkout iteration_error_rate < 1%"
          - "step:checkout/item p99 < 5s"
          - "target:browse/item p99 < 5s"
          - "error_rate < 1%"
        """.write(toFile: profile, atomically: true, encoding: .utf8)
        let both = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=" + server.baseURL, "--json", "-", "--quiet"], timeout: 60)
        XCTAssertEqual(both.status, 0, both.stderr)
        let r = try JSONDecoder().decode(RunResult.self, from: Data(both.stdout.utf8))
        let scenarios = try XCTUnwrap(r.scenarios)
        XCTAssertEqual(scenarios["browse"]?.iterations?.completed, 6)
        XCTAssertEqual(scenarios["checkout"]?.iterations?.total, 10, "10/s for 1 s")
        XCTAssertEqual(scenarios["checkout"]?.start_after_us, 500_000)
        XCTAssertEqual(r.plan.scenarios?.map(\.scenario), ["browse", "checkout"])
        XCTAssertEqual(r.plan.scenarios?.map(\.start_after_us), [0, 500_000])
        // A step name both scenarios use is SCENARIO/STEP; the others keep theirs.
        XCTAssertEqual(Set(r.targets.keys), ["list", "browse/item", "home", "checkout/item"])
        XCTAssertEqual(r.targets["browse/item"]?.requests.ok, 6)
        let checkout = try XCTUnwrap(scenarios["checkout"]?.iterations)
        XCTAssertEqual(r.requests.total, 12 + 2 * (checkout.completed + checkout.failed) + checkout.dropped,
                       "every iteration's requests, both scenarios, once")
        XCTAssertEqual(r.requests.total, r.requests.ok + r.requests.failed + r.requests.dropped)
        XCTAssertEqual(r.thresholds.map(\.ok), [true, true, true, true, true], "\(r.thresholds.map(\.expr))")
        XCTAssertEqual(try apiCounts()["items"], 6)
        XCTAssertEqual(try apiCounts()["unauthorized"], 6 + (r.targets["checkout/item"]?.requests.ok ?? -1))
        // As two segments, merged back: each scenario's numbers add exactly.
        var parts: [String] = []
        for i in 1...2 {
            let part = dir.appendingPathComponent("seg-\(i).json").path
            let seg = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=" + server.baseURL, "--segment", "\(i)/2", "--json", part, "--quiet"],
                                            timeout: 60, environment: ["BARRAGE_RUN_ID": "two-1"])
            // The whole plan's gates are judged on each segment's share (browse's 6 iterations are split 3/3): 99.
            XCTAssertTrue([0, 99].contains(seg.status), seg.stderr)
            parts.append(part)
        }
        let mergedPath = dir.appendingPathComponent("merged.json").path
        let m = try BarrageBinary.run(["merge"] + parts + ["-o", mergedPath], timeout: 30)
        XCTAssertEqual(m.status, 0, m.stderr)
        let merged = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: mergedPath)))
        XCTAssertEqual(merged.scenarios?["browse"]?.iterations?.completed, 6)
        XCTAssertEqual(merged.scenarios?["checkout"]?.iterations?.total, 10)
        XCTAssertEqual(merged.scenarios?["browse"]?.requests.requests.total, 12)
        let finished = [merged.scenarios?["browse"]?.iterations, merged.scenarios?["checkout"]?.iterations]
            .compactMap { $0 }.reduce(0) { $0 + $1.completed + $1.failed }
        XCTAssertEqual(merged.timeline.reduce(0) { $0 + ($1.iterations ?? 0) }, finished, "per-second iterations merge exactly")
        // One of them, chosen: the other's gates are set aside with a line.
        let one = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=" + server.baseURL, "--scenario", "browse", "--json", "-",
                                         "--quiet"], timeout: 30)
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stderr.contains("threshold 'scenario:checkout iteration_error_rate < 1%' not judged: scenario checkout is not running"),
                      one.stderr)
        let single = try JSONDecoder().decode(RunResult.self, from: Data(one.stdout.utf8))
        XCTAssertNil(single.scenarios)
        XCTAssertEqual(single.iterations?.completed, 6)
        // `target:browse/item`, the name the step has beside checkout, still reads browse's step `item` run alone.
        XCTAssertEqual(single.thresholds.first { $0.expr == "target:browse/item p99 < 5s" }?.ok, true,
                       "\(single.thresholds.map(\.expr))")
        XCTAssertEqual(single.thresholds.count, 3, "browse's, the step gate and the run's; checkout's set aside")
        // --raw: every request of both scenarios one line, naming its scenario.
        let rawPath = dir.appendingPathComponent("raw.ndjson").path
        let withRaw = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=" + server.baseURL, "--raw", rawPath, "--json", "-", "--quiet"],
                                            timeout: 60)
        XCTAssertEqual(withRaw.status, 0, withRaw.stderr)
        let rr = try JSONDecoder().decode(RunResult.self, from: Data(withRaw.stdout.utf8))
        let lines = try String(contentsOfFile: rawPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, rr.requests.total)
        let byScenario = Dictionary(grouping: lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["scenario"] as? String },
                                    by: { $0 }).mapValues(\.count)
        XCTAssertEqual(byScenario["browse"], rr.scenarios?["browse"]?.requests.requests.total)
        XCTAssertEqual(byScenario["checkout"], rr.scenarios?["checkout"]?.requests.requests.total)
        // --metrics-addr serves both scenarios' requests put together while the run lasts.
        // A free port for the endpoint (another one when that was taken before the run listened).
        let (live, port) = try LoopbackPeer.startBarrage { ["run", profile, "-e", "BASE_URL=" + server.baseURL, "-d", "4s",
                                                            "--metrics-addr", "127.0.0.1:\($0)", "--quiet"] }
        var scraped: Double? = nil
        let deadline = Date().addingTimeInterval(30)
        while scraped == nil && live.process.isRunning && Date() < deadline {
            if let s = try? httpGet("http://127.0.0.1:\(port)/metrics"),
               let line = s.body.split(separator: "\n").first(where: { $0.hasPrefix("barrage_requests_total{result=\"ok\"}") }),
               let value = Double(line.split(separator: " ").last ?? ""), value > 0 {
                scraped = value
            } else {
                usleep(50_000)
            }
        }
        let liveOut = live.wait(timeout: 60)
        XCTAssertTrue([0, 99].contains(liveOut.status), liveOut.stderr)
        XCTAssertNotNil(scraped, "a scrape during the run counted requests")
    }

    func testTheShopProfileRunsBothScenariosAndMatchesTheServersCounts() throws {
        let shop = Self.profilesDir.appendingPathComponent("shop.yaml").path
        let out = try BarrageBinary.run(["run", shop, "-e", "BASE_URL=" + server.baseURL, "-d", "3s", "--json", "-", "--quiet"], timeout: 60)
        XCTAssertTrue([0, 99].contains(out.status), out.stderr)
        let r = try JSONDecoder().decode(RunResult.self, from: Data(out.stdout.utf8))
        let browse = try XCTUnwrap(r.scenarios?["browse"]?.iterations)
        let checkout = try XCTUnwrap(r.scenarios?["checkout"]?.iterations)
        XCTAssertEqual(browse.total, 60, "20/s for 3 s")
        for it in [browse, checkout] { XCTAssertEqual(it.total, it.completed + it.failed + it.interrupted + it.dropped) }
        XCTAssertGreaterThan(checkout.completed, 0)
        let t = r.targets
        XCTAssertEqual(t["login"]?.requests.ok, 4, "the setup: one login per VU")
        XCTAssertEqual(t["item"]?.requests.total, 3 * (t["checkout/items"]?.requests.ok ?? -1), "foreach over 3 of the 5 ids")
        XCTAssertEqual(r.groups?["checkout/buy"]?.ok, t["pay"]?.requests.ok)
        let api = try apiCounts()
        XCTAssertEqual(api["login"], 4)
        XCTAssertEqual(api["items"], (t["browse/items"]?.requests.ok ?? 0) + (t["checkout/items"]?.requests.ok ?? 0))
        XCTAssertEqual(api["item"], t["item"]?.requests.ok)
        XCTAssertEqual(api["pay"], t["pay"]?.requests.ok)
        XCTAssertEqual(api["session"], t["session"]?.requests.ok, "the login's session cookie, kept per VU")
        XCTAssertEqual(api["unauthorized"], 0)
        XCTAssertEqual(r.requests.total, r.requests.ok + r.requests.failed + r.requests.dropped)
        // Every gate measured (whether a latency gate passes on a loaded machine is not this test's business).
        XCTAssertEqual(r.thresholds.count, 3)
        XCTAssertTrue(r.thresholds.allSatisfy { $0.actual != nil }, "\(r.thresholds)")
    }

    func testMinusNCapsTheIterations() throws {
        let out = try BarrageBinary.run(["run", journey, "-e", "BASE_URL=" + server.baseURL, "-n", "5", "--json", "-", "--quiet"],
                                        timeout: 60)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try JSONDecoder().decode(RunResult.self, from: Data(out.stdout.utf8))
        XCTAssertEqual(r.iterations?.total, 5)
        XCTAssertEqual(r.requests.total, 30)
        XCTAssertEqual(try apiCounts()["pay"], 5)
        // -c replaces the scenario's ramp with constant workers; the iteration bound stays.
        let constant = try BarrageBinary.run(["run", journey, "-e", "BASE_URL=" + server.baseURL, "-c", "3", "-n", "9", "--json", "-",
                                              "--quiet"], timeout: 60)
        XCTAssertEqual(constant.status, 0, constant.stderr)
        let c = try JSONDecoder().decode(RunResult.self, from: Data(constant.stdout.utf8))
        XCTAssertEqual(c.plan.concurrency, 3)
        XCTAssertEqual(c.plan.overrides, ["--concurrency 3", "--requests 9"])
        XCTAssertEqual(c.iterations?.completed, 9)
        XCTAssertEqual(try apiCounts()["pay"], 5 + 9)
    }

    func testSegmentsSplitTheIterationsExactlyAndMergeBack() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var parts: [String] = []
        for i in 1...3 {
            let part = dir.appendingPathComponent("part-\(i).json").path
            let out = try BarrageBinary.run(["run", journey, "-e", "BASE_URL=" + server.baseURL, "--segment", "\(i)/3",
                                             "--json", part, "--quiet"], timeout: 60, environment: ["BARRAGE_RUN_ID": "journey-1"])
            XCTAssertEqual(out.status, 0, out.stderr)
            parts.append(part)
        }
        let shares = try parts.map { try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: $0))).iterations?.total }
        XCTAssertEqual(shares, [14, 13, 13], "40 iterations split exactly")
        let merged = dir.appendingPathComponent("merged.json").path
        let out = try BarrageBinary.run(["merge"] + parts + ["-o", merged], timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: merged)))
        XCTAssertEqual(r.iterations?.total, 40)
        XCTAssertEqual(r.iterations?.completed, 40)
        XCTAssertEqual(r.iterations?.duration_us.count, 40)
        XCTAssertEqual(r.groups?["buy"]?.ok, 40)
        XCTAssertEqual(r.groups?["buy"]?.duration_us.count, 40)
        XCTAssertEqual(r.targets["pay"]?.requests.ok, 40)
        XCTAssertEqual(r.requests.total, 240)
        XCTAssertEqual(try apiCounts()["pay"], 40)
    }

    func testBadCombinationsAreOneLineAndExit2BeforeAnythingIsSent() throws {
        let base = ["run", journey, "-e", "BASE_URL=" + server.baseURL]
        for (extra, message) in [
            (["--scenario", "chekout"], "--scenario chekout: \(journey) has no such scenario (did you mean 'checkout'?); it has checkout"),
            (["-m", "PUT"], "--method: \(journey) describes its requests in scenarios' flows; edit the steps instead"),
            (["-H", "X-A: 1"], "--header: \(journey) describes its requests in scenarios' flows; edit the steps instead"),
            (["--preconnect"], "--preconnect: not with scenarios yet (a warm-up request would run a flow's first step outside its iteration)"),
        ] {
            let out = try BarrageBinary.run(base + extra, timeout: 30)
            XCTAssertEqual(out.status, 2, "\(extra): \(out.stderr)")
            XCTAssertEqual(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines), "barrage: error: " + message, "\(extra)")
        }
        XCTAssertEqual(server.requestsReceived, 0)
    }
}
