import XCTest
@testable import BarrageCore
import BarragePlanFixtures

/// A WebSocket run's messages while it lasts: the windows cut from the cumulative recorder, the live panel and the
/// progress line, the recorder read back from a result, and the timeline CSV's message columns. Pure values.
final class LiveMessagesTests: XCTestCase {
    private typealias M = MessageThresholdTests

    private func plan() -> PlanRecord {
        PlanRecord(RunPlan(concurrency: 50, requestLimit: nil, durationMicros: 100_000_000,
                           targets: [RequestTarget(url: "http://127.0.0.1:8080/")], timeoutMicros: 5_000_000,
                           connectTimeoutMicros: 1_000_000, threads: 2, keepAlive: true))
    }

    /// A measured second of a WebSocket run: `messages` ended in it, over `length` seconds.
    private func second(messages: Int, failed: Int = 0, length: Double = 1) -> TimelineEntry {
        var e = TimelineEntry(t_s: 11, epoch_s: 1_700_000_011, requests: 0, ok: 0, failed: 0, dropped: 0, rps: nil, in_flight: 50,
                              p50_us: 0, p99_us: 0, max_us: 0, length_s: length)
        e.messages = messages
        e.messages_failed = failed
        return e
    }

    private func snapshot(_ messages: LiveMessages?) -> LiveSnapshot {
        LiveSnapshot(plan: plan(), elapsedMicros: 12_300_000, totalMicros: 100_000_000, sofar: Recorder(), lastSecond: nil,
                     recentRPS: [], inFlight: 48, counts: LiveCounts(ok: 50, inFlight: 48), messages: messages)
    }

    private func stripped(_ line: String) -> String {
        var out = ""
        var inEscape = false
        for ch in line {
            if inEscape { if ch.isLetter { inEscape = false } } else if ch == "\u{1B}" { inEscape = true } else { out.append(ch) }
        }
        return out
    }

    // MARK: Windows

    func testSubtractingGivesExactlyWhatWasRecordedSince() {
        var early = M.recorder(latencies: [1_000, 2_000, 3_000], failed: [.answer_timeout], dropped: 1, closeCodes: [1000])
        early.lastDoneMicros = 10
        var later = early
        var more = M.recorder(latencies: [2_000, 50_000], failed: [.closed_by_peer, .answer_timeout], dropped: 2, closeCodes: [1000, 1001])
        more.lastDoneMicros = 20
        later.merge(more)
        let d = later.subtracting(early)
        XCTAssertEqual(d, more, "counts, classes, traffic, close codes and histogram totals")
        XCTAssertEqual(d.latency, more.latency, "the histogram bucket by bucket")
        XCTAssertEqual(d.serviceTime, more.serviceTime)
        XCTAssertEqual(d.errorCounts, ["answer_timeout": 1, "closed_by_peer": 1])
        XCTAssertEqual(d.closeCodes, [1000: 1, 1001: 1])
        XCTAssertEqual(d.lastDoneMicros, 20)
        // Nothing since: empty; from nothing: all of it.
        XCTAssertEqual(later.subtracting(later).total, 0)
        XCTAssertEqual(later.subtracting(later).latency.totalCount, 0)
        XCTAssertEqual(later.subtracting(MessageRecorder()), later)
    }

    func testTheLiveWindowMovesOnlyWhenASecondCloses() {
        var w = MessageWindow()
        let first = M.recorder(latencies: [1_000, 1_000])
        XCTAssertFalse(w.advance(sofar: first, closedSeconds: 0), "no second closed yet")
        XCTAssertNil(w.last)
        XCTAssertTrue(w.advance(sofar: first, closedSeconds: 1))
        XCTAssertEqual(w.last, first)
        var second = first
        second.merge(M.recorder(latencies: [9_000]))
        XCTAssertFalse(w.advance(sofar: second, closedSeconds: 1), "same second: the window stays")
        XCTAssertEqual(w.last, first)
        XCTAssertTrue(w.advance(sofar: second, closedSeconds: 2))
        XCTAssertEqual(w.last?.answered, 1)
        XCTAssertEqual(w.last?.latency.max, M.recorder(latencies: [9_000]).latency.max)
    }

