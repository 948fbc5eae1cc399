import XCTest
@testable import BarrageCore

final class FlowJSONPathTests: XCTestCase {
    private func eval(_ path: String, _ json: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        try JSONPath(parsing: path).evaluate(Array(json.utf8)).map(\.description)
    }

    func testParseTable() throws {
        let table: [(String, [JSONPath.Segment])] = [
            ("$", []),
            ("$.token", [.key(Array("token".utf8))]),
            ("$.a.b", [.key([0x61]), .key([0x62])]),
            ("$.a[0]", [.key([0x61]), .index(0)]),
            ("$.items[*].id", [.key(Array("items".utf8)), .wildcard, .key(Array("id".utf8))]),
            ("$.*", [.wildcard]),
            ("$['odd key'][12]", [.key(Array("odd key".utf8)), .index(12)]),
            ("$[\"a.b\"]", [.key(Array("a.b".utf8))]),
            ("$['it\\'s']", [.key(Array("it's".utf8))]),
            ("$.snake_case-and$dollar", [.key(Array("snake_case-and$dollar".utf8))]),
            ("$.ünï", [.key(Array("ünï".utf8))]),
        ]
        for (text, segments) in table {
            XCTAssertEqual(try JSONPath(parsing: text).segments, segments, text)
        }
        XCTAssertTrue(try JSONPath(parsing: "$.a[*]").hasWildcard)
        XCTAssertFalse(try JSONPath(parsing: "$.a[1]").hasWildcard)
    }

