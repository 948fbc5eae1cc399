import Foundation

/// The `run_id` a result carries: random for each run, so that `barrage merge` can refuse to count one run twice,
/// or given through `BARRAGE_RUN_ID` so that the segments of one run (started on several machines) share it.
public enum RunIdentity {
    /// The environment variable that sets the run id instead of a random one.
    public static let environmentVariable = "BARRAGE_RUN_ID"
    /// The longest run id accepted from the environment.
    public static let maxLength = 128

    /// The id for a run starting now: `BARRAGE_RUN_ID` when set, a random UUID (lower case) otherwise.
    /// - Throws: `BarrageError.usage` naming the variable when its value is empty, too long, or holds anything but
    ///   letters, digits and `.`, `_`, `-`, `:`.
    public static func forNewRun(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        guard let given = environment[environmentVariable] else { return UUID().uuidString.lowercased() }
        try validate(given)
        return given
    }

    /// Checks a run id given by the user (see `forNewRun`).
    public static func validate(_ id: String) throws {
        let allowed = id.unicodeScalars.allSatisfy { s in
            s.isASCII && (CharacterSet.alphanumerics.contains(s) || "._-:".unicodeScalars.contains(s))
        }
        guard !id.isEmpty, id.count <= maxLength, allowed else {
            throw BarrageError.usage("\(environmentVariable) '\(id.prefix(40))\(id.count > 40 ? "…" : "")': expected 1 to \(maxLength) letters, digits, '.', '_', '-' or ':'")
        }
    }
}
