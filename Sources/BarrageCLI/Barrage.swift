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
        Try this first (starts a local target server and measures it, offline):
          barrage demo

        Then your own service:
          barrage run http://127.0.0.1:8080/ -c 50 -d 10s

        Exit codes: 0 done · 1 could not be carried out, or no ok response (measured nothing) · \
        2 usage or configuration error · 99 a threshold or gate failed · 130 interrupted (results still written). \
        Precedence: 130 > 99 > 1.
        """,
        version: "barrage \(Barrage.version)",
        subcommands: [Run.self, Validate.self, Import.self, Scale.self, Capacity.self, Demo.self, CompareRuns.self, Merge.self, Report.self, Serve.self, Version.self]
    )

    public init() {}
}

/// The entry point: parses, runs, and maps every error to one line on stderr and a stable exit code.
/// (swift-argument-parser on its own exits 64 on a validation error and prints the usage.)
public enum BarrageMain {
    public static func main(_ arguments: [String]? = nil) -> Never {
        var command: ParsableCommand
        let args = LiveOptions.normalizeDashboardFlag(arguments ?? Array(CommandLine.arguments.dropFirst()))
        if let message = unknownHelpTopic(args) { fail(message, status: .usage) }
        do {
            command = try Barrage.parseAsRoot(args)
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

    /// One line naming what was wrong, without the usage block. An unknown option that another load tool has gets
    /// Barrage's equivalent (`ForeignFlag`).
    static func usageLine(for error: Error) -> String {
        if let e = error as? BarrageError { return e.message }
        let full = Barrage.message(for: error)
        var first = full.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? full
        if first.hasPrefix("Error: ") { first = String(first.dropFirst(7)) }
        if first.hasPrefix("Unknown option '"), let end = first.dropFirst(16).firstIndex(of: "'"),
           let hint = ForeignFlag.hint(for: String(first.dropFirst(16)[..<end])) {
            return hint
        }
        return first
    }

    /// `barrage help NAME …` naming no command: argument-parser would print the top-level help and exit 0.
    static func unknownHelpTopic(_ args: [String]) -> String? {
        guard args.first == "help" else { return nil }
        var subcommands = Barrage.configuration.subcommands
        for name in args.dropFirst() where !name.hasPrefix("-") {
            var names: [String] = []
            var found: [ParsableCommand.Type] = []
            for sub in subcommands {
                let subName = sub._commandName
                names.append(subName)
                if subName == name { found = sub.configuration.subcommands }
            }
            guard names.contains(name) else {
                if names.isEmpty { return "help: '\(name)': this command has no subcommands" }
                return "help: no command named '\(name)' (commands: \(names.joined(separator: ", ")))"
            }
            subcommands = found
        }
        return nil
    }

    static func fail(_ message: String, status: ExitStatus) -> Never {
        writeStderr("barrage: error: \(message)\n")
        exit(status.rawValue)
    }
}
