/// The slot lifecycle of one engine thread as a pure state machine: fed events (`startConnect`, `started`,
/// `timerFired`, `completed`, `refused`, `drain`, `stop`), it returns actions (`SlotAction`). It decides what the
/// engine decided inline before: the connect phase, the closed model's stages, ramps, think time, back-off and request
/// budget, and the open model's due times, pool, lateness and drops. The engine keeps the libcurl handles and only
/// executes the actions.
///
/// Times are µs from the run's start (from the connect phase's start while connecting). Actions come one per call
/// (`nextAction`, until `.none`), so nothing allocates per request; the state lives in arrays sized once.
/// Everything is `@inlinable`: the engine is another module and calls this on every request.
public struct SlotScheduler<Requests: RequestSource> {
    @usableFromInline let plan: RunPlan
    @usableFromInline let slotCount: Int
    /// This thread's index among the plan's engine threads (its share of a ramp's concurrency, its jitter seed).
    @usableFromInline let thread: Int
    @usableFromInline let requests: Requests
    /// Connect phase: how many warm-up requests may be in flight at once.
    @usableFromInline let warmInFlight: Int
    /// When sending stops (µs from the start), Int64.max without a duration.
    @usableFromInline let sendEndMicros: Int64
    /// Read from the plan's load model once, not per request: the closed model's think time and whether its workers
    /// follow stages, the open model's lateness limit.
    @usableFromInline let thinkTimeMicros: Int64
    @usableFromInline let hasClosedStages: Bool
    @usableFromInline let maxLatenessMicros: Int64

    // Flows: the steps (empty when the workload is plain targets), the seed and VU numbering of their random draws,
    // when iterations still under way at the end of sending are cut short, and the slots waiting between steps
    // (unordered, like the back-off queue: think times differ, so a FIFO would not be in time order).
    @usableFromInline let flowSteps: [FlowStepPlan]
    @usableFromInline let flowSeed: UInt64
    @usableFromInline let vuOffset: Int
    @usableFromInline let graceEndMicros: Int64
    @usableFromInline let pacingMicros: Int64
    @usableFromInline let setupCount: Int
    @usableFromInline var stepWaitQueue: [Waiting]
    @usableFromInline var stepWaitCount = 0
    @usableFromInline var stepWaitNextMicros = Int64.max

    @usableFromInline var slots: [SlotState]
    @usableFromInline var _inFlight = 0
    @usableFromInline var _stopping = false
    @usableFromInline var _connecting = false
    @usableFromInline var warmNext = 0

    // Open model: this thread's share of the schedule, its next due request, and the free slots (a stack).
    @usableFromInline var schedule: OpenSchedule.Iterator?
    @usableFromInline var nextDue: (k: Int, dueMicros: Int64)?
    @usableFromInline var freeSlots: [Int32]
    @usableFromInline var freeCount = 0

    // Closed model: slots in use (in flight or waiting), a FIFO of slots thinking until a time, and slots backing off
    // (unordered: scanned only when the earliest, `backoffNextMicros`, has come).
    @usableFromInline var busy = 0
    @usableFromInline var thinkQueue: [Waiting]
    @usableFromInline var thinkHead = 0, thinkCount = 0
    @usableFromInline var backoffQueue: [Waiting]
    @usableFromInline var backoffCount = 0
    @usableFromInline var backoffNextMicros = Int64.max
    /// xorshift64 state for the back-off's jitter (per thread, so workers that failed together spread out).
    @usableFromInline var jitterState: UInt64
    /// Closed model: where the current resume pass is (`nextAction` picks it up where the last call left it).
    @usableFromInline var pass = Pass.done
    @usableFromInline var backoffCursor = 0
    @usableFromInline var idleCursor = 0, idleAllowed = 0

    @usableFromInline
    struct Waiting {
        @usableFromInline var slot: Int32
        @usableFromInline var untilMicros: Int64
        @inlinable init(slot: Int32, untilMicros: Int64) { self.slot = slot; self.untilMicros = untilMicros }
    }

    @usableFromInline
    enum Pass: UInt8 { case thinkQueue, backoff, idle, done }

    /// The first back-off after a failure that never reached the server, and the cap it doubles up to.
    public static var backoffFirstMicros: Int64 { 10_000 }
    public static var backoffCapMicros: Int64 { 1_000_000 }

