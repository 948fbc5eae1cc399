/// A table of rows read from a data file (`data: { users: { file: users.csv } }`): CSV with a header row, or JSON
/// lines. Every field is kept as bytes in one buffer with one 32-bit end offset per field, so a million rows of a few
/// columns cost their bytes plus 4 bytes a field, and reading a field allocates nothing.
public struct DataSet: Sendable, Equatable {
    /// The file name used in messages.
    public let file: String
    /// The column names: the CSV header, or the keys of the first JSON line in order.
    public let columns: [String]
    public let rowCount: Int
    /// Every field's bytes, row after row.
    private let storage: [UInt8]
    /// The end offset in `storage` of each field, row-major (a field starts where the previous one ends).
    private let ends: [UInt32]

    init(file: String, columns: [String], storage: [UInt8], ends: [UInt32]) {
        self.file = file
        self.columns = columns
        self.storage = storage
        self.ends = ends
        self.rowCount = columns.isEmpty ? 0 : ends.count / columns.count
    }

    /// The index of the column named `name`.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex(of: name) }

    /// A field's bytes (a slice of the shared buffer: no copy).
    @inlinable
    public func field(row: Int, column: Int) -> ArraySlice<UInt8> {
        let range = fieldRange(row: row, column: column)
        return storageSlice(range)
    }

    /// A field as text (tests and messages).
    public func text(row: Int, column: Int) -> String { String(decoding: field(row: row, column: column), as: UTF8.self) }

    /// A row's fields as text (tests and messages).
    public func row(_ row: Int) -> [String] { columns.indices.map { text(row: row, column: $0) } }

    @usableFromInline
    func fieldRange(row: Int, column: Int) -> Range<Int> {
        let k = row * columns.count + column
        let start = k == 0 ? 0 : Int(ends[k - 1])
        return start..<Int(ends[k])
    }

    @usableFromInline
    func storageSlice(_ range: Range<Int>) -> ArraySlice<UInt8> { storage[range] }

    // MARK: loading

    /// Reads `bytes` as JSON lines when `file` ends in `.jsonl` or `.ndjson`, else as CSV.
    public static func load(bytes: [UInt8], file: String) throws -> DataSet {
        let lower = file.lowercased()
        return lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson")
            ? try jsonLines(bytes, file: file) : try csv(bytes, file: file)
    }

    private static func fail(_ file: String, _ line: Int?, _ message: String) -> BarrageError {
        BarrageError.usage(line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)")
    }

    private static func checkColumns(_ names: [String], file: String, line: Int) throws {
        var seen = Set<String>()
        for (i, name) in names.enumerated() {
            if name.isEmpty { throw fail(file, line, "empty column name (column \(i + 1))") }
            if !seen.insert(name).inserted { throw fail(file, line, "duplicate column '\(name)'") }
        }
    }

    private static func checkSize(_ count: Int, file: String) throws {
        if count > Int(UInt32.max) { throw fail(file, nil, "too large (a data file holds at most 4 GiB of fields)") }
    }

    /// RFC 4180 CSV: a header row, then rows with as many fields. Fields may be quoted (`"a, ""b"""`), and quoted
    /// fields may hold commas, quotes (doubled) and line breaks. Lines end in LF or CRLF. A leading UTF-8 byte-order
    /// mark is skipped; column names are trimmed of spaces; empty lines are skipped (so a one-column file cannot hold
    /// an empty value on its own line — quote it: `""`).
    public static func csv(_ b: [UInt8], file: String) throws -> DataSet {
        try checkSize(b.count, file: file)
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        var header: [String]?
        var storage: [UInt8] = []
        storage.reserveCapacity(b.count)
        var ends: [UInt32] = []
        var headerFields: [[UInt8]] = []

        while i < b.count {
            // Skip empty lines.
            if b[i] == lf { i += 1; line += 1; continue }
            if b[i] == cr, i + 1 < b.count, b[i + 1] == lf { i += 2; line += 1; continue }
            let recordLine = line
            let isHeader = header == nil
            let storageMark = storage.count
            var fields = 0
            var endOfRecord = false
            while !endOfRecord {
                let fieldStart = storage.count
                if i < b.count, b[i] == quote {
                    let openLine = line
                    i += 1
                    while true {
                        guard i < b.count else { throw fail(file, openLine, "unterminated quote (the quoted field never closes)") }
                        let c = b[i]
                        if c == quote {
                            if i + 1 < b.count, b[i + 1] == quote { storage.append(quote); i += 2; continue }
                            i += 1
                            break
                        }
                        if c == lf { line += 1 }
                        storage.append(c)
                        i += 1
                    }
                    if i < b.count, b[i] != comma, b[i] != lf, !(b[i] == cr && (i + 1 == b.count || b[i + 1] == lf)) {
                        throw fail(file, line, "unexpected character after a closing quote (write a quote inside a quoted field as \"\")")
                    }
                } else {
                    while i < b.count, b[i] != comma, b[i] != lf {
                        if b[i] == cr, i + 1 == b.count || b[i + 1] == lf { break }
                        storage.append(b[i])
                        i += 1
                    }
                }
                if isHeader {
                    headerFields.append(Array(storage[fieldStart...]))
                    storage.removeSubrange(fieldStart...)
                } else {
                    ends.append(UInt32(storage.count))
                }
                fields += 1
                if i < b.count, b[i] == comma {
                    i += 1
                } else {
                    if i < b.count, b[i] == cr { i += 1 }
                    if i < b.count, b[i] == lf { i += 1 }
                    line += 1
                    endOfRecord = true
                }
            }
            if isHeader {
                let names = headerFields.map { String(decoding: $0, as: UTF8.self).trimmingSpaces }
                try checkColumns(names, file: file, line: recordLine)
                header = names
                storage.removeSubrange(storageMark...)
            } else if fields != header!.count {
                throw fail(file, recordLine, "row has \(fields) field\(fields == 1 ? "" : "s"), the header has \(header!.count)")
            }
        }
        guard let columns = header else { throw fail(file, nil, "empty: expected a header row") }
        guard !ends.isEmpty else { throw fail(file, nil, "no rows (only a header)") }
        return DataSet(file: file, columns: columns, storage: storage, ends: ends)
    }

