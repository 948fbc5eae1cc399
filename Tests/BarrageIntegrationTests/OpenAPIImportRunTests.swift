import XCTest
import BarrageCore
import BarrageTargetServer
import BarrageTestSupport

/// `barrage import openapi` through the built binary: `docs/openapi-demo.yaml` imported, validated and run against the
/// embedded server, whose own counts show that every operation arrived and was answered as the document says; and the
/// CLI's bad-input lines.
final class OpenAPIImportRunTests: XCTestCase {
    static let demoSpec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi-demo.yaml").path

    var server: TargetServer!
    var dir: URL!

    override func setUpWithError() throws {
        server = try TargetServer.start(host: "127.0.0.1", port: 0)
        dir = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    private func apiCounts() throws -> [String: Int] { try demoAPICounts(port: server.port) }

    func testTheDemoDocumentImportsValidatesAndRunsEveryOperation() throws {
        let profile = dir.appendingPathComponent("demo.yaml").path
        let imported = try BarrageBinary.run(["import", "openapi", Self.demoSpec, "-o", profile], timeout: 30)
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stderr.contains("(6 operations); give -e BASE_URL=…"), imported.stderr)

        let vars = ["-e", "BASE_URL=" + server.baseURL]
        let validated = try BarrageBinary.run(["validate", profile] + vars, timeout: 30)
        XCTAssertEqual(validated.status, 0, validated.stderr)

        server.resetCount()
        let json = dir.appendingPathComponent("r.json").path
        let run = try BarrageBinary.run(["run", profile, "--json", json, "--quiet"] + vars, timeout: 60)
        XCTAssertEqual(run.status, 0, run.stderr)
        let r = try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        let steps = ["login", "listItems", "getItem", "createCart", "payCart", "getSession"]
        XCTAssertEqual(r.plan.targets.map(\.name), steps)
        XCTAssertEqual(r.requests.total, 6)
        for step in steps { XCTAssertEqual(r.targets[step]?.requests.ok, 1, step) }
        let api = try apiCounts()
        for outcome in ["login", "items", "item", "cart", "pay", "session"] {
            XCTAssertEqual(api[outcome], 1, "the server answered \(outcome) once")
        }
        XCTAssertEqual(api["unauthorized"], 0, "the captured token and the session cookie arrived")
        XCTAssertEqual(api["not_found"], 0)
        XCTAssertEqual(api["bad_request"], 0)
        XCTAssertEqual(server.requestsReceived, 6 + 1)
    }

    func testPathVariablesAreGivenWithE() throws {
        let profile = dir.appendingPathComponent("items.yaml").path
        let imported = try BarrageBinary.run(["import", "openapi", Self.demoSpec, "-o", profile, "--path-variables",
                                              "--operations", "login,getItem"], timeout: 30)
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stderr.contains("give -e BASE_URL=… -e itemId=…"), imported.stderr)
        let missing = try BarrageBinary.run(["validate", profile, "-e", "BASE_URL=" + server.baseURL], timeout: 30)
        XCTAssertEqual(missing.status, 2, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("itemId"), missing.stderr)

        server.resetCount()
        let json = dir.appendingPathComponent("r.json").path
        let run = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=" + server.baseURL, "-e", "itemId=1000",
                                         "--json", json, "--quiet"], timeout: 60)
        XCTAssertEqual(run.status, 0, run.stderr)
        let r = try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(r.requests.ok, 2)
        XCTAssertTrue(r.plan.targets.contains { $0.url.hasSuffix("/api/items/1000") }, "\(r.plan.targets.map(\.url))")
        let api = try apiCounts()
        XCTAssertEqual(api["item"], 1)
        XCTAssertEqual(api["not_found"], 0)
    }

    func testOperationsToStandardOutputAndBadInputIsOneLineExit2() throws {
        let chosen = try BarrageBinary.run(["import", "openapi", Self.demoSpec, "--operations", "listItems,login"], timeout: 30)
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        XCTAssertTrue(chosen.stdout.contains("      - name: listItems\n"), chosen.stdout)
        XCTAssertLessThan(try XCTUnwrap(chosen.stdout.range(of: "name: listItems")).lowerBound,
                          try XCTUnwrap(chosen.stdout.range(of: "name: login")).lowerBound)

        func refused(_ args: [String], _ expected: String) throws {
            let result = try BarrageBinary.run(["import", "openapi"] + args, timeout: 30)
            XCTAssertEqual(result.status, 2, result.stderr)
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(expected), result.stderr)
        }
        try refused([Self.demoSpec, "--operations", "login,nope"], "--operations: no operation 'nope'")
        let swagger = dir.appendingPathComponent("swagger.json").path
        try #"{"swagger": "2.0", "paths": {}}"#.write(toFile: swagger, atomically: true, encoding: .utf8)
        try refused([swagger], "swagger.json: Swagger 2.0 is not supported")
        let broken = dir.appendingPathComponent("broken.yaml").path
        try "openapi: 3.0.0\npaths: [".write(toFile: broken, atomically: true, encoding: .utf8)
        try refused([broken], "broken.yaml: malformed YAML")
        try refused([dir.appendingPathComponent("missing.yaml").path], "missing.yaml: cannot read the OpenAPI document")
        try refused([Self.demoSpec, "--base-url", "ftp://x"], "--base-url 'ftp://x'")
    }
}
