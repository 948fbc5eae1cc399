import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer

/// What the WebSocket end-to-end tests share (runs, segments, `--raw`, `wss://`, the live view):
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

    /// The same run against the server's `/ws` with `query` (its options: `delay_ms=…`, `close_after=…`; "" for none).
    func run(_ query: String, _ args: [String], url: String? = nil) throws -> (BarrageBinary.Outcome, RunResult?, String) {
        try run(args, url: url ?? "ws://127.0.0.1:\(port)/ws" + (query.isEmpty ? "" : "?" + query))
    }

    static func result(_ json: String) -> RunResult? {
        (try? Data(contentsOf: URL(fileURLWithPath: json))).flatMap { try? RunResult.decode($0) }
    }

    /// Every message ended once: answered, failed or dropped; failures add up by class.
    func assertAccounted(_ m: RunResult.Messages, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(m.total, m.answered + m.failed + m.dropped, "total == answered + failed + dropped", file: file, line: line)
        XCTAssertEqual(m.errors.values.reduce(0, +), m.failed, "failures by class add up", file: file, line: line)
    }

    /// The result file against schema/result.v1.schema.json (`assertMatchesSchema`).
    func assertSchemaValid(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try assertMatchesSchema(path, file: file, line: line)
    }
}
