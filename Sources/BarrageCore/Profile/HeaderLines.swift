import Foundation

/// Header lists as `Name: value` lines.
public enum HeaderLines {
    /// `base` with `overrides` applied: a same-named header (case-insensitive) is replaced, others appended.
    public static func merge(_ base: [String], _ overrides: [String]) -> [String] {
        var out = base
        for line in overrides {
            let name = Self.name(line)
            if let i = out.firstIndex(where: { Self.name($0) == name }) { out[i] = line } else { out.append(line) }
        }
        return out
    }

    static func name(_ line: String) -> String {
        String(line.prefix { $0 != ":" }).trimmingCharacters(in: .whitespaces).lowercased()
    }
}
