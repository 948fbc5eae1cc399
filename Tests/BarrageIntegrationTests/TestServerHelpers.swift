import XCTest
import BarrageTargetServer

/// The demo API's own counts (`/stats` → `api`) by outcome: what the embedded server saw, for tests to hold a result
/// against.
func demoAPICounts(port: Int) throws -> [String: Int] {
    let response = try BlockingHTTPConnection(port: port).request(path: "/stats")
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    return try XCTUnwrap(object["api"] as? [String: Any]).mapValues { ($0 as? Int) ?? -1 }
}

/// The embedded server's top-level counts in `/stats`: `requests` and the `/ws` route's `ws_upgrades`, `ws_refused`,
/// `ws_messages_received`, `ws_messages_sent`, `ws_closes_sent` (the `/stats` request itself is in `requests`).
func statsCounts(port: Int) throws -> [String: Int] {
    let response = try BlockingHTTPConnection(port: port).request(path: "/stats")
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    return object.compactMapValues { $0 as? Int }
}

/// A loopback port that was free a moment ago (the embedded server bound it on port 0, then let it go). Only for a URL
/// nothing connects to: a peer started on such a port races every other process for it (`LoopbackPeer`), and a port
/// that must refuse connections is `refusingLoopbackPort()`.
func freeLoopbackPort() throws -> Int {
    let probe = try TargetServer.start(host: "127.0.0.1", port: 0)
    defer { try? probe.shutdown() }
    return probe.port
}

/// Whether something accepts TCP connections on 127.0.0.1:`port` now (a peer the test started is up).
func loopbackAccepts(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// Tests/Interop/validate_schema.py on `path` against `schema/NAME`: an assertion failure naming what the validator
/// found. Where it cannot run here (exit 3: no `jsonschema`; 127: no python3) a line says so and nothing fails.
func assertMatchesSchema(_ path: String, schema name: String = "result.v1.schema.json",
                         file: StaticString = #filePath, line: UInt = #line) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", SchemaTests.validator.path, SchemaTests.schemaDir.appendingPathComponent(name).path, path]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    if p.terminationStatus == 3 || p.terminationStatus == 127 {
        print("schema check of \((path as NSString).lastPathComponent) skipped: \(output)")
        return
    }
    XCTAssertEqual(p.terminationStatus, 0, output, file: file, line: line)
}
