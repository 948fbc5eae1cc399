import Histogram

/// The histogram layout used for every duration Barrage records: 1 µs … 1 h at 3 significant digits.
/// Histograms of this layout add exactly, so per-thread and per-run histograms merge without loss.
public typealias LatencyHistogram = Histogram<UInt64>

public enum LatencyHistograms {
    /// Highest trackable value: one hour in microseconds. Larger samples are clamped to it and counted.
    public static let highestMicros: UInt64 = 3_600_000_000

    /// An empty histogram of the layout. New ones are copies of it: the copy shares its zeroed counts until the first
    /// record (then one memcpy), where building one runs the library's generic initialiser — a value-witness call per
    /// counts entry, 23,552 of them, for every histogram of every second of every thread.
    private static let empty = LatencyHistogram(lowestDiscernibleValue: 1, highestTrackableValue: highestMicros,
                                                numberOfSignificantValueDigits: .three)

    public static func make() -> LatencyHistogram { empty }
}

/// What the library's `mean`, `stdDeviation` and `valueAtPercentile` compute, from one pass over the recorded values
/// with the same arithmetic in the same order (bit-identical results, asserted by tests against the library).
///
/// Why not call the library: those members are not `@inlinable`, so from our module they run as unspecialised
/// generic code (a metadata look-up and a value-witness call per counts entry), and each call walks the counts from
/// the start — a summary (mean, standard deviation, seven percentiles) walked them ten times up to the largest value,
/// up to 60 million instructions per histogram when latencies reach hundreds of milliseconds, paid once per second
/// for the timeline on the load core.
/// It reads the counts array directly (`HdrCodec.countsArray`); where that cannot be read, `recordedValues()`, which
/// is `@inlinable` and specialises here.
public struct HistogramScan {
    public let mean: Double
    public let stdDeviation: Double
    /// The value at each requested percentile, in the order requested.
    public let values: [UInt64]

    /// - Parameter percentiles: in 0…100, in any order.
    public init(_ h: LatencyHistogram, percentiles: [Double] = []) {
        let total = h.totalCount
        var values = [UInt64](repeating: 0, count: percentiles.count)
        guard total > 0 else {
            mean = 0; stdDeviation = 0; self.values = values
            return
        }
        let minValue = h.min, maxValue = h.maxRecorded
        // The rank each percentile needs, as `valueAtPercentile` derives it; 0 and 100 are answered directly.
        var pending: [(rank: UInt64, slot: Int)] = []
        for (slot, p) in percentiles.enumerated() {
            if p == 0 { values[slot] = minValue; continue }
            if p >= 100 { values[slot] = maxValue; continue }
            let requested = Swift.min(Swift.max(p.nextDown, 0.0), 100.0)
            let fpRank = (requested * Double(total)) / 100.0
            pending.append((Swift.max(1, UInt64(fpRank.rounded(.up))), slot))
        }
        pending.sort { $0.rank < $1.rank }
        var next = 0
        var totalValue = 0.0
        var medians: [(value: Double, count: Double)] = []
        // Straight over the counts array when it can be read (see `HdrCodec.countsArray`): the library's iterator does
        // a dozen operations per index, zero counts included, and this runs every second for the timeline.
        let layout = HdrLayout(of: h)
        let limit = layout.countsIndex(forValue: maxValue) + 1
        if let counts = HdrCodec.countsArray(of: h), counts.count == layout.countsLength, limit <= counts.count,
           Self.sum(counts, below: limit) == total {
            counts.withUnsafeBufferPointer { c in
                var totalToIndex: UInt64 = 0
                for index in 0 ..< limit where c[index] != 0 {
                    // What `recordedValues()` reports for the index: its highest equivalent value; the same median.
                    let highest = layout.highestEquivalentValue(atIndex: index)
                    let lowest = layout.value(atIndex: index)
                    let median = lowest + ((highest - lowest + 1) >> 1)
                    let count = Double(c[index])
                    totalToIndex += c[index]
                    totalValue += Double(median) * count
                    while next < pending.count && totalToIndex >= pending[next].rank {
                        values[pending[next].slot] = Swift.max(Swift.min(highest, maxValue), minValue)
                        next += 1
                    }
                }
            }
            let mean = totalValue / Double(total)
            var deviationTotal = 0.0
            counts.withUnsafeBufferPointer { c in
                for index in 0 ..< limit where c[index] != 0 {
                    let highest = layout.highestEquivalentValue(atIndex: index)
                    let lowest = layout.value(atIndex: index)
                    let deviation = Double(lowest + ((highest - lowest + 1) >> 1)) - mean
                    deviationTotal += (deviation * deviation) * Double(c[index])
                }
            }
            self.mean = mean
            self.stdDeviation = (deviationTotal / Double(total)).squareRoot()
            self.values = values
            return
        }
        for step in h.recordedValues() {
            let lowest = h.lowestEquivalentForValue(step.value)
            let median = lowest + (h.sizeOfEquivalentRangeForValue(step.value) >> 1)
            let count = Double(step.count)
            totalValue += Double(median) * count
            medians.append((Double(median), count))
            while next < pending.count && step.totalCountToThisValue >= pending[next].rank {
                values[pending[next].slot] = Swift.max(Swift.min(step.value, maxValue), minValue)
                next += 1
            }
        }
        let mean = totalValue / Double(total)
        var deviationTotal = 0.0
        for m in medians {
            let deviation = m.value - mean
            deviationTotal += (deviation * deviation) * m.count
        }
        self.mean = mean
        self.stdDeviation = (deviationTotal / Double(total)).squareRoot()
        self.values = values
    }

