/// Flows: a slot is a VU that runs iterations of steps. An iteration starts where a plain request would (a worker
/// taking from the budget, an arrival of the open schedule); each completed step sends the next one on the same slot
/// at once, or after a think step; a failed step ends the iteration unless it may continue; the iteration's end is an
/// action (`.iterationEnded`) the engine records before it asks `afterIteration` what the slot does next.
extension SlotScheduler {
    /// `SlotState.step` of a VU waiting for its pacing (not for a step).
    @inlinable
    static var pacingStep: Int32 { .max }

    /// The target of the first request step (a dropped arrival is counted against it).
    @inlinable
    var firstFlowTarget: Int32 { flowSteps.first { $0.target >= 0 }?.target ?? 0 }

    /// Starts iteration `k` on slot `i` (already taken from the pool or counted busy) and runs it to its first request.
    @inlinable
    mutating func beginIteration(_ i: Int, iteration k: Int, startMicros: Int64, nowMicros now: Int64) -> SlotAction {
        slots[i].inIteration = true
        slots[i].iterationFailed = false
        slots[i].iteration = k
        slots[i].iterationStartMicros = startMicros
        slots[i].iterationThinkMicros = 0
        let action = advance(i, from: slots[i].setupDone ? setupCount : 0, nowMicros: now)
        // The open model's first request is due when the iteration was: its latency counts from there.
        if case .send = action { slots[i].dueMicros = startMicros }
        return action
    }

    /// A step's transfer ended: the next step, a think, or the iteration's end.
    @inlinable
    mutating func flowCompleted(_ i: Int, outcome: SlotOutcome, nowMicros now: Int64) -> SlotAction {
        let step = Int(slots[i].step)
        if outcome.failed {
            slots[i].iterationFailed = true
            if outcome.neverReachedServer { slots[i].failStreak += 1 }
            if !flowSteps[step].continueOnFailure { return endIteration(i, nowMicros: now) }
        } else if outcome.complete {
            slots[i].failStreak = 0
        }
        if slots[i].repeatLeft > 1 && !stopping && now < graceEndMicros {
            // The step's next repetition, on the same slot at once.
            slots[i].repeatLeft -= 1
            slots[i].repeatIndex += 1
            return sendStep(i, step, nowMicros: now)
        }
        return advance(i, from: step + 1, nowMicros: now)
    }

    /// Slot `i` goes on at step `j`: thinks, sends, or ends the iteration (interrupted once the run stops or its
    /// graceful stop is over).
    @inlinable
    mutating func advance(_ i: Int, from j: Int, nowMicros now: Int64) -> SlotAction {
        if j >= setupCount && !slots[i].iterationFailed { slots[i].setupDone = true }
        if j >= flowSteps.count { return endIteration(i, nowMicros: now) }
        if stopping || now >= graceEndMicros { return endIteration(i, interrupted: true, nowMicros: now) }
        let step = flowSteps[j]
        if let think = step.think {
            let key = FlowKey(seed: flowSeed, vu: vuOffset + i, iteration: slots[i].iteration, step: j)
            let pause = think.micros(key: key)
            slots[i].iterationThinkMicros += pause
            slots[i].step = Int32(j + 1)
            slots[i].phase = .waiting
            let until = now + pause
            pushWait(i, untilMicros: until)
            return .think(slot: i, untilMicros: until)
        }
        slots[i].repeatIndex = 0
        slots[i].repeatLeft = step.repeatCount
        return sendStep(i, j, nowMicros: now)
    }

    /// Slot `i` sends (a repetition of) request step `j`.
    @inlinable
    mutating func sendStep(_ i: Int, _ j: Int, nowMicros now: Int64) -> SlotAction {
        slots[i].step = Int32(j)
        slots[i].target = flowSteps[j].target
        slots[i].dueMicros = now
        slots[i].sentMicros = now
        slots[i].phase = .inFlight
        _inFlight += 1
        return .send(slot: i, request: slots[i].iteration)
    }

    /// A `foreach` step's list has `count` elements to go over (the engine reads it before the first request): the
    /// step is sent that many times. With none, the step is skipped: the returned action is what follows it.
    @inlinable
    public mutating func setRepeats(slot i: Int, count: Int, nowMicros now: Int64) -> SlotAction {
        guard count == 0 else {
            slots[i].repeatLeft = Int32(count)
            return .none
        }
        slots[i].phase = .idle
        _inFlight -= 1
        return advance(i, from: Int(slots[i].step) + 1, nowMicros: now)
    }

    /// Ends the iteration on slot `i` (the engine records it from the slot's state, then calls `afterIteration`).
    @inlinable
    mutating func endIteration(_ i: Int, interrupted: Bool = false, nowMicros now: Int64) -> SlotAction {
        slots[i].inIteration = false
        slots[i].phase = .idle
        let end: IterationEnd = interrupted ? .interrupted : (slots[i].iterationFailed ? .failed : .completed)
        return .iterationEnded(slot: i, end: end)
    }

