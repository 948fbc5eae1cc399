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
            Routes (any method): /  ·  /bytes/N  ·  /delay/MS  ·  /status/CODE  ·  /drip/N?rate=BYTES_PER_SECOND  ·  /echo  ·  /stats

            Examples:
              barrage serve --port 0
              barrage serve --host 127.0.0.1 --port 8080 --threads 1
            """
        )

        @Option(help: "Address to listen on.")
        var host: String = "127.0.0.1"

        @Option(help: "Port to listen on; 0 picks a free one.")
        var port: Int = 0

        @Option(help: "Event loop threads (default: all cores).")
        var threads: Int?

        func validate() throws {
            guard (0...65_535).contains(port) else { throw BarrageError.usage("--port \(port): must be between 0 and 65535") }
            if let threads, threads < 1 || threads > 1024 {
                throw BarrageError.usage("--threads \(threads): must be between 1 and 1024")
            }
        }

        func run() throws {
            Signals.install()
            let server: TargetServer
            do {
                server = try TargetServer.start(host: host, port: port, threads: threads)
            } catch {
                throw BarrageError.failure("cannot listen on \(host):\(port): \(error)")
            }
            printFlush("listening on \(server.baseURL)")
            while Signals.count == 0 { usleep(100_000) }
            try server.shutdown()
            writeStderr("barrage serve: \(server.requestsReceived) requests received\n")
        }
    }
}
