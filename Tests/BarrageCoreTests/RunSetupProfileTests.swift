import Foundation
import XCTest
@testable import BarrageCore

/// The top-level `setup:` of a scenario profile (run once per run, its captures read by every VU): what the loader
/// makes of it, and each bad input (one line, exit 2).
final class RunSetupProfileTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "barrage-runsetup-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("name,password\nalice,pw-alice\n".utf8).write(to: URL(fileURLWithPath: directory + "/users.csv"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private let environment = ["BASE_URL": "http://127.0.0.1:8080", "PASSWORD": "pw", "token": "from-env"]

    private func parse(_ text: String) throws -> Profile {
        try ProfileLoader.parse(text: text, path: directory + "/shop.yaml", variables: [:], environment: environment)
    }

    /// A profile whose setup starts on line 5 and whose first scenario's flow starts on line 10.
    private func profile(setup: String, flow: String = "      - { name: items, url: \"${BASE_URL}/api/items/${token}\" }",
                         second: String = "") -> String {
        """
        name: shop
        data:
          users: { file: users.csv }
        setup:
        \(setup)
        scenarios:
          browse:
            load: { model: closed, stages: [ { duration: 1s, concurrency: 1 } ] }
            flow:
        \(flow)
        \(second)
        """
    }

    private let login = """
          - name: login
            method: POST
            url: "${BASE_URL}/api/login"
            json: { user: alice, password: "${PASSWORD}" }
            expect: { status: [200] }
            capture: { token: { json: "$.token" } }
          - think: 10ms
    """

    private func failure(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try parse(text)
            XCTFail("loaded instead of failing", file: file, line: line)
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

    func testSetupCapturesBecomeEveryScenariosVariables() throws {
        let text = profile(setup: login, second: """
          checkout:
            load: { model: closed, stages: [ { duration: 1s, concurrency: 1 } ] }
            flow:
              - { name: cart, method: POST, url: "${BASE_URL}/api/cart", headers: { Authorization: "Bearer ${token}" } }
              - { name: plain, url: "${BASE_URL}/" }
        """)
        let p = try parse(text)
        let setup = try XCTUnwrap(p.setup)
        XCTAssertEqual(setup.requestSteps.map(\.name), ["login"])
        XCTAssertEqual(setup.variables, ["token"])
        XCTAssertEqual(setup.iterations, 1)
        XCTAssertTrue(setup.data.isEmpty)
        // The environment's `token` is not used: a setup capture of that name wins, as a flow's own capture does.
        let browse = p.scenarios[0].flow
        XCTAssertEqual(browse.runCaptures, ["token"])
        XCTAssertEqual(browse.variables, ["token"])
        let checkout = p.scenarios[1].flow
        XCTAssertEqual(checkout.runCaptures, ["token"])
        // Filled from the setup's values, they render into every VU's requests; the flow's own captures stay apart.
        let filled = checkout.withRunValues(["token": .bytes(Array("t-1".utf8))])
        XCTAssertEqual(filled.initialValues, [.bytes(Array("t-1".utf8))])
        let context = TemplateContext(key: FlowKey(seed: 0), nowMillis: 0)
        XCTAssertEqual(filled.requestSteps[0].headers[0].string(values: filled.initialValues, context: context),
                       "Authorization: Bearer t-1")
        XCTAssertEqual(p.scenarios[1].flow.requestSteps[1].isTemplated, false)
        // The plan carries the setup with its steps as targets; a plan without setup is as before.
        let plan = try PlanBuilder.build(PlanInputs(source: .profile(p, override: LoadOverride(), given: []), threads: 2))
        XCTAssertEqual(plan.runSetup?.targets.map(\.name), ["login"])
        XCTAssertEqual(plan.runSetup?.captures, ["token"])
        // The plan records the setup's steps (so the fingerprint tells plans with another setup apart) and the run's
        // plan block names them.
        let record = PlanRecord(plan)
        XCTAssertEqual(record.setup?.map(\.name), ["login"])
        XCTAssertEqual(record.setup?.first?.url, "http://127.0.0.1:8080/api/login")
        XCTAssertTrue(PlanBlock.lines(record, version: "test").contains("  setup        login (1 step, once before the load)"),
                      PlanBlock.lines(record, version: "test").joined(separator: "\n"))
        var other = p
        other.setup = nil
        let without = try PlanBuilder.build(PlanInputs(source: .profile(other, override: LoadOverride(), given: []), threads: 2))
        XCTAssertNil(PlanRecord(without).setup)
        XCTAssertNotEqual(PlanRecord(without).fingerprint, record.fingerprint)
        let setupPlan = try XCTUnwrap(plan.runSetup).plan(for: plan)
        XCTAssertEqual(setupPlan.concurrency, 1)
        XCTAssertEqual(setupPlan.iterationLimit, 1)
        XCTAssertEqual(plan.withRunValues(["token": .bytes([0x41])]).lanes.map { $0.plan.workload.flow?.initialValues ?? [] },
                       [[.bytes([0x41])], [.bytes([0x41])]])
    }

    func testAProfileWithoutSetupHasNone() throws {
        let p = try parse("""
        scenarios:
          browse:
            load: { model: closed, stages: [ { duration: 1s, concurrency: 1 } ] }
            flow:
              - { name: items, url: "${BASE_URL}/api/items/${token}" }
        """)
        XCTAssertNil(p.setup)
        XCTAssertEqual(p.scenarios[0].flow.runCaptures, [])
        // Without a setup capture of that name, `token` comes from the environment as before.
        XCTAssertEqual(p.scenarios[0].flow.requestSteps[0].urlText, "http://127.0.0.1:8080/api/items/from-env")
        let plan = try PlanBuilder.build(PlanInputs(source: .profile(p, override: LoadOverride(), given: []), threads: 1))
        XCTAssertNil(plan.runSetup)
        XCTAssertNil(PlanRecord(plan).setup)
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(PlanRecord(plan)), as: UTF8.self).contains("setup"))
    }

    func testBadInput() {
        // A data column in the setup: no VU has drawn a row yet.
        XCTAssertEqual(failure(profile(setup: "  - { name: login, url: \"${BASE_URL}/login/${users.name}\" }")),
                       "shop.yaml:5: setup[0].url: 'users.name': data set columns cannot be used in the run's setup (it runs once, before any VU draws a row)")
        // A scenario capture with a setup capture's name.
        XCTAssertEqual(failure(profile(setup: login, flow: "      - { name: again, url: \"${BASE_URL}/\", capture: { token: { json: $.t } } }")),
                       "shop.yaml:16: scenarios.browse.flow[0].capture.token: capture 'token' is already captured by the run's setup (setup:); its value is every VU's, so give this one another name")
        // An unknown name in a scenario: the setup's captures are among the suggestions.
        XCTAssertEqual(failure(profile(setup: login, flow: "      - { name: items, url: \"${BASE_URL}/${tokn}\" }")),
                       "shop.yaml:16: scenarios.browse.flow[0].url: unknown variable 'tokn' (did you mean 'token'?)")
        // And in the setup itself.
        XCTAssertEqual(failure(profile(setup: "  - { name: login, url: \"${BASE_URLL}/login\" }")),
                       "shop.yaml:5: setup[0].url: unknown variable 'BASE_URLL' (did you mean 'BASE_URL'?)")
        // Loops and groups are not for the setup.
        XCTAssertEqual(failure(profile(setup: "  - { name: login, url: \"${BASE_URL}/\", repeat: 2 }")),
                       "shop.yaml:5: setup[0].repeat: repeat is not available in the run's setup (its steps run once each, in order)")
        XCTAssertEqual(failure(profile(setup: "  - { group: g, steps: [ { url: \"${BASE_URL}/\" } ] }")),
                       "shop.yaml:5: setup[0].group: group is not available in the run's setup (its steps run once each, in order)")
        XCTAssertTrue(failure(profile(setup: "  - think: 1s")).hasSuffix("setup: has no request step (a flow needs at least one step with a url)"),
                      failure(profile(setup: "  - think: 1s")))
        XCTAssertTrue(failure(profile(setup: "  {}")).hasSuffix("setup: expected a list of steps"), failure(profile(setup: "  {}")))
        // Only with scenarios.
        XCTAssertEqual(failure("""
        setup:
          - { url: "http://h/" }
        targets: [ { url: "http://h/" } ]
        load: { model: closed, stages: [ { duration: 1s, concurrency: 1 } ] }
        """), "shop.yaml:1: setup: the run's setup is for profiles with scenarios: (their steps read what it captures)")
    }
}
