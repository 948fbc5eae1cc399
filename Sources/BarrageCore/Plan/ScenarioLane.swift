/// One scenario of a plan that runs several at once: its own plan (load, flow, pool), started `startAfterMicros`
/// after the run's start. The lanes of a plan run side by side, each on its share of the engine threads.
public struct ScenarioLane: Sendable, Equatable {
    public var name: String
    public var startAfterMicros: Int64
    public var plan: RunPlan

    public init(name: String, startAfterMicros: Int64, plan: RunPlan) {
        self.name = name
        self.startAfterMicros = startAfterMicros
        self.plan = plan
    }

    /// When the lane stops sending, µs from the run's start (nil: bound by its iteration count).
    public var endMicros: Int64? { plan.durationMicros.map { startAfterMicros + $0 } }
}
