import Foundation
import XCTest
@testable import BarrageCore

final class ProfileLoaderTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "barrage-profile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(#"{"sku":"A1","qty":2}"#.utf8).write(to: URL(fileURLWithPath: directory + "/order.json"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private let environment = ["BASE_URL": "http://127.0.0.1:8080", "STAGING_TOKEN": "s3cr3t-token"]

    private func parse(_ text: String, path: String = "checkout.yaml", variables: [String: String] = [:],
                       environment: [String: String]? = nil) throws -> Profile {
        try ProfileLoader.parse(text: text, path: path, variables: variables, environment: environment ?? self.environment)
    }

    /// The one-line message a profile fails with, or a test failure when it loads.
    private func failure(_ text: String, path: String = "checkout.yaml", variables: [String: String] = [:],
                         environment: [String: String]? = nil,
                         file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            let profile = try parse(text, path: path, variables: variables, environment: environment)
            XCTFail("loaded instead of failing: \(profile)", file: file, line: line)
            return ""
        } catch let error as BarrageError {
            XCTAssertEqual(error.status, .usage, file: file, line: line)
            XCTAssertFalse(error.message.contains("\n"), "not one line: \(error.message)", file: file, line: line)
            return error.message
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return ""
        }
    }

    // MARK: Full profiles

    func testFullOpenProfileDecodes() throws {
        let text = """
        name: checkout-ramp
        seed: 42
        defaults: { timeout: 5s, connect_timeout: 2s, headers: { Authorization: "Bearer ${STAGING_TOKEN}" } }
        targets:
          - { name: home,   url: "${BASE_URL}/",          weight: 8 }
          - { name: search, url: "${BASE_URL}/search?q=x", weight: 2, expect: { status: [200, 404], body_contains: "results" } }
          - { name: order,  url: "${BASE_URL}/orders", method: post, body_file: order.json, weight: 1, headers: { Content-Type: application/json }, timeout: 2s }
        load:
          model: open
          start_rate: 10
          max_in_flight: 2000
          max_lateness: 5s
          arrival: poisson
          warmup: 10s
          stages:
            - { duration: 30s, rate: 500 }
            - duration: 1m
              rate: 12.5
        thresholds: [ "p99 < 250ms", { expr: "error_rate < 1%", abort_on_fail: true, delay_abort_eval: 10s } ]
        """
        let path = directory + "/checkout.yaml"
        let profile = try parse(text, path: path)
        let expected = Profile(
            name: "checkout-ramp", seed: 42,
            defaults: .init(timeoutMicros: 5_000_000, connectTimeoutMicros: 2_000_000,
                            headers: ["Authorization: Bearer s3cr3t-token"]),
            targets: [
                .init(name: "home", url: "http://127.0.0.1:8080/", weight: 8),
                .init(name: "search", url: "http://127.0.0.1:8080/search?q=x", weight: 2,
                      expect: .init(statuses: [200, 404], bodyContains: "results")),
                .init(name: "order", url: "http://127.0.0.1:8080/orders", method: "POST",
                      headers: ["Content-Type: application/json"], body: Array(#"{"sku":"A1","qty":2}"#.utf8),
                      weight: 1, timeoutMicros: 2_000_000),
            ],
            load: .init(model: .open, startRate: 10, maxInFlight: 2000, maxLatenessMicros: 5_000_000, arrival: "poisson",
                        warmupMicros: 10_000_000,
                        stages: [.init(durationMicros: 30_000_000, rate: 500), .init(durationMicros: 60_000_000, rate: 12.5)]),
            thresholds: [
                .init(expr: "p99 < 250ms", line: 19),
                .init(expr: "error_rate < 1%", abortOnFail: true, delayAbortEvalMicros: 10_000_000, line: 19),
            ],
            path: path)
        XCTAssertEqual(profile, expected)
    }

    func testFullClosedProfileDecodes() throws {
        let text = """
        # A closed-model soak.
        name: soak
        targets:
          - url: http://localhost:9000/items/${ITEM}
            method: GET
            headers:
              Accept: application/json
              X-Run: "${RUN}"
            body: hello
        load:
          model: closed
          start_concurrency: 2
          think_time: 100ms
          requests: 10
          warmup: 0
          stages:
            - duration: 30s
              concurrency: 8
            - duration: 1m30s
              concurrency: 0
        thresholds:
          - "target:default p95 < 100ms"
          - expr: stage:2 rps >= 1
        """
        let profile = try parse(text, variables: ["ITEM": "7", "RUN": "r1"])
        let expected = Profile(
            name: "soak",
            targets: [.init(name: "default", url: "http://localhost:9000/items/7",
                            headers: ["Accept: application/json", "X-Run: r1"], body: Array("hello".utf8))],
            load: .init(model: .closed, startConcurrency: 2, thinkTimeMicros: 100_000, requests: 10,
                        stages: [.init(durationMicros: 30_000_000, concurrency: 8), .init(durationMicros: 90_000_000, concurrency: 0)]),
            thresholds: [.init(expr: "target:default p95 < 100ms", line: 22), .init(expr: "stage:2 rps >= 1", line: 23)],
            path: "checkout.yaml")
        XCTAssertEqual(profile, expected)
    }

    func testJSONFormIsAccepted() throws {
        let text = """
        {
        \t"name": "json-profile",
        \t"seed": 7,
        \t"targets": [
        \t\t{"url": "https://example.test/a", "weight": 3, "expect": {"status": 200}},
        \t\t{"url": "https://example.test/b", "method": "delete"}
        \t],
        \t"load": {"model": "open", "max_lateness": "1s", "stages": [{"duration": "10s", "rate": 100}]},
        \t"thresholds": [{"expr": "p99 < 1s", "abort_on_fail": false}]
        }
        """
        let profile = try parse(text, path: "profiles/p.json")
        XCTAssertEqual(profile.name, "json-profile")
        XCTAssertEqual(profile.seed, 7)
        XCTAssertEqual(profile.targets, [
            .init(name: "target1", url: "https://example.test/a", weight: 3, expect: .init(statuses: [200])),
            .init(name: "target2", url: "https://example.test/b", method: "DELETE"),
        ])
        XCTAssertEqual(profile.load, .init(model: .open, maxLatenessMicros: 1_000_000, stages: [.init(durationMicros: 10_000_000, rate: 100)]))
        XCTAssertEqual(profile.thresholds, [.init(expr: "p99 < 1s", line: 9)])
    }

    func testDefaultsWhenOptionalFieldsAreAbsent() throws {
        let profile = try parse("""
        \u{FEFF}targets: [{ url: "http://a.test" }]
        load: { model: open, stages: [{ duration: 1s, rate: 1 }] }
        """, path: "dir/smoke.yml")
        XCTAssertEqual(profile.name, "smoke", "the file name stands in for a missing name (and a BOM is skipped)")
        XCTAssertNil(profile.seed)
        XCTAssertEqual(profile.defaults, Profile.Defaults())
        XCTAssertEqual(profile.targets, [.init(name: "default", url: "http://a.test")])
        XCTAssertEqual(profile.load, .init(model: .open, stages: [.init(durationMicros: 1_000_000, rate: 1)]))
        XCTAssertNil(profile.load.maxInFlight, "nil lets the CLI choose its own bound")
        XCTAssertEqual(profile.thresholds, [])
    }

    func testUnnamedTargetsAreNumberedAmongNamedOnes() throws {
        let profile = try parse("""
        targets:
          - { url: "http://a.test" }
          - { name: api, url: "http://b.test" }
          - { url: "http://c.test" }
        load: { model: open, stages: [{ duration: 1s, rate: 1 }] }
        """)
        XCTAssertEqual(profile.targets.map(\.name), ["target1", "api", "target3"])
    }

    // MARK: Files

    func testLoadReadsTheFileAndResolvesBodyFileNextToIt() throws {
        let path = directory + "/p.yaml"
        try Data("""
        targets: [{ url: "${BASE_URL}/o", method: POST, body_file: order.json }]
        load: { model: open, stages: [{ duration: 1s, rate: 1 }] }
        """.utf8).write(to: URL(fileURLWithPath: path))
        let profile = try ProfileLoader.load(path: path, variables: [:], environment: environment)
        XCTAssertEqual(profile.targets[0].body, Array(#"{"sku":"A1","qty":2}"#.utf8))
        XCTAssertEqual(profile.path, path)
    }

    func testMissingFileIsOneUsageLine() {
        let path = directory + "/nope.yaml"
        XCTAssertThrowsError(try ProfileLoader.load(path: path, variables: [:], environment: [:])) { error in
            let error = error as? BarrageError
            XCTAssertEqual(error?.status, .usage)
            XCTAssertEqual(error?.message, "\(path): cannot read the profile (No such file or directory)")
        }
    }

    // MARK: Variables

    func testCommandLineVariablesWinOverTheEnvironment() throws {
        let text = """
        targets: [{ url: "${BASE_URL}/x", headers: { X-Env: "${ONLY_ENV}" } }]
        load: { model: open, stages: [{ duration: 1s, rate: "${RATE}" }] }
        """
        let profile = try parse(text, variables: ["BASE_URL": "https://cli.test", "RATE": "25"],
                                environment: ["BASE_URL": "https://env.test", "ONLY_ENV": "e", "RATE": "1"])
        XCTAssertEqual(profile.targets[0].url, "https://cli.test/x")
        XCTAssertEqual(profile.targets[0].headers, ["X-Env: e"])
        XCTAssertEqual(profile.load.stages[0].rate, 25, "numbers are interpolated before they are read")
    }

    func testDoubleDollarEscapesALiteralInterpolation() throws {
        let profile = try parse("""
        targets:
          - url: "http://a.test/$path"
            body: 'literal $${BASE_URL} and ${BASE_URL} and $$'
        load: { model: open, stages: [{ duration: 1s, rate: 1 }] }
        """)
        XCTAssertEqual(profile.targets[0].url, "http://a.test/$path", "a $ without { is kept")
        XCTAssertEqual(String(decoding: profile.targets[0].body, as: UTF8.self),
                       "literal ${BASE_URL} and http://127.0.0.1:8080 and $$")
    }

    func testSecretValuesFindsSecretNamedVariablesOnly() {
        let text = """
        defaults: { headers: { Authorization: "Bearer ${STAGING_TOKEN}", X-Api-Key: "${api_key}", X-Lit: "$${DB_PASSWORD}" } }
        targets: [{ url: "${BASE_URL}/", headers: { X-Again: "${STAGING_TOKEN}", X-Unset: "${MY_SECRET}" } }]
        """
        let values = ProfileLoader.secretValues(in: text, variables: ["api_key": "k-123"],
                                                environment: environment.merging(["DB_PASSWORD": "pw"]) { a, _ in a })
        XCTAssertEqual(values, ["s3cr3t-token", "k-123"])
        XCTAssertFalse(values.contains("http://127.0.0.1:8080"))
    }

    func testInterpolatedHeaderValueWithNewlineIsRejected() {
        let message = failure("""
        targets: [{ url: "http://a.test", headers: { X-Evil: "a${NL}b" } }]
        load: { model: open, stages: [{ duration: 1s, rate: 1 }] }
        """, variables: ["NL": "\r\nInjected: 1"])
        XCTAssertEqual(message, "checkout.yaml:1: targets[0].headers.X-Evil: a header value cannot contain CR, LF or NUL")
    }

    // MARK: Errors

    /// Each case: a profile, and the exact message (FILE:LINE: FIELD.PATH: message) it must fail with.
    func testValidationErrorsNameFileLineAndField() {
        let stages = "  stages: [{ duration: 1s, rate: 1 }]"
        let cases: [(text: String, message: String)] = [
            // YAML syntax.
            ("targets: [{ url: http://a.test }]\nload:\n  model: open\n   stages: [x]\n",
             "checkout.yaml:4: YAML syntax error: mapping values are not allowed in this context"),
            ("targets: [{ url: \"http://a.test }]\n", "checkout.yaml:2: YAML syntax error: found unexpected end of stream (while scanning a quoted scalar at line 1)"),
            ("load: 1\nload: 2\n", "checkout.yaml:1: duplicate key 'load' in a mapping"),
            ("", "checkout.yaml:1: the profile is empty"),
            ("- a\n- b\n", "checkout.yaml:1: expected a mapping with targets and load at the top of the profile"),
            // Unknown fields, with a suggestion.
            ("targets:\n  - url: http://a.test\n    wieght: 2\nload: { model: open, \(stages.dropFirst(2)) }\n",
             "checkout.yaml:3: targets[0].wieght: unknown field 'wieght' (did you mean 'weight'?)"),
            ("name: x\ntreshold: []\n", "checkout.yaml:2: treshold: unknown field 'treshold' (did you mean 'thresholds'?)"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: open\n  stages: [{ duration: 1s, rate: 1, ramp: 2 }]\n",
             "checkout.yaml:4: load.stages[0].ramp: unknown field 'ramp'"),
            // Required fields.
            ("name: x\nload: { model: open, \(stages.dropFirst(2)) }\n", "checkout.yaml:1: targets: is required"),
            ("targets: []\n", "checkout.yaml:1: targets: needs at least one target"),
            ("targets: [{ url: http://a.test }]\n", "checkout.yaml:1: load: is required"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: open\n", "checkout.yaml:2: load.stages: is required"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: open\n  stages: []\n", "checkout.yaml:4: load.stages: needs at least one stage"),
            ("targets: [{ url: http://a.test }]\nload:\n\(stages)\n", "checkout.yaml:2: load.model: is required (open or closed)"),
            ("targets:\n  - name: a\nload: { model: open, \(stages.dropFirst(2)) }\n", "checkout.yaml:2: targets[0].url: is required"),
            // Types.
            ("targets: [{ url: http://a.test }]\nload:\n  model: open\n  stages:\n    - { duration: 1s, rate: 1 }\n    - { duration: 1s, rate: fast }\n",
             "checkout.yaml:6: load.stages[1].rate: expected a number"),
            ("targets: http://a.test\n", "checkout.yaml:1: targets: expected a list of targets"),
            ("targets:\n  - url: http://a.test\n    weight: [1]\n", "checkout.yaml:3: targets[0].weight: expected a number"),
            ("targets: [{ url: http://a.test, timeout: 5 }]\n", "checkout.yaml:1: targets[0].timeout: a duration needs a unit, e.g. 5s or 5ms"),
            ("defaults:\n  connect_timeout: soon\n", "checkout.yaml:2: defaults.connect_timeout: expected a duration with a unit, e.g. 5s or 250ms"),
            ("seed: -1\n", "checkout.yaml:1: seed: expected a non-negative whole number"),
            ("targets: [{ url: http://a.test }]\nload: { model: open, \(stages.dropFirst(2)) }\nthresholds:\n  - { expr: p99 < 1s, abort_on_fail: maybe }\n",
             "checkout.yaml:4: thresholds[0].abort_on_fail: expected true or false"),
            ("defaults: { headers: [a, b] }\n", "checkout.yaml:1: defaults.headers: expected a mapping of header name to value"),
            ("defaults:\n  headers:\n    Bad Name: x\n", "checkout.yaml:3: defaults.headers.Bad Name: 'Bad Name' is not a valid header name"),
            ("targets:\n  - url: http://a.test\n    headers: { Accept: a, accept: b }\n",
             "checkout.yaml:3: targets[0].headers.accept: header 'accept' is given twice (names are case-insensitive)"),
            ("targets:\n  - url: http://a.test\n    headers:\n      X-Empty:\n",
             "checkout.yaml:4: targets[0].headers.X-Empty: expected a string (write \"\" for an empty one)"),
            // Target values.
            ("targets:\n  - url: ftp://a.test/x\n", "checkout.yaml:2: targets[0].url: 'ftp://a.test/x': expected http:// or https://, not ftp://"),
            ("targets:\n  - url: \"${HOSTLESS}\"\n", "checkout.yaml:2: targets[0].url: 'http://': no host"),
            ("targets:\n  - url: http://a.test:99999/\n", "checkout.yaml:2: targets[0].url: 'http://a.test:99999/': port 99999 is out of range (1-65535)"),
            ("targets:\n  - url: \"http://a.test/a b\"\n", "checkout.yaml:2: targets[0].url: 'http://a.test/a b': contains a space (write %20)"),
            ("targets:\n  - url: http://a.test\n    method: GET /x\n",
             "checkout.yaml:3: targets[0].method: 'GET /x' is not an HTTP method (letters only, e.g. GET or POST)"),
            ("targets:\n  - url: http://a.test\n    weight: 0\n", "checkout.yaml:3: targets[0].weight: must be greater than 0"),
            ("targets:\n  - { name: a, url: http://a.test }\n  - { name: a, url: http://b.test }\n",
             "checkout.yaml:3: targets[1].name: duplicate target name 'a' (also targets[0] on line 2)"),
            ("targets:\n  - url: http://a.test\n    expect: { status: [200, 700] }\n",
             "checkout.yaml:3: targets[0].expect.status[1]: 700 is not an HTTP status (100-599)"),
            ("targets:\n  - url: http://a.test\n    expect:\n      status: ok\n", "checkout.yaml:4: targets[0].expect.status: expected a number"),
            ("targets:\n  - url: http://a.test\n    body: x\n    body_file: order.json\n",
             "checkout.yaml:4: targets[0].body_file: body and body_file cannot both be given"),
            ("targets:\n  - url: http://a.test\n    body_file: missing.json\n",
             "checkout.yaml:3: targets[0].body_file: cannot read missing.json (No such file or directory)"),
            // Load values by model.
            ("targets: [{ url: http://a.test }]\nload:\n  model: closed\n  stages:\n    - duration: 1s\n      rate: 5\n",
             "checkout.yaml:6: load.stages[0].rate: only for the open model, but load.model is closed (use concurrency)"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: open\n  stages:\n    - { duration: 1s, concurrency: 5 }\n",
             "checkout.yaml:5: load.stages[0].concurrency: only for the closed model, but load.model is open (use rate)"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: closed\n  stages:\n    - { duration: 1s }\n",
             "checkout.yaml:5: load.stages[0].concurrency: is required for the closed model"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: closed\n  stages: [{ duration: 1s, concurrency: 2.5 }]\n",
             "checkout.yaml:4: load.stages[0].concurrency: expected a whole number"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: open\n  stages: [{ duration: 0s, rate: 2 }]\n",
             "checkout.yaml:4: load.stages[0].duration: must be greater than 0"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: open\n  stages: [{ duration: 1s, rate: -2 }]\n",
             "checkout.yaml:4: load.stages[0].rate: must not be negative"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: closed\n  think_time: 1s\n  max_in_flight: 5\n\(stages)\n",
             "checkout.yaml:5: load.max_in_flight: only for the open model, but load.model is closed"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: open\n  think_time: 1s\n\(stages)\n",
             "checkout.yaml:4: load.think_time: only for the closed model, but load.model is open"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: ramp\n", "checkout.yaml:3: load.model: expected open or closed, not 'ramp'"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: open\n  arrival: bursty\n\(stages)\n",
             "checkout.yaml:4: load.arrival: expected uniform or poisson, not 'bursty'"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: open\n  max_in_flight: 0\n\(stages)\n",
             "checkout.yaml:4: load.max_in_flight: must be at least 1"),
            ("targets: [{ url: http://a.test }]\nload:\n  model: closed\n  requests: 0\n  stages: [{ duration: 1s, concurrency: 1 }]\n",
             "checkout.yaml:4: load.requests: must be at least 1"),
            // Thresholds.
            ("targets: [{ url: http://a.test }]\nload: { model: open, \(stages.dropFirst(2)) }\nthresholds:\n  - p99 < 1s\n  - p99 < 250\n",
             "checkout.yaml:5: thresholds[1]: threshold 'p99 < 250': a latency limit needs a unit, e.g. 250ms"),
            ("targets: [{ url: http://a.test }]\nload: { model: open, \(stages.dropFirst(2)) }\nthresholds:\n  - expr: p99 <> 1s\n",
             "checkout.yaml:4: thresholds[0]: threshold 'p99 <> 1s': unknown operator '<>' (use <, <=, >, >= or ==)"),
            ("targets: [{ name: api, url: http://a.test }]\nload: { model: open, \(stages.dropFirst(2)) }\nthresholds: [\"target:web p95 < 1s\"]\n",
             "checkout.yaml:3: thresholds[0]: threshold 'target:web p95 < 1s': no target named 'web' (targets: api)"),
            // Variables.
            ("name: x\nseed: 1\n\ndefaults: {}\n\ntargets:\n  - url: \"${BASE_URL}/\"\n",
             "checkout.yaml:7: targets[0].url: variable BASE_URL is not set (use -e BASE_URL=… or the environment)"),
            ("targets:\n  - url: \"http://a.test/${BAD-NAME}\"\n",
             "checkout.yaml:2: targets[0].url: '${BAD-NAME}' is not a variable name (letters, digits and _; write $${ for a literal ${)"),
            ("targets:\n  - url: \"http://a.test/${OPEN\"\n", "checkout.yaml:2: targets[0].url: unterminated ${ (write $${ for a literal ${)"),
            // A URL is checked after substitution.
            ("targets:\n  - url: \"http://127.0.0.1:${PORT}/\"\n",
             "checkout.yaml:2: targets[0].url: 'http://127.0.0.1:99999/': port 99999 is out of range (1-65535)"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(failure(text, path: "checkout.yaml", environment: ["HOSTLESS": "http://", "PORT": "99999"]), expected, "for:\n\(text)")
        }
        XCTAssertGreaterThanOrEqual(cases.count, 15)
    }

    func testBodyFileErrorNamesTheResolvedPath() {
        let path = directory + "/p.yaml"
        let message = failure("targets:\n  - url: http://a.test\n    body_file: data/none.bin\n", path: path)
        XCTAssertEqual(message, "\(path):3: targets[0].body_file: cannot read \(directory)/data/none.bin (No such file or directory)")
    }

    func testSingleStatusAndEmptyExpect() throws {
        let profile = try parse("""
        targets:
          - { name: a, url: "http://a.test", expect: { status: 204 } }
          - { name: b, url: "http://a.test", expect: { body_contains: "ok" } }
        load: { model: open, stages: [{ duration: 1s, rate: 1 }] }
        """)
        XCTAssertEqual(profile.targets[0].expect, .init(statuses: [204]))
        XCTAssertEqual(profile.targets[1].expect, .init(bodyContains: "ok"))
    }
}
