import ArgumentParser
import Foundation
import BarrageCore

extension Barrage {
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge results of the same plan exactly: counters add, histograms add, percentiles recomputed.",
            discussion: """
            For repeated runs or the segments of a segmented run. Histograms are decoded from each summary's hdr \
            (HdrHistogram V2) and added, so percentiles of the merge are exact — never averaged. Inputs of another \
            schema, or whose plans differ, are refused naming the difference (exit 2) unless --force. The same run \
            twice (the same run_id and segment) is refused, whatever the flags. Segments of one run share one clock; \
            repeated runs are concatenated, one after the other. Thresholds can be evaluated on the merged result \
            (exit 99 when one fails).

            Examples:
              barrage merge part-1.json part-2.json part-3.json -o merged.json
              barrage merge run-a.json run-b.json -o merged.json \\
                  --threshold 'p99 < 250ms' --html merged.html
            """
        )

        @Argument(help: "Results to merge (barrage.result.v1).")
        var inputs: [String]

        @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the merged result (- for standard output).", valueName: "path"))
        var output: String

        @Flag(help: "Merge even when the plans differ.")
        var force = false

        @Flag(help: "Merge segments even when some are missing; the result is marked partial.")
        var allowPartial = false

        @OptionGroup var gates: GateOptions
        @OptionGroup var exports: ExportOptions

        func run() throws {
            guard inputs.count >= 1 else { throw BarrageError.usage("merge: give at least one input") }
            let out = OutputFile(path: output, flag: "--output")
            try OutputFile.prepare([out] + gates.outputs + exports.files)
            var loaded: [(name: String, result: RunResult)] = []
            for path in inputs {
                loaded.append((path, try ResultFile.run(atPath: path)))
            }
            var merged = try ResultMerge.merge(loaded, force: force, allowPartial: allowPartial)
            if merged.partial == true { writeStderr("barrage: warning: merged a partial set of segments; the result is marked partial\n") }
            let thresholds = try gates.parsed()
            for t in thresholds { try t.validate(against: merged.plan) }
            merged.thresholds = ThresholdEvaluator.evaluate(thresholds, on: merged)
            printFlush(TextReport.render(merged))
            if !thresholds.isEmpty { printFlush(ThresholdEvaluator.summary(merged.thresholds, run: merged)) }
            try out.write(try merged.jsonData())
            try exports.write(merged)
            try gates.writeReports(result: merged, thresholds: merged.thresholds)
            if !ThresholdEvaluator.allPassed(merged.thresholds) { throw ExitCode(ExitStatus.gateFailed.rawValue) }
        }
    }
}
