import ArgumentParser
import BarrageCore
import Glibc

/// The root command. One subcommand per file.
public struct Barrage: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "barrage",
        abstract: "An HTTP load generator with honest numbers.",
        discussion: """
        Exit codes: 0 done · 1 could not be carried out, or no ok response (measured nothing) · \
        2 usage or configuration error · 99 a threshold or gate failed · 130 interrupted (results still written). \
        Precedence: 130 > 99 > 1.
        """,
        version: "barrage \(Barrage.version)",
        subcommands: [Run.self, Validate.self, Scale.self, Demo.self, CompareRuns.self, Merge.self, Report.self, Serve.self]
    )

    public init() {}
}

/// The entry point: parses, runs, and maps every error to one line on stderr and a stable exit code.
/// (swift-argument-parser on its own exits 64 on a validation error and prints the usage.)
public enum BarrageMain {
    public static func main(_ arguments: [String]? = nil) -> Never {
        var command: ParsableCommand
        do {
            command = try Barrage.parseAsRoot(arguments)
        } catch {
            if Barrage.exitCode(for: error) == .success {
                Barrage.exit(withError: error) // --help, --version: print and exit 0
            }
            fail(usageLine(for: error), status: .usage)
        }
        do {
            try command.run()
        } catch let error as BarrageError {
            fail(error.message, status: error.status)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            if Barrage.exitCode(for: error) == .success { Barrage.exit(withError: error) }
            fail("internal failure: \(error)", status: .failure)
        }
        exit(ExitStatus.ok.rawValue)
    }

    /// One line naming what was wrong, without the usage block.
    static func usageLine(for error: Error) -> String {
        if let e = error as? BarrageError { return e.message }
        let full = Barrage.message(for: error)
        let first = full.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? full
        return first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first
    }

    static func fail(_ message: String, status: ExitStatus) -> Never {
        writeStderr("barrage: error: \(message)\n")
        exit(status.rawValue)
    }
}
