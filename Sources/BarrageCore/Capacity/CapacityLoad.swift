import Foundation

/// The load of one capacity step made from the plan the user gave (a URL's or a profile's): a constant open-model rate
/// for the step's warm-up and measured part, through the step's pool. Pure.
public enum CapacityLoad {
    /// Why a plan cannot be searched (exit 2), or nil.
    public static func refusal(_ plan: RunPlan) -> String? {
        if !plan.lanes.isEmpty {
            if plan.lanes.allSatisfy({ $0.plan.model == .closed }) {
                return "nothing to scale: every scenario runs the closed model (give one an open-model load: rate stages)"
            }
            return "several scenarios at once are not searched yet; pick the open-model one with --scenario NAME"
        }
        if plan.model == .closed {
            return "nothing to scale: the profile's load is the closed model (give it an open-model load: rate stages)"
        }
        return nil
    }

    /// `plan` with its load replaced by `step`'s constant rate (its arrival kind and lateness limit kept), the step's
    /// warm-up, and no request count. An open profile load's shape (its stages) is scaled to one constant rate: the
    /// step's.
    public static func applied(_ step: CapacityStep.Plan, to plan: RunPlan) -> RunPlan {
        var out = plan
        var arrival = Arrival.uniform
        var lateness = plan.timeoutMicros
        if case .open(let o) = plan.load {
            arrival = o.schedule.arrival
            lateness = o.maxLatenessMicros
        }
        let schedule = OpenSchedule(startRate: step.rateRPS,
                                    stages: [RateStage(durationMicros: step.totalMicros, rate: step.rateRPS)], arrival: arrival)
        out.load = .open(schedule, maxInFlight: step.maxInFlight, maxLatenessMicros: lateness)
        out.warmupMicros = step.warmupMicros
        out.requestLimit = nil
        return out
    }
}
