import XCTest
@testable import BarrageCore

/// `ShellWords`, `CurlCommand` and `CurlProfile` with no network: the bash forms browsers copy, the flags, the errors,
/// and the profile written, loaded back with the profile loader.
final class CurlImportTests: XCTestCase {
    /// Chromium's "Copy as cURL (bash)": the URL first, one flag per line after `\`, `--data-raw`, `--compressed`.
    static let chromium = """
    curl 'http://127.0.0.1:8080/api/login' \\
      -H 'accept: application/json' \\
      -H 'accept-language: en-US,en;q=0.9' \\
      -H 'content-type: application/json' \\
      -H 'origin: http://127.0.0.1:8080' \\
      -H 'priority: u=1, i' \\
      -H 'referer: http://127.0.0.1:8080/' \\
      -H 'sec-ch-ua: "Chromium";v="131", "Not_A Brand";v="24"' \\
      -H 'sec-ch-ua-mobile: ?0' \\
      -H 'sec-fetch-mode: cors' \\
      -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' \\
      --data-raw '{"user":"ann","password":"pw-ann"}' \\
      --compressed
    """

    /// Firefox's "Copy as cURL (POSIX)": one line, `-X POST`, `$'…'` for a body with quotes and newlines.
    static let firefox = """
    curl 'http://127.0.0.1:8080/echo?access_token=abc123&page=2' -X POST -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' -H 'Accept: */*' -H 'Accept-Language: en-US,en;q=0.5' -H 'Accept-Encoding: gzip, deflate, br, zstd' -H 'Content-Type: text/plain' -H 'Origin: http://127.0.0.1:8080' -H 'Connection: keep-alive' -H 'Authorization: Bearer eyJhbGciOi.xyz' -H 'Sec-Fetch-Dest: empty' --data-raw $'it\\'s a "note"\\nline two\\t\\u00e9'
    """

    // MARK: Shell words

    func testWordsQuotesContinuationsAndAnsiC() throws {
        XCTAssertEqual(try ShellWords.commands("curl 'a b' \"c \\\"d\\\" \\$e\" f\\ g"), [["curl", "a b", "c \"d\" $e", "f g"]])
        XCTAssertEqual(try ShellWords.commands("curl \\\n  -s \\\n  'u'"), [["curl", "-s", "u"]])
        XCTAssertEqual(try ShellWords.commands("curl ''"), [["curl", ""]])
        XCTAssertEqual(try ShellWords.commands("curl $'a\\nb\\tc\\'d\\\\e\\x41\\u00e9\\101'"), [["curl", "a\nb\tc'd\\eAéA"]])
        XCTAssertEqual(try ShellWords.commands("curl a; curl b && curl c\n\ncurl d # note\n"),
                       [["curl", "a"], ["curl", "b"], ["curl", "c"], ["curl", "d"]])
        XCTAssertEqual(try ShellWords.commands("curl 'x'\"y\"$'z'"), [["curl", "xyz"]])
    }

    func testShellErrorsAreOneLine() {
        for (text, expected) in [("curl 'abc", "unterminated single quote"), ("curl \"abc", "unterminated double quote"),
                                 ("curl $'abc", "unterminated $'…' quote"), ("curl a | sh", "'|' outside quotes"),
                                 ("curl a > out", "'>' outside quotes"), ("curl $'\\xff'", "not UTF-8")] {
            XCTAssertThrowsError(try ShellWords.commands(text), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
            }
        }
    }

    // MARK: Curl commands

