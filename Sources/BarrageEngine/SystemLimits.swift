import Glibc
import CLinuxEvents

/// Clocks in integer microseconds.
public enum Clock {
    /// CLOCK_MONOTONIC in µs: the run clock. Never goes backwards.
    @inline(__always)
    public static func monotonicMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }

    /// Unix time in milliseconds.
    public static func epochMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// Process limits the engine depends on.
public enum SystemLimits {
    /// The CPUs this process may run on, from its affinity mask (sched_getaffinity); falls back to the online count.
    public static func availableCPUs() -> Int {
        var mask = cpu_set_t() // 1,024 CPUs
        if barrage_sched_getaffinity(&mask) == 0 {
            let n = withUnsafeBytes(of: &mask) { $0.reduce(0) { $0 + $1.nonzeroBitCount } }
            if n > 0 { return n }
        }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// This process's CPU time so far (user, system), µs.
    public static func cpuMicros() -> (user: Int64, system: Int64) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (Int64(usage.ru_utime.tv_sec) * 1_000_000 + Int64(usage.ru_utime.tv_usec),
                Int64(usage.ru_stime.tv_sec) * 1_000_000 + Int64(usage.ru_stime.tv_usec))
    }

    /// Raises the soft RLIMIT_NOFILE to the hard limit and returns the resulting soft limit.
    @discardableResult
    public static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limit.rlim_cur)
    }
}
