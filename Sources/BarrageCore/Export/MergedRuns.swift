import Foundation

/// What a merged result was made of (the result's `merged` key): the runs and segments inside it, where each starts
/// in the merged timeline, and how the timelines were put together. `merge` reads it back from inputs that are
/// themselves merges, so a run cannot be counted twice through a merge of a merge either.
public struct MergedRuns: Codable, Sendable, Equatable {
    /// How the inputs' timelines were put together.
    public enum Clock: String, Codable, Sendable {
        /// The segments of one run: they started together, so second t of each is the same second.
        case shared
        /// Repeated runs: each run's seconds follow the previous run's, so per-second rates stay true.
        case concatenated
    }

    /// One run, or one segment of a run, inside the merge.
    public struct Part: Codable, Sendable, Equatable {
        /// Absent for results written before run ids existed.
        public var run_id: String?
        public var segment: Segment?
        public var started_epoch_ms: Int64
        public var plan_fingerprint: String
        /// What it counted: with the start and the fingerprint, tells apart results that have no run id.
        public var requests: RunResult.Requests
        /// Where its first second sits in the merged timeline.
        public var t_s: Int

        public init(run_id: String?, segment: Segment?, started_epoch_ms: Int64, plan_fingerprint: String,
                    requests: RunResult.Requests, t_s: Int) {
            self.run_id = run_id; self.segment = segment; self.started_epoch_ms = started_epoch_ms
            self.plan_fingerprint = plan_fingerprint; self.requests = requests; self.t_s = t_s
        }

        /// The same run (and the same segment of it): the same run id, or for results without one, the same start,
        /// plan fingerprint and totals.
        public func isSameRun(as other: Part) -> Bool {
            guard segment == other.segment else { return false }
            if let a = run_id, let b = other.run_id { return a == b }
            return started_epoch_ms == other.started_epoch_ms && plan_fingerprint == other.plan_fingerprint
                && requests == other.requests
        }
    }

    /// Runs merged: the segments of one run count once, each repeat counts.
    public var runs: Int
    public var clock: Clock
    /// In timeline order.
    public var parts: [Part]

    public init(runs: Int, clock: Clock, parts: [Part]) {
        self.runs = runs; self.clock = clock; self.parts = parts
    }

    /// The merged timeline's seconds at which a run starts, in order (0 first).
    public var runStarts: [Int] { Array(Set(parts.map(\.t_s))).sorted() }

    /// The runs inside one input, its first second at `offset` in the merged timeline: its own parts when it is a
    /// merge, else itself.
    static func parts(of r: RunResult, offset: Int) -> [Part] {
        if let m = r.merged {
            return m.parts.map { p in var p = p; p.t_s += offset; return p }
        }
        return [Part(run_id: r.run_id, segment: r.segment, started_epoch_ms: r.started_epoch_ms,
                     plan_fingerprint: r.plan_fingerprint, requests: r.requests, t_s: offset)]
    }

    /// Refuses inputs that hold the same run twice, naming both files: the same file given twice, a copy of it, a
    /// merge given beside one of its own inputs, or two results without run ids that started at the same
    /// millisecond with the same plan and totals. No flag overrides this: the sum would count the run twice.
    static func checkNoRunTwice(_ inputs: [(name: String, result: RunResult)]) throws {
        var seen: [(name: String, part: Part)] = []
        for (name, r) in inputs {
            let mine = parts(of: r, offset: 0)
            for part in mine {
                if let earlier = seen.first(where: { $0.part.isSameRun(as: part) }) {
                    throw BarrageError.usage("\(earlier.name) and \(name) hold the same run (\(describe(part))): "
                                             + "merging would count it twice")
                }
            }
            seen += mine.map { (name, $0) }
        }
    }

    private static func describe(_ p: Part) -> String {
        let segment = p.segment.map { ", segment \($0.index)/\($0.count)" } ?? ""
        if let id = p.run_id { return "run_id \(id)\(segment)" }
        return "no run_id; started \(RunResult.rfc3339(epochMillis: p.started_epoch_ms)) with the same plan and totals\(segment)"
    }
}
