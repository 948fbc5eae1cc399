import ArgumentParser
import Foundation
import BarrageCore
import BarrageEngine
import BarrageTargetServer

extension Barrage {
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The sequential-vs-concurrent experiment, offline: 10 × 10 MB one after another, then all at once.",
            discussion: """
            Starts the embedded target server on loopback and downloads a 10 MB body ten times sequentially, then \
            ten at once, from /drip paced so one download takes about 1.2 s. Each download waits on the server's \
            pacing, not on the CPU, so ten waits overlap: the concurrent half takes about as long as one download. \
            Then a short scale sweep (1 … 256 in flight against /delay/50) with its chart.

            Writes downloads.json, downloads.svg, scale.json and scale.svg to --out.

            Examples:
              barrage demo
              barrage demo --out /tmp/demo --no-scale
            """
        )

        @Option(help: ArgumentHelp("Directory for the demo's files.", valueName: "dir"))
        var out: String = "barrage-demo"

        @Flag(help: "Skip the scale sweep.")
        var noScale = false

        static let downloadBytes = 10_485_760
        static let downloads = 10
        /// One download paced to 1.2 s, as in the original experiment.
        static let rate = 8_738_133

        func run() throws {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let files = ["downloads.json", "downloads.svg", "scale.json", "scale.svg"].map {
                OutputFile(path: (out as NSString).appendingPathComponent($0), flag: "--out")
            }
            for f in files { try f.checkWritable() }
            Signals.install()
            let signalsBefore = Signals.count

            let server: TargetServer
            do { server = try TargetServer.start(host: "127.0.0.1", port: 0) } catch {
                throw BarrageError.failure("cannot start the embedded target server: \(error)")
            }
            defer { try? server.shutdown() }
            let url = "\(server.baseURL)/drip/\(Self.downloadBytes)?rate=\(Self.rate)"
            printFlush("Barrage demo · target server at \(server.baseURL)")
            printFlush("\(Self.downloads) downloads of 10 MB (\(TextReport.grouped(Self.downloadBytes)) bytes), each paced by the server to ~1.2 s\n")

            func inputs(url: String, load: LoadFlags, timeoutMicros: Int64) -> PlanInputs {
                PlanInputs(source: .flags(load, target: RequestTarget(url: url)), request: RequestOverride(timeoutMicros: timeoutMicros),
                           threads: SystemLimits.availableCPUs())
            }
            func plan(concurrency: Int) throws -> RunPlan {
                try PlanBuilder.build(inputs(url: url, load: LoadFlags(concurrency: concurrency, requests: Self.downloads),
                                             timeoutMicros: 120_000_000))
            }
            printFlush("sequential: one download at a time on one connection…")
            let sequential = try LevelRunner.run(try plan(concurrency: 1), signalsBefore: signalsBefore).result
            var concurrent: RunResult? = nil
            if !sequential.interrupted {
                printFlush("concurrent: all \(Self.downloads) in flight at once…")
                concurrent = try LevelRunner.run(try plan(concurrency: Self.downloads), signalsBefore: signalsBefore).result
            }
            let seqSeconds = Double(sequential.duration_us) / 1_000_000
            let conSeconds = Double(concurrent?.duration_us ?? 0) / 1_000_000
            let speedup = conSeconds > 0 ? seqSeconds / conSeconds : 0
            let expectedBytes = Int64(Self.downloads * Self.downloadBytes)
            printFlush("")
            printFlush("sequential \(Self.downloads) × 10 MB: \(fixed(seqSeconds, 2)) s   concurrent: \(fixed(conSeconds, 2)) s   speedup \(fixed(speedup, 1))×")
            let bars: [(label: String, value: Double, text: String)] = [
                ("sequential", seqSeconds, "\(fixed(seqSeconds, 2)) s"),
                ("concurrent", conSeconds, "\(fixed(conSeconds, 2)) s"),
            ]
            printFlush(ScaleCharts.terminalBars(bars))
            for (name, r) in [("sequential", sequential), ("concurrent", concurrent)] {
                guard let r else { continue }
                let ok = r.throughput.body_bytes_in == expectedBytes && r.requests.ok == Self.downloads
                printFlush("  \(name): \(r.requests.ok)/\(Self.downloads) ok, \(TextReport.grouped(Int(r.throughput.body_bytes_in))) body bytes \(ok ? "✓" : "✗ expected \(TextReport.grouped(Int(expectedBytes)))")")
            }
            printFlush("""

            Why: the server sends each body at a fixed pace per connection, so a download spends its time waiting for \
            bytes, not using the CPU. One after another, the waits add up (10 × 1.2 s); in flight together they \
            overlap, and all ten finish in about the time of one.

            """)
            let downloads = DemoDownloads(download_bytes: Self.downloadBytes, downloads: Self.downloads,
                                          rate_bytes_per_s: Self.rate, sequential_us: sequential.duration_us,
                                          concurrent_us: concurrent?.duration_us ?? 0, speedup: speedup,
                                          sequential: sequential, concurrent: concurrent)
            try files[0].write(try downloads.jsonData())
            try files[1].write(Data(ScaleCharts.svgBars(bars, title: "\(Self.downloads) × 10 MB: sequential vs concurrent (\(fixed(speedup, 1))×)", yLabel: "wall time (s)").utf8))
            printFlush("wrote \(files[0].path), \(files[1].path)")

            if !noScale && Signals.count == signalsBefore {
                printFlush("\nscale sweep: 1 … 256 in flight against /delay/50, 2 s per level")
                let base = inputs(url: "\(server.baseURL)/delay/50", load: LoadFlags(concurrency: 256, durationMicros: 2_000_000),
                                  timeoutMicros: 10_000_000)
                try LevelRunner.checkDescriptors(for: try PlanBuilder.build(base))
                let sweep = try ScaleSweep.run(base: base, levels: [1, 2, 4, 8, 16, 32, 64, 128, 256], quiet: true)
                printFlush(sweep.result.text)
                printFlush(ScaleCharts.terminal(sweep.result.chartPoints, fit: sweep.result.usl))
                try files[2].write(try sweep.result.jsonData())
                try files[3].write(Data(ScaleCharts.svg(sweep.result.chartPoints, fit: sweep.result.usl, title: "Scaling of GET /delay/50 on the embedded server").utf8))
                printFlush("wrote \(files[2].path), \(files[3].path)")
            }
            if Signals.count > signalsBefore { throw ExitCode(ExitStatus.interrupted.rawValue) }
            // A half of the experiment with no ok response measured nothing (the embedded server is broken).
            for (name, r) in [("sequential", sequential), ("concurrent", concurrent)] {
                if let r, let nothing = RunOutcome.line(r) { throw BarrageError.failure("demo, \(name) downloads: \(nothing)") }
            }
        }
    }
}

/// `downloads.json`: the two halves of the experiment.
struct DemoDownloads: Encodable {
    var schema = "barrage.demo.v1"
    var download_bytes: Int
    var downloads: Int
    var rate_bytes_per_s: Int
    var sequential_us: Int64
    var concurrent_us: Int64
    var speedup: Double
    var sequential: RunResult
    var concurrent: RunResult?

    func jsonData() throws -> Data {
        try JSONOutput.encode(self)
    }
}