    /// - Parameters:
    ///   - thread: this thread's index; the open schedule is shared out every T-th request (and by segment).
    ///   - requests: the run's request budget (closed model).
    ///   - warmInFlight: connect phase: warm-up requests in flight at once.
    ///   - vuOffset: flows: the VU number of slot 0 (VUs are numbered across threads and segments).
    public init(plan: RunPlan, slotCount: Int, thread: Int, requests: Requests, warmInFlight: Int, vuOffset: Int = 0) {
        self.plan = plan
        self.slotCount = slotCount
        self.thread = thread
        self.requests = requests
        self.warmInFlight = max(1, warmInFlight)
        self.sendEndMicros = plan.durationMicros ?? .max
        self.thinkTimeMicros = plan.thinkTimeMicros
        self.hasClosedStages = !plan.closedStages.isEmpty
        self.maxLatenessMicros = plan.maxLatenessMicros
        self.jitterState = 0x9E37_79B9_7F4A_7C15 &* UInt64(thread + 1)
        slots = Array(repeating: SlotState(), count: slotCount)
        freeSlots = Array(repeating: 0, count: max(1, slotCount))
        thinkQueue = Array(repeating: Waiting(slot: 0, untilMicros: 0), count: max(1, slotCount))
        backoffQueue = thinkQueue
        stepWaitQueue = thinkQueue
        self.vuOffset = vuOffset
        if let flow = plan.workload.flow {
            let targetOf = flow.targetIndexOfStep
            flowSteps = flow.steps.enumerated().map { j, step in
                switch step {
                case .request(let r):
                    return FlowStepPlan(target: Int32(targetOf[j] ?? 0), continueOnFailure: r.continueOnFailure, think: nil,
                                        repeatCount: r.foreach == nil ? Int32(r.repeatCount) : 0)
                case .think(let t): return FlowStepPlan(target: -1, continueOnFailure: true, think: t)
                }
            }
            flowSeed = plan.seed
            let end = plan.durationMicros ?? .max
            graceEndMicros = end == .max ? .max : end + flow.gracefulStopMicros
            pacingMicros = flow.pacingMicros
            setupCount = flow.setupCount
        } else {
            pacingMicros = 0
            setupCount = 0
            flowSteps = []
            flowSeed = 0
            graceEndMicros = .max
        }
        if let s = plan.schedule {
            // Request k belongs to segment (k mod N) + 1, and within it to thread t of T every T-th time.
            let share = plan.scheduleShare(thread: thread)
            schedule = s.makeIterator(limit: plan.requestLimit, offset: share.offset, stride: share.stride)
        }
    }

    // MARK: - Queries

    /// Requests in flight.
    @inlinable
    public var inFlight: Int { _inFlight }
    /// Set by `drain` or `stop`: nothing new is sent.
    @inlinable
    public var stopping: Bool { _stopping }
    /// True while the connect phase runs.
    @inlinable
    public var connecting: Bool { _connecting }

    /// Open model (requests due along a schedule) rather than closed (workers).
    @inlinable
    public var isOpen: Bool { schedule != nil }

    @inlinable
    public func slot(_ i: Int) -> SlotState { slots[i] }

    /// Whether the thread is done: nothing in flight and nothing more may start. Slots thinking or backing off do not
    /// hold it once nothing more may start: they would send nothing.
    @inlinable
    public func finished(nowMicros now: Int64) -> Bool {
        guard inFlight == 0 && stepWaitCount == 0 else { return false }
        if connecting { return warmNext >= slotCount || stopping }
        return nextDue == nil && !mayStartMore(nowMicros: now)
    }

    /// Closed model: whether a new request may start now (time, stop; the budget is checked when taking one).
    @inlinable
    public func mayStartMore(nowMicros now: Int64) -> Bool {
        schedule == nil && !stopping && now < sendEndMicros && !requests.spent
    }

    /// The earliest time (µs from the start) something here is due: a thinking or backing-off slot, or the next
    /// request of the schedule — with a free slot when it is due, without one when it would become too late.
    /// Int64.max when nothing is.
    @inlinable
    public func nextWakeMicros() -> Int64 {
        var wake = min(backoffNextMicros, stepWaitNextMicros)
        if thinkCount > 0 && thinkQueue[thinkHead].untilMicros < wake { wake = thinkQueue[thinkHead].untilMicros }
        if let due = nextDue, !connecting {
            let at = due.dueMicros + (freeCount > 0 ? 0 : maxLatenessMicros + 1)
            if at < wake { wake = at }
        }
        return wake
    }

