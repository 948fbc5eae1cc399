import Foundation
import Glibc
import BarrageCore
import BarrageEngine

/// `--start-at`: all pods of a segmented run begin together.
enum StartAt {
    /// Unix time in ms for an RFC 3339 moment or `+DURATION` from now.
    static func parse(_ text: String) throws -> Int64 {
        if text.hasPrefix("+") {
            guard let micros = DurationParser.micros(String(text.dropFirst())) else {
                throw BarrageError.usage("--start-at '\(text)': expected +DURATION (e.g. +5s) or an RFC 3339 time")
            }
            return Clock.epochMillisNow() + micros / 1000
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return Int64((d.timeIntervalSince1970 * 1000).rounded()) }
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return Int64((d.timeIntervalSince1970 * 1000).rounded()) }
        throw BarrageError.usage("--start-at '\(text)': expected an RFC 3339 time (2026-11-25T20:00:00Z) or +DURATION")
    }

    /// Sleeps until `epochMillis` (Ctrl-C ends the wait with exit 130; nothing was measured). Says so when the moment
    /// has already passed.
    static func wait(until epochMillis: Int64, quiet: Bool) throws {
        Signals.install()
        let before = Signals.count
        let now = Clock.epochMillisNow()
        if epochMillis <= now {
            writeStderr("barrage: the start time passed \(DurationParser.format(micros: (now - epochMillis) * 1000)) ago; starting now\n")
            return
        }
        if !quiet { printFlush("Waiting \(DurationParser.format(micros: (epochMillis - now) * 1000)) for the start time…") }
        while Clock.epochMillisNow() < epochMillis {
            if Signals.count > before { throw BarrageError(.interrupted, "interrupted before the start time; nothing was sent") }
            let left = epochMillis - Clock.epochMillisNow()
            usleep(useconds_t(max(1, min(left, 50)) * 1000))
        }
    }
}

extension Clock {
    static func epochMillisNow() -> Int64 { epochMillis() }
}
