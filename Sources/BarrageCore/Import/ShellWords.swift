/// Splits shell text in the bash form that browsers' "Copy as cURL" writes into commands and words, without running
/// anything and without expanding variables.
///
/// Understood: blanks between words; `\` + newline (a line continuation, removed); `\` + any other character outside
/// quotes (that character, literally); `'…'` (literal); `"…"` (where `\` escapes only `$`, `` ` ``, `"`, `\` and a
/// newline, as bash does); `$'…'` ANSI-C quoting (`\n`, `\t`, `\r`, `\a`, `\b`, `\e`, `\f`, `\v`, `\\`, `\'`, `\"`,
/// `\?`, `\xHH`, `\uHHHH`, `\UHHHHHHHH`, octal `\NNN`); `#` at the start of a word (a comment to the end of the line).
/// Commands end at an unquoted newline, `;`, `&&` or `||`. A pipe, a redirection or a subshell is refused: the text
/// is a recording to read, not a script.
public enum ShellWords {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The commands in `text`, each a list of words; commands with no words are left out.
    public static func commands(_ text: String) throws -> [[String]] {
        var commands: [[String]] = []
        var words: [String] = []
        var word: [UInt8] = []
        var inWord = false
        let s = Array(text.unicodeScalars)
        var i = 0

        func append(_ c: Unicode.Scalar) { word.append(contentsOf: Array(String(c).utf8)) }
        func endWord() throws {
            guard inWord else { return }
            guard let w = String(validating: word, as: UTF8.self) else {
                throw Failure(message: "a word is not UTF-8 text (from \\x escapes); save such a body to a file and give --data-binary @FILE")
            }
            words.append(w)
            word = []
            inWord = false
        }
        func endCommand() throws {
            try endWord()
            if !words.isEmpty { commands.append(words) }
            words = []
        }

        while i < s.count {
            let c = s[i]
            switch c {
            case " ", "\t", "\r":
                try endWord()
                i += 1
            case "\n", ";":
                try endCommand()
                i += 1
            case "&", "|":
                if i + 1 < s.count, s[i + 1] == c {
                    try endCommand()
                    i += 2
                } else {
                    throw Failure(message: "'\(c)' outside quotes: give the curl command(s) alone, without pipes or background jobs")
                }
            case "<", ">", "(", ")", "`":
                throw Failure(message: "'\(c)' outside quotes: give the curl command(s) alone, without redirections or subshells")
            case "#" where !inWord:
                while i < s.count, s[i] != "\n" { i += 1 }
            case "\\":
                guard i + 1 < s.count else { throw Failure(message: "a '\\' at the very end of the text") }
                if s[i + 1] == "\n" {
                    i += 2
                } else if s[i + 1] == "\r", i + 2 < s.count, s[i + 2] == "\n" {
                    i += 3  // a continuation copied with Windows line ends
                } else {
                    inWord = true
                    append(s[i + 1])
                    i += 2
                }
            case "'":
                inWord = true
                guard let close = s[(i + 1)...].firstIndex(of: "'") else {
                    throw Failure(message: "unterminated single quote (opened at character \(i + 1))")
                }
                for q in s[(i + 1)..<close] { append(q) }
                i = close + 1
            case "\"":
                inWord = true
                let open = i
                i += 1
                var closed = false
                while i < s.count {
                    let q = s[i]
                    if q == "\"" { closed = true; i += 1; break }
                    if q == "\\", i + 1 < s.count, ["$", "`", "\"", "\\", "\n"].contains(s[i + 1]) {
                        if s[i + 1] != "\n" { append(s[i + 1]) }
                        i += 2
                        continue
                    }
                    append(q)
                    i += 1
                }
                if !closed { throw Failure(message: "unterminated double quote (opened at character \(open + 1))") }
            case "$" where i + 1 < s.count && s[i + 1] == "'":
                inWord = true
                i = try ansiC(s, from: i + 2, into: &word, open: i)
            default:
                inWord = true
                append(c)
                i += 1
            }
        }
        try endCommand()
        return commands
    }

    /// Reads a `$'…'` body starting after the opening quote into `bytes`; returns the index after the closing quote.
    static func ansiC(_ s: [Unicode.Scalar], from start: Int, into bytes: inout [UInt8], open: Int) throws -> Int {
        var i = start
        func hex(_ maxDigits: Int) -> UInt32? {
            var value: UInt32 = 0
            var n = 0
            while n < maxDigits, i < s.count, s[i].isASCII, let d = UInt32(String(s[i]), radix: 16) {
                value = value * 16 + d
                i += 1
                n += 1
            }
            return n == 0 ? nil : value
        }
        func scalar(_ v: UInt32, _ what: String) throws {
            guard let u = Unicode.Scalar(v) else { throw Failure(message: "$'…': \(what) is not a Unicode character") }
            bytes.append(contentsOf: Array(String(u).utf8))
        }
        while i < s.count {
            let c = s[i]
            if c == "'" { return i + 1 }
            guard c == "\\", i + 1 < s.count else {
                bytes.append(contentsOf: Array(String(c).utf8))
                i += 1
                continue
            }
            let e = s[i + 1]
            i += 2
            switch e {
            case "n": bytes.append(0x0A)
            case "t": bytes.append(0x09)
            case "r": bytes.append(0x0D)
            case "a": bytes.append(0x07)
            case "b": bytes.append(0x08)
            case "e", "E": bytes.append(0x1B)
            case "f": bytes.append(0x0C)
            case "v": bytes.append(0x0B)
            case "\\", "'", "\"", "?": bytes.append(contentsOf: Array(String(e).utf8))
            case "x":
                guard let v = hex(2) else { throw Failure(message: "$'…': \\x needs hex digits") }
                bytes.append(UInt8(v))
            case "u":
                guard let v = hex(4) else { throw Failure(message: "$'…': \\u needs hex digits") }
                try scalar(v, "\\u\(String(v, radix: 16))")
            case "U":
                guard let v = hex(8) else { throw Failure(message: "$'…': \\U needs hex digits") }
                try scalar(v, "\\U\(String(v, radix: 16))")
            case "0"..."7":
                var v = UInt32(String(e))!
                var n = 1
                while n < 3, i < s.count, ("0"..."7").contains(s[i]) { v = v * 8 + UInt32(String(s[i]))!; i += 1; n += 1 }
                bytes.append(UInt8(truncatingIfNeeded: v))
            default:
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(contentsOf: Array(String(e).utf8))
            }
        }
        throw Failure(message: "unterminated $'…' quote (opened at character \(open + 1))")
    }
}
