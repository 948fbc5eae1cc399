import Foundation
import Histogram

/// HdrHistogram's interval log, format version 1.3, as the Java `HistogramLogWriter` writes it: one line per second
/// of the run (`start,interval_length,max,HISTF…`, start relative to `BaseTime`, max in milliseconds), untagged lines
/// for the whole run and, when the plan has several targets, `Tag=NAME` lines per target.
public enum HdrLog {
    public static func render(_ r: RunResult) -> String {
        let startSeconds = Double(r.started_epoch_ms) / 1000
        var out = "#[Histogram log format version 1.3]\n"
        out += "#[StartTime: \(fixed(startSeconds, 3)) (seconds since epoch), \(r.started_at)]\n"
        out += "#[BaseTime: \(fixed(startSeconds, 3)) (seconds since epoch)]\n"
        out += "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
        for e in r.timeline {
            let start = e.epoch_s - startSeconds
            let length = intervalLength(e, in: r)
            if let hdr = e.hdr {
                out += "\(fixed(start, 3)),\(fixed(length, 3)),\(fixed(Double(e.max_us) / 1000, 3)),\(hdr)\n"
            }
            for (name, blob) in (e.targets_hdr ?? [:]).sorted(by: { $0.key < $1.key }) {
                let max = (try? HdrCodec.decode(base64: blob)).map { Double($0.maxRecorded) / 1000 } ?? 0
                out += "Tag=\(tag(name)),\(fixed(start, 3)),\(fixed(length, 3)),\(fixed(max, 3)),\(blob)\n"
            }
        }
        return out
    }

    /// Seconds covered by a timeline bucket: 1, or less for the last one.
    static func intervalLength(_ e: TimelineEntry, in r: RunResult) -> Double {
        let run = r.duration_us + (r.plan.warmup_us ?? 0)
        let remaining = Double(run - Int64(e.t_s) * 1_000_000) / 1_000_000
        return Swift.max(0.001, Swift.min(1, remaining))
    }

    /// Tags may not hold commas, spaces or line breaks.
    static func tag(_ name: String) -> String {
        String(name.map { ",\n\r \t".contains($0) ? "_" : $0 })
    }
}

/// The classic percentile distribution (`Value Percentile TotalCount 1/(1-Percentile)` and the `#[Mean …]` footer),
/// values in milliseconds, as HdrHistogram's plotter reads it; or its CSV variant.
public enum PercentileDistribution {
    public static func render(_ summary: HistogramSummary, csv: Bool = false) throws -> String {
        let h = try summary.histogram() ?? LatencyHistograms.make()
        var out = ""
        h.outputPercentileDistribution(to: &out, outputValueUnitScalingRatio: 1000, format: csv ? .csv : .plainText)
        return out
    }
}
