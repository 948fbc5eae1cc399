import ArgumentParser
import BarrageCore

/// The help texts and the longest duration of one command's run limits (`LimitOptions`, `ThreadsOption`).
protocol LimitWords {
    static var requestsHelp: String { get }
    static var durationHelp: String { get }
    static var threadsHelp: String { get }
    /// The longest `-d` the command takes, µs.
    static var maxDurationMicros: Int64 { get }
}

/// `-n/--requests` and `-d/-z/--duration`, declared once for `run` and `scale` (each with its own help, `Words`).
/// Their checks stay in the command's `validate()`, in the command's order; the values are read once, when parsed.
struct LimitOptions<Words: LimitWords>: ParsableArguments {
    @Option(name: [.customShort("n"), .long], parsing: .unconditional, help: ArgumentHelp(Words.requestsHelp, valueName: "n"))
    var requests: FlagValue.Whole?

    @Option(name: [.customShort("d"), .customShort("z"), .long], parsing: .unconditional, help: ArgumentHelp(Words.durationHelp, valueName: "duration"))
    var duration: FlagValue.Duration?

    /// -n, checked; nil when not given.
    func requestLimit() throws -> Int? {
        try requests?.checked("--requests", in: 1...Int.max)
    }

    /// -d in µs, checked; nil when not given.
    func durationMicros() throws -> Int64? {
        try duration?.checked("--duration", min: 1_000, max: Words.maxDurationMicros)
    }
}

/// `-t/--threads` (engine threads), declared once for `run` and `scale`. Apart from `LimitOptions` because the help
/// lists it after the request flags.
struct ThreadsOption<Words: LimitWords>: ParsableArguments {
    @Option(name: [.customShort("t"), .long], parsing: .unconditional, help: ArgumentHelp(Words.threadsHelp, valueName: "n"))
    var threads: FlagValue.Whole?

    /// --threads, checked; nil when not given (the engine then uses the CPUs this process may run on).
    func count() throws -> Int? {
        try threads?.checked("--threads", in: 1...1_024)
    }
}

/// `run`: limits of the whole run.
enum RunLimits: LimitWords {
    static let requestsHelp = "Stop after this many requests in total (on a profile: at most this many)."
    static let durationHelp = "Stop sending after this long (250ms, 10s, 2m, 1h). Default 10s unless -n is given. On a profile: cuts its stages there. (-z as in hey.)"
    static let threadsHelp = "Engine threads (default: the CPUs this process may run on). (-t as in wrk.)"
    static let maxDurationMicros: Int64 = 100 * 86_400 * 1_000_000
}

/// `scale`: limits of each level.
enum ScaleLimits: LimitWords {
    static let requestsHelp = "Requests per level."
    static let durationHelp = "Duration per level (default 5s unless -n is given)."
    static let threadsHelp = "Engine threads (default: the CPUs this process may run on)."
    static let maxDurationMicros: Int64 = 86_400 * 1_000_000
}
