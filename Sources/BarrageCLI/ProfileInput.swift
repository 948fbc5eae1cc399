import ArgumentParser
import Foundation
import BarrageCore
import BarrageEngine

/// Load profiles as the CLI reads them: detection, `-e NAME=VALUE`, loading, and the plan with flag overrides.
enum ProfileInput {
    /// A positional argument is a profile when it is not a URL and names a .yaml/.yml/.json file (or any existing file).
    static func isProfile(_ argument: String) -> Bool {
        if argument.contains("://") { return false }
        let lower = argument.lowercased()
        return lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".json")
            || FileManager.default.fileExists(atPath: argument)
    }

    /// `-e NAME=VALUE` pairs.
    static func variables(_ pairs: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw BarrageError.usage("--env '\(pair)': expected NAME=VALUE")
            }
            let name = String(pair[..<eq])
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw BarrageError.usage("--env '\(name)': a variable name is letters, digits and _")
            }
            out[name] = String(pair[pair.index(after: eq)...])
        }
        return out
    }

    struct Loaded {
        var profile: Profile
        var plan: RunPlan
    }

    /// Loads and validates the profile, registers its secret values for redaction, and applies the request flags and
    /// the load flags (`overrides`: the flags as given, recorded in the plan).
    static func load(_ path: String, variables pairs: [String], request: RequestOptions, threads: Int?,
                     load: LoadOverride = LoadOverride(), overrides: [String] = []) throws -> Loaded {
        let vars = try variables(pairs)
        let env = ProcessInfo.processInfo.environment
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            Secrets.add(ProfileLoader.secretValues(in: text, variables: vars, environment: env))
        }
        let profile = try ProfileLoader.load(path: path, variables: vars, environment: env)
        var plan = RunPlan(profile: profile, threads: threads ?? SystemLimits.availableCPUs())
        try request.override(&plan)
        if !load.isEmpty {
            if let problem = load.problem(with: plan) {
                let flag = load.concurrency != nil && load.rate != nil ? "--concurrency and --rate"
                    : overrides.first { $0.hasPrefix("--duration") } ?? "--duration"
                throw BarrageError.usage("\(flag): \(problem)")
            }
            plan = load.applied(to: plan)
            plan.overrides = overrides
        }
        return Loaded(profile: profile, plan: plan)
    }
}

extension Barrage {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check load profiles without sending anything.",
            discussion: """
            Reads each profile, interpolates ${VAR}s, validates every field and threshold, and prints the effective \
            plan. Errors name the file, line and field (`checkout.yaml:14: load.stages[1].rate: expected a number`) \
            and exit 2.

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

        /// `PATH: ok — NAME`, the plan block's lines, then every target (method, URL, weight) and every threshold.
        static func describe(path: String, loaded: ProfileInput.Loaded) -> [String] {
            let record = PlanRecord(loaded.plan)
            var lines = ["\(path): ok — \(loaded.profile.name)"]
            lines += PlanBlock.body(record).filter { !$0.hasPrefix("  target ") }
            for t in record.targets {
                lines.append("  target       \(t.name): \(t.method) \(t.url) · weight \(fixed(t.weight, t.weight == t.weight.rounded() ? 0 : 2))")
            }
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
