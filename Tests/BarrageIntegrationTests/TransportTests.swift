import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer

/// TLS, HTTP/2 and connection controls against real peers on loopback: `openssl s_server` and `nghttpd` from Debian's
/// packages, with certificates generated here by the openssl CLI.
final class TransportTests: XCTestCase {
    var tmp: URL!
    var peers: [Process] = []

    override func setUpWithError() throws {
        tmp = try makeTemporaryDirectory()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else { throw XCTSkip("openssl is not installed") }
    }

    override func tearDownWithError() throws {
        for p in peers where p.isRunning { p.terminate(); p.waitUntilExit() }
        try? FileManager.default.removeItem(at: tmp)
    }

    private func path(_ name: String) -> String { tmp.appendingPathComponent(name).path }

    @discardableResult
    private func shell(_ executable: String, _ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// A self-signed certificate for localhost and 127.0.0.1.
    private func makeCertificate(_ name: String) throws {
        XCTAssertEqual(try shell("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("\(name).key"),
                                                      "-out", path("\(name).pem"), "-days", "1", "-subj", "/CN=localhost",
                                                      "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]), 0)
    }

    /// Starts a peer on a free loopback port (`LoopbackPeer`: another port when that one was taken meanwhile) and
    /// returns the port; `args(port)` is its command line.
    private func startPeer(_ executable: String, _ args: (Int) throws -> [String]) throws -> Int {
        let peer = try LoopbackPeer.start(executable: executable, args)
        peers.append(peer.process)
        return peer.port
    }

    private func run(_ args: [String]) throws -> (BarrageBinary.Outcome, RunResult?) {
        let json = path("r-\(UUID().uuidString).json")
        let out = try BarrageBinary.run(["run"] + args + ["--json", json, "--quiet"], timeout: 60)
        let result = (try? Data(contentsOf: URL(fileURLWithPath: json))).flatMap { try? RunResult.decode($0) }
        return (out, result)
    }

    func testSelfSignedIsRejectedByDefaultAndAcceptedWithCACertOrInsecure() throws {
        try makeCertificate("server")
        let port = try startPeer("/usr/bin/openssl") { ["s_server", "-accept", String($0), "-cert", self.path("server.pem"),
                                                        "-key", self.path("server.key"), "-www", "-quiet"] }
        let url = "https://127.0.0.1:\(port)/"
        let (rejected, r1) = try run([url, "-c", "1", "-n", "2"])
        XCTAssertEqual(rejected.status, 1, "no ok response: " + rejected.stderr)
        XCTAssertEqual(r1?.errors, ["tls": 2], "verification on by default")
        XCTAssertTrue(r1?.error_messages["tls"]?.contains("certificate") ?? false, "\(r1?.error_messages ?? [:])")

        let (trusted, r2) = try run([url, "-c", "1", "-n", "2", "--cacert", path("server.pem")])
        XCTAssertEqual(trusted.status, 0, trusted.stderr)
        XCTAssertEqual(r2?.requests.ok, 2)
        XCTAssertEqual(r2?.phases_us.tls.count, 2, "TLS handshake times recorded")
        XCTAssertNil(r2?.plan.tls_verify)

        let json = path("insecure.json")
        let insecure = try BarrageBinary.run(["run", url, "-c", "1", "-n", "2", "--insecure", "--json", json], timeout: 60)
        XCTAssertEqual(insecure.status, 0)
        XCTAssertTrue(insecure.stdout.contains("INSECURE"), insecure.stdout)
        let r3 = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(r3.requests.ok, 2)
        XCTAssertEqual(r3.plan.tls_verify, false, "noted in the result")

        // --resolve keeps the name for SNI and verification while connecting to the chosen address.
        let (resolved, r4) = try run(["https://staging.example.invalid:\(port)/", "-c", "1", "-n", "1", "--insecure",
                                      "--resolve", "staging.example.invalid:\(port):127.0.0.1"])
        XCTAssertEqual(resolved.status, 0, resolved.stderr)
        XCTAssertEqual(r4?.requests.ok, 1)
        let (tls13, r5) = try run([url, "-c", "1", "-n", "1", "--insecure", "--tls-min", "1.3"])
        XCTAssertEqual(tls13.status, 0)
        XCTAssertEqual(r5?.requests.ok, 1, "openssl 3 speaks TLS 1.3")
    }

    func testMutualTLS() throws {
        try makeCertificate("server")
        try makeCertificate("client")
        let port = try startPeer("/usr/bin/openssl") { ["s_server", "-accept", String($0), "-cert", self.path("server.pem"),
                                                        "-key", self.path("server.key"), "-Verify", "1", "-CAfile", self.path("client.pem"),
                                                        "-www", "-quiet"] }
        let url = "https://127.0.0.1:\(port)/"
        let (ok, r1) = try run([url, "-c", "1", "-n", "2", "--cacert", path("server.pem"), "--cert", path("client.pem"), "--key", path("client.key")])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(r1?.requests.ok, 2)
        // Without a client certificate the server refuses; TLS 1.3 reports that refusal after the handshake, as a read error.
        let (refused, r2) = try run([url, "-c", "1", "-n", "2", "--cacert", path("server.pem")])
        XCTAssertEqual(refused.status, 1, "no ok response")
        XCTAssertEqual(r2?.requests.ok, 0)
        XCTAssertEqual(r2?.requests.failed, 2)
        XCTAssertTrue(Set(r2?.errors.keys.map { $0 } ?? []).isSubset(of: ["tls", "read"]), "\(r2?.errors ?? [:])")
    }

    func testHTTP2OverTLSIsNegotiatedAndMultiplexed() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nghttpd") else { throw XCTSkip("nghttpd (nghttp2-server) is not installed") }
        try makeCertificate("server")
        let docroot = tmp.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: docroot, withIntermediateDirectories: true)
        try "hello\n".write(to: docroot.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        let port = try startPeer("/usr/sbin/nghttpd") { ["-d", docroot.path, String($0), self.path("server.key"), self.path("server.pem")] }
        let url = "https://127.0.0.1:\(port)/index.html"
        let (out, r) = try run([url, "-c", "20", "-n", "400", "--http", "2", "--insecure", "--threads", "1"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertEqual(r?.requests.ok, 400)
        XCTAssertEqual(r?.protocols, ["HTTP/2": 400], "the negotiated protocol is recorded")
        XCTAssertLessThanOrEqual(r?.connections.new ?? 99, 2, "20 streams multiplexed on one connection per shard")
        // The connect phase on HTTP/2 does not force a connection per worker: the warm-up streams multiplex too.
        let (pre, rp) = try run([url, "-c", "20", "-n", "200", "--http", "2", "--insecure", "--threads", "1", "--preconnect"])
        XCTAssertEqual(pre.status, 0, pre.stderr)
        XCTAssertEqual(rp?.requests.ok, 200)
        XCTAssertEqual(rp?.connect_phase?.requests.ok, 20)
        XCTAssertLessThanOrEqual(rp?.connect_phase?.connections ?? 99, 2)
        XCTAssertEqual(rp?.connections.new, 0, "the run reuses the phase's connection")
        XCTAssertGreaterThan(rp?.connect_phase?.tls_us.count ?? 0, 0, "TLS handshakes are timed in the phase")
        let (auto, r2) = try run([url, "-c", "2", "-n", "10", "--http", "auto", "--insecure"])
        XCTAssertEqual(auto.status, 0)
        XCTAssertEqual(r2?.protocols, ["HTTP/2": 10])
        // Without --http, HTTP/1.1 is offered (never libcurl's HTTPS default of HTTP/2): nghttpd speaks only h2.
        // nghttpd does not answer HTTP/1.1, so that run has no ok response (exit 1) and no HTTP/2 transfer.
        let (plain, r3) = try run([url, "-c", "1", "-n", "2", "--insecure"])
        XCTAssertEqual(plain.status, 1, plain.stderr)
        XCTAssertEqual(r3?.requests.ok, 0)
        XCTAssertEqual(r3?.requests.failed, 2)
        XCTAssertNil(r3?.protocols["HTTP/2"])
    }

    func testConnectionControlsOnTheEmbeddedServer() throws {
        let server = try TargetServer.start(host: "127.0.0.1", port: 0)
        defer { try? server.shutdown() }
        // --max-connection-age: a 1 s age over 2.5 s opens new connections.
        let (aged, r1) = try run([server.baseURL + "/delay/50", "-c", "1", "-d", "2500ms", "--max-connection-age", "1s"])
        XCTAssertEqual(aged.status, 0, aged.stderr)
        XCTAssertGreaterThanOrEqual(r1?.connections.new ?? 0, 2)
        // --local-address: round-robin over loopback source addresses.
        let (local, r2) = try run([server.baseURL + "/", "-c", "4", "-n", "40", "--local-address", "127.0.0.2", "--local-address", "127.0.0.3"])
        XCTAssertEqual(local.status, 0, local.stderr)
        XCTAssertEqual(r2?.requests.ok, 40)
        // --connect-to: a name pointed at the embedded server.
        let (pointed, r3) = try run(["http://api.example.invalid:80/", "-c", "1", "-n", "3", "--connect-to", "api.example.invalid:80:127.0.0.1:\(server.port)"])
        XCTAssertEqual(pointed.status, 0, pointed.stderr)
        XCTAssertEqual(r3?.requests.ok, 3)
        // --compressed sends Accept-Encoding (the embedded server answers uncompressed; the run still succeeds).
        let (compressed, r4) = try run([server.baseURL + "/bytes/1000", "-c", "1", "-n", "3", "--compressed"])
        XCTAssertEqual(compressed.status, 0)
        XCTAssertEqual(r4?.throughput.body_bytes_in, 3_000)
        // --proxy: the embedded server accepts absolute-form requests, so it can stand in for a forward proxy.
        server.resetCount()
        let (proxied, r6) = try run(["http://backend.example.invalid/", "-c", "1", "-n", "5", "--proxy", server.baseURL])
        XCTAssertEqual(proxied.status, 0, proxied.stderr)
        XCTAssertEqual(r6?.requests.ok, 5)
        XCTAssertEqual(server.requestsReceived, 5, "every request went through the proxy")
        // --unix-socket: a small HTTP server on a Unix domain socket.
        let socketPath = path("http.sock")
        let script = """
        import http.server, socketserver, sys
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'
            def do_GET(self):
                self.send_response(200); self.send_header('Content-Length', '2'); self.end_headers(); self.wfile.write(b'ok')
            def log_message(self, *a): pass
        class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer): daemon_threads = True
        S(sys.argv[1], H).serve_forever()
        """
        let py = Process()
        py.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        py.arguments = ["python3", "-c", script, socketPath]
        py.standardOutput = FileHandle.nullDevice
        py.standardError = FileHandle.nullDevice
        try py.run()
        peers.append(py)
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socketPath) { usleep(50_000) }
        let (unix, r7) = try run(["http://localhost/", "-c", "2", "-n", "6", "--unix-socket", socketPath])
        XCTAssertEqual(unix.status, 0, unix.stderr)
        XCTAssertEqual(r7?.requests.ok, 6)
        // --follow-redirects: /redirect/2 → /redirect/1 → /redirect/0 (200). Followed, the final status counts;
        // not followed, the 302 is the complete response.
        server.resetCount()
        let (followed, r5) = try run([server.baseURL + "/redirect/2", "-c", "1", "-n", "4", "--follow-redirects", "3"])
        XCTAssertEqual(followed.status, 0)
        XCTAssertEqual(r5?.status_codes, ["200": 4])
        XCTAssertEqual(server.requestsReceived, 12, "three hops per request")
        let (notFollowed, r6b) = try run([server.baseURL + "/redirect/2", "-c", "1", "-n", "2"])
        XCTAssertEqual(notFollowed.status, 0)
        XCTAssertEqual(r6b?.status_codes, ["302": 2], "redirects are counted by status")
        let (tooMany, r6c) = try run([server.baseURL + "/redirect/5", "-c", "1", "-n", "2", "--follow-redirects", "2"])
        XCTAssertEqual(tooMany.status, 1, "no ok response")
        XCTAssertEqual(r6c?.errors, ["protocol": 2], "too many redirects")
    }

    func testPreconnectAndBufferSizeFromTheCLI() throws {
        let server = try TargetServer.start(host: "127.0.0.1", port: 0)
        defer { try? server.shutdown() }
        let (out, r) = try run([server.baseURL + "/", "-c", "300", "-n", "1500", "--preconnect", "--buffer-size", "4k"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let result = try XCTUnwrap(r)
        XCTAssertEqual(result.requests.ok, 1_500)
        XCTAssertEqual(result.connections.new, 0, "every connection was opened before the clock")
        XCTAssertEqual(result.connect_phase?.connections, 300)
        XCTAssertEqual(result.connect_phase?.requests.ok, 300)
        XCTAssertEqual(server.requestsReceived, 1_800, "the phase's requests plus the run's, each once")
        XCTAssertEqual(result.plan.transport?["preconnect"], "true")
        XCTAssertEqual(result.plan.transport?["buffer_size"], "4096")
        XCTAssertTrue(out.stdout.contains("Connect     300 connections opened in"), out.stdout)
    }

    func testBadTransportFlagsAreUsageErrors() throws {
        let cases: [[String]] = [["--buffer-size", "512"], ["--buffer-size", "1g"], ["--buffer-size", "lots"], ["--tls-min", "1.1"], ["--cacert", "/nonexistent.pem"], ["--cert", "/etc/hostname"],
                                 ["--resolve", "nohostport"], ["--connect-to", "a:1:b"], ["--http", "3"], ["--max-streams", "0"],
                                 ["--proxy", "not a url"], ["--max-connection-age", "10ms"], ["--follow-redirects", "-1"]]
        for extra in cases {
            let out = try BarrageBinary.run(["run", "http://127.0.0.1:1/", "-n", "1"] + extra, timeout: 20)
            XCTAssertEqual(out.status, 2, "\(extra): \(out.stderr)")
            XCTAssertTrue(out.stderr.contains(extra[0]), "\(extra): \(out.stderr)")
        }
        // h2c's refusal on libcurl 7.x is tested in H2CTests (on the system's libcurl, whichever this pass loads).
    }
}
