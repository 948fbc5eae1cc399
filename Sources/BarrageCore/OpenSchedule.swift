import Foundation

/// How arrivals are spaced in the open model.
public enum Arrival: Sendable, Equatable {
    /// Request k is due exactly where the integral of the rate reaches k.
    case uniform
    /// Exponential gaps (in units of the rate's integral) from a seeded generator: a Poisson process.
    case poisson(seed: UInt64)
}

/// One stretch of the open model: the rate moves linearly from where the previous stage ended to `rate`.
public struct RateStage: Sendable, Equatable, Codable {
    public var durationMicros: Int64
    /// Requests per second at the end of the stage.
    public var rate: Double

    public init(durationMicros: Int64, rate: Double) {
        self.durationMicros = durationMicros
        self.rate = rate
    }
}

/// The open model's timeline: when is request k due? Pure, exact, and free of drift — due times come from the
/// absolute timeline (the inverse of the rate's integral), never from "now + gap".
public struct OpenSchedule: Sendable, Equatable {
    public let startRate: Double
    public let stages: [RateStage]
    public let arrival: Arrival

    /// Per stage: start time (µs) and the integral of the rate before it.
    private let stageStartMicros: [Int64]
    private let stageStartCount: [Double]
    /// The integral of the rate over the whole plan.
    public let totalIntegral: Double

    public init(startRate: Double, stages: [RateStage], arrival: Arrival = .uniform) {
        self.startRate = startRate
        self.stages = stages
        self.arrival = arrival
        var t: Int64 = 0
        var count = 0.0
        var from = startRate
        var starts: [Int64] = []
        var counts: [Double] = []
        for s in stages {
            starts.append(t)
            counts.append(count)
            count += (from + s.rate) / 2 * Double(s.durationMicros) / 1_000_000
            t += s.durationMicros
            from = s.rate
        }
        stageStartMicros = starts
        stageStartCount = counts
        totalIntegral = count
    }

    public var totalDurationMicros: Int64 { stages.reduce(0) { $0 + $1.durationMicros } }

    /// Requests the uniform schedule plans: every k ≥ 0 with k below the integral (a 30 s stage at 500/s: 15,000).
    public var plannedRequests: Int {
        let n = (totalIntegral - 1e-9).rounded(.up)
        return max(0, Int(n))
    }

    /// The rate at the start of stage `i`.
    public func stageStartRate(_ i: Int) -> Double { i == 0 ? startRate : stages[i - 1].rate }

    /// The target rate at time `micros` (linear within a stage).
    public func rate(atMicros micros: Int64) -> Double {
        guard let i = stageIndex(atMicros: micros) else { return stages.last?.rate ?? startRate }
        let s = stages[i]
        let a = stageStartRate(i)
        let f = s.durationMicros > 0 ? Double(micros - stageStartMicros[i]) / Double(s.durationMicros) : 1
        return a + (s.rate - a) * f
    }

    /// The stage holding time `micros`, nil past the end.
    public func stageIndex(atMicros micros: Int64) -> Int? {
        guard micros >= 0 else { return stages.isEmpty ? nil : 0 }
        var lo = 0
        for i in stages.indices where stageStartMicros[i] <= micros { lo = i }
        return micros < totalDurationMicros ? lo : nil
    }

    /// The time (µs from the start) where the rate's integral reaches `x`; nil when it never does within the plan.
    public func time(atIntegral x: Double) -> Int64? {
        guard x >= 0, x < totalIntegral || (x == 0 && totalIntegral > 0) else { return nil }
        // The last stage whose start integral is ≤ x and that adds something.
        var i = 0
        for j in stages.indices where stageStartCount[j] <= x { i = j }
        while i < stages.count {
            let s = stages[i]
            let a = stageStartRate(i)
            let b = s.rate
            let d = Double(s.durationMicros) / 1_000_000
            let inStage = (a + b) / 2 * d
            let local = x - stageStartCount[i]
            if local < inStage || (local == 0 && inStage > 0) {
                // Solve a·t + (b − a)·t²/(2d) = local for t in [0, d], in a form stable when b ≈ a.
                let disc = a * a + 2 * (b - a) * local / d
                let t = 2 * local / (a + max(0, disc).squareRoot())
                let seconds = t.isFinite ? min(max(t, 0), d) : 0
                return stageStartMicros[i] + Int64((seconds * 1_000_000).rounded(.down))
            }
            i += 1
        }
        return nil
    }

    /// Walks the due times of requests k = 0, 1, 2, … in order; with a stride, only k ≡ offset (mod stride).
    public struct Iterator: Sendable {
        let schedule: OpenSchedule
        let limit: Int
        let stride: Int
        let offset: Int
        /// The next request number.
        public private(set) var k = 0
        /// Where on the rate's integral request k arrives.
        private var x = 0.0
        private var rng: SplitMix64
        private let poisson: Bool

        init(schedule: OpenSchedule, limit: Int, stride: Int, offset: Int) {
            self.schedule = schedule
            self.limit = limit
            self.stride = max(1, stride)
            self.offset = offset
            if case .poisson(let seed) = schedule.arrival {
                poisson = true
                rng = SplitMix64(seed: seed)
                x = rng.nextExponential()
            } else {
                poisson = false
                rng = SplitMix64(seed: 0)
            }
        }

        /// The next request of this share: its number and due time (µs from the start); nil when the plan is done.
        public mutating func next() -> (k: Int, dueMicros: Int64)? {
            while k < limit && x < schedule.totalIntegral {
                let current = k
                let at = x
                k += 1
                // Every share draws every gap, so a strided walk sees exactly the arrivals of a full one.
                x = poisson ? x + rng.nextExponential() : Double(k)
                if current % stride == offset % stride {
                    guard let due = schedule.time(atIntegral: at) else { return nil }
                    return (current, due)
                }
            }
            return nil
        }
    }

    /// Due times of the requests numbered `offset`, `offset + stride`, … (all of them with stride 1), at most `limit`
    /// requests in the whole plan (nil: as many as the schedule plans).
    public func makeIterator(limit: Int? = nil, offset: Int = 0, stride: Int = 1) -> Iterator {
        Iterator(schedule: self, limit: limit ?? Int.max, stride: stride, offset: offset)
    }
}

/// A small, fast, seeded generator (SplitMix64): reproducible arrivals and target picks.
public struct SplitMix64: Sendable, Equatable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    public mutating func nextUnit() -> Double {
        Double((next() >> 11) + 1) / Double(UInt64(1) << 53)
    }

    /// Exponential with mean 1.
    public mutating func nextExponential() -> Double {
        -Foundation.log(nextUnit())
    }
}