    /// Whether the next due request paces the thread (open model, outside the connect phase).
    @inlinable
    public var paced: Bool { schedule != nil && !connecting }

    /// Closed model: this thread's share of the plan's concurrency at `now` (the whole split exactly over threads).
    @inlinable
    public func allowedSlots(nowMicros now: Int64) -> Int {
        if !hasClosedStages { return slotCount }
        let c = plan.concurrency(atMicros: now)
        let threads = plan.effectiveThreads
        return min(slotCount, c / threads + (thread < c % threads ? 1 : 0))
    }

    // MARK: - Events

    /// The connect phase begins: one warm-up request per slot, `warmInFlight` at a time.
    @inlinable
    public mutating func startConnect() {
        _connecting = true
        warmNext = 0
    }

    /// The run's clock starts (the connect phase, if any, is over): open-model slots are all free, closed-model
    /// idle slots start up to the current concurrency. Then call `nextAction` until `.none`.
    @inlinable
    public mutating func started(nowMicros now: Int64) {
        _connecting = false
        if schedule != nil {
            for i in 0..<slotCount { freeSlots[i] = Int32(slotCount - 1 - i) }
            freeCount = slotCount
            nextDue = schedule!.next()
        } else {
            beginIdlePass(nowMicros: now)
        }
    }

    /// The loop woke (a timer, a response, the end of a second): closed-model slots whose wait is over may send again,
    /// and a ramp may start more. Then call `nextAction` until `.none`.
    @inlinable
    public mutating func timerFired(nowMicros now: Int64) {
        if schedule == nil && !connecting { pass = .thinkQueue }
    }

    /// Whether the workload is a flow (iterations of steps) rather than single requests to targets.
    @inlinable
    public var isFlow: Bool { !flowSteps.isEmpty }

    /// Send nothing new; requests in flight finish. The open model drops what is due at the next `nextAction`.
    @inlinable
    public mutating func drain() {
        _stopping = true
    }

    /// Requests in flight are cut short (the engine records each as failed): every slot is idle, nothing new is sent.
    @inlinable
    public mutating func stop() {
        _stopping = true
        for i in 0..<slotCount where slots[i].phase == .inFlight { cutShort(slot: i) }
    }

    /// One request in flight was cut short (counted as failed by the engine); the slot goes idle.
    @inlinable
    public mutating func cutShort(slot i: Int) {
        slots[i].phase = .idle
        _inFlight -= 1
    }

    /// The transfer on slot `i` ended. Closed model: the slot thinks, backs off, sends again at once (`.send`, which
    /// the engine executes) or retires. Open model: the slot is free again. Connect phase: a failure ends the phase;
    /// `nextAction` starts the next warm-ups.
    @inlinable
    public mutating func completed(slot i: Int, outcome: SlotOutcome, nowMicros now: Int64) -> SlotAction {
        slots[i].phase = .idle
        _inFlight -= 1
        if connecting {
            // A connection that cannot be opened ends the phase: the other workers would only wait for the same
            // refusal or timeout, batch after batch. They connect in the run, where failures count.
            if outcome.transferFailed { warmNext = slotCount }
            return .release(slot: i)
        }
        if isFlow { return flowCompleted(i, outcome: outcome, nowMicros: now) }
        if schedule != nil {
            freeSlots[freeCount] = Int32(i)
            freeCount += 1
            return .release(slot: i)
        }
        if outcome.complete {
            slots[i].failStreak = 0
            return restartClosed(i, nowMicros: now)
        }
        if outcome.neverReachedServer && mayStartMore(nowMicros: now) {
            // A failure before the server (refused, unresolved, TLS) backs the worker off: against a dead target,
            // workers would otherwise spin on connection attempts and report them as throughput.
            slots[i].failStreak += 1
            return backOff(i, nowMicros: now)
        }
        return restartClosed(i, nowMicros: now)
    }

