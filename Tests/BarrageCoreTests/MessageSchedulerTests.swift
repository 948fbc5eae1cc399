import XCTest
@testable import BarrageCore

/// The timing rules of a WebSocket run, fed as events with no sockets, no threads and no clock.
final class MessageSchedulerTests: XCTestCase {
    typealias Scheduler = MessageScheduler<CountedRequests>

    private func scheduler(connections: Int, plan: WebSocketPlan = WebSocketPlan(), limit: Int? = nil,
                           timeout: Int64 = 1_000_000, sendEnd: Int64 = .max) -> Scheduler {
        var s = Scheduler(plan: plan, connections: connections, answerTimeoutMicros: timeout, sendEndMicros: sendEnd,
                          budget: CountedRequests(limit: limit))
        s.start()
        return s
    }

    /// Every action due now, from a fresh pass.
    private func actions(_ s: inout Scheduler, at now: Int64) -> [MessageAction] {
        s.rewind()
        var out: [MessageAction] = []
        while true {
            let a = s.nextAction(nowMicros: now)
            if a == .none { return out }
            out.append(a)
            XCTAssertLessThan(out.count, 1_000, "the scheduler keeps returning actions")
            if out.count >= 1_000 { return out }
        }
    }

    private func openAll(_ s: inout Scheduler, at now: Int64) {
        for a in actions(&s, at: now) {
            guard case .open(let slot) = a else { return XCTFail("expected opens, got \(a)") }
            s.handshakeDone(slot: slot, upgraded: true, nowMicros: now)
        }
    }

    func testEveryConnectionOpensThenSendsOneMessage() {
        var s = scheduler(connections: 3)
        XCTAssertEqual(actions(&s, at: 0), [.open(slot: 0), .open(slot: 1), .open(slot: 2)])
        XCTAssertEqual(actions(&s, at: 10), [], "nothing is sent before the handshake")
        s.handshakeDone(slot: 1, upgraded: true, nowMicros: 20)
        XCTAssertEqual(actions(&s, at: 20), [.send(slot: 1, dueMicros: 20, number: 0)])
        XCTAssertEqual(actions(&s, at: 30), [], "one outstanding message per connection")
        XCTAssertEqual(s.outstanding, 1)
    }

    func testUnpacedNextMessageGoesWhenTheAnswerArrives() {
        var s = scheduler(connections: 1)
        openAll(&s, at: 0)
        XCTAssertEqual(actions(&s, at: 5), [.send(slot: 0, dueMicros: 5, number: 0)])
        s.answered(slot: 0, nowMicros: 50)
        XCTAssertEqual(actions(&s, at: 50), [.send(slot: 0, dueMicros: 50, number: 1)])
    }

    func testBudgetIsSharedAndEndsTheRun() {
        var s = scheduler(connections: 2, limit: 3)
        openAll(&s, at: 0)
        XCTAssertEqual(actions(&s, at: 1), [.send(slot: 0, dueMicros: 1, number: 0), .send(slot: 1, dueMicros: 1, number: 1)])
        s.answered(slot: 0, nowMicros: 10)
        XCTAssertEqual(actions(&s, at: 10), [.send(slot: 0, dueMicros: 10, number: 2)])
        s.answered(slot: 1, nowMicros: 11)
        XCTAssertEqual(actions(&s, at: 11), [.close(slot: 1, reopen: false)], "the budget is spent")
        XCTAssertFalse(s.finished, "slot 0 still awaits its answer")
        s.answered(slot: 0, nowMicros: 12)
        XCTAssertEqual(actions(&s, at: 12), [.close(slot: 0, reopen: false)])
        XCTAssertTrue(s.finished)
    }

    func testMessagesPerConnectionCloseAndReopen() {
        var s = scheduler(connections: 1, plan: WebSocketPlan(messagesPerConnection: 2))
        openAll(&s, at: 0)
        XCTAssertEqual(actions(&s, at: 1), [.send(slot: 0, dueMicros: 1, number: 0)])
        s.answered(slot: 0, nowMicros: 2)
        XCTAssertEqual(actions(&s, at: 2), [.send(slot: 0, dueMicros: 2, number: 1)])
        s.answered(slot: 0, nowMicros: 3)
        XCTAssertEqual(actions(&s, at: 3), [.close(slot: 0, reopen: true), .open(slot: 0)])
        s.handshakeDone(slot: 0, upgraded: true, nowMicros: 4)
        XCTAssertEqual(actions(&s, at: 4), [.send(slot: 0, dueMicros: 4, number: 2)], "a new connection counts afresh")
    }

