import XCTest
import BarrageCore
import BarrageTargetServer
import BarrageTestSupport
@testable import BarrageCLI

/// `barrage import curl` and `barrage run --curl` through the built binary: commands in the forms Chromium and Firefox
/// copy, pointed at the embedded server, imported, validated and run; the server's own counts show what arrived.
final class CurlImportRunTests: XCTestCase {
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

    private func result(_ path: String) throws -> RunResult {
        try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A token as the browser had it when the commands were copied.
    private func token() throws -> String {
        let response = try BlockingHTTPConnection(port: server.port).request(
            method: "POST", path: "/api/login", headers: [("Content-Type", "application/json")],
            body: Array(#"{"user":"ann","password":"pw-ann"}"#.utf8))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        return try XCTUnwrap(object["token"] as? String)
    }

    func testChromiumCopiesImportAsAFlowWithSecretsThatValidatesAndRuns() throws {
        let base = server.baseURL
        let t = try token()
        // Chromium's bash form: one flag per line, -b for cookies, --compressed on every command.
        let text = """
        curl '\(base)/api/login' \\
          -H 'accept: application/json' \\
          -H 'accept-language: en-US,en;q=0.9' \\
          -H 'content-type: application/json' \\
          -H 'origin: \(base)' \\
          -H 'sec-ch-ua-platform: "Linux"' \\
          -H 'sec-fetch-mode: cors' \\
          -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' \\
          --data-raw '{"user":"ann","password":"pw-ann"}' \\
          --compressed ;
        curl '\(base)/api/items/7' \\
          -H 'accept: application/json' \\
          -H 'authorization: Bearer \(t)' \\
          -H 'referer: \(base)/shop' \\
          --compressed
        curl '\(base)/api/session' \\
          -H 'accept: application/json' \\
          -b 'session=\(t); theme=dark' \\
          --compressed
        """
        let profile = dir.appendingPathComponent("recorded.yaml").path
        let imported = try BarrageBinary.run(["import", "curl", text, "-o", profile, "--base-url", base], timeout: 30)
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stderr.contains("-e BASE_URL=… -e AUTH_TOKEN=… -e COOKIE_SECRET=…"), imported.stderr)
        let written = try String(contentsOfFile: profile, encoding: .utf8)
        XCTAssertFalse(written.contains(t), "the token is a variable, not in the file")
        XCTAssertTrue(written.contains("# secrets: give them with -e NAME=…"), written)

        let missing = try BarrageBinary.run(["validate", profile, "-e", "BASE_URL=" + base], timeout: 30)
        XCTAssertEqual(missing.status, 2, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("AUTH_TOKEN"), missing.stderr)
        let vars = ["-e", "BASE_URL=" + base, "-e", "AUTH_TOKEN=" + t, "-e", "COOKIE_SECRET=session=\(t); theme=dark"]
        let validated = try BarrageBinary.run(["validate", profile] + vars, timeout: 30)
        XCTAssertEqual(validated.status, 0, validated.stderr)

        server.resetCount()
        let json = dir.appendingPathComponent("r.json").path
        let run = try BarrageBinary.run(["run", profile, "--json", json, "--quiet"] + vars, timeout: 60)
        XCTAssertEqual(run.status, 0, run.stderr)
        let r = try result(json)
        XCTAssertEqual(r.requests.total, 3)
        XCTAssertEqual(r.plan.targets.map(\.name), ["api_login", "api_items_7", "api_session"])
        for step in ["api_login", "api_items_7", "api_session"] { XCTAssertEqual(r.targets[step]?.requests.ok, 1, step) }
        let api = try apiCounts()
        XCTAssertEqual(api["login"], 1)
        XCTAssertEqual(api["item"], 1, "the bearer token given with -e arrived")
        XCTAssertEqual(api["session"], 1, "the cookie given with -e arrived")
        XCTAssertEqual(api["unauthorized"], 0)
        XCTAssertEqual(server.requestsReceived, 3 + 1)
    }

    func testFirefoxCopyImportsToStandardOutputAndRunsAgainstEcho() throws {
        let base = server.baseURL
        // Firefox's form: one line, -X POST, $'…' because the body holds quotes and a newline.
        let body = "line \"one\"\nit's two"
        let text = "curl '\(base)/echo?access_token=abc123&page=2' -X POST -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' -H 'Accept: */*' -H 'Accept-Language: en-US,en;q=0.5' -H 'Accept-Encoding: gzip, deflate, br, zstd' -H 'Content-Type: text/plain;charset=UTF-8' -H 'Origin: \(base)' -H 'Connection: keep-alive' -H 'Sec-Fetch-Dest: empty' -H 'Priority: u=4' --data-raw $'line \"one\"\\nit\\'s two'"
        let imported = try BarrageBinary.run(["import", "curl", text], timeout: 30)
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("access_token=${ACCESS_TOKEN}&page=2"), imported.stdout)
        XCTAssertTrue(imported.stdout.contains("Accept-Encoding, Connection, Sec-Fetch-Dest"), imported.stdout)
        let profile = dir.appendingPathComponent("ff.yaml").path
        try imported.stdout.write(toFile: profile, atomically: true, encoding: .utf8)

        let json = dir.appendingPathComponent("r.json").path
        let raw = dir.appendingPathComponent("r.ndjson").path
        let run = try BarrageBinary.run(["run", profile, "-e", "ACCESS_TOKEN=abc123", "--json", json, "--raw", raw, "--quiet"], timeout: 60)
        XCTAssertEqual(run.status, 0, run.stderr)
        let r = try result(json)
        XCTAssertEqual(r.requests.total, 1)
        XCTAssertEqual(r.requests.ok, 1)
        XCTAssertEqual(r.plan.targets.first?.method, "POST")
        XCTAssertEqual(r.plan.targets.first?.body_bytes, body.utf8.count)
        XCTAssertEqual(r.plan.targets.first?.url, base + "/echo?access_token=[REDACTED]&page=2", "a secret variable is redacted")
        // /echo answers with the body it got: the same response size as `run --body` with the body itself.
        func bytes(_ path: String) throws -> Int? {
            let line = try XCTUnwrap(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").first)
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["bytes"] as? Int
        }
        let raw2 = dir.appendingPathComponent("r2.ndjson").path
        let plain = try BarrageBinary.run(["run", base + "/echo", "-m", "POST", "--body", body, "-n", "1", "-c", "1", "--raw", raw2,
                                           "--quiet"], timeout: 60)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(try bytes(raw), try bytes(raw2))
        XCTAssertEqual(server.requestsReceived, 2)
    }

    func testRunCurlSendsTheCommandsRequestWithRunsFlags() throws {
        let command = "curl '\(server.baseURL)/echo' -H 'content-type: text/plain' -H 'sec-fetch-site: same-origin' --data-raw 'hello' -sS"
        let json = dir.appendingPathComponent("r.json").path
        let raw = dir.appendingPathComponent("r.ndjson").path
        let run = try BarrageBinary.run(["run", "--curl", command, "-n", "5", "-c", "1", "--json", json, "--raw", raw, "--quiet"], timeout: 60)
        XCTAssertEqual(run.status, 0, run.stderr)
        let r = try result(json)
        XCTAssertEqual(r.requests.total, 5)
        XCTAssertEqual(r.requests.ok, 5)
        XCTAssertEqual(r.plan.targets.first?.method, "POST")
        XCTAssertEqual(r.plan.targets.first?.body_bytes, 5)
        XCTAssertEqual(r.plan.targets.first?.headers, ["content-type: text/plain"])
        let lines = try String(contentsOfFile: raw, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines.allSatisfy { $0.contains("\"status\":200") }, "\(lines)")
        XCTAssertEqual(server.requestsReceived, 5)
    }

    /// `run --curl`'s protocol, with no network: curl's flag sets `--http` unless run's own `--http` is given.
    func testRunCurlTakesTheCommandsProtocolUnlessRunsHTTPIsGiven() throws {
        func version(_ command: String, _ runFlags: [String] = []) throws -> String {
            let c = try XCTUnwrap(CurlCommand.parseAll(command).first)
            return CurlRun.options(try RequestOptions.parse(runFlags), from: c).httpVersion
        }
        XCTAssertEqual(try version("curl --http3 https://h/"), "3")
        XCTAssertEqual(try version("curl --http3-only https://h/"), "3")
        XCTAssertEqual(try version("curl --http3 https://h/", ["--http", "2"]), "2", "run's --http wins")
        XCTAssertEqual(try version("curl --http3 http://h/"), "1.1", "curl speaks HTTP/1.1 on http://")
        XCTAssertEqual(try version("curl --http2-prior-knowledge http://h/"), "2", "h2c, as Barrage's --http 2 sends it")
        XCTAssertEqual(try version("curl --http2-prior-knowledge https://h/"), "2")
        XCTAssertEqual(try version("curl --http2 https://h/"), "2")
        XCTAssertEqual(try version("curl --http2 http://h/"), "1.1", "--http2 on http:// only asks to upgrade")
        XCTAssertEqual(try version("curl --http1.1 https://h/"), "1.1")
    }

    func testBadInputIsOneLineAndExit2BeforeAnythingIsSent() throws {
        let base = server.baseURL
        let cases: [([String], String)] = [
            (["import", "curl", "curl '\(base)/' --foo"], "unknown curl flag '--foo'"),
            (["import", "curl", "curl '\(base)/ -H 'a: b'"], "unterminated single quote"),
            (["import", "curl", "curl -s -H 'a: b'"], "the curl command has no URL"),
            (["import", "curl", "curl '\(base)/' -b cookies.txt"], "a cookie file is not read"),
            (["run", "--curl", "curl '\(base)/' --foo", "-n", "1"], "unknown curl flag '--foo'"),
            (["run", "--curl", "curl '\(base)/a'; curl '\(base)/b'", "-n", "1"], "run --curl takes one"),
            (["run", base + "/", "--curl", "curl '\(base)/'", "-n", "1"], "give no URL argument"),
            (["run", "--curl", "curl '\(base)/' -d x", "--body", "y", "-n", "1"], "--body: --curl sets the method and body"),
        ]
        for (args, expected) in cases {
            let out = try BarrageBinary.run(args, timeout: 30)
            XCTAssertEqual(out.status, 2, "\(args): \(out.stderr)")
            XCTAssertTrue(out.stderr.contains(expected), "\(args): \(out.stderr)")
            XCTAssertEqual(out.stderr.split(separator: "\n").count, 1, out.stderr)
        }
        XCTAssertEqual(server.requestsReceived, 0)
    }
}
