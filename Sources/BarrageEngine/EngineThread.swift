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
    /// they share its connections — and the state of its current request.
    struct Slot {
        /// One easy handle per target of the plan.
        var easies: UnsafeMutablePointer<UnsafeMutableRawPointer>
        var shard: Int32
        var active = false
        /// Closed model: waiting to send again (think time, or a back-off after a failed connection).
        var thinking = false
        /// Closed model: failures in a row that never reached the server (`connect`, `dns`, `tls`, or a transfer
        /// libcurl would not take); the next back-off doubles with each. A complete response resets it.
        var failStreak: Int32 = 0
        /// The target of the current request.
        var target: Int32 = 0
        var dueMicros: Int64 = 0
        var sentMicros: Int64 = 0
        var easy: UnsafeMutableRawPointer { easies[Int(target)] }
    }

    let index: Int
    private let plan: RunPlan
    private let control: StopControl
    private let budget: RequestBudget
    private let mailbox: Mailbox
    private let startLine: StartLine
    /// Each worker first sends one request that is kept out of the results (connection setup), then all start together.
    private let warmup: Bool
    /// Run clock zero, µs monotonic: set when every thread has crossed the start line.
    private var startMicros: Int64 = 0
    /// When sending stops (absolute µs monotonic), Int64.max without a duration.
    private var sendEndMicros: Int64 = .max
    /// True while the warm-up requests run.
    private var warming = false

    // Open model: this thread's share of the schedule (every T-th request), its next due request, and the free slots.
    private var schedule: OpenSchedule.Iterator?
    private var nextDue: (k: Int, dueMicros: Int64)?
    private var freeSlots: UnsafeMutablePointer<Int32>
    private var freeCount = 0
    /// A timerfd in the epoll set: sub-millisecond wake-ups for due times (epoll_wait itself takes whole ms).
    private var timerFD: Int32 = -1
    private var timerArmedMicros: Int64 = -1
    private static let timerTag = UInt64.max

    private var loop: UnsafeMutablePointer<LoopState>
    private var shardContexts: UnsafeMutablePointer<ShardContext>
    private var multis: [UnsafeMutableRawPointer] = []
    private var dirty: [Bool] = []
    private var slots: UnsafeMutablePointer<Slot>
    private let slotCount: Int
    private var active = 0
    /// Transfers handed to libcurl so far (perform mode performs again at once when this moved).
    private var added = 0
    private var headerLists: [UnsafeMutablePointer<curl_slist>?] = []
    /// CURLOPT_RESOLVE and CURLOPT_CONNECT_TO lists, built once.
    private var resolveList: UnsafeMutablePointer<curl_slist>?
    private var connectToList: UnsafeMutablePointer<curl_slist>?
    private var bodies: [UnsafeMutableRawBufferPointer] = []

    private var warmupRecorder = Recorder()
    /// The connect phase (`warmup`): one request per slot, kept out of the results.
    private var connectRecorder = Recorder()
    /// Connect phase: the next slot to warm, and how many warm-up requests may be in flight at once.
    private var warmNext = 0
    private let warmInFlight: Int
    /// HTTP/1.1: each warm-up request must open its own connection (HTTP/2 multiplexes its warm-up streams).
    private let warmFresh: Bool
    /// Per target and per stage, only when the plan has more than one of them: what the current second recorded,
    /// handed to the controller with the second (so gates scoped to a target or a stage can be judged during the run).
    private var targetRecorders: [Recorder] = []
    private var stageRecorders: [Recorder] = []
    /// Per (slot × target) body checks, for targets with `expect.body_contains`; nil entries for the others.
    private var bodyChecks: UnsafeMutablePointer<BodyCheck>?
    /// Closed model: slots in use (active or thinking), and a FIFO of slots thinking until a time.
    private var busy = 0
    private var thinkQueue: UnsafeMutablePointer<(slot: Int32, until: Int64)>
    private var thinkHead = 0, thinkCount = 0
    /// Closed model: slots backing off after a failure that never reached the server, each until its own time
    /// (unordered: it is scanned only when the earliest, `backoffNextMicros`, has come).
    private var backoffQueue: UnsafeMutablePointer<(slot: Int32, until: Int64)>
    private var backoffCount = 0
    private var backoffNextMicros = Int64.max
    /// xorshift64 state for the back-off's jitter (per thread, so workers that failed together spread out).
    private var jitterState: UInt64
    /// Test seam: decides that the k-th `curl_multi_add_handle` of this thread fails (nil outside tests).
    private let faults: Engine.FaultInjection?
    /// Published for the live view at every loop iteration: this thread's counts since the start, and in flight.
    private let live: LiveCounters
    /// ok / failed / dropped of the seconds already handed to the controller.
    private var closedOk = 0, closedFailed = 0, closedDropped = 0
    private let targetCount: Int
    /// CURLOPT_ERRORBUFFER of every handle (CURL_ERROR_SIZE bytes each), and the first message seen per error class.
    private let errorBuffers: UnsafeMutablePointer<CChar>
    /// By `ErrorClass.index`: checked per failure without hashing a string.
    private var firstErrors = [String?](repeating: nil, count: ErrorClass.count)
    /// `--raw`: NDJSON lines appended on the hot path into a buffer reserved once a second; target names pre-encoded.
    private var raw: [UInt8] = []
    private let rawTargets: [[UInt8]]
    private var interval: IntervalStats
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
    private let pacerQuantumMicros: Int64

    /// How this thread drives libcurl (`Engine.DriveMode`).
    let mode: Engine.DriveMode

    /// The default for a thread with `connections`, unless the plan's `engine.driveMode` forces one (benchmarks).
    static func mode(connections: Int, open: Bool, forced: Engine.DriveMode? = nil) -> Engine.DriveMode {
        if let forced { return forced }
        return connections <= (open ? performModeMaxPool : performModeMaxConnections) ? .perform : .socket
    }

    init(index: Int, connections: Int, plan: RunPlan, control: StopControl, budget: RequestBudget,
         mailbox: Mailbox, startLine: StartLine, warmup: Bool, userAgent: String?, mode: Engine.DriveMode,
         live: LiveCounters, faults: Engine.FaultInjection? = nil) throws {
        self.index = index
        self.live = live
        self.faults = faults
        self.jitterState = 0x9E37_79B9_7F4A_7C15 &* UInt64(index + 1)
        self.plan = plan
        self.pacerQuantumMicros = plan.engine.effectivePacerQuantumMicros
        self.control = control
        self.budget = budget
        self.mailbox = mailbox
        self.startLine = startLine
        self.warmup = warmup
        self.warmInFlight = max(1, Engine.connectAttemptsInFlight / max(1, plan.effectiveThreads))
        self.warmFresh = plan.httpVersion == "1.1"
        self.slotCount = connections
        self.interval = IntervalStats(second: 0)
        self.targetCount = plan.targets.count
        self.rawTargets = plan.targets.map { t in Array(String(decoding: (try? JSONOutput.encode(t.name)) ?? Data("\"\"".utf8), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8) }
        thinkQueue = .allocate(capacity: max(1, connections))
        backoffQueue = .allocate(capacity: max(1, connections))
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
        freeSlots = .allocate(capacity: max(1, connections))
        if let s = plan.schedule {
            // Request k belongs to segment (k mod N) + 1, and within it to thread t of T every T-th time.
            let n = plan.segment?.count ?? 1
            let segmentOffset = (plan.segment?.index ?? 1) - 1
            schedule = s.makeIterator(limit: plan.requestLimit, offset: segmentOffset + n * index, stride: n * plan.effectiveThreads)
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
                (easies + t).initialize(to: easy)
            }
            (slots + i).initialize(to: Slot(easies: easies, shard: shard))
        }
    }

    deinit {
        for i in 0..<slotCount {
            let slot = slots[i]
            if slot.active { CurlMulti.remove(multis[Int(slot.shard)], slot.easy) }
            for t in 0..<targetCount { curl_easy_cleanup(slot.easies[t]) }
            slot.easies.deallocate()
        }
        if let bodyChecks {
            for k in 0..<(slotCount * targetCount) { bodyChecks[k].release() }
            bodyChecks.deallocate()
        }
        thinkQueue.deallocate()
        backoffQueue.deallocate()
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
        freeSlots.deallocate()
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
        default: break
        }
        barrage_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, version)
        if version != CURL_HTTP_VERSION_1_1 {
            // Multiplex on an existing HTTP/2 connection rather than opening new ones. Only for HTTP/2: on HTTP/1.1
            // PIPEWAIT would make transfers wait for one another.
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
            warming = true
            startMicros = Clock.monotonicMicros()
            startWarmups()
            drive()
            warming = false
        }
        startMicros = startLine.arriveAndWait(control: control)
        sendEndMicros = plan.durationMicros.map { startMicros + $0 } ?? Int64.max
        interval = IntervalStats(second: 0, targets: targetCount)
        let now = Clock.monotonicMicros()
        if schedule != nil {
            // Open model: every slot starts free; the schedule says when each request is due.
            for i in 0..<slotCount { freeSlots[i] = Int32(slotCount - 1 - i) }
            freeCount = slotCount
            nextDue = schedule!.next()
            dispatchDue(now: now)
        } else {
            startIdleSlots(now: now)
        }
        drive()
        let end = Clock.monotonicMicros()
        closeIntervals(through: end)
        interval.inFlight = active
        mailbox.post(.interval(worker: index, interval, targets: targetRecorders, stages: stageRecorders))
        flushRaw()
        publishLive()
        mailbox.post(.finished(worker: index, warmup: warmupRecorder, connect: connectRecorder,
                               firstErrors: Dictionary(uniqueKeysWithValues: ErrorClass.allCases.compactMap { c in
                                   firstErrors[c.index].map { (c.rawValue, $0) } })))
    }

    /// Whether the loop is done: nothing in flight and nothing more may start.
    @inline(__always)
    private func finished(now: Int64) -> Bool {
        // Slots thinking or backing off do not hold the run once nothing more may start: they would send nothing.
        active == 0 && (warming ? (warmNext >= slotCount || control.level != .running) : (nextDue == nil && !mayStartMore(now: now)))
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
            if control.level == .aborting {
                abortActive(now: now)
                if schedule != nil && !warming { dispatchDue(now: now) } // due but unsent: dropped
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
                if schedule != nil { dispatchDue(now: Clock.monotonicMicros()) } else { resumeClosed(now: Clock.monotonicMicros()) }
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

    /// How long the loop may sleep (ms). In the open model a due request sooner than 100 ms arms the timerfd instead,
    /// no sooner than the pacer quantum.
    private func sleepBudget(now: Int64) -> (millis: Int32, timerArmed: Bool) {
        let wake = nextWakeMicros(now: now)
        let wait = max(0, wake - now)
        if schedule != nil && !warming && wait < 100_000 {
            if armTimer(atMicros: max(wake, now + pacerQuantumMicros)) { return (100, true) }
            // The timer could not be armed: sleep in whole milliseconds instead (coarser pacing, nothing lost).
            return (Int32(min(max(1, (wait + 999) / 1_000), 100)), false)
        }
        return (Int32(min((wait + 999) / 1_000, plan.closedStages.isEmpty ? 100 : 10)), false)
    }

    /// Perform mode's sleep: libcurl's own descriptors, plus the timerfd when it is armed.
    private func pollMulti(_ millis: Int32, timerArmed: Bool) {
        guard timerArmed else {
            CurlMulti.poll(multis[0], extra: nil, extraCount: 0, timeoutMillis: millis)
            return
        }
        var extra = curl_waitfd()
        extra.fd = timerFD
        extra.events = Int16(CURL_WAIT_POLLIN)
        CurlMulti.poll(multis[0], extra: &extra, extraCount: 1, timeoutMillis: millis)
        if extra.revents != 0 { consumeTimer() }
    }

    /// The timerfd fired: read its count so it stops being readable.
    private func consumeTimer() {
        TimerFD.drain(timerFD)
        timerArmedMicros = -1
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

    /// The earliest moment the loop must wake: a libcurl timer, the end of the current second, or the end of sending.
    private func nextWakeMicros(now: Int64) -> Int64 {
        var wake = startMicros + Int64(interval.second + 1) * 1_000_000
        let deadlines = loop.pointee.deadlines
        for s in 0..<multis.count where deadlines[s] >= 0 && deadlines[s] < wake {
            wake = deadlines[s]
        }
        if sendEndMicros > now && sendEndMicros < wake { wake = sendEndMicros }
        if thinkCount > 0 && thinkQueue[thinkHead].until < wake { wake = thinkQueue[thinkHead].until }
        if backoffNextMicros < wake { wake = backoffNextMicros }
        if let due = nextDue, !warming {
            // With a free slot, wake when the next request is due; without one, when it would become too late.
            let at = startMicros + due.dueMicros + (freeCount > 0 ? 0 : plan.maxLatenessMicros + 1)
            if at < wake { wake = at }
        }
        return wake
    }

    /// Arms the timerfd for an absolute monotonic time (µs), unless it is already armed for it. False when
    /// `timerfd_settime` failed (the caller then sleeps in whole milliseconds).
    private func armTimer(atMicros micros: Int64) -> Bool {
        guard micros != timerArmedMicros else { return true }
        guard TimerFD.arm(timerFD, atMicros: micros) else {
            timerArmedMicros = -1
            return false
        }
        timerArmedMicros = micros
        return true
    }

    /// Open model: drops requests later than the allowed lateness, and sends due ones while the pool has room,
    /// in due order. Waiting requests cost nothing but the schedule's position.
    private func dispatchDue(now: Int64) {
        let elapsed = now - startMicros
        let stopping = control.level != .running
        while let due = nextDue, due.dueMicros <= elapsed {
            if stopping || elapsed - due.dueMicros > plan.maxLatenessMicros {
                recordDrop(now: now, dueMicros: due.dueMicros, target: plan.targetIndex(forRequest: due.k))
            } else if freeCount > 0 {
                freeCount -= 1
                let i = Int(freeSlots[freeCount])
                let slot = slots + i
                slot.pointee.target = Int32(plan.targetIndex(forRequest: due.k))
                slot.pointee.dueMicros = due.dueMicros
                slot.pointee.sentMicros = elapsed
                slot.pointee.active = true
                active += 1
                if active > interval.inFlightMax { interval.inFlightMax = active }
                resetCheck(i)
                if !addTransfer(i, now: now) {
                    freeSlots[freeCount] = Int32(i) // counted as failed; the schedule goes on
                    freeCount += 1
                }
            } else {
                return
            }
            nextDue = schedule!.next()
        }
        if stopping { nextDue = nil }
    }

    private func recordDrop(now: Int64, dueMicros: Int64, target: Int) {
        if plan.recordRaw {
            appendRaw(RequestOutcome(dueMicros: dueMicros, sentMicros: -1, doneMicros: now - startMicros, status: 0, error: nil,
                                     complete: false), target: target, dropped: true)
        }
        if dueMicros < plan.warmupMicros {
            warmupRecorder.recordDropped()
            return
        }
        let second = Int((now - startMicros) / 1_000_000)
        if second != interval.second { closeIntervals(through: now) }
        interval.recorder.recordDropped()
        if !targetRecorders.isEmpty { targetRecorders[target].recordDropped() }
        if !stageRecorders.isEmpty { stageRecorders[plan.stageIndex(atMicros: dueMicros)].recordDropped() }
    }

    private func fireTimers(now: Int64) {
        let deadlines = loop.pointee.deadlines
        for s in 0..<multis.count where deadlines[s] >= 0 && deadlines[s] <= now {
            deadlines[s] = -1
            CurlMulti.socketAction(multis[s], CURL_SOCKET_TIMEOUT, flags: 0)
            dirty[s] = true
        }
    }

    /// Connect phase: starts warm-up requests on the next slots while fewer than `warmInFlight` are in flight, so
    /// that connection attempts stay within the server's listen backlog.
    private func startWarmups() {
        while active < warmInFlight && warmNext < slotCount && control.level == .running {
            startWarm(warmNext)
            warmNext += 1
        }
    }

    /// Starts slot `i`'s warm-up request: outside the budget and the results. On HTTP/1.1 it must open its own
    /// connection (an idle one left by an earlier warm-up would otherwise be reused), so each slot leaves one behind.
    private func startWarm(_ i: Int) {
        let slot = slots + i
        if warmFresh { barrage_easy_setopt_long(slot.pointee.easy, CURLOPT_FRESH_CONNECT, 1) }
        let now = Clock.monotonicMicros() - startMicros
        slot.pointee.dueMicros = now
        slot.pointee.sentMicros = now
        slot.pointee.active = true
        active += 1
        if !addTransfer(i, now: Clock.monotonicMicros()) { warmNext = slotCount } // the phase ends, as on a failed connection
    }

    /// Closed model: this thread's share of the plan's concurrency at `now` (the whole split exactly over threads).
    @inline(__always)
    private func allowedSlots(now: Int64) -> Int {
        if plan.closedStages.isEmpty { return slotCount }
        let c = plan.concurrency(atMicros: now - startMicros)
        let threads = plan.effectiveThreads
        return min(slotCount, c / threads + (index < c % threads ? 1 : 0))
    }

    /// Closed model: whether a new request may start now (time, signals; the budget is checked when taking one).
    @inline(__always)
    private func mayStartMore(now: Int64) -> Bool {
        schedule == nil && control.level == .running && now < sendEndMicros && !budget.spent
    }

    /// Closed model: starts slots that are idle and allowed by the current concurrency.
    private func startIdleSlots(now: Int64) {
        let allowed = allowedSlots(now: now)
        guard busy < allowed else { return }
        for i in 0..<allowed where !slots[i].active && !slots[i].thinking {
            if !start(i, now: now) { return }
        }
    }

    /// Closed model: slots whose think time or back-off is over send again; ramps start or retire workers.
    private func resumeClosed(now: Int64) {
        while thinkCount > 0 && thinkQueue[thinkHead].until <= now {
            let i = Int(thinkQueue[thinkHead].slot)
            thinkHead = (thinkHead + 1) % slotCount
            thinkCount -= 1
            slots[i].thinking = false
            busy -= 1
            if i < allowedSlots(now: now) { _ = start(i, now: now) }
        }
        if backoffNextMicros <= now { resumeBackedOff(now: now) }
        if !plan.closedStages.isEmpty { startIdleSlots(now: now) }
    }

    /// Closed model: slots whose back-off has ended try again (a start may put a slot straight back in the queue).
    private func resumeBackedOff(now: Int64) {
        var ready: [Int32] = []
        var k = 0
        backoffNextMicros = .max
        while k < backoffCount {
            let entry = backoffQueue[k]
            if entry.until <= now {
                ready.append(entry.slot)
                backoffCount -= 1
                backoffQueue[k] = backoffQueue[backoffCount]
            } else {
                backoffNextMicros = min(backoffNextMicros, entry.until)
                k += 1
            }
        }
        for slot in ready {
            let i = Int(slot)
            slots[i].thinking = false
            busy -= 1
            if i < allowedSlots(now: now) { _ = start(i, now: now) }
        }
    }

    /// The first back-off after a failure that never reached the server, and the cap it doubles up to.
    static let backoffFirstMicros: Int64 = 10_000
    static let backoffCapMicros: Int64 = 1_000_000

    /// Closed model: the wait before slot `i`'s next attempt after `streak` such failures in a row — 10 ms doubling
    /// to 1 s, with jitter (half fixed, half random) so that workers refused together do not retry together.
    private func backoffMicros(streak: Int32) -> Int64 {
        let shift = Int64(min(max(streak - 1, 0), 20))
        let base = min(Self.backoffCapMicros, Self.backoffFirstMicros << shift)
        jitterState ^= jitterState << 13
        jitterState ^= jitterState >> 7
        jitterState ^= jitterState << 17
        return base / 2 + Int64(jitterState % UInt64(base / 2 + 1))
    }

    /// Closed model: slot `i` waits `backoffMicros` before it may send again.
    private func backOff(_ i: Int, now: Int64) {
        let until = now + backoffMicros(streak: slots[i].failStreak)
        slots[i].thinking = true
        backoffQueue[backoffCount] = (Int32(i), until)
        backoffCount += 1
        if until < backoffNextMicros { backoffNextMicros = until }
    }

    /// Starts the next request on slot `i` if the plan allows one.
    @inline(__always)
    private func start(_ i: Int, now: Int64) -> Bool {
        guard control.level == .running, now < sendEndMicros, let k = budget.take() else { return false }
        let slot = slots + i
        slot.pointee.target = Int32(plan.targetIndex(forRequest: k))
        slot.pointee.dueMicros = now - startMicros
        slot.pointee.sentMicros = now - startMicros
        slot.pointee.active = true
        active += 1
        if active > interval.inFlightMax { interval.inFlightMax = active }
        busy += 1
        resetCheck(i)
        if !addTransfer(i, now: now) {
            // Counted as failed; the worker backs off as after a refused connection, and stays busy meanwhile.
            slots[i].failStreak += 1
            if mayStartMore(now: now) { backOff(i, now: now) } else { busy -= 1 }
            return false
        }
        return true
    }

    /// Hands slot `i`'s current transfer to its shard's multi handle. When libcurl refuses it, the request is
    /// recorded as failed (class `other`, with libcurl's message), the slot is idle again and the result is false.
    @inline(__always)
    private func addTransfer(_ i: Int, now: Int64) -> Bool {
        let slot = slots + i
        let code: CURLMcode
        if let faults, faults.failAdd(index, added) {
            code = CURLM_INTERNAL_ERROR
        } else {
            code = CurlMulti.add(multis[Int(slot.pointee.shard)], slot.pointee.easy)
        }
        added &+= 1
        if code == CURLM_OK { return true }
        slot.pointee.active = false
        active -= 1
        let message = "curl_multi_add_handle failed: \(CurlMulti.describe(code)) (CURLM \(code.rawValue))"
        if firstErrors[ErrorClass.other.index] == nil { firstErrors[ErrorClass.other.index] = message }
        recordOutcome(RequestOutcome(dueMicros: slot.pointee.dueMicros, sentMicros: slot.pointee.sentMicros,
                                     doneMicros: now - startMicros, status: 0, error: .other, complete: false),
                      target: Int(slot.pointee.target), now: now)
        return false
    }

    @inline(__always)
    private func resetCheck(_ i: Int) {
        errorBuffers[(i * targetCount + Int(slots[i].target)) * Int(CURL_ERROR_SIZE)] = 0
        if let bodyChecks { bodyChecks[i * targetCount + Int(slots[i].target)].reset() }
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
                slots[i].active = false
                active -= 1
                if warming {
                    if warmFresh { barrage_easy_setopt_long(easy, CURLOPT_FRESH_CONNECT, 0) }
                    // A connection that cannot be opened ends the phase: the other workers would only wait for the
                    // same refusal or timeout, batch after batch. They connect in the run, where failures count.
                    if code != CURLE_OK { warmNext = slotCount }
                    startWarmups()
                } else if schedule != nil {
                    freeSlots[freeCount] = Int32(i)
                    freeCount += 1
                } else if outcome.complete {
                    slots[i].failStreak = 0
                    restartClosed(i, now: now)
                } else if outcome.neverReachedServer && mayStartMore(now: now) {
                    // A failure before the server (refused, unresolved, TLS) backs the worker off: against a dead
                    // target, workers would otherwise spin on connection attempts and report them as throughput.
                    slots[i].failStreak += 1
                    backOff(i, now: now)
                } else {
                    restartClosed(i, now: now)
                }
            }
        }
    }

    /// Closed model: slot `i` finished a request; it thinks, or sends its next one, or retires with a ramp.
    @inline(__always)
    private func restartClosed(_ i: Int, now: Int64) {
        if plan.thinkTimeMicros > 0 && mayStartMore(now: now) {
            slots[i].thinking = true
            thinkQueue[(thinkHead + thinkCount) % slotCount] = (Int32(i), now + plan.thinkTimeMicros)
            thinkCount += 1
        } else {
            busy -= 1
            if i < allowedSlots(now: now) { _ = start(i, now: now) }
        }
    }

    /// How a finished transfer ended, as far as the closed model's next step cares.
    struct Ending {
        /// A complete response (any status).
        var complete: Bool
        /// Failed before reaching the server: `connect`, `dns` or `tls`.
        var neverReachedServer: Bool
    }

    /// Reads what libcurl measured for the finished transfer on slot `i` and records it.
    @inline(__always)
    private func complete(_ i: Int, code: CURLcode, now: Int64) -> Ending {
        let slot = slots[i]
        let easy = slot.easy
        var status = 0, headerBytes = 0, requestBytes = 0, connects = 0
        var downloaded: curl_off_t = 0, uploaded: curl_off_t = 0
        var lookup: curl_off_t = 0, connect: curl_off_t = 0, appConnect: curl_off_t = 0
        var preTransfer: curl_off_t = 0, startTransfer: curl_off_t = 0
        barrage_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        barrage_easy_getinfo_long(easy, CURLINFO_HEADER_SIZE, &headerBytes)
        barrage_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestBytes)
        barrage_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        barrage_easy_getinfo_off(easy, CURLINFO_SIZE_DOWNLOAD_T, &downloaded)
        barrage_easy_getinfo_off(easy, CURLINFO_SIZE_UPLOAD_T, &uploaded)
        barrage_easy_getinfo_off(easy, CURLINFO_NAMELOOKUP_TIME_T, &lookup)
        barrage_easy_getinfo_off(easy, CURLINFO_CONNECT_TIME_T, &connect)
        barrage_easy_getinfo_off(easy, CURLINFO_APPCONNECT_TIME_T, &appConnect)
        barrage_easy_getinfo_off(easy, CURLINFO_PRETRANSFER_TIME_T, &preTransfer)
        barrage_easy_getinfo_off(easy, CURLINFO_STARTTRANSFER_TIME_T, &startTransfer)
        var httpVersion = 0
        barrage_easy_getinfo_long(easy, CURLINFO_HTTP_VERSION, &httpVersion)

        let curlCode = Int(code.rawValue)
        var error = ErrorClass.classify(curlCode: curlCode, httpStatus: status)
        if curlCode == 56 && headerBytes > 300 * 1024 {
            error = .protocol // libcurl 7.88 reports "Too large response headers" with the code of a reset
        }
        if curlCode == 0, let expect = plan.targets[Int(slot.target)].expect {
            if let statuses = expect.statuses {
                error = statuses.contains(status) ? nil : .check
            }
            if error == nil, let bodyChecks, !bodyChecks[i * targetCount + Int(slot.target)].matched {
                error = .check
            }
        }
        let isNew = connects > 0
        var outcome = RequestOutcome(
            dueMicros: slot.dueMicros,
            sentMicros: slot.sentMicros,
            doneMicros: now - startMicros,
            status: status,
            error: error,
            complete: curlCode == 0 && status >= 100,
            bytesIn: Int64(headerBytes) + Int64(downloaded),
            bodyBytesIn: Int64(downloaded),
            bytesOut: Int64(requestBytes) + Int64(uploaded),
            dnsMicros: isNew ? Int64(lookup) : -1,
            connectMicros: isNew && connect > 0 ? Int64(connect - lookup) : -1,
            tlsMicros: isNew && appConnect > 0 ? Int64(appConnect - connect) : -1,
            ttfbMicros: startTransfer > 0 ? Int64(startTransfer - preTransfer) : -1,
            connection: isNew ? .new : (preTransfer > 0 ? .reused : .none)
        )
        if let error, firstErrors[error.index] == nil {
            // Rare (once per class per thread): the first message of each class, for the summary.
            let buffer = errorBuffers + (i * targetCount + Int(slot.target)) * Int(CURL_ERROR_SIZE)
            let text = buffer.pointee != 0 ? String(cString: buffer) : String(cString: curl_easy_strerror(code))
            if error == .status || error == .check {
                // A complete response: libcurl had nothing to say about it, so no curl code either.
                firstErrors[error.index] = "HTTP \(status)" + (error == .check ? " failed the expect check" : "")
            } else {
                firstErrors[error.index] = "\(text) (curl \(curlCode))"
            }
        }
        switch httpVersion {
        case CURL_HTTP_VERSION_1_0: outcome.httpVersion = 10
        case CURL_HTTP_VERSION_1_1: outcome.httpVersion = 11
        case CURL_HTTP_VERSION_2_0: outcome.httpVersion = 20
        case CURL_HTTP_VERSION_3: outcome.httpVersion = 30
        default: break
        }
        recordOutcome(outcome, target: Int(slot.target), now: now)
        return Ending(complete: outcome.complete, neverReachedServer: error == .connect || error == .dns || error == .tls)
    }

    @inline(__always)
    private func recordOutcome(_ outcome: RequestOutcome, target: Int, now: Int64) {
        if plan.recordRaw && !warming { appendRaw(outcome, target: target, dropped: false) }
        if warming {
            connectRecorder.record(outcome)
            return
        }
        if outcome.dueMicros < plan.warmupMicros {
            warmupRecorder.record(outcome)
            return
        }
        if !targetRecorders.isEmpty {
            targetRecorders[target].record(outcome)
            if outcome.complete {
                let v = UInt64(max(0, min(outcome.doneMicros - outcome.dueMicros, Int64(LatencyHistograms.highestMicros))))
                interval.targetLatency[target].record(v)
            }
        }
        if !stageRecorders.isEmpty { stageRecorders[plan.stageIndex(atMicros: outcome.dueMicros)].record(outcome) }
        let second = Int((now - startMicros) / 1_000_000)
        if second != interval.second { closeIntervals(through: now) }
        interval.recorder.record(outcome)
    }

    /// One NDJSON line: `{"due":…,"sent":…,"done":…,"target":"…","status":…,"bytes":…,"error":"…"|null}` (µs from the
    /// start; `sent` is null for a dropped request, whose `error` is "dropped"). No allocation once the buffer is warm.
    @inline(__always)
    private func appendRaw(_ o: RequestOutcome, target: Int, dropped: Bool) {
        func text(_ s: StaticString) { s.withUTF8Buffer { raw.append(contentsOf: $0) } }
        func number(_ v: Int64) {
            if v < 0 { raw.append(UInt8(ascii: "-")) }
            var x = v.magnitude
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                         UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var n = 0
            withUnsafeMutableBytes(of: &digits) { buf in
                repeat { buf[n] = UInt8(ascii: "0") + UInt8(x % 10); x /= 10; n += 1 } while x > 0
                while n > 0 { n -= 1; raw.append(buf[n]) }
            }
        }
        text("{\"due\":"); number(o.dueMicros)
        text(",\"sent\":"); if dropped { text("null") } else { number(o.sentMicros) }
        text(",\"done\":"); number(o.doneMicros)
        text(",\"target\":"); raw.append(contentsOf: rawTargets[target])
        text(",\"status\":"); number(Int64(o.status))
        text(",\"bytes\":"); number(o.bytesIn)
        text(",\"error\":")
        if dropped { text("\"dropped\"") }
        else if let e = o.error { raw.append(UInt8(ascii: "\"")); raw.append(contentsOf: e.rawValue.utf8); raw.append(UInt8(ascii: "\"")) }
        else { text("null") }
        text("}\n")
    }

    /// Hands the NDJSON lines gathered so far to the controller, which writes them (off the engine thread).
    private func flushRaw() {
        guard plan.recordRaw, !raw.isEmpty else { return }
        mailbox.post(.raw(raw))
        raw = []
        raw.reserveCapacity(1 << 20)
    }

    /// Hands every second that has ended to the controller and starts a fresh one.
    private func closeIntervals(through now: Int64) {
        let second = Int((now - startMicros) / 1_000_000)
        guard second > interval.second else { return }
        flushRaw()
        interval.inFlight = active
        closedOk += interval.ok
        closedFailed += interval.failed
        closedDropped += interval.dropped
        mailbox.post(.interval(worker: index, interval, targets: targetRecorders, stages: stageRecorders))
        if !targetRecorders.isEmpty { targetRecorders = Array(repeating: Recorder(), count: targetRecorders.count) }
        if !stageRecorders.isEmpty { stageRecorders = Array(repeating: Recorder(), count: stageRecorders.count) }
        interval = IntervalStats(second: second, targets: targetCount)
        interval.inFlightMax = active // requests carried into the new second are in flight at its start
    }

    /// This thread's counts so far and requests in flight, for the live view between seconds (relaxed stores: the
    /// reader only needs a recent value, not a consistent snapshot across threads).
    @inline(__always)
    private func publishLive() {
        live.ok.store(closedOk + interval.ok, ordering: .relaxed)
        live.failed.store(closedFailed + interval.failed, ordering: .relaxed)
        live.dropped.store(closedDropped + interval.dropped, ordering: .relaxed)
        live.inFlight.store(active, ordering: .relaxed)
    }

    /// Cuts every request in flight short; each is counted as failed with class `other`.
    private func abortActive(now: Int64) {
        for i in 0..<slotCount where slots[i].active {
            let slot = slots[i]
            CurlMulti.remove(multis[Int(slot.shard)], slot.easy)
            slots[i].active = false
            active -= 1
            recordOutcome(RequestOutcome(dueMicros: slot.dueMicros, sentMicros: slot.sentMicros,
                                         doneMicros: now - startMicros, status: 0, error: .other, complete: false),
                          target: Int(slot.target), now: now)
        }
    }
}
