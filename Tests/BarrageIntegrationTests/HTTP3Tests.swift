import XCTest
import BarrageCore
import BarrageTestSupport
@testable import BarrageCLI

/// `--http 3`: HTTP/3 over QUIC against a real HTTP/3 server on loopback — ngtcp2's `gtlsserver` from Debian's
/// bookworm-backports — run by the second build (`make build CURL=gnutls`, linked against libcurl 8.14.1's GnuTLS
/// flavour; `LibcurlGnutls`), and its refusal by a binary whose libcurl has no HTTP/3 (the default build).
final class HTTP3Tests: XCTestCase {
    var tmp: URL!
    var server: Process?

    override func setUpWithError() throws {
        tmp = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let server, server.isRunning { server.terminate(); server.waitUntilExit() }
        try? FileManager.default.removeItem(at: tmp)
    }

    /// The check itself, fed described libcurls rather than the loaded one.
    func testTheHTTP3CheckAsksTheLibcurlItIsGiven() throws {
        let openssl = LibcurlInfo(versionNumber: 0x08_0E_01, version: "8.14.1", sslVersion: "OpenSSL/3.0.19", protocols: ["https"], features: ["HTTP2"])
        var gnutls = openssl
        gnutls.sslVersion = "GnuTLS/3.7.9"
        gnutls.features = ["HTTP2", "HTTP3"]
        XCTAssertNoThrow(try RequestOptions.checkHTTP3(httpVersion: "3", urls: ["https://a/", "HTTPS://b/x"], libcurl: gnutls))
        XCTAssertNoThrow(try RequestOptions.checkHTTP3(httpVersion: "2", urls: ["https://a/"], libcurl: openssl), "only --http 3")
        XCTAssertThrowsError(try RequestOptions.checkHTTP3(httpVersion: "3", urls: ["https://a/"], libcurl: openssl)) { error in
            XCTAssertEqual((error as? BarrageError)?.status, .usage)
            let message = (error as? BarrageError)?.message ?? ""
            XCTAssertTrue(message.contains("the loaded one is 8.14.1 (OpenSSL/3.0.19) without it"), message)
            XCTAssertTrue(message.contains("make release CURL=gnutls"), message)
        }
        for libcurl in [gnutls, openssl] {
            XCTAssertThrowsError(try RequestOptions.checkHTTP3(httpVersion: "3", urls: ["https://a/", "http://user:secret@b/"], libcurl: libcurl)) { error in
                let message = (error as? BarrageError)?.message ?? ""
                XCTAssertTrue(message.hasPrefix("--http 3: HTTP/3 runs over QUIC with TLS, so it needs https:// URLs"), message)
                XCTAssertFalse(message.contains("secret"), "the URL is redacted: \(message)")
            }
        }
    }

    /// The default build loads a libcurl without HTTP/3 (7.88.1, or 8.14.1's OpenSSL flavour in the second
    /// transport pass): one line naming it and the GnuTLS build, exit 2, nothing sent — in run, scale and capacity.
    func testHTTP3IsRefusedWhenTheLoadedLibcurlHasNoHTTP3() throws {
        let verbose = try BarrageBinary.run(["version", "--verbose"], timeout: 20)
        guard verbose.stdout.contains("  HTTP/3 (--http 3): no") else {
            throw XCTSkip("the loaded libcurl offers HTTP/3: \(verbose.stdout)")
        }
        let version = verbose.stdout.split(separator: "\n").first { $0.hasPrefix("libcurl:") }?.split(separator: " ").dropFirst().first ?? ""
        let out = try BarrageBinary.run(["run", "https://127.0.0.1:1/", "-n", "1", "--http", "3"], timeout: 20)
        XCTAssertEqual(out.status, 2, out.stderr)
        XCTAssertEqual(out.stderr.split(separator: "\n").count, 1, out.stderr)
        for part in ["--http 3 needs a libcurl with HTTP/3", "the loaded one is \(version)", "make release CURL=gnutls", "README, Protocols"] {
            XCTAssertTrue(out.stderr.contains(part), "\(part) in \(out.stderr)")
        }
        // scale and capacity refuse it the same way.
        for args in [["scale", "https://127.0.0.1:1/", "--levels", "1,2", "-n", "1", "--http", "3"],
                     ["capacity", "https://127.0.0.1:1/", "--slo", "p99<100ms", "--http", "3"]] {
            let other = try BarrageBinary.run(args, timeout: 20)
            XCTAssertEqual(other.status, 2, "\(args[0]): \(other.stderr)")
            XCTAssertTrue(other.stderr.contains("--http 3 needs a libcurl with HTTP/3"), "\(args[0]): \(other.stderr)")
        }
        let plain = try BarrageBinary.run(["run", "http://127.0.0.1:1/", "-n", "1", "--http", "3"], timeout: 20)
        XCTAssertEqual(plain.status, 2, plain.stderr)
        XCTAssertTrue(plain.stderr.contains("needs https:// URLs"), plain.stderr)
        let unknown = try BarrageBinary.run(["run", "https://127.0.0.1:1/", "-n", "1", "--http", "4"], timeout: 20)
        XCTAssertEqual(unknown.status, 2, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("--http '4': expected 1.1, 2, 3 or auto"), unknown.stderr)
    }

