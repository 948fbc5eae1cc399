import Foundation

/// JUnit XML, the report format CI systems (GitHub Actions reporters, GitLab, Jenkins) read as test results:
/// one `<testcase>` per gate, with a `<failure>` for each gate that failed.
///
///     <?xml version="1.0" encoding="UTF-8"?>
///     <testsuites name="barrage" tests="2" failures="1">
///       <testsuite name="thresholds" tests="2" failures="1" errors="0" skipped="0">
///         <testcase name="p99 &lt; 250ms" classname="thresholds"></testcase>
///         <testcase name="error_rate &lt;= 1%" classname="thresholds">
///           <failure message="measured 2.5%, limit &lt;= 1%">measured 2.5%, limit &lt;= 1%</failure>
///         </testcase>
///       </testsuite>
///     </testsuites>
public enum JUnitReport {
    /// The document for one suite. `message` is written only for failed cases; `systemOut`, when given, is the
    /// suite's `<system-out>` (what a reader of passing cases must know, e.g. that the run did not finish).
    public static func xml(suiteName: String, cases: [(name: String, ok: Bool, message: String)], systemOut: String? = nil) -> String {
        let failures = cases.filter { !$0.ok }.count
        let suite = Markup.escape(suiteName, .xmlAttribute)
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"barrage\" tests=\"\(cases.count)\" failures=\"\(failures)\">\n"
        out += "  <testsuite name=\"\(suite)\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">\n"
        for c in cases {
            let open = "    <testcase name=\"\(Markup.escape(c.name, .xmlAttribute))\" classname=\"\(suite)\""
            if c.ok {
                out += open + "></testcase>\n"
            } else {
                out += open + ">\n"
                out += "      <failure message=\"\(Markup.escape(c.message, .xmlAttribute))\">\(Markup.escape(c.message, .xmlText))</failure>\n"
                out += "    </testcase>\n"
            }
        }
        if let systemOut { out += "    <system-out>\(Markup.escape(systemOut, .xmlText))</system-out>\n" }
        out += "  </testsuite>\n"
        out += "</testsuites>\n"
        return out
    }

    /// The document for evaluated thresholds: a case per threshold named by its expression. With `run` given and cut
    /// short (interrupted or aborted), the suite's `<system-out>` says the cases were judged on the part measured.
    public static func xml(suiteName: String = "barrage.thresholds", thresholds: [ThresholdResult], run: RunResult? = nil) -> String {
        let cut = thresholds.isEmpty ? nil : run.flatMap(RunOutcome.cutShortText)
        return xml(suiteName: suiteName, cases: cases(from: thresholds),
                   systemOut: cut.map { "\($0): the thresholds were judged on the part measured, not on the run planned" })
    }

    /// A case per threshold: named by the expression as written, with `measured X, limit Y` as its message
    /// (`not measured (why), limit Y` when the run could not measure the metric).
    public static func cases(from results: [ThresholdResult]) -> [(name: String, ok: Bool, message: String)] {
        results.map { r in
            let measured = r.actual.map { "measured \(ThresholdFormat.value($0, unit: r.unit))" }
                ?? "not measured (\(r.note ?? "no data"))"
            return (name: r.expr.trimmingCharacters(in: .whitespaces), ok: r.ok, message: "\(measured), limit \(r.limitText)")
        }
    }
}