    func testPushWindowsPartitionTheMessages() {
        var w = MessageWindow()
        var sofar = MessageRecorder()
        var windows: [MessageRecorder] = []
        for batch in [[1_000, 2_000], [], [3_000, 4_000, 5_000]] {
            sofar.merge(M.recorder(latencies: batch.map(Int64.init), failed: batch.isEmpty ? [] : [.receive]))
            windows.append(w.take(sofar: sofar))
        }
        XCTAssertEqual(windows.map(\.answered), [2, 0, 3])
        XCTAssertEqual(windows.map(\.failed), [1, 0, 1])
        var sum = MessageRecorder()
        for x in windows { sum.merge(x) }
        XCTAssertEqual(sum, sofar)
        XCTAssertEqual(sum.latency, sofar.latency)
    }

    func testARecorderReadBackFromTheResultHasItsTotals() throws {
        let r = MessageReportTests.sample()
        let m = try XCTUnwrap(r.messages)
        let rec = try MessageRecorder(m)
        XCTAssertEqual(rec.answered, m.answered)
        XCTAssertEqual(rec.failed, m.failed)
        XCTAssertEqual(rec.dropped, m.dropped)
        XCTAssertEqual(rec.errorCounts, m.errors)
        XCTAssertEqual(rec.latency.totalCount, UInt64(m.latency_us.count))
        // The same buckets: within the histogram's precision (the exact maximum is not in the `hdr`).
        XCTAssertEqual(Double(HistogramSummary(rec.latency).p99), Double(m.latency_us.p99), accuracy: Double(m.latency_us.p99) / 1000)
        XCTAssertEqual(rec.closeCodes, [1001: 2, 4000: 1])
    }

    // MARK: The live view

    func testRateIsOverTheLatestSecondAndNeverOverASliver() {
        XCTAssertEqual(LiveMessages(counts: .init(), lastSecond: second(messages: 1_204)).rate, 1_204)
        XCTAssertEqual(LiveMessages(counts: .init(), lastSecond: second(messages: 300, length: 0.75)).rate, 400)
        XCTAssertNil(LiveMessages(counts: .init(), lastSecond: second(messages: 30, length: 0.004)).rate,
                     "a drain of 4 ms: no rate (it would read 7,500/s)")
        XCTAssertNil(LiveMessages(counts: .init(), lastSecond: nil).rate, "before the first second")
        var http = second(messages: 0)
        http.messages = nil
        XCTAssertNil(LiveMessages(counts: .init(), lastSecond: http).rate)
    }

