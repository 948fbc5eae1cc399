import XCTest
@testable import BarrageCore

final class FlowDataSetTests: XCTestCase {
    private func csv(_ text: String) throws -> DataSet { try DataSet.load(bytes: Array(text.utf8), file: "users.csv") }
    private func jsonl(_ text: String) throws -> DataSet { try DataSet.load(bytes: Array(text.utf8), file: "users.jsonl") }
    private func rows(_ d: DataSet) -> [[String]] { (0..<d.rowCount).map { d.row($0) } }

    func testCSVTable() throws {
        let table: [(String, [String], [[String]])] = [
            ("name,password\nann,pw1\nbob,pw2\n", ["name", "password"], [["ann", "pw1"], ["bob", "pw2"]]),
            ("name,password\r\nann,pw1\r\nbob,pw2", ["name", "password"], [["ann", "pw1"], ["bob", "pw2"]]),
            ("\u{FEFF}a,b\n1,2", ["a", "b"], [["1", "2"]]),
            (" a , b \n 1 , 2 ", ["a", "b"], [[" 1 ", " 2 "]]),  // names trimmed, fields kept
            ("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n", ["a", "b"], [["x, y", "say \"hi\""]]),
            ("a,b\n\"line1\nline2\",2\n", ["a", "b"], [["line1\nline2", "2"]]),
            ("a,b\n\"crlf\r\ninside\",2\r\n", ["a", "b"], [["crlf\r\ninside", "2"]]),
            ("a,b\n,\n\"\",x\n", ["a", "b"], [["", ""], ["", "x"]]),
            ("a,b\n\n1,2\n\n\r\n3,4\n\n", ["a", "b"], [["1", "2"], ["3", "4"]]),  // empty lines skipped
            ("\"quoted,name\",b\n1,2", ["quoted,name", "b"], [["1", "2"]]),
            ("a\nx\n\"\"\ny", ["a"], [["x"], [""], ["y"]]),
            ("a,b\n1,2\r", ["a", "b"], [["1", "2"]]),
            ("a,b\nab\"c,d\n", ["a", "b"], [["ab\"c", "d"]]),  // a quote inside an unquoted field is kept
            ("ü,✓\nä,€\n", ["ü", "✓"], [["ä", "€"]]),
            ("a,b\n1,\"x\"", ["a", "b"], [["1", "x"]]),  // a quoted field at the end of the file
            ("\n\r\na,b\n1,2\n", ["a", "b"], [["1", "2"]]),  // blank lines before the header
        ]
        for (text, columns, want) in table {
            let d = try csv(text)
            XCTAssertEqual(d.columns, columns, text)
            XCTAssertEqual(rows(d), want, text)
            XCTAssertEqual(d.rowCount, want.count)
        }
    }

    func testCSVErrorsNameFileAndLine() {
        let table: [(String, String)] = [
            ("", "users.csv: empty: expected a header row"),
            ("\n\n", "users.csv: empty: expected a header row"),
            ("a,b\n", "users.csv: no rows (only a header)"),
            ("a,b\n1,2\n3\n", "users.csv:3: row has 1 field, the header has 2"),
            ("a,b\n1,2\n3,4,5\n", "users.csv:3: row has 3 fields, the header has 2"),
            ("a,b\n\"multi\nline\",2\n3\n", "users.csv:4: row has 1 field, the header has 2"),  // physical line
            ("\n\na,b\n1\n", "users.csv:4: row has 1 field, the header has 2"),
            ("a,b\n1,2,\n", "users.csv:2: row has 3 fields, the header has 2"),  // a trailing comma is an empty field
            ("a,,c\n1,2,3", "users.csv:1: empty column name (column 2)"),
            ("a, b,a\n1,2,3", "users.csv:1: duplicate column 'a'"),
            ("a,b\n1,\"open\n2,3\n", "users.csv:2: unterminated quote"),
            ("a,b\n\"x\"y,2\n", "users.csv:2: unexpected character after a closing quote"),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try csv(text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(text): \(error)")
                XCTAssertFalse("\(error)".contains("\n"))
                XCTAssertEqual((error as? BarrageError)?.status, .usage)
            }
        }
    }

    func testJSONLinesTable() throws {
        let d = try jsonl("""
        {"name": "ann", "id": 1, "admin": true, "note": null}

        {"id": 2.5, "name": "b\\u00f6b \\"q\\"", "admin": false, "note": "x"}\r
           {"note": "", "admin": false, "name": "", "id": -3}
        """)
        XCTAssertEqual(d.columns, ["name", "id", "admin", "note"])
        XCTAssertEqual(rows(d), [["ann", "1", "true", ""], ["böb \"q\"", "2.5", "false", "x"], ["", "-3", "false", ""]])
        XCTAssertEqual(try DataSet.load(bytes: Array("{\"a\":1}".utf8), file: "X.NDJSON").columns, ["a"])
    }

    func testJSONLinesErrors() {
        let table: [(String, String)] = [
            ("", "users.jsonl: no rows"),
            ("\n  \n", "users.jsonl: no rows"),
            ("[1, 2]", "users.jsonl:1: not a JSON object"),
            ("{\"a\": 1}\n\"x\"", "users.jsonl:2: not a JSON object"),
            ("{\"a\": 1}\n{\"a\": [1]}", "users.jsonl:2: column 'a' is not a scalar"),
            ("{\"a\": {}}", "users.jsonl:1: column 'a' is not a scalar"),
            ("{\"a\": 1}\n{\"a\": 1, \"b\": 2}", "users.jsonl:2: column 'b' is not in the first line"),
            ("{\"a\": 1, \"b\": 2}\n\n{\"b\": 2}", "users.jsonl:3: missing column 'a'"),
            ("{\"a\": 1, \"a\": 2}", "users.jsonl:1: duplicate column 'a'"),
            ("{\"a\": 1}\n{\"a\": 1, \"a\": 2}", "users.jsonl:2: duplicate key 'a'"),
            ("{\"\": 1}", "users.jsonl:1: empty column name"),
            ("{\"a\": 1", "users.jsonl:1: truncated JSON"),
            ("{\"a\": 1} {}", "users.jsonl:1: malformed JSON at byte 9"),
            ("{\"a\": 1}\n{a: 1}", "users.jsonl:2: malformed JSON at byte 1"),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try jsonl(text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(text): \(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }

    func testFieldsAndColumnLookup() throws {
        let d = try csv("name,pw\nann,1\nbob,22\n")
        XCTAssertEqual(d.columnIndex("pw"), 1)
        XCTAssertNil(d.columnIndex("password"))
        XCTAssertEqual(Array(d.field(row: 1, column: 1)), Array("22".utf8))
        XCTAssertEqual(d.text(row: 0, column: 0), "ann")
        XCTAssertEqual(d.file, "users.csv")
    }

    func testAMillionRows() throws {
        var text = "id,name\n"
        text.reserveCapacity(20_000_000)
        for i in 0..<1_000_000 { text += "\(i),u\(i)\n" }
        let d = try csv(text)
        XCTAssertEqual(d.rowCount, 1_000_000)
        XCTAssertEqual(d.row(999_999), ["999999", "u999999"])
        XCTAssertEqual(d.row(0), ["0", "u0"])
    }
}
