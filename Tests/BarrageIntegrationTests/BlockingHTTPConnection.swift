import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A minimal blocking HTTP/1.1 client for the target server's live tests (TargetServerTests, DemoAPITests).

/// A parsed response: status, lower-cased header names, body.
struct HTTPTestResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

struct HTTPTestError: Error, CustomStringConvertible {
    var description: String
}

/// One blocking TCP connection to 127.0.0.1 with 5 s send and receive timeouts, speaking just
/// enough HTTP/1.1 for these tests (Content-Length framed responses).
final class BlockingHTTPConnection {
    private var fd: Int32
    private var buffered: [UInt8] = []
    private(set) var connectCount = 0

    init(port: Int, timeoutSeconds: Int = 5) throws {
        #if canImport(Glibc)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw HTTPTestError(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HTTPTestError(description: "connect: errno \(code)")
        }
        connectCount += 1
    }

    deinit {
        close()
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw HTTPTestError(description: "send: errno \(errno)") }
            offset += sent
        }
    }

    /// Reads whatever arrives next; empty at end of stream.
    func readSome() throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw HTTPTestError(description: "recv: errno \(errno) (timeout?)") }
        return Array(chunk[0..<count])
    }

    /// Whether the server closes the connection (after any bytes still in flight) within the timeout.
    func readsEndOfStream() throws -> Bool {
        buffered.removeAll()
        while true {
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    func request(
        method: String = "GET",
        path: String,
        headers: [(String, String)] = [],
        body: [UInt8] = [],
        expectBody: Bool = true
    ) throws -> HTTPTestResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
        }
        if !body.isEmpty || method == "POST" {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        try send(Array(head.utf8) + body)
        return try readResponse(expectBody: expectBody)
    }

    /// Sends a GET and counts the body bytes without keeping them.
    func requestCountingBody(path: String) throws -> Int {
        try send(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let (_, headers) = try readHead()
        guard let length = headers["content-length"].flatMap({ Int($0) }) else {
            throw HTTPTestError(description: "no content-length")
        }
        var received = min(buffered.count, length)
        buffered.removeFirst(received)
        while received < length {
            let chunk = try readSome()
            guard !chunk.isEmpty else { break }
            received += chunk.count
        }
        return received
    }

    func readResponse(expectBody: Bool = true) throws -> HTTPTestResponse {
        let (status, headers) = try readHead()
        var length = 0
        if expectBody && status != 204 && status != 304 {
            guard let declared = headers["content-length"].flatMap({ Int($0) }) else {
                throw HTTPTestError(description: "no content-length")
            }
            length = declared
        }
        while buffered.count < length {
            let chunk = try readSome()
            guard !chunk.isEmpty else { throw HTTPTestError(description: "closed mid-body") }
            buffered += chunk
        }
        let body = Array(buffered[0..<length])
        buffered.removeFirst(length)
        return HTTPTestResponse(status: status, headers: headers, body: body)
    }

    private func readHead() throws -> (Int, [String: String]) {
        let head = try readHeadMeasured()
        return (head.status, head.headers)
    }

    /// Reads a response head, leaving any body bytes after it buffered; `byteCount` is the head's
    /// size including the blank line.
    func readHeadMeasured() throws -> (status: Int, headers: [String: String], byteCount: Int) {
        let terminator = Array("\r\n\r\n".utf8)
        var headEnd: Int? = nil
        // Only the bytes that arrived since the last look (and 3 before them) need searching.
        var searchFrom = 0
        while headEnd == nil {
            if let index = Self.find(terminator, in: buffered, from: searchFrom) {
                headEnd = index
                break
            }
            searchFrom = max(0, buffered.count - (terminator.count - 1))
            let chunk = try readSome()
            guard !chunk.isEmpty else { throw HTTPTestError(description: "closed before response head") }
            buffered += chunk
        }
        let headText = String(decoding: buffered[0..<headEnd!], as: UTF8.self)
        let byteCount = headEnd! + terminator.count
        buffered.removeFirst(byteCount)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw HTTPTestError(description: "bad status line: \(headText)")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers, byteCount)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int = 0) -> Int? {
        guard haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        for start in from...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    /// How a read-to-the-end finished.
    enum StreamEnd: Equatable {
        /// A FIN: `recv` returned 0.
        case endOfStream
        /// A TCP reset: `recv` failed with `ECONNRESET`.
        case reset
        /// Nothing arrived within the receive timeout.
        case timedOut
        /// Another `recv` error.
        case failed(errno: Int32)
    }

    /// Returns every byte that arrives (starting with any already buffered after a head) until
    /// the stream ends, is reset, fails or times out, and how it ended.
    func readToEnd() -> (bytes: [UInt8], end: StreamEnd) {
        var bytes = buffered
        buffered.removeAll()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                bytes += chunk[0..<count]
                continue
            }
            if count == 0 { return (bytes, .endOfStream) }
            let code = errno
            switch code {
            case ECONNRESET: return (bytes, .reset)
            case EAGAIN, EWOULDBLOCK: return (bytes, .timedOut)
            default: return (bytes, .failed(errno: code))
            }
        }
    }

    /// Reads exactly `length` body bytes after a head.
    func readBody(length: Int) throws -> [UInt8] {
        while buffered.count < length {
            let chunk = try readSome()
            guard !chunk.isEmpty else { throw HTTPTestError(description: "closed mid-body") }
            buffered += chunk
        }
        let body = Array(buffered[0..<length])
        buffered.removeFirst(length)
        return body
    }

    /// Changes the receive timeout (5 s from `init` otherwise).
    func setReceiveTimeout(milliseconds: Int) {
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: .init((milliseconds % 1000) * 1000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends a GET without reading anything back.
    func sendGet(path: String) throws {
        try send(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
    }
}
