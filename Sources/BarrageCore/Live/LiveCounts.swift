/// Request counts as the engine threads see them now, between the seconds they hand over: what the live view shows,
/// so that its counters move at its redraw rate rather than once a second.
public struct LiveCounts: Sendable, Equatable {
    public var ok: Int
    public var failed: Int
    public var dropped: Int
    /// Requests in flight now, over all engine threads.
    public var inFlight: Int
    /// A WebSocket run's messages and open connections as the threads see them now; nil for HTTP runs.
    public var messages: LiveMessageCounts?

    public init(ok: Int = 0, failed: Int = 0, dropped: Int = 0, inFlight: Int = 0, messages: LiveMessageCounts? = nil) {
        self.ok = ok; self.failed = failed; self.dropped = dropped; self.inFlight = inFlight; self.messages = messages
    }

    public var total: Int { ok + failed + dropped }

    /// Another engine's (or scenario's) counts added to these; messages add when either has some.
    public mutating func add(_ other: LiveCounts) {
        ok += other.ok; failed += other.failed; dropped += other.dropped; inFlight += other.inFlight
        if let m = other.messages {
            var mine = messages ?? LiveMessageCounts()
            mine.add(m)
            messages = mine
        }
    }
}

/// A WebSocket run's message counts as the engine threads see them now (current second included), and its
/// connections open (upgraded, not yet closed).
public struct LiveMessageCounts: Sendable, Equatable {
    public var answered: Int
    public var failed: Int
    public var dropped: Int
    public var connectionsOpen: Int

    public init(answered: Int = 0, failed: Int = 0, dropped: Int = 0, connectionsOpen: Int = 0) {
        self.answered = answered; self.failed = failed; self.dropped = dropped; self.connectionsOpen = connectionsOpen
    }

    public mutating func add(_ other: LiveMessageCounts) {
        answered += other.answered; failed += other.failed; dropped += other.dropped
        connectionsOpen += other.connectionsOpen
    }
}
