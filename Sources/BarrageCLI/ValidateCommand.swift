import ArgumentParser
import Foundation
import BarrageCore

extension Barrage {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check load profiles without sending anything.",
            discussion: """
            Reads each profile, interpolates ${VAR}s, validates every field and threshold, and prints the effective \
            plan; for a profile with scenarios, also each scenario's steps, captures and data sets. Errors name the \
            file, line and field (`checkout.yaml:14: load.stages[1].rate: expected a number`) and exit 2.

            Examples:
              barrage validate profiles/smoke.yaml
              barrage validate profiles/*.yaml -e BASE_URL=http://127.0.0.1:8080
            """
        )

        @Argument(help: "Profiles to check.")
        var profiles: [String]

        @Option(name: [.customShort("e"), .customLong("env")], help: ArgumentHelp("Set a profile variable ${NAME} (repeatable).", valueName: "NAME=VALUE"))
        var variables: [String] = []

        func run() throws {
            for path in profiles {
                let loaded = try ProfileInput.load(path, variables: variables, request: try RequestOptions.parse([]), threads: nil)
                for spec in loaded.profile.thresholds {
                    var t = try Threshold.parse(spec.expr)
                    t.abortOnFail = spec.abortOnFail
                    try t.validate(against: PlanRecord(loaded.plan))
                }
                printFlush(Self.describe(path: path, loaded: loaded).joined(separator: "\n"))
            }
        }

        /// `PATH: ok — NAME`, the plan block's lines, then every target (method, URL, weight), every scenario (its steps,
        /// captures and data sets) and every threshold.
        static func describe(path: String, loaded: ProfileInput.Loaded) -> [String] {
            let record = PlanRecord(loaded.plan)
            var lines = ["\(path): ok — \(loaded.profile.name)"]
            lines += PlanBlock.body(record).filter { !$0.hasPrefix("  target ") }
            for t in record.targets {
                lines.append("  target       \(t.name): \(t.method) \(t.url) · weight \(fixed(t.weight, t.weight == t.weight.rounded() ? 0 : 2))")
            }
            if let setup = loaded.profile.setup { lines += ScenarioDescription.setupLines(setup) }
            for scenario in loaded.profile.scenarios { lines += ScenarioDescription.lines(scenario) }
            if loaded.profile.thresholds.isEmpty { lines.append("  thresholds   none") }
            for spec in loaded.profile.thresholds {
                var notes: [String] = []
                if spec.abortOnFail { notes.append("abort on fail") }
                if spec.delayAbortEvalMicros > 0 { notes.append("after \(DurationParser.format(micros: spec.delayAbortEvalMicros))") }
                lines.append("  threshold    \(Threshold.oneLine(spec.expr))" + (notes.isEmpty ? "" : " (" + notes.joined(separator: ", ") + ")"))
            }
            return lines
        }
    }
}