    func testParseErrors() {
        let table: [(String, String)] = [
            ("", "must start with '$'"), ("token", "must start with '$'"), ("$.", "expected a name"),
            ("$..a", "expected a name"), ("$a", "expected '.' or '['"), ("$[", "unterminated '['"),
            ("$[-1]", "[N] with N ≥ 0"), ("$[1", "[N] with N ≥ 0"), ("$[x]", "[N] with N ≥ 0"), ("$[*", "expected ']'"),
            ("$['a]", "unterminated quoted name"), ("$['a'", "unterminated quoted name"), ("$[99999999999]", "too large"),
            ("$.a b", "expected '.' or '['"),
        ]
        for (text, fragment) in table {
            XCTAssertThrowsError(try JSONPath(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(text): \(error)")
                XCTAssertTrue("\(error)".hasPrefix("JSON path '\(text)': "), "\(error)")
            }
        }
    }

    func testEvaluateTable() throws {
        let doc = """
        { "token": "abc", "ok": true, "n": -12.5e+3, "none": null,
          "user": { "id": 7, "name": "Ann", "tags": ["a", "b"] },
          "items": [ {"id": 1, "v": [10, 11]}, {"id": "two"}, {"x": 0}, {"id": {"deep": [1, {"k": null}]}} ],
          "empty": [], "obj": {}, "nested": [[1, 2], [3, [4, 5]]] }
        """
        let table: [(String, [String])] = [
            ("$.token", ["\"abc\""]),
            ("$.ok", ["true"]),
            ("$.n", ["-12.5e+3"]),
            ("$.none", ["null"]),
            ("$.user.id", ["7"]),
            ("$.user.tags[1]", ["\"b\""]),
            ("$.user.tags[2]", []),
            ("$.user", ["{ \"id\": 7, \"name\": \"Ann\", \"tags\": [\"a\", \"b\"] }"]),
            ("$.user.tags", ["[\"a\", \"b\"]"]),
            ("$.items[*].id", ["1", "\"two\"", "{\"deep\": [1, {\"k\": null}]}"]),
            ("$.items[0].v[*]", ["10", "11"]),
            ("$.items[3].id.deep[1].k", ["null"]),
            ("$.items[*].v[1]", ["11"]),
            ("$.empty[*]", []),
            ("$.obj.*", []),
            ("$.user.*", ["7", "\"Ann\"", "[\"a\", \"b\"]"]),
            ("$.nested[1][1][0]", ["4"]),
            ("$.nested[*][0]", ["1", "3"]),
            ("$.missing", []),
            ("$.token.deeper", []),  // a key into a string: no match
            ("$.user[0]", []),  // an index into an object
            ("$.items.id", []),  // a key into an array
            ("$['user']['name']", ["\"Ann\""]),
        ]
        for (path, want) in table {
            XCTAssertEqual(try eval(path, doc), want, path)
        }
        XCTAssertEqual(try eval("$", " [1, 2] "), ["[1, 2]"])
        XCTAssertEqual(try eval("$", "\"top\""), ["\"top\""])
        XCTAssertEqual(try eval("$[0]", "[0]"), ["0"])
    }

    func testStringsAreUnescaped() throws {
        let doc = #"{"s": "a\"b\\c\/d\n\t\r\b\f", "u": "\u00e9\u4e2d\ud83d\ude00", "lone": "\ud800x", "low": "\udc00", "raw": "ünï ✓", "end": "\ud83d"}"#
        func value(_ p: String) throws -> [UInt8] { try JSONPath(parsing: p).evaluate(Array(doc.utf8))[0].bytes }
        XCTAssertEqual(try value("$.s"), Array("a\"b\\c/d\n\t\r\u{8}\u{C}".utf8))
        XCTAssertEqual(String(decoding: try value("$.u"), as: UTF8.self), "é中😀")
        XCTAssertEqual(String(decoding: try value("$.lone"), as: UTF8.self), "\u{FFFD}x")
        XCTAssertEqual(String(decoding: try value("$.low"), as: UTF8.self), "\u{FFFD}")
        XCTAssertEqual(String(decoding: try value("$.end"), as: UTF8.self), "\u{FFFD}")
        XCTAssertEqual(String(decoding: try value("$.raw"), as: UTF8.self), "ünï ✓")
    }

    func testEscapedKeysMatch() throws {
        let doc = #"{"a\"b": 1, "t\u006fken": 2, "x y": 3, "é": 4, "\u00e9": 5, "tok": 6}"#
        XCTAssertEqual(try eval(#"$['a"b']"#, doc), ["1"])
        XCTAssertEqual(try eval("$.token", doc), ["2"])
        XCTAssertEqual(try eval("$['x y']", doc), ["3"])
        XCTAssertEqual(try eval("$.é", doc), ["4", "5"], "every member with the key, escaped or not")
        XCTAssertEqual(try eval("$.to", doc), [], "no prefix match")
    }

    func testWhitespaceAnywhere() throws {
        let doc = " \n\t{ \r\n \"a\" \t :\n [ 1 ,\n 2 ] , \"b\":{\"c\" : \"d\" } }\n "
        XCTAssertEqual(try eval("$.a[1]", doc), ["2"])
        XCTAssertEqual(try eval("$.b.c", doc), ["\"d\""])
    }

    func testMalformedAndTruncatedFailClearly() throws {
        let table: [(String, String)] = [
            ("", "empty body"),
            ("   ", "empty body"),
            ("{", "truncated"),
            ("{\"token\": \"ab", "truncated"),
            ("{\"token\": \"abc\", \"x\": [1, 2", "truncated"),
            ("{\"token\": \"abc\"", "truncated"),
            ("{\"a\": tru", "truncated"),
            ("{\"a\": 1.", "truncated"),
            ("{\"a\": \"\\u12", "truncated"),
            ("{token: 1}", "malformed JSON at byte 1: expected '\"'"),
            ("{\"a\" 1}", "expected ':'"),
            ("{\"a\": 1 \"b\": 2}", "expected ',' or '}'"),
            ("[1 2]", "expected ',' or ']'"),
            ("{\"a\": 01}", "expected ',' or '}'"),
            ("{\"a\": -}", "expected a digit"),
            ("{\"a\": 1.e5}", "a digit after '.'"),
            ("{\"a\": 1e}", "a digit in the exponent"),
            ("{\"a\": nul}", "expected 'null'"),
            ("{\"a\": \"x\\q\"}", "an escape character"),
            ("{\"a\": \"\\u12g4\"}", "a hex digit"),
            ("{\"a\": \"tab\there\"}", "no control character"),
            ("{\"a\": 1,}", "expected '\"'"),
            ("[1,]", "a JSON value"),
            ("{\"a\": 1} x", "expected the end of the JSON document"),
            ("{\"a\": 1}{}", "expected the end"),
            ("<html>", "expected a JSON value, found '<'"),
            ("\u{1}", "found byte 0x1"),
        ]
        for (doc, fragment) in table {
            for path in ["$.a", "$.token", "$[*]", "$"] {
                XCTAssertThrowsError(try JSONPath(parsing: path).evaluate(Array(doc.utf8)), "\(path) over \(doc)") { error in
                    let message = "\(error)"
                    XCTAssertTrue(message.contains(fragment), "\(path) over \(doc): \(message)")
                    XCTAssertFalse(message.contains("\n"))
                }
            }
        }
    }

    func testDepthIsBounded() throws {
        let ok = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        XCTAssertEqual(try eval("$", ok).count, 1)
        XCTAssertEqual(try eval("$[0][0][0]", ok).count, 1)
        for depth in [257, 100_000] {
            let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            for path in ["$", "$.a", "$[0][0]", "$[*][*][*]"] {
                XCTAssertThrowsError(try eval(path, deep)) { XCTAssertTrue("\($0)".contains("deeper than 256"), "\($0)") }
            }
            let objects = String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
            XCTAssertThrowsError(try eval("$.a.a.a", objects)) { XCTAssertTrue("\($0)".contains("deeper than 256"), "\($0)") }
        }
    }

    func testPick() {
        let key = FlowKey(seed: 1, vu: 3, iteration: 4, step: 1)
        XCTAssertNil(JSONPath.Pick.first.index(count: 0, key: key, stream: 0))
        XCTAssertNil(JSONPath.Pick.random.index(count: 0, key: key, stream: 0))
        XCTAssertEqual(JSONPath.Pick.first.index(count: 5, key: key, stream: 0), 0)
        XCTAssertEqual(JSONPath.Pick.last.index(count: 5, key: key, stream: 0), 4)
        var seen = Set<Int>()
        for it in 0..<200 {
            var k = key
            k.iteration = it
            let i = JSONPath.Pick.random.index(count: 5, key: k, stream: 9)!
            XCTAssertEqual(i, JSONPath.Pick.random.index(count: 5, key: k, stream: 9), "same key, same pick")
            XCTAssertTrue((0..<5).contains(i))
            seen.insert(i)
        }
        XCTAssertEqual(seen, Set(0..<5))
    }

    func testRawBufferEntryPoint() throws {
        let bytes = Array("{\"token\":\"t0k\"}".utf8)
        let values = try bytes.withUnsafeBytes { try JSONPath(parsing: "$.token").evaluate($0) }
        XCTAssertEqual(values, [JSONValue(kind: .string, bytes: Array("t0k".utf8))])
        XCTAssertEqual(values[0].text, "t0k")
    }
}
