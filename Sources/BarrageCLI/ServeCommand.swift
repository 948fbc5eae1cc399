import Foundation
import ArgumentParser
import Glibc
import BarrageCore
import BarrageTargetServer

extension Barrage {
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the embedded target server (for demos, tests and benchmarks).",
            discussion: """
            Prints `listening on http://HOST:PORT` as its first line, then serves until SIGINT or SIGTERM.

            Routes (any method, except where the demo API names one):
            \(TargetServer.routeHelp.map { "  " + $0.example.padding(toLength: 37, withPad: " ", startingAt: 0) + $0.answer }.joined(separator: "\n"))

            Examples:
              barrage serve --port 0
              barrage serve --host 127.0.0.1 --port 8080 --threads 1
            """
        )

        @Option(help: "Address to listen on.")
        var host: String = "127.0.0.1"

        @Option(parsing: .unconditional, help: ArgumentHelp("Port to listen on; 0 picks a free one.", valueName: "port"))
        var port = FlagValue.Whole(argument: "0")

        @Option(name: [.customShort("t"), .long], parsing: .unconditional, help: ArgumentHelp("Event loop threads (default: all cores).", valueName: "n"))
        var threads: FlagValue.Whole?

        func validate() throws {
            _ = try port.checked("--port", in: 0...65_535)
            _ = try threads?.checked("--threads", in: 1...1_024)
        }

        func run() throws {
            Signals.install()
            let server: TargetServer
            let port = try port.checked("--port", in: 0...65_535)
            do {
                server = try TargetServer.start(host: host, port: port,
                                                threads: try threads?.checked("--threads", in: 1...1_024))
            } catch {
                throw BarrageError.failure("serve: cannot listen on \(host):\(port) (\(ListenFailure.reason(error)))")
            }
            printFlush("listening on \(server.baseURL)")
            while Signals.count == 0 { usleep(100_000) }
            try server.shutdown()
            writeStderr("barrage serve: \(server.requestsReceived) requests received\n")
        }
    }
}
