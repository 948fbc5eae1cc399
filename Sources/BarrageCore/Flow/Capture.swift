/// A value a step takes from its response into a flow variable (`capture: { token: { json: "$.token" } }`).
public struct Capture: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// The match of a JSON path in the body; `pick` chooses among several matches.
        case json(JSONPath, pick: JSONPath.Pick)
        /// Every match of a JSON path in the body, as a list (for a later `foreach`); an empty list is a failure.
        case jsonList(JSONPath)
        /// The regex's group in the first match in the body.
        case regex(FlowRegex)
        /// A header's value (name ASCII case-insensitive; the first such header), optionally through a regex's group.
        case header(String, regex: FlowRegex?)
        /// A cookie's value from the response's `Set-Cookie` headers (the last one setting that name wins).
        case cookie(String)
        /// The status code as decimal text.
        case status
    }

    /// The variable the capture sets.
    public var name: String
    public var source: Source
    /// The capture's number in its step: its stream for `pick: random` (`FlowKey.Stream.capture`).
    public var index: Int

    public init(name: String, source: Source, index: Int = 0) {
        self.name = name
        self.source = source
        self.index = index
    }

    /// True when the capture reads the body: the step must keep it.
    public var needsBody: Bool {
        switch source {
        case .json, .jsonList, .regex: return true
        case .header, .cookie, .status: return false
        }
    }

    /// What a capture produced: the value, or why there is none (one line, naming the source).
    public enum Outcome: Sendable, Equatable {
        case captured(FlowValue)
        case failed(String)
    }

    /// Extracts the value from `response`. `key` is the step's flow key (for `pick: random`).
    public func extract(from response: ResponseView, key: FlowKey) -> Outcome {
        switch source {
        case .json(let path, let pick):
            switch jsonMatches(path, response) {
            case .failure(let f): return .failed(f.description)
            case .success(let matches):
                guard let i = pick.index(count: matches.count, key: key, stream: FlowKey.Stream.capture(index)) else {
                    return .failed("\(path): no match")
                }
                return .captured(.bytes(matches[i].bytes))
            }
        case .jsonList(let path):
            switch jsonMatches(path, response) {
            case .failure(let f): return .failed(f.description)
            case .success(let matches):
                if matches.isEmpty { return .failed("\(path): no match") }
                return .captured(.list(matches.map(\.bytes)))
            }
        case .regex(let regex):
            guard let body = response.body else { return .failed("regex '\(regex)': no body kept") }
            guard let text = regex.firstMatch(in: body) else { return .failed("regex '\(regex)': no match in the body") }
            return .captured(.bytes(Array(text.utf8)))
        case .header(let name, let regex):
            guard let value = response.value(of: name) else { return .failed("header \(name): absent") }
            guard let regex else { return .captured(.bytes(Array(value.utf8))) }
            guard let text = regex.firstMatch(in: value) else { return .failed("header \(name): no match for regex '\(regex)'") }
            return .captured(.bytes(Array(text.utf8)))
        case .cookie(let name):
            guard let value = Capture.cookie(name, in: response.values(of: "Set-Cookie")) else {
                return .failed("cookie \(name): absent")
            }
            return .captured(.bytes(Array(value.utf8)))
        case .status:
            var out: [UInt8] = []
            CompiledTemplate.appendDecimal(Int64(response.status), into: &out)
            return .captured(.bytes(out))
        }
    }

    private func jsonMatches(_ path: JSONPath, _ response: ResponseView) -> Result<[JSONValue], CaptureFailure> {
        guard let body = response.body else { return .failure(CaptureFailure("\(path): no body kept")) }
        do {
            return .success(try path.evaluate(body))
        } catch {
            return .failure(CaptureFailure("\(path): body is not JSON (\(error))"))
        }
    }

    /// The value of cookie `name` in `Set-Cookie` header values (`name=value; Path=/; …`); the last one wins. The
    /// value is kept as sent (quotes included), as a client sends it back.
    public static func cookie(_ name: String, in setCookies: [String]) -> String? {
        var found: String?
        for line in setCookies {
            let pair = line.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            guard let eq = pair.firstIndex(of: "=") else { continue }
            if String(pair[..<eq]).trimmingSpaces == name { found = String(pair[pair.index(after: eq)...]).trimmingSpaces }
        }
        return found
    }
}

/// A capture's failure reason, as an Error for `Result`.
struct CaptureFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
