import XCTest
import BarrageCore
import BarrageEngine
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

    func testCapacityMatchesTheCapacitySchema() throws {
        // A search that reaches --max: grow, then the confirmation; an SLO on errors only needs 100 samples a step.
        let json = path("capacity.json")
        let out = try BarrageBinary.run(["capacity", base + "/", "--slo", "error_rate < 1%", "--from", "50", "--max", "100",
                                         "--step-duration", "1s", "--warmup", "200ms", "--json", json, "--quiet"], timeout: 60)
        XCTAssertEqual(out.status, 0, out.stdout + out.stderr)
        try assertValid(schema: "capacity.v1.schema.json", [json])
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

    // MARK: Flows

    /// A flow's result built by hand: `iterations`, `plan.scenario`, `plan.iterations`, per-step sections, a `capture`
    /// error and thresholds with the flow scopes and the `iter/s` unit.
    private func handBuiltFlowResult() throws -> RunResult {
        let steps = ["login", "item"].map { RequestTarget(name: $0, url: "http://127.0.0.1:1/\($0)") }
        var perStep = [Recorder(), Recorder()]
        var all = Recorder()
        for i in 0..<10 {
            let ok = RequestOutcome(dueMicros: Int64(i) * 1_000, sentMicros: Int64(i) * 1_000, doneMicros: Int64(i) * 1_000 + 800,
                                    status: 200, error: nil, complete: true)
            perStep[0].record(ok); all.record(ok)
            if i < 9 { perStep[1].record(ok); all.record(ok) }
        }
        let capture = RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 500, status: 200, error: .capture, complete: true)
        perStep[1].record(capture); all.record(capture)
        let plan = RunPlan(load: .closed(workers: 2, durationMicros: nil), workload: Workload(targets: steps, timeoutMicros: 1_000_000),
                           threads: 1)
        var r = RunResult(version: "test", plan: plan, recorder: all, timeline: [], startedEpochMillis: 1_764_094_369_123,
                          durationMicros: 1_000_000, interrupted: false)
        r.plan.scenario = "checkout"
        r.plan.iterations = 12
        for (i, t) in steps.enumerated() { r.targets[t.name] = RunResult.Section(perStep[i], durationMicros: 1_000_000) }
        var iterations = IterationRecorder()
        for i in 0..<9 { iterations.record(.completed, durationMicros: 2_000 + Int64(i), thinkMicros: 500) }
        iterations.record(.failed, durationMicros: 1_500, thinkMicros: 500)
        iterations.record(.interrupted, durationMicros: 0, thinkMicros: 0)
        iterations.recordDropped()
        var other = IterationRecorder()
        other.noteExhausted("users (users.csv)")
        other.noteExhausted("users (users.csv)")
        iterations.merge(other)
        r.iterations = RunResult.Iterations(scenario: "checkout", iterations, durationMicros: 1_000_000)
        r.error_messages = ["capture": "item: capture 'token' found nothing"]
        r.thresholds = ThresholdEvaluator.evaluate(try ["scenario:checkout iteration_duration.p95 < 2s", "step:checkout/login p99 < 300ms",
                                                        "iteration_rate >= 5", "iteration_error_rate < 20%", "dropped_iterations == 0",
                                                        "scenario:checkout iteration_duration_without_think.max < 1s"].map(Threshold.parse),
                                                   on: r)
        return r
    }

    func testAHandBuiltFlowResultMatchesTheResultSchema() throws {
        let r = try handBuiltFlowResult()
        XCTAssertEqual(r.iterations?.data_exhausted, ["users (users.csv)"], "noted once, kept through a merge")
        XCTAssertEqual(r.iterations?.total, 12)
        let file = path("flow.json")
        try r.jsonData().write(to: URL(fileURLWithPath: file))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        XCTAssertNotNil(json["iterations"] as? [String: Any])
        XCTAssertEqual((json["plan"] as? [String: Any])?["scenario"] as? String, "checkout")
        try assertValid(schema: "result.v1.schema.json", [file])

        // Every key of `iterations` is required: a file without one fails.
        var document = json
        var iterations = try XCTUnwrap(document["iterations"] as? [String: Any])
        iterations.removeValue(forKey: "duration_without_think_us")
        document["iterations"] = iterations
        let bad = path("flow-bad.json")
        try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]).write(to: URL(fileURLWithPath: bad))
        let (status, output) = try validate(schema: "result.v1.schema.json", [bad])
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains("duration_without_think_us"), output)
    }

    func testAFlowComparisonMatchesTheCompareSchema() throws {
        let base = try handBuiltFlowResult()
        var new = base
        new.iterations?.rate *= 0.8
        let comparison = Compare.compare(base: base, new: new)
        XCTAssertEqual(comparison.iterations?.count, 4)
        let file = path("flow-compare.json")
        try comparison.jsonData().write(to: URL(fileURLWithPath: file))
        try assertValid(schema: "compare.v1.schema.json", [file])
    }

    func testAFlowRunOnTheEngineMatchesTheResultSchema() throws {
        func template(_ text: String) throws -> CompiledTemplate { try Template(parsing: text).bind { _ in nil } }
        let steps: [FlowStep] = [
            .request(RequestStep(name: "home", url: try template(base + "/"), urlText: base + "/", expect: Expect(statuses: [200]))),
            .think(.fixed(micros: 1_000)),
            .request(RequestStep(name: "again", url: try template(base + "/"), urlText: base + "/")),
        ]
        let flow = Flow(scenario: "browse", steps: steps, iterations: 6)
        var workload = Workload(targets: flow.requestSteps.map { RequestTarget(name: $0.name, url: $0.urlText, method: $0.method) },
                                timeoutMicros: 5_000_000)
        workload.flow = flow
        let plan = RunPlan(load: .closed(workers: 2, durationMicros: nil), workload: workload, threads: 1)
        let out = try Engine(plan: plan).run(control: StopControl())
        var r = RunResult.build(version: "test", plan: plan, measured: out.measurement, interrupted: false)
        r.thresholds = ThresholdEvaluator.evaluate([try Threshold.parse("scenario:browse iterations == 6"),
                                                    try Threshold.parse("step:browse/again p99 < 5s")], on: r)
        XCTAssertEqual(r.iterations?.completed, 6, "\(r.errors) \(r.error_messages)")
        XCTAssertTrue(r.thresholds.allSatisfy(\.ok), "\(r.thresholds)")
        let file = path("flow-run.json")
        try r.jsonData().write(to: URL(fileURLWithPath: file))
        try assertValid(schema: "result.v1.schema.json", [file])
    }

    func testSeveralScenariosAtOnceMatchTheResultSchema() throws {
        let profile = path("two.yaml")
        try """
        scenarios:
          a:
            iterations: 4
            load: { model: closed, start_concurrency: 2, stages: [ { duration: 2s, concurrency: 2 } ] }
            flow: [ { name: home, url: "${BASE_URL}/" } ]
          b:
            start_after: 200ms
            load: { model: open, max_in_flight: 4, start_rate: 10, stages: [ { duration: 500ms, rate: 10 } ] }
            flow: [ { name: home, url: "${BASE_URL}/" }, { group: g, steps: [ { name: again, url: "${BASE_URL}/" } ] } ]
        """.write(toFile: profile, atomically: true, encoding: .utf8)
        let json = path("two.json")
        let out = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=" + base, "--json", json, "--quiet"], timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        try assertValid(schema: "result.v1.schema.json", [json])
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(r.scenarios?["a"]?.iterations?.completed, 4)
        XCTAssertEqual(r.scenarios?["b"]?.iterations?.total, 5)
        XCTAssertEqual(r.groups?["b/g"]?.count, r.scenarios?["b"]?.groups?["g"]?.count)
        let page = HTMLReport.render(r)
        XCTAssertTrue(page.contains("<h2>Iterations · a</h2>") && page.contains("<h2>Iterations · b</h2>"), "one panel per scenario")
        let markdown = MarkdownSummary.render(result: r, thresholds: [])
        XCTAssertTrue(markdown.contains("| Iterations (a) | 4 completed") && markdown.contains("| Iterations (b) |"), markdown)
    }
}
