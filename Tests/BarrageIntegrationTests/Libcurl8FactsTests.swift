import XCTest
import BarrageCore
import BarrageTestSupport

/// Facts only a newer libcurl reports, read by numeric value (7.88's headers lack them) and only when the library
/// loaded at run time has them: `phases_us.queue` from CURLINFO_QUEUE_TIME_T (8.6). The same binary on the system's
/// 7.88.1 leaves the key out.
final class Libcurl8FactsTests: XCTestCase {
    private func runJSON(_ url: String, environment: [String: String], extra: [String] = []) throws -> (BarrageBinary.Outcome, RunResult?, String) {
        let dir = try makeTemporaryDirectory()
        let json = dir.appendingPathComponent("r.json").path
        let out = try BarrageBinary.run(["run", url, "-c", "4", "-n", "40", "--threads", "1", "--json", json, "--quiet"] + extra,
                                        timeout: 60, environment: environment)
        let data = (try? Data(contentsOf: URL(fileURLWithPath: json))) ?? Data()
        return (out, try? RunResult.decode(data), json)
    }

    /// `connections` is counted from CURLINFO_NUM_CONNECTS on every libcurl — not from CURLINFO_CONN_ID, whose ids are
    /// seen out of order and read back as -1 for multiplexed HTTP/2 streams (bench/README.md, "CURLINFO_CONN_ID") — and
    /// the count is exact on both: one connection per worker with keep-alive, one per request with `--no-keepalive`.
    /// (h2c's count, streams sharing one connection, is checked in H2CTests.)
    func testConnectionCountsAreExactOnBothLibcurls() throws {
        let (server, base) = try BarrageBinary.startServer()
        defer { server.signal(SIGTERM); _ = server.wait(timeout: 10) }
        var environments = [("system libcurl", Libcurl8.systemEnvironment)]
        if let env = Libcurl8.environment { environments.append(("libcurl 8", env)) }
        for (name, env) in environments {
            let (keep, k, _) = try runJSON(base + "/", environment: env)
            XCTAssertEqual(keep.status, 0, "\(name): \(keep.stderr)")
            XCTAssertEqual(k?.requests.ok, 40, name)
            XCTAssertEqual(k?.connections.new, 4, "\(name): one connection per worker")
            XCTAssertEqual(k?.connections.reused, 36, name)
            // The result names the libcurl the run was made with, as loaded (not as built against).
            if let version = try Libcurl8.loadedVersion(environment: env) {
                XCTAssertEqual(k?.client?.libcurl?.split(separator: " ").first.map(String.init), version, name)
            }
            let (fresh, f, _) = try runJSON(base + "/", environment: env, extra: ["--no-keepalive"])
            XCTAssertEqual(fresh.status, 0, "\(name): \(fresh.stderr)")
            XCTAssertEqual(f?.requests.ok, 40, name)
            XCTAssertEqual(f?.connections.new, 40, "\(name): one connection per request")
            XCTAssertEqual(f?.connections.reused, 0, name)
        }
        if Libcurl8.environment == nil {
            print("Libcurl8FactsTests: libcurl 8 part skipped — \(Libcurl8.skipReason)")
            throw XCTSkip(Libcurl8.skipReason)
        }
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
        // The key is in the schema.
        try assertMatchesSchema(json)
    }
}
