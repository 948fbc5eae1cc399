import ArgumentParser
import Foundation
import Glibc
import Synchronization
import BarrageCore
import BarrageEngine
import BarrageMetricsServer
import BarrageTargetServer // ListenFailure: why a NIO server could not listen, shared with `serve`

/// How a run shows itself while it lasts.
struct LiveOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Not a terminal: print a progress line this often.", valueName: "duration"))
    var progressInterval = FlagValue.Duration(argument: "5s")

    @Flag(help: "No live panel and no progress lines.")
    var noProgress = false

    @Option(help: ArgumentHelp("Colours: auto (terminal, no NO_COLOR), always, never.", valueName: "auto|always|never"))
    var color: String = "auto"

    @Option(help: ArgumentHelp("Serve live metrics in Prometheus format at http://ADDR/metrics while the run lasts.", valueName: "host:port"))
    var metricsAddr: String?

    @Option(help: ArgumentHelp("Keep --metrics-addr up this long after the run, serving its final numbers, so the last values are scraped.", valueName: "duration"))
    var metricsLinger = FlagValue.Duration(argument: "0s")

    /// --metrics-linger in µs, checked.
    func lingerMicros() throws -> Int64 {
        try metricsLinger.checked("--metrics-linger", min: 0, max: 3_600_000_000)
    }

    /// --progress-interval in µs, checked.
    func intervalMicros() throws -> Int64 {
        try progressInterval.checked("--progress-interval", min: 100_000, max: 3_600_000_000)
    }

    func validate() throws {
        _ = try intervalMicros()
        guard ["auto", "always", "never"].contains(color) else {
            throw BarrageError.usage("--color '\(color)': expected auto, always or never")
        }
        if let metricsAddr { _ = try Self.hostPort(metricsAddr) }
        if try lingerMicros() > 0 && metricsAddr == nil {
            throw BarrageError.usage("--metrics-linger needs --metrics-addr")
        }
    }

    static func hostPort(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw BarrageError.usage("--metrics-addr '\(text)': expected HOST:PORT, e.g. 127.0.0.1:9464")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}

/// Draws the live panel on a terminal (stderr), calm progress lines elsewhere, and feeds the metrics endpoint.
final class LiveReporter {
    enum Mode { case panel, lines, off }

    let plan: RunPlan
    let mode: Mode
    let color: Bool
    let intervalMicros: Int64
    private var lastDrawMicros: Int64 = -1
    private var panelLines = 0
    private let metricsText = TextBox()
    private var metrics: MetricsServer?
    private let lingerMicros: Int64
    private let metricsAddr: String?

    init(plan: RunPlan, options: LiveOptions, quiet: Bool) throws {
        self.plan = plan
        let terminal = isatty(2) == 1
        mode = quiet || options.noProgress ? .off : (terminal ? .panel : .lines)
        color = LiveView.shouldColor(mode: options.color, isTerminal: terminal, environment: ProcessInfo.processInfo.environment)
        intervalMicros = (try? options.intervalMicros()) ?? 5_000_000
        lingerMicros = (try? options.lingerMicros()) ?? 0
        metricsAddr = options.metricsAddr
        if let addr = options.metricsAddr {
            let (host, port) = try LiveOptions.hostPort(addr)
            let text = metricsText
            do {
                metrics = try MetricsServer.start(host: host, port: port, contentType: PrometheusExposition.contentType) {
                    text.get()
                }
            } catch {
                throw BarrageError.failure("--metrics-addr \(addr): cannot listen (\(ListenFailure.reason(error)))")
            }
            if mode != .off { writeStderr("metrics at http://\(addr)/metrics\n") }
            metricsText.set(PrometheusExposition.render(Recorder(), inFlight: 0, plan: PlanRecord(plan), elapsedMicros: 0, version: Barrage.version,
                                                        iterations: plan.workload.flow == nil ? nil : IterationRecorder()))
        }
    }

    /// What one draw shows: one engine's progress, or several scenarios' put together.
    struct Frame {
        var elapsedMicros: Int64
        var runElapsedMicros: Int64
        var sofar: Recorder
        var live: LiveCounts
        var timeline: [TimelineEntry]
        var iterations: IterationRecorder?
    }

