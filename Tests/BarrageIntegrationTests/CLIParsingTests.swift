import XCTest
import ArgumentParser
import BarrageCore
import BarrageTestSupport
@testable import BarrageCLI
@testable import BarrageTargetServer

/// Flags, their error lines and help, parsed without running anything.
final class CLIParsingTests: XCTestCase {
    /// The one line the entry point prints for `args` (nil when they parse and validate).
    private func errorLine(_ args: [String]) -> String? {
        if let help = BarrageMain.unknownHelpTopic(args) { return help }
        do {
            _ = try Barrage.parseAsRoot(args)
            return nil
        } catch {
            return BarrageMain.usageLine(for: error)
        }
    }

    func testNumbersAndDurationsHaveOneErrorStyle() {
        let url = "http://127.0.0.1:1/"
        let cases: [([String], String)] = [
            (["run", url, "-d", "-1s"], "--duration '-1s': expected a duration from 1.00ms to 2400h00m, like 250ms, 10s, 2m or 1h"),
            (["run", url, "-d", "10"], "--duration '10': a duration needs a unit, e.g. 10s or 10ms"),
            (["run", url, "-c", "-5"], "--concurrency '-5': expected a whole number from 1 to 1000000"),
            (["run", url, "-c", "many"], "--concurrency 'many': expected a whole number from 1 to 1000000"),
            (["run", url, "--rate", "-5", "-d", "1s"], "--rate '-5': expected requests per second above 0 and at most 10000000, e.g. 500"),
            (["run", url, "--rate", "abc", "-d", "1s"], "--rate 'abc': expected requests per second above 0 and at most 10000000, e.g. 500"),
            (["run", url, "-n", "-1"], "--requests '-1': expected a whole number from 1 to \(Int.max)"),
            (["run", url, "--threads", "0"], "--threads '0': expected a whole number from 1 to 1024"),
            (["run", url, "--rate", "5", "-d", "1s", "--max-in-flight", "-3"], "--max-in-flight '-3': expected a whole number from 1 to 1000000"),
            (["run", url, "--timeout", "-2s"], "--timeout '-2s': expected a duration from 1.00ms to 1h00m, like 250ms, 10s, 2m or 1h"),
            (["run", url, "--follow-redirects", "-1"], "--follow-redirects '-1': expected a whole number from 0 to 1000"),
            (["scale", url, "-n", "-1"], "--requests '-1': expected a whole number from 1 to \(Int.max)"),
            (["scale", url, "--levels", "-4"], "--levels '-4': '-4' is not a concurrency between 1 and 100000"),
            (["run", url, "--progress-interval", "-1s"], "--progress-interval '-1s': expected a duration from 100ms to 1h00m, like 250ms, 10s, 2m or 1h"),
            (["run", url, "--buffer-size", "-4k"], "--buffer-size '-4k': expected a size from 1k to 512k, like 4k or 16384"),
            (["serve", "--port", "-1"], "--port '-1': expected a whole number from 0 to 65535"),
            (["serve", "--port", "70000"], "--port '70000': expected a whole number from 0 to 65535"),
        ]
        for (args, expected) in cases {
            XCTAssertEqual(errorLine(args), expected, "\(args)")
        }
    }

    func testBadURLsAreUsageErrors() {
        XCTAssertEqual(errorLine(["run", "http://127.0.0.1:99999/", "-c", "2", "-d", "500ms"]),
                       "URL 'http://127.0.0.1:99999/': port 99999 is out of range (1-65535)")
        XCTAssertEqual(errorLine(["run", "http://127.0.0.1:8080/a b"]), "URL 'http://127.0.0.1:8080/a b': contains a space (write %20)")
        XCTAssertEqual(errorLine(["scale", "http://127.0.0.1:0/"]), "URL 'http://127.0.0.1:0/': port 0 is out of range (1-65535)")
    }

