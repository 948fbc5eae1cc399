import ArgumentParser
import Foundation
import BarrageCore

/// Benchmark knobs for the engine (`EngineTuning`), hidden from `--help`: `--engine-mode perform|socket` and
/// `--pacer-quantum DURATION`. Where a flag is not given, `BARRAGE_ENGINE_MODE` and `BARRAGE_PACER_QUANTUM_US` still
/// apply (the fallback for benchmark scripts).
struct EngineOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Force how engine threads drive libcurl (benchmarks).", valueName: "perform|socket", visibility: .hidden))
    var engineMode: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Open model: the shortest sleep on the pacing timer (benchmarks; default 200us).", valueName: "duration", visibility: .hidden))
    var pacerQuantum: FlagValue.Duration?

    func validate() throws {
        _ = try tuning(environment: [:])
    }

    /// The flags, then the environment for what they leave unset.
    func tuning(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> EngineTuning {
        var flags = EngineTuning()
        if let engineMode {
            guard let mode = EngineTuning.DriveMode(rawValue: engineMode) else {
                throw BarrageError.usage("--engine-mode '\(engineMode)': expected perform or socket")
            }
            flags.driveMode = mode
        }
        flags.pacerQuantumMicros = try pacerQuantum?.checked("--pacer-quantum", min: 0, max: 100_000)
        return flags.or(.environment(environment))
    }
}
