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
    /// The document for one suite. `message` is written only for failed cases.
    public static func xml(suiteName: String, cases: [(name: String, ok: Bool, message: String)]) -> String {
        let failures = cases.filter { !$0.ok }.count
        let suite = attribute(suiteName)
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"barrage\" tests=\"\(cases.count)\" failures=\"\(failures)\">\n"
        out += "  <testsuite name=\"\(suite)\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">\n"
        for c in cases {
            let open = "    <testcase name=\"\(attribute(c.name))\" classname=\"\(suite)\""
            if c.ok {
                out += open + "></testcase>\n"
            } else {
                out += open + ">\n"
                out += "      <failure message=\"\(attribute(c.message))\">\(text(c.message))</failure>\n"
                out += "    </testcase>\n"
            }
        }
        out += "  </testsuite>\n"
        out += "</testsuites>\n"
        return out
    }

    /// The document for evaluated thresholds: a case per threshold named by its expression.
    public static func xml(suiteName: String = "barrage.thresholds", thresholds: [ThresholdResult]) -> String {
        xml(suiteName: suiteName, cases: cases(from: thresholds))
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

    // MARK: Escaping

    /// Character data: markup characters escaped, characters XML 1.0 forbids replaced by U+FFFD.
    static func text(_ s: String) -> String {
        escape(s, attribute: false)
    }

    /// An attribute value in double quotes: as `text`, plus quotes, and whitespace controls kept as character
    /// references (a parser would otherwise normalise a newline in an attribute to a space).
    static func attribute(_ s: String) -> String {
        escape(s, attribute: true)
    }

    private static func escape(_ s: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "'" where attribute: out += "&apos;"
            case "\n" where attribute: out += "&#10;"
            case "\r": out += "&#13;"
            case "\t" where attribute: out += "&#9;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            default:
                // XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
                let v = scalar.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
