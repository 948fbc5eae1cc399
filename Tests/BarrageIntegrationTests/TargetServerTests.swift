import Foundation
import XCTest

@testable import BarrageTargetServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Live tests of the embedded target server over loopback, plus its pure routing and pacing.
final class TargetServerTests: XCTestCase {
    private var server: TargetServer?

    override func setUpWithError() throws {
        server = try TargetServer.start(host: "127.0.0.1", port: 0, threads: 2)
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
        server = nil
    }

    private func connect() throws -> BlockingHTTPConnection {
        try BlockingHTTPConnection(port: XCTUnwrap(server).port)
    }

    // MARK: Routes

    func testRootReturnsOK() throws {
        let connection = try connect()
        let response = try connection.request(path: "/")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.bodyText, "ok")
        XCTAssertEqual(response.headers["content-length"], "2")
    }

    func testBytesReturnsRequestedLength() throws {
        let connection = try connect()
        let response = try connection.request(path: "/bytes/100000")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-length"], "100000")
        XCTAssertEqual(response.body.count, 100_000)
        XCTAssertTrue(response.body.allSatisfy { $0 == UInt8(ascii: "x") })
        // The connection is still usable after a multi-chunk body.
        XCTAssertEqual(try connection.request(path: "/bytes/0").body.count, 0)
    }

    func testStatusReturnsRequestedCode() throws {
        let connection = try connect()
        XCTAssertEqual(try connection.request(path: "/status/503").status, 503)
        XCTAssertEqual(try connection.request(path: "/status/200").status, 200)
        XCTAssertEqual(try connection.request(path: "/status/599").status, 599)
        XCTAssertEqual(try connection.request(path: "/status/100").status, 400)
        XCTAssertEqual(try connection.request(path: "/status/600").status, 400)
        XCTAssertEqual(try connection.request(path: "/status/abc").status, 400)
    }

    func testStatus204HasNoBodyAndKeepsConnectionFramed() throws {
        let connection = try connect()
        let noContent = try connection.request(path: "/status/204")
        XCTAssertEqual(noContent.status, 204)
        XCTAssertEqual(noContent.body.count, 0)
        XCTAssertEqual(try connection.request(path: "/").bodyText, "ok")
    }

    func testHeadRequestAdvertisesLengthWithoutBody() throws {
        let connection = try connect()
        let response = try connection.request(method: "HEAD", path: "/bytes/1000", expectBody: false)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-length"], "1000")
        XCTAssertEqual(try connection.request(path: "/").bodyText, "ok")
    }

    func testDelayWaitsAtLeastTheRequestedTime() throws {
        let connection = try connect()
        let start = ContinuousClock.now
        let response = try connection.request(path: "/delay/100")
        let elapsed = ContinuousClock.now - start
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.bodyText, "ok")
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(100))
    }

    func testDripIsPacedAtTheRequestedRate() throws {
        let connection = try connect()
        let start = ContinuousClock.now
        let response = try connection.request(path: "/drip/200000?rate=1000000")
        let seconds = (ContinuousClock.now - start).seconds
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body.count, 200_000)
        // 200 kB at 1 MB/s: the last chunk is due ≥ 0.15 s after the first (paced). How much later it came is the
        // machine's (testDripKeepsAbsoluteDeadlinesOverALongBody holds a long body to its deadlines).
        XCTAssertGreaterThanOrEqual(seconds, 0.15)
    }

    func testDripKeepsAbsoluteDeadlinesOverALongBody() throws {
        let connection = try connect()
        let start = ContinuousClock.now
        let received = try connection.requestCountingBody(path: "/drip/10485760?rate=8738133")
        let seconds = (ContinuousClock.now - start).seconds
        XCTAssertEqual(received, 10_485_760)
        // The last chunk is due (N - last chunk) / rate ≈ 1.19 s after the first.
        XCTAssertGreaterThanOrEqual(seconds, 1.15)
        XCTAssertLessThanOrEqual(seconds, 2.5)
    }

    func testDripWithoutRateIsUnpaced() throws {
        let connection = try connect()
        let start = ContinuousClock.now
        let response = try connection.request(path: "/drip/1000000")
        XCTAssertEqual(response.body.count, 1_000_000)
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
    }

    func testEchoReturnsTheRequestBody() throws {
        let connection = try connect()
        let payload = Array((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let response = try connection.request(method: "POST", path: "/echo", body: payload)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body, payload)
        let empty = try connection.request(method: "POST", path: "/echo")
        XCTAssertEqual(empty.status, 200)
        XCTAssertEqual(empty.body.count, 0)
    }

    func testEchoAnswers413PastTheBodyLimitAndKeepsTheConnection() throws {
        let connection = try connect()
        // 65 MiB, chunked: the server drains what passes 64 MiB and answers at the end.
        let head = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        try connection.send(Array(head.utf8))
        let chunk = [UInt8](repeating: 0x61, count: 1024 * 1024)
        let chunkHeader = Array("\(String(chunk.count, radix: 16))\r\n".utf8)
        for _ in 0..<65 {
            try connection.send(chunkHeader + chunk + Array("\r\n".utf8))
        }
        try connection.send(Array("0\r\n\r\n".utf8))
        let response = try connection.readResponse()
        XCTAssertEqual(response.status, 413)
        XCTAssertEqual(try connection.request(path: "/").bodyText, "ok")
    }

    func testUnknownPathIs404() throws {
        let connection = try connect()
        XCTAssertEqual(try connection.request(path: "/nope").status, 404)
        XCTAssertEqual(try connection.request(path: "/bytes").status, 404)
        XCTAssertEqual(try connection.request(path: "/bytes/1/2").status, 404)
        XCTAssertEqual(try connection.request(path: "/bytes/-1").status, 400)
    }

    func testStatsReportsRequestCountAsJSON() throws {
        let server = try XCTUnwrap(server)
        let connection = try connect()
        _ = try connection.request(path: "/")
        _ = try connection.request(path: "/nope")
        let response = try connection.request(path: "/stats")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-type"], "application/json")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        XCTAssertEqual(json["requests"] as? Int, 3)
        XCTAssertEqual(server.requestsReceived, 3)
    }

    // MARK: Connections

    func testKeepAliveServesThreeRequestsOnOneConnection() throws {
        let server = try XCTUnwrap(server)
        let connection = try connect()
        for _ in 0..<3 {
            let response = try connection.request(path: "/")
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.bodyText, "ok")
            XCTAssertNil(response.headers["connection"])
        }
        XCTAssertEqual(connection.connectCount, 1)
        XCTAssertEqual(server.requestsReceived, 3)
    }

    func testPipelinedRequestsAreAnsweredInOrder() throws {
        let connection = try connect()
        let requests = ["/bytes/70000", "/delay/20", "/status/201"]
            .map { "GET \($0) HTTP/1.1\r\nHost: t\r\n\r\n" }
            .joined()
        try connection.send(Array(requests.utf8))
        XCTAssertEqual(try connection.readResponse().body.count, 70_000)
        XCTAssertEqual(try connection.readResponse().bodyText, "ok")
        XCTAssertEqual(try connection.readResponse().status, 201)
    }

    func testRequestsReceivedCountsExactlyAndResets() throws {
        let server = try XCTUnwrap(server)
        XCTAssertEqual(server.requestsReceived, 0)
        for path in ["/", "/bytes/10", "/status/404", "/missing", "/stats"] {
            let connection = try connect()
            _ = try connection.request(path: path)
        }
        XCTAssertEqual(server.requestsReceived, 5)
        server.resetCount()
        XCTAssertEqual(server.requestsReceived, 0)
        _ = try connect().request(path: "/")
        XCTAssertEqual(server.requestsReceived, 1)
    }

    func testConnectionCloseIsHonoured() throws {
        let connection = try connect()
        let response = try connection.request(path: "/", headers: [("Connection", "close")])
        XCTAssertEqual(response.bodyText, "ok")
        XCTAssertEqual(response.headers["connection"], "close")
        XCTAssertTrue(try connection.readsEndOfStream())
    }

    func testHTTP10ClosesByDefault() throws {
        let connection = try connect()
        try connection.send(Array("GET / HTTP/1.0\r\n\r\n".utf8))
        XCTAssertEqual(try connection.readResponse().bodyText, "ok")
        XCTAssertTrue(try connection.readsEndOfStream())
    }

    func testMalformedRequestClosesTheConnection() throws {
        let connection = try connect()
        try connection.send(Array("this is not http\r\n\r\n".utf8))
        XCTAssertTrue(try connection.readsEndOfStream())
        XCTAssertEqual(try connect().request(path: "/").bodyText, "ok")
    }

    func testClientLeavingMidResponseLeavesServerHealthy() throws {
        let server = try XCTUnwrap(server)
        for path in ["/drip/10000000?rate=100000", "/delay/5000", "/bytes/100000000"] {
            let connection = try connect()
            try connection.send(Array("GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n".utf8))
            if !path.hasPrefix("/delay") {
                _ = try connection.readSome()
            }
            connection.close()
        }
        XCTAssertEqual(try connect().request(path: "/").bodyText, "ok")
        // The `/delay` head was sent on another connection that nobody read from, so no answer proves it was counted
        // yet: its event loop may still be behind on a busy machine. Wait for it (bounded) instead of racing it.
        XCTAssertTrue(waitUntil { server.requestsReceived == 4 }, "\(server.requestsReceived) requests counted")
    }

    func testLargeBodyIsStreamedToTheEnd() throws {
        let connection = try connect()
        let byteCount = 20 * 1024 * 1024
        let received = try connection.requestCountingBody(path: "/bytes/\(byteCount)")
        XCTAssertEqual(received, byteCount)
    }

    func testStalledReaderStopsTheWriter() throws {
        let server = try XCTUnwrap(server)
        let connection = try connect()
        try connection.send(Array("GET /bytes/100000000 HTTP/1.1\r\nHost: t\r\n\r\n".utf8))
        _ = try connection.readSome()
        // Read nothing more: the server must stop at the socket buffers and its water mark
        // instead of queueing all 100 MB.
        Thread.sleep(forTimeInterval: 0.3)
        let handedOver = server.counters.streamedBodyBytes.value
        XCTAssertGreaterThan(handedOver, 0)
        XCTAssertLessThan(handedOver, 32 * 1024 * 1024)
        connection.close()
        XCTAssertEqual(try connect().request(path: "/").bodyText, "ok")
    }

    func testShutdownTwiceAndWaitUntilClosed() throws {
        let server = try XCTUnwrap(server)
        let connection = try connect()
        XCTAssertEqual(try connection.request(path: "/").bodyText, "ok")
        try server.shutdown()
        try server.shutdown()
        try server.waitUntilClosed()
        XCTAssertTrue(try connection.readsEndOfStream())
        XCTAssertThrowsError(try BlockingHTTPConnection(port: server.port))
    }

    func testBaseURLUsesTheBoundPort() throws {
        let server = try XCTUnwrap(server)
        XCTAssertGreaterThan(server.port, 0)
        XCTAssertEqual(server.host, "127.0.0.1")
        XCTAssertEqual(server.baseURL, "http://127.0.0.1:\(server.port)")
        XCTAssertEqual(TargetServer.baseURL(host: "::1", port: 8080), "http://[::1]:8080")
    }

    func testStartRejectsBadArguments() {
        XCTAssertThrowsError(try TargetServer.start(port: 70000)) {
            XCTAssertEqual($0 as? TargetServerError, .invalidPort(70000))
        }
        XCTAssertThrowsError(try TargetServer.start(threads: 0)) {
            XCTAssertEqual($0 as? TargetServerError, .invalidThreadCount(0))
        }
    }

    // MARK: Stall (coordinated-omission aid)

    func testStallHoldsARequestInsideTheWindowUntilItEnds() throws {
        let server = try XCTUnwrap(server)
        // Connect first so connection setup is not part of any measurement.
        let before = try connect()
        let inside = try connect()
        let after = try connect()
        let path = "/stall?at=400ms&for=600ms"
        // Read before the stall clock restarts, so the window [400 ms, 1 s) lies no sooner than that after `start`:
        // the lower bounds below hold on any machine. The upper bounds leave ~300 ms for a busy machine and still
        // fail a wrong hold (which would answer 600 ms after arrival, or at the window's end).
        let start = ContinuousClock.now
        server.resetClock()

        XCTAssertEqual(try before.request(path: path).bodyText, "ok")
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(400), "before the window: immediate, not held to 1 s")

        // Late in the window: answered when it ends (1 s), not 600 ms after arriving (≥ 1.45 s). Sent after the window
        // on a busy machine, it is answered at once: still in [1 s, 1.4 s).
        sleep(until: start + .milliseconds(850))
        let response = try inside.request(path: path)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.bodyText, "ok")
        let answered = (ContinuousClock.now - start).seconds
        XCTAssertGreaterThanOrEqual(answered, 1.0, "held until the window ends")
        XCTAssertLessThan(answered, 1.4, "answered when the window ends")

        let sent = ContinuousClock.now
        XCTAssertEqual(try after.request(path: path).bodyText, "ok")
        XCTAssertLessThan(ContinuousClock.now - sent, .milliseconds(400), "after the window: immediate, not held 600 ms")
    }

    func testStallAnswersEveryArrivalInTheWindowAtItsEnd() throws {
        let server = try XCTUnwrap(server)
        let early = try connect()
        let late = try connect()
        let start = ContinuousClock.now // before the stall clock restarts: the window ends ≥ 0.8 s after it
        server.resetClock()
        sleep(until: start + .milliseconds(250))
        try early.sendGet(path: "/stall?at=200ms&for=600ms")
        sleep(until: start + .milliseconds(650))
        try late.sendGet(path: "/stall?at=200ms&for=600ms")
        XCTAssertEqual(try early.readResponse().status, 200)
        XCTAssertGreaterThanOrEqual((ContinuousClock.now - start).seconds, 0.8, "held until the window ends")
        XCTAssertEqual(try late.readResponse().status, 200)
        // Both at the window's end; held 600 ms from its own arrival, the late one would come at ≥ 1.25 s.
        XCTAssertLessThan((ContinuousClock.now - start).seconds, 1.2, "answered together when the window ends")
    }

    func testStallDelayAppliesOutsideTheWindowAndIsHeldByIt() throws {
        let server = try XCTUnwrap(server)
        let connection = try connect()
        // Each answer comes no sooner than the server's delay or the window's end (`start` is read before the stall
        // clock restarts), on any machine; the upper bounds leave 300 ms for a busy machine, which the spacing of the
        // window and the delay allows, and still fail a wrong hold or a delay added after the window.
        let path = "/stall?at=600ms&for=600ms&delay=300"
        let start = ContinuousClock.now
        server.resetClock()
        // Arrives at ~0: due at ~300 ms, before the window.
        XCTAssertEqual(try connection.request(path: path).status, 200)
        XCTAssertGreaterThanOrEqual((ContinuousClock.now - start).seconds, 0.3, "the delay")
        XCTAssertLessThan((ContinuousClock.now - start).seconds, 0.6, "not held by the window")
        // Arrives at ≥ 300 ms: due at ≥ 600 ms, inside the window, so held until it ends at 1.2 s (not 300 ms after).
        XCTAssertEqual(try connection.request(path: path).status, 200)
        XCTAssertGreaterThanOrEqual((ContinuousClock.now - start).seconds, 1.2, "held until the window ends")
        XCTAssertLessThan((ContinuousClock.now - start).seconds, 1.5, "answered when the window ends")
        // Arrives at ≥ 1.2 s, after the window: the plain delay again.
        let sent = ContinuousClock.now
        XCTAssertEqual(try connection.request(path: path).status, 200)
        XCTAssertGreaterThanOrEqual((ContinuousClock.now - sent).seconds, 0.3, "the delay")
        XCTAssertLessThan((ContinuousClock.now - sent).seconds, 0.6, "the delay alone")
    }

    func testResetClockRestartsTheStallWindow() throws {
        let server = try XCTUnwrap(server)
        let connection = try connect()
        server.resetClock()
        Thread.sleep(forTimeInterval: 1.05)
        // Now inside the window [1 s, 3 s): a request would wait about 2 s. Reset the clock and the window lies 1 s
        // ahead again, so the request is immediate (a busy machine has a second to send it before the window opens).
        server.resetClock()
        let sent = ContinuousClock.now
        XCTAssertEqual(try connection.request(path: "/stall?at=1s&for=2s").status, 200)
        XCTAssertLessThan(ContinuousClock.now - sent, .milliseconds(1_000), "not held by the window the reset moved")
    }

    // MARK: Faults

    func testFaultResetSendsPartOfTheBodyThenResets() throws {
        for (query, bodyBytes) in [("", 10), ("?after=0", 0), ("?after=500", 500)] {
            let connection = try connect()
            try connection.sendGet(path: "/fault/reset\(query)")
            let head = try connection.readHeadMeasured()
            XCTAssertEqual(head.status, 200)
            XCTAssertEqual(head.headers["content-length"], "1000")
            let (body, end) = connection.readToEnd()
            XCTAssertEqual(body.count, bodyBytes, query)
            // SO_LINGER 0 sends RST; Linux reports it as ECONNRESET after the data.
            XCTAssertEqual(end, .reset, query)
        }
    }

    func testFaultCloseClosesWithoutAResponse() throws {
        let connection = try connect()
        try connection.sendGet(path: "/fault/close")
        let (bytes, end) = connection.readToEnd()
        XCTAssertEqual(bytes.count, 0)
        XCTAssertEqual(end, .endOfStream)
    }

    func testFaultStallHeadersSendsTheStatusLineAndThenNothing() throws {
        let server = try XCTUnwrap(server)
        let connection = try connect()
        try connection.sendGet(path: "/fault/stall-headers")
        connection.setReceiveTimeout(milliseconds: 500)
        let (bytes, end) = connection.readToEnd()
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "HTTP/1.1 200 OK\r\n")
        XCTAssertEqual(end, .timedOut)
        XCTAssertEqual(server.counters.openConnections.value, 1)
        // The client giving up releases the connection on the server side too.
        connection.close()
        XCTAssertTrue(waitUntil { server.counters.openConnections.value == 0 })
        XCTAssertEqual(try connect().request(path: "/").bodyText, "ok")
    }

    func testShutdownClosesStalledConnections() throws {
        let server = try XCTUnwrap(server)
        let hung = try connect()
        try hung.sendGet(path: "/fault/stall-headers")
        XCTAssertEqual(try hung.readSome(), Array("HTTP/1.1 200 OK\r\n".utf8))
        let stalled = try connect()
        server.resetClock()
        try stalled.sendGet(path: "/stall?at=0ms&for=3600s")
        let delayed = try connect()
        try delayed.sendGet(path: "/delay/3600000")
        XCTAssertTrue(waitUntil { server.requestsReceived == 3 })
        let start = ContinuousClock.now
        try server.shutdown()
        // Waiting for any of the three would take an hour: a minute tells them apart on any machine.
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(60))
        for connection in [hung, stalled, delayed] {
            XCTAssertEqual(connection.readToEnd().end, .endOfStream)
        }
    }

    func testFaultTruncateClaimsMoreThanItSends() throws {
        for (query, sent, claimed) in [("", 100, 1000), ("?send=5000&claim=200000", 5000, 200_000), ("?claim=50", 49, 50)] {
            let connection = try connect()
            try connection.sendGet(path: "/fault/truncate\(query)")
            let head = try connection.readHeadMeasured()
            XCTAssertEqual(head.status, 200)
            XCTAssertEqual(head.headers["content-length"], String(claimed))
            XCTAssertNil(head.headers["connection"], "no warning of the close")
            let (body, end) = connection.readToEnd()
            XCTAssertEqual(body.count, sent, query)
            XCTAssertEqual(end, .endOfStream, query)
        }
    }

    func testFaultBadStatusWritesAMalformedStatusLine() throws {
        let connection = try connect()
        try connection.sendGet(path: "/fault/bad-status")
        let (bytes, end) = connection.readToEnd()
        XCTAssertEqual(bytes, Array("HTTP/1.1 abc OK\r\n\r\n".utf8))
        XCTAssertEqual(end, .endOfStream)
    }

    func testFaultHugeHeadersExceedsLibcurlsLimit() throws {
        let connection = try connect()
        try connection.sendGet(path: "/fault/huge-headers")
        let head = try connection.readHeadMeasured()
        XCTAssertEqual(head.status, 200)
        // 400 filler lines of exactly 1 KiB, plus the status line and the few usual headers.
        XCTAssertGreaterThanOrEqual(head.byteCount, 400 * 1024)
        XCTAssertLessThan(head.byteCount, 400 * 1024 + 256)
        XCTAssertGreaterThan(head.byteCount, 300 * 1024)
        XCTAssertEqual(head.headers.keys.filter { $0.hasPrefix("x-filler-") }.count, 400)
        XCTAssertEqual(head.headers["content-length"], "2")
        // The small body follows and the connection stays usable.
        XCTAssertEqual(try connection.readBody(length: 2), Array("ok".utf8))
        XCTAssertEqual(try connection.request(path: "/").bodyText, "ok")
    }

    func testFaultHugeHeadersSizeIsConfigurable() throws {
        let connection = try connect()
        try connection.sendGet(path: "/fault/huge-headers?kb=1000")
        let head = try connection.readHeadMeasured()
        XCTAssertEqual(head.status, 200)
        XCTAssertGreaterThanOrEqual(head.byteCount, 1000 * 1024)
        XCTAssertLessThan(head.byteCount, 1000 * 1024 + 256)
        XCTAssertEqual(try connection.readBody(length: 2), Array("ok".utf8))
        XCTAssertEqual(try connection.request(path: "/fault/huge-headers?kb=0").bodyText, "ok")
        XCTAssertEqual(try connection.request(path: "/").bodyText, "ok")
        XCTAssertEqual(connection.connectCount, 1)
    }

    func testFaultRatioFailsTheRequestedFractionOnKeepAlive() throws {
        let server = try XCTUnwrap(server)
        let connection = try connect()
        var statuses: [Int] = []
        for _ in 0..<1000 {
            let response = try connection.request(path: "/fault/ratio?p=0.3")
            XCTAssertTrue(response.status == 200 ? response.bodyText == "ok" : response.status == 503)
            statuses.append(response.status)
        }
        XCTAssertEqual(connection.connectCount, 1)
        let failures = statuses.filter { $0 == 503 }.count
        XCTAssertTrue((299...301).contains(failures), "\(failures) failures")
        XCTAssertEqual(statuses.count - failures, 1000 - failures)

        // Deterministic: after resetCount the same pattern comes back.
        server.resetCount()
        for index in 0..<50 {
            XCTAssertEqual(try connection.request(path: "/fault/ratio?p=0.3").status, statuses[index])
        }

        // Another fraction and seed, spread over several connections.
        server.resetCount()
        var seededFailures = 0
        for _ in 0..<10 {
            let other = try connect()
            for _ in 0..<100 where try other.request(path: "/fault/ratio?p=0.05&seed=42").status == 503 {
                seededFailures += 1
            }
        }
        XCTAssertTrue((49...51).contains(seededFailures), "\(seededFailures) failures")
        XCTAssertEqual(server.requestsReceived, 1000)
    }

    func testFaultCloseEveryClosesAfterTheNthRequestOnAConnection() throws {
        let connection = try connect()
        for _ in 0..<2 {
            let response = try connection.request(path: "/fault/close-every?n=3")
            XCTAssertEqual(response.bodyText, "ok")
            XCTAssertNil(response.headers["connection"])
        }
        let third = try connection.request(path: "/fault/close-every?n=3")
        XCTAssertEqual(third.bodyText, "ok")
        XCTAssertEqual(third.headers["connection"], "close")
        XCTAssertEqual(connection.readToEnd().end, .endOfStream)

        // Every request on the connection counts towards N; a fresh connection starts again.
        let next = try connect()
        XCTAssertNil(try next.request(path: "/").headers["connection"])
        XCTAssertEqual(try next.request(path: "/fault/close-every?n=2").headers["connection"], "close")
        XCTAssertTrue(try next.readsEndOfStream())

        let everyTime = try connect()
        XCTAssertEqual(try everyTime.request(path: "/fault/close-every?n=1").headers["connection"], "close")
        XCTAssertTrue(try everyTime.readsEndOfStream())
    }

    func testRequestsReceivedCountsFaultedRequests() throws {
        let server = try XCTUnwrap(server)
        server.resetCount()
        var observed = 0
        // Each request is observed from the client before counting, so its head was received.
        for path in ["/fault/reset", "/fault/close", "/fault/truncate", "/fault/bad-status"] {
            let connection = try connect()
            try connection.sendGet(path: path)
            let end = connection.readToEnd().end
            XCTAssertTrue(end == .reset || end == .endOfStream, path)
            observed += 1
        }
        let hung = try connect()
        try hung.sendGet(path: "/fault/stall-headers")
        _ = try hung.readSome()
        observed += 1
        let keepAlive = try connect()
        for path in ["/fault/huge-headers?kb=1", "/fault/ratio?p=1", "/fault/ratio?p=0", "/stall?at=3600s&for=1s", "/fault/close-every?n=50"] {
            _ = try keepAlive.request(path: path)
            observed += 1
        }
        XCTAssertEqual(try keepAlive.request(path: "/fault/ratio?p=1").status, 503)
        observed += 1
        XCTAssertEqual(server.requestsReceived, observed)
        XCTAssertEqual(observed, 11)
        // A malformed fault parameter is still a request.
        XCTAssertEqual(try keepAlive.request(path: "/fault/ratio?p=2").status, 400)
        XCTAssertEqual(try keepAlive.request(path: "/fault/nope").status, 404)
        XCTAssertEqual(server.requestsReceived, 13)
    }

    /// Sleeps until `instant` (at once when it has passed).
    private func sleep(until instant: ContinuousClock.Instant) {
        let remaining = instant - ContinuousClock.now
        if remaining > .zero {
            Thread.sleep(forTimeInterval: remaining.seconds)
        }
    }

    /// Polls `condition` every 10 ms for up to `seconds`.
    private func waitUntil(seconds: Double = 2, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }

    // MARK: Pure routing and pacing

    func testStallAndFaultRouteParsing() {
        XCTAssertEqual(Route(uri: "/stall?at=3s&for=500ms"), .stall(atMillis: 3000, forMillis: 500, delayMillis: 0))
        XCTAssertEqual(Route(uri: "/stall?for=1s&at=0ms&delay=25"), .stall(atMillis: 0, forMillis: 1000, delayMillis: 25))
        XCTAssertEqual(Route(uri: "/stall?at=3s"), .badRequest)
        XCTAssertEqual(Route(uri: "/stall?at=3&for=1s"), .badRequest)
        XCTAssertEqual(Route(uri: "/stall?at=1.5s&for=1s"), .badRequest)
        XCTAssertEqual(Route(uri: "/stall?at=s&for=1s"), .badRequest)
        XCTAssertEqual(Route(uri: "/stall?at=86401s&for=1s"), .badRequest)
        XCTAssertEqual(Route(uri: "/stall?at=1s&for=1s&delay=3600001"), .badRequest)
        XCTAssertEqual(Route(uri: "/stall?at=99999999999999999999s&for=1s"), .badRequest)
        XCTAssertEqual(Route(uri: "/stall/x"), .notFound)

        XCTAssertEqual(Route(uri: "/fault/reset"), .fault(.reset(bodyBytes: 10)))
        XCTAssertEqual(Route(uri: "/fault/reset?after=999"), .fault(.reset(bodyBytes: 999)))
        XCTAssertEqual(Route(uri: "/fault/reset?after=1000"), .badRequest)
        XCTAssertEqual(Route(uri: "/fault/close"), .fault(.close))
        XCTAssertEqual(Route(uri: "/fault/stall-headers"), .fault(.stallHeaders))
        XCTAssertEqual(Route(uri: "/fault/truncate"), .fault(.truncate(sentBytes: 100, claimedBytes: 1000)))
        XCTAssertEqual(Route(uri: "/fault/truncate?send=7&claim=8"), .fault(.truncate(sentBytes: 7, claimedBytes: 8)))
        XCTAssertEqual(Route(uri: "/fault/truncate?claim=10"), .fault(.truncate(sentBytes: 9, claimedBytes: 10)))
        XCTAssertEqual(Route(uri: "/fault/truncate?send=8&claim=8"), .badRequest)
        XCTAssertEqual(Route(uri: "/fault/truncate?claim=0"), .badRequest)
        XCTAssertEqual(Route(uri: "/fault/bad-status"), .fault(.badStatus))
        XCTAssertEqual(Route(uri: "/fault/huge-headers"), .fault(.hugeHeaders(kilobytes: 400)))
        XCTAssertEqual(Route(uri: "/fault/huge-headers?kb=4096"), .fault(.hugeHeaders(kilobytes: 4096)))
        XCTAssertEqual(Route(uri: "/fault/huge-headers?kb=4097"), .badRequest)
        XCTAssertEqual(Route(uri: "/fault/ratio?p=0.3"), .fault(.ratio(failureFraction: 0.3, seed: 0)))
        XCTAssertEqual(Route(uri: "/fault/ratio?p=1&seed=18446744073709551615"), .fault(.ratio(failureFraction: 1, seed: .max)))
        XCTAssertEqual(Route(uri: "/fault/ratio"), .badRequest)
        XCTAssertEqual(Route(uri: "/fault/ratio?p=1.5"), .badRequest)
        XCTAssertEqual(Route(uri: "/fault/ratio?p=nan"), .badRequest)
        XCTAssertEqual(Route(uri: "/fault/ratio?p=.5"), .badRequest)
        XCTAssertEqual(Route(uri: "/fault/ratio?p=0.5&seed=-1"), .badRequest)
        XCTAssertEqual(Route(uri: "/fault/close-every?n=4"), .fault(.closeEvery(requests: 4)))
        XCTAssertEqual(Route(uri: "/fault/close-every?n=0"), .badRequest)
        XCTAssertEqual(Route(uri: "/fault/close-every"), .badRequest)
        XCTAssertEqual(Route(uri: "/fault/unknown"), .notFound)
        XCTAssertEqual(Route(uri: "/fault"), .notFound)
        XCTAssertEqual(Route(uri: "/fault/close/x"), .notFound)
    }

    func testRatioFailuresAreEvenlySpreadInEveryWindow() {
        for seed: UInt64 in [0, 1, 42, 1 << 40, .max] {
            for p in [0.001, 0.05, 0.068, 0.3, 0.5, 0.618034, 0.9, 0.999] {
                let fails = (0..<4000).map {
                    Route.Fault.ratioFails(requestIndex: UInt64($0), failureFraction: p, seed: seed) ? 1 : 0
                }
                // Every run of 1,000 consecutive requests fails ⌊1000p⌋ or ⌈1000p⌉ times.
                var inWindow = fails[0..<1000].reduce(0, +)
                let expected = (1000 * p).rounded()
                for start in 0...3000 {
                    if start > 0 { inWindow += fails[start + 999] - fails[start - 1] }
                    XCTAssertLessThanOrEqual(abs(Double(inWindow) - expected), 1, "p \(p) seed \(seed) at \(start)")
                }
            }
        }
        XCTAssertTrue((0..<100).allSatisfy { Route.Fault.ratioFails(requestIndex: $0, failureFraction: 1, seed: 3) })
        XCTAssertTrue((0..<100).allSatisfy { !Route.Fault.ratioFails(requestIndex: $0, failureFraction: 0, seed: 3) })
    }

    func testDurationParsing() {
        XCTAssertEqual(Route.durationMillis("500ms"), 500)
        XCTAssertEqual(Route.durationMillis("3s"), 3000)
        XCTAssertEqual(Route.durationMillis("0s"), 0)
        XCTAssertNil(Route.durationMillis("3"))
        XCTAssertNil(Route.durationMillis("ms"))
        XCTAssertNil(Route.durationMillis("-3s"))
        XCTAssertNil(Route.durationMillis("3m"))
    }

    func testRouteParsing() {
        XCTAssertEqual(Route(uri: "/"), .root)
        XCTAssertEqual(Route(uri: "/?x=1"), .root)
        XCTAssertEqual(Route(uri: "/bytes/42"), .bytes(byteCount: 42))
        XCTAssertEqual(Route(uri: "/bytes/+4"), .badRequest)
        XCTAssertEqual(Route(uri: "/delay/250"), .delay(delayMillis: 250))
        XCTAssertEqual(Route(uri: "/delay/3600001"), .badRequest)
        XCTAssertEqual(Route(uri: "/status/418"), .status(code: 418))
        XCTAssertEqual(Route(uri: "/status/199"), .badRequest)
        XCTAssertEqual(Route(uri: "/drip/10"), .drip(byteCount: 10, bytesPerSecond: nil))
        XCTAssertEqual(Route(uri: "/drip/10?rate=5"), .drip(byteCount: 10, bytesPerSecond: 5))
        XCTAssertEqual(Route(uri: "/drip/10?a=b&rate=5"), .drip(byteCount: 10, bytesPerSecond: 5))
        XCTAssertEqual(Route(uri: "/drip/10?rate=0"), .badRequest)
        XCTAssertEqual(Route(uri: "/drip/10?rate=x"), .badRequest)
        XCTAssertEqual(Route(uri: "/echo"), .echo)
        XCTAssertEqual(Route(uri: "/stats"), .stats)
        XCTAssertEqual(Route(uri: "/stats/"), .notFound)
        XCTAssertEqual(Route(uri: "*"), .notFound)
        XCTAssertEqual(Route(uri: "/bytes/99999999999999999999999"), .badRequest)
    }

    func testPacerDeadlinesAreAbsolute() {
        var pacer = BodyPacer(totalBytes: 10_485_760, bytesPerSecond: 8_738_133, maxChunkBytes: 1 << 30)
        XCTAssertEqual(pacer.chunkBytes, 87_381)
        XCTAssertEqual(pacer.nextChunkDueNanos, 0)
        var lastDue: Int64 = 0
        while !pacer.isComplete {
            lastDue = pacer.nextChunkDueNanos
            pacer.recordSent(pacer.nextChunkBytes)
        }
        XCTAssertEqual(pacer.sentBytes, 10_485_760)
        // The last chunk is due ≈ 1.19 s in: (N - last chunk) / rate.
        XCTAssertEqual(Double(lastDue) / 1e9, 1.19, accuracy: 0.01)

        var small = BodyPacer(totalBytes: 3, bytesPerSecond: 50, maxChunkBytes: 65_536)
        XCTAssertEqual(small.chunkBytes, 1)
        small.recordSent(1)
        XCTAssertEqual(small.nextChunkDueNanos, 20_000_000)

        let unpaced = BodyPacer(totalBytes: 100, bytesPerSecond: nil, maxChunkBytes: 64)
        XCTAssertEqual(unpaced.nextChunkBytes, 64)
        XCTAssertEqual(unpaced.nextChunkDueNanos, 0)

        var huge = BodyPacer(totalBytes: Int.max, bytesPerSecond: 1, maxChunkBytes: 65_536)
        huge.recordSent(Int.max - 1)
        XCTAssertEqual(huge.nextChunkDueNanos, Int64.max)
    }
}

// MARK: - Helpers (the blocking client is in BlockingHTTPConnection.swift)

extension Duration {
    fileprivate var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
