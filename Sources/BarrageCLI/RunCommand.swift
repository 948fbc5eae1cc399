import ArgumentParser
import Foundation
import BarrageCore
import BarrageEngine

extension Barrage {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send load to a URL and report latency and throughput.",
            discussion: """
            Closed model: N workers each send a request, wait for its response, and send again, until the \
            request count or the duration is reached (with neither: 10s). Requests in flight at the end finish \
            within the timeout and are counted.

            Examples:
              barrage run http://127.0.0.1:8080/ -c 50 -d 10s --json result.json
              barrage run http://127.0.0.1:8080/echo -m POST --body '{"a":1}' -H 'Content-Type: application/json' -n 1000
            """
        )

        @Argument(help: "The URL to load (http:// or https://).")
        var url: String

        @Option(name: .shortAndLong, help: "Workers: requests in flight at once, one connection each.")
        var concurrency: Int = 50

        @Option(name: [.customShort("n"), .long], help: "Stop after this many requests in total.")
        var requests: Int?

        @Option(name: .shortAndLong, help: ArgumentHelp("Stop sending after this long (250ms, 10s, 2m, 1h). Default 10s unless -n is given.", valueName: "duration"))
        var duration: String?

        @OptionGroup var request: RequestOptions

        @Option(help: "Engine threads (default: the CPUs this process may run on).")
        var threads: Int?

        @Option(help: ArgumentHelp("Write the result as JSON (barrage.result.v1) to this path.", valueName: "path"))
        var json: String?

        @Flag(help: "Print only the final summary.")
        var quiet = false

        func validate() throws {
            try RequestOptions.checkURL(url)
            guard concurrency >= 1, concurrency <= 1_000_000 else {
                throw BarrageError.usage("--concurrency \(concurrency): must be between 1 and 1000000")
            }
            if let requests, requests < 1 {
                throw BarrageError.usage("--requests \(requests): must be at least 1")
            }
            if let duration {
                _ = try RequestOptions.duration(duration, flag: "--duration", min: 1_000, max: 100 * 86_400 * 1_000_000)
            }
            if let threads, threads < 1 || threads > 1024 {
                throw BarrageError.usage("--threads \(threads): must be between 1 and 1024")
            }
        }

        func plan() throws -> RunPlan {
            var durationMicros: Int64? = nil
            if let duration {
                durationMicros = try RequestOptions.duration(duration, flag: "--duration", min: 1_000, max: 100 * 86_400 * 1_000_000)
            } else if requests == nil {
                durationMicros = 10_000_000
            }
            return try request.plan(url: url, concurrency: concurrency, requests: requests,
                                    durationMicros: durationMicros, threads: threads)
        }

        func run() throws {
            let plan = try plan()
            let output = json.map { OutputFile(path: $0, flag: "--json") }
            try output?.checkWritable()
            let execution = try RunExecution(plan: plan, quiet: quiet)
            let result = try execution.execute()
            printFlush(TextReport.render(result))
            try output?.write(try result.jsonData())
            if result.interrupted { throw ExitCode(ExitStatus.interrupted.rawValue) }
        }
    }
}

/// Runs a plan with the process-level duties around it: descriptor limits, signals, the plan line.
struct RunExecution {
    let plan: RunPlan
    let quiet: Bool

    init(plan: RunPlan, quiet: Bool) throws {
        self.plan = plan
        self.quiet = quiet
        try LevelRunner.checkDescriptors(for: plan)
    }

    func execute() throws -> RunResult {
        Signals.install()
        if !quiet {
            var shape = "\(plan.concurrency) connections, \(plan.effectiveThreads) thread\(plan.effectiveThreads == 1 ? "" : "s")"
            if let d = plan.durationMicros { shape += ", for \(DurationParser.format(micros: d))" }
            if let n = plan.requestLimit { shape += ", \(TextReport.grouped(n)) requests" }
            let t = plan.targets[0]
            printFlush("Running \(t.method) \(Redaction.url(t.url)) · \(shape) · HTTP/\(plan.httpVersion)\(plan.keepAlive ? "" : " · no keep-alive")")
        }
        return try LevelRunner.run(plan, signalsBefore: Signals.count).result
    }
}
