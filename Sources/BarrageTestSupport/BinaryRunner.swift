import Foundation

/// Runs the built `barrage` binary from tests, bounded in time.
public enum BarrageBinary {
    /// The `barrage` executable beside the test bundle (SwiftPM puts products and tests in one folder).
    public static var path: String {
        if let env = ProcessInfo.processInfo.environment["BARRAGE_BIN"] { return env }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("barrage").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        for name in [".build/debug/barrage", ".build/release/barrage"] where FileManager.default.isExecutableFile(atPath: name) {
            return name
        }
        return "barrage"
    }

    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var seconds: Double
    }

    /// A running `barrage` process whose output is collected into files.
    public final class Running: @unchecked Sendable {
        public let process: Process
        let outURL: URL
        let errURL: URL
        let started = Date()

        init(process: Process, outURL: URL, errURL: URL) {
            self.process = process
            self.outURL = outURL
            self.errURL = errURL
        }

        public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

        /// Waits at most `timeout` seconds; kills the process if it is still running then.
        public func wait(timeout: Double) -> Outcome {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                process.terminate()
                usleep(200_000)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            process.waitUntilExit()
            let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
            let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
            return Outcome(status: process.terminationStatus, stdout: out, stderr: err,
                           seconds: Date().timeIntervalSince(started))
        }

        /// The collected stdout so far.
        public var stdoutSoFar: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
        /// The collected stderr so far.
        public var stderrSoFar: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }
    }

    /// `environment`: variables set for the process on top of this one's. `executable`: another `barrage` than
    /// `path` (the GnuTLS build, `LibcurlGnutls.binaryPath`).
    public static func start(_ arguments: [String], environment: [String: String] = [:], executable: String? = nil) throws -> Running {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable ?? path)
        p.arguments = arguments
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        }
        let dir = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        let outURL = dir.appendingPathComponent("barrage-\(id).out")
        let errURL = dir.appendingPathComponent("barrage-\(id).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        p.standardError = try FileHandle(forWritingTo: errURL)
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return Running(process: p, outURL: outURL, errURL: errURL)
    }

    /// Starts `barrage serve --port 0` and reads its URL from the first line (within 10 s; killed and thrown otherwise).
    public static func startServer() throws -> (server: Running, baseURL: String) {
        let server = try start(["serve", "--port", "0"])
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let line = server.stdoutSoFar.split(separator: "\n").first, line.hasPrefix("listening on ") {
                return (server, String(line.dropFirst("listening on ".count)))
            }
            usleep(20_000)
        }
        server.signal(SIGKILL)
        _ = server.wait(timeout: 2)
        throw NSError(domain: "BarrageBinary", code: 1, userInfo: [NSLocalizedDescriptionKey: "barrage serve did not start"])
    }

    /// Runs `barrage ARGS…` to its end (killed after `timeout` seconds).
    public static func run(_ arguments: [String], timeout: Double = 60, environment: [String: String] = [:],
                           executable: String? = nil) throws -> Outcome {
        try start(arguments, environment: environment, executable: executable).wait(timeout: timeout)
    }
}

/// A fresh temporary directory, removed by the caller.
public func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("barrage-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A minimal blocking HTTP/1.1 GET over a fresh loopback connection (Foundation on Linux cannot fetch http URLs
/// synchronously). Returns the status and body; bounded by `timeout` seconds.
public func httpGet(_ urlString: String, timeout: Int = 5) throws -> (status: Int, body: String) {
    guard let url = URL(string: urlString), let host = url.host, let port = url.port else {
        throw NSError(domain: "httpGet", code: 1, userInfo: [NSLocalizedDescriptionKey: "bad URL \(urlString)"])
    }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw NSError(domain: "httpGet", code: 2) }
    defer { close(fd) }
    var tv = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, host, &addr.sin_addr)
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw NSError(domain: "httpGet", code: 3, userInfo: [NSLocalizedDescriptionKey: "connect failed"]) }
    let path = url.path.isEmpty ? "/" : url.path + (url.query.map { "?" + $0 } ?? "")
    let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
    _ = request.withCString { send(fd, $0, strlen($0), 0) }
    var data = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = recv(fd, &buf, buf.count, 0)
        if n <= 0 { break }
        data.append(contentsOf: buf[0..<n])
    }
    let text = String(decoding: data, as: UTF8.self)
    guard let headerEnd = text.range(of: "\r\n\r\n") else { throw NSError(domain: "httpGet", code: 4) }
    let statusLine = text[..<headerEnd.lowerBound].split(separator: "\r\n").first ?? ""
    let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return (status, String(text[headerEnd.upperBound...]))
}
