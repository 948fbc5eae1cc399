import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer

/// What the WebSocket end-to-end tests of segments, `--raw` and `wss://` share (the pattern of `WebSocketRunTests`):
/// libcurl 8 (`Libcurl8.environment` per run; skipped with a line without it), a temporary directory, the embedded
/// server with its `/ws` echo route, one bounded run, and the checks every result takes.
class WebSocketEndToEndCase: XCTestCase {
    var tmp: URL!
    var server: TargetServer?
    var environment: [String: String] = [:]

    override func setUpWithError() throws {
        guard let env = Libcurl8.environment else {
            print("\(type(of: self)): skipped — \(Libcurl8.skipReason)")
            throw XCTSkip(Libcurl8.skipReason)
        }
        environment = env
        tmp = try makeTemporaryDirectory()
        server = try TargetServer.start(host: "127.0.0.1", port: 0, threads: 1)
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
        server = nil
        if let tmp { try? FileManager.default.removeItem(at: tmp) }
    }

    var port: Int { server?.port ?? 0 }

    func path(_ name: String) -> String { tmp.appendingPathComponent(name).path }

    /// `barrage run URL ARGS… --json FILE --quiet --threads 2` (URL: the server's `/ws` unless given); the result when
    /// one was written, and its path.
    func run(_ args: [String], url: String? = nil) throws -> (BarrageBinary.Outcome, RunResult?, String) {
        let json = path("ws-\(UUID().uuidString).json")
        let target = url ?? "ws://127.0.0.1:\(port)/ws"
        let out = try BarrageBinary.run(["run", target] + args + ["--json", json, "--quiet", "--threads", "2"], timeout: 60,
                                        environment: environment)
        return (out, Self.result(json), json)
    }

    static func result(_ json: String) -> RunResult? {
        (try? Data(contentsOf: URL(fileURLWithPath: json))).flatMap { try? RunResult.decode($0) }
    }

    /// Every message ended once: answered, failed or dropped; failures add up by class.
    func assertAccounted(_ m: RunResult.Messages, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(m.total, m.answered + m.failed + m.dropped, "total == answered + failed + dropped", file: file, line: line)
        XCTAssertEqual(m.errors.values.reduce(0, +), m.failed, "failures by class add up", file: file, line: line)
    }

    /// Tests/Interop/validate_schema.py on `file` against schema/result.v1.schema.json (skipped without jsonschema).
    func assertSchemaValid(_ file: String, line: UInt = #line) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", SchemaTests.validator.path, SchemaTests.schemaDir.appendingPathComponent("result.v1.schema.json").path, file]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus == 3 || p.terminationStatus == 127 { print("schema check skipped: \(output)"); return }
        XCTAssertEqual(p.terminationStatus, 0, output, line: line)
    }
}
