import Foundation

/// A regular expression compiled once (at profile load) for captures, with the capture group it extracts.
///
/// Backed by Foundation's `NSRegularExpression` (ICU syntax), chosen over Swift `Regex` by callgrind (swiftc -O, Swift
/// 6.3.1, Linux), instructions per match: over a 2 KB HTML body with the match near its end, 134k against 1.05M
/// (two thirds of the 134k is Foundation converting the String to UTF-16); over an 11-byte header value, 10.4k
/// against 11.7k. Either way a body regex costs far more than a JSON path capture (about 4k for a 110-byte body).
/// Matching is thread-safe, so one compiled value is shared by every engine thread.
public struct FlowRegex: @unchecked Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    /// The group whose text is captured (0: the whole match).
    public let group: Int
    private let regex: NSRegularExpression

    /// Compiles `pattern`; throws a one-line usage error for a bad pattern or a group the pattern does not have.
    public init(_ pattern: String, group: Int = 1) throws {
        let regex: NSRegularExpression
        do {
            regex = try NSRegularExpression(pattern: pattern)
        } catch {
            throw BarrageError.usage("regex '\(pattern)': not a valid regular expression")
        }
        guard group >= 0, group <= regex.numberOfCaptureGroups else {
            let n = regex.numberOfCaptureGroups
            throw BarrageError.usage("regex '\(pattern)': has \(n) group\(n == 1 ? "" : "s"), group \(group) asked"
                + (n == 0 && group == 1 ? " (add parentheses around the part to capture, or use group: 0)" : ""))
        }
        self.pattern = pattern
        self.group = group
        self.regex = regex
    }

    public var description: String { pattern }

    public static func == (a: FlowRegex, b: FlowRegex) -> Bool { a.pattern == b.pattern && a.group == b.group }

    /// The group's text in the first match in `text`, or nil when nothing matches (or the group took no part).
    public func firstMatch(in text: String) -> String? {
        guard let m = regex.firstMatch(in: text, range: NSRange(location: 0, length: text.utf16.count)),
              let r = Range(m.range(at: group), in: text) else { return nil }
        // Slicing the Swift string: NSString.substring(with:) decodes UTF-16 on a slow path (a third of a match).
        return String(text[r])
    }

    /// The group's text in the first match in `bytes` (decoded as UTF-8, invalid bytes replaced).
    public func firstMatch(in bytes: [UInt8]) -> String? {
        firstMatch(in: String(decoding: bytes, as: UTF8.self))
    }
}
