import Foundation
import Synchronization
import Glibc
import CLibcurl
import BarrageCore

/// Runs a plan on libcurl: spreads the workers over engine threads, merges their seconds into the timeline
/// as the run goes, and returns everything measured — also when stopped early.
public final class Engine {
    public struct Output: Sendable {
        public var recorder: Recorder
        /// The requests due within the plan's warm-up, kept out of `recorder`; nil without a warm-up.
        public var warmup: Recorder?
        /// The connect phase (`run(warmup: true)`): one request per worker before the clock starts; nil without it.
        public var connectPhase: Recorder?
        /// How long the connect phase took, from the first warm-up request until every thread was done with it (a wait
        /// for the start time after it is not included).
        public var connectPhaseMicros: Int64
        /// Per target and per stage (indexed like the plan's), when the plan has more than one.
        public var targets: [Recorder]
        public var stages: [Recorder]
        /// The first message seen for each error class.
        public var firstErrors: [String: String]
        public var timeline: [TimelineEntry]
        /// Unix time (ms) of the run clock's zero, just before the first send.
        public var startedEpochMillis: Int64
        /// From the run clock's zero to the last completion.
        public var durationMicros: Int64
        /// The process's CPU time from the engine's set-up to its end (user, system), µs.
        public var cpuMicros: (user: Int64, system: Int64)
        /// A flow's iterations; nil for plain targets.
        public var iterations: IterationRecorder? = nil
        /// A flow's groups, indexed like `Flow.groups`.
        public var groups: [GroupRecorder] = []
        /// A flow's first VU's variable table when the run ended (indexed like `Flow.variables`); nil for plain
        /// targets. The run's setup (one VU, one iteration) reads its captures from it.
        public var firstVUVariables: [FlowValue]? = nil
        /// A WebSocket run's messages; nil for HTTP runs.
        public var messages: MessageRecorder? = nil

        /// The measurement a result is built from (`RunResult.build`).
        public var measurement: RunMeasurement {
            var m = RunMeasurement(recorder: recorder, targets: targets, stages: stages, warmup: warmup, timeline: timeline,
                                   startedEpochMillis: startedEpochMillis, runMicros: durationMicros, firstErrors: firstErrors)
            m.connectPhase = connectPhase
            m.connectPhaseMicros = connectPhaseMicros
            m.connectAttemptsInFlight = Engine.connectAttemptsInFlight
            m.cpuMicros = cpuMicros
            m.iterations = iterations
            m.groups = groups
            m.messages = messages
            m.libcurl = Engine.libcurlDescription
            return m
        }
    }

    /// The loaded libcurl's version and TLS library, read once (`RunResult.client.libcurl`).
    static let libcurlDescription: String = {
        let info = LibcurlInfo.loaded
        return info.sslVersion.map { "\(info.version) \($0)" } ?? info.version
    }()

    /// What the controller knows while the run lasts.
    public struct Progress {
        /// Since the engine started (setup included), µs.
        public var elapsedMicros: Int64
        /// Since the run's start line (0 before it), µs.
        public var runElapsedMicros: Int64
        /// Everything measured in the seconds closed so far (the current second is still open on the threads).
        public var sofar: Recorder
        /// The same per target and per stage (indexed like the plan's; empty with one target, one stage).
        public var targets: [Recorder]
        public var stages: [Recorder]
        /// Counts and requests in flight as the threads see them now, current second included (the live view's).
        public var live: LiveCounts
        /// Seconds of the run completed so far (all threads passed them).
        public var timeline: [TimelineEntry]
        /// Unix ms of the run's start (0 before the start line).
        public var startedEpochMillis: Int64
        /// A flow's iterations that ended in the seconds handed over so far; nil for plain targets.
        public var iterations: IterationRecorder? = nil
        /// A WebSocket run's messages in the seconds handed over so far; nil for HTTP runs.
        public var messages: MessageRecorder? = nil

