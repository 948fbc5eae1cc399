import XCTest
import BarrageCore
import BarrageTargetServer
import BarrageTestSupport

/// A profile's top-level `setup:` through the built binary against the embedded server's demo API: it logs in once
/// per run (once per segment), both scenarios send its token, the server's counts match the result; a setup that
/// fails sends no load, exits 1 and still writes the JSON.
final class RunSetupTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    var server: TargetServer!
    var dir: URL!

    override func setUpWithError() throws {
        server = try TargetServer.start(host: "127.0.0.1", port: 0)
        dir = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
        try? FileManager.default.removeItem(at: dir)
    }

    private func apiCounts() throws -> [String: Int] { try demoAPICounts(port: server.port) }

    private func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Logs in once in the setup; `browse` (6 iterations) and `buy` (4) send its token.
    private func writeProfile() throws -> String {
        let profile = path("shop.yaml")
        try """
        name: setup-shop
        setup:
          - name: login
            method: POST
            url: "${BASE_URL}/api/login"
            json: { user: alice, password: "${PASSWORD}" }
            expect: { status: [200], json: { "$.ok": true } }
            capture: { token: { json: "$.token" } }
        scenarios:
          browse:
            iterations: 6
            load: { model: closed, start_concurrency: 2, stages: [ { duration: 10s, concurrency: 2 } ] }
            flow:
              - { name: item, url: "${BASE_URL}/api/items/1", headers: { Authorization: "Bearer ${token}" }, expect: { status: [200] } }
          buy:
            iterations: 4
            load: { model: closed, start_concurrency: 2, stages: [ { duration: 10s, concurrency: 2 } ] }
            flow:
              - { name: cart, method: POST, url: "${BASE_URL}/api/cart", headers: { Authorization: "Bearer ${token}" }, expect: { status: [201] } }
        """.write(toFile: profile, atomically: true, encoding: .utf8)
        return profile
    }

    func testTheSetupLogsInOnceAndEveryScenarioUsesItsToken() throws {
        let profile = try writeProfile()
        let json = path("r.json")
        let out = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=" + server.baseURL, "-e", "PASSWORD=pw-alice",
                                         "--json", json], timeout: 60)
        XCTAssertEqual(out.status, 0, out.stderr)
        let api = try apiCounts()
        XCTAssertEqual(api["login"], 1, "the setup ran once")
        XCTAssertEqual(api["item"], 6)
        XCTAssertEqual(api["cart"], 4)
        XCTAssertEqual(api["unauthorized"], 0, "every VU sent the setup's token")
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        let setup = try XCTUnwrap(r.setup)
        XCTAssertEqual([setup.requests, setup.ok, setup.failed], [1, 1, 0])
        XCTAssertEqual(setup.captured, ["token"])
        XCTAssertNil(setup.error)
        XCTAssertEqual(setup.steps["login"]?.requests, 1)
        XCTAssertEqual(setup.steps["login"]?.latency_us.count, 1)
        // The setup's request is in its own section only.
        XCTAssertEqual(r.requests.total, 10)
        XCTAssertEqual(r.requests.ok, 10)
        XCTAssertNil(r.targets["login"])
        XCTAssertEqual(r.plan.setup?.map(\.name), ["login"])
        XCTAssertTrue(out.stdout.contains("  setup        login (1 step, once before the load)"), out.stdout)
        XCTAssertEqual(r.scenarios?["browse"]?.iterations?.completed, 6)
        XCTAssertEqual(r.scenarios?["buy"]?.iterations?.completed, 4)
        XCTAssertTrue(out.stdout.contains("Setup") && out.stdout.contains("1 request · 1 ok · 0 failed"), out.stdout)
        // The token itself is written nowhere (the demo API gives the same one for the same user).
        let login = try BlockingHTTPConnection(port: server.port).request(method: "POST", path: "/api/login",
                                                                           headers: [("Content-Type", "application/json")],
                                                                           body: Array(#"{"user":"alice","password":"pw-alice"}"#.utf8))
        let token = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["token"] as? String)
        let written = try String(contentsOfFile: json, encoding: .utf8)
        XCTAssertFalse(written.contains(token))
        XCTAssertFalse(out.stdout.contains(token) || out.stderr.contains(token))
        try assertMatchesSchema(json)
    }

    func testOneScenarioAloneReadsTheSetupToo() throws {
        let profile = try writeProfile()
        let out = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=" + server.baseURL, "-e", "PASSWORD=pw-alice",
                                         "--scenario", "browse", "--json", "-", "--quiet"], timeout: 60)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try RunResult.decode(Data(out.stdout.utf8))
        XCTAssertEqual(r.setup?.ok, 1)
        XCTAssertEqual(r.iterations?.completed, 6)
        XCTAssertEqual(r.requests.total, 6)
        let api = try apiCounts()
        XCTAssertEqual(api["login"], 1)
        XCTAssertEqual(api["item"], 6)
        XCTAssertEqual(api["unauthorized"], 0)
        XCTAssertEqual(api["cart"], 0)
    }

    func testEachSegmentRunsTheSetupAndMergeAddsThem() throws {
        let profile = try writeProfile()
        var parts: [String] = []
        for i in 1...2 {
            let part = path("seg-\(i).json")
            let out = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=" + server.baseURL, "-e", "PASSWORD=pw-alice",
                                             "--segment", "\(i)/2", "--json", part, "--quiet"],
                                            timeout: 60, environment: ["BARRAGE_RUN_ID": "setup-1"])
            XCTAssertEqual(out.status, 0, out.stderr)
            parts.append(part)
        }
        let api = try apiCounts()
        XCTAssertEqual(api["login"], 2, "one login per segment")
        XCTAssertEqual(api["item"], 6)
        XCTAssertEqual(api["cart"], 4)
        XCTAssertEqual(api["unauthorized"], 0)
        let merged = path("merged.json")
        let m = try BarrageBinary.run(["merge"] + parts + ["-o", merged], timeout: 30)
        XCTAssertEqual(m.status, 0, m.stderr)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: merged)))
        XCTAssertEqual(r.setup?.requests, 2)
        XCTAssertEqual(r.setup?.ok, 2)
        XCTAssertEqual(r.setup?.steps["login"]?.latency_us.count, 2)
        XCTAssertEqual(r.requests.total, 10)
        try assertMatchesSchema(merged)
    }

    func testAFailingSetupSendsNoLoadAndExits1() throws {
        let profile = try writeProfile()
        let json = path("r.json")
        let out = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=" + server.baseURL, "-e", "PASSWORD=wrong",
                                         "--json", json, "--quiet"], timeout: 60)
        XCTAssertEqual(out.status, 1, out.stderr)
        let lines = out.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, out.stderr)
        XCTAssertTrue(out.stderr.hasPrefix("barrage: error: setup step 'login' failed: "), out.stderr)
        let api = try apiCounts()
        XCTAssertEqual(api["login_failed"], 1)
        XCTAssertEqual(api["item"], 0)
        XCTAssertEqual(api["cart"], 0)
        XCTAssertEqual(api["unauthorized"], 0, "no load request reached the server")
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(r.setup?.failed, 1)
        XCTAssertEqual(r.setup?.captured, [])
        XCTAssertEqual(r.requests.total, 0)
        XCTAssertEqual(r.setup?.error.map { "barrage: error: " + $0 + "\n" }, out.stderr)
        try assertMatchesSchema(json)
    }
}
