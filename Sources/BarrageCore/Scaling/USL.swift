import Foundation

/// The Universal Scalability Law parameters fitted to a concurrency sweep.
///
/// Gunther's USL models throughput at `N` requests in flight as
/// `X(N) = λN / (1 + σ(N−1) + κN(N−1))`:
/// - `lambda` (λ) is the throughput of one request in flight, in requests per second;
/// - `sigma` (σ) is contention, the serial fraction that queues (Amdahl's law when κ = 0);
/// - `kappa` (κ) is coherency, the pairwise crosstalk cost that makes throughput fall past a peak.
///
/// `r2` is the coefficient of determination of the fit on throughput. When κ > 0 and σ < 1 the model
/// has a maximum at `peakConcurrency` N* = √((1−σ)/κ) with throughput `peakRPS`; otherwise both are nil.
public struct USLFit: Sendable, Equatable, Codable {
    /// Throughput at one request in flight (req/s).
    public var lambda: Double
    /// Contention coefficient, ≥ 0.
    public var sigma: Double
    /// Coherency coefficient, ≥ 0.
    public var kappa: Double
    /// 1 − SS_res / SS_tot on throughput.
    public var r2: Double
    /// N* = √((1−σ)/κ), the concurrency of maximum modelled throughput; nil when κ = 0 or σ ≥ 1.
    public var peakConcurrency: Double?
    /// X(N*) in req/s; nil exactly when `peakConcurrency` is nil.
    public var peakRPS: Double?

    public init(
        lambda: Double, sigma: Double, kappa: Double, r2: Double,
        peakConcurrency: Double?, peakRPS: Double?
    ) {
        self.lambda = lambda
        self.sigma = sigma
        self.kappa = kappa
        self.r2 = r2
        self.peakConcurrency = peakConcurrency
        self.peakRPS = peakRPS
    }

    /// Builds a fit whose peak fields are derived from the coefficients with `USL.peak`.
    public init(lambda: Double, sigma: Double, kappa: Double, r2: Double) {
        let peak = USL.peak(lambda: lambda, sigma: sigma, kappa: kappa)
        self.init(
            lambda: lambda, sigma: sigma, kappa: kappa, r2: r2,
            peakConcurrency: peak?.concurrency, peakRPS: peak?.rps)
    }

    /// Modelled throughput (req/s) at `concurrency` requests in flight.
    public func throughput(concurrency n: Double) -> Double {
        USL.throughput(concurrency: n, lambda: lambda, sigma: sigma, kappa: kappa)
    }

    enum CodingKeys: String, CodingKey {
        case lambda, sigma, kappa, r2
        case peakConcurrency = "peak_concurrency"
        case peakRPS = "peak_rps"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lambda = try c.decode(Double.self, forKey: .lambda)
        sigma = try c.decode(Double.self, forKey: .sigma)
        kappa = try c.decode(Double.self, forKey: .kappa)
        r2 = try c.decode(Double.self, forKey: .r2)
        peakConcurrency = try c.decodeIfPresent(Double.self, forKey: .peakConcurrency)
        peakRPS = try c.decodeIfPresent(Double.self, forKey: .peakRPS)
    }

    /// Encodes every key; absent peaks are written as an explicit JSON `null` so readers see a stable shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lambda, forKey: .lambda)
        try c.encode(sigma, forKey: .sigma)
        try c.encode(kappa, forKey: .kappa)
        try c.encode(r2, forKey: .r2)
        if let peakConcurrency { try c.encode(peakConcurrency, forKey: .peakConcurrency) } else { try c.encodeNil(forKey: .peakConcurrency) }
        if let peakRPS { try c.encode(peakRPS, forKey: .peakRPS) } else { try c.encodeNil(forKey: .peakRPS) }
    }
}

