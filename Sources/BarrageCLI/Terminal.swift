import Glibc
import Foundation
import BarrageCore
import Synchronization

/// Values that must never reach a report, an export or a log: those of `${VAR}`s whose names say they are secret.
/// Every line Barrage prints and every file it writes passes through `scrub`.
enum Secrets {
    private static let values = Mutex<[String]>([])

    static func add(_ new: [String]) {
        values.withLock { v in v += new.filter { $0.count >= 3 && !v.contains($0) } }
    }

    static func scrub(_ text: String) -> String {
        let current = values.withLock { $0 }
        guard !current.isEmpty else { return text }
        var out = text
        for v in current { out = out.replacingOccurrences(of: v, with: Redaction.mask) }
        return out
    }

    static func scrub(_ data: Data) -> Data {
        let current = values.withLock { $0 }
        guard !current.isEmpty, let text = String(data: data, encoding: .utf8) else { return data }
        var out = text
        for v in current {
            out = out.replacingOccurrences(of: v, with: Redaction.mask)
            // As JSON escapes it, too (a value with quotes, backslashes or slashes).
            if let encoded = try? JSONEncoder().encode(v), let s = String(data: encoded, encoding: .utf8) {
                out = out.replacingOccurrences(of: String(s.dropFirst().dropLast()), with: Redaction.mask)
            }
        }
        return Data(out.utf8)
    }
}

/// Writes to stderr unbuffered.
func writeStderr(_ text: String) {
    var text = Secrets.scrub(text)
    text.withUTF8 { buf in
        var offset = 0
        while offset < buf.count {
            let n = write(2, buf.baseAddress! + offset, buf.count - offset)
            if n <= 0 { break }
            offset += n
        }
    }
}

/// Where the human text goes: standard output, or stderr once an output file is standard output (`--json -`).
enum HumanOutput {
    private static let toStderr = Atomic<Bool>(false)

    static func moveToStderr() { toStderr.store(true, ordering: .relaxed) }

    static var isStderr: Bool { toStderr.load(ordering: .relaxed) }
}

/// Prints human text and flushes, so lines reach pipes promptly (tests read `serve`'s first line): to stdout, or to
/// stderr when stdout carries an output (`HumanOutput`).
func printFlush(_ text: String) {
    if HumanOutput.isStderr {
        writeStderr(text + "\n")
        return
    }
    print(Secrets.scrub(text))
    fflush(nil)
}
