/// The key every random draw of a flow is derived from: (seed, scenario, VU, iteration, step), plus a stream number
/// naming the draw within the step (a template placeholder, a capture's `pick: random`, the think time, a data row).
///
/// Draws depend on nothing else — not on the thread, the time or the order of other draws — so a run split into
/// segments, or replayed with the same seed, draws the same values for the same VU, iteration and step.
public struct FlowKey: Sendable, Hashable {
    public var seed: UInt64
    /// The scenario's index in the profile (0-based).
    public var scenario: Int
    /// The virtual user's global id (the same across segments).
    public var vu: Int
    /// The VU's iteration number (0-based).
    public var iteration: Int
    /// The step's index in the flow (0-based).
    public var step: Int

    @inlinable
    public init(seed: UInt64, scenario: Int = 0, vu: Int = 0, iteration: Int = 0, step: Int = 0) {
        self.seed = seed
        self.scenario = scenario
        self.vu = vu
        self.iteration = iteration
        self.step = step
    }

    /// A generator for the draw numbered `stream` under this key. Different streams give independent sequences.
    @inlinable
    public func generator(stream: UInt64) -> SplitMix64 {
        SplitMix64(seed: hash(stream: stream))
    }

    /// A 64-bit hash of the key and `stream` (SplitMix64's finalizer applied per component: cheap, well mixed).
    @inlinable
    public func hash(stream: UInt64) -> UInt64 {
        var h = FlowKey.mix(seed ^ 0x6A09_E667_F3BC_C908)
        h = FlowKey.mix(h ^ UInt64(bitPattern: Int64(scenario)))
        h = FlowKey.mix(h ^ UInt64(bitPattern: Int64(vu)))
        h = FlowKey.mix(h ^ UInt64(bitPattern: Int64(iteration)))
        h = FlowKey.mix(h ^ UInt64(bitPattern: Int64(step)))
        return FlowKey.mix(h ^ stream)
    }

    @inlinable
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Stream numbers, one range per kind of draw, so no two kinds of draw ever share a stream.
    public enum Stream {
        /// The random built-in numbered `index` among a step's templates (`${uuid}`, `${random_int(a,b)}`).
        @inlinable public static func placeholder(_ index: Int) -> UInt64 { UInt64(truncatingIfNeeded: index) }
        /// `pick: random` of the capture numbered `index` in its step.
        @inlinable public static func capture(_ index: Int) -> UInt64 { 1 << 40 | UInt64(truncatingIfNeeded: index) }
        /// The think time of a step.
        public static let think: UInt64 = 2 << 40
        /// A `mode: random` data set's row pick (the data set's index in the profile).
        @inlinable public static func dataRow(_ dataSet: Int) -> UInt64 { 3 << 40 | UInt64(truncatingIfNeeded: dataSet) }
    }
}

extension SplitMix64 {
    /// A uniform integer in `lo...hi` (requires lo ≤ hi; the full Int64 range is allowed), by multiply-high.
    @inlinable
    public mutating func nextInt(in lo: Int64, _ hi: Int64) -> Int64 {
        let span = UInt64(bitPattern: hi &- lo) &+ 1
        if span == 0 { return Int64(bitPattern: next()) }
        return lo &+ Int64(bitPattern: next().multipliedFullWidth(by: span).high)
    }

    /// A uniform index in `0..<n` (n > 0).
    @inlinable
    public mutating func nextIndex(below n: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }
}
