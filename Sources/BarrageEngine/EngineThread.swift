import Glibc
import Foundation
import CLinuxEvents
import CLibcurl
import CCurlShims
import BarrageCore

/// One engine thread: a set of shards (multi handles, each with a few dozen easy handles and so at most that many
/// connections), all driven by one epoll loop with `curl_multi_socket_action`. Everything here is owned by the
/// thread; nothing on the per-request path allocates, locks or hops threads.
final class EngineThread: @unchecked Sendable {
    /// One worker (closed model) or pool slot (open model): an easy handle per target — all on the same shard, so
    /// they share its connections. The state of its current request is the scheduler's (`SlotState`).
    struct Slot {
        /// One easy handle per target of the plan.
        var easies: UnsafeMutablePointer<UnsafeMutableRawPointer>
        var shard: Int32
    }

    let index: Int
    let plan: RunPlan
    private let control: StopControl
    let mailbox: Mailbox
    private let startLine: StartLine
    /// Each worker first sends one request that is kept out of the results (connection setup), then all start together.
    private let warmup: Bool
    /// Run clock zero, µs monotonic: set when every thread has crossed the start line.
    var startMicros: Int64 = 0
    /// When sending stops (absolute µs monotonic), Int64.max without a duration.
    var sendEndMicros: Int64 = .max
    /// What each slot does next: the connect phase, the closed model's workers, the open model's schedule and pool.
    var scheduler: SlotScheduler<RequestBudget>
    /// True while the warm-up requests run.
    var warming: Bool { scheduler.connecting }
    /// Requests in flight.
    var active: Int { scheduler.inFlight }
    /// A timerfd in the epoll set: sub-millisecond wake-ups for due times (epoll_wait itself takes whole ms).
    var timerFD: Int32 = -1
    var timerArmedMicros: Int64 = -1
    private static let timerTag = UInt64.max

    var loop: UnsafeMutablePointer<LoopState>
    private var shardContexts: UnsafeMutablePointer<ShardContext>
    var multis: [UnsafeMutableRawPointer] = []
    var dirty: [Bool] = []
    private var slots: UnsafeMutablePointer<Slot>
    private let slotCount: Int
    /// Transfers handed to libcurl so far (perform mode performs again at once when this moved).
    private var added = 0
    private var headerLists: [UnsafeMutablePointer<curl_slist>?] = []
    /// CURLOPT_RESOLVE and CURLOPT_CONNECT_TO lists, built once.
    private var resolveList: UnsafeMutablePointer<curl_slist>?
    private var connectToList: UnsafeMutablePointer<curl_slist>?
    private var bodies: [UnsafeMutableRawBufferPointer] = []

    var warmupRecorder = Recorder()
    /// The connect phase (`warmup`): one request per slot, kept out of the results.
    var connectRecorder = Recorder()
    /// HTTP/1.1: each warm-up request must open its own connection (HTTP/2 multiplexes its warm-up streams).
    private let warmFresh: Bool
    /// Per target and per stage, only when the plan has more than one of them: what the current second recorded,
    /// handed to the controller with the second (so gates scoped to a target or a stage can be judged during the run).
    var targetRecorders: [Recorder] = []
    var stageRecorders: [Recorder] = []
    /// Per (slot × target) body checks, for targets with `expect.body_contains`; nil entries for the others.
    var bodyChecks: UnsafeMutablePointer<BodyCheck>?
    /// Test seam: decides that the k-th `curl_multi_add_handle` of this thread fails (nil outside tests).
    private let faults: Engine.FaultInjection?
    /// Published for the live view at every loop iteration: this thread's counts since the start, and in flight.
    let live: LiveCounters
    /// ok / failed / dropped of the seconds already handed to the controller.
    var closedOk = 0, closedFailed = 0, closedDropped = 0
    let targetCount: Int
    /// CURLOPT_ERRORBUFFER of every handle (CURL_ERROR_SIZE bytes each), and the first message seen per error class.
    let errorBuffers: UnsafeMutablePointer<CChar>
    /// By `ErrorClass.index`: checked per failure without hashing a string.
    var firstErrors = [String?](repeating: nil, count: ErrorClass.count)
    /// `--raw`: NDJSON lines appended on the hot path into a buffer reserved once a second; target names pre-encoded.
    var raw: [UInt8] = []
    let rawTargets: [[UInt8]]
    var interval: IntervalStats
    /// The VU number of slot 0 (flows).
    let vuOffset: Int
    /// A flow's scenario name as a JSON string, for `--raw` lines.
    let rawScenario: [UInt8]
    /// A flow's per-VU state and response handling; nil for plain targets.
    var flowRuntime: FlowRuntime?
    /// The flow has a think step (else every iteration's think time is 0: see `recordIteration`).
    var flowHasThinkSteps = false
    private var events: UnsafeMutablePointer<epoll_event>
    private let eventCapacity = 512

