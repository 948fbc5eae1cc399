import XCTest
import BarrageTestSupport

/// `LoopbackPeer` itself: the race it exists for (a port taken between the probe and the peer's bind) is made to
/// happen on purpose, with small python3 servers as peers.
final class LoopbackPeerTests: XCTestCase {
    var peers: [LoopbackPeer] = []

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("python3 is not installed") }
    }

    override func tearDown() {
        peers.forEach { $0.stop() }
    }

    /// python3 binding 127.0.0.1:`port` (listening for TCP) and then waiting; it exits at once when the bind fails.
    private func pythonServer(_ port: Int, udp: Bool = false) -> Process {
        let kind = udp ? "SOCK_DGRAM" : "SOCK_STREAM"
        let listen = udp ? "" : "s.listen(); "
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", "import socket, sys, time; s = socket.socket(socket.AF_INET, socket.\(kind)); "
                       + "s.bind(('127.0.0.1', int(sys.argv[1]))); \(listen)time.sleep(600)", String(port)]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        return p
    }

    func testAPortTakenBeforeThePeerBindsIsRetriedOnAnother() throws {
        var attempts: [Int] = []
        var squatter: Int32 = -1
        defer { if squatter >= 0 { close(squatter) } }
        let peer = try LoopbackPeer.start("python3") { port in
            attempts.append(port)
            if attempts.count == 1 {
                // Another process takes the port first: here this one, listening on it, so it even accepts connections.
                squatter = try listeningSocket(port: port)
            }
            return pythonServer(port)
        }
        peers.append(peer)
        XCTAssertEqual(attempts.count, 2, "the first peer exited on its failed bind; the second port was free")
        XCTAssertEqual(peer.port, attempts.last)
        XCTAssertNotEqual(attempts.first, attempts.last)
        XCTAssertTrue(peer.process.isRunning)
        XCTAssertTrue(LoopbackPeer.holdsSocket(pid: peer.process.processIdentifier, port: peer.port, transport: .tcp))
        XCTAssertTrue(loopbackAccepts(port: peer.port))
    }

    func testAUDPPeerIsSeenOnItsPort() throws {
        let peer = try LoopbackPeer.start("python3 udp", transport: .udp) { pythonServer($0, udp: true) }
        peers.append(peer)
        XCTAssertTrue(LoopbackPeer.holdsSocket(pid: peer.process.processIdentifier, port: peer.port, transport: .udp))
        XCTAssertFalse(LoopbackPeer.holdsSocket(pid: peer.process.processIdentifier, port: peer.port, transport: .tcp))
    }

    func testSocketsOfOtherProcessesAreNotThePeers() throws {
        let (fd, port) = try listening()
        defer { close(fd) }
        let peer = try LoopbackPeer.start("python3") { pythonServer($0) }
        peers.append(peer)
        XCTAssertFalse(LoopbackPeer.holdsSocket(pid: peer.process.processIdentifier, port: port, transport: .tcp),
                       "this test's own listening socket is not the peer's")
        XCTAssertTrue(LoopbackPeer.holdsSocket(pid: getpid(), port: port, transport: .tcp))
    }

    /// nginx's master process binds the listening socket its workers inherit: the master is the process seen.
    func testNginxIsSeenListening() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") else { throw XCTSkip("nginx is not installed") }
        let prefix = try makeTemporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let peer = try LoopbackPeer.start("nginx") { port in
            let conf = "worker_processes 1; pid \(prefix)/nginx.pid; error_log \(prefix)/error.log warn; events { worker_connections 16; } "
                + "http { access_log off; client_body_temp_path \(prefix)/body; server { listen 127.0.0.1:\(port); return 200 ok; } }"
            try conf.write(toFile: "\(prefix)/nginx.conf", atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
            p.arguments = ["-p", prefix, "-c", "\(prefix)/nginx.conf", "-e", "\(prefix)/error.log", "-g", "daemon off;"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            return p
        }
        peers.append(peer)
        XCTAssertTrue(loopbackAccepts(port: peer.port))
    }

    func testARefusingPortRefuses() throws {
        let (fd, port) = try refusingLoopbackPort()
        defer { close(fd) }
        XCTAssertFalse(loopbackAccepts(port: port))
        XCTAssertThrowsError(try listeningSocket(port: port), "the port stays taken while the socket is open")
    }

    private func listening() throws -> (Int32, Int) {
        let port = try LoopbackPeer.probePort(.tcp)
        return (try listeningSocket(port: port), port)
    }

    /// A TCP socket listening on 127.0.0.1:`port`; throws when the port is taken.
    private func listeningSocket(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        return fd
    }
}