    func testRefusedHandshakeRetiresTheSlot() {
        var s = scheduler(connections: 2, limit: 10)
        _ = actions(&s, at: 0)
        s.handshakeDone(slot: 0, upgraded: false, nowMicros: 5)
        s.handshakeDone(slot: 1, upgraded: false, nowMicros: 6)
        XCTAssertEqual(actions(&s, at: 7), [])
        XCTAssertTrue(s.finished, "a server refusing every upgrade ends the run")
        XCTAssertEqual(s.budget.taken, 0, "no message was numbered")
    }

    func testAnswerTimeoutFailsTheMessageAndReconnects() {
        var s = scheduler(connections: 1, timeout: 100)
        openAll(&s, at: 0)
        XCTAssertEqual(actions(&s, at: 0), [.send(slot: 0, dueMicros: 0, number: 0)])
        XCTAssertEqual(s.nextWakeMicros(), 100)
        XCTAssertEqual(actions(&s, at: 99), [])
        XCTAssertEqual(actions(&s, at: 100), [.answerTimeout(slot: 0), .open(slot: 0)])
    }

    func testLostConnectionReopensUnlessStopping() {
        var s = scheduler(connections: 2)
        openAll(&s, at: 0)
        _ = actions(&s, at: 1)
        XCTAssertEqual(s.lost(slot: 0, nowMicros: 5).count, 0, "unpaced: nothing was due but unsent")
        XCTAssertEqual(actions(&s, at: 5), [.open(slot: 0)])
        s.drain()
        XCTAssertEqual(s.lost(slot: 1, nowMicros: 6).count, 0)
        XCTAssertEqual(s.connection(1).phase, .retired)
    }

    func testPacedDueTimesAreSpacedAndLatencyCountsFromThem() {
        // 10 messages a second: due every 100 ms from the first open.
        var s = scheduler(connections: 1, plan: WebSocketPlan(ratePerConnection: 10))
        openAll(&s, at: 0)
        XCTAssertEqual(actions(&s, at: 0), [.send(slot: 0, dueMicros: 0, number: 0)])
        s.answered(slot: 0, nowMicros: 10_000)
        XCTAssertEqual(actions(&s, at: 10_000), [], "the next is due at 100 ms")
        XCTAssertEqual(s.nextWakeMicros(), 100_000)
        // A stalled answer: the message due at 100 ms goes out when the one before is answered, late, from its due time.
        XCTAssertEqual(actions(&s, at: 100_000), [.send(slot: 0, dueMicros: 100_000, number: 1)])
        s.answered(slot: 0, nowMicros: 350_000)
        XCTAssertEqual(actions(&s, at: 350_000), [.send(slot: 0, dueMicros: 200_000, number: 2)])
    }

    func testPacedLossDropsWhatCameDue() {
        var s = scheduler(connections: 1, plan: WebSocketPlan(ratePerConnection: 10), limit: 100)
        openAll(&s, at: 0)
        _ = actions(&s, at: 0) // message 0 outstanding; 100, 200, 300 ms come due behind it
        let lost = s.lost(slot: 0, nowMicros: 300_000)
        XCTAssertEqual(lost.count, 3, "due at 100, 200 and 300 ms, never sent")
        XCTAssertEqual(lost.firstDueMicros, 100_000, "the first of them, the others 100 ms apart")
        XCTAssertEqual(s.budget.taken, 4)
        XCTAssertEqual(actions(&s, at: 300_000), [.open(slot: 0)])
        s.handshakeDone(slot: 0, upgraded: true, nowMicros: 320_000)
        XCTAssertEqual(actions(&s, at: 320_000), [], "the slot's schedule goes on: next due at 400 ms")
        XCTAssertEqual(actions(&s, at: 400_000), [.send(slot: 0, dueMicros: 400_000, number: 4)])
    }

