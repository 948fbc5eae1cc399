import XCTest
import ArgumentParser
import BarrageCore
@testable import BarrageCLI

/// Flag values read once, at parse time, and the flags `run` and `scale` share — parsed without running anything.
final class FlagParsingTests: XCTestCase {
    private func command<C: ParsableCommand>(_ args: [String], as type: C.Type) throws -> C {
        try XCTUnwrap(try Barrage.parseAsRoot(args) as? C, "\(args)")
    }

    private func errorLine(_ args: [String]) -> String? {
        do {
            _ = try Barrage.parseAsRoot(args)
            return nil
        } catch {
            return BarrageMain.usageLine(for: error)
        }
    }

    func testValuesAreReadWhenParsed() throws {
        XCTAssertEqual(FlagValue.Whole(argument: " 42 ").value, 42)
        XCTAssertEqual(FlagValue.Whole(argument: "-5").value, -5, "a leading - is a value, for the range check to name")
        XCTAssertNil(FlagValue.Whole(argument: "many").value)
        XCTAssertEqual(FlagValue.Duration(argument: "250ms").value, 250_000)
        XCTAssertEqual(FlagValue.Duration(argument: "-1s").value, nil)
        XCTAssertNil(FlagValue.Duration(argument: "10").value)
        XCTAssertEqual(FlagValue.Rate(argument: "2.5").value, 2.5)
        XCTAssertNil(FlagValue.Rate(argument: "1e3").value, "no exponent")
        XCTAssertNil(FlagValue.Rate(argument: "-5").value, "no sign")
        XCTAssertEqual(FlagValue.Size(argument: "16K").value, 16_384)
        XCTAssertEqual(FlagValue.Size(argument: "1m").value, 1_048_576)
        XCTAssertNil(FlagValue.Size(argument: "\(Int.max)k").value, "overflow is not a size")
        XCTAssertEqual(FlagValue.Seed(argument: "\(UInt64.max)").value, UInt64.max)
    }

    func testRemoteWriteFlagsAreCheckedAndNeverEchoAHeaderValue() throws {
        let url = "http://127.0.0.1:1/"
        XCTAssertEqual(errorLine(["run", url, "--prometheus-rw", "ftp://x/write"]),
                       "--prometheus-rw 'ftp://x/write': expected an http:// or https:// URL, e.g. http://127.0.0.1:9090/api/v1/write")
        XCTAssertEqual(errorLine(["run", url, "--prometheus-rw-header", "X-Scope-OrgID: a"]), "--prometheus-rw-header needs --prometheus-rw")
        let bad = errorLine(["run", url, "--prometheus-rw", "http://127.0.0.1:9/api/v1/write", "--prometheus-rw-header", "Bearer s3cret"])
        XCTAssertEqual(bad, "--prometheus-rw-header: expected 'Name: value'")
        XCTAssertEqual(errorLine(["run", url, "--prometheus-rw", "http://127.0.0.1:9/w", "--push-interval", "100ms"])?.hasPrefix("--push-interval"), true)
        let run = try command(["run", url, "--prometheus-rw", "http://127.0.0.1:9/w", "--prometheus-rw-header", "Authorization: Basic eDp5",
                               "--push-interval", "2s"], as: Barrage.Run.self)
        XCTAssertEqual(try run.push.intervalMicros(), 2_000_000)
        XCTAssertEqual(run.push.prometheusRWHeaders, ["Authorization: Basic eDp5"])
    }

    func testCheckedNamesTheFlagAndTheRange() {
        func message(_ body: () throws -> Any) -> String? {
            do { _ = try body(); return nil } catch { return (error as? BarrageError)?.message }
        }
        XCTAssertEqual(message { try FlagValue.Whole(argument: "0").checked("--x", in: 1...9) }, "--x '0': expected a whole number from 1 to 9")
        XCTAssertEqual(message { try FlagValue.Duration(argument: "2h").checked("--x", min: 1_000, max: 3_600_000_000) },
                       "--x '2h': expected a duration from 1.00ms to 1h00m")
        XCTAssertEqual(message { try FlagValue.Duration(argument: "3").checked("--x", min: 0, max: 1) }, "--x '3': a duration needs a unit, e.g. 3s or 3ms")
        XCTAssertEqual(message { try FlagValue.Size(argument: "1m").checked("--x", min: 1_024, max: 524_288) },
                       "--x '1m': expected a size from 1k to 512k, like 4k or 16384")
        XCTAssertEqual(message { try FlagValue.Seed(argument: "-1").checked("--seed") }, "--seed '-1': expected a whole number from 0 to \(UInt64.max)")
        XCTAssertNil(message { try FlagValue.Size(argument: "512k").checked("--x", min: 1_024, max: 524_288) })
    }

