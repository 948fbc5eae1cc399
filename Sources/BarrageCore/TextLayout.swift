/// Fitting the text summary into a terminal of 80 columns without cutting a number.
///
/// Lines break between the ` · `-separated parts of a line first, then at spaces inside a part; only a single word
/// longer than a whole line (a long URL) is split inside, and never a number. Widths are counted in characters: every
/// symbol the summary uses (`·`, `≤`, `µ`, block elements) takes one column.
enum TextLayout {
    /// The columns the summary fits.
    static let width = 80
    /// `  Requests    `: two spaces, the label padded to 12.
    static let labelColumn = 14

    /// `  Label       part · part · part`, continued under the first part when the parts do not fit on one line.
    static func labelled(_ label: String, _ parts: [String], separator: String = " · ", width: Int = width) -> [String] {
        let head = "  " + label + String(repeating: " ", count: max(1, labelColumn - 2 - label.count))
        return pack(parts, first: head, indent: String(repeating: " ", count: labelColumn), separator: separator, width: width)
    }

    /// Parts joined by `separator` into lines of at most `width`: the first line starts with `first`, the others
    /// with `indent`. A part too long for a line of its own is wrapped at its spaces.
    static func pack(_ parts: [String], first: String, indent: String, separator: String = " · ", width: Int = width) -> [String] {
        var lines: [String] = []
        var current = first
        var empty = true
        for part in parts where !part.isEmpty {
            if !empty {
                if current.count + separator.count + part.count <= width {
                    current += separator + part
                    continue
                }
                lines.append(current)
                current = indent
            }
            // A fresh line: the part goes here whole, or wrapped at its spaces when longer than the line.
            let pieces = wrap(part, firstWidth: width - current.count, width: width - indent.count)
            for piece in pieces.dropLast() {
                lines.append(current + piece)
                current = indent
            }
            current += pieces.last ?? ""
            empty = false
        }
        lines.append(current)
        return lines.map(rightTrimmed)
    }

    /// Prose wrapped at spaces into lines of at most `width` (the first line `firstWidth`). A number stays on the
    /// line of the word before it (`timeout 24,691`, `(curl 7)`). A word longer than a whole line (only URLs and
    /// paths are that long; numbers never are) fills the line it starts on and goes on in the next.
    static func wrap(_ text: String, firstWidth: Int? = nil, width: Int) -> [String] {
        let width = max(10, width)
        var limit = max(10, firstWidth ?? width)
        var lines: [String] = []
        var current = ""
        func push() {
            lines.append(current)
            current = ""
            limit = width
        }
        for unit in units(text) {
            if current.isEmpty {
                current = unit
            } else if current.count + 1 + unit.count <= limit {
                current += " " + unit
            } else if unit.count > width && current.count + 2 < limit {
                current += " " + unit // too long for any line: start it here rather than leave a short line
            } else {
                push()
                current = unit
            }
            while current.count > limit {
                let tail = String(current.dropFirst(limit))
                current = String(current.prefix(limit))
                push()
                current = tail
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    /// The words of `text`, each number glued to the word before it (when the two fit in a short unit).
    static func units(_ text: String) -> [String] {
        var out: [String] = []
        for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            if let last = out.last, word.first?.isNumber == true, last.count + 1 + word.count <= 24 {
                out[out.count - 1] = last + " " + word
            } else {
                out.append(word)
            }
        }
        return out
    }

    /// Prose shortened to at most `lines` lines of `width`: cut at a space, never inside a word (so never inside a
    /// number), with `…` where it was cut. A trailing `(curl N)` is kept.
    static func shortened(_ text: String, width: Int, lines maxLines: Int) -> [String] {
        let wrapped = wrap(text, width: width)
        guard wrapped.count > maxLines else { return wrapped }
        var suffix = ""
        var body = text
        if let open = text.range(of: " (curl ", options: .backwards), text.hasSuffix(")") {
            suffix = String(text[open.lowerBound...])
            body = String(text[..<open.lowerBound])
        }
        var words = body.split(separator: " ").map(String.init)
        while !words.isEmpty {
            words.removeLast()
            let candidate = wrap(words.joined(separator: " ") + " …" + suffix, width: width)
            if candidate.count <= maxLines { return candidate }
        }
        return wrap("…" + suffix, width: width)
    }

    /// Right-aligned columns (the first left-aligned), indented by two spaces.
    static func table(_ rows: [[String]]) -> [String] {
        var widths = Array(repeating: 0, count: rows.map(\.count).max() ?? 0)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = Swift.max(widths[i], c.count) } }
        return rows.map { row in
            rightTrimmed("  " + row.enumerated().map { i, c in
                i == 0 ? c + String(repeating: " ", count: widths[i] - c.count)
                       : String(repeating: " ", count: widths[i] - c.count) + c
            }.joined(separator: "  "))
        }
    }

    /// Cuts text to `limit` characters, the last one `…`; nothing at all when not even one character and the `…` fit.
    static func truncated(_ s: String, to limit: Int) -> String {
        guard s.count > limit else { return s }
        return limit <= 1 ? "" : String(s.prefix(limit - 1)) + "…"
    }

    static func rightTrimmed(_ s: String) -> String {
        var s = s
        while s.last == " " { s.removeLast() }
        return s
    }
}
