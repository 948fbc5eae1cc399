import XCTest
import BarrageCore
import BarrageTestSupport

/// `barrage run wss://…` against PyPI `websockets`' echo server speaking TLS with a self-signed certificate made by
/// `openssl req`: trusted with `--cacert` (every message answered, the peer's count equal), refused without it
/// (the handshakes fail with class `tls`, exit 1).
final class WebSocketTLSRunTests: WebSocketEndToEndCase {
    func testWssWithAndWithoutTheCertificate() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            print("WebSocketTLSRunTests: skipped — openssl is not installed (for the peer's self-signed certificate)")
            throw XCTSkip("openssl is not installed")
        }
        let peer: WebSocketsPeer
        switch WebSocketsPeer.make() {
        case .success(let made): peer = made
        case .failure(let why): throw XCTSkip("websockets (\(PythonWebsockets.requirement)) is not available: \(why)")
        }
        let key = path("key.pem"), cert = path("cert.pem")
        let made = ExternalProcess.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                                                            "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                                                            "-addext", "subjectAltName=IP:127.0.0.1"], timeout: 60)
        XCTAssertEqual(made.status, 0, made.output)
        let peerPort = try peer.start(tls: (certificate: cert, key: key))
        XCTAssertEqual(peer.baseURL, "wss://127.0.0.1:\(peerPort)")
        let url = "wss://127.0.0.1:\(peerPort)/"

        let (trusted, r, json) = try run(["-c", "3", "-n", "150", "--cacert", cert], url: url)
        let (refused, unverified, _) = try run(["-c", "2", "-n", "10"], url: url)
        let counts = try peer.stop()

        XCTAssertEqual(trusted.status, 0, trusted.stderr)
        let m = try XCTUnwrap(r?.messages, trusted.stderr)
        assertAccounted(m)
        XCTAssertEqual(m.answered, 150)
        XCTAssertEqual(r?.requests.ok, 3)
        XCTAssertEqual(r?.phases_us.tls.count, 3, "a TLS handshake per connection")
        try assertSchemaValid(json)

        XCTAssertEqual(refused.status, 1, "no ok handshake: \(refused.stderr)")
        XCTAssertEqual(unverified?.errors, ["tls": 2], "the self-signed certificate is not trusted without --cacert")
        XCTAssertEqual(unverified?.requests.failed, 2)
        XCTAssertEqual(unverified?.messages?.total, 0, "no message was due on a connection that never opened")

        XCTAssertEqual(counts.messages, 150, "the peer's own count")
        XCTAssertEqual(counts.connections, 3, "only the trusted run's connections were accepted")
    }
}