    /// Connections per multi handle. libcurl scans a multi's whole connection cache for each transfer,
    /// so thousands of connections on one multi handle collapse; a few dozen per handle do not.
    /// 128 measured no slower than 32 and saves memory and per-iteration shard walks at 10,000 connections (bench/README.md).
    static let connectionsPerShard = 128

    /// Up to this many connections a thread drives one multi handle with `curl_multi_perform` + `curl_multi_poll`
    /// (20–25 % cheaper per request than socket_action at a few dozen connections, bench/README.md); beyond it,
    /// shards with socket_action + epoll, which keep their cost at thousands of connections.
    static let performModeMaxConnections = 256
    /// The same limit for an open-model pool: only the requests in flight cost anything in perform mode, and they are
    /// usually far fewer than the pool (20,000 req/s of 1 ms responses keep ~20 in flight).
    static let performModeMaxPool = 1_000

    /// Open model: the shortest sleep on the timerfd. A request due sooner waits for it and goes out with the others
    /// due by then — at high rates one wake-up sends several requests instead of one each (timerfd_settime, a poll
    /// and a read per wake-up), for at most this much send lateness. Requests due while the loop is awake anyway
    /// (responses arriving) go out at once.
    /// `plan.engine.pacerQuantumMicros`, 200 by default.
    let pacerQuantumMicros: Int64

    /// How this thread drives libcurl (`Engine.DriveMode`).
    let mode: Engine.DriveMode

    /// The default for a thread with `connections`, unless the plan's `engine.driveMode` forces one (benchmarks).
    static func mode(connections: Int, open: Bool, forced: Engine.DriveMode? = nil) -> Engine.DriveMode {
        if let forced { return forced }
        return connections <= (open ? performModeMaxPool : performModeMaxConnections) ? .perform : .socket
    }