        /// The seconds closed so far as a measurement, for a result built the same way as the final one.
        public var measurement: RunMeasurement {
            var m = RunMeasurement(recorder: sofar, targets: targets, stages: stages, timeline: timeline,
                                   startedEpochMillis: startedEpochMillis, runMicros: Int64(timeline.count) * 1_000_000)
            m.iterations = iterations
            m.messages = messages
            return m
        }
    }

    /// Called on the controller's thread about twenty times a second while the run lasts.
    public typealias Tick = (Progress) -> Void

    private let plan: RunPlan
    private let userAgent: String?
    private let mode: DriveMode?
    private let faults: FaultInjection?

    /// A test seam: failures the engine cannot provoke through a real server. `failAdd(thread, k)` is asked before
    /// the k-th `curl_multi_add_handle` of an engine thread (k from 0, warm-up included); true makes it fail as if
    /// libcurl had refused the transfer.
    struct FaultInjection: Sendable {
        var failAdd: @Sendable (_ thread: Int, _ k: Int) -> Bool
    }

    /// How engine threads drive libcurl: `perform` (one multi handle, curl_multi_perform + curl_multi_poll) or
    /// `socket` (shards of ≤ 128 connections, curl_multi_socket_action + epoll). By default each thread picks
    /// perform up to 256 connections (an open-model pool of up to 1,000) and socket beyond; the plan's
    /// `engine.driveMode` or `mode:` force one.
    public typealias DriveMode = EngineTuning.DriveMode

    private static let globalInitOnce: Void = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    /// curl_global_init, once per process (before any handle is made).
    static func globalInit() { _ = globalInitOnce }

    /// Connect phase: warm-up requests (connection attempts) in flight at once, over all threads. Below the listen
    /// backlog most servers use (nginx's default is 511), so that no SYN is dropped and retried a second later.
    public static let connectAttemptsInFlight = 256

    /// `userAgent`: a `User-Agent` for every request; nil (the CLI's choice) sends none unless the plan's headers have
    /// one. libcurl 7.88 formats `CURLOPT_USERAGENT` twice per request, a byte at a time (about 7,000 instructions,
    /// a tenth of a keep-alive request's whole cost in libcurl and libc).
    public convenience init(plan: RunPlan, userAgent: String? = nil, mode: DriveMode? = nil) {
        self.init(plan: plan, userAgent: userAgent, mode: mode, faults: nil)
    }

    init(plan: RunPlan, userAgent: String? = nil, mode: DriveMode? = nil, faults: FaultInjection?) {
        Engine.globalInit()
        self.plan = plan
        self.userAgent = userAgent
        self.mode = mode
        self.faults = faults
    }

    /// The libcurl version string (`libcurl/7.88.1 OpenSSL/3.0.x zlib/… nghttp2/…`).
    public static var curlVersion: String {
        String(cString: curl_version())
    }

    /// libcurl's version as 0xXXYYZZ.
    public static var curlVersionNumber: Int {
        Int(curl_version_info(CURLVERSION_FIRST).pointee.version_num)
    }

    /// libcurl's version as "7.88.1".
    public static var curlVersionString: String {
        String(cString: curl_version_info(CURLVERSION_FIRST).pointee.version)
    }

