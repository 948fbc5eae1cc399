import XCTest
import BarrageTestSupport

/// Every kind of JSON document the binary writes, validated against the published schemas in schema/ by
/// Tests/Interop/validate_schema.py (the `jsonschema` package, draft 2020-12). Skipped when jsonschema is not installed.
final class SchemaTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let schemaDir = repoRoot.appendingPathComponent("schema")
    static let validator = repoRoot.appendingPathComponent("Tests").appendingPathComponent("Interop")
        .appendingPathComponent("validate_schema.py")
    static let profilesDir = repoRoot.appendingPathComponent("profiles")

    var tmp: URL!
    var server: BarrageBinary.Running!
    var base = ""

    override func setUpWithError() throws {
        tmp = try makeTemporaryDirectory()
        (server, base) = try BarrageBinary.startServer()
    }

    override func tearDownWithError() throws {
        server.signal(SIGTERM)
        _ = server.wait(timeout: 5)
        try? FileManager.default.removeItem(at: tmp)
    }

    private func path(_ name: String) -> String { tmp.appendingPathComponent(name).path }

    /// Runs the validator on `files` against `schema/NAME`; skips the test when jsonschema (or python3) is missing.
    private func validate(schema name: String, _ files: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.validator.path, Self.schemaDir.appendingPathComponent(name).path] + files
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        if p.terminationStatus == 3 { throw XCTSkip("jsonschema is not importable: \(output)") }
        if p.terminationStatus == 127 { throw XCTSkip("python3 not found: \(output)") }
        return (p.terminationStatus, output)
    }

    private func assertValid(schema name: String, _ files: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        for f in files {
            XCTAssertTrue(FileManager.default.fileExists(atPath: f), "\(f) was written", file: file, line: line)
        }
        let (status, output) = try validate(schema: name, files)
        XCTAssertEqual(status, 0, output, file: file, line: line)
    }

    func testRunResultsMatchTheResultSchema() throws {
        let closed = path("closed.json"), open = path("open.json"), gated = path("gated.json"), failing = path("failing.json")
        let a = try BarrageBinary.run(["run", base + "/", "-c", "4", "-n", "200", "--preconnect", "--json", closed, "--quiet"], timeout: 20)
        XCTAssertEqual(a.status, 0, a.stderr)
        let b = try BarrageBinary.run(["run", base + "/", "--rate", "100", "-d", "2s", "--json", open, "--quiet"], timeout: 20)
        XCTAssertEqual(b.status, 0, b.stderr)
        let c = try BarrageBinary.run(["run", base + "/", "-c", "2", "-n", "100", "--threshold", "p99<1s",
                                       "--threshold", "error_rate < 1%", "--json", gated, "--quiet"], timeout: 20)
        XCTAssertEqual(c.status, 0, c.stderr)
        // Every request fails: error classes, an empty latency summary, and a threshold whose `actual` is null.
        let d = try BarrageBinary.run(["run", base + "/fault/reset", "-c", "2", "-n", "20", "--threshold", "p99<1s",
                                       "--json", failing, "--quiet"], timeout: 20)
        XCTAssertEqual(d.status, 99, d.stderr)
        // A merge: run ids, `merged`, a concatenated timeline (whose short last buckets have a null rate).
        let merged = path("merged.json")
        let m = try BarrageBinary.run(["merge", closed, gated, "--force", "-o", merged], timeout: 20)
        XCTAssertEqual(m.status, 0, m.stderr)
        try assertValid(schema: "result.v1.schema.json", [closed, open, gated, failing, merged])
    }

    func testProfileRunMatchesTheResultSchema() throws {
        // Several targets, open-model stages, Poisson arrivals, a warm-up and thresholds: every optional section.
        let json = path("profile.json")
        let out = try BarrageBinary.run(["run", Self.profilesDir.appendingPathComponent("ramping-rate.yaml").path,
                                         "-e", "BASE_URL=\(base)", "--json", json, "--quiet"], timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        // The same profile with its load overridden from the command line (plan.overrides).
        let overridden = path("overridden.json")
        let o = try BarrageBinary.run(["run", Self.profilesDir.appendingPathComponent("ramping-rate.yaml").path,
                                       "-e", "BASE_URL=\(base)", "--rate", "50", "-d", "2s", "--json", overridden, "--quiet"], timeout: 30)
        XCTAssertEqual(o.status, 0, o.stderr)
        try assertValid(schema: "result.v1.schema.json", [json, overridden])
    }

    func testScaleMatchesTheScaleSchema() throws {
        let json = path("scale.json")
        let out = try BarrageBinary.run(["scale", base + "/delay/5", "--levels", "1,2,4", "-d", "300ms", "--json", json, "--quiet"],
                                        timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        try assertValid(schema: "scale.v1.schema.json", [json])
    }

    func testCompareMatchesTheCompareSchema() throws {
        let a = path("a.json"), plain = path("c.json"), gated = path("gated.json")
        XCTAssertEqual(try BarrageBinary.run(["run", base + "/", "-c", "4", "-n", "200", "--json", a, "--quiet"], timeout: 20).status, 0)
        let same = try BarrageBinary.run(["compare", a, a, "--json", plain], timeout: 20)
        XCTAssertEqual(same.status, 0, same.stderr)
        let withGates = try BarrageBinary.run(["compare", a, a, "--max-regression", "p99=10%", "--max-regression", "error_rate=0.5pp",
                                               "--json", gated], timeout: 20)
        XCTAssertEqual(withGates.status, 0, withGates.stderr)
        try assertValid(schema: "compare.v1.schema.json", [plain, gated])
    }

    func testAResultWithAStringCountFailsValidation() throws {
        let good = path("good.json"), bad = path("bad.json")
        XCTAssertEqual(try BarrageBinary.run(["run", base + "/", "-c", "2", "-n", "20", "--json", good, "--quiet"], timeout: 20).status, 0)
        try assertValid(schema: "result.v1.schema.json", [good])
        var document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: good))) as? [String: Any])
        var requests = try XCTUnwrap(document["requests"] as? [String: Any])
        requests["total"] = "20"
        document["requests"] = requests
        try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: bad))
        let (status, output) = try validate(schema: "result.v1.schema.json", [bad])
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains("$.requests.total"), output)
        XCTAssertTrue(output.contains("is not of type 'integer'"), output)
    }
}