    /// Called about twenty times a second; redraws four times a second (panel) or every interval (lines).
    func update(_ p: Engine.Progress) {
        // Nothing shown and nothing served: no snapshot to build (it scans the recorders twenty times a second).
        if mode == .off && metrics == nil { return }
        draw(Frame(elapsedMicros: p.elapsedMicros, runElapsedMicros: p.runElapsedMicros, sofar: p.sofar, live: p.live,
                   timeline: p.timeline, iterations: p.iterations))
    }

    /// Several scenarios at once: each lane's latest progress (nil before its first) and its start after the run's
    /// (µs); put together only when a draw is due (merging recorders is not free).
    func update(lanes: [Engine.Progress?], startAfterMicros: [Int64], endMicros: [Int64?]) {
        if mode == .off && metrics == nil { return }
        let now = lanes.compactMap { $0?.elapsedMicros }.max() ?? 0
        guard lastDrawMicros < 0 || now - lastDrawMicros >= (mode == .lines ? 1_000_000 : 250_000) else { return }
        var sofar = Recorder()
        var live = LiveCounts()
        var runElapsed: Int64 = 0
        var parts: [(name: String, startedEpochMillis: Int64, entries: [TimelineEntry])] = []
        for (l, p) in lanes.enumerated() {
            guard let p else { continue }
            sofar.merge(p.sofar)
            live.ok += p.live.ok; live.failed += p.live.failed; live.dropped += p.live.dropped; live.inFlight += p.live.inFlight
            if p.runElapsedMicros > 0 { runElapsed = max(runElapsed, p.runElapsedMicros + startAfterMicros[l]) }
            parts.append(("\(l)", 0, ScenarioResults.shifted(p.timeline, bySeconds: Int((startAfterMicros[l] + 500_000) / 1_000_000))))
        }
        // Whole seconds only: a second is shown once every scenario still sending has handed it over (one that is
        // behind would make it look low).
        var cap = Int.max
        for (l, p) in lanes.enumerated() {
            guard let p, let last = p.timeline.last else { continue }
            if let end = endMicros[l], runElapsed >= end { continue } // done sending: its seconds are all in
            cap = min(cap, last.t_s + Int((startAfterMicros[l] + 500_000) / 1_000_000))
        }
        let timeline = ((try? ScenarioResults.sideBySide(parts)) ?? []).filter { $0.t_s <= cap }
        draw(Frame(elapsedMicros: now, runElapsedMicros: runElapsed, sofar: sofar, live: live, timeline: timeline, iterations: nil))
    }

    private func draw(_ f: Frame) {
        let now = f.elapsedMicros
        let snapshot = self.snapshot(f)
        if metrics != nil, lastDrawMicros < 0 || now - lastDrawMicros >= 250_000 {
            let text = PrometheusExposition.render(f.sofar, inFlight: snapshot.inFlight, plan: PlanRecord(plan),
                                                   elapsedMicros: f.runElapsedMicros, version: Barrage.version,
                                                   iterations: plan.workload.flow == nil ? nil : (f.iterations ?? IterationRecorder()))
            metricsText.set(text)
        }
        switch mode {
        case .off:
            if lastDrawMicros < 0 || now - lastDrawMicros >= 250_000 { lastDrawMicros = now }
        case .panel:
            guard lastDrawMicros < 0 || now - lastDrawMicros >= 250_000 else { return }
            lastDrawMicros = now
            let width = Self.terminalWidth()
            let lines = LiveView.panel(snapshot, width: width, color: color)
            writeStderr(LiveView.redraw(previousLineCount: panelLines, lines: lines))
            panelLines = lines.count
        case .lines:
            guard f.runElapsedMicros > 0 else { return }
            if lastDrawMicros < 0 { lastDrawMicros = now; return }
            guard now - lastDrawMicros >= intervalMicros else { return }
            lastDrawMicros = now
            writeStderr(LiveView.progressLine(snapshot) + "\n")
        }
    }

