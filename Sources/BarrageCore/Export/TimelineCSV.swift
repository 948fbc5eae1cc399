/// The per-second timeline as CSV (`run --csv`).
public enum TimelineCSV {
    public static func render(_ r: RunResult) -> String {
        var out = "t_s,epoch_s,requests,ok,failed,dropped,rps,in_flight,p50_us,p99_us,max_us,errors\n"
        for e in r.timeline {
            let errors = e.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
            out += "\(e.t_s),\(fixed(e.epoch_s, 3)),\(e.requests),\(e.ok),\(e.failed),\(e.dropped),\(fixed(e.rps, 3)),"
                + "\(e.in_flight),\(e.p50_us),\(e.p99_us),\(e.max_us),\(errors)\n"
        }
        return out
    }
}