    /// 50 requests from 5 workers to gtlsserver over HTTP/3: every one ok, every one counted as HTTP/3, the QUIC
    /// handshake in the connect and tls phases of each new connection; the result passes the schema. Then the
    /// server's self-signed certificate: refused without `--cacert` (tls errors), accepted with it.
    func testHTTP3AgainstGtlsserver() throws {
        if let missing = LibcurlGnutls.missing {
            print("HTTP3Tests: skipped — \(missing)")
            throw XCTSkip(missing)
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            print("HTTP3Tests: skipped — openssl is not installed (for the server's self-signed certificate)")
            throw XCTSkip("openssl is not installed")
        }
        let binary = LibcurlGnutls.binaryPath!
        let verbose = try BarrageBinary.run(["version", "--verbose"], timeout: 20, executable: binary)
        XCTAssertTrue(verbose.stdout.contains("TLS:       GnuTLS/"), verbose.stdout)
        XCTAssertTrue(verbose.stdout.contains("  HTTP/3 (--http 3): yes"), "the GnuTLS build loads its own libcurl 8: \(verbose.stdout)")

        let docs = tmp.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        let body = Data((0..<1_000).map { UInt8($0 % 251) })
        try body.write(to: docs.appendingPathComponent("file"))
        let key = tmp.appendingPathComponent("key.pem").path, cert = tmp.appendingPathComponent("cert.pem").path
        let made = try runTool("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"])
        XCTAssertEqual(made.status, 0, made.output)
        let port = try startGtlsserver(docs: docs.path, key: key, cert: cert)

        let json = tmp.appendingPathComponent("out.json").path
        let out = try BarrageBinary.run(["run", "https://127.0.0.1:\(port)/file", "--http", "3", "--insecure", "-n", "50", "-c", "5",
                                         "--json", json, "--quiet"], timeout: 60, executable: binary)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(r.requests.ok, 50)
        XCTAssertEqual(r.requests.failed, 0)
        XCTAssertEqual(r.status_codes, ["200": 50])
        XCTAssertEqual(r.protocols, ["HTTP/3": 50])
        XCTAssertEqual(r.plan.http_version, "3")
        XCTAssertEqual(r.connections.new + r.connections.reused, 50)
        XCTAssertTrue((1...5).contains(r.connections.new), "at most one QUIC connection per worker: \(r.connections)")
        XCTAssertEqual(r.phases_us.tls.count, r.connections.new, "the QUIC handshake of every new connection")
        XCTAssertEqual(r.phases_us.connect.count, r.connections.new)
        XCTAssertGreaterThan(r.phases_us.tls.max + r.phases_us.connect.max, 0)
        try assertMatchesSchema(json)

        // Certificates are checked over QUIC as over TCP: the self-signed one fails without --cacert, passes with it.
        let unverified = tmp.appendingPathComponent("unverified.json").path
        let refused = try BarrageBinary.run(["run", "https://127.0.0.1:\(port)/file", "--http", "3", "-n", "2", "-c", "1",
                                             "--json", unverified, "--quiet"], timeout: 60, executable: binary)
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertEqual(try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: unverified))).errors, ["tls": 2])
        let verified = tmp.appendingPathComponent("verified.json").path
        let trusted = try BarrageBinary.run(["run", "https://127.0.0.1:\(port)/file", "--http", "3", "-n", "2", "-c", "1",
                                             "--cacert", cert, "--json", verified, "--quiet"], timeout: 60, executable: binary)
        XCTAssertEqual(trusted.status, 0, trusted.stderr)
        XCTAssertEqual(try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: verified))).protocols, ["HTTP/3": 2])
    }

    /// `--no-keepalive` over HTTP/3 is one QUIC connection per request, as over HTTP/1.1 (before, libcurl kept a
    /// connection open while its other streams ran and new transfers joined it: 2,000 requests from 50 workers
    /// made about 40 connections).
    func testNoKeepaliveOverHTTP3IsOneConnectionPerRequest() throws {
        if let missing = LibcurlGnutls.missing {
            print("HTTP3Tests: skipped — \(missing)")
            throw XCTSkip(missing)
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            print("HTTP3Tests: skipped — openssl is not installed (for the server's self-signed certificate)")
            throw XCTSkip("openssl is not installed")
        }
        let docs = tmp.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: docs.appendingPathComponent("file"))
        let key = tmp.appendingPathComponent("key.pem").path, cert = tmp.appendingPathComponent("cert.pem").path
        let made = try runTool("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"])
        XCTAssertEqual(made.status, 0, made.output)
        let port = try startGtlsserver(docs: docs.path, key: key, cert: cert)
        let json = tmp.appendingPathComponent("out.json").path
        let out = try BarrageBinary.run(["run", "https://127.0.0.1:\(port)/file", "--http", "3", "--cacert", cert, "-n", "200", "-c", "20",
                                         "--no-keepalive", "--json", json, "--quiet"], timeout: 60, executable: LibcurlGnutls.binaryPath!)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(r.requests.ok, 200)
        XCTAssertEqual(r.protocols, ["HTTP/3": 200], "still HTTP/3, one stream per connection")
        XCTAssertEqual(r.connections.new, 200, "a new connection for every request")
        XCTAssertEqual(r.connections.reused, 0)
        XCTAssertEqual(r.phases_us.tls.count, 200, "a QUIC handshake for every request")
    }

    /// Starts gtlsserver on a free loopback UDP port (`LoopbackPeer`, probed with a UDP socket) and waits until the
    /// server holds it; returns the port. A port taken between the probe and the server's bind is tried again with
    /// another.
    private func startGtlsserver(docs: String, key: String, cert: String) throws -> Int {
        let peer = try LoopbackPeer.start("gtlsserver", transport: .udp) { port in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: LibcurlGnutls.serverPath!)
            p.arguments = ["-q", "--no-quic-dump", "--no-http-dump", "-d", docs, "127.0.0.1", String(port), key, cert]
            p.environment = ProcessInfo.processInfo.environment.merging(["LD_LIBRARY_PATH": LibcurlGnutls.libraryDirectory!]) { _, given in given }
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            p.standardInput = FileHandle.nullDevice
            return p
        }
        server = peer.process
        return peer.port
    }

    private func runTool(_ path: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, output)
    }

}
