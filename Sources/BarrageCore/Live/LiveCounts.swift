/// Request counts as the engine threads see them now, between the seconds they hand over: what the live view shows,
/// so that its counters move at its redraw rate rather than once a second.
public struct LiveCounts: Sendable, Equatable {
    public var ok: Int
    public var failed: Int
    public var dropped: Int
    /// Requests in flight now, over all engine threads.
    public var inFlight: Int

    public init(ok: Int = 0, failed: Int = 0, dropped: Int = 0, inFlight: Int = 0) {
        self.ok = ok; self.failed = failed; self.dropped = dropped; self.inFlight = inFlight
    }

    public var total: Int { ok + failed + dropped }
}
