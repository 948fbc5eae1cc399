/// What the engine does next for a WebSocket connection slot (`MessageScheduler.nextAction`).
public enum MessageAction: Equatable, Sendable {
    /// Nothing more is due now.
    case none
    /// Start the handshake of a new connection on the slot.
    case open(slot: Int)
    /// Send one message now; it was due at `dueMicros` (run clock) and took message number `number` from the budget.
    case send(slot: Int, dueMicros: Int64, number: Int)
    /// The outstanding message got no answer within the answer timeout: record it failed (`answer_timeout`) and close
    /// the connection (a late answer would otherwise be taken for the next message's); the slot opens a new one.
    case answerTimeout(slot: Int)
    /// `count` messages came due on the slot and will never be sent (the connection was lost, the run is stopping):
    /// record them dropped. They were due at `firstDueMicros` and then every `intervalMicros` (`--raw` writes each).
    case drop(slot: Int, count: Int, firstDueMicros: Int64)
    /// Close the connection (close code 1000). `reopen`: the slot opens a new one next (`--ws-messages` reached).
    case close(slot: Int, reopen: Bool)
    /// The run is aborting: record what is in flight on the slot as failed (`interrupted`: a message awaiting its
    /// answer, or the handshake) and close the connection.
    case interrupt(slot: Int)
    /// Open model: a connection due at `dueMicros` found no free slot within the lateness limit, or the run stopped
    /// before it opened: record it as a dropped request (a handshake never sent).
    case dropConnection(dueMicros: Int64)
}

/// Where a WebSocket connection slot is.
public enum ConnectionPhase: UInt8, Sendable {
    /// No connection: one opens at the next `nextAction` (unless the run is stopping). Open model: a free slot,
    /// waiting for the next arrival.
    case idle
    /// The handshake is in flight.
    case connecting
    /// Open, nothing outstanding: the next message goes when it is due.
    case open
    /// Open, one message awaiting its answer.
    case awaiting
    /// Done for this run (a refused handshake, the budget spent, the run stopping).
    case retired
}

/// One connection slot's state.
public struct ConnectionState: Sendable, Equatable {
    public var phase: ConnectionPhase = .idle
    /// Messages sent on the current connection.
    public var sentOnConnection = 0
    /// Paced (`--ws-rate`): when the slot's next message is due, run clock µs; -1 before the slot's first open.
    /// Kept across reconnects: a slot is one user sending at its rate.
    public var nextDueMicros: Int64 = -1
    /// The outstanding message (`awaiting`): when it was due and when it was sent.
    public var dueMicros: Int64 = 0
    public var sentMicros: Int64 = 0
    /// When the current handshake started, and when it was due (open model: its arrival; closed: when it started).
    public var openedMicros: Int64 = 0
    public var openDueMicros: Int64 = 0
}

/// The timing decisions of a WebSocket run, as a pure value fed events and returning actions (the shape of
/// `SlotScheduler`): when each connection opens, when each message is due, one outstanding message per connection,
/// the answer timeout, the shared message budget (`-n`, a `RequestSource`), `--ws-messages` reconnects, and the drain
/// at the end. The engine keeps everything libcurl (frames, sockets, matching answers) and feeds what happened.
///
/// Closed model: every slot keeps a connection open (reconnecting after `--ws-messages`, a loss or a timeout). Open
/// model (`arrivals`: `--rate` connections per second): the slots are a pool; each arrival opens a connection on a
/// free slot, which sends its `--ws-messages` and closes, and the slot is free again; an arrival that finds no free
/// slot within `maxLatenessMicros` is dropped (`dropConnection`).
///
/// Accounting: every message that took a number from the budget ends once as answered (the engine saw its answer),
/// failed (sent, no answer: `answerTimeout`, `interrupt`, or the engine's own loss/send failure) or dropped (`drop`,
/// `lost`'s count): so `total == answered + failed + dropped`.
public struct MessageScheduler<Budget: RequestSource> {
    public let plan: WebSocketPlan
    public let answerTimeoutMicros: Int64
    /// Paced: the spacing of due times per connection.
    public let intervalMicros: Int64?
    /// No message is due at or after this (run clock µs, `-d`); Int64.max without a duration.
    public let sendEndMicros: Int64
    public let budget: Budget
    public private(set) var connections: [ConnectionState]
    /// Nothing new is sent: the duration passed, the control drained, or the budget is spent.
    public private(set) var stopping = false
    public private(set) var aborting = false
    private var started = false
    /// Where `nextAction` resumes its scan; `rewind()` starts a new pass.
    private var cursor = 0
    /// Open model: this thread's share of the connection arrivals, the next one, and the lateness limit.
    private var arrivals: OpenSchedule.Iterator?
    private var nextArrival: (k: Int, dueMicros: Int64)?
    public let maxLatenessMicros: Int64
    /// Where the search for a free slot starts.
    private var freeHint = 0