    func testRunAndScaleShareTheLimitFlags() throws {
        let url = "http://127.0.0.1:1/"
        let run = try command(["run", url, "-n", "7", "-t", "3"], as: Barrage.Run.self)
        XCTAssertEqual(try run.limits.requestLimit(), 7)
        XCTAssertNil(try run.limits.durationMicros())
        XCTAssertEqual(try run.threads.count(), 3)
        let scale = try command(["scale", url, "-z", "2s", "--threads", "2"], as: Barrage.Scale.self)
        XCTAssertEqual(try scale.limits.durationMicros(), 2_000_000, "-z is -d in scale too")
        XCTAssertNil(try scale.limits.requestLimit())
        XCTAssertEqual(try scale.threads.count(), 2)
        // One declaration, each command's own longest duration: a run may last 100 days, a level one day.
        XCTAssertNil(errorLine(["run", url, "-d", "48h"]))
        XCTAssertEqual(errorLine(["scale", url, "-d", "48h"]), "--duration '48h': expected a duration from 1.00ms to 24h00m")
        XCTAssertEqual(errorLine(["scale", url, "-t", "-2"]), "--threads '-2': expected a whole number from 1 to 1024")
        // Each command keeps its own help for the shared flags.
        let runHelp = Barrage.helpMessage(for: Barrage.Run.self, columns: 200)
        let scaleHelp = Barrage.helpMessage(for: Barrage.Scale.self, columns: 200)
        XCTAssertTrue(runHelp.contains(RunLimits.durationHelp), runHelp)
        XCTAssertTrue(runHelp.contains(RunLimits.threadsHelp), runHelp)
        XCTAssertTrue(scaleHelp.contains(ScaleLimits.requestsHelp), scaleHelp)
        XCTAssertFalse(scaleHelp.contains("(-t as in wrk.)"), scaleHelp)
        // --threads stays listed after the request flags, where it always was.
        for help in [runHelp, scaleHelp] {
            let header = try XCTUnwrap(help.range(of: "--header <header>"))
            let threads = try XCTUnwrap(help.range(of: "--threads <n>"))
            let duration = try XCTUnwrap(help.range(of: "--duration <duration>"))
            XCTAssertLessThan(duration.lowerBound, header.lowerBound)
            XCTAssertLessThan(header.lowerBound, threads.lowerBound)
        }
    }

    func testEngineTuningFlagsAreHiddenAndReachThePlan() throws {
        let url = "http://127.0.0.1:1/"
        let run = try command(["run", url, "-n", "5", "--engine-mode", "socket", "--pacer-quantum", "500us"], as: Barrage.Run.self)
        XCTAssertEqual(try run.engine.tuning(environment: [:]), EngineTuning(driveMode: .socket, pacerQuantumMicros: 500))
        // The flags win; the environment fills in what they leave unset.
        let env = ["BARRAGE_ENGINE_MODE": "perform", "BARRAGE_PACER_QUANTUM_US": "80"]
        XCTAssertEqual(try run.engine.tuning(environment: env), EngineTuning(driveMode: .socket, pacerQuantumMicros: 500))
        let bare = try command(["run", url, "-n", "5"], as: Barrage.Run.self)
        XCTAssertEqual(try bare.engine.tuning(environment: env), EngineTuning(driveMode: .perform, pacerQuantumMicros: 80))
        XCTAssertEqual(try bare.engine.tuning(environment: [:]), EngineTuning())
        let scale = try command(["scale", url, "--engine-mode", "perform"], as: Barrage.Scale.self)
        XCTAssertEqual(try scale.engine.tuning(environment: [:]).driveMode, .perform)
        XCTAssertEqual(errorLine(["run", url, "--engine-mode", "epoll"]), "--engine-mode 'epoll': expected perform or socket")
        XCTAssertEqual(errorLine(["run", url, "--pacer-quantum", "1s"]), "--pacer-quantum '1s': expected a duration from 0µs to 100ms")
        for command in [Barrage.Run.self, Barrage.Scale.self] as [ParsableCommand.Type] {
            let help = Barrage.helpMessage(for: command, columns: 200)
            XCTAssertFalse(help.contains("--engine-mode"), "\(command)")
            XCTAssertFalse(help.contains("--pacer-quantum"), "\(command)")
        }
    }
}
