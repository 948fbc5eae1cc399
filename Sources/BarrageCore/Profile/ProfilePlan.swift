import Foundation

/// Header lists as `Name: value` lines.
public enum HeaderLines {
    /// `base` with `overrides` applied: a same-named header (case-insensitive) is replaced, others appended.
    public static func merge(_ base: [String], _ overrides: [String]) -> [String] {
        var out = base
        for line in overrides {
            let name = Self.name(line)
            if let i = out.firstIndex(where: { Self.name($0) == name }) { out[i] = line } else { out.append(line) }
        }
        return out
    }

    static func name(_ line: String) -> String {
        String(line.prefix { $0 != ":" }).trimmingCharacters(in: .whitespaces).lowercased()
    }
}

extension RunPlan {
    /// The plan a profile describes. Timeouts default to 30 s (request) and 10 s (connect), the pool to 1,000, the
    /// lateness limit to the request timeout, the seed to 0.
    public init(profile p: Profile, threads: Int) {
        let timeout = p.defaults.timeoutMicros ?? 30_000_000
        let connect = p.defaults.connectTimeoutMicros ?? 10_000_000
        let targets = p.targets.map { t in
            RequestTarget(name: t.name, url: t.url, method: t.method, headers: HeaderLines.merge(p.defaults.headers, t.headers),
                          body: t.body, weight: t.weight, expect: t.expect, timeoutMicros: t.timeoutMicros)
        }
        let seed = p.seed ?? 0
        switch p.load.model {
        case .open:
            let schedule = OpenSchedule(startRate: p.load.startRate,
                                        stages: p.load.stages.map { RateStage(durationMicros: $0.durationMicros, rate: $0.rate ?? 0) },
                                        arrival: p.load.arrival == "poisson" ? .poisson(seed: seed) : .uniform)
            self = RunPlan.open(schedule: schedule, maxInFlight: p.load.maxInFlight ?? 1_000,
                                maxLatenessMicros: p.load.maxLatenessMicros ?? timeout, requestLimit: nil, targets: targets,
                                timeoutMicros: timeout, connectTimeoutMicros: connect, threads: threads, keepAlive: true)
        case .closed:
            self = RunPlan.closedStages(p.load.stages.map { ClosedStage(durationMicros: $0.durationMicros, concurrency: $0.concurrency ?? 0) },
                                        start: p.load.startConcurrency, requestLimit: p.load.requests, targets: targets,
                                        timeoutMicros: timeout, connectTimeoutMicros: connect, threads: threads, keepAlive: true)
            thinkTimeMicros = p.load.thinkTimeMicros
        }
        warmupMicros = p.load.warmupMicros
        self.seed = seed
        name = p.name
    }
}