    func testChromiumCopy() throws {
        let c = try XCTUnwrap(CurlCommand.parseAll(Self.chromium).first)
        XCTAssertEqual(c.urls, ["http://127.0.0.1:8080/api/login"])
        XCTAssertEqual(c.method, "POST")
        XCTAssertEqual(c.body, .text("{\"user\":\"ann\",\"password\":\"pw-ann\"}"))
        XCTAssertTrue(c.compressed)
        XCTAssertEqual(c.headers.count, 10)
        XCTAssertEqual(c.headers[6].name, "sec-ch-ua")
        XCTAssertEqual(c.headers[6].value, "\"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"")
    }

    func testFirefoxCopy() throws {
        let c = try XCTUnwrap(CurlCommand.parseAll(Self.firefox).first)
        XCTAssertEqual(c.method, "POST")
        XCTAssertEqual(c.body, .text("it's a \"note\"\nline two\t\u{e9}"))
        XCTAssertFalse(c.compressed)
        XCTAssertEqual(c.headers.first?.name, "User-Agent")
        XCTAssertTrue(c.hasHeader("Content-Type"))
    }

    func testFlagsAndMethodDefaults() throws {
        func one(_ text: String) throws -> CurlCommand { try XCTUnwrap(CurlCommand.parseAll(text).first) }
        var c = try one("curl -sSL -XPUT --url http://h/x -d a=1 -d b=2 -k --http2 -v")
        XCTAssertEqual(c.method, "PUT")
        XCTAssertEqual(c.body, .text("a=1&b=2"))
        XCTAssertTrue(c.followRedirects && c.insecure)
        XCTAssertNil(c.httpVersion, "--http2 on http:// stays HTTP/1.1")
        XCTAssertTrue(c.hasHeader("Content-Type"), "curl adds the form content type with -d")
        XCTAssertTrue(c.notes.contains("ignored (output only): -s -S -v"), "\(c.notes)")
        c = try one("curl -G http://h/s?q=1 -d x=1 --data-urlencode 'name=a b&c'")
        XCTAssertEqual(c.method, "GET")
        XCTAssertEqual(c.urls, ["http://h/s?q=1&x=1&name=a%20b%26c"])
        XCTAssertEqual(c.body, .none)
        XCTAssertEqual(try one("curl -I http://h/").method, "HEAD")
        XCTAssertEqual(try one("curl h/p").urls, ["http://h/p"])
        c = try one("curl http://h/ -u alice:s3cret -b 'a=1; b=2' -A agent/1 -e http://r/")
        XCTAssertEqual(c.headers.map { "\($0.name): \($0.value)" },
                       ["Authorization: Basic YWxpY2U6czNjcmV0", "Cookie: a=1; b=2", "User-Agent: agent/1", "Referer: http://r/"])
        c = try one("curl http://h/up -F title=hi -F 'file=@x.png;type=image/png'")
        XCTAssertEqual(c.method, "POST")
        XCTAssertEqual(c.body, .multipart([CurlCommand.FormPart(name: "title", value: "hi"),
                                           CurlCommand.FormPart(name: "file", filePath: "x.png", contentType: "image/png")]))
        XCTAssertEqual(try one("curl http://h/ --data-binary @body.json").body, .file("body.json"))
    }

    func testBadCommandsAreOneLineNamingTheProblem() {
        for (text, expected) in [("curl --foo http://h/", "unknown curl flag '--foo'"),
                                 ("curl -sZ http://h/", "unknown curl flag '-Z' (in '-sZ')"),
                                 ("curl -s", "the curl command has no URL"),
                                 ("curl http://h/ -b cookies.txt", "-b 'cookies.txt': a cookie file is not read"),
                                 ("curl http://h/ -H", "curl flag '-H' needs a value"),
                                 ("wget http://h/", "expected a command starting with curl"),
                                 ("curl http://h/ -u alice", "give user:password"),
                                 ("", "no curl command"),
                                 ("curl http://h/ \\ \n  -H 'a: b'", "a command starts with '-H': the line before it lacks its '\\' continuation")] {
            XCTAssertThrowsError(try CurlCommand.parseAll(text), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }

    // MARK: The profile

    func testChromiumAndFirefoxImportAsOneFlowThatLoads() throws {
        let commands = try CurlCommand.parseAll(Self.chromium + "\n" + Self.firefox + "\ncurl 'http://127.0.0.1:8080/api/login' -d x=1")
        let out = CurlProfile.render(commands, baseURL: "http://127.0.0.1:8080")
        XCTAssertEqual(out.variables, ["BASE_URL", "ACCESS_TOKEN", "AUTH_TOKEN"])
        XCTAssertTrue(out.text.contains("# secrets: give them with -e NAME=…"), out.text)
        XCTAssertTrue(out.text.contains("dropped headers (hop-by-hop, computed by libcurl, or the browser's own): sec-ch-ua, sec-ch-ua-mobile, sec-fetch-mode, Accept-Encoding, Connection, Sec-Fetch-Dest"), out.text)
        XCTAssertFalse(out.text.contains("abc123"))
        XCTAssertFalse(out.text.contains("eyJhbGciOi"))
        let profile = try ProfileLoader.parse(text: out.text, path: "recorded.yaml",
                                              variables: ["BASE_URL": "http://127.0.0.1:9", "AUTH_TOKEN": "T1", "ACCESS_TOKEN": "A1"],
                                              environment: [:])
        XCTAssertEqual(profile.scenarios.map(\.name), ["recorded"])
        XCTAssertEqual(profile.scenarios[0].flow.iterations, 1)
        XCTAssertEqual(profile.targets.map(\.name), ["api_login", "echo", "api_login_2"])
        XCTAssertEqual(profile.targets.map(\.method), ["POST", "POST", "POST"])
        XCTAssertEqual(profile.targets[0].url, "http://127.0.0.1:9/api/login")
        XCTAssertEqual(profile.targets[1].url, "http://127.0.0.1:9/echo?access_token=A1&page=2")
        XCTAssertEqual(String(decoding: profile.targets[1].body, as: UTF8.self), "it's a \"note\"\nline two\t\u{e9}")
        XCTAssertTrue(profile.targets[0].headers.contains("Accept-Encoding: deflate, gzip, br, zstd"), "\(profile.targets[0].headers)")
        XCTAssertTrue(profile.targets[1].headers.contains("Authorization: Bearer T1"), "\(profile.targets[1].headers)")
        XCTAssertFalse(profile.targets[1].headers.contains { $0.lowercased().hasPrefix("accept-encoding") })
        XCTAssertTrue(profile.targets[2].headers.contains("Content-Type: application/x-www-form-urlencoded"))
        // Without the secrets the loader names the missing variable.
        XCTAssertThrowsError(try ProfileLoader.parse(text: out.text, path: "recorded.yaml", variables: ["BASE_URL": "http://h"], environment: [:]))
    }

    func testSecretsBasicCookiesAndLiteralDollars() throws {
        let commands = try CurlCommand.parseAll("""
        curl 'http://h/a?api_key=K&sig=S' -u alice:pw -b 'session=abc' -H 'X-Api-Key: k1' -H 'X-CSRF-Token: t' --data-raw '{"v":"${x}"}'
        curl 'http://h/a' -H 'X-Api-Key: k2'
        """)
        let out = CurlProfile.render(commands)
        XCTAssertEqual(out.variables, ["API_KEY", "SIG_SECRET", "BASIC_AUTH", "COOKIE_SECRET", "X_API_KEY", "X_CSRF_TOKEN", "X_API_KEY_2"])
        XCTAssertTrue(out.text.contains("printf %s 'alice:PASSWORD' | base64"), out.text)
        let vars = Dictionary(uniqueKeysWithValues: out.variables.map { ($0, "v-" + $0) })
        let profile = try ProfileLoader.parse(text: out.text, path: "r.yaml", variables: vars, environment: [:])
        XCTAssertEqual(profile.targets.map(\.name), ["a", "a_2"])
        XCTAssertEqual(profile.targets[0].url, "http://h/a?api_key=v-API_KEY&sig=v-SIG_SECRET")
        XCTAssertEqual(Array(profile.targets[0].headers.prefix(4)),
                       ["Authorization: Basic v-BASIC_AUTH", "Cookie: v-COOKIE_SECRET", "X-Api-Key: v-X_API_KEY", "X-CSRF-Token: v-X_CSRF_TOKEN"])
        XCTAssertEqual(String(decoding: profile.targets[0].body, as: UTF8.self), "{\"v\":\"${x}\"}", "a recorded ${ stays literal")
        XCTAssertEqual(profile.targets[1].headers, ["X-Api-Key: v-X_API_KEY_2"])
        for name in out.variables { XCTAssertTrue(ProfileLoader.isSecretName(name), name) }
    }

    func testStepNamesAndRunFlagComments() throws {
        XCTAssertEqual(CurlProfile.stepName("http://h"), "root")
        XCTAssertEqual(CurlProfile.stepName("http://h/"), "root")
        XCTAssertEqual(CurlProfile.stepName("http://h/api/items/7?x=1"), "api_items_7")
        XCTAssertEqual(CurlProfile.stepName("http://h/a.b/c%20d"), "a_b_c_20d")
        let out = CurlProfile.render(try CurlCommand.parseAll("curl -kL --http2 https://h/"))
        XCTAssertTrue(out.text.contains("run it with --insecure --follow-redirects 50 --http 2"), out.text)
        XCTAssertNoThrow(try ProfileLoader.parse(text: out.text, path: "r.yaml", variables: [:], environment: [:]))
    }

    /// curl's protocol flags become Barrage's `--http` value, the last one winning as in curl: `--http3` and
    /// `--http3-only` → 3 (only with an `https://` URL), `--http2-prior-knowledge` → 2 (h2c on `http://` too).
    func testProtocolFlagsMapToBarragesHTTPVersion() throws {
        func one(_ text: String) throws -> CurlCommand { try XCTUnwrap(CurlCommand.parseAll(text).first) }
        for flag in ["--http3", "--http3-only"] {
            let c = try one("curl \(flag) https://h/")
            XCTAssertEqual(c.httpVersion, "3", flag)
            XCTAssertFalse(c.priorKnowledge, flag)
            XCTAssertEqual(c.notes, [], flag)
        }
        var c = try one("curl --http2-prior-knowledge http://h/")
        XCTAssertEqual(c.httpVersion, "2")
        XCTAssertTrue(c.priorKnowledge)
        c = try one("curl --http2 https://h/")
        XCTAssertEqual(c.httpVersion, "2")
        XCTAssertFalse(c.priorKnowledge)
        XCTAssertEqual(c.notes, [])
        c = try one("curl --http3 --http1.1 https://h/")
        XCTAssertEqual(c.httpVersion, "1.1", "the last protocol flag wins")
        XCTAssertFalse(c.priorKnowledge)
        c = try one("curl --http2-prior-knowledge --http3-only https://h/")
        XCTAssertEqual(c.httpVersion, "3")
        XCTAssertFalse(c.priorKnowledge)
        c = try one("curl --http3 http://h/")
        XCTAssertNil(c.httpVersion, "HTTP/3 needs https://")
        XCTAssertEqual(c.notes, ["--http3 on http:// left out: HTTP/3 needs https://, and curl speaks HTTP/1.1 there"])
        XCTAssertEqual(try one("curl --http3 http://a/ https://b/").httpVersion, "3", "one https:// URL keeps it")
        XCTAssertThrowsError(try CurlCommand.parseAll("curl --http3-only http://h/")) { error in
            XCTAssertEqual((error as? CurlCommand.Failure)?.message,
                           "--http3-only with 'http://h/': HTTP/3 needs https:// URLs (curl refuses it too)")
        }
        XCTAssertThrowsError(try CurlCommand.parseAll("curl --http3-onlyx https://h/")) { error in
            XCTAssertEqual((error as? CurlCommand.Failure)?.message, "unknown curl flag '--http3-onlyx'")
        }
    }

    func testProtocolFlagsBecomeTheRunFlagComment() throws {
        for (command, flag) in [("curl --http3 https://h/", "--http 3"), ("curl --http3-only https://h/", "--http 3"),
                                ("curl --http2-prior-knowledge http://h/", "--http 2"), ("curl --http1.1 https://h/", "--http 1.1")] {
            let out = CurlProfile.render(try CurlCommand.parseAll(command))
            XCTAssertTrue(out.text.contains("run it with \(flag)\n"), "\(command): \(out.text)")
            XCTAssertNoThrow(try ProfileLoader.parse(text: out.text, path: "r.yaml", variables: [:], environment: [:]))
        }
        let plain = CurlProfile.render(try CurlCommand.parseAll("curl --http3 http://h/"))
        XCTAssertFalse(plain.text.contains("--http 3"), plain.text)
        XCTAssertTrue(plain.text.contains("--http3 on http:// left out"), plain.text)
    }

    /// curl's `--http2` on `http://` only offers an upgrade and falls back to HTTP/1.1: the import leaves HTTP/1.1 (no
    /// `--http 2`, which would be h2c with prior knowledge) and says why; `--http2-prior-knowledge` stays h2c.
    func testHTTP2OnPlainHTTPStaysHTTP11() throws {
        func one(_ text: String) throws -> CurlCommand { try XCTUnwrap(CurlCommand.parseAll(text).first) }
        let note = "--http2 on http:// left at HTTP/1.1: curl only offers an upgrade there and falls back to HTTP/1.1 (--http2-prior-knowledge would mean h2c, --http 2)"
        var c = try one("curl --http2 http://h/")
        XCTAssertNil(c.httpVersion)
        XCTAssertFalse(c.priorKnowledge)
        XCTAssertEqual(c.notes, [note])
        c = try one("curl --http2 https://a/ http://b/")
        XCTAssertNil(c.httpVersion, "one http:// URL would get h2c under --http 2")
        c = try one("curl --http2-prior-knowledge http://h/")
        XCTAssertEqual(c.httpVersion, "2")
        XCTAssertEqual(c.notes, [])
        let out = CurlProfile.render(try CurlCommand.parseAll("curl --http2 http://h/"))
        XCTAssertFalse(out.text.contains("--http 2\n"), out.text)
        XCTAssertFalse(out.text.contains("run it with"), out.text)
        XCTAssertTrue(out.text.contains("step root: " + note), out.text)
        XCTAssertNoThrow(try ProfileLoader.parse(text: out.text, path: "r.yaml", variables: [:], environment: [:]))
    }

    func testFormFilesAndBodyFilesLoadRelativeToTheProfile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("curl-import-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("PNG".utf8).write(to: dir.appendingPathComponent("x.png"))
        try Data("{\"a\":1}".utf8).write(to: dir.appendingPathComponent("body.json"))
        let out = CurlProfile.render(try CurlCommand.parseAll("""
        curl http://h/up -H 'Content-Type: multipart/form-data; boundary=----WebKitFormBoundaryX' -F title=hi -F 'file=@x.png;type=image/png'
        curl http://h/j --data-binary @body.json -H 'Content-Type: application/json'
        """))
        XCTAssertTrue(out.text.contains("the recorded Content-Type left out; the multipart body sets its own"), out.text)
        let path = dir.appendingPathComponent("p.yaml").path
        try Data(out.text.utf8).write(to: URL(fileURLWithPath: path))
        let profile = try ProfileLoader.load(path: path, variables: [:], environment: [:])
        XCTAssertEqual(profile.targets.map(\.name), ["up", "j"])
        let multipart = String(decoding: profile.targets[0].body, as: UTF8.self)
        XCTAssertTrue(multipart.contains("name=\"title\"\r\n\r\nhi\r\n"), multipart)
        XCTAssertTrue(multipart.contains("filename=\"x.png\"\r\nContent-Type: image/png\r\n\r\nPNG\r\n"), multipart)
        XCTAssertFalse(profile.targets[0].headers.contains { $0.contains("WebKitFormBoundary") })
        XCTAssertEqual(String(decoding: profile.targets[1].body, as: UTF8.self), "{\"a\":1}")
    }
}
