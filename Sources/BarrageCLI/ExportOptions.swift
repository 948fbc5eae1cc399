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
