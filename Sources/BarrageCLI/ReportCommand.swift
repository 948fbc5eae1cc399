import ArgumentParser
import Foundation
import BarrageCore

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
}
