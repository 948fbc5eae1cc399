import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer
@testable import BarrageCLI

/// h2c (`--http 2` on `http://`, prior knowledge) against real HTTP/2 peers on loopback — `nghttpd --no-tls` and
/// nginx's `listen … http2;` — with libcurl 8.x from `.build-tools/libcurl8` on `LD_LIBRARY_PATH` (`Libcurl8`), and
/// its refusal on the system's libcurl 7.x. The same binary serves both: the check asks the library it loaded.
final class H2CTests: XCTestCase {
    var tmp: URL!
    var peers: [Process] = []

    override func setUpWithError() throws {
        tmp = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        for p in peers where p.isRunning { p.terminate(); p.waitUntilExit() }
        try? FileManager.default.removeItem(at: tmp)
    }

    /// Starts a peer on a free loopback port (`LoopbackPeer`: another port when that one was taken meanwhile) and
    /// returns the port; `args(port)` is its command line.
    private func startPeer(_ executable: String, _ args: (Int) throws -> [String]) throws -> Int {
        let peer = try LoopbackPeer.start(executable: executable, args)
        peers.append(peer.process)
        return peer.port
    }

    private func run(_ args: [String], environment: [String: String]) throws -> (BarrageBinary.Outcome, RunResult?) {
        let json = tmp.appendingPathComponent("r-\(UUID().uuidString).json").path
        let out = try BarrageBinary.run(["run"] + args + ["--json", json, "--quiet"], timeout: 60, environment: environment)
        let result = (try? Data(contentsOf: URL(fileURLWithPath: json))).flatMap { try? RunResult.decode($0) }
        return (out, result)
    }

    /// 400 requests from 20 workers on one engine thread: every one ok, all HTTP/2, streams multiplexed on few
    /// connections.
    private func assertMultiplexedH2C(_ url: String, environment: [String: String], file: StaticString = #filePath, line: UInt = #line) throws {
        let (out, r) = try run([url, "-c", "20", "-n", "400", "--http", "2", "--threads", "1"], environment: environment)
        XCTAssertEqual(out.status, 0, out.stderr, file: file, line: line)
        XCTAssertEqual(r?.requests.ok, 400, file: file, line: line)
        XCTAssertEqual(r?.requests.failed, 0, file: file, line: line)
        XCTAssertEqual(r?.protocols, ["HTTP/2": 400], "h2c is HTTP/2", file: file, line: line)
        XCTAssertLessThanOrEqual(r?.connections.new ?? 99, 2, "20 streams multiplexed on one connection", file: file, line: line)
    }

    private func libcurl8() throws -> [String: String] {
        guard let env = Libcurl8.environment else {
            print("H2CTests: skipped — \(Libcurl8.skipReason)")
            throw XCTSkip(Libcurl8.skipReason)
        }
        let version = try Libcurl8.loadedVersion(environment: env)
        XCTAssertEqual(version?.hasPrefix("8."), true, "the binary loads libcurl 8 from \(env): \(version ?? "nothing")")
        return env
    }

    func testVersionVerboseNamesTheLoadedLibcurl() throws {
        let out = try BarrageBinary.run(["version", "--verbose"], timeout: 20, environment: Libcurl8.systemEnvironment)
        XCTAssertEqual(out.status, 0, out.stderr)
        for prefix in ["barrage 0.1.0", "libcurl:", "TLS:", "protocols:", "features:", "  h2c (--http 2 on http://):"] {
            XCTAssertTrue(out.stdout.contains(prefix), "\(prefix) in \(out.stdout)")
        }
        XCTAssertTrue(out.stdout.contains(" https"), out.stdout)
        let plain = try BarrageBinary.run(["version"], timeout: 20)
        XCTAssertEqual(plain.stdout, "barrage 0.1.0\n")
        guard let env = Libcurl8.environment else { print("H2CTests: libcurl 8 part skipped — \(Libcurl8.skipReason)"); return }
        let eight = try BarrageBinary.run(["version", "--verbose"], timeout: 20, environment: env)
        XCTAssertTrue(eight.stdout.contains("libcurl:   8."), eight.stdout)
        XCTAssertTrue(eight.stdout.contains(env["LD_LIBRARY_PATH"]!), "names the file it was loaded from: \(eight.stdout)")
        XCTAssertTrue(eight.stdout.contains("  h2c (--http 2 on http://): yes"), eight.stdout)
        XCTAssertTrue(eight.stdout.contains(" ws wss") || eight.stdout.contains(" ws "), "8.14.1 enables WebSockets: \(eight.stdout)")
    }

