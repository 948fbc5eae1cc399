import Foundation

/// What each request is: today, weighted targets; the scenarios issue adds flows.
public struct Workload: Sendable, Equatable {
    public var targets: [RequestTarget]
    /// Fixes the target choice (request k's pick is a hash of seed and k).
    public var seed: UInt64
    /// Each request's timeout, unless its target sets one.
    public var timeoutMicros: Int64
    /// A flow: each VU runs iterations of these steps, whose requests are `targets` (one per request step, in order).
    /// Nil: each request is one target, chosen by weight.
    public var flow: Flow?
    /// A WebSocket run (`ws://`, `wss://`): the single target is the handshake, each connection then sends this
    /// plan's messages. Nil for HTTP.
    public var webSocket: WebSocketPlan?

    public init(targets: [RequestTarget], seed: UInt64 = 0, timeoutMicros: Int64) {
        self.targets = targets
        self.seed = seed
        self.timeoutMicros = timeoutMicros
    }

    public var totalWeight: Double { targets.reduce(0) { $0 + $1.weight } }

    /// The target of request k: a weighted pick from a hash of (seed, k), so runs are reproducible and a segmented
    /// run sends the same requests as a whole one.
    @inlinable
    public func targetIndex(forRequest k: Int) -> Int {
        if targets.count == 1 { return 0 }
        var rng = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: k) &* 0x9E37_79B9_7F4A_7C15))
        let u = Double(rng.next() >> 11) / Double(UInt64(1) << 53)
        var x = u * totalWeight
        for (i, t) in targets.enumerated() {
            if x < t.weight { return i }
            x -= t.weight
        }
        return targets.count - 1
    }
}
