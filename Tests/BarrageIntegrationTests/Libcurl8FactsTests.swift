import XCTest
import BarrageCore
import BarrageTestSupport

/// Facts only a newer libcurl reports, read by numeric value (7.88's headers lack them) and only when the library
/// loaded at run time has them: `phases_us.queue` from CURLINFO_QUEUE_TIME_T (8.6). The same binary on the system's
/// 7.88.1 leaves the key out.
final class Libcurl8FactsTests: XCTestCase {
    private func runJSON(_ url: String, environment: [String: String]) throws -> (BarrageBinary.Outcome, RunResult?, String) {
        let dir = try makeTemporaryDirectory()
        let json = dir.appendingPathComponent("r.json").path
        let out = try BarrageBinary.run(["run", url, "-c", "4", "-n", "40", "--threads", "1", "--json", json, "--quiet"],
                                        timeout: 60, environment: environment)
        let data = (try? Data(contentsOf: URL(fileURLWithPath: json))) ?? Data()
        return (out, try? RunResult.decode(data), json)
    }

    func testQueuePhaseOnlyWhereTheLoadedLibcurlReportsIt() throws {
        let (server, base) = try BarrageBinary.startServer()
        defer { server.signal(SIGTERM); _ = server.wait(timeout: 10) }
        let system = Libcurl8.systemEnvironment
        if let version = try Libcurl8.loadedVersion(environment: system), version.hasPrefix("7.") {
            let (out, r, _) = try runJSON(base + "/", environment: system)
            XCTAssertEqual(out.status, 0, out.stderr)
            XCTAssertEqual(r?.requests.ok, 40)
            XCTAssertNil(r?.phases_us.queue, "7.x reports no queue time")
        }
        guard let env = Libcurl8.environment else {
            print("Libcurl8FactsTests: libcurl 8 part skipped — \(Libcurl8.skipReason)")
            throw XCTSkip(Libcurl8.skipReason)
        }
        let (out, r, json) = try runJSON(base + "/", environment: env)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertEqual(r?.requests.ok, 40)
        XCTAssertEqual(r?.phases_us.queue?.count, 40, "every transfer's queue time is recorded on 8.x")
        // The key is in the schema: validate the file when the validator can run.
        let validator = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop/validate_schema.py")
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schema/result.v1.schema.json")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", validator.path, schema.path, json]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus == 3 || p.terminationStatus == 127 {
            print("Libcurl8FactsTests: schema check skipped — \(output)")
        } else {
            XCTAssertEqual(p.terminationStatus, 0, output)
        }
    }
}