    /// The check itself, fed a described libcurl rather than the loaded one.
    func testTheH2CCheckAsksTheLibcurlItIsGiven() throws {
        let seven = LibcurlInfo(versionNumber: 0x07_58_01, version: "7.88.1", sslVersion: nil, protocols: ["http"], features: ["HTTP2"])
        let eight = LibcurlInfo(versionNumber: 0x08_0E_01, version: "8.14.1", sslVersion: nil, protocols: ["http"], features: ["HTTP2"])
        var eightWithoutHTTP2 = eight
        eightWithoutHTTP2.features = []
        let h2c = (http: "2", urls: ["http://a/"])
        XCTAssertNoThrow(try RequestOptions.checkH2C(httpVersion: h2c.http, urls: h2c.urls, libcurl: eight))
        XCTAssertNoThrow(try RequestOptions.checkH2C(httpVersion: "2", urls: ["https://a/"], libcurl: seven), "TLS is not h2c")
        XCTAssertNoThrow(try RequestOptions.checkH2C(httpVersion: "auto", urls: ["http://a/"], libcurl: seven), "auto is HTTP/1.1 on http://")
        for (info, expected) in [(seven, "the loaded one is 7.88.1 (its reused h2c connections fail, curl issue 10634"),
                                 (eightWithoutHTTP2, "the loaded one is 8.14.1 (built without HTTP/2)")] {
            XCTAssertThrowsError(try RequestOptions.checkH2C(httpVersion: h2c.http, urls: h2c.urls, libcurl: info)) { error in
                let message = (error as? BarrageError)?.message ?? ""
                XCTAssertEqual((error as? BarrageError)?.status, .usage)
                XCTAssertTrue(message.contains(expected), message)
                XCTAssertTrue(message.contains("bookworm-backports"), message)
            }
        }
    }

