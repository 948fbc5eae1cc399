/// Which row of a data set a VU takes next: `mode: sequential | random | unique`, `bind: iteration | vu`.
///
/// A plain value: `next` depends only on its arguments, so tests need no threads. Sequential and unique draws need a
/// count shared by the VUs that draw; the engine passes it explicitly (`counter`), one per engine thread and data
/// set, owned by that thread — no locks, no atomics. Thread t of T (of segment I of N) takes the positions
/// t, t + T, t + 2T, … of its segment's share, and its segment's share is the rows r with r mod N == I − 1; so:
/// - `unique`: every row is taken at most once in the whole run, across threads and segments (a thread whose share
///   is used up returns nil even if another thread still has rows: shares are fixed, never rebalanced);
/// - `sequential`: rows are taken in that interleaved order and wrap around; each thread walks its own share, so rows
///   are not strictly in file order across threads;
/// - `random`: a row drawn from the flow key (seed, scenario, VU, iteration; with `bind: vu` the iteration is ignored,
///   so a VU draws the same row whenever it asks): no counter, the same in every segment.
///
/// `bind` is for the caller: with `.iteration` it calls `next` at the start of every iteration, with `.vu` once when
/// the VU starts and keeps the row for the VU's lifetime.
public struct DataCursor: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable { case sequential, random, unique }
    public enum Binding: String, Sendable, CaseIterable { case iteration, vu }

    public var mode: Mode
    public var binding: Binding
    public var rowCount: Int
    public var segment: Segment
    /// The engine thread that owns `counter` (0-based) and how many threads the segment runs.
    public var thread: Int
    public var threadCount: Int
    /// The data set's index in the profile (its random stream).
    public var dataSet: Int

    public init(mode: Mode, binding: Binding = .iteration, rowCount: Int, segment: Segment = Segment(index: 1, count: 1),
                thread: Int = 0, threadCount: Int = 1, dataSet: Int = 0) {
        precondition(rowCount > 0 && threadCount > 0 && (0..<threadCount).contains(thread))
        self.mode = mode
        self.binding = binding
        self.rowCount = rowCount
        self.segment = segment
        self.thread = thread
        self.threadCount = threadCount
        self.dataSet = dataSet
    }

    /// The next row index, or nil when a `unique` share is used up. `counter` starts at 0 and belongs to the calling
    /// thread (one per data set); `key` is the VU's flow key (its step is ignored).
    @inlinable
    public func next(counter: inout Int, key: FlowKey) -> Int? {
        switch mode {
        case .random:
            let k = FlowKey(seed: key.seed, scenario: key.scenario, vu: key.vu, iteration: binding == .vu ? 0 : key.iteration, step: 0)
            var rng = k.generator(stream: FlowKey.Stream.dataRow(dataSet))
            return rng.nextIndex(below: rowCount)
        case .sequential:
            let row = position(counter) % rowCount
            counter = (counter + 1) % rowCount  // the row sequence repeats after rowCount draws: keep the counter small
            return row
        case .unique:
            let row = position(counter)
            guard row < rowCount else { return nil }
            counter += 1
            return row
        }
    }

    /// The row at the thread's `n`-th position: ((n·T) + t)·N + (I − 1).
    @inlinable
    func position(_ n: Int) -> Int {
        ((n &* threadCount) &+ thread) &* segment.count &+ (segment.index - 1)
    }

    /// How many rows this thread can take in `unique` mode before `next` returns nil.
    public var uniqueShare: Int {
        let first = position(0)
        guard first < rowCount else { return 0 }
        let stride = threadCount * segment.count
        return (rowCount - 1 - first) / stride + 1
    }
}
