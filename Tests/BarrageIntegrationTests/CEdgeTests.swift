import XCTest
import Glibc
import CLinuxEvents
import CLibcurl
import BarrageCore
import BarragePlanFixtures
@testable import BarrageEngine

/// The engine's wrappers over epoll, timerfd and the libcurl multi interface report what the C call said.
final class CEdgeTests: XCTestCase {
    func testEpollRegistersWaitsAndRemoves() throws {
        let epfd = try Epoll.create()
        defer { close(epfd) }
        var pipeFDs: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&pipeFDs), 0)
        defer { close(pipeFDs[0]); close(pipeFDs[1]) }
        XCTAssertTrue(Epoll.register(epfd, fd: pipeFDs[0], events: EPOLLIN.rawValue, data: 42, modify: false))
        XCTAssertFalse(Epoll.register(epfd, fd: pipeFDs[0], events: EPOLLIN.rawValue, data: 42, modify: false), "added twice")
        XCTAssertTrue(Epoll.register(epfd, fd: pipeFDs[0], events: EPOLLIN.rawValue, data: 43, modify: true))
        XCTAssertFalse(Epoll.register(epfd, fd: -1, events: EPOLLIN.rawValue, data: 0, modify: false), "not a descriptor")
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: 4)
        defer { events.deallocate() }
        XCTAssertEqual(Epoll.wait(epfd, into: events, capacity: 4, timeoutMillis: 0), 0, "nothing ready yet")
        var byte: UInt8 = 1
        XCTAssertEqual(write(pipeFDs[1], &byte, 1), 1)
        XCTAssertEqual(Epoll.wait(epfd, into: events, capacity: 4, timeoutMillis: 10_000), 1)
        XCTAssertEqual(events[0].data.u64, 43)
        XCTAssertTrue(Epoll.remove(epfd, fd: pipeFDs[0]))
        XCTAssertFalse(Epoll.remove(epfd, fd: pipeFDs[0]), "already removed")
        XCTAssertEqual(Epoll.wait(-1, into: events, capacity: 4, timeoutMillis: 0), 0, "a failed wait reads as nothing ready")
    }

    func testTimerFDArmsAtAnAbsoluteTimeAndDrains() throws {
        let epfd = try Epoll.create()
        defer { close(epfd) }
        let timer = try TimerFD.create()
        defer { close(timer) }
        XCTAssertTrue(Epoll.register(epfd, fd: timer, events: EPOLLIN.rawValue, data: 7, modify: false))
        XCTAssertEqual(TimerFD.drain(timer), 0, "not fired: nothing to read (non-blocking)")
        XCTAssertTrue(TimerFD.arm(timer, atMicros: Clock.monotonicMicros() + 1_000))
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: 1)
        defer { events.deallocate() }
        XCTAssertEqual(Epoll.wait(epfd, into: events, capacity: 1, timeoutMillis: 10_000), 1)
        XCTAssertEqual(TimerFD.drain(timer), 1)
        XCTAssertTrue(TimerFD.arm(timer, atMicros: 0), "a time in the past fires at once (0 would disarm)")
        XCTAssertEqual(Epoll.wait(epfd, into: events, capacity: 1, timeoutMillis: 10_000), 1)
        XCTAssertEqual(TimerFD.drain(timer), 1)
        XCTAssertFalse(TimerFD.arm(-1, atMicros: 1), "not a timer")
    }

    func testCurlMultiReportsLibcurlsCodes() throws {
        _ = Engine(plan: RunPlan(concurrency: 1, requestLimit: 1, durationMicros: nil, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                                 timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)) // curl_global_init
        let multi = try CurlMulti.make()
        defer { CurlMulti.cleanup(multi) }
        let easy = try XCTUnwrap(curl_easy_init())
        defer { curl_easy_cleanup(easy) }
        XCTAssertEqual(CurlMulti.add(multi, easy), CURLM_OK)
        XCTAssertEqual(CurlMulti.add(multi, easy), CURLM_ADDED_ALREADY)
        XCTAssertFalse(CurlMulti.describe(CURLM_ADDED_ALREADY).isEmpty)
        XCTAssertEqual(CurlMulti.remove(multi, easy), CURLM_OK)
        XCTAssertEqual(CurlMulti.perform(multi), CURLM_OK)
        XCTAssertNil(CurlMulti.nextMessage(multi), "nothing finished")
        XCTAssertEqual(CurlMulti.poll(multi, extra: nil, extraCount: 0, timeoutMillis: 0), CURLM_OK)
    }
}