    /// Erases the panel (the final summary replaces it) and stops the metrics endpoint — or, given the run's result
    /// and `--metrics-linger`, has the endpoint serve the result's numbers and hands it to `MetricsLinger`, which
    /// keeps it up until the command's outputs are written and the linger is over.
    func finish(final result: RunResult? = nil) {
        if mode == .panel && panelLines > 0 {
            writeStderr(LiveView.redraw(previousLineCount: panelLines, lines: []))
            panelLines = 0
        }
        if let server = metrics, let result {
            // The whole run, the last partial second included: what the result JSON says.
            if let recorder = try? ResultMerge.recorder(of: result, name: "result") {
                let iterations = plan.workload.flow == nil ? nil : result.iterations.flatMap { try? IterationRecorder($0) }
                metricsText.set(PrometheusExposition.render(recorder, inFlight: 0, plan: PlanRecord(plan),
                                                            elapsedMicros: result.duration_us, version: Barrage.version,
                                                            iterations: iterations))
            }
            if lingerMicros > 0 && !(result.interrupted && result.aborted_by == nil) {
                MetricsLinger.hold(server, micros: lingerMicros, address: metricsAddr ?? "", quiet: mode == .off)
                metrics = nil
                return
            }
        }
        metrics?.shutdown()
        metrics = nil
    }

    private func snapshot(_ p: Frame) -> LiveSnapshot {
        let elapsed = p.runElapsedMicros
        var stageIndex: Int? = nil
        var stageTarget: String? = nil
        if plan.stageCount > 1 || plan.schedule != nil || !plan.closedStages.isEmpty {
            let i = plan.stageIndex(atMicros: elapsed)
            stageIndex = i
            if let s = plan.schedule { stageTarget = fixed(s.rate(atMicros: elapsed), 0) + "/s" }
            else { stageTarget = "\(plan.concurrency(atMicros: elapsed)) workers" }
        }
        // Seconds inside the warm-up measured nothing: no rate (the end of the run is not known yet).
        let recent = p.timeline.suffix(60).map { $0.measured(runMicros: .max, warmupMicros: plan.warmupMicros) }
        let last = recent.last
        return LiveSnapshot(
            plan: PlanRecord(plan), elapsedMicros: elapsed, totalMicros: plan.durationMicros,
            expectedRequests: plan.processExpectedRequests, stageIndex: stageIndex, stageTarget: stageTarget,
            sofar: p.sofar, lastSecond: last, recentRPS: recent.map(\.rps), inFlight: p.live.inFlight,
            counts: p.live)
    }

    static func terminalWidth() -> Int {
        var ws = winsize()
        if ioctl(2, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { return Int(ws.ws_col) }
        return 80
    }
}

/// The latest metrics text, shared with the endpoint's event loop.
final class TextBox: Sendable {
    private let value = Mutex<String>("")
    func get() -> String { value.withLock { $0 } }
    func set(_ text: String) { value.withLock { $0 = text } }
}

/// `--metrics-linger`: the metrics endpoint of a finished run, kept up until the command has written its outputs and
/// the linger is over (or a signal cuts it short).
enum MetricsLinger {
    nonisolated(unsafe) private static var held: (server: MetricsServer, micros: Int64, address: String, quiet: Bool)?

    static func hold(_ server: MetricsServer, micros: Int64, address: String, quiet: Bool) {
        held = (server, micros, address, quiet)
    }

    /// Waits out the linger (from now), then stops the endpoint. Returns at once when nothing is held.
    static func wait() {
        guard let h = held else { return }
        held = nil
        if !h.quiet {
            writeStderr("barrage: metrics stay at http://\(h.address)/metrics for \(DurationParser.format(micros: h.micros)) (--metrics-linger; Ctrl-C ends it)\n")
        }
        let signals = Signals.count
        let end = BarrageEngine.Clock.monotonicMicros() + h.micros
        while BarrageEngine.Clock.monotonicMicros() < end && Signals.count == signals { usleep(50_000) }
        h.server.shutdown()
    }
}
