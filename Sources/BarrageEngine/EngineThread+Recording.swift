import Foundation
import BarrageCore

/// The recording fan-out: each outcome or drop into the second's recorder, and per target and per stage when the plan
/// has several; the raw NDJSON lines (`--raw`); the seconds handed to the controller; the live counters.
extension EngineThread {
    /// A flow's iteration on slot `i` ended: counted once, timed when it finished (from its start; its think steps
    /// taken out for the second histogram). Iterations that started within the warm-up are kept out.
    /// A pass through a group ended (kept out within the warm-up, as iterations are).
    func recordGroup(_ pass: FlowRuntime.GroupPass) {
        guard pass.group < interval.groups.count else { return }
        interval.groups[pass.group].record(failed: pass.failed, durationMicros: pass.durationMicros)
    }

    func recordIteration(_ i: Int, end: IterationEnd, now: Int64) {
        let state = scheduler.slot(i)
        guard state.iterationStartMicros >= plan.warmupMicros else { return }
        let duration = now - startMicros - state.iterationStartMicros
        if flowHasThinkSteps {
            interval.iterations?.record(end, durationMicros: duration, thinkMicros: state.iterationThinkMicros)
        } else {
            interval.iterations?.recordWithoutThinkSteps(end, durationMicros: duration)
        }
    }

    /// Records an open-model request dropped at `now` (too late, or the run stopping).
    func recordDrop(now: Int64, dueMicros: Int64, target: Int) {
        if plan.recordRaw {
            appendRaw(RequestOutcome(dueMicros: dueMicros, sentMicros: -1, doneMicros: now - startMicros, status: 0, error: nil,
                                     complete: false), target: target, dropped: true)
        }
        if dueMicros < plan.warmupMicros {
            warmupRecorder.recordDropped()
            return
        }
        let second = Int((now - startMicros) / 1_000_000)
        if second != interval.second { closeIntervals(through: now) }
        interval.recorder.recordDropped()
        if !targetRecorders.isEmpty { targetRecorders[target].recordDropped() }
        if !stageRecorders.isEmpty { stageRecorders[plan.stageIndex(atMicros: dueMicros)].recordDropped() }
    }

    @inline(__always)
    func recordOutcome(_ outcome: RequestOutcome, target: Int, now: Int64, slot: Int? = nil) {
        if plan.recordRaw && !warming { appendRaw(outcome, target: target, dropped: false, slot: slot) }
        if warming {
            connectRecorder.record(outcome)
            return
        }
        if outcome.dueMicros < plan.warmupMicros {
            warmupRecorder.record(outcome)
            return
        }
        // The second's per-target latency (the timeline's `targets_hdr`) is the target recorder's own latency
        // histogram, handed over with the second (`postInterval`): the same samples, recorded once.
        if !targetRecorders.isEmpty { targetRecorders[target].record(outcome) }
        if !stageRecorders.isEmpty { stageRecorders[plan.stageIndex(atMicros: outcome.dueMicros)].record(outcome) }
        let second = Int((now - startMicros) / 1_000_000)
        if second != interval.second { closeIntervals(through: now) }
        interval.recorder.record(outcome)
    }

    /// One NDJSON line: `{"due":…,"sent":…,"done":…,"target":"…","status":…,"bytes":…,"error":"…"|null}` (µs from the
    /// start; `sent` is null for a dropped request, whose `error` is "dropped"). A flow step's line (`slot` given) adds
    /// `"iteration":K,"vu":N` (the target is the step). No allocation once the buffer is warm.
    @inline(__always)
    func appendRaw(_ o: RequestOutcome, target: Int, dropped: Bool, slot: Int? = nil) {
        func text(_ s: StaticString) { s.withUTF8Buffer { raw.append(contentsOf: $0) } }
        func number(_ v: Int64) {
            if v < 0 { raw.append(UInt8(ascii: "-")) }
            var x = v.magnitude
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                         UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var n = 0
            withUnsafeMutableBytes(of: &digits) { buf in
                repeat { buf[n] = UInt8(ascii: "0") + UInt8(x % 10); x /= 10; n += 1 } while x > 0
                while n > 0 { n -= 1; raw.append(buf[n]) }
            }
        }
        text("{\"due\":"); number(o.dueMicros)
        text(",\"sent\":"); if dropped { text("null") } else { number(o.sentMicros) }
        text(",\"done\":"); number(o.doneMicros)
        text(",\"target\":"); raw.append(contentsOf: rawTargets[target])
        text(",\"status\":"); number(Int64(o.status))
        text(",\"bytes\":"); number(o.bytesIn)
        text(",\"error\":")
        if dropped { text("\"dropped\"") }
        else if let e = o.error { raw.append(UInt8(ascii: "\"")); raw.append(contentsOf: e.rawValue.utf8); raw.append(UInt8(ascii: "\"")) }
        else { text("null") }
        if let slot {
            text(",\"iteration\":"); number(Int64(scheduler.slot(slot).iteration))
            text(",\"vu\":"); number(Int64(vuOffset + slot))
        }
        if flowRuntime != nil { text(",\"scenario\":"); raw.append(contentsOf: rawScenario) } // dropped arrivals too
        text("}\n")
    }

    /// Hands the NDJSON lines gathered so far to the controller, which writes them (off the engine thread).
    func flushRaw() {
        guard plan.recordRaw, !raw.isEmpty else { return }
        mailbox.post(.raw(raw))
        raw = []
        raw.reserveCapacity(1 << 20)
    }

    /// Hands every second that has ended to the controller and starts a fresh one.
    func closeIntervals(through now: Int64) {
        let second = Int((now - startMicros) / 1_000_000)
        guard second > interval.second else { return }
        flushRaw()
        interval.inFlight = active
        closedOk += interval.ok
        closedFailed += interval.failed
        closedDropped += interval.dropped
        postInterval()
        if !targetRecorders.isEmpty { targetRecorders = Array(repeating: Recorder(), count: targetRecorders.count) }
        if !stageRecorders.isEmpty { stageRecorders = Array(repeating: Recorder(), count: stageRecorders.count) }
        interval = IntervalStats(second: second, targets: targetCount)
        if let flow = flowRuntime {
            interval.iterations = IterationRecorder()
            interval.groups = Array(repeating: GroupRecorder(), count: flow.flow.groups.count)
        }
        interval.inFlightMax = active // requests carried into the new second are in flight at its start
    }

    /// Hands the current second to the controller, with its per-target latency taken from the target recorders (and,
    /// for a flow without think steps, its iteration durations without think steps from those with).
    func postInterval() {
        if !targetRecorders.isEmpty { interval.targetLatency = targetRecorders.map(\.latency) }
        if !flowHasThinkSteps { interval.iterations?.takeDurationAsWithoutThink() }
        mailbox.post(.interval(worker: index, interval, targets: targetRecorders, stages: stageRecorders))
    }

    /// This thread's counts so far and requests in flight, for the live view between seconds (relaxed stores: the
    /// reader only needs a recent value, not a consistent snapshot across threads).
    @inline(__always)
    func publishLive() {
        live.ok.store(closedOk + interval.ok, ordering: .relaxed)
        live.failed.store(closedFailed + interval.failed, ordering: .relaxed)
        live.dropped.store(closedDropped + interval.dropped, ordering: .relaxed)
        live.inFlight.store(active, ordering: .relaxed)
    }
}
