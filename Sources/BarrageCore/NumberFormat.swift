import Foundation

/// Numbers for people, without Foundation's locale-dependent formatters: the one set the text summary, the HTML
/// report, the charts, `compare` and thresholds print with. Durations have theirs in `DurationParser.format`.
public enum NumberFormat {
    /// 1234567 → "1,234,567"
    public static func grouped(_ n: Int) -> String {
        let digits = String(Swift.abs(n))
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    /// Bytes with a unit chosen for the value (B, KB, MB, GB; powers of 1000).
    public static func bytes(_ n: Double) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = n
        var u = 0
        while Swift.abs(v) >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(Int(v))B" : fixed(v, v < 10 ? 2 : (v < 100 ? 1 : 0)) + units[u]
    }

    /// A rate or count for people: `12.5`, `480`, `12,480`; `–` when not finite.
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "–" }
        if abs(v) >= 1000 { return grouped(Int(v.rounded())) }
        return abs(v) >= 100 ? fixed(v, 0) : fixed(v, 1)
    }

    /// A fraction as a percentage with the digits its size needs: `0%`, `0.25%`, `12.5%`; `–` when not finite.
    static func percent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "–" }
        let p = fraction * 100
        if p == 0 { return "0%" }
        if p >= 10 { return fixed(p, 1) + "%" }
        return fixed(p, p >= 0.01 ? 2 : 3) + "%"
    }

    /// A fraction as a percentage with up to three decimals, as thresholds are written: `1%`, `0.1%`, `1.235%`.
    static func percentTrimmed(_ fraction: Double) -> String {
        fixedTrimmed(fraction * 100, 3) + "%"
    }

    /// `fixed` with an explicit `+` on values that do not round to zero: `+2.5`, `-1.0`, `0.0`.
    static func signed(_ v: Double, _ digits: Int) -> String {
        let s = fixed(v, digits)
        return v > 0 && s.contains(where: { $0 != "0" && $0 != "." }) ? "+" + s : s
    }

    /// Short numbers for chart axes and tooltips: 0, 7.5, 42, 950, 1.2k, 35k, 4.1M, 2G, 1.0e+18; `n/a`, `∞`.
    static func compact(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "n/a" : (v > 0 ? "∞" : "-∞") }
        let a = abs(v)
        let sign = v < 0 ? "-" : ""
        if a == 0 { return "0" }
        if a >= 1e15 { return String(format: "%.1e", v) }
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, suffix) in units where a >= scale * 0.9995 {
            return sign + printfTrimmed(a / scale, digits: a / scale >= 100 ? 0 : 1) + suffix
        }
        if a >= 100 { return sign + String(format: "%.0f", a) }
        if a >= 10 { return sign + printfTrimmed(a, digits: 1) }
        if a >= 0.01 { return sign + printfTrimmed(a, digits: 2) }
        return String(format: "%.1e", v)
    }

    /// Three significant digits for coefficients such as the USL's σ and κ.
    static func significant(_ v: Double) -> String {
        guard v.isFinite else { return compact(v) }
        return v == 0 ? "0" : String(format: "%.3g", v)
    }

    /// C's `%.Nf` (exact ties to even) without trailing zeros: the rounding the compact chart labels have always had.
    static func printfTrimmed(_ v: Double, digits: Int) -> String {
        var s = String(format: "%.\(digits)f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }
}

/// Fixed-point formatting without Foundation's locale-dependent formatters.
public func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (Swift.abs(value) * scale).rounded()
    let negative = value < 0 && scaled > 0
    let whole = Int64(scaled / scale)
    var text = "\(whole)"
    if digits > 0 {
        let frac = Int64(scaled - Double(whole) * scale)
        var fracText = "\(frac)"
        while fracText.count < digits { fracText = "0" + fracText }
        text += "." + fracText
    }
    return negative ? "-" + text : text
}

/// `fixed` without trailing zeros: `0.01`, `1.5`, `480`; a whole number below 10^15 exactly as an integer.
func fixedTrimmed(_ value: Double, _ digits: Int) -> String {
    if value == value.rounded(), Swift.abs(value) < 1e15 { return String(Int64(value)) }
    var text = fixed(value, digits)
    if text.contains(".") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
    }
    return text == "-0" ? "0" : text
}