    func testDurationEndStopsSendingDropsOverdueAndDrains() {
        var s = scheduler(connections: 2, plan: WebSocketPlan(ratePerConnection: 10), sendEnd: 250_000)
        openAll(&s, at: 0)
        XCTAssertEqual(actions(&s, at: 0).count, 2)
        s.answered(slot: 1, nowMicros: 1_000)
        // At 260 ms sending has ended: slot 1 is open with messages due at 100 and 200 ms unsent → dropped, closed.
        XCTAssertEqual(actions(&s, at: 260_000), [.drop(slot: 1, count: 2, firstDueMicros: 100_000), .close(slot: 1, reopen: false)])
        XCTAssertFalse(s.finished, "slot 0 awaits its answer")
        s.answered(slot: 0, nowMicros: 270_000)
        XCTAssertEqual(actions(&s, at: 270_000), [.drop(slot: 0, count: 2, firstDueMicros: 100_000), .close(slot: 0, reopen: false)])
        XCTAssertTrue(s.finished)
        XCTAssertEqual(s.budget.taken, 6, "2 sent + 4 dropped, none due at or after the end")
    }

    func testDrainLetsTheAnswerComeThenCloses() {
        var s = scheduler(connections: 1)
        openAll(&s, at: 0)
        _ = actions(&s, at: 0)
        s.drain()
        XCTAssertEqual(actions(&s, at: 5), [])
        s.answered(slot: 0, nowMicros: 6)
        XCTAssertEqual(actions(&s, at: 6), [.close(slot: 0, reopen: false)])
        XCTAssertTrue(s.finished)
    }

    func testAbortInterruptsMessagesAndHandshakesInFlight() {
        var s = scheduler(connections: 3)
        XCTAssertEqual(actions(&s, at: 0).count, 3)
        s.handshakeDone(slot: 0, upgraded: true, nowMicros: 1)
        s.handshakeDone(slot: 1, upgraded: true, nowMicros: 1)
        XCTAssertEqual(actions(&s, at: 1), [.send(slot: 0, dueMicros: 1, number: 0), .send(slot: 1, dueMicros: 1, number: 1)])
        s.answered(slot: 1, nowMicros: 2)
        s.stop()
        XCTAssertEqual(actions(&s, at: 3), [.interrupt(slot: 0), .close(slot: 1, reopen: false), .interrupt(slot: 2)])
        XCTAssertTrue(s.finished)
    }

    func testSpentBudgetRetiresIdleSlotsWithoutOpening() {
        let budget = CountedRequests(limit: 0)
        var s = Scheduler(plan: WebSocketPlan(), connections: 2, answerTimeoutMicros: 1_000, budget: budget)
        s.start()
        XCTAssertEqual(actions(&s, at: 0), [])
        XCTAssertTrue(s.finished)
    }

    // MARK: - Open model

    /// Connections arriving at `rate` per second for `seconds`, through `pool` slots.
    private func openScheduler(pool: Int, rate: Double, seconds: Int64, messages: Int, latenessMicros: Int64 = 1_000_000) -> Scheduler {
        let schedule = OpenSchedule(startRate: rate, stages: [RateStage(durationMicros: seconds * 1_000_000, rate: rate)])
        var s = Scheduler(plan: WebSocketPlan(messagesPerConnection: messages), connections: pool, answerTimeoutMicros: 1_000_000,
                          sendEndMicros: seconds * 1_000_000, budget: CountedRequests(),
                          arrivals: schedule.makeIterator(), maxLatenessMicros: latenessMicros)
        s.start()
        return s
    }

    func testOpenModelArrivalsOpenFreeSlotsAndCloseAfterTheirMessages() {
        // 10 connections a second: due at 0, 100, 200 ms …
        var s = openScheduler(pool: 2, rate: 10, seconds: 1, messages: 2)
        XCTAssertEqual(actions(&s, at: 0), [.open(slot: 0)], "only the arrival due now")
        XCTAssertEqual(s.connection(0).openDueMicros, 0)
        XCTAssertEqual(s.nextWakeMicros(), 100_000)
        s.handshakeDone(slot: 0, upgraded: true, nowMicros: 5_000)
        XCTAssertEqual(actions(&s, at: 5_000), [.send(slot: 0, dueMicros: 5_000, number: 0)])
        s.answered(slot: 0, nowMicros: 6_000)
        XCTAssertEqual(actions(&s, at: 6_000), [.send(slot: 0, dueMicros: 6_000, number: 1)])
        s.answered(slot: 0, nowMicros: 7_000)
        XCTAssertEqual(actions(&s, at: 7_000), [.close(slot: 0, reopen: false)], "its messages sent: it closes, not reopens")
        XCTAssertEqual(s.connection(0).phase, .idle, "free for the next arrival")
        XCTAssertEqual(actions(&s, at: 100_000), [.open(slot: 1)])
        XCTAssertEqual(actions(&s, at: 200_000), [.open(slot: 0)])
    }

