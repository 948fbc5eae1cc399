import XCTest
import BarrageCore
import BarrageTargetServer
import BarrageTestSupport

/// `barrage import har` on a HAR written by a real recorder: mitmproxy's `mitmdump --set hardump=FILE` as a reverse
/// proxy in front of the embedded server records a journey driven by curl and by Barrage (log in, list, two items
/// with the token); the HAR is imported and run back against the server directly, which must then see the same
/// requests per path, the item requests authorized by the proposed token capture. Skipped with a line when mitmproxy
/// (PyPI `mitmproxy>=10.1,<11.1`) can be neither found nor installed. Every process here is one this test started,
/// ended by its PID.
final class HarImportRunTests: XCTestCase {
    var server: TargetServer!
    var dir: URL!
    var mitm: ExternalProcess?

    override func setUpWithError() throws {
        server = try TargetServer.start(host: "127.0.0.1", port: 0)
        dir = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        mitm?.wait(timeout: 0)
        try server?.shutdown()
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    private func apiCounts() throws -> [String: Int] { try demoAPICounts(port: server.port) }

    /// Starts mitmdump on a port of its choosing (`--listen-port 0`) and reads the port from its first line.
    private func startRecorder(_ mitmdump: String, har: String) throws -> String {
        let p = try ExternalProcess(mitmdump, ["--listen-host", "127.0.0.1", "--listen-port", "0",
                                               "--mode", "reverse:" + server.baseURL, "--set", "hardump=" + har])
        mitm = p
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && p.process.isRunning {
            if let r = p.outputSoFar.range(of: "listening at 127.0.0.1:") {
                let port = p.outputSoFar[r.upperBound...].prefix { $0.isNumber }
                if !port.isEmpty, p.outputSoFar[r.upperBound...].dropFirst(port.count).first == "." { return "http://127.0.0.1:\(port)" }
            }
            usleep(50_000)
        }
        let out = p.wait(timeout: 5).output
        throw XCTSkip("mitmdump did not start listening: \(out.split(separator: "\n").last ?? "")")
    }

    private func curl(_ arguments: [String]) throws -> String {
        let r = ExternalProcess.run("/usr/bin/curl", ["-sS", "--max-time", "10"] + arguments, timeout: 20)
        XCTAssertEqual(r.status, 0, r.output)
        return r.output
    }

    func testMitmproxyRecordingImportsAndRunsBackWithTheSameRequestsPerPath() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { throw XCTSkip("no /usr/bin/curl to drive the journey") }
        let mitmdump: String
        switch Mitmdump.locate() {
        case .success(let path): mitmdump = path
        case .failure(let why): throw XCTSkip("mitmproxy (\(Mitmdump.requirement)) is not available: \(why)")
        }
        let har = dir.appendingPathComponent("journey.har").path
        let proxy = try startRecorder(mitmdump, har: har)

        // The journey through the proxy: curl logs in, lists, fetches two items with the token; Barrage lists twice.
        server.resetCount()
        let login = try curl(["-X", "POST", "-H", "Content-Type: application/json",
                              "--data", #"{"user":"user01","password":"pw-user01"}"#, proxy + "/api/login"])
        let token = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(login.utf8)) as? [String: Any])["token"] as? String
        let t = try XCTUnwrap(token, login)
        _ = try curl([proxy + "/api/items"])
        for id in [3, 5] { XCTAssertTrue(try curl(["-H", "Authorization: Bearer \(t)", proxy + "/api/items/\(id)"]).contains("\"id\":\(id)")) }
        let driven = try BarrageBinary.run(["run", proxy + "/api/items?n=3", "-n", "2", "-c", "1", "--quiet"], timeout: 60)
        XCTAssertEqual(driven.status, 0, driven.stderr)
        let recordedCounts = try apiCounts()
        XCTAssertEqual(recordedCounts["login"], 1)
        XCTAssertEqual(recordedCounts["item"], 2)

        // SIGINT to the PID started above: mitmdump writes the HAR as it exits.
        kill(try XCTUnwrap(mitm).pid, SIGINT)
        let stopped = try XCTUnwrap(mitm).wait(timeout: 60)
        mitm = nil
        XCTAssertNotNil(stopped.status, "mitmdump ended on SIGINT: \(stopped.output)")
        let recording = try HarFile.parse(Data(contentsOf: URL(fileURLWithPath: har)))
        XCTAssertEqual(recording.log.entries.count, 6, stopped.output)

        let profile = dir.appendingPathComponent("journey.yaml").path
        let imported = try BarrageBinary.run(["import", "har", har, "-o", profile, "--base-url", server.baseURL], timeout: 30)
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stderr.contains("(6 requests, 1 capture proposed); give -e BASE_URL=…"), imported.stderr)
        let written = try String(contentsOfFile: profile, encoding: .utf8)
        XCTAssertTrue(written.contains("capture: { token: { json: \"$.token\" } }"), written)
        XCTAssertTrue(written.contains("Authorization: \"Bearer ${token}\""), written)
        XCTAssertFalse(written.contains(t), "the recorded token is replaced by the capture")

        // Run back against the server directly: the same requests per path, the items authorized.
        server.resetCount()
        let json = dir.appendingPathComponent("r.json").path
        let run = try BarrageBinary.run(["run", profile, "-e", "BASE_URL=" + server.baseURL, "--json", json, "--quiet"], timeout: 60)
        XCTAssertEqual(run.status, 0, run.stderr)
        let r = try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(r.requests.total, 6)
        XCTAssertEqual(r.requests.ok, 6)
        XCTAssertEqual(r.plan.targets.map(\.name), ["api_login", "api_items", "api_items_3", "api_items_5", "api_items_2", "api_items_4"])
        let replayCounts = try apiCounts()
        XCTAssertEqual(replayCounts, recordedCounts, "the same /api/ requests per outcome and path as recorded")
        XCTAssertEqual(replayCounts["unauthorized"], 0, "the captured token authorized the item requests")
        XCTAssertEqual(replayCounts["items"], 3)
    }

    func testBadHarFilesAreOneLineAndExit2() throws {
        let cases: [(String, String)] = [
            ("{\"log\": ", "not JSON"),
            ("{\"som\": 1}", "not a HAR file (no log.entries)"),
            ("{\"log\": {\"entries\": [{\"startedDateTime\": \"2026-01-01T00:00:00Z\", \"request\": {\"method\": \"GET\", \"url\": \"http://127.0.0.1:9/a.css\"}}]}}",
             "no requests to import (1 static asset left out; --include-assets keeps them)"),
        ]
        for (n, (text, expected)) in cases.enumerated() {
            let file = dir.appendingPathComponent("bad\(n).har").path
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let out = dir.appendingPathComponent("out\(n).yaml").path
            let r = try BarrageBinary.run(["import", "har", file, "-o", out], timeout: 30)
            XCTAssertEqual(r.status, 2, r.stderr)
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(file) && r.stderr.contains(expected), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
        let missing = try BarrageBinary.run(["import", "har", dir.appendingPathComponent("none.har").path], timeout: 30)
        XCTAssertEqual(missing.status, 2, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("none.har: cannot read"), missing.stderr)
        let think = try BarrageBinary.run(["import", "har", "x.har", "--think", "often"], timeout: 30)
        XCTAssertEqual(think.status, 2, think.stderr)
        XCTAssertTrue(think.stderr.contains("--think 'often'"), think.stderr)
    }
}
