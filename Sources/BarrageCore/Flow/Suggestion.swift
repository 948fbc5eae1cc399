/// "Did you mean …?" for an unknown name: the closest known name by edit distance.
public enum Suggestion {
    /// The candidate closest to `name`, or nil when none is close enough. Close enough: an edit distance (insertions,
    /// deletions, substitutions and swaps of two adjacent characters, each costing 1) of at most 2, or at most a third
    /// of the name's length when that is more, and never every character of the name (so `id` does not suggest `vu`).
    /// Ties go to the earlier candidate. Case counts (`Token` is one edit from `token`).
    public static func closest(to name: String, among candidates: [String]) -> String? {
        let a = Array(name.unicodeScalars)
        let limit = max(2, a.count / 3)
        var best: (distance: Int, candidate: String)?
        for candidate in candidates {
            let b = Array(candidate.unicodeScalars)
            if abs(a.count - b.count) > limit { continue }
            let d = distance(a, b)
            guard d <= limit, d < max(a.count, b.count) || d == 0 else { continue }
            if best == nil || d < best!.distance { best = (d, candidate) }
        }
        return best?.candidate
    }

    /// The optimal-string-alignment distance between two names (Levenshtein plus adjacent swaps).
    public static func distance(_ x: String, _ y: String) -> Int {
        distance(Array(x.unicodeScalars), Array(y.unicodeScalars))
    }

    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Three rows: two back (for swaps), previous, current.
        var twoBack = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, twoBack[j - 2] + 1) }
                current[j] = d
            }
            (twoBack, previous, current) = (previous, current, twoBack)
        }
        return previous[b.count]
    }
}
