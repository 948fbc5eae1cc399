/// What captures and checks see of a response: the status, the header lines as received and the body when the step
/// kept it (only steps that capture from or check the body keep it).
public struct ResponseView: Sendable {
    /// One header line as received: the name as sent (case kept) and the value without surrounding whitespace.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) { self.name = name; self.value = value }
    }

    public var status: Int
    public var headers: [Field]
    /// The body, or nil when the step did not keep it.
    public var body: [UInt8]?

    public init(status: Int, headers: [Field] = [], body: [UInt8]? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The values of every header named `name` (ASCII case-insensitive), in order received.
    public func values(of name: String) -> [String] {
        headers.compactMap { ResponseView.sameName($0.name, name) ? $0.value : nil }
    }

    /// The first value of the header named `name` (ASCII case-insensitive).
    public func value(of name: String) -> String? {
        headers.first { ResponseView.sameName($0.name, name) }?.value
    }

    /// ASCII case-insensitive comparison of two header names, without allocating.
    static func sameName(_ a: String, _ b: String) -> Bool {
        var i = a.utf8.makeIterator(), j = b.utf8.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return true
            case (let x?, let y?):
                if x == y { continue }
                if x | 0x20 == y | 0x20, (x | 0x20) >= UInt8(ascii: "a"), (x | 0x20) <= UInt8(ascii: "z") { continue }
                return false
            default: return false
            }
        }
    }

    /// Parses header lines as libcurl hands them (`Name: value\r\n`); the status line and blank lines are skipped.
    /// With redirects followed, pass only the last response's lines.
    public static func fields(fromLines lines: [String]) -> [Field] {
        lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("HTTP/") else { return nil }
            let name = String(line[..<colon]).trimmingSpaces
            let value = String(line[line.index(after: colon)...]).trimmingLineEnds.trimmingSpaces
            return name.isEmpty ? nil : Field(name: name, value: value)
        }
    }
}

extension String {
    var trimmingLineEnds: String {
        var s = Substring(self)
        while let last = s.unicodeScalars.last, last == "\r" || last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
