import Foundation

/// The search for the highest rate a service sustains within its SLOs, as a state machine: `next()` says which rate
/// to measure, `record(_:)` takes what that step found. Pure: no clock, no network, so tests drive it with a fake
/// service.
///
/// The rules (issue #18):
/// - grow ×2 from `from` until a step fails or `max` is reached;
/// - then bisect between the last rate that held and the first that failed until (high − low) ≤ precision × low;
/// - confirm the highest rate that held once more; one that fails on confirmation is *noise*: it becomes the new high
///   and the search goes on below it (between the highest rate that held below it and it);
/// - a step where the client saturated ends the search: `client_bound`, capacity at least the highest clean pass;
/// - a step with no ok response when none answered before ends it: `nothing_answered`;
/// - the budget (the steps' wall time) ends it: the best bracket so far, marked `budget`.
public struct CapacitySearch: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        /// The first rate, req/s.
        public var fromRPS: Double
        /// The highest rate tried, req/s.
        public var maxRPS: Double
        /// Bisection stops when (high − low) ≤ precision × low; a fraction in (0, 0.5].
        public var precision: Double
        /// The steps' total wall time after which no step starts; nil: no budget.
        public var budgetMicros: Int64?

        public init(fromRPS: Double = 10, maxRPS: Double = 100_000, precision: Double = 0.05, budgetMicros: Int64? = nil) {
            self.fromRPS = fromRPS; self.maxRPS = maxRPS; self.precision = precision; self.budgetMicros = budgetMicros
        }
    }

    /// Why a step is run. JSON values: a contract.
    public enum Phase: String, Sendable, Codable, Equatable {
        case grow, bisect, confirm
    }

    /// A step's verdict. JSON values: a contract.
    public enum StepVerdict: String, Sendable, Codable, Equatable {
        case pass, fail
        /// A rate that held once and failed on confirmation.
        case noise
        /// Barrage itself saturated: the step says nothing about the service.
        case clientBound = "client_bound"
    }

    /// How the search ended. JSON values: a contract.
    public enum Verdict: String, Sendable, Codable, Equatable {
        /// A confirmed capacity within the precision.
        case found
        /// Not even the first rate met the SLOs (JSON `none`; not named `none` in Swift, where `.none` would read as nil).
        case noRate = "none"
        /// The client saturated before an SLO failed: capacity at least the highest clean pass, on this machine.
        case clientBound = "client_bound"
        /// `max` held (and was confirmed): capacity at least `max`.
        case maxReached = "max_reached"
        /// The budget ended the search: the best bracket so far.
        case budget
        /// No step had an ok response.
        case nothingAnswered = "nothing_answered"
    }

    /// The step the search wants measured next.
    public struct StepRequest: Sendable, Equatable {
        /// From 1.
        public var index: Int
        public var phase: Phase
        public var rateRPS: Double
    }

    /// What a step found, judged (`CapacityStep.judge`): pass, fail or client-bound (never noise: that is the search's).
    public struct StepOutcome: Sendable, Equatable {
        public var verdict: StepVerdict
        /// False when not one request of the step had an ok response.
        public var answered: Bool
        /// The step's wall time (connect phase, warm-up and drain included), counted against the budget.
        public var elapsedMicros: Int64

        public init(verdict: StepVerdict, answered: Bool = true, elapsedMicros: Int64 = 0) {
            self.verdict = verdict; self.answered = answered; self.elapsedMicros = elapsedMicros
        }
    }

    /// A step as recorded: the request and its final verdict (a confirmation that failed is `noise`).
    public struct Record: Sendable, Equatable {
        public var request: StepRequest
        public var verdict: StepVerdict
    }

    public let settings: Settings
    public private(set) var records: [Record] = []
    /// Set when the search has ended.
    public private(set) var verdict: Verdict?
    /// The highest rate that held (and was not found to be noise); nil before any.
    public private(set) var lowRPS: Double?
    /// The lowest rate that failed (or flipped on confirmation); nil before any.
    public private(set) var highRPS: Double?
    /// The steps' wall time so far.
    public private(set) var spentMicros: Int64 = 0
    private var pending: StepRequest?
    /// Rates that held on confirmation.
    private var confirmed: Set<Double> = []
    private var growing = true
    /// Whether any step so far had an ok response.
    private var anyAnswered = false

    public init(_ settings: Settings) {
        self.settings = settings
    }

    /// The confirmed capacity, req/s, when the verdict is `found`.
    public var capacityRPS: Double? { verdict == .found ? lowRPS : nil }

    /// The rate the service is known to sustain at least: the highest clean pass (for `client_bound`, `max_reached`
    /// and `budget` it is what the answer says "at least" of).
    public var atLeastRPS: Double? { lowRPS }

    /// The next step to measure, or nil when the search has ended (then `verdict` is set).
    public mutating func next() -> StepRequest? {
        if verdict != nil { return nil }
        if let pending { return pending }
        if let budget = settings.budgetMicros, spentMicros >= budget {
            verdict = .budget
            return nil
        }
        let request: StepRequest
        let index = records.count + 1
        if growing {
            let rate = lowRPS.map { Swift.min($0 * 2, settings.maxRPS) } ?? Swift.min(settings.fromRPS, settings.maxRPS)
            request = StepRequest(index: index, phase: .grow, rateRPS: rate)
        } else if let low = lowRPS, let high = highRPS, high - low > settings.precision * low {
            request = StepRequest(index: index, phase: .bisect, rateRPS: Self.midpoint(low, high))
        } else if let low = lowRPS {
            if confirmed.contains(low) {
                verdict = highRPS == nil ? .maxReached : .found
                return nil
            }
            request = StepRequest(index: index, phase: .confirm, rateRPS: low)
        } else {
            verdict = .noRate
            return nil
        }
        pending = request
        return request
    }

    /// Whether a step of `micros` still fits the budget (always, without one). A step that does not fit is not run:
    /// call `endForBudget()`.
    public func fits(stepMicros micros: Int64) -> Bool {
        guard let budget = settings.budgetMicros else { return true }
        return spentMicros + micros <= budget
    }

    /// Ends the search because the next step would not fit the budget.
    public mutating func endForBudget() {
        guard verdict == nil else { return }
        pending = nil
        verdict = .budget
    }

    /// Ends the search because nothing more will be measured (an interruption); the verdict stays nil.
    public mutating func cancel() { pending = nil }

    /// Records the outcome of the step `next()` returned.
    public mutating func record(_ outcome: StepOutcome) {
        guard let request = pending, verdict == nil else { return }
        pending = nil
        spentMicros += outcome.elapsedMicros
        let rate = request.rateRPS
        if !outcome.answered && !anyAnswered {
            records.append(Record(request: request, verdict: outcome.verdict == .clientBound ? .clientBound : .fail))
            verdict = .nothingAnswered
            return
        }
        if outcome.answered { anyAnswered = true }
        switch outcome.verdict {
        case .clientBound:
            records.append(Record(request: request, verdict: .clientBound))
            verdict = .clientBound
        case .pass:
            records.append(Record(request: request, verdict: .pass))
            if request.phase == .confirm { confirmed.insert(rate) }
            if lowRPS.map({ rate > $0 }) ?? true { lowRPS = rate }
            if growing && rate >= settings.maxRPS {
                growing = false
            }
        case .fail, .noise:
            if request.phase == .confirm {
                records.append(Record(request: request, verdict: .noise))
                highRPS = rate
                lowRPS = highestPass(below: rate)
            } else {
                records.append(Record(request: request, verdict: .fail))
                growing = false
                if highRPS.map({ rate < $0 }) ?? true { highRPS = rate }
            }
        }
    }


    /// The highest rate below `rate` that passed and was not later found to be noise.
    private func highestPass(below rate: Double) -> Double? {
        let noisy = Set(records.filter { $0.verdict == .noise }.map(\.request.rateRPS))
        return records.filter { $0.verdict == .pass && $0.request.rateRPS < rate && !noisy.contains($0.request.rateRPS) }
            .map(\.request.rateRPS).max()
    }

    /// The bisection midpoint to 0.1 req/s, so rates read well and compare exactly; unrounded when rounding would
    /// land on a bound (a bracket narrower than 0.2 req/s).
    static func midpoint(_ low: Double, _ high: Double) -> Double {
        let mid = ((low + high) / 2 * 10).rounded() / 10
        return low < mid && mid < high ? mid : (low + high) / 2
    }
}