    /// The engine could not hand slot `i`'s request (or warm-up) to libcurl; it records it as failed. Closed model:
    /// the worker backs off as after a refused connection, and the current pass goes on. Open model: the slot
    /// is free again and the schedule goes on. Connect phase: the phase ends.
    /// Flow: the iteration fails with its step (`.iterationEnded`; the slot then backs off in the closed model).
    @inlinable @discardableResult
    public mutating func refused(slot i: Int, nowMicros now: Int64) -> SlotAction {
        slots[i].phase = .idle
        _inFlight -= 1
        if connecting {
            warmNext = slotCount
            return .none
        }
        if isFlow {
            slots[i].iterationFailed = true
            slots[i].failStreak += 1
            return endIteration(i, nowMicros: now)
        }
        if schedule != nil {
            freeSlots[freeCount] = Int32(i)
            freeCount += 1
            return .none
        }
        slots[i].failStreak += 1
        if mayStartMore(nowMicros: now) { _ = backOff(i, nowMicros: now) } else { busy -= 1 }
        // A start-up (or ramp) pass goes on with the next idle slot: one refusal must not leave the others unstarted.
        return .none
    }

    /// The next thing to do now, or `.none`. Call until `.none` after every event but `completed` outside the
    /// connect phase; after a `.send` or `.connect` the engine reports a refusal (`refused`) before calling again.
    @inlinable
    public mutating func nextAction(nowMicros now: Int64) -> SlotAction {
        if connecting { return nextWarmup(nowMicros: now) }
        if stepWaitCount > 0 && (stepWaitNextMicros <= now || stopping) {
            let action = nextStepResume(nowMicros: now)
            if action != .none { return action }
        }
        if schedule != nil { return nextDispatch(nowMicros: now) }
        return nextResume(nowMicros: now)
    }

    // MARK: - Connect phase

    /// Warm-up requests on the next slots while fewer than `warmInFlight` are in flight, so that connection attempts
    /// stay within the server's listen backlog.
    @inlinable
    mutating func nextWarmup(nowMicros now: Int64) -> SlotAction {
        guard inFlight < warmInFlight && warmNext < slotCount && !stopping else { return .none }
        let i = warmNext
        warmNext += 1
        slots[i].dueMicros = now
        slots[i].sentMicros = now
        slots[i].phase = .inFlight
        _inFlight += 1
        return .connect(slot: i)
    }

    // MARK: - Open model

    /// Drops requests later than the allowed lateness (all that are due once stopping), and sends due ones while the
    /// pool has room, in due order. Waiting requests cost nothing but the schedule's position.
    @inlinable
    mutating func nextDispatch(nowMicros elapsed: Int64) -> SlotAction {
        guard let due = nextDue, due.dueMicros <= elapsed else {
            if _stopping { nextDue = nil }
            return .none
        }
        let target = isFlow ? Int(firstFlowTarget) : plan.targetIndex(forRequest: due.k)
        if stopping || elapsed - due.dueMicros > maxLatenessMicros {
            nextDue = schedule!.next()
            return .drop(request: due.k, target: target, dueMicros: due.dueMicros)
        }
        guard freeCount > 0 else { return .none }
        freeCount -= 1
        let i = Int(freeSlots[freeCount])
        if isFlow {
            nextDue = schedule!.next()
            return beginIteration(i, iteration: due.k, startMicros: due.dueMicros, nowMicros: elapsed)
        }
        slots[i].target = Int32(target)
        slots[i].dueMicros = due.dueMicros
        slots[i].sentMicros = elapsed
        slots[i].phase = .inFlight
        _inFlight += 1
        nextDue = schedule!.next()
        return .send(slot: i, request: due.k)
    }

    // MARK: - Closed model

    @inlinable
    mutating func beginIdlePass(nowMicros now: Int64) {
        idleAllowed = allowedSlots(nowMicros: now)
        idleCursor = 0
        pass = busy < idleAllowed ? .idle : .done
    }