    public init(plan: WebSocketPlan, connections: Int, answerTimeoutMicros: Int64, sendEndMicros: Int64 = .max, budget: Budget,
                arrivals: OpenSchedule.Iterator? = nil, maxLatenessMicros: Int64 = .max) {
        self.plan = plan
        self.answerTimeoutMicros = answerTimeoutMicros
        self.intervalMicros = plan.intervalMicros
        self.sendEndMicros = sendEndMicros
        self.budget = budget
        self.connections = Array(repeating: ConnectionState(), count: connections)
        self.arrivals = arrivals
        self.maxLatenessMicros = maxLatenessMicros
    }

    /// Open model: connections arrive along a schedule rather than being kept open.
    public var isOpen: Bool { arrivals != nil }
    /// Open model: every arrival of this thread's share has been opened or dropped.
    private var arrivalsDone: Bool { isOpen && nextArrival == nil }

    public func connection(_ slot: Int) -> ConnectionState { connections[slot] }

    /// Messages awaiting their answer.
    public var outstanding: Int { connections.reduce(0) { $0 + ($1.phase == .awaiting ? 1 : 0) } }

    /// Connections upgraded and not yet closed or lost (open, or awaiting an answer): the live view's "connections open".
    public var openConnections: Int {
        connections.reduce(0) { $0 + ($1.phase == .open || $1.phase == .awaiting ? 1 : 0) }
    }

    // MARK: - Events

    /// The run clock started: every slot opens a connection.
    public mutating func start() {
        started = true
        cursor = 0
        nextArrival = arrivals?.next()
    }

    /// Send nothing new; messages awaiting an answer get it (or time out), then every connection closes.
    public mutating func drain() {
        stopping = true
        cursor = 0
    }

    /// Abort: what is in flight is cut short (`interrupt`).
    public mutating func stop() {
        stopping = true
        aborting = true
        cursor = 0
    }

    /// The handshake on `slot` ended: `upgraded` (101) or not. A refused or failed handshake retires the slot, so a
    /// server that refuses every upgrade ends the run instead of being asked again and again.
    public mutating func handshakeDone(slot: Int, upgraded: Bool, nowMicros: Int64) {
        if upgraded {
            connections[slot].phase = .open
            connections[slot].sentOnConnection = 0
            // Closed: the slot's schedule starts at its first open and goes on across reconnects. Open: each
            // connection is a new arrival with its own schedule.
            if intervalMicros != nil && (isOpen || connections[slot].nextDueMicros < 0) { connections[slot].nextDueMicros = nowMicros }
        } else {
            connections[slot].phase = isOpen ? .idle : .retired
        }
        cursor = Swift.min(cursor, slot)
    }

    /// The engine matched the answer to the outstanding message on `slot` (read `connection(slot)` first for its times).
    public mutating func answered(slot: Int, nowMicros: Int64) {
        guard connections[slot].phase == .awaiting else { return }
        connections[slot].phase = .open
        cursor = Swift.min(cursor, slot)
    }

    /// The connection on `slot` is gone (closed by the peer, a receive or send error): the outstanding message, if
    /// any, is the engine's to record as failed. Returns how many messages came due and will not be sent (paced:
    /// due by now, the first at `firstDueMicros`, then every `intervalMicros`; they take their numbers from the
    /// budget), which the engine records as dropped. The slot opens a new connection unless the run is stopping.
    public mutating func lost(slot: Int, nowMicros: Int64) -> (count: Int, firstDueMicros: Int64) {
        let dropped = overdue(slot: slot, nowMicros: nowMicros)
        connections[slot].phase = stopping ? .retired : .idle
        cursor = Swift.min(cursor, slot)
        return dropped
    }

    // MARK: - Actions

    /// Starts a new pass over the slots (the engine calls it once per loop iteration, then `nextAction` until `.none`).
    public mutating func rewind() { cursor = 0 }

    /// The next thing to do now, or `.none`. Each call resumes where the last stopped.
    public mutating func nextAction(nowMicros now: Int64) -> MessageAction {
        guard started else { return .none }
        if !stopping && now >= sendEndMicros { stopping = true; cursor = 0 }
        if let arrival = nextArrival, arrival.dueMicros <= now {
            if stopping || budget.spent {
                // Due, never opened: the run stopped first. Later arrivals never came due.
                nextArrival = arrival.dueMicros < sendEndMicros ? arrivals?.next() : nil
                if arrival.dueMicros >= sendEndMicros { return nextAction(nowMicros: now) }
                return .dropConnection(dueMicros: arrival.dueMicros)
            }
            if let slot = freeSlot() {
                nextArrival = arrivals?.next()
                connections[slot].phase = .connecting
                connections[slot].openedMicros = now
                connections[slot].openDueMicros = arrival.dueMicros
                return .open(slot: slot)
            }
            if now - arrival.dueMicros > maxLatenessMicros {
                nextArrival = arrivals?.next()
                return .dropConnection(dueMicros: arrival.dueMicros)
            }
        }
        while cursor < connections.count {
            let slot = cursor
            if let action = action(slot: slot, now: now) { return action }
            cursor += 1
        }
        return .none
    }