    /// Runs the plan to its end, or until `control` says stop. Blocks the calling thread.
    /// With `warmup` (the connect phase), each worker first sends one request on a connection of its own, at most
    /// `connectAttemptsInFlight` at once, kept out of the results; the measured run starts when every worker has
    /// its connection (the phase is reported separately, `Output.connectPhase`).
    /// `raw` receives NDJSON lines (`--raw`) on the controller's thread as engine threads hand them over.
    /// `startAtEpochMillis`: the measured run starts at this Unix time (ms) at the earliest — after the connect phase.
    public func run(control: StopControl, warmup: Bool = false, startAtEpochMillis: Int64? = nil,
                    raw: (([UInt8]) -> Void)? = nil, tick: Tick? = nil) throws -> Output {
        let threadCount = plan.effectiveThreads
        // A flow's budget counts iterations (`iterations:`, `-n`); a WebSocket run's, messages; plain targets, requests.
        let budget = RequestBudget(limit: plan.workload.flow != nil ? plan.processIterationLimit
                                   : plan.workload.webSocket != nil ? plan.processMessageLimit : plan.processRequestLimit)
        let mailbox = Mailbox()
        let startLine = StartLine(parties: threadCount, notBeforeEpochMillis: startAtEpochMillis)
        let setupStarted = Clock.monotonicMicros()
        let cpuBefore = SystemLimits.cpuMicros()

        var workers: [EngineThread] = []
        var webSocketWorkers: [WebSocketThread] = []
        let live = (0..<threadCount).map { _ in LiveCounters() }
        // VUs are numbered across segments and threads: this segment's first, then each thread's share in turn.
        var vuOffset = plan.segment.map { seg in (1..<seg.index).reduce(0) { $0 + Segment(index: $1, count: seg.count).share(of: plan.concurrency) } } ?? 0
        for t in 0..<threadCount {
            let share = plan.processConcurrency / threadCount + (t < plan.processConcurrency % threadCount ? 1 : 0)
            if plan.workload.webSocket != nil {
                // WebSocket runs have their own loop (always socket_action + epoll); no connect phase, no flows.
                webSocketWorkers.append(try WebSocketThread(index: t, connections: share, plan: plan, control: control,
                                                            budget: budget, mailbox: mailbox, startLine: startLine,
                                                            userAgent: userAgent, live: live[t], connectionOffset: vuOffset))
                vuOffset += share
                continue
            }
            workers.append(try EngineThread(index: t, connections: share, plan: plan, control: control, budget: budget,
                                            mailbox: mailbox, startLine: startLine, warmup: warmup, userAgent: userAgent,
                                            mode: mode ?? EngineThread.mode(connections: share, open: plan.schedule != nil, forced: plan.engine.driveMode),
                                            live: live[t], faults: faults, vuOffset: vuOffset))
            vuOffset += share
        }
        var iterations: IterationRecorder? = plan.workload.flow == nil ? nil : IterationRecorder()
        var messages: MessageRecorder? = plan.workload.webSocket == nil ? nil : MessageRecorder()
        var groups: [GroupRecorder] = []
        // Handles are built before the clock starts counting: setup is not part of the run.
        var timeline: TimelineBuilder? = nil
        var pending: [Mailbox.Message] = []
        var warm = Recorder()
        var connect = Recorder()
        var perTarget: [Recorder] = []
        var perStage: [Recorder] = []
        var firstErrors: [String: String] = [:]
        var entries: [TimelineEntry] = []
        var total = Recorder()
        var finished = 0
        var threads: [Thread] = []
        let threadsStarted = Clock.monotonicMicros()
        let bodies: [(Int, @Sendable () -> Void)] = workers.map { w in (w.index, { w.run() }) }
            + webSocketWorkers.map { w in (w.index, { w.run() }) }
        for (index, body) in bodies {
            let thread = Thread { body() }
            thread.name = "barrage-engine-\(index)"
            thread.stackSize = 1 << 20
            threads.append(thread)
            thread.start()
        }
        /// Seconds are merged once the run clock has started (its zero fixes the timeline's epoch).
        func applyPending(_ timeline: inout TimelineBuilder) {
            for message in pending {
                switch message {
                case .interval(let worker, let stats, _, _): timeline.add(worker: worker, stats)
                case .finished(let worker, _, _, _): timeline.finish(worker: worker)
                case .raw: break
                }
            }
            pending.removeAll()
        }
        while finished < threadCount {
            usleep(50_000)
            for message in mailbox.take() {
                switch message {
                case .interval(_, let stats, let t, let s):
                    total.merge(stats.recorder)
                    if let its = stats.iterations { iterations?.merge(its) }
                    if let m = stats.messages { messages?.merge(m) }
                    if groups.isEmpty { groups = stats.groups } else { for g in stats.groups.indices { groups[g].merge(stats.groups[g]) } }
                    if perTarget.isEmpty { perTarget = t } else { for i in t.indices { perTarget[i].merge(t[i]) } }
                    if perStage.isEmpty { perStage = s } else { for i in s.indices { perStage[i].merge(s[i]) } }
                case .raw(let bytes):
                    raw?(bytes)
                    continue
                case .finished(_, let warmupRecorder, let connectRecorder, let fe):
                    for (k, v) in fe where firstErrors[k] == nil { firstErrors[k] = v }
                    warm.merge(warmupRecorder)
                    connect.merge(connectRecorder)
                    finished += 1
                }
                pending.append(message)
            }
            if timeline == nil, startLine.startedEpochMillis != 0 {
                timeline = TimelineBuilder(workers: threadCount, startEpochMillis: startLine.startedEpochMillis,
                                           targetNames: plan.targets.map(\.name), iterations: plan.workload.flow != nil)
            }
            if timeline != nil {
                applyPending(&timeline!)
                entries += timeline!.drain()
            }
            let now = Clock.monotonicMicros()
            let zero = startLine.startedMicros
            if let tick {
                var counts = LiveCounts()
                for c in live {
                    counts.ok += c.ok.load(ordering: .relaxed)
                    counts.failed += c.failed.load(ordering: .relaxed)
                    counts.dropped += c.dropped.load(ordering: .relaxed)
                    counts.inFlight += c.inFlight.load(ordering: .relaxed)
                }
                if plan.workload.webSocket != nil {
                    var m = LiveMessageCounts()
                    for c in live {
                        m.answered += c.messagesAnswered.load(ordering: .relaxed)
                        m.failed += c.messagesFailed.load(ordering: .relaxed)
                        m.dropped += c.messagesDropped.load(ordering: .relaxed)
                        m.connectionsOpen += c.connectionsOpen.load(ordering: .relaxed)
                    }
                    counts.messages = m
                }
                tick(Progress(elapsedMicros: now - setupStarted, runElapsedMicros: zero == 0 ? 0 : now - zero, sofar: total,
                              targets: perTarget, stages: perStage, live: counts, timeline: entries,
                              startedEpochMillis: startLine.startedEpochMillis, iterations: iterations, messages: messages))
            }
        }
        if timeline == nil { // stopped before the start line
            timeline = TimelineBuilder(workers: threadCount, startEpochMillis: Clock.epochMillis(), iterations: plan.workload.flow != nil)
        }
        applyPending(&timeline!)
        let firstVUVariables = workers.first?.flowRuntime?.variables(slot: 0)
        webSocketWorkers.removeAll()
        workers.removeAll() // handles are cleaned up here, after every thread has returned from run()
        var duration = max(0, total.lastDoneMicros == Int64.min ? 0 : total.lastDoneMicros)
        if let messages, messages.lastDoneMicros != Int64.min {
            // A WebSocket run's span ends at its last answered or failed message, not at its last handshake (and not
            // when the controller next looked: rates are over the measured span only).
            duration = max(duration, messages.lastDoneMicros)
        }
        entries += timeline!.drain(durationMicros: duration)
        let connectMicros = warmup && startLine.allArrivedMicros != 0 ? max(0, startLine.allArrivedMicros - threadsStarted) : 0
        let cpuAfter = SystemLimits.cpuMicros()
        return Output(recorder: total, warmup: plan.warmupMicros > 0 ? warm : nil, connectPhase: warmup ? connect : nil,
                      connectPhaseMicros: connectMicros, targets: perTarget, stages: perStage,
                      firstErrors: firstErrors, timeline: entries,
                      startedEpochMillis: startLine.startedEpochMillis != 0 ? startLine.startedEpochMillis : Clock.epochMillis(),
                      durationMicros: duration,
                      cpuMicros: (cpuAfter.user - cpuBefore.user, cpuAfter.system - cpuBefore.system),
                      iterations: iterations, groups: groups, firstVUVariables: firstVUVariables, messages: messages)
    }
}
