import ArgumentParser
import Foundation
import BarrageCore

/// Exports beside the JSON result: HdrHistogram files, the timeline as CSV, the HTML report. Any path may be `-`
/// (standard output), one at most.
struct ExportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write an HdrHistogram interval log (format 1.3; one line per second, Tag=NAME lines per target).", valueName: "path"))
    var hlog: String?

    @Option(help: ArgumentHelp("Write the latency percentile distribution (HdrHistogram text, values in ms).", valueName: "path"))
    var percentiles: String?

    @Option(help: ArgumentHelp("Write the latency percentile distribution as CSV.", valueName: "path"))
    var percentilesCsv: String?

    @Option(help: ArgumentHelp("Write the per-second timeline as CSV.", valueName: "path"))
    var csv: String?

    @Option(help: ArgumentHelp("Write a self-contained HTML report.", valueName: "path"))
    var html: String?

    var files: [OutputFile] {
        [hlog.map { OutputFile(path: $0, flag: "--hlog") }, percentiles.map { OutputFile(path: $0, flag: "--percentiles") },
         percentilesCsv.map { OutputFile(path: $0, flag: "--percentiles-csv") }, csv.map { OutputFile(path: $0, flag: "--csv") },
         html.map { OutputFile(path: $0, flag: "--html") }].compactMap { $0 }
    }


    func write(_ r: RunResult) throws {
        if let hlog { try OutputFile(path: hlog, flag: "--hlog").write(Data(HdrLog.render(r).utf8)) }
        if let percentiles {
            try OutputFile(path: percentiles, flag: "--percentiles").write(Data(try PercentileDistribution.render(r.latency_us).utf8))
        }
        if let percentilesCsv {
            try OutputFile(path: percentilesCsv, flag: "--percentiles-csv").write(Data(try PercentileDistribution.render(r.latency_us, csv: true).utf8))
        }
        if let csv { try OutputFile(path: csv, flag: "--csv").write(Data(TimelineCSV.render(r).utf8)) }
        if let html { try OutputFile(path: html, flag: "--html").write(Data(HTMLReport.render(r).utf8)) }
    }
}

extension Barrage {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn a result (or a scale result) into an HTML report or HdrHistogram files.",
            discussion: """
            Examples:
              barrage report result.json --html report.html
              barrage report result.json --hlog run.hlog --percentiles run.hgrm
              barrage report scale.json --html scale.html
            """
        )

        @Argument(help: "A barrage.result.v1 or barrage.scale.v1 file.")
        var input: String

        @Option(help: ArgumentHelp("A scale result to include in the HTML report.", valueName: "path"))
        var scale: String?

        @OptionGroup var exports: ExportOptions

        func run() throws {
            guard exports.html != nil || !exports.files.isEmpty else {
                throw BarrageError.usage("report: name at least one output (--html, --hlog, --percentiles, --percentiles-csv, --csv)")
            }
            try OutputFile.prepare(exports.files)
            let data = try ResultFile.contents(atPath: input)
            if ResultFile.schema(of: data) == ScaleResult.schemaID {
                guard let html = exports.html, exports.files.count == 1 else {
                    throw BarrageError.usage("\(input): a scale result gives only --html")
                }
                let s = try ResultFile.scale(data, name: input)
                try OutputFile(path: html, flag: "--html").write(Data(HTMLReport.render(scale: s).utf8))
                return
            }
            let result = try ResultFile.run(data, name: input)
            if let scale, let html = exports.html {
                let sdata = try ResultFile.contents(atPath: scale, label: "--scale \(scale)")
                try OutputFile(path: html, flag: "--html").write(Data(HTMLReport.render(result, scale: try ResultFile.scale(sdata, name: scale)).utf8))
                var rest = exports
                rest.html = nil
                try rest.write(result)
            } else {
                try exports.write(result)
            }
        }
    }

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
            if !thresholds.isEmpty { printFlush(ThresholdEvaluator.summary(merged.thresholds)) }
            try out.write(try merged.jsonData())
            try exports.write(merged)
            try gates.writeReports(result: merged, thresholds: merged.thresholds)
            if !ThresholdEvaluator.allPassed(merged.thresholds) { throw ExitCode(ExitStatus.gateFailed.rawValue) }
        }
    }
}
