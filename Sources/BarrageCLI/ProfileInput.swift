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

    /// Loads and validates the profile, registers its secret values for redaction, and builds its plan with the
    /// request flags, the load flags (`overrides`: the flags as given, recorded in the plan) and, on a WebSocket
    /// profile, the `--ws-*` flags (`webSocket`).
    static func load(_ path: String, variables pairs: [String], request: RequestOptions, threads: Int?,
                     load: LoadOverride = LoadOverride(), overrides: [String] = [], segment: Segment? = nil,
                     recordRaw: Bool = false, engine: EngineTuning = EngineTuning(), scenarios: [String] = [],
                     webSocket: WebSocketSettings = WebSocketSettings()) throws -> Loaded {
        let vars = try variables(pairs)
        let env = ProcessInfo.processInfo.environment
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            Secrets.add(ProfileLoader.secretValues(in: text, variables: vars, environment: env))
        }
        let profile = try ProfileLoader.load(path: path, variables: vars, environment: env)
        let inputs = PlanInputs(source: .profile(profile, override: load, given: overrides), request: try request.requestOverride(),
                                transport: try request.transport(), threads: threads ?? SystemLimits.availableCPUs(),
                                segment: segment, recordRaw: recordRaw, engine: engine, scenarios: scenarios,
                                webSocket: webSocket)
        return Loaded(profile: profile, plan: try PlanBuilder.build(inputs))
    }
}