    func testThePanelShowsMessagesAndConnections() {
        let window = M.recorder(latencies: (0..<100).map { Int64(1_000 + $0 * 10) })
        let m = LiveMessages(counts: LiveMessageCounts(answered: 35_120, failed: 3, dropped: 2, connectionsOpen: 50),
                             lastSecond: second(messages: 1_204), window: window)
        let lines = LiveView.panel(snapshot(m), width: 100, color: false)
        XCTAssertEqual(lines.count, 10, lines.joined(separator: "\n"))
        let text = lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("msg rate  1204.0 msg/s · connections open 50"), text)
        XCTAssertTrue(text.contains("messages  answered 35,120 · failed 3 · dropped 2"), text)
        let l = m.latencyMicros!
        XCTAssertTrue(text.contains("msg lat.  p50 \(DurationParser.format(micros: l.p50)) · p99 \(DurationParser.format(micros: l.p99)) (last second)"), text)
        XCTAssertEqual(l.p99, HistogramSummary(window.latency).p99)
        XCTAssertEqual(lines.last, LiveView.hint, "the hint stays last")
        // Every width fits, coloured or not, and the line count never changes during a run.
        for width in [0, 10, 40, 41, 80, 300] {
            for color in [false, true] {
                let drawn = LiveView.panel(snapshot(m), width: width, color: color)
                XCTAssertEqual(drawn.count, 10)
                let columns = (width <= 0 ? 80 : max(40, width)) - 1
                for line in drawn { XCTAssertLessThanOrEqual(stripped(line).count, columns, "\(width): \(line)") }
                if !color { XCTAssertFalse(drawn.joined().contains("\u{1B}")) }
            }
        }
        let early = LiveMessages(counts: LiveMessageCounts(connectionsOpen: 4))
        let earlyText = LiveView.panel(snapshot(early), width: 100, color: false).joined(separator: "\n")
        XCTAssertTrue(earlyText.contains("- msg/s · connections open 4"), earlyText)
        XCTAssertTrue(earlyText.contains("msg lat.  p50 - · p99 -"), earlyText)
        XCTAssertEqual(LiveView.panel(snapshot(nil), width: 100, color: false).count, 7, "an HTTP run's panel is as before")
        XCTAssertFalse(LiveView.panel(snapshot(nil), width: 100, color: false).joined().contains("msg"))
    }

    func testTheProgressLineGoesOnWithMessages() {
        let window = M.recorder(latencies: [2_000, 2_000, 2_000])
        let m = LiveMessages(counts: LiveMessageCounts(answered: 900, failed: 1, dropped: 0, connectionsOpen: 50),
                             lastSecond: second(messages: 301), window: window)
        let line = LiveView.progressLine(snapshot(m))
        let p = DurationParser.format(micros: HistogramSummary(window.latency).p50)
        XCTAssertTrue(line.hasSuffix(" · 301.0 msg/s · connections open 50 · answered 900 · msg failed 1 · msg dropped 0 · msg p50 \(p) p99 \(p)"), line)
        XCTAssertTrue(line.contains("req/s"), "the handshakes' columns stay")
        XCTAssertFalse(LiveView.progressLine(snapshot(nil)).contains("msg"))
        XCTAssertTrue(LiveView.progressLine(snapshot(LiveMessages(counts: .init()))).contains("- msg/s"))
    }

    func testLiveCountsAddMessagesAcrossEngines() {
        var a = LiveCounts(ok: 1, inFlight: 2)
        a.add(LiveCounts(ok: 2, failed: 1, inFlight: 3, messages: LiveMessageCounts(answered: 5, failed: 1, dropped: 2, connectionsOpen: 4)))
        a.add(LiveCounts(messages: LiveMessageCounts(answered: 1, connectionsOpen: 1)))
        XCTAssertEqual(a, LiveCounts(ok: 3, failed: 1, inFlight: 5, messages: LiveMessageCounts(answered: 6, failed: 1, dropped: 2, connectionsOpen: 5)))
        var http = LiveCounts(ok: 1)
        http.add(LiveCounts(ok: 1))
        XCTAssertNil(http.messages)
    }

    // MARK: CSV

    func testTheCSVAddsMessageColumnsForAWebSocketRunOnly() {
        var r = MessageReportTests.sample()
        r.timeline = [second(messages: 21, failed: 2), second(messages: 3, length: 0.2)]
        r.timeline[1].t_s = 12
        let lines = TimelineCSV.render(r).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "t_s,epoch_s,requests,ok,failed,dropped,rps,in_flight,p50_us,p99_us,max_us,errors,in_flight_max,in_flight_mean,length_s,messages,messages_failed")
        XCTAssertTrue(lines[1].hasSuffix(",1.000,21,2"), lines[1])
        XCTAssertTrue(lines[2].hasSuffix(",0.200,3,0"), lines[2])
        XCTAssertEqual(lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).count }, [17, 17, 17])
        let http = ThresholdEvaluatorTests.result(latencies: [1_000])
        XCTAssertFalse(TimelineCSV.render(http).contains("messages"), "an HTTP run's columns are as before")
    }
}
