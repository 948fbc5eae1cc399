import XCTest
import BarrageTestSupport

/// An external server (nghttpd, nginx, openssl s_server, Prometheus, gtlsserver, …) that a test starts on a loopback
/// port it has to name on the command line. Such a port is only free at the moment it is probed: any other process on
/// the machine may take it before the peer binds it, and the peer then exits (or never listens). `start` picks a port,
/// starts the peer, waits until *that process* holds a socket on the port, and on an early exit or a peer that never
/// gets there picks another port and tries again: three attempts, a line printed for each retry.
final class LoopbackPeer {
    enum Transport { case tcp, udp }

    /// The peer's process, to terminate at the end of the test (`stop`).
    let process: Process
    /// The port the peer holds.
    let port: Int

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    /// Starts the peer that `make(port)` describes (a `Process` not yet run) on a probed free loopback port.
    ///
    /// Ready means: the process holds a socket bound to the port (a listening one for TCP), read from `/proc`, so a
    /// port some other process took meanwhile is never mistaken for the peer's; then `ready(port)`, when given (e.g.
    /// Prometheus's `/-/ready`). Each attempt waits at most `readySeconds`. After the last failed attempt the test
    /// fails with the peer's name and the attempt throws.
    static func start(_ name: String, transport: Transport = .tcp, attempts: Int = 3, readySeconds: Double = 15,
                      ready: ((Int) -> Bool)? = nil, file: StaticString = #filePath, line: UInt = #line,
                      _ make: (Int) throws -> Process) throws -> LoopbackPeer {
        let (process, port) = try retrying(name, transport: transport, attempts: attempts, readySeconds: readySeconds, ready: ready,
                                           file: file, line: line, launch: { port in
                                               let process = try make(port)
                                               try process.run()
                                               return process
                                           }, process: { $0 }, stop: { stop($0) })
        return LoopbackPeer(process: process, port: port)
    }

    /// A quiet peer (output discarded, stdin held open) from `executable` and its command line `args(port)`.
    static func start(executable: String, file: StaticString = #filePath, line: UInt = #line,
                      _ args: (Int) throws -> [String]) throws -> LoopbackPeer {
        try start(URL(fileURLWithPath: executable).lastPathComponent, file: file, line: line) { port in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = try args(port)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            p.standardInput = Pipe()
            return p
        }
    }

    /// Starts `barrage` with a command line that names a loopback port to listen on (`--metrics-addr 127.0.0.1:PORT`):
    /// returns once the process holds the port, or has exited (its outcome is the test's to check). A run that exits
    /// because the port was taken meanwhile ("cannot listen") is started again on another port, like a peer.
    static func startBarrage(_ arguments: (Int) -> [String], environment: [String: String] = [:], file: StaticString = #filePath,
                             line: UInt = #line) throws -> (run: BarrageBinary.Running, port: Int) {
        try retrying("barrage", transport: .tcp, attempts: 3, readySeconds: 30, ready: nil, file: file, line: line,
                     launch: { try BarrageBinary.start(arguments($0), environment: environment) }, process: { $0.process },
                     stop: { run in
                         if run.process.isRunning { run.signal(SIGTERM) }
                         _ = run.wait(timeout: 10)
                     }, gaveUp: { run in !run.stderrSoFar.contains("cannot listen") })
    }

    /// The attempts: probe a port, `launch` on it, wait until the process holds it (and `ready`). An attempt whose
    /// process exits first is retried on another port unless `gaveUp` says that exit was the process's own answer.
    private static func retrying<Launched>(_ name: String, transport: Transport, attempts: Int, readySeconds: Double,
                                           ready: ((Int) -> Bool)?, file: StaticString, line: UInt,
                                           launch: (Int) throws -> Launched, process: (Launched) -> Process,
                                           stop: (Launched) -> Void,
                                           gaveUp: (Launched) -> Bool = { _ in false }) throws -> (Launched, Int) {
        var why = ""
        for attempt in 1...attempts {
            let port = try probePort(transport)
            let launched = try launch(port)
            let p = process(launched)
            let deadline = Date().addingTimeInterval(readySeconds)
            var held = false
            while p.isRunning && Date() < deadline {
                held = held || holdsSocket(pid: p.processIdentifier, port: port, transport: transport)
                if held && (ready?(port) ?? true) { return (launched, port) }
                usleep(50_000)
            }
            if !p.isRunning && gaveUp(launched) { return (launched, port) }
            why = p.isRunning ? "not ready on port \(port) after \(Int(readySeconds)) s"
                              : "exited (status \(p.terminationStatus)) before it held port \(port)"
            stop(launched)
            if attempt < attempts { print("LoopbackPeer: \(name) \(why); retrying on another port (attempt \(attempt + 1) of \(attempts))") }
        }
        XCTFail("\(name) did not start after \(attempts) attempts: \(why)", file: file, line: line)
        throw XCTSkip("\(name) did not start")
    }

    /// Terminates the peer and waits for it.
    func stop() { Self.stop(process) }

    private static func stop(_ process: Process) {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// A loopback port that was free a moment ago for `transport`: a socket of that kind bound to 127.0.0.1:0, read
    /// back, closed.
    static func probePort(_ transport: Transport) throws -> Int {
        let kind = transport == .tcp ? SOCK_STREAM : SOCK_DGRAM
        let fd = socket(AF_INET, Int32(kind.rawValue), 0)
        guard fd >= 0 else { throw XCTSkip("socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw XCTSkip("cannot bind a loopback socket") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Whether process `pid` holds a socket on local port `port` (any address, IPv4 or IPv6; TCP: in LISTEN state).
    /// `/proc/net/{tcp,tcp6,udp,udp6}` give each socket's local port, state and inode; `/proc/PID/fd` links name the
    /// inodes the process holds.
    static func holdsSocket(pid: Int32, port: Int, transport: Transport) -> Bool {
        let tables = transport == .tcp ? ["/proc/net/tcp", "/proc/net/tcp6"] : ["/proc/net/udp", "/proc/net/udp6"]
        let portHex = String(format: "%04X", port)
        var inodes: Set<String> = []
        for table in tables {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for row in text.split(separator: "\n").dropFirst() {
                let fields = row.split(separator: " ")
                guard fields.count > 9, fields[1].hasSuffix(":" + portHex) else { continue }
                if transport == .tcp && fields[3] != "0A" { continue } // 0A: TCP_LISTEN
                inodes.insert(String(fields[9]))
            }
        }
        guard !inodes.isEmpty else { return false }
        let fdDirectory = "/proc/\(pid)/fd"
        guard let fds = try? FileManager.default.contentsOfDirectory(atPath: fdDirectory) else { return false }
        return fds.contains { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdDirectory)/\(fd)"),
                  target.hasPrefix("socket:[") else { return false }
            return inodes.contains(String(target.dropFirst("socket:[".count).dropLast()))
        }
    }
}

/// A loopback TCP port that refuses connections for as long as the returned socket stays open: bound, never
/// listening, so no other process can take the port meanwhile. Close the descriptor at the end of the test.
func refusingLoopbackPort() throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw XCTSkip("socket() failed") }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { close(fd); throw XCTSkip("cannot bind a loopback socket") }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}
