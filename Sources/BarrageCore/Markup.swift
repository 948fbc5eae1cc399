/// The one escaper for markup: the HTML report (and the SVG inside it) and XML files such as JUnit.
///
/// Every dialect escapes `&`, `<` and `>`. They differ only where their readers do: an HTML page escapes quotes
/// everywhere and drops the control characters XML 1.0 forbids; XML character data keeps quotes and marks a
/// forbidden character with U+FFFD; an XML attribute value also keeps whitespace controls as character references
/// (a parser would otherwise normalise a newline in an attribute to a space). Prometheus label values are another
/// format altogether (`PrometheusExposition.escapeLabelValue`).
enum Markup {
    enum Dialect {
        /// HTML content and attribute values (the report, inline SVG and the standalone scale SVG).
        case html
        /// XML character data.
        case xmlText
        /// An XML attribute value in double quotes.
        case xmlAttribute
    }

    static func escape(_ s: String, _ dialect: Dialect = .html) -> String {
        let html = dialect == .html, attribute = dialect == .xmlAttribute
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where html || attribute: out += "&quot;"
            case "'" where html: out += "&#39;"
            case "'" where attribute: out += "&apos;"
            case "\n" where attribute: out += "&#10;"
            case "\t" where attribute: out += "&#9;"
            case "\r" where !html: out += "&#13;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                // XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
                let v = scalar.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF || (html && v == 0x7F) {
                    if !html { out += "\u{FFFD}" }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