    func testOtherToolsFlags() throws {
        let run = try XCTUnwrap(try Barrage.parseAsRoot(["run", "http://127.0.0.1:1/", "-t", "2", "-z", "5s"]) as? Barrage.Run)
        XCTAssertEqual(try run.threads.count(), 2, "-t is --threads, as in wrk")
        XCTAssertEqual(run.limits.duration?.text, "5s", "-z is --duration, as in hey")
        XCTAssertEqual(try run.limits.durationMicros(), 5_000_000)
        let cases: [(String, String)] = [
            ("-q", "-q: Barrage's rate is --rate REQ/S for the whole run (hey's -q is per worker: multiply it by -c)"),
            ("-k", "-k: keep-alive is the default (--no-keepalive turns it off); to skip TLS verification use --insecure"),
            ("-o", "-o: write the result with --json PATH (- for standard output)"),
            ("-T", "-T: set the content type with -H 'Content-Type: …'"),
            ("--latency", "--latency: the latency distribution is always shown"),
            ("--vus", "--vus: virtual users are -c/--concurrency workers (the closed model)"),
        ]
        for (flag, expected) in cases {
            XCTAssertEqual(errorLine(["run", "http://127.0.0.1:1/", flag, "10"]), expected, flag)
        }
        XCTAssertEqual(errorLine(["run", "http://127.0.0.1:1/", "--vus=10"]), cases[5].1)
        XCTAssertNil(errorLine(["merge", "a.json", "-o", "m.json"]), "merge's own -o is not foreign")
    }

