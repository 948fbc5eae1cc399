import XCTest
import BarrageTestSupport

/// `barrage validate` on profiles with scenarios, through the built binary (nothing is sent).
final class ScenarioValidateTests: XCTestCase {
    static let profilesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("profiles")

    func testUserJourneyListsItsStepsCapturesAndDataSets() throws {
        let out = try BarrageBinary.run(["validate", Self.profilesDir.appendingPathComponent("user-journey.yaml").path,
                                         "-e", "BASE_URL=http://127.0.0.1:1"], timeout: 20)
        XCTAssertEqual(out.status, 0, out.stderr)
        let lines = out.stdout.split(separator: "\n").map(String.init)
        for expected in [
            "  target       login: POST http://127.0.0.1:1/api/login · weight 1",
            "  scenario     checkout · closed · 40 iterations · cookies per_iteration",
            "    1 POST login http://127.0.0.1:1/api/login → token (json $.token)",
            "    2 think uniform 10.0ms–50.0ms",
            "    3 GET items http://127.0.0.1:1/api/items → item (json $.items[*].id, pick random)",
            "    4 GET item http://127.0.0.1:1/api/items/${item}",
            "    6 POST cart http://127.0.0.1:1/api/cart → cart (header Location, regex /api/cart/(\\d+)) · group buy",
            "    7 POST pay http://127.0.0.1:1/api/cart/${cart}/pay · group buy",
            "  threshold    target:login p99 < 300ms",
        ] {
            XCTAssertTrue(lines.contains(expected), "missing \(expected) in\n\(out.stdout)")
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("    data users: ") && $0.hasSuffix("data/users.csv · 12 rows · sequential, bind vu · uses name, password") },
                      out.stdout)
    }

    func testATypoIsOneLineAndExit2() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("shop.yaml").path
        try Data("""
        scenarios:
          checkout:
            load: { model: closed, stages: [ { duration: 1s, concurrency: 1 } ] }
            flow:
              - { name: login, url: "${BASE_URL}/api/login", capture: { token: { json: "$.token" } } }
              - { name: item, url: "${BASE_URL}/api/items/1", headers: { Authorization: "Bearer ${tokn}" } }
        """.utf8).write(to: URL(fileURLWithPath: path))
        let out = try BarrageBinary.run(["validate", path, "-e", "BASE_URL=http://127.0.0.1:1"], timeout: 20)
        XCTAssertEqual(out.status, 2)
        XCTAssertEqual(out.stderr.trimmingCharacters(in: .newlines),
                       "barrage: error: \(path):6: scenarios.checkout.flow[1].headers.Authorization: unknown variable 'tokn' (did you mean 'token'?)")
        XCTAssertEqual(out.stdout, "")
    }
}
