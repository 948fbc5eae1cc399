import Foundation

extension USL {
    /// The fitted parameters (``USLFit``), under the name the capacity charts' API uses.
    public typealias Fit = USLFit
}

extension CapacityFigure {
    /// The Universal Scalability Law fitted to (requests in flight, achieved rate) of the search's steady steps, and
    /// where the fitted curve bends, in req/s.
    ///
    /// **Which steps.** Every passed step, and every failed step that still kept up — achieved at least 95 % of its
    /// offered rate, the overload line — since a step that failed only on latency is a steady state and a
    /// valid point of the curve. Overloaded steps are left out: their queue grows through the step, so their mean in
    /// flight describes no steady state. Steps whose in-flight mean or achieved rate is not positive are left out too.
    ///
    /// **The bend** is `scale`'s knee (`USL.knee`: the first level whose efficiency — speedup over the concurrency
    /// ratio — falls below 50 %) taken on the fitted curve: the concurrency N where
    /// `X(N) / (N · X(1)) = 1 / (1 + σ(N−1) + κN(N−1))` reaches ½, and the bend is `X(N)`. Reusing the definition keeps
    /// `scale` and `capacity` saying the same thing about one service. Nil when the curve never bends (σ = κ = 0,
    /// linear scaling) or bends past twice the highest usable in-flight mean (an extrapolation the steps cannot
    /// support).
    ///
    /// Both are nil with fewer than 3 usable steps or when the fit fails.
    public static func usl(_ input: CapacityFigureInput) -> (fit: USL.Fit?, bendRPS: Double?) {
        let usable = input.points.filter { p in
            p.inFlightMean.isFinite && p.inFlightMean > 0 && p.achievedRPS.isFinite && p.achievedRPS > 0
                && p.offeredRPS.isFinite && (p.passed || p.achievedRPS >= 0.95 * p.offeredRPS)
        }
        guard usable.count >= 3,
            let fit = USL.fit(concurrency: usable.map(\.inFlightMean), throughput: usable.map(\.achievedRPS))
        else { return (nil, nil) }
        let maxInFlight = usable.map(\.inFlightMean).max() ?? 0
        guard let knee = kneeConcurrency(fit), knee <= 2 * maxInFlight else { return (fit, nil) }
        let bend = fit.throughput(concurrency: knee)
        return (fit, bend.isFinite && bend > 0 ? bend : nil)
    }

    /// The concurrency N > 1 at which the fitted curve's efficiency relative to one request in flight falls to 50 %:
    /// the root of σ(N−1) + κN(N−1) = 1, i.e. κN² + (σ−κ)N − (1+σ) = 0; N = 1 + 1/σ when κ = 0. Nil when σ = κ = 0.
    static func kneeConcurrency(_ fit: USLFit) -> Double? {
        let sigma = fit.sigma, kappa = fit.kappa
        let n: Double
        if kappa > 0 {
            let b = sigma - kappa
            n = (-b + (b * b + 4 * kappa * (1 + sigma)).squareRoot()) / (2 * kappa)
        } else if sigma > 0 {
            n = 1 + 1 / sigma
        } else {
            return nil
        }
        return n.isFinite && n > 1 ? n : nil
    }
}