    /// What slot `i` does after its iteration ended and was recorded. Open model: it is free again. Closed model:
    /// after a failure before the server it backs off; otherwise it thinks (the load's think time), starts its next
    /// iteration, or retires.
    @inlinable
    public mutating func afterIteration(slot i: Int, nowMicros now: Int64) -> SlotAction {
        if schedule != nil {
            freeSlots[freeCount] = Int32(i)
            freeCount += 1
            return .release(slot: i)
        }
        if slots[i].failStreak > 0 && mayStartMore(nowMicros: now) { return backOff(i, nowMicros: now) }
        // No later than the end of sending: a VU waiting then is released at once, not when its pacing is over.
        let paced = min(slots[i].iterationStartMicros + pacingMicros, sendEndMicros)
        if paced > now && mayStartMore(nowMicros: now) {
            // Pacing: the VU waits (busy) until its next iteration may start, in the queue of pauses between steps.
            slots[i].step = Self.pacingStep
            slots[i].phase = .waiting
            pushWait(i, untilMicros: paced)
            return .think(slot: i, untilMicros: paced)
        }
        return restartClosed(i, nowMicros: now)
    }

    /// The engine did not send slot `i`'s request after all (a `unique` data set ran out before the iteration's first
    /// step): nothing was sent, and the iteration ends as interrupted.
    @inlinable
    public mutating func abandon(slot i: Int, nowMicros now: Int64) -> SlotAction {
        slots[i].phase = .idle
        _inFlight -= 1
        return endIteration(i, interrupted: true, nowMicros: now)
    }

    /// Slots whose pause between steps is over (or all of them once the run stops) go on with their next step, the
    /// earliest first. The pauses are a binary min-heap on their end: O(log n) per pause, however many VUs wait.
    @inlinable
    mutating func nextStepResume(nowMicros now: Int64) -> SlotAction {
        guard stepWaitCount > 0, stepWaitQueue[0].untilMicros <= now || stopping else { return .none }
        let i = Int(popWait().slot)
        slots[i].phase = .idle
        if slots[i].step == Self.pacingStep {
            // Paced: the next iteration, if the plan still allows one.
            busy -= 1
            if i < allowedSlots(nowMicros: now), let k = take(nowMicros: now) { return start(i, request: k, nowMicros: now) }
            return .release(slot: i)
        }
        return advance(i, from: Int(slots[i].step), nowMicros: now)
    }

    /// Slot `i` pauses until `untilMicros` (a think step or its pacing).
    @inlinable
    mutating func pushWait(_ i: Int, untilMicros until: Int64) {
        var k = stepWaitCount
        stepWaitCount += 1
        stepWaitQueue[k] = Waiting(slot: Int32(i), untilMicros: until)
        while k > 0 {
            let parent = (k - 1) / 2
            guard stepWaitQueue[parent].untilMicros > stepWaitQueue[k].untilMicros else { break }
            stepWaitQueue.swapAt(parent, k)
            k = parent
        }
        stepWaitNextMicros = stepWaitQueue[0].untilMicros
    }

    /// Removes and returns the pause that ends first.
    @inlinable
    mutating func popWait() -> Waiting {
        let top = stepWaitQueue[0]
        stepWaitCount -= 1
        stepWaitQueue[0] = stepWaitQueue[stepWaitCount]
        var k = 0
        while true {
            let l = 2 * k + 1, r = l + 1
            var m = k
            if l < stepWaitCount && stepWaitQueue[l].untilMicros < stepWaitQueue[m].untilMicros { m = l }
            if r < stepWaitCount && stepWaitQueue[r].untilMicros < stepWaitQueue[m].untilMicros { m = r }
            if m == k { break }
            stepWaitQueue.swapAt(k, m)
            k = m
        }
        stepWaitNextMicros = stepWaitCount > 0 ? stepWaitQueue[0].untilMicros : .max
        return top
    }

    /// Ends every iteration still under way as interrupted (after `stop`, or when the engine gives up on the slots),
    /// calling `record` with each slot's state first. Slots waiting between steps are released.
    @inlinable
    public mutating func interruptIterations(nowMicros now: Int64, _ record: (Int, SlotState) -> Void) {
        stepWaitCount = 0
        stepWaitNextMicros = .max
        for i in 0..<slotCount where slots[i].inIteration {
            slots[i].inIteration = false
            if slots[i].phase == .waiting { slots[i].phase = .idle }
            record(i, slots[i])
        }
    }
}

/// A flow step as the scheduler needs it: the target a request step sends, whether a failure ends the iteration,
/// or the pause of a think step.
public struct FlowStepPlan: Sendable, Equatable {
    /// The step's target (its index among the request steps); -1 for a think step.
    public var target: Int32
    public var continueOnFailure: Bool
    public var think: ThinkTime?
    /// Requests of the step in a row: `repeat` (1 by default); 0 for a `foreach`, whose list decides at run time.
    public var repeatCount: Int32

    @inlinable
    public init(target: Int32, continueOnFailure: Bool, think: ThinkTime?, repeatCount: Int32 = 1) {
        self.target = target
        self.continueOnFailure = continueOnFailure
        self.think = think
        self.repeatCount = repeatCount
    }
}
