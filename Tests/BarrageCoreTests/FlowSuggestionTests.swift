import XCTest
@testable import BarrageCore

final class FlowSuggestionTests: XCTestCase {
    func testDistanceTable() {
        let table: [(String, String, Int)] = [
            ("", "", 0), ("", "abc", 3), ("abc", "", 3), ("token", "token", 0), ("tokn", "token", 1),
            ("toekn", "token", 1), ("kitten", "sitting", 3), ("Token", "token", 1), ("ab", "ba", 1),
            ("users.nmae", "users.name", 1), ("ünï", "uni", 2),
        ]
        for (a, b, d) in table {
            XCTAssertEqual(Suggestion.distance(a, b), d, "\(a) / \(b)")
            XCTAssertEqual(Suggestion.distance(b, a), d, "\(b) / \(a)")
        }
    }

    func testClosestTable() {
        let known = ["token", "cart", "users.name", "users.password", "BASE_URL", "vu", "iteration"]
        let table: [(String, String?)] = [
            ("tokn", "token"),
            ("toekn", "token"),
            ("Token", "token"),
            ("tokens", "token"),
            ("crat", "cart"),
            ("users.nmae", "users.name"),
            ("users.passwrd", "users.password"),
            ("BASEURL", "BASE_URL"),
            ("base_url", nil),  // 7 substitutions: too far
            ("id", nil),  // two edits from `vu`, but that is every character
            ("itteration", "iteration"),
            ("iterationsss", "iteration"),  // 3 edits, a third of 12 letters
            ("xyz", nil),
            ("", nil),
        ]
        for (name, want) in table {
            XCTAssertEqual(Suggestion.closest(to: name, among: known), want, name)
        }
    }

    func testTiesGoToTheEarlierCandidate() {
        XCTAssertEqual(Suggestion.closest(to: "cat", among: ["car", "cab", "bat"]), "car")
        XCTAssertEqual(Suggestion.closest(to: "cat", among: ["bat", "car"]), "bat")
        XCTAssertEqual(Suggestion.closest(to: "cat", among: ["cart", "ca"]), "cart")
        XCTAssertEqual(Suggestion.closest(to: "cat", among: ["cast", "cat"]), "cat", "an exact match is closest")
        XCTAssertNil(Suggestion.closest(to: "cat", among: []))
    }
}
