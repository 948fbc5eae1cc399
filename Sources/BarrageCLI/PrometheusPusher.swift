import ArgumentParser
import Foundation
import BarrageCore
import BarrageEngine

/// `--prometheus-rw`: where and how often a run pushes its metrics.
struct PushOptions: ParsableArguments {
    @Option(name: .customLong("prometheus-rw"),
            help: ArgumentHelp("Push metrics to this Prometheus remote-write URL during the run and once at its end.", valueName: "url"))
    var prometheusRW: String?

    @Option(name: .customLong("prometheus-rw-header"),
            help: ArgumentHelp("A header for every push, e.g. 'X-Scope-OrgID: team' or 'Authorization: Basic …' (repeatable; never printed).", valueName: "'Name: value'"))
    var prometheusRWHeaders: [String] = []

    @Option(help: ArgumentHelp("How often to push with --prometheus-rw.", valueName: "duration"))
    var pushInterval = FlagValue.Duration(argument: "5s")

    func validate() throws {
        _ = try intervalMicros()
        if let url = prometheusRW {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                  let host = parsed.host, !host.isEmpty else {
                throw BarrageError.usage("--prometheus-rw '\(url)': expected an http:// or https:// URL, e.g. http://127.0.0.1:9090/api/v1/write")
            }
        } else if !prometheusRWHeaders.isEmpty {
            throw BarrageError.usage("--prometheus-rw-header needs --prometheus-rw")
        }
        for h in prometheusRWHeaders {
            let name = h.split(separator: ":", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard h.contains(":"), !name.isEmpty, !name.contains(" ") else {
                // The value may be a secret: only the name (or nothing) is repeated.
                throw BarrageError.usage("--prometheus-rw-header: expected 'Name: value'\(name.isEmpty || name.contains(" ") ? "" : " (got a header named '\(name)')")")
            }
        }
    }

    func intervalMicros() throws -> Int64 {
        try pushInterval.checked("--push-interval", min: 1_000_000, max: 3_600_000_000)
    }
}

/// Pushes a run's metrics to a Prometheus remote-write receiver from a thread of its own, so a slow or failing
/// receiver never slows the load: the controller only builds the series every `--push-interval` and queues them.
/// A failed push is retried with backoff (0.5 s doubling, four attempts) while no newer one waits; pushes are
/// counted, and what failed is reported once at the end.
final class PrometheusPusher: @unchecked Sendable {
    private let url: String
    private let headers: [String]
    private let intervalMicros: Int64
    private let plan: PlanRecord
    private let labels: [RemoteWrite.Label]
    private let targetNames: [String]

    // Controller thread only.
    private var lastPushMicros: Int64 = 0
    private var pushedSeconds: [Int] = []
    /// Per lane: a WebSocket run's messages pushed so far, so each push's window holds those handed over since.
    private var messageWindows: [MessageWindow] = []
    private var lastTimestamp: Int64 = 0

    // Shared with the pushing thread, under `condition`.
    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    private var closed = false
    private var busy = false
    private(set) var attempted = 0
    private(set) var failed = 0
    private(set) var skipped = 0
    private var lastError: String?
    private var thread: Thread?

    init(options: PushOptions, plan: RunPlan, runID: String) throws {
        guard let url = options.prometheusRW else { throw BarrageError.failure("no --prometheus-rw") }
        self.url = url
        headers = RemoteWrite.headers.map { "\($0.0): \($0.1)" } + options.prometheusRWHeaders
        intervalMicros = try options.intervalMicros()
        self.plan = PlanRecord(plan)
        labels = PushSeries.runLabels(runID: runID, plan: self.plan)
        targetNames = plan.targets.map(\.name)
        let t = Thread { [unowned self] in self.loop() }
        t.name = "barrage-prometheus-rw"
        thread = t
        t.start()
    }

    /// Called with each progress tick: pushes once `--push-interval` has passed since the last push.
    func observe(_ p: Engine.Progress) {
        observe(lanes: [p], scenarios: [plan.scenario], targetNames: [targetNames])
    }

