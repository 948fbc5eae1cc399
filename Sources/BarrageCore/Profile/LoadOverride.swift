/// What the command line changes in a profile's load for a quick run (`run smoke.yaml -c 10 -d 5s`), in the spirit
/// of k6's `--vus`/`--duration`: `-c` or `--rate` replaces the stages with one constant load over the profile's
/// duration, `-d` caps the total duration (stages are cut there), `-n` caps the request count.
///
/// The profile's targets, thresholds, warm-up, think time, pool, lateness limit and arrivals stay as they are.
public struct LoadOverride: Sendable, Equatable {
    /// `-d`: the run stops sending after this long; must be longer than the profile's warm-up.
    public var durationMicros: Int64?
    /// `-n`: at most this many requests.
    public var requests: Int?
    /// `-c`: a constant closed-model load of this many workers.
    public var concurrency: Int?
    /// `--rate`: a constant open-model rate in requests per second.
    public var rate: Double?
    /// `--seed`: replaces the profile's seed (target choice, Poisson arrivals, a flow's random values).
    public var seed: UInt64?

    public init(durationMicros: Int64? = nil, requests: Int? = nil, concurrency: Int? = nil, rate: Double? = nil,
                seed: UInt64? = nil) {
        self.durationMicros = durationMicros; self.requests = requests; self.concurrency = concurrency; self.rate = rate
        self.seed = seed
    }

    public var isEmpty: Bool { durationMicros == nil && requests == nil && concurrency == nil && rate == nil && seed == nil }

    /// Why this override cannot apply to `plan`, in words for a `-d` flag; nil when it can.
    public func problem(with plan: RunPlan) -> String? {
        if concurrency != nil && rate != nil { return "give -c (closed model) or --rate (open model), not both" }
        if let d = durationMicros, d <= plan.warmupMicros {
            return "must be longer than the profile's warm-up (\(DurationParser.format(micros: plan.warmupMicros)))"
        }
        return nil
    }

    /// `plan` with the override applied. `problem(with:)` must be nil.
    public func applied(to plan: RunPlan) -> RunPlan {
        var p = plan
        let total = plan.durationMicros ?? plan.stageSpans.reduce(0) { $0 + $1.duration }
        if let concurrency {
            // The think time is the closed model's: kept from a closed profile, none from an open one.
            p.load = .closed(workers: concurrency, durationMicros: total, thinkTimeMicros: plan.thinkTimeMicros)
        } else if let rate {
            let arrival = plan.schedule?.arrival ?? .uniform
            let schedule = OpenSchedule(startRate: rate, stages: [RateStage(durationMicros: total, rate: rate)], arrival: arrival)
            switch plan.load {
            case .open(let o): p.load = .open(schedule, maxInFlight: o.maxInFlight, maxLatenessMicros: o.maxLatenessMicros)
            case .closed: p.load = .open(schedule, maxInFlight: PlanBuilder.defaultMaxInFlight, maxLatenessMicros: plan.timeoutMicros)
            }
        }
        if let cut = durationMicros, cut < (p.durationMicros ?? .max) {
            switch p.load {
            case .open(var o):
                let schedule = o.schedule
                let stages = Self.cut(schedule.stages.map { ($0.durationMicros, $0.rate) }, at: cut,
                                      valueAt: { schedule.rate(atMicros: $0) })
                o.schedule = OpenSchedule(startRate: schedule.startRate, stages: stages.map { RateStage(durationMicros: $0.0, rate: $0.1) },
                                          arrival: schedule.arrival)
                p.load = .open(o)
            case .closed(var c):
                switch c.shape {
                case .constant(let workers, _):
                    c.shape = .constant(workers: workers, durationMicros: cut)
                case .stages(let start, let stages):
                    let kept = Self.cut(stages.map { ($0.durationMicros, Double($0.concurrency)) }, at: cut,
                                        valueAt: { Double(c.workers(atMicros: $0)) })
                    c.shape = .stages(start: start, kept.map { ClosedStage(durationMicros: $0.0, concurrency: Int($0.1)) })
                }
                p.load = .closed(c)
            }
        }
        if let requests { p.requestLimit = Swift.min(p.requestLimit ?? requests, requests) }
        if let seed {
            p.workload.seed = seed
            if case .open(var o) = p.load, case .poisson = o.schedule.arrival {
                o.schedule = OpenSchedule(startRate: o.schedule.startRate, stages: o.schedule.stages, arrival: .poisson(seed: seed))
                p.load = .open(o)
            }
        }
        return p
    }

    /// Stages laid end to end, cut at `micros`: those wholly before it kept, the one holding it shortened and ending
    /// at the value the ramp reaches there.
    static func cut(_ stages: [(Int64, Double)], at micros: Int64, valueAt: (Int64) -> Double) -> [(Int64, Double)] {
        var out: [(Int64, Double)] = []
        var start: Int64 = 0
        for (duration, value) in stages {
            if start + duration <= micros {
                out.append((duration, value))
            } else {
                if micros > start { out.append((micros - start, valueAt(micros))) }
                break
            }
            start += duration
        }
        return out
    }
}