    func testH2CIsRefusedOnLibcurl7WithTheInstallLine() throws {
        let env = Libcurl8.systemEnvironment
        guard let version = try Libcurl8.loadedVersion(environment: env), version.hasPrefix("7.") else {
            throw XCTSkip("the system's libcurl is not 7.x")
        }
        let out = try BarrageBinary.run(["run", "http://127.0.0.1:1/", "-n", "1", "--http", "2"], timeout: 20, environment: env)
        XCTAssertEqual(out.status, 2, out.stderr)
        let lines = out.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, out.stderr)
        for part in ["--http 2", "8.0.0", "the loaded one is \(version)", "10634", "bookworm-backports", "LD_LIBRARY_PATH="] {
            XCTAssertTrue(out.stderr.contains(part), "\(part) in \(out.stderr)")
        }
        // https:// is not h2c: no refusal (the run fails to connect instead, exit 1).
        let tls = try BarrageBinary.run(["run", "https://127.0.0.1:1/", "-n", "1", "--http", "2", "--quiet"], timeout: 20, environment: env)
        XCTAssertEqual(tls.status, 1, tls.stderr)
    }

    /// `scale` and `capacity` make the same check as `run`: one line, exit 2, and the target never sees a request.
    func testScaleAndCapacityRefuseH2COnLibcurl7() throws {
        let env = Libcurl8.systemEnvironment
        guard let version = try Libcurl8.loadedVersion(environment: env), version.hasPrefix("7.") else {
            throw XCTSkip("the system's libcurl is not 7.x")
        }
        let server = try TargetServer.start(host: "127.0.0.1", port: 0)
        defer { try? server.shutdown() }
        let url = server.baseURL + "/"
        let commands = [["scale", url, "--levels", "1,2", "-n", "4", "--http", "2"],
                        ["capacity", url, "--slo", "error_rate < 1%", "--from", "10", "--step-duration", "1s", "--warmup", "0s",
                         "--http", "2"]]
        for args in commands {
            let out = try BarrageBinary.run(args, timeout: 30, environment: env)
            XCTAssertEqual(out.status, 2, "\(args[0]): \(out.stdout)\(out.stderr)")
            XCTAssertEqual(out.stderr.split(separator: "\n").count, 1, "\(args[0]): \(out.stderr)")
            for part in ["--http 2", "8.0.0", "the loaded one is \(version)", "10634", "bookworm-backports"] {
                XCTAssertTrue(out.stderr.contains(part), "\(args[0]): \(part) in \(out.stderr)")
            }
        }
        XCTAssertEqual(server.requestsReceived, 0, "refused before anything is sent")
    }

    func testH2CAgainstNghttpdOnLibcurl8() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nghttpd") else {
            print("H2CTests: skipped — nghttpd (nghttp2-server) is not installed")
            throw XCTSkip("nghttpd (nghttp2-server) is not installed")
        }
        let env = try libcurl8()
        let docroot = tmp.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: docroot, withIntermediateDirectories: true)
        try "hello\n".write(to: docroot.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        let port = try startPeer("/usr/sbin/nghttpd") { ["--no-tls", "-d", docroot.path, String($0)] }
        try assertMultiplexedH2C("http://127.0.0.1:\(port)/index.html", environment: env)
    }

    /// `--no-keepalive` over HTTP/2 is one connection per request, as over HTTP/1.1: nothing multiplexed, nothing
    /// reused, although 20 workers have streams in flight at once (with keep-alive they share one connection).
    func testNoKeepaliveOverH2CIsOneConnectionPerRequest() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nghttpd") else {
            print("H2CTests: skipped — nghttpd (nghttp2-server) is not installed")
            throw XCTSkip("nghttpd (nghttp2-server) is not installed")
        }
        let env = try libcurl8()
        let docroot = tmp.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: docroot, withIntermediateDirectories: true)
        try "hello\n".write(to: docroot.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        let port = try startPeer("/usr/sbin/nghttpd") { ["--no-tls", "-d", docroot.path, String($0)] }
        let (out, r) = try run(["http://127.0.0.1:\(port)/index.html", "-c", "20", "-n", "300", "--http", "2", "--threads", "1",
                                "--no-keepalive"], environment: env)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertEqual(r?.requests.ok, 300)
        XCTAssertEqual(r?.protocols, ["HTTP/2": 300], "still HTTP/2, one stream per connection")
        XCTAssertEqual(r?.connections.new, 300, "a new connection for every request")
        XCTAssertEqual(r?.connections.reused, 0)
        XCTAssertEqual(r?.plan.keepalive, false)
    }

    func testH2CAgainstNginxOnLibcurl8() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") else {
            print("H2CTests: skipped — nginx is not installed (nginx-light)")
            throw XCTSkip("nginx is not installed (nginx-light)")
        }
        let env = try libcurl8()
        let prefix = tmp.path
        // One worker, no daemon, everything under the temporary prefix; `listen … http2` without ssl is h2c.
        let port = try startPeer("/usr/sbin/nginx") { port in
            let conf = """
            worker_processes 1;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path \(prefix)/body;
                server {
                    listen 127.0.0.1:\(port) http2;
                    location / { default_type text/plain; return 200 "hello, world\\n"; }
                }
            }
            """
            try conf.write(toFile: "\(prefix)/nginx.conf", atomically: true, encoding: .utf8)
            return ["-p", prefix, "-c", "\(prefix)/nginx.conf", "-e", "\(prefix)/error.log", "-g", "daemon off;"]
        }
        try assertMultiplexedH2C("http://127.0.0.1:\(port)/", environment: env)
    }
}
