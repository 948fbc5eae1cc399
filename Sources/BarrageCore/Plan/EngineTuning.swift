/// Benchmark knobs for how the engine drives libcurl, set with `run --engine-mode` and `--pacer-quantum` (hidden
/// flags) or, as a fallback for scripts, `BARRAGE_ENGINE_MODE` and `BARRAGE_PACER_QUANTUM_US`. They change how a run
/// is carried out, not what it measures: they stay out of the result's plan and out of its fingerprint, so results
/// run with and without them merge.
public struct EngineTuning: Sendable, Equatable {
    /// How engine threads drive libcurl: `perform` (one multi handle, curl_multi_perform + curl_multi_poll) or
    /// `socket` (shards of ≤ 128 connections, curl_multi_socket_action + epoll).
    public enum DriveMode: String, Sendable, CaseIterable { case perform, socket }

    /// Forces one drive mode; nil lets each engine thread pick by its connection count.
    public var driveMode: DriveMode?
    /// Open model: the shortest sleep on the pacing timer, µs; nil is `defaultPacerQuantumMicros`.
    public var pacerQuantumMicros: Int64?

    public static let defaultPacerQuantumMicros: Int64 = 200

    public init(driveMode: DriveMode? = nil, pacerQuantumMicros: Int64? = nil) {
        self.driveMode = driveMode
        self.pacerQuantumMicros = pacerQuantumMicros
    }

    /// The pacer quantum in effect.
    public var effectivePacerQuantumMicros: Int64 { pacerQuantumMicros ?? Self.defaultPacerQuantumMicros }

    /// The environment fallback: `BARRAGE_ENGINE_MODE=perform|socket`, `BARRAGE_PACER_QUANTUM_US=N`. Values that do
    /// not read are ignored, as they always were.
    public static func environment(_ env: [String: String]) -> EngineTuning {
        EngineTuning(driveMode: env["BARRAGE_ENGINE_MODE"].flatMap(DriveMode.init(rawValue:)),
                     pacerQuantumMicros: env["BARRAGE_PACER_QUANTUM_US"].flatMap(Int.init).map(Int64.init))
    }

    /// These settings where given, the others from `fallback`.
    public func or(_ fallback: EngineTuning) -> EngineTuning {
        EngineTuning(driveMode: driveMode ?? fallback.driveMode, pacerQuantumMicros: pacerQuantumMicros ?? fallback.pacerQuantumMicros)
    }
}
