import Foundation
import XCTest
@testable import BarrageCore

/// `scenarios:` and `data:` in profiles: what the loader makes of them (Flows bound to slots) and every check.
final class ProfileScenarioTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "barrage-scenario-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        try write("data/users.csv", "name,password\nalice,pw-alice\nbob,pw-bob\n")
        try write("items.jsonl", "{\"id\": 1, \"sku\": \"A\"}\n{\"id\": 2, \"sku\": \"B\"}\n")
        try write("ragged.csv", "a,b\n1,2\n3\n")
        try write("payload.txt", "raw ${not_a_template}")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
    }

    private let environment = ["BASE_URL": "http://127.0.0.1:8080", "API_KEY": "k-123", "token": "from-env"]

    private func parse(_ text: String, variables: [String: String] = [:]) throws -> Profile {
        try ProfileLoader.parse(text: text, path: directory + "/shop.yaml", variables: variables, environment: environment)
    }

    /// The one-line message the profile fails with (the temporary directory cut from file names), or a test failure.
    private func failure(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            let profile = try parse(text)
            XCTFail("loaded instead of failing: \(profile.name)", file: file, line: line)
            return ""
        } catch let error as BarrageError {
            XCTAssertEqual(error.status, .usage, file: file, line: line)
            XCTAssertFalse(error.message.contains("\n"), "not one line: \(error.message)", file: file, line: line)
            return error.message.replacingOccurrences(of: directory + "/", with: "")
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return ""
        }
    }

    /// A one-scenario profile whose flow starts on line 8 (each flow line indented by 6 spaces in `flow`).
    private func scenario(_ flow: String, data: String = "users: { file: data/users.csv }", scenarioExtra: String = "",
                          tail: String = "") -> String {
        """
        name: shop
        data:
          \(data)
        scenarios:
          checkout:\(scenarioExtra)
            load: { model: closed, stages: [ { duration: 1s, concurrency: 1 } ] }
            flow:
        \(flow)
        \(tail)
        """
    }

    private let journey = """
    name: shop
    seed: 7
    defaults: { headers: { Accept: application/json, X-Key: "${API_KEY}" }, timeout: 5s }
    data:
      users: { file: data/users.csv, mode: unique, bind: vu }
      spare: { file: items.jsonl }
    scenarios:
      checkout:
        cookies: per_vu
        iterations: 40
        start_after: 2s
        load: { model: closed, stages: [ { duration: 5s, concurrency: 4 } ] }
        flow:
          - name: login
            method: post
            url: "${BASE_URL}/api/login"
            json: { user: "${users.name}", password: "${users.password}" }
            expect: { status: [200], json: { "$.ok": true }, body_contains: "token" }
            capture: { token: { json: "$.token" }, sid: { cookie: session } }
            continue_on_failure: true
            timeout: 2s
          - think: 500ms
          - name: items
            url: "${BASE_URL}/api/items"
            capture: { item: { json: "$.items[*].id", pick: random } }
          - name: item
            url: "${BASE_URL}/api/items/${item}"
            headers: { Authorization: "Bearer ${token}" }
          - think: { uniform: [200ms, 1s] }
          - name: cart
            method: POST
            url: "${BASE_URL}/api/cart"
            headers: { Authorization: "Bearer ${token}", accept: "*/*" }
            expect: { status: 201 }
            capture: { cart: { header: Location, regex: "/api/cart/(\\\\d+)" } }
          - think: { normal: [500ms, 100ms] }
          - { name: pay, method: POST, url: "${BASE_URL}/api/cart/${cart}/pay", headers: { Authorization: "Bearer ${token}" } }
    thresholds:
      - "target:login p99 < 300ms"
    """

    // MARK: Decoding

    func testOldProfilesHaveNoScenarios() throws {
        let profile = try parse("""
        targets: [ { url: "${BASE_URL}/" } ]
        load: { model: open, stages: [ { duration: 1s, rate: 1 } ] }
        """)
        XCTAssertEqual(profile.scenarios, [])
        XCTAssertEqual(profile.targets.map(\.url), ["http://127.0.0.1:8080/"])
    }

    func testJourneyDecodes() throws {
        let profile = try parse(journey)
        XCTAssertEqual(profile.scenarios.count, 1)
        let s = profile.scenarios[0]
        XCTAssertEqual(s.name, "checkout")
        XCTAssertEqual(s.startAfterMicros, 2_000_000)
        XCTAssertEqual(s.load, Profile.Load(model: .closed, stages: [.init(durationMicros: 5_000_000, concurrency: 4)]))
        XCTAssertEqual(profile.load, s.load)
        XCTAssertEqual(profile.seed, 7)
        XCTAssertEqual(profile.defaults.timeoutMicros, 5_000_000)
        let flow = s.flow
        XCTAssertEqual(flow.scenario, "checkout")
        XCTAssertEqual(flow.cookies, .perVU)
        XCTAssertEqual(flow.iterations, 40)
        XCTAssertEqual(flow.steps.count, 8)
        guard case .think(let t1) = flow.steps[1], case .think(let t4) = flow.steps[4], case .think(let t6) = flow.steps[6] else {
            return XCTFail("think steps expected at 1, 4 and 6")
        }
        XCTAssertEqual(t1, .fixed(micros: 500_000))
        XCTAssertEqual(t4, .uniform(minMicros: 200_000, maxMicros: 1_000_000))
        XCTAssertEqual(t6, .normal(meanMicros: 500_000, stddevMicros: 100_000))
        XCTAssertEqual(flow.targetIndexOfStep, [0, nil, 1, 2, nil, 3, nil, 4])
        let steps = flow.requestSteps
        XCTAssertEqual(steps.map(\.name), ["login", "items", "item", "cart", "pay"])
        XCTAssertEqual(steps.map(\.method), ["POST", "GET", "GET", "POST", "POST"])
        XCTAssertEqual(steps.map(\.urlText), ["http://127.0.0.1:8080/api/login", "http://127.0.0.1:8080/api/items",
                                              "http://127.0.0.1:8080/api/items/${item}", "http://127.0.0.1:8080/api/cart",
                                              "http://127.0.0.1:8080/api/cart/${cart}/pay"])
        let login = steps[0]
        XCTAssertEqual(login.headerTexts, ["Accept: application/json", "X-Key: k-123", "Content-Type: application/json"])
        XCTAssertEqual(login.expect.statuses, [200])
        XCTAssertEqual(login.expect.json, [Expect.JSONCheck(path: try JSONPath(parsing: "$.ok"), expected: JSONValue(bool: true))])
        XCTAssertEqual(login.bodyContains, "token")
        XCTAssertEqual(login.captures, [Capture(name: "token", source: .json(try JSONPath(parsing: "$.token"), pick: .first), index: 0),
                                        Capture(name: "sid", source: .cookie("session"), index: 1)])
        XCTAssertTrue(login.continueOnFailure)
        XCTAssertEqual(login.timeoutMicros, 2_000_000)
        XCTAssertTrue(login.needsBody)
        XCTAssertTrue(login.needsHeaders)
        XCTAssertEqual(steps[1].captures, [Capture(name: "item", source: .json(try JSONPath(parsing: "$.items[*].id"), pick: .random))])
        XCTAssertFalse(steps[1].isTemplated)
        XCTAssertEqual(steps[1].expect, Expect())
        XCTAssertNil(steps[1].timeoutMicros)
        XCTAssertEqual(steps[2].headerTexts, ["Accept: application/json", "X-Key: k-123", "Authorization: Bearer ${token}"])
        // A step's header replaces the default of the same name (case-insensitive) in place.
        XCTAssertEqual(steps[3].headerTexts, ["accept: */*", "X-Key: k-123", "Authorization: Bearer ${token}"])
        XCTAssertEqual(steps[3].expect.statuses, [201])
        XCTAssertEqual(steps[3].captures, [Capture(name: "cart", source: .header("Location", regex: try FlowRegex("/api/cart/(\\d+)")))])
        XCTAssertNil(steps[3].body)
        // Targets: one per request step, so thresholds' target: scope and the plan keep working.
        XCTAssertEqual(profile.targets.map(\.name), ["login", "items", "item", "cart", "pay"])
        XCTAssertEqual(profile.targets[0].url, "http://127.0.0.1:8080/api/login")
        XCTAssertEqual(profile.targets[0].method, "POST")
        XCTAssertEqual(profile.targets[0].headers, login.headerTexts)
        XCTAssertEqual(String(decoding: profile.targets[0].body, as: UTF8.self), #"{"user":"${users.name}","password":"${users.password}"}"#)
        XCTAssertEqual(profile.targets[0].expect, Profile.Expect(statuses: [200], bodyContains: "token"))
        XCTAssertEqual(profile.targets[0].timeoutMicros, 2_000_000)
        XCTAssertNil(profile.targets[1].expect)
        XCTAssertEqual(profile.thresholds.map(\.expr), ["target:login p99 < 300ms"])
    }

    func testSlotsLineUpWithVariablesAndRender() throws {
        let flow = try parse(journey).scenarios[0].flow
        // Captures in step order, then the data columns used; the unused data set is not in the flow.
        XCTAssertEqual(flow.variables, ["token", "sid", "item", "cart", "users.name", "users.password"])
        XCTAssertEqual(flow.initialValues, Array(repeating: FlowValue.empty, count: 6))
        XCTAssertEqual(flow.data.count, 1)
        XCTAssertEqual(flow.data[0].name, "users")
        XCTAssertEqual(flow.data[0].mode, .unique)
        XCTAssertEqual(flow.data[0].binding, .vu)
        XCTAssertEqual(flow.data[0].set.columns, ["name", "password"])
        XCTAssertEqual(flow.data[0].slots, [4, 5])
        XCTAssertEqual(flow.data[0].set.rowCount, 2)

        var values = Array(repeating: FlowValue.empty, count: flow.variables.count)
        func set(_ name: String, _ value: String) { values[flow.variables.firstIndex(of: name)!] = .bytes(Array(value.utf8)) }
        set("token", "T0K")
        set("item", "42")
        set("cart", "9")
        set("users.name", "alice")
        set("users.password", "pw-\"alice\"")
        let context = TemplateContext(key: FlowKey(seed: 7), nowMillis: 0)
        let steps = flow.requestSteps
        XCTAssertEqual(steps[2].url.string(values: values, context: context), "http://127.0.0.1:8080/api/items/42")
        XCTAssertEqual(steps[2].headers.map { $0.string(values: values, context: context) },
                       ["Accept: application/json", "X-Key: k-123", "Authorization: Bearer T0K"])
        XCTAssertEqual(steps[4].url.string(values: values, context: context), "http://127.0.0.1:8080/api/cart/9/pay")
        // Values are inserted as they are: not JSON-escaped.
        XCTAssertEqual(steps[0].body?.string(values: values, context: context), #"{"user":"alice","password":"pw-"alice""}"#)
        XCTAssertTrue(steps[0].isTemplated)
        XCTAssertEqual(steps[0].url.constantBytes, Array("http://127.0.0.1:8080/api/login".utf8))
    }

    func testNamesFromEnvironmentResolveAtLoadButCapturesColumnsAndBuiltInsDoNot() throws {
        // `token` is set in the environment, but a capture of that name wins; API_KEY is resolved now.
        let profile = try parse(scenario("""
              - { name: a, url: "${BASE_URL}/a?k=${API_KEY}", capture: { token: { status: true } } }
              - name: b
                url: "${BASE_URL}/b/${token}/${vu}/${iteration}/${now_ms}/${ users.name }"
                headers: { X-Literal: "$${token} and $${BASE_URL}" }
        """))
        let steps = profile.scenarios[0].flow.requestSteps
        XCTAssertEqual(steps[0].url.constantBytes, Array("http://127.0.0.1:8080/a?k=k-123".utf8))
        XCTAssertEqual(steps[1].urlText, "http://127.0.0.1:8080/b/${token}/${vu}/${iteration}/${now_ms}/${users.name}")
        XCTAssertEqual(steps[1].url.parts, [.literal(Array("http://127.0.0.1:8080/b/".utf8)), .slot(0), .literal([47]), .vu,
                                            .literal([47]), .iteration, .literal([47]), .nowMillis, .literal([47]), .slot(1)])
        // `$${` is a literal `${`, never a placeholder.
        XCTAssertEqual(steps[1].headers.last?.constantBytes, Array("X-Literal: ${token} and ${BASE_URL}".utf8))
    }

    func testTemplatedURLsAreCheckedWhereTheTextIsKnown() throws {
        // A placeholder may stand for a host, a port or a whole URL: only what is written out is checked at load.
        let profile = try parse(scenario("""
              - { name: a, url: "http://${users.name}:${users.password}@h:${random_int(1000,2000)}/p" }
              - { name: b, url: "${users.name}/p" }
        """))
        XCTAssertEqual(profile.scenarios[0].flow.requestSteps.map(\.urlText),
                       ["http://${users.name}:${users.password}@h:${random_int(1000,2000)}/p", "${users.name}/p"])
    }

    func testSecretValuesIncludeSpacedReferences() {
        let text = scenario("      - { name: a, url: \"http://h/?k=${ API_KEY }&t=${token}\" }")
        XCTAssertEqual(ProfileLoader.secretValues(in: text, variables: [:], environment: ["API_KEY": "k-123"]), ["k-123"])
    }

    func testEnvironmentValuesAreLiteralText() throws {
        // A value holding `${` or ending in `$` is text: it neither starts a placeholder nor escapes the next one.
        let profile = try ProfileLoader.parse(text: scenario("""
              - { name: a, url: "http://h/${ODD}${vu}", capture: { x: { status: true } } }
        """), path: directory + "/shop.yaml", variables: ["ODD": "a${b}$"], environment: [:])
        let url = profile.scenarios[0].flow.requestSteps[0].url
        XCTAssertEqual(url.parts, [.literal(Array("http://h/a${b}$".utf8)), .vu])
    }

    func testJSONBodyShapes() throws {
        let profile = try parse(scenario("""
              - name: a
                method: POST
                url: http://h/a
                json:
                  s: "say \\"hi\\"\\n"
                  n: 12.5
                  i: -3
                  quoted: "12"
                  t: true
                  f: false
                  z: null
                  e:
                  plain: hello world
                  lead0: 007
                  list: [1, "two", { k: "${vu}" }]
                  "${users.name}": nested
              - name: b
                method: POST
                url: http://h/b
                headers: { content-type: text/plain }
                json: [ "${random_int(1,6)}" ]
        """))
        let steps = profile.scenarios[0].flow.requestSteps
        XCTAssertEqual(steps[0].body?.displayText(variables: profile.scenarios[0].flow.variables),
                       #"{"s":"say \"hi\"\n","n":12.5,"i":-3,"quoted":"12","t":true,"f":false,"z":null,"e":null,"plain":"hello world","lead0":"007","list":[1,"two",{"k":"${vu}"}],"${users.name}":"nested"}"#)
        XCTAssertEqual(steps[0].headerTexts, ["Content-Type: application/json"])
        // A Content-Type the step (or the defaults) sets is kept, whatever its case.
        XCTAssertEqual(steps[1].headerTexts, ["content-type: text/plain"])
        XCTAssertEqual(steps[1].body?.parts.first, .literal(Array("[\"".utf8)))
    }

    func testFormBodyAndOtherBodies() throws {
        let profile = try ProfileLoader.parse(text: """
        defaults: { headers: { Content-Type: application/x-custom } }
        scenarios:
          s:
            load: { model: open, stages: [ { duration: 1s, rate: 1 } ] }
            flow:
              - { name: f, method: POST, url: http://h/f, form: { user name: "a&b=c ü", pw: "${vu}!", n: 5 } }
              - { name: b, method: POST, url: http://h/b, body: "id=${vu}" }
              - { name: file, method: POST, url: http://h/file, body_file: payload.txt }
        """, path: directory + "/p.yaml", variables: [:], environment: [:])
        let steps = profile.scenarios[0].flow.requestSteps
        XCTAssertEqual(steps[0].body?.displayText(variables: []), "user+name=a%26b%3Dc+%C3%BC&pw=${vu}%21&n=5")
        // The defaults' Content-Type is kept: none is added.
        XCTAssertEqual(steps[0].headerTexts, ["Content-Type: application/x-custom"])
        XCTAssertEqual(steps[1].body?.parts, [.literal(Array("id=".utf8)), .vu])
        // body_file is sent as it is: not a template.
        XCTAssertEqual(steps[2].body?.constantBytes, Array("raw ${not_a_template}".utf8))
        XCTAssertEqual(profile.load.model, .open)
        XCTAssertNil(profile.scenarios[0].flow.iterations)
        XCTAssertEqual(profile.scenarios[0].flow.cookies, .perIteration)
        XCTAssertEqual(profile.name, "p")
    }

    func testFormBodyContentTypeIsAdded() throws {
        let profile = try parse(scenario("""
              - { name: f, method: POST, url: http://h/f, form: { a: b } }
        """))
        XCTAssertEqual(profile.scenarios[0].flow.requestSteps[0].headerTexts, ["Content-Type: application/x-www-form-urlencoded"])
    }

    func testRandomStreamsAreNumberedAcrossURLHeadersAndBody() throws {
        let profile = try parse(scenario("""
              - name: a
                method: POST
                url: "http://h/${uuid}/${random_int(1,5)}"
                headers: { X-A: "${random_int(-2,2)}", X-B: "${uuid}" }
                body: "${uuid}"
              - { name: b, url: "http://h/${uuid}" }
        """))
        let steps = profile.scenarios[0].flow.requestSteps
        typealias S = FlowKey.Stream
        XCTAssertEqual(steps[0].url.parts.filter { if case .literal = $0 { return false } else { return true } },
                       [.uuid(stream: S.placeholder(0)), .randomInt(1, 5, stream: S.placeholder(1))])
        XCTAssertEqual(steps[0].headers[0].parts.last, .randomInt(-2, 2, stream: S.placeholder(2)))
        XCTAssertEqual(steps[0].headers[1].parts.last, .uuid(stream: S.placeholder(3)))
        XCTAssertEqual(steps[0].body?.parts, [.uuid(stream: S.placeholder(4))])
        // Each step numbers its own streams from 0 (the flow key has the step).
        XCTAssertEqual(steps[1].url.parts.last, .uuid(stream: S.placeholder(0)))
    }

    func testCaptureSources() throws {
        let profile = try parse(scenario("""
              - name: a
                url: http://h/a
                capture:
                  j: { json: "$.a[0].b" }
                  last: { json: "$.ids[*]", pick: last }
                  all: { json: "$.ids[*]", list: true }
                  r: { regex: "id=(\\\\d+)" }
                  r0: { regex: "[a-z]+", group: 0 }
                  h: { header: X-Id }
                  hr: { header: Location, regex: "/(x)/(y)", group: 2 }
                  c: { cookie: session }
                  s: { status: true }
        """))
        let captures = profile.scenarios[0].flow.requestSteps[0].captures
        XCTAssertEqual(captures.map(\.name), ["j", "last", "all", "r", "r0", "h", "hr", "c", "s"])
        XCTAssertEqual(captures.map(\.index), Array(0..<9))
        XCTAssertEqual(captures.map(\.source), [
            .json(try JSONPath(parsing: "$.a[0].b"), pick: .first),
            .json(try JSONPath(parsing: "$.ids[*]"), pick: .last),
            .jsonList(try JSONPath(parsing: "$.ids[*]")),
            .regex(try FlowRegex("id=(\\d+)")),
            .regex(try FlowRegex("[a-z]+", group: 0)),
            .header("X-Id", regex: nil),
            .header("Location", regex: try FlowRegex("/(x)/(y)", group: 2)),
            .cookie("session"),
            .status,
        ])
    }

    func testDataSetModesAndJSONLines() throws {
        let profile = try parse(scenario("""
              - { name: a, url: "http://h/${items.sku}/${users.password}" }
        """, data: """
        users: { file: data/users.csv, mode: random }
          items: { file: items.jsonl, mode: sequential, bind: iteration }
        """))
        let flow = profile.scenarios[0].flow
        XCTAssertEqual(flow.variables, ["users.password", "items.sku"])
        XCTAssertEqual(flow.data.map(\.name), ["users", "items"])
        XCTAssertEqual(flow.data.map(\.mode), [.random, .sequential])
        XCTAssertEqual(flow.data.map(\.binding), [.iteration, .iteration])
        XCTAssertEqual(flow.data[0].slots, [nil, 0])
        XCTAssertEqual(flow.data[1].slots, [nil, 1])
        XCTAssertEqual(flow.data[1].set.row(1), ["2", "B"])
    }

    func testStepsWithoutNamesAndSeveralScenarios() throws {
        let profile = try parse("""
        scenarios:
          browse:
            load: { model: open, stages: [ { duration: 1s, rate: 5 } ] }
            flow: [ { url: "${BASE_URL}/" }, { think: 1s }, { name: home, url: "${BASE_URL}/home" } ]
          buy:
            start_after: 500ms
            cookies: "off"
            load: { model: closed, stages: [ { duration: 1s, concurrency: 1 } ] }
            flow: [ { name: home, url: "${BASE_URL}/" } ]
        thresholds: [ "target:step1 p99 < 1s", "target:buy/home p99 < 1s" ]
        """)
        XCTAssertEqual(profile.scenarios.map(\.name), ["browse", "buy"])
        XCTAssertEqual(profile.scenarios[1].flow.cookies, .off)
        XCTAssertEqual(profile.scenarios[1].startAfterMicros, 500_000)
        XCTAssertEqual(profile.load.model, .open)
        XCTAssertEqual(profile.scenarios[0].flow.requestSteps.map(\.name), ["step1", "home"])
        // A step name used in two scenarios is qualified by its scenario in the targets.
        XCTAssertEqual(profile.targets.map(\.name), ["step1", "browse/home", "buy/home"])
    }

    func testScenarioDescription() throws {
        let lines = ScenarioDescription.lines(try parse(journey).scenarios[0])
        XCTAssertEqual(lines, [
            "  scenario     checkout · closed · 40 iterations · cookies per_vu · starts after 2.00s",
            "    1 POST login http://127.0.0.1:8080/api/login → token (json $.token), sid (cookie session) · continue on failure",
            "    2 think 500ms",
            "    3 GET items http://127.0.0.1:8080/api/items → item (json $.items[*].id, pick random)",
            "    4 GET item http://127.0.0.1:8080/api/items/${item}",
            "    5 think uniform 200ms–1.00s",
            "    6 POST cart http://127.0.0.1:8080/api/cart → cart (header Location, regex /api/cart/(\\d+))",
            "    7 think normal 500ms ± 100ms",
            "    8 POST pay http://127.0.0.1:8080/api/cart/${cart}/pay",
            "    data users: \(directory)/data/users.csv · 2 rows · unique, bind vu · uses name, password",
        ])
    }

    // MARK: Checks

    func testTemplateChecks() {
        let cases: [(String, String)] = [
            // Unknown names, with a did-you-mean over captures, columns, built-ins and set variables.
            ("""
                   - { name: login, url: http://h/l, capture: { token: { json: $.token } } }
                   - { name: items, url: http://h/i }
                   - { name: item, url: http://h/i }
                   - { name: cart, url: "http://h/c/${tokn}" }
             """, "shop.yaml:11: scenarios.checkout.flow[3].url: unknown variable 'tokn' (did you mean 'token'?)"),
            ("      - { name: a, url: \"http://h/${BASE_ULR}\" }",
             "shop.yaml:8: scenarios.checkout.flow[0].url: unknown variable 'BASE_ULR' (did you mean 'BASE_URL'?)"),
            ("      - { name: a, url: \"http://h/${itteration}\" }",
             "shop.yaml:8: scenarios.checkout.flow[0].url: unknown variable 'itteration' (did you mean 'iteration'?)"),
            ("      - { name: a, url: \"http://h/${user.name}\" }",
             "shop.yaml:8: scenarios.checkout.flow[0].url: unknown variable 'user.name' (did you mean 'users.name'?)"),
            ("      - { name: a, url: \"http://h/${nothing_like_it}\" }",
             "shop.yaml:8: scenarios.checkout.flow[0].url: unknown variable 'nothing_like_it' (not a capture, a data column or a built-in, and not set with -e or in the environment)"),
            ("      - { name: a, url: \"http://h/${users}\" }",
             "shop.yaml:8: scenarios.checkout.flow[0].url: unknown variable 'users' ('users' is a data set: name one of its columns, as in ${users.column})"),
            ("      - { name: a, url: \"http://h/${users.nmae}\" }",
             "shop.yaml:8: scenarios.checkout.flow[0].url: unknown column 'nmae' in data set 'users' (did you mean 'name'?)"),
            ("      - { name: a, url: \"http://h/${users.email}\" }",
             "shop.yaml:8: scenarios.checkout.flow[0].url: unknown column 'email' in data set 'users' (columns: name, password)"),
            ("""
                   - name: a
                     url: http://h/a
                     headers: { Authorization: "Bearer ${tokn}" }
             """, "shop.yaml:10: scenarios.checkout.flow[0].headers.Authorization: unknown variable 'tokn' (did you mean 'token'?)"),
            ("""
                   - name: a
                     url: http://h/a
                     json: { user: { id: "${users.nam}" } }
             """, "shop.yaml:10: scenarios.checkout.flow[0].json.user.id: unknown column 'nam' in data set 'users' (did you mean 'name'?)"),
            // Order: a step uses only captures of earlier steps.
            ("""
                   - { name: cart, url: http://h/c, capture: { cart: { status: true } } }
                   - { name: pay, url: "http://h/${cart}/${late}" }
                   - { name: later, url: http://h/x, capture: { late: { status: true } } }
             """, "shop.yaml:9: scenarios.checkout.flow[1].url: uses 'late', which is captured only by a later step (later)"),
            ("""
                   - { name: a, url: "http://h/${me}", capture: { me: { status: true } } }
             """, "shop.yaml:8: scenarios.checkout.flow[0].url: uses 'me', which is captured only by this step (a) itself"),
            // Template syntax errors from the template parser.
            ("      - { name: a, url: \"http://h/${vu\" }",
             "shop.yaml:8: scenarios.checkout.flow[0].url: unterminated '${' at column 10 (a literal '${' is written '$${')"),
            ("      - { name: a, url: \"http://h/${rand(1,2)}\" }",
             "shop.yaml:8: scenarios.checkout.flow[0].url: unknown function 'rand' in '${rand(1,2)}' (built-ins: vu, iteration, uuid, now_ms, random_int(a,b))"),
            ("      - { name: a, url: \"http://h/${random_int(5,1)}\" }",
             "shop.yaml:8: scenarios.checkout.flow[0].url: '${random_int(5,1)}': random_int(a,b) needs a ≤ b"),
            // Values that cannot depend on a VU.
            ("""
                   - name: a
                     url: http://h/a
                     expect: { body_contains: "${vu}" }
             """, "shop.yaml:10: scenarios.checkout.flow[0].expect.body_contains: '${vu}': only environment variables can be used here, not captures, data columns or built-ins"),
        ]
        for (flow, expected) in cases {
            XCTAssertEqual(failure(scenario(flow)), expected, flow)
        }
    }

    func testSetupStepsComeFirstAndTheFlowMayUseTheirCaptures() throws {
        let text = scenario("""
              - { name: item, url: "http://h/items/${token}" }
        """, scenarioExtra: """

            setup:
              - { name: login, url: http://h/login, capture: { token: { json: "$.token" } } }
        """)
        let flow = try parse(text).scenarios[0].flow
        XCTAssertEqual(flow.setupCount, 1)
        XCTAssertEqual(flow.requestSteps.map(\.name), ["login", "item"])
        let bad = scenario("""
              - { name: login, url: http://h/again }
        """, scenarioExtra: """

            setup:
              - { name: login, url: http://h/login }
        """)
        XCTAssertTrue(failure(bad).hasSuffix("scenarios.checkout.flow[0].name: duplicate step name 'login' (also scenarios.checkout.setup[0] on line 7)"),
                      failure(bad))
    }

    func testScenarioDefaultsAndTags() throws {
        let text = """
        name: shop
        defaults: { headers: { Accept: application/json, X-A: profile }, timeout: 9s }
        scenarios:
          checkout:
            defaults: { headers: { x-a: scenario, X-B: b }, timeout: 2s }
            tags: { team: payments, tier: "1" }
            load: { model: closed, stages: [ { duration: 1s, concurrency: 1 } ] }
            flow:
              - { name: a, url: http://h/a, headers: { X-B: step } }
              - { name: b, url: http://h/b, timeout: 3s }
        """
        let flow = try parse(text).scenarios[0].flow
        let steps = flow.requestSteps
        XCTAssertEqual(steps[0].headerTexts, ["Accept: application/json", "x-a: scenario", "X-B: step"])
        XCTAssertEqual(steps[0].timeoutMicros, 2_000_000, "the scenario's timeout for a step without one")
        XCTAssertEqual(steps[1].timeoutMicros, 3_000_000, "a step's own timeout wins")
        XCTAssertEqual(flow.tags, ["team": "payments", "tier": "1"])
        XCTAssertEqual(failure(text.replacingOccurrences(of: "timeout: 2s }", with: "timout: 2s }")),
                       "shop.yaml:5: scenarios.checkout.defaults.timout: unknown field 'timout' (did you mean 'timeout'?)")
    }

    func testRepeatAndForeach() throws {
        let flow = try parse(scenario("""
              - { name: list, url: http://h/items, capture: { ids: { json: "$.items[*].id", list: true } } }
              - { name: each, url: "http://h/items/${id}", foreach: { list: ids, as: id, max: 3 } }
              - { name: again, url: "http://h/last/${id}", repeat: 4 }
        """)).scenarios[0].flow
        let steps = flow.requestSteps
        let loop = try XCTUnwrap(steps[1].foreach)
        XCTAssertEqual(loop.list, "ids")
        XCTAssertEqual(loop.item, "id")
        XCTAssertEqual(loop.max, 3)
        XCTAssertEqual(flow.variables[loop.listSlot], "ids")
        XCTAssertEqual(flow.variables[loop.itemSlot], "id")
        XCTAssertEqual(steps[2].repeatCount, 4)
        XCTAssertTrue(ScenarioDescription.lines(try parse(scenario("""
              - { name: list, url: http://h/items, capture: { ids: { json: "$.items[*].id", list: true } } }
              - { name: each, url: "http://h/items/${id}", foreach: { list: ids, as: id } }
        """)).scenarios[0]).contains("    2 GET each http://h/items/${id} · foreach id in ids (at most 100)"))
        for (flowText, message) in [
            ("      - { name: each, url: \"http://h/${id}\", foreach: { list: idz, as: id } }",
             "scenarios.checkout.flow[0].foreach.list: 'idz' is not a capture; foreach goes over a list a step captured (list: true)"),
            ("      - { name: a, url: http://h/a, capture: { ids: { json: $.x, list: true } } }\n      - { name: b, url: http://h/b, foreach: { list: idz, as: id } }",
             "scenarios.checkout.flow[1].foreach.list: 'idz' is not a capture (did you mean 'ids'?); foreach goes over a list a step captured (list: true)"),
            ("      - { name: a, url: http://h/a, repeat: 0 }", "scenarios.checkout.flow[0].repeat: expected 1 to 10000 requests"),
            ("      - { name: a, url: http://h/a, repeat: 2, foreach: { list: x, as: y } }", "scenarios.checkout.flow[0].foreach: give repeat or foreach, not both"),
            ("      - { name: a, url: http://h/a, foreach: { list: x } }", "scenarios.checkout.flow[0].foreach.as: is required (the variable each element is in)"),
            ("      - { name: a, url: http://h/a, foreach: { list: x, as: vu } }", "scenarios.checkout.flow[0].foreach.as: 'vu' is already a built-in, a data set or a capture"),
        ] {
            XCTAssertTrue(failure(scenario(flowText)).hasSuffix(message), "\(failure(scenario(flowText)))")
        }
    }

    func testGroupsLayTheirStepsOutInPlace() throws {
        let flow = try parse(scenario("""
              - { name: home, url: http://h/ }
              - group: buy
                steps:
                  - { name: cart, url: http://h/cart, capture: { id: { status: true } } }
                  - { think: 10ms }
                  - { name: pay, url: "http://h/pay/${id}" }
        """)).scenarios[0].flow
        XCTAssertEqual(flow.requestSteps.map(\.name), ["home", "cart", "pay"])
        XCTAssertEqual(flow.groups, ["buy"])
        XCTAssertEqual(flow.groupOfStep, [nil, 0, 0, 0])
        XCTAssertTrue(failure(scenario("""
              - group: buy
                steps:
                  - group: inner
                    steps: [ { name: a, url: http://h/a } ]
        """)).hasSuffix("scenarios.checkout.flow[0].steps[0]: groups do not nest"))
        XCTAssertTrue(failure(scenario("""
              - { group: buy, steps: [ { name: a, url: http://h/a } ] }
              - { group: buy, steps: [ { name: b, url: http://h/b } ] }
        """)).hasSuffix("scenarios.checkout.flow[1].group: duplicate group name 'buy'"))
    }

    func testExpectJSONValuesMayBeTemplates() throws {
        let flow = try parse(scenario("""
              - { name: login, url: http://h/login, expect: { json: { "$.user": "${users.name}", "$.ok": true, "$.env": "${API_KEY}" } } }
        """)).scenarios[0].flow
        let step = flow.requestSteps[0]
        XCTAssertEqual(step.expectTemplates.map(\.check), [0], "only the check that uses a VU's variable")
        XCTAssertEqual(step.expect.json[2].expected, JSONValue(string: "k-123"), "environment values are resolved at load")
        var values = Array(repeating: FlowValue.empty, count: flow.variables.count)
        values[flow.variables.firstIndex(of: "users.name")!] = .bytes(Array("alice".utf8))
        XCTAssertEqual(step.expectTemplates[0].value.string(values: values, context: TemplateContext(key: FlowKey(seed: 0), nowMillis: 0)), "alice")
    }

    func testMultipartBodies() throws {
        try write("upload.bin", "BIN\u{0}DATA")
        let step = try parse(scenario("""
              - name: upload
                method: POST
                url: http://h/upload
                multipart: { fields: { title: "hello ${vu}" }, files: { file: { path: upload.bin, content_type: image/png } } }
        """)).scenarios[0].flow.requestSteps[0]
        let b = ProfileReader.multipartBoundary
        XCTAssertTrue(step.headerTexts.contains("Content-Type: multipart/form-data; boundary=\(b)"), "\(step.headerTexts)")
        let body = try XCTUnwrap(step.body).string(values: [], context: TemplateContext(key: FlowKey(seed: 0, vu: 3), nowMillis: 0))
        XCTAssertEqual(body, "--\(b)\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello 3\r\n"
                       + "--\(b)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.bin\"\r\nContent-Type: image/png\r\n\r\n"
                       + "BIN\u{0}DATA\r\n--\(b)--\r\n")
        XCTAssertTrue(failure(scenario("""
              - { name: u, url: http://h/u, multipart: { files: { f: { path: nope.bin } } } }
        """)).contains("scenarios.checkout.flow[0].multipart.files.f.path: cannot read"))
        XCTAssertTrue(failure(scenario("""
              - { name: u, url: http://h/u, multipart: {} }
        """)).hasSuffix("expected fields: or files: (a multipart body needs at least one part)"))
    }

    func testPacingAndGracefulStop() throws {
        let flow = "      - { name: a, url: http://h/a }"
        let p = try parse(scenario(flow, scenarioExtra: "\n    pacing: 2s\n    graceful_stop: 1s"))
        XCTAssertEqual(p.scenarios[0].flow.pacingMicros, 2_000_000)
        XCTAssertEqual(p.scenarios[0].flow.gracefulStopMicros, 1_000_000)
        XCTAssertEqual(try parse(scenario(flow)).scenarios[0].flow.gracefulStopMicros, 5_000_000, "k6's default")
        let open = scenario(flow, scenarioExtra: "\n    pacing: 2s").replacingOccurrences(
            of: "{ model: closed, stages: [ { duration: 1s, concurrency: 1 } ] }",
            with: "{ model: open, stages: [ { duration: 1s, rate: 1 } ] }")
        XCTAssertEqual(failure(open),
                       "shop.yaml:6: scenarios.checkout.pacing: only for the closed model (the open model's arrivals already set when iterations start)")
    }

    func testStepAndScenarioChecks() {
        let cases: [(String, String)] = [
            ("""
                   - { name: a, url: http://h/a }
                   - { name: a, url: http://h/b }
             """, "shop.yaml:9: scenarios.checkout.flow[1].name: duplicate step name 'a' (also scenarios.checkout.flow[0] on line 8)"),
            ("      - { think: 1s }", "shop.yaml:7: scenarios.checkout.flow: has no request step (a flow needs at least one step with a url)"),
            ("      []", "shop.yaml:7: scenarios.checkout.flow: needs at least one step"),
            ("      - { name: a }", "shop.yaml:8: scenarios.checkout.flow[0].url: is required (a step is a request with a url, or think: for a pause)"),
            ("      - just-a-string", "shop.yaml:8: scenarios.checkout.flow[0]: expected a step: a mapping with url (a request) or think (a pause)"),
            ("      - { name: a, url: http://h/a, wieght: 2 }", "shop.yaml:8: scenarios.checkout.flow[0].wieght: unknown field 'wieght'"),
            ("      - { name: a, url: http://h/a, metod: POST }", "shop.yaml:8: scenarios.checkout.flow[0].metod: unknown field 'metod' (did you mean 'method'?)"),
            ("      - { name: a, url: \"ftp://h/${vu}\" }", "shop.yaml:8: scenarios.checkout.flow[0].url: 'ftp://h/${vu}': expected http:// or https://, not ftp://"),
            ("      - { name: a, url: \"http://h/a b/${vu}\" }", "shop.yaml:8: scenarios.checkout.flow[0].url: 'http://h/a b/${vu}': contains a space (write %20)"),
            ("      - { name: a, url: \"http://h:99999/${vu}\" }", "shop.yaml:8: scenarios.checkout.flow[0].url: 'http://h:99999/${vu}': port 99999 is out of range (1-65535)"),
            ("      - { name: a, url: http://h/a, body: x, json: { a: 1 } }",
             "shop.yaml:8: scenarios.checkout.flow[0].json: give one of body, body_file, json and form, not both body and json"),
            ("      - { name: a, url: http://h/a, json: \"text\" }",
             "shop.yaml:8: scenarios.checkout.flow[0].json: expected a mapping or a list (the JSON body; for a JSON string use body:)"),
            ("      - { name: a, url: http://h/a, form: { a: [1] } }", "shop.yaml:8: scenarios.checkout.flow[0].form.a: expected a scalar (a form field's value is text)"),
            ("      - { name: a, url: http://h/a, body_file: missing.txt }",
             "shop.yaml:8: scenarios.checkout.flow[0].body_file: cannot read missing.txt (No such file or directory)"),
            // Think shapes.
            ("      - { think: fast }\n      - { name: a, url: http://h/a }",
             "shop.yaml:8: scenarios.checkout.flow[0].think: expected a duration with a unit, e.g. 5s or 250ms"),
            ("      - { think: [1s, 2s] }\n      - { name: a, url: http://h/a }",
             "shop.yaml:8: scenarios.checkout.flow[0].think: expected a duration (500ms), { uniform: [min, max] } or { normal: [mean, stddev] }"),
            ("      - { think: { uniform: [1s] } }\n      - { name: a, url: http://h/a }",
             "shop.yaml:8: scenarios.checkout.flow[0].think.uniform: expected two durations: [min, max]"),
            ("      - { think: { uniform: [2s, 1s] } }\n      - { name: a, url: http://h/a }",
             "shop.yaml:8: scenarios.checkout.flow[0].think: uniform think time needs 0 ≤ min ≤ max"),
            ("      - { think: { unifrom: [1s, 2s] } }\n      - { name: a, url: http://h/a }",
             "shop.yaml:8: scenarios.checkout.flow[0].think.unifrom: unknown field 'unifrom' (did you mean 'uniform'?)"),
            ("      - { think: { uniform: [1s, 2s], normal: [1s, 0s] } }\n      - { name: a, url: http://h/a }",
             "shop.yaml:8: scenarios.checkout.flow[0].think: expected a duration (500ms), { uniform: [min, max] } or { normal: [mean, stddev] }"),
            ("      - { think: 1s, url: http://h/a }", "shop.yaml:8: scenarios.checkout.flow[0].url: unknown field 'url'"),
            ("      - think:\n      - { name: a, url: http://h/a }",
             "shop.yaml:8: scenarios.checkout.flow[0].think: expected a duration (500ms), { uniform: [min, max] } or { normal: [mean, stddev] }"),
            // Expect.
            ("      - { name: a, url: http://h/a, expect: { status: 700 } }",
             "shop.yaml:8: scenarios.checkout.flow[0].expect.status: 700 is not an HTTP status (100-599)"),
            ("      - { name: a, url: http://h/a, expect: { json: { \"ok\": true } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].expect.json.ok: JSON path 'ok': must start with '$' (as in $.token)"),
            ("      - { name: a, url: http://h/a, expect: { json: { \"$.ok\": [true] } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].expect.json.$.ok: expected a scalar (a string, number, true, false or null)"),
        ]
        for (flow, expected) in cases {
            XCTAssertEqual(failure(scenario(flow)), expected, flow)
        }
    }

    func testCaptureChecks() {
        let cases: [(String, String)] = [
            ("      - { name: a, url: http://h/a, capture: { users: { status: true } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.users: capture 'users' has the name of a data set (data.users)"),
            ("      - { name: a, url: http://h/a, capture: { vu: { status: true } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.vu: capture 'vu' has the name of a built-in (vu, iteration, uuid, now_ms, random_int)"),
            ("""
                   - { name: a, url: http://h/a, capture: { id: { status: true } } }
                   - { name: b, url: http://h/b, capture: { id: { status: true } } }
             """, "shop.yaml:9: scenarios.checkout.flow[1].capture.id: capture 'id' is already captured by step a (scenarios.checkout.flow[0]); capture names are unique in a scenario"),
            ("      - { name: a, url: http://h/a, capture: { a.b: { status: true } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.a.b: 'a.b' is not a capture name (letters, digits, '_' and '-')"),
            ("      - { name: a, url: http://h/a, capture: { x: { } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x: expected one source: json, regex, header, cookie or status"),
            ("      - { name: a, url: http://h/a, capture: { x: { json: $.a, cookie: c } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x.cookie: give one source, not both json and cookie"),
            ("      - { name: a, url: http://h/a, capture: { x: { cookie: c, pick: last } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x.pick: pick goes only with json, not with cookie"),
            ("      - { name: a, url: http://h/a, capture: { x: { json: $.a, group: 1 } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x.group: group goes only with regex, not with json"),
            ("      - { name: a, url: http://h/a, capture: { x: { header: H, group: 1 } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x.group: group goes only with regex"),
            ("      - { name: a, url: http://h/a, capture: { x: { json: $.a, regex: a } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x.regex: give one source, not both json and regex"),
            ("      - { name: a, url: http://h/a, capture: { x: { json: $.a, pick: any } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x.pick: expected first, last or random, not 'any'"),
            ("      - { name: a, url: http://h/a, capture: { x: { json: $.a, pick: last, list: true } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x.pick: pick does not go with list: true (the list holds every match)"),
            ("      - { name: a, url: http://h/a, capture: { x: { json: \"$.a[\" } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x.json: JSON path '$.a[': unterminated '['"),
            ("      - { name: a, url: http://h/a, capture: { x: { regex: \"(\" } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x.regex: regex '(': not a valid regular expression"),
            ("      - { name: a, url: http://h/a, capture: { x: { regex: \"a+\" } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x.regex: regex 'a+': has 0 groups, group 1 asked (add parentheses around the part to capture, or use group: 0)"),
            ("      - { name: a, url: http://h/a, capture: { x: { status: false } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x.status: expected true (status: true captures the status code)"),
            ("      - { name: a, url: http://h/a, capture: { x: { hedaer: H } } }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture.x.hedaer: unknown field 'hedaer' (did you mean 'header'?)"),
            ("      - { name: a, url: http://h/a, capture: [ token ] }",
             "shop.yaml:8: scenarios.checkout.flow[0].capture: expected a mapping of variable name to { json | regex | header | cookie | status }"),
        ]
        for (flow, expected) in cases {
            XCTAssertEqual(failure(scenario(flow)), expected, flow)
        }
    }

    func testDataChecks() {
        let step = "      - { name: a, url: \"http://h/${users.name}\" }"
        let cases: [(String, String)] = [
            ("users: { file: data/nope.csv }", "shop.yaml:3: data.users.file: cannot read data/nope.csv (No such file or directory)"),
            ("users: { file: ragged.csv }", "ragged.csv:3: "),
            ("users: { file: data/users.csv, mode: shuffled }",
             "shop.yaml:3: data.users.mode: expected sequential, random or unique, not 'shuffled'"),
            ("users: { file: data/users.csv, bind: thread }", "shop.yaml:3: data.users.bind: expected iteration or vu, not 'thread'"),
            ("users: { fiel: data/users.csv }", "shop.yaml:3: data.users.fiel: unknown field 'fiel' (did you mean 'file'?)"),
            ("users: { mode: random }", "shop.yaml:3: data.users.file: is required"),
            ("user.s: { file: data/users.csv }", "shop.yaml:3: data.user.s: 'user.s' is not a data set name (letters, digits, '_' and '-')"),
        ]
        for (data, expected) in cases {
            let message = failure(scenario(step, data: data))
            XCTAssertTrue(message.hasPrefix(expected), "\(data): \(message)")
        }
    }

    func testProfileLevelChecks() {
        XCTAssertEqual(failure(scenario("      - { name: a, url: http://h/a }", tail: "targets: [ { url: http://h/ } ]")),
                       "shop.yaml:9: targets: cannot be used with scenarios: (each scenario has its own flow and load)")
        XCTAssertEqual(failure(scenario("      - { name: a, url: http://h/a }", tail: "load: { model: open }")),
                       "shop.yaml:9: load: cannot be used with scenarios: (each scenario has its own flow and load)")
        XCTAssertEqual(failure("""
        data: { users: { file: data/users.csv } }
        targets: [ { url: http://h/ } ]
        load: { model: open, stages: [ { duration: 1s, rate: 1 } ] }
        """), "shop.yaml:1: data: data sets are read by scenarios' flows: add scenarios: (or remove data:)")
        XCTAssertEqual(failure("scenarios: {}"), "shop.yaml:1: scenarios: needs at least one scenario")
        XCTAssertEqual(failure("scenarios: [ a ]"), "shop.yaml:1: scenarios: expected a mapping of scenario name to { load, flow }")
        XCTAssertEqual(failure("scenarios: { \"a b\": {} }"), "shop.yaml:1: scenarios.a b: 'a b' is not a scenario name (letters, digits, '_' and '-')")
        XCTAssertEqual(failure("scenarios: { s: { flow: [ { url: http://h/ } ] } }"), "shop.yaml:1: scenarios.s.load: is required")
        XCTAssertEqual(failure("scenarios: { s: { load: { model: open, stages: [ { duration: 1s, rate: 1 } ] } } }"),
                       "shop.yaml:1: scenarios.s.flow: is required")
        XCTAssertEqual(failure(scenario("      - { name: a, url: http://h/a }", scenarioExtra: "\n    iterations: 0")),
                       "shop.yaml:6: scenarios.checkout.iterations: must be at least 1")
        XCTAssertEqual(failure(scenario("      - { name: a, url: http://h/a }", scenarioExtra: "\n    cookies: always")),
                       "shop.yaml:6: scenarios.checkout.cookies: expected per_iteration, per_vu or off, not 'always'")
        XCTAssertEqual(failure(scenario("      - { name: a, url: http://h/a }", scenarioExtra: "\n    start_after: soon")),
                       "shop.yaml:6: scenarios.checkout.start_after: expected a duration with a unit, e.g. 5s or 250ms")
        XCTAssertEqual(failure(scenario("      - { name: a, url: http://h/a }", scenarioExtra: "\n    pacng: 1s")),
                       "shop.yaml:6: scenarios.checkout.pacng: unknown field 'pacng' (did you mean 'pacing'?)")
        XCTAssertEqual(failure("""
        scenarios:
          s:
            iterations: 5
            load: { model: open, stages: [ { duration: 1s, rate: 1 } ] }
            flow: [ { url: http://h/ } ]
        """), "shop.yaml:3: scenarios.s.iterations: only for the closed model, but load.model is open")
        XCTAssertEqual(failure(scenario("      - { name: a, url: http://h/a }", tail: "thresholds: [ \"target:b p99 < 1s\" ]")),
                       "shop.yaml:9: thresholds[0]: threshold 'target:b p99 < 1s': no target named 'b' (targets: a)")
        XCTAssertEqual(failure("""
        defaults: { headers: { X-A: "${tokn}" } }
        scenarios:
          s:
            load: { model: open, stages: [ { duration: 1s, rate: 1 } ] }
            flow: [ { url: http://h/, capture: { token: { status: true } } } ]
        """), "shop.yaml:1: defaults.headers.X-A: unknown variable 'tokn' (did you mean 'token'?)")
        // A default header using a capture: the first step cannot have it yet.
        XCTAssertEqual(failure("""
        defaults: { headers: { Authorization: "Bearer ${token}" } }
        scenarios:
          s:
            load: { model: open, stages: [ { duration: 1s, rate: 1 } ] }
            flow: [ { name: login, url: http://h/, capture: { token: { status: true } } }, { url: http://h/x } ]
        """), "shop.yaml:1: defaults.headers.Authorization: uses 'token', which is captured only by this step (login) itself")
    }
}
