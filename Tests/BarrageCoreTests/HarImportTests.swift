import XCTest
@testable import BarrageCore

/// `HarFile` and `HarProfile` with no network: a small hand-made recording in Chromium's shape (HTTP/2
/// pseudo-headers, a base64 JSON response, a token reused as a Bearer header, a multipart upload, a redirect, assets,
/// pages, a form from `params`), the profile written and loaded back with the profile loader; and the bad inputs.
final class HarImportTests: XCTestCase {
    static func entry(_ start: String, _ time: Double, _ method: String, _ url: String, page: String? = nil,
                      headers: [(String, String)] = [], post: String? = nil, status: Int = 200, mime: String = "application/json",
                      response: String? = nil, base64: Bool = false, redirect: String = "", extra: String = "") -> String {
        let h = headers.map { "{\"name\": \(json($0.0)), \"value\": \(json($0.1))}" }.joined(separator: ", ")
        let text = response.map { base64 ? Data($0.utf8).base64EncodedString() : $0 }
        return """
        {\(page.map { "\"pageref\": \(json($0)), " } ?? "")"startedDateTime": "\(start)", "time": \(time),\(extra)
         "request": {"method": "\(method)", "url": \(json(url)), "httpVersion": "h2", "headers": [\(h)]\(post.map { ", \"postData\": " + $0 } ?? "")},
         "response": {"status": \(status), "headers": [], "redirectURL": \(json(redirect)),
                      "content": {"mimeType": \(json(mime))\(text.map { ", \"text\": " + json($0) } ?? "")\(base64 ? ", \"encoding\": \"base64\"" : "")}}}
        """
    }

    static func json(_ s: String) -> String {
        String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
    }

