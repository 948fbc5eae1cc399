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

    init(plan: RunPlan, options: LiveOptions, quiet: Bool) throws {
        self.plan = plan
        let terminal = isatty(2) == 1
        mode = quiet || options.noProgress ? .off : (terminal ? .panel : .lines)
        color = LiveView.shouldColor(mode: options.color, isTerminal: terminal, environment: ProcessInfo.processInfo.environment)
        intervalMicros = (try? options.intervalMicros()) ?? 5_000_000
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

    /// Called about twenty times a second; redraws four times a second (panel) or every interval (lines).
    func update(_ p: Engine.Progress) {
        let now = p.elapsedMicros
        // Nothing shown and nothing served: no snapshot to build (it scans the recorders twenty times a second).
        if mode == .off && metrics == nil { return }
        let snapshot = self.snapshot(p)
        if metrics != nil, lastDrawMicros < 0 || now - lastDrawMicros >= 250_000 {
            let text = PrometheusExposition.render(p.sofar, inFlight: snapshot.inFlight, plan: PlanRecord(plan),
                                                   elapsedMicros: p.runElapsedMicros, version: Barrage.version,
                                                   iterations: plan.workload.flow == nil ? nil : (p.iterations ?? IterationRecorder()))
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
            guard p.runElapsedMicros > 0 else { return }
            if lastDrawMicros < 0 { lastDrawMicros = now; return }
            guard now - lastDrawMicros >= intervalMicros else { return }
            lastDrawMicros = now
            writeStderr(LiveView.progressLine(snapshot) + "\n")
        }
    }

    /// Erases the panel (the final summary replaces it) and stops the metrics endpoint.
    func finish() {
        if mode == .panel && panelLines > 0 {
            writeStderr(LiveView.redraw(previousLineCount: panelLines, lines: []))
            panelLines = 0
        }
        metrics?.shutdown()
        metrics = nil
    }

    private func snapshot(_ p: Engine.Progress) -> LiveSnapshot {
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
