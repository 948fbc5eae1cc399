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

    @Option(help: ArgumentHelp("Keep --metrics-addr and --dashboard up this long after the run, serving its final numbers, so the last values are scraped and the final report is seen.", valueName: "duration"))
    var metricsLinger = FlagValue.Duration(argument: "0s")

    @Option(help: ArgumentHelp("Serve a live dashboard at http://ADDR/ while the run lasts; the address may be left out (127.0.0.1 on a free port, printed).", valueName: "host:port"))
    var dashboard: String?

    /// Where `--dashboard` given without an address binds: loopback, a free port.
    static let dashboardDefault = "127.0.0.1:0"

    /// `--dashboard` may stand alone: when the next argument is not an address (HOST:PORT — a colon, no slash, not a
    /// flag), the default address is put after it, so argument-parser sees an option with its value.
    static func normalizeDashboardFlag(_ args: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            out.append(a)
            if a == "--" { out += args[(i + 1)...]; break }
            if a == "--dashboard" {
                let next = i + 1 < args.count ? args[i + 1] : nil
                let isAddress = next.map { $0.contains(":") && !$0.contains("/") && !$0.hasPrefix("-") } ?? false
                if !isAddress { out.append(dashboardDefault) }
            }
            i += 1
        }
        return out
    }

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
        if let dashboard { _ = try Self.hostPort(dashboard, flag: "--dashboard", example: "127.0.0.1:8089") }
        if try lingerMicros() > 0 && metricsAddr == nil && dashboard == nil {
            throw BarrageError.usage("--metrics-linger needs --metrics-addr or --dashboard")
        }
    }

    static func hostPort(_ text: String, flag: String = "--metrics-addr", example: String = "127.0.0.1:9464") throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw BarrageError.usage("\(flag) '\(text)': expected HOST:PORT, e.g. \(example)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}

/// Draws the live panel on a terminal (stderr), calm progress lines elsewhere, and feeds the metrics endpoint and the
/// dashboard.
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
    /// `--dashboard`: the server, the address it is reached at, and when it was last fed (engine clock, µs).
    private var dashboard: DashboardServer?
    private var dashboardURL = ""
    private var lastDashboardMicros: Int64 = -1_000_000
    /// Judged on the dashboard as they stand, and on its final report.
    private let thresholds: [Threshold]
    private let quiet: Bool
    /// A WebSocket run: the messages of the latest second, for their latency on the panel and the progress lines.
    private var messageWindow = MessageWindow()

    init(plan: RunPlan, options: LiveOptions, quiet: Bool, thresholds: [Threshold] = []) throws {
        self.plan = plan
        self.thresholds = thresholds
        self.quiet = quiet
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
                                                        iterations: plan.workload.flow == nil ? nil : IterationRecorder(),
                                                        messages: plan.workload.webSocket == nil ? nil : MessageRecorder()))
        }
        if let addr = options.dashboard {
            let (host, port) = try LiveOptions.hostPort(addr, flag: "--dashboard", example: "127.0.0.1:8089")
            let page = Dashboard.page(plan: PlanRecord(plan), planLines: PlanBlock.lines(PlanRecord(plan), version: Barrage.version),
                                      hasThresholds: !thresholds.isEmpty)
            do {
                dashboard = try DashboardServer.start(host: host, port: port, page: page)
            } catch {
                metrics?.shutdown()
                metrics = nil
                throw BarrageError.usage("--dashboard \(addr): cannot listen (\(ListenFailure.reason(error)))")
            }
            let shownHost = host.contains(":") ? "[\(host)]" : host
            dashboardURL = "http://\(shownHost):\(dashboard?.port ?? port)/"
            // The port cannot be guessed when the system picked it: printed even with --quiet then.
            if !quiet || port == 0 { writeStderr("dashboard at \(dashboardURL)\n") }
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
        /// A WebSocket run's messages in the seconds handed over so far; nil for HTTP runs.
        var messages: MessageRecorder?
    }

    /// Called about twenty times a second; redraws four times a second (panel) or every interval (lines).
    func update(_ p: Engine.Progress) {
        // Nothing shown and nothing served: no snapshot to build (it scans the recorders twenty times a second).
        if mode == .off && metrics == nil && dashboard == nil { return }
        if p.startedEpochMillis != 0 {
            feedDashboard(now: p.elapsedMicros, runElapsedMicros: p.runElapsedMicros, live: p.live) { p.measurement }
        }
        if mode == .off && metrics == nil { return }
        draw(Frame(elapsedMicros: p.elapsedMicros, runElapsedMicros: p.runElapsedMicros, sofar: p.sofar, live: p.live,
                   timeline: p.timeline, iterations: p.iterations, messages: p.messages))
    }

    /// Several scenarios at once: each lane's latest progress (nil before its first) and its start after the run's
    /// (µs); put together only when a draw is due (merging recorders is not free).
    func update(lanes: [Engine.Progress?], startAfterMicros: [Int64], endMicros: [Int64?]) {
        if mode == .off && metrics == nil && dashboard == nil { return }
        let now = lanes.compactMap { $0?.elapsedMicros }.max() ?? 0
        // The dashboard alone (nothing drawn, no metrics endpoint) merges only when a page listens and a second passed.
        let dashboardDue = dashboard?.hasClients == true && now - lastDashboardMicros >= 1_000_000
        let drawDue = !(mode == .off && metrics == nil)
            && (lastDrawMicros < 0 || now - lastDrawMicros >= (mode == .lines ? 1_000_000 : 250_000))
        guard dashboardDue || drawDue else { return }
        var sofar = Recorder()
        var live = LiveCounts()
        var messages: MessageRecorder? = nil
        var runElapsed: Int64 = 0
        var parts: [(name: String, startedEpochMillis: Int64, entries: [TimelineEntry])] = []
        for (l, p) in lanes.enumerated() {
            guard let p else { continue }
            sofar.merge(p.sofar)
            live.add(p.live)
            if let m = p.messages {
                if messages == nil { messages = MessageRecorder() }
                messages!.merge(m)
            }
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
        // Several scenarios: the dashboard gets them put together as the final result is (`ScenarioResults.combine`:
        // each scenario's iterations, its steps as targets), on the whole seconds above.
        // The run's clock starts where the first lane's did, less its delay.
        let started = lanes.enumerated().compactMap { l, p in
            p.flatMap { $0.startedEpochMillis != 0 ? $0.startedEpochMillis - startAfterMicros[l] / 1000 : nil }
        }.min()
        if let started {
            let plan = self.plan
            feedDashboard(now: now, runElapsedMicros: runElapsed, live: live, result: {
                let parts = lanes.enumerated().compactMap { l, p -> (lane: ScenarioLane, result: RunResult)? in
                    guard let p, p.startedEpochMillis != 0, l < plan.lanes.count else { return nil }
                    return (plan.lanes[l], RunResult.build(version: Barrage.version, plan: plan.lanes[l].plan, measured: p.measurement,
                                                           interrupted: false))
                }
                guard !parts.isEmpty, var combined = try? ScenarioResults.combine(version: Barrage.version, plan: plan, lanes: parts) else {
                    return nil
                }
                combined.timeline = timeline
                return combined
            }) {
                RunMeasurement(recorder: sofar, timeline: timeline, startedEpochMillis: started, runMicros: Int64(timeline.count) * 1_000_000)
            }
        }
        guard drawDue else { return }
        draw(Frame(elapsedMicros: now, runElapsedMicros: runElapsed, sofar: sofar, live: live, timeline: timeline, iterations: nil,
                   messages: messages))
    }

    /// At most once a second, and only while a page listens: the fragments of the seconds closed so far, built into a
    /// result as the final one is (and as abort-on-fail gates see it), rendered on this (the controller's) thread; the
    /// server only sends them.
    /// `result`, when given, builds the result itself (several scenarios, put together); nil from it falls back on
    /// `measurement`.
    private func feedDashboard(now: Int64, runElapsedMicros: Int64, live: LiveCounts, result: (() -> RunResult?)? = nil,
                               measurement: () -> RunMeasurement) {
        guard let dashboard, dashboard.hasClients, now - lastDashboardMicros >= 1_000_000 else { return }
        lastDashboardMicros = now
        let sofar = result?() ?? RunResult.build(version: Barrage.version, plan: plan, measured: measurement(), interrupted: false)
        let fragments = Dashboard.fragments(sofar: sofar, live: live, elapsedMicros: runElapsedMicros,
                                            totalMicros: plan.durationMicros, thresholds: thresholds)
        dashboard.publish(Dashboard.events(fragments))
    }

    private func draw(_ f: Frame) {
        let now = f.elapsedMicros
        if let m = f.messages { messageWindow.advance(sofar: m, closedSeconds: f.timeline.count) }
        let snapshot = self.snapshot(f)
        if metrics != nil, lastDrawMicros < 0 || now - lastDrawMicros >= 250_000 {
            let text = PrometheusExposition.render(f.sofar, inFlight: snapshot.inFlight, plan: PlanRecord(plan),
                                                   elapsedMicros: f.runElapsedMicros, version: Barrage.version,
                                                   iterations: plan.workload.flow == nil ? nil : (f.iterations ?? IterationRecorder()),
                                                   messages: plan.workload.webSocket == nil ? nil : (f.messages ?? MessageRecorder()),
                                                   connectionsOpen: f.live.messages?.connectionsOpen ?? 0)
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
        if let server = dashboard {
            dashboard = nil
            if let result {
                // The page becomes the final report, thresholds judged as the command will judge them.
                var judged = result
                judged.thresholds = ThresholdEvaluator.evaluate(thresholds, on: result)
                server.finish(Dashboard.reportEvent(judged))
                if lingerMicros > 0 && !(result.interrupted && result.aborted_by == nil) {
                    MetricsLinger.hold(server.shutdown, micros: lingerMicros, what: "the dashboard stays at \(dashboardURL)",
                                       quiet: quiet)
                } else {
                    server.shutdown()
                }
            } else {
                server.shutdown()
            }
        }
        if let server = metrics, let result {
            // The whole run, the last partial second included: what the result JSON says.
            if let recorder = try? ResultMerge.recorder(of: result, name: "result") {
                let iterations = plan.workload.flow == nil ? nil : result.iterations.flatMap { try? IterationRecorder($0) }
                // A WebSocket run's messages as the JSON has them (its connections are all closed now).
                let messages = plan.workload.webSocket == nil ? nil : result.messages.flatMap { try? MessageRecorder($0) }
                metricsText.set(PrometheusExposition.render(recorder, inFlight: 0, plan: PlanRecord(plan),
                                                            elapsedMicros: result.duration_us, version: Barrage.version,
                                                            iterations: iterations, messages: messages))
            }
            if lingerMicros > 0 && !(result.interrupted && result.aborted_by == nil) {
                MetricsLinger.hold(server.shutdown, micros: lingerMicros, what: "metrics stay at http://\(metricsAddr ?? "")/metrics",
                                   quiet: mode == .off)
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
        // A WebSocket run: its messages, the rate of the same latest second and the latency of the latest window.
        let messages = plan.workload.webSocket == nil ? nil
            : LiveMessages(counts: p.live.messages ?? LiveMessageCounts(), lastSecond: last, window: messageWindow.last)
        return LiveSnapshot(
            plan: PlanRecord(plan), elapsedMicros: elapsed, totalMicros: plan.durationMicros,
            expectedRequests: plan.processExpectedRequests, stageIndex: stageIndex, stageTarget: stageTarget,
            sofar: p.sofar, lastSecond: last, recentRPS: recent.map(\.rps), inFlight: p.live.inFlight,
            counts: p.live, messages: messages)
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
    /// What is held: how to stop it, for how long, and the line that says where it stays ("metrics stay at …").
    nonisolated(unsafe) private static var held: [(shutdown: () -> Void, micros: Int64, what: String, quiet: Bool)] = []

    static func hold(_ shutdown: @escaping () -> Void, micros: Int64, what: String, quiet: Bool) {
        held.append((shutdown, micros, what, quiet))
    }

    /// Waits out the linger (from now), then stops the endpoints (the metrics endpoint, the dashboard). Returns at
    /// once when nothing is held.
    static func wait() {
        guard let micros = held.map(\.micros).max() else { return }
        let all = held
        held = []
        for h in all where !h.quiet {
            writeStderr("barrage: \(h.what) for \(DurationParser.format(micros: h.micros)) (--metrics-linger; Ctrl-C ends it)\n")
        }
        let signals = Signals.count
        let end = BarrageEngine.Clock.monotonicMicros() + micros
        while BarrageEngine.Clock.monotonicMicros() < end && Signals.count == signals { usleep(50_000) }
        for h in all { h.shutdown() }
    }
}
