import XCTest
@testable import BarrageCore

/// `${NAME:-value}` in profiles: the -e/environment value when NAME is set, else the default written there — in plain
/// fields and in flow templates alike; never for a capture.
final class VariableDefaultTests: XCTestCase {
    private func parse(_ text: String, variables: [String: String] = [:]) throws -> Profile {
        try ProfileLoader.parse(text: text, path: "/nonexistent/defaults.yaml", variables: variables, environment: [:])
    }

    private let plain = """
    name: defaults
    targets:
      - { name: home, url: "${BASE_URL:-http://127.0.0.1:8080}/", headers: { X-Team: "${TEAM:-web}" } }
    load: { model: closed, stages: [ { duration: 1s, concurrency: 1 } ] }
    """

    func testPlainFieldsTakeTheDefaultUnlessTheVariableIsSet() throws {
        let unset = try parse(plain)
        XCTAssertEqual(unset.targets[0].url, "http://127.0.0.1:8080/")
        XCTAssertEqual(unset.targets[0].headers, ["X-Team: web"])
        let set = try parse(plain, variables: ["BASE_URL": "http://127.0.0.1:9999", "TEAM": ""])
        XCTAssertEqual(set.targets[0].url, "http://127.0.0.1:9999/")
        XCTAssertEqual(set.targets[0].headers, ["X-Team: "], "set to empty is set")
    }

    private func flow(_ itemURL: String) -> String {
        """
        name: defaults
        scenarios:
          shop:
            load: { model: closed, stages: [ { duration: 1s, concurrency: 1 } ] }
            flow:
              - { name: login, url: "${BASE_URL:-http://127.0.0.1:8080}/api/login", capture: { token: { json: "$.token" } } }
              - { name: item, url: "\(itemURL)", headers: { Authorization: "Bearer ${token}" } }
        """
    }

    func testFlowTemplatesTakeTheDefaultAndRefuseOneOnACapture() throws {
        let profile = try parse(flow("${BASE_URL:-http://127.0.0.1:8080}/api/items/${ITEM:-7}"))
        let steps = profile.scenarios[0].flow.requestSteps
        XCTAssertEqual(steps.map(\.urlText), ["http://127.0.0.1:8080/api/login", "http://127.0.0.1:8080/api/items/7"])
        let set = try parse(flow("${BASE_URL:-http://127.0.0.1:8080}/api/items/${ITEM:-7}"), variables: ["ITEM": "42"])
        XCTAssertEqual(set.scenarios[0].flow.requestSteps[1].urlText, "http://127.0.0.1:8080/api/items/42")
        do {
            _ = try parse(flow("${BASE_URL:-http://127.0.0.1:8080}/api/items/${token:-x}"))
            XCTFail("a default on a capture loaded")
        } catch let error as BarrageError {
            XCTAssertEqual(error.status, .usage)
            XCTAssertTrue(error.message.contains("'${token:-…}': a default is for an environment value, and 'token' is a capture"), error.message)
        }
    }

    func testABadNameWithADefaultIsOneLine() {
        do {
            _ = try parse(flow("${BASE_URL:-http://127.0.0.1:8080}/x/${9lives:-1}"))
            XCTFail("loaded")
        } catch let error as BarrageError {
            XCTAssertEqual(error.status, .usage)
            XCTAssertTrue(error.message.contains("bad variable name '9lives'"), error.message)
            XCTAssertFalse(error.message.contains("\n"))
        } catch {
            XCTFail("\(error)")
        }
    }
}
