import XCTest
@testable import BarrageCore

final class FlowCaptureTests: XCTestCase {
    private let key = FlowKey(seed: 5, scenario: 0, vu: 1, iteration: 2, step: 3)
    private let response = ResponseView(
        status: 201,
        headers: ResponseView.fields(fromLines: [
            "HTTP/1.1 201 Created\r\n", "Content-Type: application/json\r\n", "location: /cart/123?x=1\r\n",
            "Set-Cookie: session=s1; Path=/; HttpOnly\r\n", "Set-Cookie: theme=\"dark\"\r\n", "Set-Cookie: session=s2\r\n",
            "X-Empty:\r\n", "\r\n",
        ]),
        body: Array(#"{"token": "t\"0k", "ok": true, "items": [{"id": 1}, {"id": 2}, {"id": 3}], "n": 1.50, "html": "<a id='x7'>"}"#.utf8))

    private func capture(_ source: Capture.Source, _ r: ResponseView? = nil) -> Capture.Outcome {
        Capture(name: "v", source: source, index: 0).extract(from: r ?? response, key: key)
    }

    private func bytes(_ s: String) -> Capture.Outcome { .captured(.bytes(Array(s.utf8))) }

    func testHeaderFieldsFromCurlLines() {
        XCTAssertEqual(response.headers.map(\.name), ["Content-Type", "location", "Set-Cookie", "Set-Cookie", "Set-Cookie", "X-Empty"])
        XCTAssertEqual(response.value(of: "LOCATION"), "/cart/123?x=1")
        XCTAssertEqual(response.value(of: "x-empty"), "")
        XCTAssertNil(response.value(of: "Locatio"))
        XCTAssertEqual(response.values(of: "set-cookie").count, 3)
        XCTAssertTrue(ResponseView.sameName("Content-Type", "content-TYPE"))
        XCTAssertFalse(ResponseView.sameName("a[", "A{"), "only letters fold case")
    }

    func testCaptureTable() throws {
        let table: [(Capture.Source, Capture.Outcome)] = [
            (.json(try JSONPath(parsing: "$.token"), pick: .first), bytes("t\"0k")),
            (.json(try JSONPath(parsing: "$.ok"), pick: .first), bytes("true")),
            (.json(try JSONPath(parsing: "$.n"), pick: .first), bytes("1.50")),
            (.json(try JSONPath(parsing: "$.items[*].id"), pick: .first), bytes("1")),
            (.json(try JSONPath(parsing: "$.items[*].id"), pick: .last), bytes("3")),
            (.json(try JSONPath(parsing: "$.items[1]"), pick: .first), bytes("{\"id\": 2}")),
            (.json(try JSONPath(parsing: "$.tokn"), pick: .first), .failed("$.tokn: no match")),
            (.jsonList(try JSONPath(parsing: "$.items[*].id")), .captured(.list([[0x31], [0x32], [0x33]]))),
            (.jsonList(try JSONPath(parsing: "$.none[*]")), .failed("$.none[*]: no match")),
            (.regex(try FlowRegex("id='(x\\d+)'")), bytes("x7")),
            (.regex(try FlowRegex("id='x\\d+'", group: 0)), bytes("id='x7'")),
            (.regex(try FlowRegex("nope(\\d)")), .failed("regex 'nope(\\d)': no match in the body")),
            (.regex(try FlowRegex("(a)|(zz)", group: 2)), .failed("regex '(a)|(zz)': no match in the body")),
            (.header("Location", regex: nil), bytes("/cart/123?x=1")),
            (.header("location", regex: try FlowRegex("/cart/(\\d+)")), bytes("123")),
            (.header("Location", regex: try FlowRegex("/item/(\\d+)")), .failed("header Location: no match for regex '/item/(\\d+)'")),
            (.header("Etag", regex: nil), .failed("header Etag: absent")),
            (.header("X-Empty", regex: nil), bytes("")),
            (.cookie("session"), bytes("s2")),
            (.cookie("theme"), bytes("\"dark\"")),
            (.cookie("Path"), .failed("cookie Path: absent")),
            (.cookie("sess"), .failed("cookie sess: absent")),
            (.status, bytes("201")),
        ]
        for (source, want) in table {
            XCTAssertEqual(capture(source), want, "\(source)")
        }
    }

    func testBodyProblems() throws {
        let noBody = ResponseView(status: 200)
        XCTAssertEqual(capture(.json(try JSONPath(parsing: "$.a"), pick: .first), noBody), .failed("$.a: no body kept"))
        XCTAssertEqual(capture(.regex(try FlowRegex("(a)")), noBody), .failed("regex '(a)': no body kept"))
        let html = ResponseView(status: 200, body: Array("<html>".utf8))
        guard case .failed(let why) = capture(.json(try JSONPath(parsing: "$.a"), pick: .first), html) else { return XCTFail() }
        XCTAssertEqual(why, "$.a: body is not JSON (malformed JSON at byte 0: expected a JSON value, found '<')")
        let truncated = ResponseView(status: 200, body: Array("{\"a\": 1, \"b\": [".utf8))
        guard case .failed(let why2) = capture(.json(try JSONPath(parsing: "$.a"), pick: .first), truncated) else { return XCTFail() }
        XCTAssertTrue(why2.hasPrefix("$.a: body is not JSON (truncated JSON"), why2)
        let invalidUTF8 = ResponseView(status: 200, body: [0xFF, 0x41, 0x42])
        XCTAssertEqual(capture(.regex(try FlowRegex("(AB)")), invalidUTF8), bytes("AB"))
    }

    func testNeedsBody() throws {
        let p = try JSONPath(parsing: "$")
        XCTAssertTrue(Capture(name: "a", source: .json(p, pick: .first)).needsBody)
        XCTAssertTrue(Capture(name: "a", source: .jsonList(p)).needsBody)
        XCTAssertTrue(Capture(name: "a", source: .regex(try FlowRegex("(a)"))).needsBody)
        XCTAssertFalse(Capture(name: "a", source: .header("X", regex: try FlowRegex("(a)"))).needsBody)
        XCTAssertFalse(Capture(name: "a", source: .cookie("c")).needsBody)
        XCTAssertFalse(Capture(name: "a", source: .status).needsBody)
    }

    func testRandomPickIsKeyedOnTheCapture() throws {
        let path = try JSONPath(parsing: "$.items[*].id")
        var seen = Set<String>()
        for it in 0..<60 {
            var k = key
            k.iteration = it
            let a = Capture(name: "v", source: .json(path, pick: .random), index: 0).extract(from: response, key: k)
            XCTAssertEqual(a, Capture(name: "w", source: .json(path, pick: .random), index: 0).extract(from: response, key: k))
            guard case .captured(let v) = a else { return XCTFail("\(a)") }
            seen.insert(v.text)
        }
        XCTAssertEqual(seen, ["1", "2", "3"])
    }

    func testRegexErrorsAtCompile() {
        let table: [(String, Int, String)] = [
            ("(unclosed", 1, "not a valid regular expression"),
            ("no-group", 1, "has 0 groups, group 1 asked (add parentheses"),
            ("(one)", 2, "has 1 group, group 2 asked"),
            ("(one)", -1, "has 1 group, group -1 asked"),
        ]
        for (pattern, group, fragment) in table {
            XCTAssertThrowsError(try FlowRegex(pattern, group: group), pattern) { error in
                XCTAssertTrue("\(error)".hasPrefix("regex '\(pattern)': "), "\(error)")
                XCTAssertTrue("\(error)".contains(fragment), "\(error)")
            }
        }
        XCTAssertNoThrow(try FlowRegex("no-group", group: 0))
    }

    func testRegexGroupsOutsideASCII() throws {
        // Group ranges are UTF-16 offsets: text before the match with astral and accented characters must not shift them.
        XCTAssertEqual(try FlowRegex("c(ä+)t").firstMatch(in: "😀 é cäät ✓"), "ää")
        XCTAssertEqual(try FlowRegex("(✓)$").firstMatch(in: "😀😀 ✓"), "✓")
        XCTAssertEqual(try FlowRegex("id=(\\d+)").firstMatch(in: Array("naïve 😀 id=42;".utf8)), "42")
        XCTAssertEqual(try FlowRegex("(x)?y", group: 1).firstMatch(in: "y"), nil, "a group that took no part")
        XCTAssertEqual(try FlowRegex("(x*)y", group: 1).firstMatch(in: "y"), "", "an empty group is a value")
    }

    func testCookieParsing() {
        let table: [([String], String, String?)] = [
            (["a=1"], "a", "1"),
            (["a=1; Path=/", "b=2"], "b", "2"),
            (["a=1", "a=2; Max-Age=0"], "a", "2"),
            ([" a = x=y ; Secure"], "a", "x=y"),
            (["a="], "a", ""),
            (["novalue"], "novalue", nil),
            (["ab=1"], "a", nil),
            ([], "a", nil),
        ]
        for (lines, name, want) in table {
            XCTAssertEqual(Capture.cookie(name, in: lines), want, "\(lines) \(name)")
        }
    }
}
