import Foundation

/// The load of one capacity step made from the plan the user gave (a URL's or a profile's): a constant open-model rate
/// for the step's warm-up and measured part, through the step's pool. Pure.
public enum CapacityLoad {
    /// Why a plan cannot be searched (exit 2), or nil.
    public static func refusal(_ plan: RunPlan) -> String? {
        if plan.workload.webSocket != nil { return "a WebSocket profile: capacity searches HTTP request rates (run it with barrage run)" }
        if !plan.lanes.isEmpty {
            if plan.lanes.allSatisfy({ $0.plan.model == .closed }) {
                return "nothing to scale: every scenario runs the closed model (give one an open-model load: rate stages)"
            }
            return nil
        }
        if plan.model == .closed {
            return "nothing to scale: the profile's load is the closed model (give it an open-model load: rate stages)"
        }
        return nil
    }

    /// `plan` with its load replaced by `step`'s constant rate (its arrival kind and lateness limit kept), the step's
    /// warm-up, and no request count. An open profile load's shape (its stages) is scaled to one constant rate: the
    /// step's. Several scenarios: see `appliedToLanes`.
    public static func applied(_ step: CapacityStep.Plan, to plan: RunPlan) -> RunPlan {
        if !plan.lanes.isEmpty { return appliedToLanes(step, to: plan) }
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

    /// A scenario's rate: the highest its schedule reaches (0 for the closed model).
    public static func peakRate(_ plan: RunPlan) -> Double {
        guard let s = plan.schedule else { return 0 }
        return ([s.startRate] + s.stages.map(\.rate)).max() ?? 0
    }

    /// Several scenarios: every open-model scenario at one constant rate, its peak rate scaled by the one factor that
    /// makes their sum the step's rate, from the start (no `start_after`), with its share of the pool (at least
    /// `CapacityStep.minimumPool`); closed-model scenarios as written, cut at the step's end (one that would start
    /// after it is left out). Every scenario keeps the step's warm-up out of its numbers.
    static func appliedToLanes(_ step: CapacityStep.Plan, to plan: RunPlan) -> RunPlan {
        let open = plan.lanes.filter { $0.plan.model == .open }
        let peaks = open.map { peakRate($0.plan) }
        let total = peaks.reduce(0, +)
        var lanes: [ScenarioLane] = []
        for lane in plan.lanes {
            var l = lane
            if lane.plan.model == .open {
                let share = total > 0 ? peakRate(lane.plan) / total : 1 / Double(open.count)
                let pool = Swift.max(CapacityStep.minimumPool, Int((Double(step.maxInFlight) * share).rounded(.up)))
                var laneStep = step
                laneStep.rateRPS = step.rateRPS * share
                laneStep.maxInFlight = pool
                l.plan = applied(laneStep, to: lane.plan)
                l.startAfterMicros = 0
            } else {
                guard lane.startAfterMicros < step.totalMicros else { continue }
                l.plan = LoadOverride(durationMicros: step.totalMicros - lane.startAfterMicros).applied(to: lane.plan)
                l.plan.warmupMicros = Swift.min(step.warmupMicros, (l.plan.durationMicros ?? step.totalMicros) - 1)
            }
            lanes.append(l)
        }
        var out = plan
        out.lanes = lanes
        let ends = lanes.map(\.endMicros)
        let end: Int64? = ends.contains { $0 == nil } ? nil : ends.compactMap { $0 }.max()
        out.load = .closed(workers: lanes.reduce(0) { $0 + $1.plan.concurrency }, durationMicros: end)
        out.workload.targets = lanes.flatMap(\.plan.targets)
        return out
    }

    /// What the step's rate counts on `plan`: requests, a flow's iterations (every open-model part a flow), or both
    /// (several scenarios, some flows and some not).
    public static func rateUnit(_ plan: RunPlan) -> CapacityResult.RateUnit {
        let open = plan.lanes.isEmpty ? [plan] : plan.lanes.filter { $0.plan.model == .open }.map(\.plan)
        let flows = open.filter { $0.workload.flow != nil }.count
        return flows == 0 ? .requests : (flows == open.count ? .iterations : .mixed)
    }

    /// The open-model scenarios of a plan with several (empty otherwise): their offered rate is the step's.
    public static func openScenarios(_ plan: RunPlan) -> [String] {
        plan.lanes.filter { $0.plan.model == .open }.map(\.name)
    }
}