    /// Several scenarios at once: each lane's latest progress (nil before its first).
    func observe(lanes: [Engine.Progress?], scenarios: [String?], targetNames: [[String]]) {
        let now = lanes.compactMap { $0?.runElapsedMicros }.max() ?? 0
        guard now > 0, now - lastPushMicros >= intervalMicros else { return }
        lastPushMicros = now
        if pushedSeconds.count != lanes.count { pushedSeconds = Array(repeating: 0, count: lanes.count) }
        if messageWindows.count != lanes.count { messageWindows = Array(repeating: MessageWindow(), count: lanes.count) }
        var sofar = Recorder()
        var inFlight = 0
        var parts: [PushSeries.Lane] = []
        for (l, p) in lanes.enumerated() {
            guard let p else { continue }
            sofar.merge(p.sofar)
            inFlight += p.live.inFlight
            let window = p.timeline.dropFirst(pushedSeconds[l]).map { $0.measured(runMicros: .max, warmupMicros: plan.warmup_us ?? 0) }
            pushedSeconds[l] = p.timeline.count
            let messagesWindow = p.messages.map { messageWindows[l].take(sofar: $0) }
            parts.append(.init(scenario: scenarios[l], window: window, targetNames: targetNames[l], iterations: p.iterations,
                               messages: p.messages, messagesWindow: messagesWindow,
                               connectionsOpen: p.live.messages?.connectionsOpen ?? 0))
        }
        let series = PushSeries.interval(labels: labels, sofar: sofar, inFlight: inFlight, lanes: parts, timestampMillis: timestamp())
        enqueue(RemoteWrite.body(series))
    }

    /// The last push, with the result's totals and whole-run values; waits for the queue to drain (at most
    /// `waitSeconds`), then stops the thread. Returns a line to print when pushes failed.
    func finish(result: RunResult, waitSeconds: Double = 15) -> String? {
        enqueue(RemoteWrite.body(PushSeries.final(labels: labels, result: result, timestampMillis: timestamp())))
        let deadline = Date().addingTimeInterval(waitSeconds)
        condition.lock()
        closed = true
        condition.broadcast()
        while (!queue.isEmpty || busy) && Date() < deadline { _ = condition.wait(until: deadline) }
        let pending = queue.count
        queue.removeAll()
        let line: String? = failed + skipped + pending > 0
            ? "barrage: --prometheus-rw: \(attempted - failed) of \(attempted + skipped + pending) pushes arrived"
              + (lastError.map { " (last failure: \($0))" } ?? "")
            : nil
        condition.unlock()
        return line
    }

    /// Unix ms for the next push, strictly after the previous one (a receiver rejects samples out of order).
    private func timestamp() -> Int64 {
        lastTimestamp = max(lastTimestamp + 1, BarrageEngine.Clock.epochMillis())
        return lastTimestamp
    }

    private func enqueue(_ body: [UInt8]) {
        condition.lock()
        // A receiver far behind: keep the newest few (counters are cumulative, so the newest push carries them).
        while queue.count >= 4 { queue.removeFirst(); skipped += 1 }
        queue.append(body)
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty && closed { condition.unlock(); return }
            let body = queue.removeFirst()
            busy = true
            condition.unlock()
            var delay = 0.5
            var outcome = ""
            for attempt in 1...4 {
                let result = BlockingPost.send(url: url, headers: headers, body: body, timeoutMillis: 10_000)
                switch result {
                case .answered(let status) where (200...299).contains(status): outcome = ""
                case .answered(let status): outcome = "HTTP \(status)"
                case .failed(let why): outcome = why
                }
                // Done, or a refusal that a retry would not change (4xx other than 429).
                if outcome.isEmpty { break }
                if case .answered(let status) = result, (400...499).contains(status), status != 429 { break }
                condition.lock()
                let newer = !queue.isEmpty
                condition.unlock()
                if newer || attempt == 4 { break }
                Thread.sleep(forTimeInterval: delay)
                delay *= 2
            }
            condition.lock()
            attempted += 1
            if !outcome.isEmpty { failed += 1; lastError = outcome }
            busy = false
            condition.broadcast()
            condition.unlock()
        }
    }
}