    /// One step of the resume pass: thinking slots whose time has come (in order), then backed-off slots whose time
    /// has come, then — with stages — idle slots the current concurrency allows.
    @inlinable
    mutating func nextResume(nowMicros now: Int64) -> SlotAction {
        while true {
            switch pass {
            case .thinkQueue:
                if thinkCount > 0 && thinkQueue[thinkHead].untilMicros <= now {
                    let i = Int(thinkQueue[thinkHead].slot)
                    thinkHead = (thinkHead + 1) % slotCount
                    thinkCount -= 1
                    slots[i].phase = .idle
                    busy -= 1
                    if i < allowedSlots(nowMicros: now), let k = take(nowMicros: now) { return start(i, request: k, nowMicros: now) }
                    continue
                }
                if backoffNextMicros <= now {
                    pass = .backoff
                    backoffCursor = 0
                    backoffNextMicros = .max
                } else {
                    endResumeQueues(nowMicros: now)
                }
            case .backoff:
                // Slots whose back-off has ended try again; one that is refused again goes back in the queue with a
                // later time, which this scan passes over.
                while backoffCursor < backoffCount {
                    let entry = backoffQueue[backoffCursor]
                    if entry.untilMicros <= now {
                        backoffCount -= 1
                        backoffQueue[backoffCursor] = backoffQueue[backoffCount]
                        let i = Int(entry.slot)
                        slots[i].phase = .idle
                        busy -= 1
                        if i < allowedSlots(nowMicros: now), let k = take(nowMicros: now) {
                            return start(i, request: k, nowMicros: now)
                        }
                    } else {
                        if entry.untilMicros < backoffNextMicros { backoffNextMicros = entry.untilMicros }
                        backoffCursor += 1
                    }
                }
                endResumeQueues(nowMicros: now)
            case .idle:
                while idleCursor < idleAllowed {
                    let i = idleCursor
                    idleCursor += 1
                    guard slots[i].phase == .idle else { continue }
                    guard let k = take(nowMicros: now) else {
                        pass = .done
                        return .none
                    }
                    return start(i, request: k, nowMicros: now)
                }
                pass = .done
            case .done:
                return .none
            }
        }
    }

    /// After the queues: with stages, start idle slots the ramp allows; otherwise the pass is over.
    @inlinable
    mutating func endResumeQueues(nowMicros now: Int64) {
        if !hasClosedStages { pass = .done } else { beginIdlePass(nowMicros: now) }
    }

    /// A request number for a new start, if the plan allows one now (time, stop, budget).
    @inlinable
    mutating func take(nowMicros now: Int64) -> Int? {
        guard !stopping, now < sendEndMicros else { return nil }
        return requests.take()
    }

    /// Slot `i` sends request `k`.
    @inlinable
    mutating func start(_ i: Int, request k: Int, nowMicros now: Int64) -> SlotAction {
        if isFlow {
            busy += 1
            return beginIteration(i, iteration: k, startMicros: now, nowMicros: now)
        }
        slots[i].target = Int32(plan.targetIndex(forRequest: k))
        slots[i].dueMicros = now
        slots[i].sentMicros = now
        slots[i].phase = .inFlight
        _inFlight += 1
        busy += 1
        return .send(slot: i, request: k)
    }

    /// Slot `i` finished a request: it thinks, or sends its next one, or retires with a ramp.
    @inlinable
    mutating func restartClosed(_ i: Int, nowMicros now: Int64) -> SlotAction {
        if thinkTimeMicros > 0 && mayStartMore(nowMicros: now) {
            let until = now + thinkTimeMicros
            slots[i].phase = .waiting
            thinkQueue[(thinkHead + thinkCount) % slotCount] = Waiting(slot: Int32(i), untilMicros: until)
            thinkCount += 1
            return .think(slot: i, untilMicros: until)
        }
        busy -= 1
        if i < allowedSlots(nowMicros: now), let k = take(nowMicros: now) { return start(i, request: k, nowMicros: now) }
        return .release(slot: i)
    }

    /// The wait before the next attempt after `streak` failures in a row before the server — 10 ms doubling to 1 s,
    /// with jitter (half fixed, half random) so that workers refused together do not retry together.
    @inlinable
    public mutating func backoffMicros(streak: Int32) -> Int64 {
        let shift = Int64(min(max(streak - 1, 0), 20))
        let base = min(Self.backoffCapMicros, Self.backoffFirstMicros << shift)
        jitterState ^= jitterState << 13
        jitterState ^= jitterState >> 7
        jitterState ^= jitterState << 17
        return base / 2 + Int64(jitterState % UInt64(base / 2 + 1))
    }

    /// Slot `i` waits `backoffMicros` before it may send again (it stays busy meanwhile).
    @inlinable
    mutating func backOff(_ i: Int, nowMicros now: Int64) -> SlotAction {
        let until = now + backoffMicros(streak: slots[i].failStreak)
        slots[i].phase = .waiting
        backoffQueue[backoffCount] = Waiting(slot: Int32(i), untilMicros: until)
        backoffCount += 1
        if until < backoffNextMicros { backoffNextMicros = until }
        return .think(slot: i, untilMicros: until)
    }
}