    private static func sum(_ counts: [UInt64], below limit: Int) -> UInt64 {
        counts.withUnsafeBufferPointer { c in
            var total: UInt64 = 0
            for index in 0 ..< limit { total &+= c[index] }
            return total
        }
    }
}

/// The summary of one histogram as it appears in results: counts and microseconds.
public struct HistogramSummary: Codable, Sendable, Equatable {
    public var count: Int
    public var min: Int64
    public var mean: Int64
    public var stdev: Int64
    public var max: Int64
    public var p50: Int64
    public var p75: Int64
    public var p90: Int64
    public var p95: Int64
    public var p99: Int64
    public var p99_9: Int64
    public var p99_99: Int64
    /// The whole distribution: HdrHistogram's standard V2 compressed encoding, base64 ("HISTF…"), readable by every
    /// HdrHistogram implementation. Absent in summaries built from numbers alone.
    public var hdr: String?

    public static let empty = HistogramSummary(count: 0, min: 0, mean: 0, stdev: 0, max: 0, p50: 0, p75: 0, p90: 0, p95: 0, p99: 0, p99_9: 0, p99_99: 0)

    public init(count: Int, min: Int64, mean: Int64, stdev: Int64, max: Int64, p50: Int64, p75: Int64, p90: Int64,
                p95: Int64, p99: Int64, p99_9: Int64, p99_99: Int64) {
        self.count = count; self.min = min; self.mean = mean; self.stdev = stdev; self.max = max
        self.p50 = p50; self.p75 = p75; self.p90 = p90; self.p95 = p95; self.p99 = p99; self.p99_9 = p99_9; self.p99_99 = p99_99
    }

    /// Summarises a histogram. Percentiles are HdrHistogram's (the highest value equivalent to the one at that rank),
    /// capped at the exact maximum recorded so that no percentile is reported above `max`.
    public init(_ histogram: LatencyHistogram) {
        guard histogram.totalCount > 0 else {
            self = .empty
            hdr = HdrCodec.encodeCompressedBase64(histogram)
            return
        }
        let maxRecorded = Int64(histogram.maxRecorded)
        let scan = HistogramScan(histogram, percentiles: [50, 75, 90, 95, 99, 99.9, 99.99])
        let v = scan.values.map { Swift.min(Int64($0), maxRecorded) }
        self.init(
            count: Int(histogram.totalCount),
            min: Int64(histogram.min),
            mean: Int64(scan.mean.rounded()),
            stdev: Int64(scan.stdDeviation.rounded()),
            max: maxRecorded,
            p50: v[0], p75: v[1], p90: v[2], p95: v[3], p99: v[4], p99_9: v[5], p99_99: v[6]
        )
        hdr = HdrCodec.encodeCompressedBase64(histogram)
    }

    /// The distribution carried in `hdr`, decoded; nil when absent. Throws on a malformed or foreign blob.
    public func histogram() throws -> LatencyHistogram? {
        guard let hdr else { return nil }
        return try HdrCodec.decode(base64: hdr)
    }

    /// The named percentiles in display order, for reports.
    public var percentiles: [(label: String, micros: Int64)] {
        [("p50", p50), ("p75", p75), ("p90", p90), ("p95", p95), ("p99", p99), ("p99.9", p99_9), ("p99.99", p99_99)]
    }
}
