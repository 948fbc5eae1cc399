import Foundation

/// A pause in a flow (`think: 500ms`, `think: { uniform: [200ms, 1s] }`, `think: { normal: [500ms, 100ms] }`).
/// Random pauses are drawn from the step's flow key, so the same VU, iteration and step pause the same time in every
/// run with the same seed. Parsing the profile shapes is the loader's job.
public enum ThinkTime: Sendable, Equatable {
    case fixed(micros: Int64)
    /// Uniform in `min...max` (min ≤ max).
    case uniform(minMicros: Int64, maxMicros: Int64)
    /// Normal with this mean and standard deviation, clipped at 0.
    case normal(meanMicros: Int64, stddevMicros: Int64)

    /// Checks the bounds; throws a one-line usage error (the loader prefixes `file:line: think:`).
    public func validated() throws -> ThinkTime {
        switch self {
        case .fixed(let d):
            if d < 0 { throw BarrageError.usage("think time must not be negative") }
        case .uniform(let lo, let hi):
            if lo < 0 || hi < lo { throw BarrageError.usage("uniform think time needs 0 ≤ min ≤ max") }
        case .normal(let mean, let sd):
            if mean < 0 || sd < 0 { throw BarrageError.usage("normal think time needs a mean and a standard deviation ≥ 0") }
        }
        return self
    }

    /// The pause for the step keyed by `key`, in microseconds (never negative).
    public func micros(key: FlowKey) -> Int64 {
        switch self {
        case .fixed(let d): return max(0, d)
        case .uniform(let lo, let hi):
            guard hi > lo else { return max(0, lo) }
            var rng = key.generator(stream: FlowKey.Stream.think)
            return max(0, rng.nextInt(in: lo, hi))
        case .normal(let mean, let sd):
            guard sd > 0 else { return max(0, mean) }
            var rng = key.generator(stream: FlowKey.Stream.think)
            // Box–Muller: nextUnit() is in (0, 1], so the log is finite.
            let z = (-2 * Foundation.log(rng.nextUnit())).squareRoot() * Foundation.cos(2 * Double.pi * rng.nextUnit())
            let v = (Double(mean) + z * Double(sd)).rounded()
            return v <= 0 ? 0 : v >= 9.2e18 ? Int64.max : Int64(v)
        }
    }

    /// The mean pause in microseconds (for planning and reports; the clipped normal's mean is a little above `mean`).
    public var meanMicros: Int64 {
        switch self {
        case .fixed(let d): return d
        case .uniform(let lo, let hi): return lo + (hi - lo) / 2
        case .normal(let mean, _): return mean
        }
    }
}
