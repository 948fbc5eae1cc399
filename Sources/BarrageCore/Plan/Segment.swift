import Foundation

/// One share of a plan split over N processes (`--segment I/N`, I from 1).
public struct Segment: Codable, Sendable, Equatable {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) { self.index = index; self.count = count }

    /// Parses `I/N`.
    public static func parse(_ text: String, flag: String) throws -> Segment {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(parts[1].trimmingCharacters(in: .whitespaces)), n >= 1, n <= 10_000, i >= 1, i <= n else {
            throw BarrageError.usage("\(flag) '\(text)': expected I/N with 1 ≤ I ≤ N ≤ 10000")
        }
        return Segment(index: i, count: n)
    }

    /// This segment's share of a whole that is split so the shares sum exactly (10 over 3 → 4, 3, 3).
    public func share(of whole: Int) -> Int {
        whole / count + (index - 1 < whole % count ? 1 : 0)
    }

    /// How many request numbers k < `whole` belong to this segment (k mod N == I − 1).
    public func residueCount(below whole: Int) -> Int {
        whole > index - 1 ? (whole - (index - 1) + count - 1) / count : 0
    }
}
