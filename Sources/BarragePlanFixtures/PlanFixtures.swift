import BarrageCore

/// Test fixtures: plans in the shape tests state them (a load, one or more targets, timeouts), made through
/// `RunPlan(load:workload:transport:…)` — the product itself builds plans only with `PlanBuilder`.
extension RunPlan {
    /// Constant closed-model workers for a duration or (nil) until the request count.
    public init(concurrency: Int, requestLimit: Int?, durationMicros: Int64?, targets: [RequestTarget],
                timeoutMicros: Int64, connectTimeoutMicros: Int64, threads: Int, keepAlive: Bool) {
        self.init(load: .closed(workers: concurrency, durationMicros: durationMicros),
                  workload: Workload(targets: targets, timeoutMicros: timeoutMicros),
                  transport: Self.fixtureTransport(connectTimeoutMicros: connectTimeoutMicros, keepAlive: keepAlive),
                  requestLimit: requestLimit, threads: threads)
    }

    /// An open-model plan: requests due along `schedule`, at most `maxInFlight` at once.
    public static func open(schedule: OpenSchedule, maxInFlight: Int, maxLatenessMicros: Int64, requestLimit: Int?,
                            targets: [RequestTarget], timeoutMicros: Int64, connectTimeoutMicros: Int64, threads: Int,
                            keepAlive: Bool) -> RunPlan {
        RunPlan(load: .open(schedule, maxInFlight: maxInFlight, maxLatenessMicros: maxLatenessMicros),
                workload: Workload(targets: targets, timeoutMicros: timeoutMicros),
                transport: fixtureTransport(connectTimeoutMicros: connectTimeoutMicros, keepAlive: keepAlive),
                requestLimit: requestLimit, threads: threads)
    }

    /// A closed-model plan whose workers follow stages from `start`.
    public static func closedStages(_ stages: [ClosedStage], start: Int, thinkTimeMicros: Int64 = 0, requestLimit: Int?,
                                    targets: [RequestTarget], timeoutMicros: Int64, connectTimeoutMicros: Int64, threads: Int,
                                    keepAlive: Bool) -> RunPlan {
        RunPlan(load: .closed(start: start, stages: stages, thinkTimeMicros: thinkTimeMicros),
                workload: Workload(targets: targets, timeoutMicros: timeoutMicros),
                transport: fixtureTransport(connectTimeoutMicros: connectTimeoutMicros, keepAlive: keepAlive),
                requestLimit: requestLimit, threads: threads)
    }

    private static func fixtureTransport(connectTimeoutMicros: Int64, keepAlive: Bool) -> Transport {
        var t = Transport()
        t.connectTimeoutMicros = connectTimeoutMicros
        t.keepAlive = keepAlive
        return t
    }
}