    func testProfileLoadFlags() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let profile = dir.appendingPathComponent("p.yaml").path
        try "targets: [{ url: \"http://127.0.0.1:1/\" }]\nload: { model: closed, stages: [{ duration: 2s, concurrency: 4 }] }\n"
            .write(toFile: profile, atomically: true, encoding: .utf8)
        for extra in [["-c", "10"], ["-d", "1s"], ["-n", "5"], ["--rate", "5"], ["-c", "2", "-d", "1s", "-n", "3"]] {
            XCTAssertNil(errorLine(["run", profile] + extra), "\(extra)")
        }
        for flag in ["--ramp-rate", "--ramp-concurrency", "--max-in-flight", "--max-lateness", "--arrival"] {
            let value = ["--ramp-rate": "0->5:1s", "--ramp-concurrency": "0->5:1s", "--max-in-flight": "5", "--max-lateness": "1s",
                         "--arrival": "poisson"][flag]!
            let line = errorLine(["run", profile, flag, value])
            XCTAssertTrue(line?.hasPrefix("\(flag): the profile \(profile) sets the load shape") == true, "\(flag): \(line ?? "nil")")
        }
        XCTAssertEqual(errorLine(["run", profile, "-c", "2", "--rate", "5"]), "--concurrency and --rate: give one, not both")
        let run = try XCTUnwrap(try Barrage.parseAsRoot(["run", profile, "-c", "3", "-n", "7"]) as? Barrage.Run)
        let plan = try run.plan()
        XCTAssertEqual(plan.concurrency, 3)
        XCTAssertEqual(plan.requestLimit, 7)
        XCTAssertEqual(plan.overrides, ["--concurrency 3", "--requests 7"])
        // --seed replaces the profile's seed (target choice, arrivals, a flow's random values), and is recorded.
        let seeded = try XCTUnwrap(try Barrage.parseAsRoot(["run", profile, "--seed", "9"]) as? Barrage.Run).plan()
        XCTAssertEqual(seeded.seed, 9)
        XCTAssertEqual(seeded.overrides, ["--seed 9"])
    }

    func testOnlyOneOutputOnStandardOutput() {
        XCTAssertEqual(errorLine(["run", "http://127.0.0.1:1/", "-n", "1", "--json", "-", "--html", "-"]),
                       "--json and --html: only one output can be standard output (-); give the others a path")
        XCTAssertNil(errorLine(["run", "http://127.0.0.1:1/", "-n", "1", "--json", "-", "--html", "r.html"]))
    }

    func testHelp() throws {
        // Examples never wrap inside a command at 80 columns.
        let commands: [ParsableCommand.Type] = [Barrage.self, Barrage.Run.self, Barrage.Validate.self, Barrage.Scale.self, Barrage.Demo.self,
                                                Barrage.CompareRuns.self, Barrage.Merge.self, Barrage.Report.self, Barrage.Serve.self, Barrage.Version.self]
        for command in commands {
            let help = Barrage.helpMessage(for: command, columns: 80)
            let lines = Set(help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
            for line in command.configuration.discussion.split(separator: "\n") where line.hasPrefix("  barrage") || line.hasPrefix("      ") {
                XCTAssertTrue(lines.contains(String(line)), "\(command): '\(line)' wraps")
            }
        }
        // The top-level help starts with one example to run first.
        let root = Barrage.helpMessage(columns: 80).split(separator: "\n").prefix(4).joined(separator: "\n")
        XCTAssertTrue(root.contains("  barrage demo"), root)
        // merge and report list only their own flags.
        for command in [Barrage.Merge.self, Barrage.Report.self] as [ParsableCommand.Type] {
            let help = Barrage.helpMessage(for: command, columns: 80)
            XCTAssertFalse(help.contains("--raw"), "\(command)")
            XCTAssertFalse(help.contains("--abort-on-fail"), "\(command)")
        }
        XCTAssertTrue(errorLine(["merge", "a.json", "-o", "m.json", "--raw", "x"])?.hasPrefix("Unknown option '--raw'") == true)
        XCTAssertTrue(errorLine(["report", "a.json", "--abort-on-fail"])?.hasPrefix("Unknown option '--abort-on-fail'") == true)
        // help on an unknown command is an error.
        XCTAssertEqual(errorLine(["help", "bogus"]),
                       "help: no command named 'bogus' (commands: run, validate, import, scale, capacity, demo, compare, merge, report, serve, version)")
        XCTAssertNil(BarrageMain.unknownHelpTopic(["help", "run"]))
        // serve --help lists every route, and every listed example is a route the server answers.
        let serve = Barrage.helpMessage(for: Barrage.Serve.self, columns: 80)
        var kinds = Set<String>()
        for (example, _) in TargetServer.routeHelp {
            XCTAssertTrue(serve.contains(example), example)
            kinds.insert(Self.kind(Route(uri: example)))
        }
        XCTAssertFalse(kinds.contains("none"))
        XCTAssertEqual(kinds.count, 25, "one example per route: \(kinds.sorted())")
        XCTAssertTrue(serve.split(separator: "\n").allSatisfy { $0.count < 80 }, serve)
    }

    /// A name per route and fault (exhaustive: a new route fails to compile here until it is listed).
    static func kind(_ route: Route) -> String {
        switch route {
        case .root: return "root"
        case .bytes: return "bytes"
        case .delay: return "delay"
        case .status: return "status"
        case .redirect: return "redirect"
        case .drip: return "drip"
        case .echo: return "echo"
        case .stats: return "stats"
        case .stall: return "stall"
        case .capacity: return "capacity"
        case .webSocket: return "ws"
        case .fault(let f):
            switch f {
            case .reset: return "reset"
            case .close: return "close"
            case .stallHeaders: return "stall-headers"
            case .truncate: return "truncate"
            case .badStatus: return "bad-status"
            case .hugeHeaders: return "huge-headers"
            case .ratio: return "ratio"
            case .closeEvery: return "close-every"
            }
        case .api(let endpoint):
            switch endpoint {
            case .login: return "api-login"
            case .items: return "api-items"
            case .item: return "api-item"
            case .cart: return "api-cart"
            case .pay: return "api-pay"
            case .session: return "api-session"
            case .notFound, .badRequest: return "none"
            }
        case .notFound, .badRequest, .badParameter: return "none"
        }
    }
}
