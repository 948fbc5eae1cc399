/// The run's `setup:` as a plan carries it: steps run once per run, before any scenario's load, whose captures every
/// scenario reads. It runs as a plan of its own — one VU, one iteration, the closed model — on the run's transport, so
/// that TLS options, `--connect-to` and timeouts apply to it as to the load.
public struct RunSetupPlan: Sendable, Equatable {
    /// The setup's steps (`iterations` 1); its `variables` are its captures.
    public var flow: Flow
    /// One per request step, named by the step (the setup plan's targets).
    public var targets: [RequestTarget]

    public init(flow: Flow, targets: [RequestTarget]) {
        self.flow = flow
        self.targets = targets
    }

    /// The names the setup captures, in step order.
    public var captures: [String] { flow.variables }

    /// The plan that runs the setup for `run`: one VU, one iteration, the run's transport, seed and timeout, no
    /// segment (every segment runs the whole setup once) and no `--raw` stream.
    public func plan(for run: RunPlan) -> RunPlan {
        var plan = RunPlan(load: .closed(workers: 1, durationMicros: nil),
                           workload: Workload(targets: targets, seed: run.seed, timeoutMicros: run.timeoutMicros),
                           transport: run.transport, requestLimit: 1, threads: 1)
        plan.workload.flow = flow
        plan.name = run.name
        plan.engine = run.engine
        return plan
    }
}

extension RunPlan {
    /// The plan with the run setup's captured values given to every scenario's flow (`Flow.withRunValues`): the
    /// single flow's, or each lane's.
    public func withRunValues(_ values: [String: FlowValue]) -> RunPlan {
        var plan = self
        plan.workload.flow = workload.flow?.withRunValues(values)
        for l in plan.lanes.indices { plan.lanes[l].plan = plan.lanes[l].plan.withRunValues(values) }
        return plan
    }
}
