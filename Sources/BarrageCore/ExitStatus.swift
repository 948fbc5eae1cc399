/// Process exit codes shared by every subcommand. Stable: later features add codes, never renumber these.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// The work was carried out and at least one request was ok (thresholds, when given, passed).
    case ok = 0
    /// The work could not be carried out (output not writable, descriptor limit too low, internal failure), or a run
    /// measured nothing: not one ok response (`RunOutcome`; `scale`: at no level). 130 and 99 take precedence.
    case failure = 1
    /// Usage or configuration error: bad flag, value, URL, profile or expression.
    case usage = 2
    /// A threshold or regression gate failed.
    case gateFailed = 99
    /// Interrupted by SIGINT or SIGTERM after writing what was measured.
    case interrupted = 130
}

/// An error that ends a subcommand with one line on stderr and a specific exit status.
public struct BarrageError: Error, Sendable, CustomStringConvertible {
    public var status: ExitStatus
    public var message: String

    public init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// A usage or configuration error (exit 2) naming the flag, value or file.
    public static func usage(_ message: String) -> BarrageError { BarrageError(.usage, message) }
    /// The work could not be carried out (exit 1).
    public static func failure(_ message: String) -> BarrageError { BarrageError(.failure, message) }

    public var description: String { message }
}
