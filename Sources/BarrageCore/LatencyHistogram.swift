import Histogram

/// The histogram layout used for every duration Barrage records: 1 µs … 1 h at 3 significant digits.
/// Histograms of this layout add exactly, so per-thread and per-run histograms merge without loss.
public typealias LatencyHistogram = Histogram<UInt64>

public enum LatencyHistograms {
    /// Highest trackable value: one hour in microseconds. Larger samples are clamped to it and counted.
    public static let highestMicros: UInt64 = 3_600_000_000

    public static func make() -> LatencyHistogram {
        LatencyHistogram(lowestDiscernibleValue: 1, highestTrackableValue: highestMicros, numberOfSignificantValueDigits: .three)
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
        func at(_ p: Double) -> Int64 { Swift.min(Int64(histogram.valueAtPercentile(p)), maxRecorded) }
        self.init(
            count: Int(histogram.totalCount),
            min: Int64(histogram.min),
            mean: Int64(histogram.mean.rounded()),
            stdev: Int64(histogram.stdDeviation.rounded()),
            max: maxRecorded,
            p50: at(50), p75: at(75), p90: at(90), p95: at(95), p99: at(99), p99_9: at(99.9), p99_99: at(99.99)
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
