/// The per-second timeline as CSV (`run --csv`). Columns are only added, at the end. A bucket without a rate (shorter
/// than half a second) has an empty `rps`; results written before `in_flight_max` and `in_flight_mean` existed leave
/// those empty. A WebSocket run's timeline (its seconds carry `messages`) adds `messages` and `messages_failed`: the
/// messages that ended (answered or failed) in each second, and of them the failed ones. An HTTP run's CSV has no
/// such columns.
public enum TimelineCSV {
    public static func render(_ r: RunResult) -> String {
        let messages = r.timeline.contains { $0.messages != nil }
        var out = "t_s,epoch_s,requests,ok,failed,dropped,rps,in_flight,p50_us,p99_us,max_us,errors,in_flight_max,in_flight_mean,length_s"
            + (messages ? ",messages,messages_failed" : "") + "\n"
        for e in r.timeline {
            let errors = e.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
            out += "\(e.t_s),\(fixed(e.epoch_s, 3)),\(e.requests),\(e.ok),\(e.failed),\(e.dropped),\(e.rps.map { fixed($0, 3) } ?? ""),"
                + "\(e.in_flight),\(e.p50_us),\(e.p99_us),\(e.max_us),\(errors),"
                + "\(e.in_flight_max.map(String.init) ?? ""),\(e.in_flight_mean.map { fixed($0, 3) } ?? ""),\(fixed(e.length_s, 3))"
            if messages { out += ",\(e.messages.map(String.init) ?? ""),\(e.messages_failed.map(String.init) ?? "")" }
            out += "\n"
        }
        return out
    }
}
