import XCTest
@testable import BarrageCore

final class FlowExpectTests: XCTestCase {
    private func check(_ statuses: [Int], _ json: [(String, JSONValue)], status: Int = 200, body: String? = nil) throws -> String? {
        let expect = Expect(statuses: statuses, json: try json.map { Expect.JSONCheck(path: try JSONPath(parsing: $0.0), expected: $0.1) })
        return expect.failure(for: ResponseView(status: status, body: body.map { Array($0.utf8) }))
    }

    func testStatusTable() throws {
        let table: [([Int], Int, String?)] = [
            ([], 200, nil), ([], 204, nil), ([], 302, nil), ([], 399, nil),
            ([], 404, "status 404, expected 2xx or 3xx"), ([], 500, "status 500, expected 2xx or 3xx"), ([], 101, "status 101, expected 2xx or 3xx"),
            ([200], 200, nil), ([200], 201, "status 201, expected 200"),
            ([200, 201], 201, nil), ([200, 201], 404, "status 404, expected 200 or 201"),
            ([200, 201, 204], 500, "status 500, expected 200, 201 or 204"), ([404], 404, nil),
        ]
        for (statuses, status, want) in table {
            XCTAssertEqual(try check(statuses, [], status: status), want, "\(statuses) \(status)")
        }
    }

    func testJSONChecksTable() throws {
        let body = #"{"ok": true, "n": 1, "f": 1.0, "e": 1e0, "s": "x", "z": null, "ids": [1, 1], "mixed": [1, 2], "o": {"a": 1}, "q": "1", "long": "\#(String(repeating: "y", count: 80))"}"#
        let table: [(String, JSONValue, String?)] = [
            ("$.ok", JSONValue(bool: true), nil),
            ("$.ok", JSONValue(bool: false), "$.ok: expected false, got true"),
            ("$.n", JSONValue(number: 1), nil),
            ("$.f", JSONValue(number: 1), nil),
            ("$.e", JSONValue(numberText: "1.00")!, nil),
            ("$.n", JSONValue(numberText: "2")!, "$.n: expected 2, got 1"),
            ("$.s", JSONValue(string: "x"), nil),
            ("$.s", JSONValue(string: "y"), "$.s: expected \"y\", got \"x\""),
            ("$.q", JSONValue(number: 1), "$.q: expected 1, got \"1\""),
            ("$.n", JSONValue(string: "1"), "$.n: expected \"1\", got 1"),
            ("$.z", .null, nil),
            ("$.ok", .null, "$.ok: expected null, got true"),
            ("$.ids[*]", JSONValue(number: 1), nil),
            ("$.mixed[*]", JSONValue(number: 1), "$.mixed[*]: expected 1, got 2"),
            ("$.o", JSONValue(number: 1), "$.o: expected 1, got an object"),
            ("$.ids", JSONValue(number: 1), "$.ids: expected 1, got an array"),
            ("$.missing", JSONValue(bool: true), "$.missing: no match"),
            ("$.long", JSONValue(string: "y"), "$.long: expected \"y\", got \"" + String(repeating: "y", count: 56) + "…"),
        ]
        for (path, expected, want) in table {
            XCTAssertEqual(try check([], [(path, expected)], body: body), want, "\(path) \(expected)")
        }
    }

    func testOrderAndBodyProblems() throws {
        XCTAssertEqual(try check([200], [("$.ok", JSONValue(bool: true))], status: 500, body: "{}"), "status 500, expected 200", "status first")
        XCTAssertEqual(try check([], [("$.a", .null), ("$.b", .null)], body: #"{"a": null, "b": 1}"#), "$.b: expected null, got 1")
        XCTAssertEqual(try check([], [("$.ok", JSONValue(bool: true))]), "$.ok: no body kept")
        XCTAssertEqual(try check([], [("$.ok", JSONValue(bool: true))], body: "oops"),
                       "$.ok: body is not JSON (malformed JSON at byte 0: expected a JSON value, found 'o')")
        XCTAssertFalse(Expect(statuses: [200]).needsBody)
        XCTAssertTrue(Expect(json: [Expect.JSONCheck(path: try JSONPath(parsing: "$"), expected: .null)]).needsBody)
    }

    func testNumberText() {
        for ok in ["0", "-1", "1.5", "2e10", "-0.0E-3"] { XCTAssertNotNil(JSONValue(numberText: ok), ok) }
        for bad in ["", "01", "1.", ".5", "+1", "1e", "x", "1 "] { XCTAssertNil(JSONValue(numberText: bad), bad) }
    }
}
