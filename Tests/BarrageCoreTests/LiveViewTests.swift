import XCTest
@testable import BarrageCore
import BarragePlanFixtures

final class LiveViewTests: XCTestCase {
    private let esc: Character = "\u{1B}"

    private func openPlan() -> PlanRecord {
        let schedule = OpenSchedule(startRate: 100, stages: [
            RateStage(durationMicros: 30_000_000, rate: 100),
            RateStage(durationMicros: 40_000_000, rate: 300),
            RateStage(durationMicros: 30_000_000, rate: 300),
        ])
        let target = RequestTarget(url: "http://127.0.0.1:8080/")
        return PlanRecord(.open(schedule: schedule, maxInFlight: 64, maxLatenessMicros: 1_000_000, requestLimit: nil,
                                targets: [target], timeoutMicros: 5_000_000, connectTimeoutMicros: 1_000_000, threads: 2,
                                keepAlive: true))
    }

    private func closedPlan(requests: Int) -> PlanRecord {
        PlanRecord(RunPlan(concurrency: 50, requestLimit: requests, durationMicros: nil,
                           targets: [RequestTarget(url: "http://127.0.0.1:8080/")], timeoutMicros: 5_000_000,
                           connectTimeoutMicros: 1_000_000, threads: 2, keepAlive: true))
    }

