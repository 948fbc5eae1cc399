/// The per-second timeline as CSV (`run --csv`). Columns are only added, at the end. A bucket without a rate (shorter
/// than half a second) has an empty `rps`; results written before `in_flight_max` and `in_flight_mean` existed leave
/// those empty.
public enum TimelineCSV {
    public static func render(_ r: RunResult) -> String {
        var out = "t_s,epoch_s,requests,ok,failed,dropped,rps,in_flight,p50_us,p99_us,max_us,errors,in_flight_max,in_flight_mean,length_s\n"
        for e in r.timeline {
            let errors = e.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
            out += "\(e.t_s),\(fixed(e.epoch_s, 3)),\(e.requests),\(e.ok),\(e.failed),\(e.dropped),\(e.rps.map { fixed($0, 3) } ?? ""),"
                + "\(e.in_flight),\(e.p50_us),\(e.p99_us),\(e.max_us),\(errors),"
                + "\(e.in_flight_max.map(String.init) ?? ""),\(e.in_flight_mean.map { fixed($0, 3) } ?? ""),\(fixed(e.length_s, 3))\n"
        }
        return out
    }
}