    /// JSON lines: one object of scalars per line; the first line's keys are the columns, and every line has the same
    /// keys (in any order). Strings are unescaped, numbers and booleans kept as written, null is empty. Blank lines are
    /// skipped.
    public static func jsonLines(_ b: [UInt8], file: String) throws -> DataSet {
        try checkSize(b.count, file: file)
        var columns: [String]?
        var columnIndex: [String: Int] = [:]
        var storage: [UInt8] = []
        storage.reserveCapacity(b.count)
        var ends: [UInt32] = []
        var row: [[UInt8]?] = []
        var lineStart = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var lineNumber = 0
        while lineStart < b.count {
            lineNumber += 1
            let lineEnd = b[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? b.count
            defer { lineStart = lineEnd + 1 }
            let members: [(String, JSONValue)]
            do {
                guard let parsed = try b[lineStart..<lineEnd].withUnsafeBytes({ raw in try objectMembers(raw) }) else {
                    continue  // blank line
                }
                members = parsed
            } catch let error as JSONError {
                throw fail(file, lineNumber, error.message)
            }
            if columns == nil {
                let names = members.map(\.0)
                try checkColumns(names, file: file, line: lineNumber)
                columns = names
                for (i, n) in names.enumerated() { columnIndex[n] = i }
                row = Array(repeating: nil, count: names.count)
            }
            for k in row.indices { row[k] = nil }
            for (name, value) in members {
                guard let k = columnIndex[name] else {
                    throw fail(file, lineNumber, "column '\(name)' is not in the first line")
                }
                if row[k] != nil { throw fail(file, lineNumber, "duplicate key '\(name)'") }
                switch value.kind {
                case .object, .array: throw fail(file, lineNumber, "column '\(name)' is not a scalar (objects and arrays cannot be fields)")
                case .null: row[k] = []
                default: row[k] = value.bytes
                }
            }
            for (k, field) in row.enumerated() {
                guard let field else { throw fail(file, lineNumber, "missing column '\(columns![k])'") }
                storage.append(contentsOf: field)
                ends.append(UInt32(storage.count))
            }
        }
        guard let columns, !ends.isEmpty else { throw fail(file, nil, "no rows") }
        return DataSet(file: file, columns: columns, storage: storage, ends: ends)
    }

    /// The members of the one JSON object in `raw`, in order; nil for a blank line.
    private static func objectMembers(_ raw: UnsafeRawBufferPointer) throws(JSONError) -> [(String, JSONValue)]? {
        var s = JSONScanner(raw)
        s.skipWhitespace()
        if s.atEnd { return nil }
        guard try s.peek() == UInt8(ascii: "{") else { throw JSONError("not a JSON object (each line must be {\"column\": value, …})") }
        s.pos += 1
        s.skipWhitespace()
        var members: [(String, JSONValue)] = []
        if try s.peek() == UInt8(ascii: "}") {
            s.pos += 1
        } else {
            repeat {
                let (start, end, _) = try s.scanString()
                var key: [UInt8] = []
                s.unescape(start, end, into: &key)
                s.skipWhitespace()
                try s.expect(UInt8(ascii: ":"), "':'")
                members.append((String(decoding: key, as: UTF8.self), try s.readValue(depth: 1)))
            } while try s.nextItem(close: UInt8(ascii: "}"))
        }
        try s.finish()
        return members
    }
}