    private func recorder(ok: Int, failed: Int, dropped: Int) -> Recorder {
        var r = Recorder()
        for i in 0..<ok {
            r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: Int64(1_000 + i), status: 200, error: nil, complete: true))
        }
        for _ in 0..<failed {
            r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 5_000_000, status: 0, error: .timeout, complete: false))
        }
        for _ in 0..<dropped { r.recordDropped() }
        return r
    }

    private func second(rps: Double = 298, p50: Int64 = 1_200, p99: Int64 = 8_400) -> TimelineEntry {
        TimelineEntry(t_s: 11, epoch_s: 1_700_000_011, requests: 298, ok: 298, failed: 0, dropped: 0, rps: rps, in_flight: 12,
                      p50_us: p50, p99_us: p99, max_us: p99 + 100)
    }

    private func timeSnapshot() -> LiveSnapshot {
        LiveSnapshot(plan: openPlan(), elapsedMicros: 12_300_000, totalMicros: 100_000_000, expectedRequests: 22_000,
                     stageIndex: 1, stageTarget: "300/s", sofar: recorder(ok: 3_512, failed: 3, dropped: 2),
                     lastSecond: second(), recentRPS: (0..<75).map { Double($0 * 4) }, inFlight: 12)
    }

    private func countSnapshot() -> LiveSnapshot {
        LiveSnapshot(plan: closedPlan(requests: 10_000), elapsedMicros: 4_000_000, totalMicros: nil, expectedRequests: 10_000,
                     stageIndex: 0, stageTarget: "50 workers", sofar: recorder(ok: 3_500, failed: 0, dropped: 0),
                     lastSecond: nil, recentRPS: [], inFlight: 50)
    }

    // MARK: Panel

    func testPanelHasAFixedLineCountAndFitsEveryWidth() {
        for snapshot in [timeSnapshot(), countSnapshot()] {
            for width in [0, 10, 40, 41, 60, 80, 132, 300] {
                for color in [false, true] {
                    let lines = LiveView.panel(snapshot, width: width, color: color)
                    XCTAssertEqual(lines.count, 7, "width \(width)")
                    let limit = width <= 0 ? 80 : Swift.max(40, width)
                    for line in lines {
                        XCTAssertFalse(line.contains("\n"))
                        XCTAssertLessThan(visible(line).count, limit, "width \(width): \(line)")
                    }
                }
            }
        }
    }

    func testPanelContent() {
        let lines = LiveView.panel(timeSnapshot(), width: 100, color: false)
        let text = lines.joined(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("progress  ["), lines[0])
        XCTAssertTrue(lines[0].hasSuffix("00:12 / 01:40  12%"), lines[0])
        XCTAssertTrue(lines[0].contains("█"))
        XCTAssertTrue(text.contains("stage     2/3 · target 300/s"), text)
        XCTAssertTrue(text.contains("298.0 req/s · in flight 12"), text)
        XCTAssertTrue(text.contains("ok 3,512 · failed 3 · dropped 2"), text)
        XCTAssertTrue(text.contains("p50 1.20ms · p99 8.40ms"), text)
        XCTAssertTrue(lines[5].hasPrefix("req/s     "))
        XCTAssertTrue(lines[5].contains("█"), "the peak is the top level")
        XCTAssertTrue(lines[5].contains("peak 296.0"), lines[5])
        XCTAssertEqual(lines[6], "Ctrl-C to stop (results are kept)")
    }

    func testPanelCountBasedProgressAndMissingSecond() {
        let lines = LiveView.panel(countSnapshot(), width: 80, color: false)
        XCTAssertTrue(lines[0].contains("3,500 / 10,000  35%"), lines[0])
        XCTAssertTrue(lines[0].contains("00:04"), lines[0])
        XCTAssertTrue(lines[1].contains("1/1 · target 50 workers"), lines[1])
        XCTAssertTrue(lines[2].contains("- req/s · in flight 50"), lines[2])
        XCTAssertTrue(lines[4].contains("p50 - · p99 -"), lines[4])
        XCTAssertEqual(lines[5], "req/s     -")
    }

    func testPanelWithoutAnyBoundShowsElapsed() {
        var s = countSnapshot()
        s.expectedRequests = nil
        s.stageIndex = nil
        s.stageTarget = nil
        let lines = LiveView.panel(s, width: 80, color: false)
        XCTAssertEqual(lines[0], "progress  00:04 elapsed")
        XCTAssertEqual(lines[1], "stage     -")
    }

    func testNarrowPanelIsCutWithAnEllipsis() {
        let lines = LiveView.panel(timeSnapshot(), width: 40, color: true)
        XCTAssertTrue(lines.contains { visible($0).hasSuffix("…") })
        for line in lines {
            XCTAssertLessThanOrEqual(visible(line).count, 39)
            // A cut never leaves an unterminated style.
            XCTAssertFalse(endsStyled(line), line)
        }
    }

    func testNoEscapeBytesWithoutColor() {
        for snapshot in [timeSnapshot(), countSnapshot()] {
            for width in [40, 80, 200] {
                for line in LiveView.panel(snapshot, width: width, color: false) {
                    XCTAssertFalse(line.contains(esc), line)
                }
            }
        }
    }

    func testColorCodesWhenColor() {
        let lines = LiveView.panel(timeSnapshot(), width: 120, color: true)
        let text = lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("\u{1B}[1mprogress\u{1B}[0m"), "bold labels")
        XCTAssertTrue(text.contains("\u{1B}[32mok 3,512\u{1B}[0m"), "green ok")
        XCTAssertTrue(text.contains("\u{1B}[31mfailed 3\u{1B}[0m"), "red failed")
        XCTAssertTrue(text.contains("\u{1B}[33mdropped 2\u{1B}[0m"), "yellow dropped")
        // Stripped of colour, the panel reads exactly as the plain one.
        XCTAssertEqual(lines.map(visible), LiveView.panel(timeSnapshot(), width: 120, color: false))
    }

    func testCleanRunIsNotRed() {
        let text = LiveView.panel(countSnapshot(), width: 80, color: true).joined()
        XCTAssertFalse(text.contains("\u{1B}[31m"))
        XCTAssertFalse(text.contains("\u{1B}[33m"))
        XCTAssertTrue(text.contains("\u{1B}[32m"))
    }

    // MARK: Redraw

    func testRedrawSequence() {
        XCTAssertEqual(LiveView.redraw(previousLineCount: 0, lines: ["a", "b"]), "\u{1B}[2Ka\n\u{1B}[2Kb\n")
        XCTAssertEqual(LiveView.redraw(previousLineCount: 2, lines: ["c", "d"]), "\r\u{1B}[2A\u{1B}[2Kc\n\u{1B}[2Kd\n")
        // Shorter: what is left below is cleared, without clearing the screen.
        XCTAssertEqual(LiveView.redraw(previousLineCount: 3, lines: ["e"]), "\r\u{1B}[3A\u{1B}[2Ke\n\u{1B}[J")
        // Erase the panel before the final report.
        XCTAssertEqual(LiveView.redraw(previousLineCount: 7, lines: []), "\r\u{1B}[7A\u{1B}[J")
        let frame = LiveView.redraw(previousLineCount: 7, lines: LiveView.panel(timeSnapshot(), width: 80, color: true))
        XCTAssertFalse(frame.contains("\u{1B}[2J"), "never a full-screen clear")
        XCTAssertEqual(frame.filter { $0 == "\n" }.count, 7)
        XCTAssertEqual(frame.components(separatedBy: "\u{1B}[2K").count - 1, 7)
    }

    // MARK: One line

    func testProgressLine() {
        let line = LiveView.progressLine(timeSnapshot())
        XCTAssertFalse(line.contains(esc))
        XCTAssertEqual(line, "[00:12/01:40  12%] stage 2/3 (300/s) · 298.0 req/s · in flight 12 · ok 3,512 · failed 3 · dropped 2 · p50 1.20ms p99 8.40ms")
    }

    func testProgressLineCountBasedAndUnbounded() {
        let line = LiveView.progressLine(countSnapshot())
        XCTAssertFalse(line.contains(esc))
        XCTAssertEqual(line, "[00:04 · 3,500/10,000  35%] stage 1/1 (50 workers) · - req/s · in flight 50 · ok 3,500 · failed 0 · dropped 0 · p50 - p99 -")
        var s = countSnapshot()
        s.expectedRequests = nil
        s.stageIndex = nil
        s.stageTarget = nil
        XCTAssertTrue(LiveView.progressLine(s).hasPrefix("[00:04] · - req/s"), LiveView.progressLine(s))
    }

    func testProgressNeverPassesOneHundredPercent() {
        var s = timeSnapshot()
        s.elapsedMicros = 130_000_000
        XCTAssertTrue(LiveView.progressLine(s).hasPrefix("[02:10/01:40  100%]"))
        XCTAssertTrue(LiveView.panel(s, width: 80, color: false)[0].contains("[" + String(repeating: "█", count: 40) + "]"))
        s.elapsedMicros = 99_999_999
        XCTAssertTrue(LiveView.progressLine(s).hasPrefix("[01:39/01:40  99%]"))
    }

    // MARK: Pieces

    func testBarSparklineAndClock() {
        XCTAssertEqual(LiveView.bar(fraction: 0, cells: 4), "░░░░")
        XCTAssertEqual(LiveView.bar(fraction: 0.5, cells: 4), "██░░")
        XCTAssertEqual(LiveView.bar(fraction: 0.5625, cells: 4), "██▎░")
        XCTAssertEqual(LiveView.bar(fraction: 2, cells: 4), "████")
        XCTAssertEqual(LiveView.bar(fraction: .nan, cells: 3), "░░░")
        for f in stride(from: 0.0, through: 1.0, by: 0.01) { XCTAssertEqual(LiveView.bar(fraction: f, cells: 7).count, 7) }

        XCTAssertEqual(LiveView.sparkline([]), "")
        XCTAssertEqual(LiveView.sparkline([0, 0]), "▁▁")
        XCTAssertEqual(LiveView.sparkline([0, 1, 2, 3, 4, 5, 6, 7, 8]), "▁▁▂▃▄▅▆▇█")
        XCTAssertEqual(LiveView.sparkline([-1, .infinity, 10]), "▁▁█")

        XCTAssertEqual(LiveView.clock(seconds: 0), "00:00")
        XCTAssertEqual(LiveView.clock(seconds: 100), "01:40")
        XCTAssertEqual(LiveView.clock(seconds: 3_725), "1:02:05")
    }

    func testSparklineKeepsTheNewestValuesThatFit() {
        var s = timeSnapshot()
        s.recentRPS = Array(repeating: 1, count: 30) + Array(repeating: 0, count: 30)
        let line = LiveView.panel(s, width: 50, color: false)[5]
        // 49 columns − 10 label − "  peak 1.0" leaves 29 cells: all from the newest (zero) half.
        XCTAssertEqual(line, "req/s     " + String(repeating: "▁", count: 29) + "  peak 1.0")
    }

    // MARK: Colour decision

    func testShouldColorMatrix() {
        let tty: [String: String] = ["TERM": "xterm-256color"]
        XCTAssertTrue(LiveView.shouldColor(mode: "auto", isTerminal: true, environment: tty))
        XCTAssertFalse(LiveView.shouldColor(mode: "auto", isTerminal: false, environment: tty))
        XCTAssertTrue(LiveView.shouldColor(mode: "auto", isTerminal: true, environment: [:]))
        XCTAssertFalse(LiveView.shouldColor(mode: "auto", isTerminal: true, environment: ["TERM": "dumb"]))
        XCTAssertFalse(LiveView.shouldColor(mode: "auto", isTerminal: true, environment: ["TERM": "xterm", "NO_COLOR": "1"]))
        // no-color.org: present and not empty. An empty NO_COLOR does not disable.
        XCTAssertTrue(LiveView.shouldColor(mode: "auto", isTerminal: true, environment: ["TERM": "xterm", "NO_COLOR": ""]))

        // always: the explicit flag wins over NO_COLOR, TERM=dumb and a non-terminal.
        XCTAssertTrue(LiveView.shouldColor(mode: "always", isTerminal: false, environment: ["NO_COLOR": "1", "TERM": "dumb"]))
        XCTAssertTrue(LiveView.shouldColor(mode: "ALWAYS", isTerminal: true, environment: [:]))
        // never: never.
        XCTAssertFalse(LiveView.shouldColor(mode: "never", isTerminal: true, environment: tty))
        // Anything else is read as auto.
        XCTAssertTrue(LiveView.shouldColor(mode: "", isTerminal: true, environment: tty))
        XCTAssertFalse(LiveView.shouldColor(mode: "bogus", isTerminal: false, environment: tty))
    }

    // MARK: Helpers

    /// Whether a style is still on at the end of the line: every SGR code but 0 must be followed by a reset.
    private func endsStyled(_ line: String) -> Bool {
        var open = false
        for piece in line.split(separator: esc).dropFirst() {
            guard piece.hasPrefix("["), let m = piece.firstIndex(of: "m") else { continue }
            open = piece[piece.index(after: piece.startIndex)..<m] != "0"
        }
        return open
    }

    /// The line without SGR sequences: what the terminal shows.
    private func visible(_ line: String) -> String {
        var out = ""
        var inEscape = false
        for ch in line {
            if inEscape {
                if ch.isLetter { inEscape = false }
            } else if ch == esc {
                inEscape = true
            } else {
                out.append(ch)
            }
        }
        return out
    }

    /// The engine's live counts (current second included) win over the closed seconds' when given: the panel and the
    /// progress line move between seconds.
    func testLiveCountsWinOverClosedSeconds() {
        let closed = recorder(ok: 3, failed: 0, dropped: 0)
        let s = LiveSnapshot(plan: closedPlan(requests: 1_000), elapsedMicros: 900_000, expectedRequests: 1_000, sofar: closed,
                             inFlight: 0, counts: LiveCounts(ok: 412, failed: 7, dropped: 0, inFlight: 49))
        let panel = LiveView.panel(s, width: 100, color: false).joined(separator: "\n")
        XCTAssertTrue(panel.contains("ok 412 · failed 7 · dropped 0"), panel)
        XCTAssertTrue(panel.contains("in flight 49"), panel)
        let line = LiveView.progressLine(s)
        XCTAssertTrue(line.contains("ok 412") && line.contains("in flight 49") && line.contains("419/1,000"), line)
        // Without live counts, the closed seconds' are shown, as before.
        let old = LiveSnapshot(plan: closedPlan(requests: 1_000), elapsedMicros: 900_000, expectedRequests: 1_000, sofar: closed)
        XCTAssertTrue(LiveView.panel(old, width: 100, color: false).joined(separator: "\n").contains("ok 3 · failed 0"))
    }
}