/// Universal Scalability Law: the model, a bounded least-squares fit, and a knee detector.
///
/// All functions are pure and deterministic; `fit` on a dozen points takes well under a millisecond.
public enum USL {
    /// X(N) = λN / (1 + σ(N−1) + κN(N−1)), in the units of `lambda` (req/s).
    public static func throughput(concurrency n: Double, lambda: Double, sigma: Double, kappa: Double) -> Double {
        lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))
    }

    /// The maximum of the model: N* = √((1−σ)/κ) and X(N*), or nil when κ ≤ 0, σ ≥ 1 or the result is not finite.
    public static func peak(lambda: Double, sigma: Double, kappa: Double) -> (concurrency: Double, rps: Double)? {
        guard kappa > 0, sigma < 1 else { return nil }
        let n = ((1 - sigma) / kappa).squareRoot()
        let x = throughput(concurrency: n, lambda: lambda, sigma: sigma, kappa: kappa)
        guard n.isFinite, x.isFinite else { return nil }
        return (n, x)
    }

    /// Nonlinear least squares on throughput with sigma, kappa >= 0 (lambda > 0).
    ///
    /// Returns nil when there are fewer than 2 points, the arrays differ in length, any value is not finite,
    /// a concurrency is ≤ 0, a throughput is negative, all throughputs are zero, or every point has the
    /// same concurrency (the curve's shape is then unidentifiable).
    ///
    /// Method: a coarse log-spaced grid over (σ, κ), including zero, with λ solved in closed form for each
    /// cell (X is linear in λ given σ and κ); then a bounded Levenberg–Marquardt refinement started from the best
    /// cell and from a naive linear guess, keeping whichever has the lower residual. Coefficients that can be set
    /// to zero without measurably worsening the fit are snapped to zero, so linear data reports κ = 0 and no peak.
    public static func fit(concurrency: [Double], throughput: [Double]) -> USLFit? {
        guard concurrency.count == throughput.count, concurrency.count >= 2 else { return nil }
        for (n, x) in zip(concurrency, throughput) {
            guard n.isFinite, x.isFinite, n > 0, x >= 0 else { return nil }
        }
        guard let firstN = concurrency.first, concurrency.contains(where: { $0 != firstN }) else { return nil }
        guard let maxX = throughput.max(), maxX > 0 else { return nil }

        let problem = Problem(n: concurrency, x: throughput)

        // Coarse grid: σ ∈ {0} ∪ [1e-5, 10], κ ∈ {0} ∪ [1e-9, 1], log-spaced.
        let sigmaGrid = [0.0] + logSpace(from: 1e-5, to: 10, count: 49)
        let kappaGrid = [0.0] + logSpace(from: 1e-9, to: 1, count: 55)
        var best = Params(lambda: 0, sigma: 0, kappa: 0)
        var bestSS = Double.infinity
        for sigma in sigmaGrid {
            for kappa in kappaGrid {
                guard let lambda = problem.bestLambda(sigma: sigma, kappa: kappa) else { continue }
                let candidate = Params(lambda: lambda, sigma: sigma, kappa: kappa)
                let ss = problem.sumOfSquares(candidate)
                if ss < bestSS {
                    bestSS = ss
                    best = candidate
                }
            }
        }

        // Refine from the grid's best cell and from a naive guess (λ = max X/N, σ = κ = 0).
        let naiveLambda = zip(concurrency, throughput).map { $1 / $0 }.max() ?? maxX
        for start in [best, Params(lambda: naiveLambda, sigma: 0, kappa: 0)] {
            let refined = problem.levenbergMarquardt(from: start)
            let ss = problem.sumOfSquares(refined)
            if ss < bestSS {
                bestSS = ss
                best = refined
            }
        }

        // Occam: drop κ, σ or both when the simpler model's R² differs by less than 1e-9.
        let ssTot = problem.totalSumOfSquares
        let tolerance = (ssTot > 0 ? ssTot : problem.sumOfSquaredX) * 1e-9
        let simpler: [(sigma: Double?, kappa: Double?)] = [(0, 0), (nil, 0), (0, nil)]
        for shape in simpler {
            let sigma = shape.sigma ?? best.sigma
            let kappa = shape.kappa ?? best.kappa
            if sigma == best.sigma && kappa == best.kappa { continue }
            guard let lambda = problem.bestLambda(sigma: sigma, kappa: kappa) else { continue }
            let candidate = Params(lambda: lambda, sigma: sigma, kappa: kappa)
            let ss = problem.sumOfSquares(candidate)
            if ss <= bestSS + tolerance {
                best = candidate
                bestSS = ss
                break
            }
        }

        guard best.lambda.isFinite, best.lambda > 0, best.sigma.isFinite, best.kappa.isFinite, bestSS.isFinite else {
            return nil
        }
        let r2: Double
        if ssTot > 0 {
            r2 = 1 - bestSS / ssTot
        } else {
            r2 = bestSS <= tolerance ? 1 : 0
        }
        return USLFit(lambda: best.lambda, sigma: best.sigma, kappa: best.kappa, r2: r2)
    }

    /// Index of the first level whose efficiency (speedup / N relative to the level-1 point) falls below 0.5, else nil.
    ///
    /// The baseline is the point with the smallest concurrency (normally N = 1); efficiency at level i is
    /// `(X_i / X_base) / (N_i / N_base)`. Levels are visited in ascending concurrency and the returned index refers
    /// to the input arrays. Returns nil for mismatched or empty input, a non-positive concurrency, or a baseline
    /// throughput that is not positive and finite.
    public static func knee(concurrency: [Int], throughput: [Double]) -> Int? {
        guard concurrency.count == throughput.count, !concurrency.isEmpty else { return nil }
        guard concurrency.allSatisfy({ $0 > 0 }) else { return nil }
        let order = concurrency.indices.sorted { (concurrency[$0], $0) < (concurrency[$1], $1) }
        let base = order[0]
        let baseX = throughput[base]
        guard baseX.isFinite, baseX > 0 else { return nil }
        let baseN = Double(concurrency[base])
        for i in order.dropFirst() {
            let speedup = throughput[i] / baseX
            let efficiency = speedup / (Double(concurrency[i]) / baseN)
            // A NaN throughput is a failed level: count it as inefficient rather than skipping it.
            if !(efficiency >= 0.5) { return i }
        }
        return nil
    }

    // MARK: - Fitting internals

    struct Params {
        var lambda: Double
        var sigma: Double
        var kappa: Double
    }

    /// `count` values from `from` to `to` inclusive, evenly spaced in log space.
    static func logSpace(from: Double, to: Double, count: Int) -> [Double] {
        let a = log(from), b = log(to)
        return (0..<count).map { exp(a + (b - a) * Double($0) / Double(count - 1)) }
    }

    struct Problem {
        let n: [Double]
        let x: [Double]
        let totalSumOfSquares: Double
        let sumOfSquaredX: Double

        init(n: [Double], x: [Double]) {
            self.n = n
            self.x = x
            let mean = x.reduce(0, +) / Double(x.count)
            totalSumOfSquares = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            sumOfSquaredX = x.reduce(0) { $0 + $1 * $1 }
        }

        /// Closed-form least-squares λ for fixed σ, κ: with g_i = N_i / D_i, λ = Σ X g / Σ g².
        func bestLambda(sigma: Double, kappa: Double) -> Double? {
            var sxg = 0.0, sgg = 0.0
            for i in n.indices {
                let g = n[i] / (1 + sigma * (n[i] - 1) + kappa * n[i] * (n[i] - 1))
                sxg += x[i] * g
                sgg += g * g
            }
            guard sgg > 0 else { return nil }
            let lambda = sxg / sgg
            return lambda.isFinite && lambda > 0 ? lambda : nil
        }

        func sumOfSquares(_ p: Params) -> Double {
            var ss = 0.0
            for i in n.indices {
                let r = x[i] - USL.throughput(concurrency: n[i], lambda: p.lambda, sigma: p.sigma, kappa: p.kappa)
                ss += r * r
            }
            return ss.isFinite ? ss : .infinity
        }

        /// Keeps λ positive and σ, κ on their lower bound of zero.
        func project(_ p: Params) -> Params {
            Params(
                lambda: max(p.lambda, Double.leastNormalMagnitude),
                sigma: max(p.sigma, 0),
                kappa: max(p.kappa, 0))
        }

        /// Bounded Levenberg–Marquardt with Marquardt (diagonal) scaling. A coefficient sitting on its zero bound
        /// whose descent direction points below zero is frozen for that step (a simple active set), so the
        /// remaining coefficients keep converging instead of stalling against the clamp.
        func levenbergMarquardt(from start: Params, maxIterations: Int = 300) -> Params {
            var p = project(start)
            var ss = sumOfSquares(p)
            var mu = 1e-3
            for _ in 0..<maxIterations {
                // Normal equations: A = JᵀJ, g = Jᵀr (g is the descent direction of SS/2).
                var a = [[Double]](repeating: [0, 0, 0], count: 3)
                var g = [0.0, 0.0, 0.0]
                for i in n.indices {
                    let ni = n[i]
                    let d = 1 + p.sigma * (ni - 1) + p.kappa * ni * (ni - 1)
                    let model = p.lambda * ni / d
                    let r = x[i] - model
                    let j = [ni / d, -model * (ni - 1) / d, -model * ni * (ni - 1) / d]
                    for row in 0..<3 {
                        g[row] += j[row] * r
                        for col in 0..<3 { a[row][col] += j[row] * j[col] }
                    }
                }
                let values = [p.lambda, p.sigma, p.kappa]
                let frozen = (0..<3).map { k in k > 0 && values[k] <= 0 && g[k] <= 0 }
                let maxDiagonal = max(a[0][0], a[1][1], a[2][2])
                guard maxDiagonal.isFinite, maxDiagonal > 0 else { break }

                var improved = false
                while mu < 1e16 {
                    var m = a
                    var rhs = g
                    for k in 0..<3 {
                        m[k][k] += mu * max(a[k][k], maxDiagonal * 1e-15)
                        if frozen[k] {
                            for other in 0..<3 {
                                m[k][other] = 0
                                m[other][k] = 0
                            }
                            m[k][k] = 1
                            rhs[k] = 0
                        }
                    }
                    guard let step = solve3(m, rhs) else {
                        mu *= 10
                        continue
                    }
                    let trial = project(Params(
                        lambda: p.lambda + step[0], sigma: p.sigma + step[1], kappa: p.kappa + step[2]))
                    let trialSS = sumOfSquares(trial)
                    if trialSS < ss {
                        let gain = ss - trialSS
                        p = trial
                        ss = trialSS
                        mu = max(mu / 3, 1e-12)
                        improved = true
                        if gain <= ss * 1e-15 { return p }
                        break
                    }
                    mu *= 4
                }
                if !improved { break }
            }
            return p
        }
    }

    /// Solves a 3×3 linear system by Gaussian elimination with partial pivoting; nil when singular.
    static func solve3(_ matrix: [[Double]], _ rhs: [Double]) -> [Double]? {
        var m = matrix
        var b = rhs
        for col in 0..<3 {
            var pivot = col
            for row in (col + 1)..<3 where abs(m[row][col]) > abs(m[pivot][col]) { pivot = row }
            guard abs(m[pivot][col]) > 0, m[pivot][col].isFinite else { return nil }
            if pivot != col {
                m.swapAt(pivot, col)
                b.swapAt(pivot, col)
            }
            for row in (col + 1)..<3 {
                let factor = m[row][col] / m[col][col]
                for k in col..<3 { m[row][k] -= factor * m[col][k] }
                b[row] -= factor * b[col]
            }
        }
        var out = [0.0, 0.0, 0.0]
        for row in stride(from: 2, through: 0, by: -1) {
            var sum = b[row]
            for k in (row + 1)..<3 { sum -= m[row][k] * out[k] }
            out[row] = sum / m[row][row]
        }
        return out.allSatisfy(\.isFinite) ? out : nil
    }
}