    init(index: Int, connections: Int, plan: RunPlan, control: StopControl, budget: RequestBudget,
         mailbox: Mailbox, startLine: StartLine, warmup: Bool, userAgent: String?, mode: Engine.DriveMode,
         live: LiveCounters, faults: Engine.FaultInjection? = nil, vuOffset: Int = 0) throws {
        self.index = index
        self.vuOffset = vuOffset
        self.rawScenario = Array(String(decoding: (try? JSONOutput.encode(plan.workload.flow?.scenario ?? "")) ?? Data("\"\"".utf8), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        self.live = live
        self.faults = faults
        self.plan = plan
        self.pacerQuantumMicros = plan.engine.effectivePacerQuantumMicros
        self.control = control
        self.mailbox = mailbox
        self.startLine = startLine
        self.warmup = warmup
        self.scheduler = SlotScheduler(plan: plan, slotCount: connections, thread: index, requests: budget,
                                       warmInFlight: Engine.connectAttemptsInFlight / max(1, plan.effectiveThreads),
                                       vuOffset: vuOffset)
        if let flow = plan.workload.flow {
            flowRuntime = FlowRuntime(flow: flow, plan: plan, slotCount: connections, thread: index,
                                      threadCount: plan.effectiveThreads, vuOffset: vuOffset)
            flowHasThinkSteps = flow.steps.contains { if case .think = $0 { true } else { false } }
        }
        self.warmFresh = plan.httpVersion == "1.1"
        self.slotCount = connections
        self.interval = IntervalStats(second: 0)
        self.targetCount = plan.targets.count
        self.rawTargets = plan.targets.map { t in Array(String(decoding: (try? JSONOutput.encode(t.name)) ?? Data("\"\"".utf8), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8) }
        errorBuffers = .allocate(capacity: max(1, connections * plan.targets.count) * Int(CURL_ERROR_SIZE))
        errorBuffers.initialize(repeating: 0, count: max(1, connections * plan.targets.count) * Int(CURL_ERROR_SIZE))
        if plan.targets.count > 1 { targetRecorders = Array(repeating: Recorder(), count: plan.targets.count) }
        if plan.stageCount > 1 { stageRecorders = Array(repeating: Recorder(), count: plan.stageCount) }

        self.mode = mode
        let perShard = mode == .perform ? max(1, connections) : Self.connectionsPerShard
        let shardCount = max(1, (connections + perShard - 1) / perShard)
        let epfd = try Epoll.create()
        let deadlines = UnsafeMutablePointer<Int64>.allocate(capacity: shardCount)
        deadlines.initialize(repeating: -1, count: shardCount)
        let fds = UnsafeMutablePointer<FDEntry>.allocate(capacity: 1024)
        fds.initialize(repeating: FDEntry(), count: 1024)
        loop = .allocate(capacity: 1)
        loop.initialize(to: LoopState(epollFD: epfd, deadlines: deadlines, fds: fds, fdCapacity: 1024))
        shardContexts = .allocate(capacity: shardCount)
        events = .allocate(capacity: eventCapacity)
        slots = .allocate(capacity: connections)
        if plan.schedule != nil {
            timerFD = try TimerFD.create()
            guard Epoll.register(epfd, fd: timerFD, events: EPOLLIN.rawValue, data: Self.timerTag, modify: false) else {
                throw BarrageError.failure("epoll_ctl (the pacing timer) failed: \(String(cString: strerror(errno)))")
            }
        }

        for line in plan.transport.resolve { resolveList = curl_slist_append(resolveList, line) }
        for line in plan.transport.connectTo { connectToList = curl_slist_append(connectToList, line) }
        // Request bodies and header lists are built once, shared by every handle of this thread.
        for target in plan.targets {
            var list: UnsafeMutablePointer<curl_slist>? = nil
            var lines = target.headers
            if !target.body.isEmpty { lines.append("Expect:") } // never wait for 100-continue
            for line in lines { list = curl_slist_append(list, line) }
            headerLists.append(list)
            let body = UnsafeMutableRawBufferPointer.allocate(byteCount: max(target.body.count, 1), alignment: 1)
            body.copyBytes(from: target.body)
            bodies.append(body)
        }

        for s in 0..<shardCount {
            (shardContexts + s).initialize(to: ShardContext(loop: loop, shard: Int32(s)))
            let multi = try CurlMulti.make()
            if mode == .socket {
                barrage_multi_setopt_socket_callback(multi, socketCallback)
                barrage_multi_setopt_ptr(multi, CURLMOPT_SOCKETDATA, shardContexts + s)
                barrage_multi_setopt_timer_callback(multi, timerCallback)
                barrage_multi_setopt_ptr(multi, CURLMOPT_TIMERDATA, shardContexts + s)
            }
            barrage_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, Int(perShard + 4))
            if !plan.keepAlive {
                // --no-keepalive is one connection per request under HTTP/2 and /3 too. CURLOPT_FORBID_REUSE closes
                // a connection only when its last transfer ends, so a multiplexed one can stay open while streams
                // share it and new transfers join it (seen over HTTP/3: 2,000 requests, about 40 connections; h2c on
                // 8.14.1 happened to open one per request): no multiplexing at all for such a run.
                barrage_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_NOTHING))
            }
            if let streams = plan.transport.maxStreams {
                barrage_multi_setopt_long(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, streams)
            }
            multis.append(multi)
            dirty.append(false)
        }

        let checked = plan.targets.contains { $0.expect?.bodyContains?.isEmpty == false }
        if checked {
            bodyChecks = .allocate(capacity: connections * plan.targets.count)
        }
        for i in 0..<connections {
            let shard = Int32(i / perShard)
            let easies = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: plan.targets.count)
            for (t, target) in plan.targets.enumerated() {
                guard let easy = curl_easy_init() else { throw BarrageError.failure("curl_easy_init failed") }
                var check: UnsafeMutablePointer<BodyCheck>? = nil
                if let bodyChecks {
                    let c = bodyChecks + (i * plan.targets.count + t)
                    c.initialize(to: BodyCheck(needle: target.expect?.bodyContains ?? ""))
                    check = c
                }
                barrage_easy_setopt_ptr(easy, CURLOPT_ERRORBUFFER, errorBuffers + (i * plan.targets.count + t) * Int(CURL_ERROR_SIZE))
                try configure(easy, target: target, headers: headerLists[t], body: bodies[t], slot: i,
                              bodyCheck: target.expect?.bodyContains?.isEmpty == false ? check : nil, userAgent: userAgent)
                flowRuntime?.configure(easy, slot: i, target: t)
                (easies + t).initialize(to: easy)
            }
            (slots + i).initialize(to: Slot(easies: easies, shard: shard))
        }
    }

    deinit {
        for i in 0..<slotCount {
            let slot = slots[i]
            if scheduler.slot(i).isInFlight { CurlMulti.remove(multis[Int(slot.shard)], easy(i)) }
            for t in 0..<targetCount { curl_easy_cleanup(slot.easies[t]) }
            slot.easies.deallocate()
        }
        if let bodyChecks {
            for k in 0..<(slotCount * targetCount) { bodyChecks[k].release() }
            bodyChecks.deallocate()
        }
        errorBuffers.deallocate()
        for m in multis { CurlMulti.cleanup(m) }
        for l in headerLists { curl_slist_free_all(l) }
        curl_slist_free_all(resolveList)
        curl_slist_free_all(connectToList)
        for b in bodies { b.deallocate() }
        close(loop.pointee.epollFD)
        loop.pointee.deadlines.deallocate()
        loop.pointee.fds.deallocate()
        loop.deallocate()
        shardContexts.deallocate()
        events.deallocate()
        slots.deallocate()
        if timerFD >= 0 { close(timerFD) }
    }

    /// Options are set once per handle; the handle is reused for every request of its worker.
    private func configure(_ easy: UnsafeMutableRawPointer, target: RequestTarget, headers: UnsafeMutablePointer<curl_slist>?,
                           body: UnsafeMutableRawBufferPointer, slot: Int, bodyCheck: UnsafeMutablePointer<BodyCheck>?,
                           userAgent: String?) throws {
        // The message is built only on failure: this runs for every handle (10,000 at 10,000 connections), and
        // redacting the URL eagerly cost 30,000 instructions a handle.
        func check(_ code: CURLcode, _ what: @autoclosure () -> String) throws {
            if code != CURLE_OK {
                throw BarrageError.usage("\(what()): \(String(cString: curl_easy_strerror(code)))")
            }
        }
        try check(barrage_easy_setopt_ptr(easy, CURLOPT_URL, target.url), "URL \(Redaction.url(target.url))")
        barrage_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        if let size = plan.transport.effectiveBufferSize(connections: plan.processConcurrency) {
            barrage_easy_setopt_long(easy, CURLOPT_BUFFERSIZE, size)
        }
        barrage_easy_setopt_ptr(easy, CURLOPT_PRIVATE, UnsafeRawPointer(bitPattern: slot + 1))
        if let bodyCheck {
            barrage_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION, checkBody)
            barrage_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, bodyCheck)
        } else {
            barrage_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION, discardBody)
        }
        barrage_easy_setopt_opensocket_callback(easy, openSocketCallback)
        barrage_easy_setopt_ptr(easy, CURLOPT_OPENSOCKETDATA, loop)
        barrage_easy_setopt_closesocket_callback(easy, closeSocketCallback)
        barrage_easy_setopt_ptr(easy, CURLOPT_CLOSESOCKETDATA, loop)
        // HTTP/1.1 unless told otherwise: libcurl's own default for HTTPS is HTTP/2.
        let https = target.url.lowercased().hasPrefix("https://")
        var version = CURL_HTTP_VERSION_1_1
        switch plan.httpVersion {
        case "2": version = https ? CURL_HTTP_VERSION_2_0 : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
        case "auto": version = https ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1
        // HTTP/3 only, no fallback to TCP (checked before the run: https:// and a libcurl with HTTP3).
        case "3": version = https ? CURL_HTTP_VERSION_3ONLY : CURL_HTTP_VERSION_1_1
        default: break
        }
        barrage_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, version)
        if version != CURL_HTTP_VERSION_1_1 && plan.keepAlive {
            // Multiplex on an existing HTTP/2 or HTTP/3 connection rather than opening new ones. On HTTP/1.1
            // PIPEWAIT would make transfers wait for one another; without keep-alive nothing is multiplexed.
            barrage_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1)
        }
        let t = plan.transport
        if t.insecure {
            barrage_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            barrage_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let ca = t.caCert { try check(barrage_easy_setopt_ptr(easy, CURLOPT_CAINFO, ca), "--cacert \(ca)") }
        if let cert = t.clientCert { try check(barrage_easy_setopt_ptr(easy, CURLOPT_SSLCERT, cert), "--cert \(cert)") }
        if let key = t.clientKey { try check(barrage_easy_setopt_ptr(easy, CURLOPT_SSLKEY, key), "--key \(key)") }
        switch t.tlsMin {
        case "1.2": barrage_easy_setopt_long(easy, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2)
        case "1.3": barrage_easy_setopt_long(easy, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_3)
        default: break
        }
        if let resolveList { barrage_easy_setopt_ptr(easy, CURLOPT_RESOLVE, resolveList) }
        if let connectToList { barrage_easy_setopt_ptr(easy, CURLOPT_CONNECT_TO, connectToList) }
        if let n = t.followRedirects {
            barrage_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 1)
            barrage_easy_setopt_long(easy, CURLOPT_MAXREDIRS, n)
        }
        if t.compressed { barrage_easy_setopt_ptr(easy, CURLOPT_ACCEPT_ENCODING, "") }
        // An explicit proxy setting: libcurl otherwise reads five proxy environment variables on every transfer.
        try check(barrage_easy_setopt_ptr(easy, CURLOPT_PROXY, t.proxy ?? ""), "--proxy")
        // …and, without CURLOPT_NOPROXY, two more (no_proxy, NO_PROXY) per transfer.
        barrage_easy_setopt_ptr(easy, CURLOPT_NOPROXY, "")
        if let socket = t.unixSocket { try check(barrage_easy_setopt_ptr(easy, CURLOPT_UNIX_SOCKET_PATH, socket), "--unix-socket \(socket)") }
        if !t.localAddresses.isEmpty {
            let address = t.localAddresses[(index * 7919 + slot) % t.localAddresses.count]
            try check(barrage_easy_setopt_ptr(easy, CURLOPT_INTERFACE, "host!" + address), "--local-address \(address)")
        }
        if let age = t.maxConnectionAgeMicros {
            barrage_easy_setopt_long(easy, CURLOPT_MAXLIFETIME_CONN, Int(max(1, age / 1_000_000)))
        }
        barrage_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(max(1, (target.timeoutMicros ?? plan.timeoutMicros) / 1_000)))
        barrage_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(max(1, plan.connectTimeoutMicros / 1_000)))
        if let userAgent { barrage_easy_setopt_ptr(easy, CURLOPT_USERAGENT, userAgent) }
        if let headers { barrage_easy_setopt_ptr(easy, CURLOPT_HTTPHEADER, headers) }
        let method = target.method.uppercased()
        if method == "HEAD" {
            barrage_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        } else if !target.body.isEmpty {
            barrage_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(target.body.count))
            barrage_easy_setopt_ptr(easy, CURLOPT_POSTFIELDS, body.baseAddress)
            if method != "POST" { barrage_easy_setopt_ptr(easy, CURLOPT_CUSTOMREQUEST, method) }
        } else if method != "GET" {
            barrage_easy_setopt_ptr(easy, CURLOPT_CUSTOMREQUEST, method)
        }
        if !plan.keepAlive { barrage_easy_setopt_long(easy, CURLOPT_FORBID_REUSE, 1) }
    }

    // MARK: - The loop

    func run() {
        if warmup {
            scheduler.startConnect()
            startMicros = Clock.monotonicMicros()
            followControl()
            execute(now: Clock.monotonicMicros())
            drive()
        }
        startMicros = startLine.arriveAndWait(control: control)
        sendEndMicros = plan.durationMicros.map { startMicros + $0 } ?? Int64.max
        interval = IntervalStats(second: 0, targets: targetCount)
        if let flow = flowRuntime {
            interval.iterations = IterationRecorder()
            interval.groups = Array(repeating: GroupRecorder(), count: flow.flow.groups.count)
        }
        let now = Clock.monotonicMicros()
        // Open model: every slot starts free; the schedule says when each request is due. Closed: idle slots start.
        followControl()
        scheduler.started(nowMicros: now - startMicros)
        execute(now: now)
        drive()
        let end = Clock.monotonicMicros()
        closeIntervals(through: end)
        interval.inFlight = active
        postInterval()
        flushRaw()
        publishLive()
        mailbox.post(.finished(worker: index, warmup: warmupRecorder, connect: connectRecorder,
                               firstErrors: Dictionary(uniqueKeysWithValues: ErrorClass.allCases.compactMap { c in
                                   firstErrors[c.index].map { (c.rawValue, $0) } })))
    }

    /// Whether the loop is done: nothing in flight and nothing more may start.
    @inline(__always)
    private func finished(now: Int64) -> Bool {
        followControl()
        return scheduler.finished(nowMicros: now - startMicros)
    }

    /// Tells the scheduler once that the run stopped sending (a signal, a gate, the controller's deadline).
    @inline(__always)
    private func followControl() {
        if !scheduler.stopping && control.level != .running { scheduler.drain() }
    }

    /// Executes the scheduler's actions until it has none for `now` (absolute µs monotonic).
    @inline(__always)
    private func execute(now: Int64) {
        while true {
            let action = scheduler.nextAction(nowMicros: now - startMicros)
            if case .none = action { return }
            execute(action, now: now)
        }
    }

    /// Executes one action: sends a request or a warm-up, records a drop; the others need nothing from libcurl.
    @inline(__always)
    private func execute(_ action: SlotAction, now: Int64) {
        switch action {
        case .send(let i, _):
            if active > interval.inFlightMax { interval.inFlightMax = active }
            resetCheck(i)
            if let flow = flowRuntime {
                var state = scheduler.slot(i)
                if state.repeatLeft == 0 {
                    // A foreach step's first request: its list says how many (none: the step is skipped).
                    let count = flow.foreachCount(slot: i, target: Int(state.target))
                    let next = scheduler.setRepeats(slot: i, count: count, nowMicros: now - startMicros)
                    if count == 0 {
                        execute(next, now: now)
                        return
                    }
                    state = scheduler.slot(i)
                }
                if flow.hasGroups, let pass = flow.enterStep(slot: i, step: Int(state.step), nowMicros: now - startMicros) {
                    recordGroup(pass)
                }
                if !flow.prepare(easy(i), slot: i, target: Int(state.target), state: state, nowMillis: Clock.epochMillis()) {
                    // A `unique` data set ran out: this iteration does not start, and no more will.
                    if let set = flow.exhausted {
                        interval.iterations?.noteExhausted("\(set.name) (\(set.file))")
                        if firstErrors[ErrorClass.other.index] == nil {
                            firstErrors[ErrorClass.other.index] = "data set '\(set.name)' (\(set.file)) ran out of unique rows"
                        }
                    }
                    scheduler.drain()
                    execute(scheduler.abandon(slot: i, nowMicros: now - startMicros), now: now)
                    return
                }
            }
            _ = addTransfer(i, now: now)
        case .connect(let i):
            // Outside the budget and the results. On HTTP/1.1 it must open its own connection (an idle one left by an
            // earlier warm-up would otherwise be reused), so each slot leaves one behind.
            if warmFresh { barrage_easy_setopt_long(easy(i), CURLOPT_FRESH_CONNECT, 1) }
            _ = addTransfer(i, now: now)
        case .drop(_, let target, let dueMicros):
            recordDrop(now: now, dueMicros: dueMicros, target: target)
            if dueMicros >= plan.warmupMicros { interval.iterations?.recordDropped() }
        case .iterationEnded(let i, let end):
            if let flow = flowRuntime, flow.hasGroups, let pass = flow.leaveGroup(slot: i, interrupted: end == .interrupted) {
                recordGroup(pass)
            }
            recordIteration(i, end: end, now: now)
            execute(scheduler.afterIteration(slot: i, nowMicros: now - startMicros), now: now)
        case .none, .think, .release:
            break
        }
    }

    /// Drives libcurl until no request is in flight and none may start. The two modes share the loop and differ in
    /// how libcurl is advanced and how the thread sleeps: perform mode calls `curl_multi_perform` and sleeps in
    /// `curl_multi_poll` (with the timerfd as an extra descriptor); socket mode fires due libcurl timers and sleeps in
    /// `epoll_wait`, handing each ready socket to `curl_multi_socket_action`.
    private func drive() {
        var last = Clock.monotonicMicros()
        while true {
            let now = Clock.monotonicMicros()
            if !warming {
                // Requests in flight integrated over time, the part of the span up to the second's end in that second
                // (the loop wakes at every second's end, so a span crosses one boundary unless the thread was
                // descheduled; then the rest goes to the newest second, so that the run's total stays exact).
                let secondEnd = startMicros + Int64(interval.second + 1) * 1_000_000
                if now >= secondEnd {
                    interval.recorder.inFlightIntegralMicros += Double(active) * Double(max(0, secondEnd - last))
                    closeIntervals(through: now)
                    last = max(last, secondEnd)
                }
                interval.recorder.inFlightIntegralMicros += Double(active) * Double(max(0, now - last))
            }
            last = now
            followControl()
            if control.level == .aborting {
                abortActive(now: now)
                scheduler.stop()
                scheduler.interruptIterations(nowMicros: now - startMicros) { i, _ in
                    if let flow = flowRuntime, flow.hasGroups, let pass = flow.leaveGroup(slot: i, interrupted: true) { recordGroup(pass) }
                    recordIteration(i, end: .interrupted, now: now)
                }
                if scheduler.paced { execute(now: now) } // due but unsent: dropped
                break
            }
            if !warming { closeIntervals(through: now) }
            let addedBefore = added
            if mode == .perform {
                CurlMulti.perform(multis[0])
                dirty[0] = true
            } else {
                fireTimers(now: now)
            }
            drainCompletions()
            if !warming {
                let now = Clock.monotonicMicros()
                scheduler.timerFired(nowMicros: now - startMicros)
                execute(now: now)
                publishLive()
            }
            // Perform mode: transfers added since the perform (a completion restarts its worker) go out at once, in
            // this iteration, rather than after a sleep.
            if mode == .perform && added != addedBefore { continue }
            if finished(now: now) { break }

            let (waitMillis, timerArmed) = sleepBudget(now: now)
            if mode == .perform { pollMulti(waitMillis, timerArmed: timerArmed) } else { waitEpoll(waitMillis) }
        }
    }

    /// Socket mode's sleep: `epoll_wait`, then each ready socket to its shard's `curl_multi_socket_action`.
    private func waitEpoll(_ waitMillis: Int32) {
        let n = Epoll.wait(loop.pointee.epollFD, into: events, capacity: Int32(eventCapacity), timeoutMillis: waitMillis)
        if n > 0 {
            for k in 0..<n {
                let ev = events[k]
                if ev.data.u64 == Self.timerTag {
                    consumeTimer()
                    continue
                }
                let fd = Int32(truncatingIfNeeded: ev.data.u64 & 0xFFFF_FFFF)
                let shard = Int(Int32(truncatingIfNeeded: ev.data.u64 >> 32))
                let entry = loop.pointee.entry(fd)
                if entry.pointee.idle || !entry.pointee.registered || entry.pointee.shard != Int32(shard) {
                    // An idle keep-alive connection became readable (closed by the server): stop watching it;
                    // libcurl finds it dead when it next tries to reuse it.
                    loop.pointee.forget(fd)
                    continue
                }
                var flags: Int32 = 0
                // An error (a reset) is also readable: libcurl must read the socket to report it as a receive failure.
                if ev.events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { flags |= CURL_CSELECT_IN }
                if ev.events & EPOLLOUT.rawValue != 0 { flags |= CURL_CSELECT_OUT }
                if ev.events & EPOLLERR.rawValue != 0 { flags |= CURL_CSELECT_ERR }
                CurlMulti.socketAction(multis[shard], fd, flags: flags)
                dirty[shard] = true
            }
            drainCompletions()
        }
    }

    private func fireTimers(now: Int64) {
        let deadlines = loop.pointee.deadlines
        for s in 0..<multis.count where deadlines[s] >= 0 && deadlines[s] <= now {
            deadlines[s] = -1
            CurlMulti.socketAction(multis[s], CURL_SOCKET_TIMEOUT, flags: 0)
            dirty[s] = true
        }
    }

    /// Hands slot `i`'s current transfer to its shard's multi handle. When libcurl refuses it, the request is
    /// recorded as failed (class `other`, with libcurl's message), the slot is idle again and the result is false.
    @inline(__always)
    private func addTransfer(_ i: Int, now: Int64) -> Bool {
        let code: CURLMcode
        if let faults, faults.failAdd(index, added) {
            code = CURLM_INTERNAL_ERROR
        } else {
            code = CurlMulti.add(multis[Int(slots[i].shard)], easy(i))
        }
        added &+= 1
        if code == CURLM_OK { return true }
        // Closed model: counted as failed, the worker backs off as after a refused connection (and stays busy).
        // Open model: the slot is free again; the schedule goes on. Connect phase: the phase ends.
        let next = scheduler.refused(slot: i, nowMicros: now - startMicros)
        let message = "curl_multi_add_handle failed: \(CurlMulti.describe(code)) (CURLM \(code.rawValue))"
        if firstErrors[ErrorClass.other.index] == nil { firstErrors[ErrorClass.other.index] = message }
        let state = scheduler.slot(i)
        recordOutcome(RequestOutcome(dueMicros: state.dueMicros, sentMicros: state.sentMicros,
                                     doneMicros: now - startMicros, status: 0, error: .other, complete: false),
                      target: Int(state.target), now: now)
        // A flow: the step failed, so its iteration ended; recorded here, then the VU goes on (backs off).
        if let flow = flowRuntime {
            if flow.hasGroups { flow.stepDone(slot: i, failed: true, nowMicros: now - startMicros) }
            if case .iterationEnded = next { execute(next, now: now) }
        }
        return false
    }

    @inline(__always)
    private func resetCheck(_ i: Int) {
        let target = Int(scheduler.slot(i).target)
        errorBuffers[(i * targetCount + target) * Int(CURL_ERROR_SIZE)] = 0
        if let bodyChecks { bodyChecks[i * targetCount + target].reset() }
    }

    /// Slot `i`'s easy handle for the target of its current request.
    @inline(__always)
    func easy(_ i: Int) -> UnsafeMutableRawPointer {
        slots[i].easies[Int(scheduler.slot(i).target)]
    }

    private func drainCompletions() {
        var now: Int64 = -1
        for s in 0..<multis.count where dirty[s] {
            dirty[s] = false
            let multi = multis[s]
            while let msg = CurlMulti.nextMessage(multi) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
                let code = msg.pointee.data.result
                if now < 0 { now = Clock.monotonicMicros() }
                var priv: UnsafeMutablePointer<CChar>? = nil
                barrage_easy_getinfo_ptr(easy, CURLINFO_PRIVATE, &priv)
                let i = Int(bitPattern: priv) - 1
                let outcome = complete(i, code: code, now: now)
                CurlMulti.remove(multi, easy)
                if warming {
                    if warmFresh { barrage_easy_setopt_long(easy, CURLOPT_FRESH_CONNECT, 0) }
                    _ = scheduler.completed(slot: i, outcome: outcome, nowMicros: now - startMicros)
                    execute(now: now) // the next warm-ups
                } else {
                    // Closed model: the worker thinks, backs off, retires, or sends again at once.
                    execute(scheduler.completed(slot: i, outcome: outcome, nowMicros: now - startMicros), now: now)
                }
            }
        }
    }

    /// Cuts every request in flight short; each is counted as failed with class `other`.
    private func abortActive(now: Int64) {
        for i in 0..<slotCount where scheduler.slot(i).isInFlight {
            let slot = scheduler.slot(i)
            CurlMulti.remove(multis[Int(slots[i].shard)], easy(i))
            scheduler.cutShort(slot: i)
            recordOutcome(RequestOutcome(dueMicros: slot.dueMicros, sentMicros: slot.sentMicros,
                                         doneMicros: now - startMicros, status: 0, error: .other, complete: false),
                          target: Int(slot.target), now: now)
        }
    }
}
