import Glibc
import CLinuxEvents
import BarrageCore

/// epoll(7), as an engine thread uses it: static, inlined wrappers in the shape of swift-nio's `enum Epoll`. No
/// allocation, no existential; each call's failure is either thrown (set-up) or returned (the hot path, where the
/// caller decides what a refusal means).
enum Epoll {
    /// epoll_create1(EPOLL_CLOEXEC): a new epoll descriptor.
    static func create() throws -> Int32 {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw BarrageError.failure("epoll_create1 failed: \(String(cString: strerror(errno)))") }
        return fd
    }

    /// epoll_ctl(epfd, EPOLL_CTL_ADD or EPOLL_CTL_MOD, fd, {events, data}): false when epoll refused it (errno says why).
    @inline(__always)
    static func register(_ epfd: Int32, fd: Int32, events: UInt32, data: UInt64, modify: Bool) -> Bool {
        var event = epoll_event()
        event.events = events
        event.data.u64 = data
        return epoll_ctl(epfd, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event) == 0
    }

    /// epoll_ctl(epfd, EPOLL_CTL_DEL, fd): false when `fd` was not registered (or already closed).
    @inline(__always)
    @discardableResult
    static func remove(_ epfd: Int32, fd: Int32) -> Bool {
        var event = epoll_event()
        return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &event) == 0
    }

    /// epoll_wait(epfd, events, capacity, timeoutMillis): the number of ready events in `events`; 0 after the timeout
    /// and when interrupted (EINTR: the caller's loop looks again), and 0 on any other failure too — the loop then
    /// sleeps no longer than its budget and tries again, as it did before these wrappers.
    @inline(__always)
    static func wait(_ epfd: Int32, into events: UnsafeMutablePointer<epoll_event>, capacity: Int32, timeoutMillis: Int32) -> Int {
        let n = epoll_wait(epfd, events, capacity, timeoutMillis)
        return n > 0 ? Int(n) : 0
    }
}

/// timerfd_create(2) on the monotonic clock, non-blocking: the open model's sub-millisecond pacing timer.
enum TimerFD {
    /// timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK).
    static func create() throws -> Int32 {
        let fd = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        guard fd >= 0 else { throw BarrageError.failure("timerfd_create failed: \(String(cString: strerror(errno)))") }
        return fd
    }

    /// timerfd_settime(fd, TFD_TIMER_ABSTIME, {it_value: micros}): one expiry at an absolute monotonic time (µs;
    /// 0 or less is taken as 1 µs, since 0 would disarm). False when the kernel refused it.
    @inline(__always)
    static func arm(_ fd: Int32, atMicros micros: Int64) -> Bool {
        var spec = itimerspec()
        let t = max(micros, 1)
        spec.it_value.tv_sec = Int(t / 1_000_000)
        spec.it_value.tv_nsec = Int((t % 1_000_000) * 1_000)
        return timerfd_settime(fd, Int32(TFD_TIMER_ABSTIME), &spec, nil) == 0
    }

    /// read(fd, &expirations, 8): consumes the expiry count so the descriptor stops being readable. Returns the
    /// count, 0 when there was none (EAGAIN: a non-blocking timer that has not fired).
    @inline(__always)
    @discardableResult
    static func drain(_ fd: Int32) -> UInt64 {
        var expirations: UInt64 = 0
        return read(fd, &expirations, 8) == 8 ? expirations : 0
    }
}