    /// A shop visit: the home page with its script and logo, a login whose token the next request sends as a Bearer
    /// header, an upload, a redirect, a form login; the entries deliberately out of time order in the file.
    static let recording: String = {
        let token = "tok-abcdef123456"
        let pseudo = [(":method", "GET"), (":authority", "shop.test"), (":scheme", "https"), (":path", "/")]
        let entries = [
            entry("2026-11-29T10:00:01.100Z", 50, "POST", "https://shop.test/api/login", page: "page_2",
                  headers: [(":method", "POST"), (":authority", "shop.test"), ("content-type", "application/json"),
                            ("content-length", "34"), ("cookie", "theme=dark"), ("origin", "https://shop.test")],
                  post: #"{"mimeType": "application/json", "text": "{\"user\":\"ann\",\"password\":\"pw-ann\"}"}"#,
                  response: #"{"ok":true,"token":"\#(token)","user":"ann"}"#, base64: true),
            entry("2026-11-29T10:00:00.000Z", 100, "GET", "https://shop.test/", page: "page_1",
                  headers: pseudo + [("accept", "text/html"), ("accept-encoding", "gzip, br"), ("cookie", "theme=dark"),
                                     ("sec-fetch-mode", "navigate"), ("user-agent", "Mozilla/5.0")],
                  mime: "text/html", response: "<html></html>"),
            entry("2026-11-29T10:00:00.150Z", 10, "GET", "https://shop.test/static/app.js?v=3", page: "page_1", mime: "text/plain"),
            entry("2026-11-29T10:00:00.160Z", 10, "GET", "https://shop.test/logo", page: "page_1", mime: "image/png",
                  response: "iVBORw0KGgo=", base64: true),
            entry("2026-11-29T10:00:01.300Z", 20, "GET", "https://shop.test/api/items/7", page: "page_2",
                  headers: [(":authority", "shop.test"), ("authorization", "Bearer \(token)"), ("accept", "application/json")],
                  response: #"{"id":7,"name":"item-7"}"#),
            entry("2026-11-29T10:00:01.400Z", 30, "POST", "https://shop.test/upload", page: "page_2",
                  headers: [("content-type", "multipart/form-data; boundary=----x")],
                  post: #"{"mimeType": "multipart/form-data; boundary=----x", "params": [{"name": "title", "value": "cat"}, {"name": "file", "fileName": "cat.png", "contentType": "image/png"}]}"#),
            entry("2026-11-29T10:00:02.000Z", 5, "GET", "https://shop.test/old", status: 302, mime: "", redirect: "/new"),
            entry("2026-11-29T10:00:02.005Z", 5, "GET", "https://shop.test/new", mime: "text/html", response: "new"),
            entry("2026-11-29T10:00:02.010Z", 5, "POST", "https://shop.test/api/login",
                  post: #"{"mimeType": "application/x-www-form-urlencoded", "params": [{"name": "user", "value": "bob"}, {"name": "password", "value": "pw-bob"}]}"#,
                  status: 401, response: #"{"ok":false}"#),
        ]
        return """
        {"log": {"version": "1.2", "creator": {"name": "hand", "version": "1"},
          "pages": [{"id": "page_1", "title": "https://shop.test/", "startedDateTime": "2026-11-29T10:00:00.000Z"},
                    {"id": "page_2", "title": "Login", "startedDateTime": "2026-11-29T10:00:01.000Z"}],
          "entries": [\(entries.joined(separator: ",\n"))]}}
        """
    }()

    private func render(_ options: HarProfile.Options = HarProfile.Options(baseURL: "https://shop.test")) throws -> HarProfile.Output {
        try HarProfile.render(try HarFile.parse(Data(Self.recording.utf8)), options: options)
    }

    /// The profile loaded from a directory holding the upload's file.
    private func load(_ text: String, variables: [String: String] = ["BASE_URL": "http://127.0.0.1:9"]) throws -> Profile {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("har-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data([0x89, 0x50, 0x4E, 0x47]).write(to: dir.appendingPathComponent("cat.png"))
        return try ProfileLoader.parse(text: text, path: dir.appendingPathComponent("recorded.yaml").path, variables: variables, environment: [:])
    }

    func testRecordingBecomesAFlowWithGroupsThinkAndACapture() throws {
        let out = try render()
        XCTAssertEqual(out.variables, ["BASE_URL"], "the Bearer token is captured, not a secret to give")
        XCTAssertEqual(out.requests, 7)
        XCTAssertEqual(out.captures, ["token from step api_login ($.token)"])
        let text = out.text
        XCTAssertTrue(text.contains("# static assets left out: 2 (images, fonts, CSS, JS); --include-assets keeps them"), text)
        XCTAssertTrue(text.contains("# capture proposed: token from step api_login ($.token), used as ${token} in api_items_7 (header authorization)"), text)
        XCTAssertTrue(text.contains("Cookie headers dropped"), text)
        XCTAssertTrue(text.contains("cookies: per_vu"), text)
        XCTAssertTrue(text.contains("capture: { token: { json: \"$.token\" } }"), text)
        XCTAssertTrue(text.contains("authorization: \"Bearer ${token}\""), text)
        XCTAssertTrue(text.contains("dropped headers (hop-by-hop, computed by libcurl, HTTP/2 pseudo-headers, or the browser's own): :method, :authority, :scheme, :path, accept-encoding, sec-fetch-mode, content-length"), text)
        XCTAssertTrue(text.contains("step old answered 302 to the URL of the next step (new): both kept as recorded"), text)
        XCTAssertTrue(text.contains("recorded over HTTP/2"), text)
        XCTAssertFalse(text.contains("theme=dark"), "Cookie headers are dropped")
        XCTAssertFalse(text.contains("tok-abcdef"), "the recorded token is not in the profile")

        let profile = try load(text)
        let flow = profile.scenarios[0].flow
        XCTAssertEqual(flow.cookies, .perVU)
        XCTAssertEqual(flow.iterations, 1)
        XCTAssertEqual(profile.targets.map(\.name), ["root", "api_login", "api_items_7", "upload", "old", "new", "api_login_2"])
        XCTAssertEqual(flow.groups, ["page_1", "page_2"])
        XCTAssertEqual(flow.groupOfStep.compactMap { $0 }, [0, 1, 1, 1, 1, 1], "root; login, think, item, think, upload")
        // Think steps: 1000ms between the pages (root ends at 0.100, login starts at 1.100), 150ms after the login,
        // 80ms after the item, 570ms after the upload; old→new is 0ms and new→form 0ms: none.
        let thinks = flow.steps.compactMap { step -> Int64? in if case .think(.fixed(let m)) = step { return m } else { return nil } }
        XCTAssertEqual(thinks, [1_000_000, 150_000, 80_000, 570_000])
        let steps = flow.requestSteps
        XCTAssertEqual(steps[1].captures.map(\.name), ["token"])
        XCTAssertEqual(steps[1].method, "POST")
        XCTAssertEqual(profile.targets[1].url, "http://127.0.0.1:9/api/login")
        XCTAssertEqual(String(decoding: profile.targets[1].body, as: UTF8.self), #"{"user":"ann","password":"pw-ann"}"#)
        XCTAssertTrue(profile.targets[1].headers.contains("origin: http://127.0.0.1:9"), "\(profile.targets[1].headers)")
        XCTAssertTrue(steps[2].headerTexts.contains { $0.contains("${token}") }, "\(steps[2].headerTexts)")
        XCTAssertTrue(text.contains("multipart:\n              fields:\n                \"title\": \"cat\"\n              files:\n                \"file\": { path: \"cat.png\", content_type: \"image/png\", filename: \"cat.png\" }"), text)
        XCTAssertFalse(profile.targets[3].headers.contains { $0.hasPrefix("content-type: multipart/form-data; boundary=----x") })
        XCTAssertTrue(text.contains("form: { \"user\": \"bob\", \"password\": \"pw-bob\" }"), text)
        XCTAssertEqual(String(decoding: profile.targets[6].body, as: UTF8.self), "user=bob&password=pw-bob")
        XCTAssertTrue(text.contains("expect: { status: [401] }"), text)
    }

    func testAssetsThinkChoicesAndNoBaseURL() throws {
        var options = HarProfile.Options(includeAssets: true, think: .none)
        var out = try render(options)
        XCTAssertEqual(out.requests, 9)
        XCTAssertFalse(out.text.contains("think:"), out.text)
        XCTAssertTrue(out.text.contains("url: \"https://shop.test/static/app.js?v=3\""), out.text)
        XCTAssertEqual(try load(out.text, variables: [:]).targets.count, 9)

        options = HarProfile.Options(think: .fixed(micros: 250_000))
        out = try render(options)
        let flow = try load(out.text, variables: [:]).scenarios[0].flow
        let thinks = flow.steps.filter { if case .think(.fixed(250_000)) = $0 { return true } else { return false } }
        XCTAssertEqual(thinks.count, 6, "one between each two of the 7 requests")
        XCTAssertTrue(out.text.contains("think steps: 250ms between requests"), out.text)
    }

    func testACaptureInTheURLAndValuesTheClientSentAreNotCaptured() throws {
        let id = "ord-9f8e7d6c5b"
        let entries = [
            Self.entry("2026-11-29T10:00:00Z", 10, "POST", "http://h/orders",
                       post: #"{"mimeType": "application/json", "text": "{\"customer\":\"customer-0001\"}"}"#,
                       response: #"{"order":{"id":"\#(id)","customer":"customer-0001","lines":[{"sku":"sku-123456789"}]}}"#),
            Self.entry("2026-11-29T10:00:00.010Z", 10, "GET", "http://h/orders/\(id)?sku=sku-123456789&customer=customer-0001"),
        ]
        let har = try HarFile.parse(Data(#"{"log": {"entries": [\#(entries.joined(separator: ","))]}}"#.utf8))
        let out = try HarProfile.render(har)
        XCTAssertTrue(out.text.contains("url: \"http://h/orders/${id}?sku=${sku}&customer=customer-0001\""), out.text)
        XCTAssertTrue(out.text.contains("capture: { sku: { json: \"$.order.lines[0].sku\" }, id: { json: \"$.order.id\" } }")
                      || out.text.contains("capture: { id: { json: \"$.order.id\" }, sku: { json: \"$.order.lines[0].sku\" } }"), out.text)
        XCTAssertEqual(out.captures.count, 2, "customer-0001 was sent by the client first")
        XCTAssertNoThrow(try ProfileLoader.parse(text: out.text, path: "r.yaml", variables: [:], environment: [:]))
    }

    func testBadInputNamesWhatIsWrong() throws {
        func failure(_ text: String) -> String {
            do {
                _ = try HarProfile.render(try HarFile.parse(Data(text.utf8)))
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(failure("{\"log\": ").hasPrefix("not JSON"), failure("{\"log\": "))
        XCTAssertEqual(failure("{}"), "not a HAR file (no log.entries)")
        XCTAssertEqual(failure("[1, 2]"), "not a HAR file (no log.entries)")
        XCTAssertEqual(failure("{\"log\": {\"pages\": []}}"), "not a HAR file (no log.entries)")
        XCTAssertEqual(failure("{\"log\": {\"entries\": []}}"), "no requests to import")
        XCTAssertEqual(failure("{\"log\": {\"entries\": [{\"startedDateTime\": \"2026-01-01T00:00:00Z\", \"request\": {\"method\": \"GET\"}}]}}"),
                       "log.entries[0].request.url: missing")
        XCTAssertEqual(failure("{\"log\": {\"entries\": [{\"startedDateTime\": \"yesterday\", \"request\": {\"method\": \"GET\", \"url\": \"http://h/\"}}]}}"),
                       "log.entries[0].startedDateTime: 'yesterday' is not an ISO 8601 time")
        let onlyAssets = "{\"log\": {\"entries\": [\(Self.entry("2026-01-01T00:00:00Z", 1, "GET", "http://h/a.png"))]}}"
        XCTAssertEqual(failure(onlyAssets), "no requests to import (1 static asset left out; --include-assets keeps them)")
    }

    func testStartedDateTimeForms() {
        XCTAssertEqual(HarTime.micros("1970-01-01T00:00:01.5Z"), 1_500_000)
        XCTAssertEqual(HarTime.micros("1970-01-01T01:00:01.123456+01:00"), 1_123_456)
        XCTAssertEqual(HarTime.micros("1970-01-01T00:00:00-0030"), 1_800_000_000)
        XCTAssertEqual(HarTime.micros("2026-11-29T16:30:21.123456+00:00"), 1_795_969_821_123_456)
        XCTAssertEqual(HarTime.micros("2000-02-29T00:00:00.1234567Z"), 951_782_400_123_456)
        XCTAssertNil(HarTime.micros("2026-11-29"))
        XCTAssertNil(HarTime.micros("2026-11-29T16:30:21.Z"))
        XCTAssertNil(HarTime.micros("2026-13-29T16:30:21Z"))
    }
}
