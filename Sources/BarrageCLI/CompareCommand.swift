import ArgumentParser
import Foundation
import BarrageCore

extension Barrage {
    struct CompareRuns: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compare",
            abstract: "Compare two results and gate on regressions beyond the noise.",
            discussion: """
            Prints rps, error rate, mean, p50, p90, p99, p99.9 and max side by side with absolute and relative change \
            and a 95 % confidence interval of the change from a bootstrap over each run's seconds (fixed seed, so the \
            same files always give the same answer). A --max-regression gate fails only when the change is worse than \
            its limit and outside the noise; then the exit code is 99.

            Examples:
              barrage compare baseline.json new.json
              barrage compare baseline.json new.json --max-regression p99=10% \\
                  --max-regression rps=5% --max-regression error_rate=0.5pp
              barrage compare baseline.json new.json --html compare.html
            """
        )

        @Argument(help: "The baseline result (barrage.result.v1).")
        var base: String

        @Argument(help: "The new result (barrage.result.v1).")
        var new: String

        @Option(name: .customLong("max-regression"), help: ArgumentHelp("Gate: METRIC=N% (relative) or error_rate=Npp (percentage points); metrics rps, error_rate, mean, p50, p90, p99, p99.9, max (repeatable).", valueName: "gate"))
        var maxRegression: [String] = []

        @Option(help: ArgumentHelp("Write the comparison as JSON.", valueName: "path"))
        var json: String?

        @Option(help: ArgumentHelp("Write the gates as JUnit XML.", valueName: "path"))
        var junit: String?

        @Option(help: ArgumentHelp("Write one self-contained HTML page with both runs overlaid (spectrum, throughput, latency over time) and the verdicts.", valueName: "path"))
        var html: String?

        func validate() throws {
            for g in maxRegression { _ = try Compare.parseGate(g) }
        }

        func run() throws {
            let gates = try maxRegression.map(Compare.parseGate)
            let outputs = [json.map { OutputFile(path: $0, flag: "--json") }, junit.map { OutputFile(path: $0, flag: "--junit") },
                           html.map { OutputFile(path: $0, flag: "--html") }].compactMap { $0 }
            try OutputFile.prepare(outputs)
            let baseResult = try ResultFile.run(atPath: base)
            let newResult = try ResultFile.run(atPath: new)
            let comparison = Compare.compare(base: baseResult, new: newResult, gates: gates)
            printFlush(comparison.text(baseName: base, newName: new))
            if let json { try OutputFile(path: json, flag: "--json").write(try comparison.jsonData()) }
            if let html {
                let page = HTMLReport.render(comparison: comparison, base: baseResult, new: newResult,
                                             baseName: (base as NSString).lastPathComponent, newName: (new as NSString).lastPathComponent)
                try OutputFile(path: html, flag: "--html").write(Data(page.utf8))
            }
            if let junit {
                let cases = comparison.gates.map { (name: $0.spec, ok: $0.ok, message: $0.message) }
                try OutputFile(path: junit, flag: "--junit").write(Data(JUnitReport.xml(suiteName: "barrage.compare", cases: cases).utf8))
            }
            if !comparison.gatesPassed { throw ExitCode(ExitStatus.gateFailed.rawValue) }
        }
    }
}
