/// The check every target URL passes before anything is sent (flags, profiles after `${VAR}` substitution).
///
/// Foundation's `URLComponents` accepts `http://127.0.0.1:99999/` and libcurl then fails every request at once, which
/// a closed-model worker turns into hundreds of thousands of instant "requests". So the URL is read here completely:
/// `http` or `https`, a host, a port from 1 to 65535 when one is given, and no raw space or control character anywhere
/// (write `%20`).
public enum HTTPURL {
    /// Why `text` is not a URL Barrage can send to, in a few words; nil when it is one.
    public static func problem(_ text: String) -> String? {
        guard let schemeEnd = text.range(of: "://") else { return "expected http:// or https:// with a host" }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return "expected http:// or https://, not \(scheme)://" }
        if let bad = text.unicodeScalars.first(where: isRawForbidden) {
            return bad == " " ? "contains a space (write %20)" : "contains a control character (U+\(hex(bad.value)))"
        }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var hostPort = rest[..<authorityEnd]
        if let at = hostPort.lastIndex(of: "@") { hostPort = hostPort[hostPort.index(after: at)...] }
        let host: Substring
        var port: Substring? = nil
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return "unterminated [ in the IPv6 address" }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "%" }) else {
                return "'\(hostPort[...close])' is not an IPv6 address"
            }
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { return "expected :PORT after the IPv6 address" }
                port = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            port = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        guard !host.isEmpty else { return "no host" }
        if !hostPort.hasPrefix("["), let bad = host.first(where: { !isHostCharacter($0) }) {
            return "'\(bad)' is not allowed in the host name"
        }
        if let port {
            guard !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return "port '\(port)' is not a number"
            }
            guard port.count <= 5, let value = Int(port), (1...65_535).contains(value) else {
                return "port \(port) is out of range (1-65535)"
            }
        }
        return nil
    }

    /// A space, or a C0/C1 control character or DEL: never valid raw in a URL.
    static func isRawForbidden(_ c: Unicode.Scalar) -> Bool {
        c.value <= 0x20 || c.value == 0x7F || (0x80...0x9F).contains(c.value)
    }

    /// RFC 3986 reg-name characters (unreserved, sub-delims, `%` of percent-encoding), and non-ASCII (IDN) letters.
    static func isHostCharacter(_ c: Character) -> Bool {
        if !c.isASCII { return c.isLetter || c.isNumber }
        return c.isLetter || c.isNumber || "-._~%!$&'()*+,;=".contains(c)
    }

    private static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