    func testOpenModelDropsAnArrivalWithNoFreeSlotPastTheLateness() {
        var s = openScheduler(pool: 1, rate: 10, seconds: 1, messages: 1, latenessMicros: 50_000)
        XCTAssertEqual(actions(&s, at: 0), [.open(slot: 0)])
        XCTAssertEqual(actions(&s, at: 100_000), [], "due, no free slot, not yet too late")
        XCTAssertEqual(s.nextWakeMicros(), 150_001)
        XCTAssertEqual(actions(&s, at: 150_001), [.dropConnection(dueMicros: 100_000)])
        s.handshakeDone(slot: 0, upgraded: false, nowMicros: 160_000)
        XCTAssertEqual(s.connection(0).phase, .idle, "a refused handshake frees the slot in the open model")
        XCTAssertEqual(actions(&s, at: 200_000), [.open(slot: 0)])
        XCTAssertEqual(s.connection(0).openDueMicros, 200_000)
    }

    func testOpenModelEndsWhenArrivalsEndAndSlotsAreFree() {
        var s = openScheduler(pool: 2, rate: 2, seconds: 1, messages: 1) // due at 0 and 500 ms
        XCTAssertEqual(actions(&s, at: 0), [.open(slot: 0)])
        s.handshakeDone(slot: 0, upgraded: true, nowMicros: 1)
        XCTAssertEqual(actions(&s, at: 1), [.send(slot: 0, dueMicros: 1, number: 0)])
        s.answered(slot: 0, nowMicros: 2)
        XCTAssertEqual(actions(&s, at: 2), [.close(slot: 0, reopen: false)])
        XCTAssertFalse(s.finished)
        XCTAssertEqual(actions(&s, at: 500_000), [.open(slot: 1)])
        s.handshakeDone(slot: 1, upgraded: true, nowMicros: 500_001)
        XCTAssertEqual(actions(&s, at: 500_001), [.send(slot: 1, dueMicros: 500_001, number: 1)])
        s.answered(slot: 1, nowMicros: 500_002)
        XCTAssertEqual(actions(&s, at: 500_002), [.close(slot: 1, reopen: false)])
        XCTAssertEqual(actions(&s, at: 1_000_000), [])
        XCTAssertTrue(s.finished)
    }

    func testPayloadSizing() {
        XCTAssertEqual(WebSocketPlan.sized(Array("ab".utf8), bytes: 5), Array("ab...".utf8))
        XCTAssertEqual(WebSocketPlan.sized(Array("abcdef".utf8), bytes: 3), Array("abc".utf8))
        XCTAssertEqual(WebSocketPlan(ratePerConnection: 4).intervalMicros, 250_000)
    }

    func testMessageRecorderAccountsAndMerges() {
        var a = MessageRecorder()
        a.recordSent(bytes: 7)
        a.recordAnswered(dueMicros: 0, sentMicros: 100, doneMicros: 600)
        a.recordFailed(.closed_by_peer)
        a.recordClose(code: 1000)
        var b = MessageRecorder()
        b.recordDropped(2)
        b.recordReceived(bytes: 7)
        b.recordClose(code: 1000)
        a.merge(b)
        XCTAssertEqual(a.total, 4)
        XCTAssertEqual(a.total, a.answered + a.failed + a.dropped)
        XCTAssertEqual(a.closeCodes, [1000: 2])
        XCTAssertEqual(a.errorCounts, ["closed_by_peer": 1])
        let section = RunResult.Messages(a, durationMicros: 2_000_000, answer: "echo")
        XCTAssertEqual(section.latency_us.max, 600)
        XCTAssertEqual(section.service_time_us.max, 500)
        XCTAssertEqual(section.close_codes, ["1000": 2])
        XCTAssertEqual(section.rate, 1)
    }
}
