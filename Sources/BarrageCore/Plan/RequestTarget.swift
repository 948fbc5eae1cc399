import Foundation

/// One kind of request the plan sends.
public struct RequestTarget: Sendable, Equatable {
    public var name: String
    public var url: String
    public var method: String
    /// Header lines as `Name: value`.
    public var headers: [String]
    public var body: [UInt8]
    /// Relative share of requests when the plan has several targets.
    public var weight: Double = 1
    /// What counts as ok; nil: a complete response with status < 400.
    public var expect: Profile.Expect?
    /// Overrides the plan's timeout for this target.
    public var timeoutMicros: Int64?

    public init(name: String = "default", url: String, method: String = "GET", headers: [String] = [], body: [UInt8] = [],
                weight: Double = 1, expect: Profile.Expect? = nil, timeoutMicros: Int64? = nil) {
        self.name = name; self.url = url; self.method = method; self.headers = headers; self.body = body
        self.weight = weight; self.expect = expect; self.timeoutMicros = timeoutMicros
    }
}
