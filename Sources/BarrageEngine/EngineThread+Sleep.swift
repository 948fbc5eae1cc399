import Glibc
import CLibcurl
import BarrageCore

/// How long the engine thread's loop sleeps, and what wakes it: the sleep budget, the timerfd for paced requests, and
/// perform mode's poll (socket mode's `epoll_wait` is in the loop itself).
extension EngineThread {
    /// How long the loop may sleep (ms). In the open model a due request sooner than 100 ms arms the timerfd instead,
    /// no sooner than the pacer quantum.
    func sleepBudget(now: Int64) -> (millis: Int32, timerArmed: Bool) {
        let wake = nextWakeMicros(now: now)
        let wait = max(0, wake - now)
        if scheduler.paced && wait < 100_000 {
            if armTimer(atMicros: max(wake, now + pacerQuantumMicros)) { return (100, true) }
            // The timer could not be armed: sleep in whole milliseconds instead (coarser pacing, nothing lost).
            return (Int32(min(max(1, (wait + 999) / 1_000), 100)), false)
        }
        return (Int32(min((wait + 999) / 1_000, plan.closedStages.isEmpty ? 100 : 10)), false)
    }

    /// Perform mode's sleep: libcurl's own descriptors, plus the timerfd when it is armed.
    func pollMulti(_ millis: Int32, timerArmed: Bool) {
        guard timerArmed else {
            CurlMulti.poll(multis[0], extra: nil, extraCount: 0, timeoutMillis: millis)
            return
        }
        var extra = curl_waitfd()
        extra.fd = timerFD
        extra.events = Int16(CURL_WAIT_POLLIN)
        CurlMulti.poll(multis[0], extra: &extra, extraCount: 1, timeoutMillis: millis)
        if extra.revents != 0 { consumeTimer() }
    }

    /// The timerfd fired: read its count so it stops being readable.
    func consumeTimer() {
        TimerFD.drain(timerFD)
        timerArmedMicros = -1
    }

    /// The earliest moment the loop must wake: a libcurl timer, the end of the current second, or the end of sending.
    func nextWakeMicros(now: Int64) -> Int64 {
        var wake = startMicros + Int64(interval.second + 1) * 1_000_000
        let deadlines = loop.pointee.deadlines
        for s in 0..<multis.count where deadlines[s] >= 0 && deadlines[s] < wake {
            wake = deadlines[s]
        }
        if sendEndMicros > now && sendEndMicros < wake { wake = sendEndMicros }
        // Thinking or backing-off slots; the next due request (with a free slot when due, without one when too late).
        let due = scheduler.nextWakeMicros()
        if due != .max && startMicros + due < wake { wake = startMicros + due }
        return wake
    }

    /// Arms the timerfd for an absolute monotonic time (µs), unless it is already armed for it. False when
    /// `timerfd_settime` failed (the caller then sleeps in whole milliseconds).
    func armTimer(atMicros micros: Int64) -> Bool {
        guard micros != timerArmedMicros else { return true }
        guard TimerFD.arm(timerFD, atMicros: micros) else {
            timerArmedMicros = -1
            return false
        }
        timerArmedMicros = micros
        return true
    }
}