    private mutating func action(slot: Int, now: Int64) -> MessageAction? {
        let c = connections[slot]
        switch c.phase {
        case .retired:
            return nil
        case .idle:
            if stopping || budget.spent || arrivalsDone {
                connections[slot].phase = .retired
                return nil
            }
            if isOpen { return nil } // a free slot: the next arrival opens it
            connections[slot].phase = .connecting
            connections[slot].openedMicros = now
            connections[slot].openDueMicros = now
            return .open(slot: slot)
        case .connecting:
            if aborting {
                connections[slot].phase = .retired
                return .interrupt(slot: slot)
            }
            return nil
        case .awaiting:
            if aborting {
                connections[slot].phase = .retired
                return .interrupt(slot: slot)
            }
            if now - c.sentMicros >= answerTimeoutMicros {
                connections[slot].phase = stopping ? .retired : .idle
                return .answerTimeout(slot: slot)
            }
            return nil
        case .open:
            if stopping {
                let dropped = overdue(slot: slot, nowMicros: now)
                if dropped.count > 0 { return .drop(slot: slot, count: dropped.count, firstDueMicros: dropped.firstDueMicros) }
                connections[slot].phase = .retired
                return .close(slot: slot, reopen: false)
            }
            if let limit = plan.messagesPerConnection, c.sentOnConnection >= limit {
                connections[slot].phase = .idle
                return .close(slot: slot, reopen: !isOpen)
            }
            var due = now
            if let interval = intervalMicros {
                guard c.nextDueMicros <= now else { return nil }
                due = c.nextDueMicros
                guard due < sendEndMicros else { return nil } // the pass after sendEnd drains it
                connections[slot].nextDueMicros = due + interval
            }
            guard let number = budget.take() else {
                connections[slot].phase = .retired
                stopping = true // the budget is spent: every other slot drains too
                return .close(slot: slot, reopen: false)
            }
            connections[slot].phase = .awaiting
            connections[slot].dueMicros = due
            connections[slot].sentMicros = now
            connections[slot].sentOnConnection += 1
            return .send(slot: slot, dueMicros: due, number: number)
        }
    }

    /// Paced: the messages due on `slot` by `nowMicros` (before the end of sending) that were not sent, each taking a
    /// number from the budget, the first due at `firstDueMicros`; the slot's schedule moves past them. 0 when not
    /// paced.
    private mutating func overdue(slot: Int, nowMicros: Int64) -> (count: Int, firstDueMicros: Int64) {
        guard let interval = intervalMicros, connections[slot].nextDueMicros >= 0 else { return (0, 0) }
        var count = 0
        let first = connections[slot].nextDueMicros
        var due = first
        let end = Swift.min(nowMicros, sendEndMicros - 1)
        while due <= end {
            guard budget.take() != nil else { break }
            count += 1
            due += interval
        }
        connections[slot].nextDueMicros = Swift.max(due, nowMicros + 1)
        return (count, count > 0 ? first : 0)
    }

    /// Open model: a free slot for an arrival, nil when every slot is busy.
    private mutating func freeSlot() -> Int? {
        let n = connections.count
        guard n > 0 else { return nil }
        for step in 0..<n {
            let i = (freeHint + step) % n
            if connections[i].phase == .idle {
                freeHint = (i + 1) % n
                return i
            }
        }
        return nil
    }

    // MARK: - Questions

    /// Every slot is done: nothing in flight and nothing more will be.
    public var finished: Bool {
        started && (nextArrival == nil || stopping) && connections.allSatisfy { $0.phase == .retired || ($0.phase == .idle && (stopping || arrivalsDone)) }
    }

    /// The earliest run-clock time something becomes due (a paced message, an answer timeout, the end of sending);
    /// Int64.max when nothing waits on time.
    public func nextWakeMicros() -> Int64 {
        var wake = stopping ? Int64.max : sendEndMicros
        if let arrival = nextArrival {
            // Due with no free slot: wake when it becomes too late (a completion frees a slot sooner).
            let late = arrival.dueMicros > Int64.max - maxLatenessMicros ? Int64.max : arrival.dueMicros + maxLatenessMicros + 1
            wake = Swift.min(wake, connections.contains { $0.phase == .idle } || stopping ? arrival.dueMicros : late)
        }
        for c in connections {
            switch c.phase {
            case .awaiting:
                wake = Swift.min(wake, c.sentMicros + answerTimeoutMicros)
            case .open where intervalMicros != nil && !stopping:
                wake = Swift.min(wake, c.nextDueMicros)
            default:
                break
            }
        }
        return wake
    }
}
