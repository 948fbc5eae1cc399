import XCTest
import BarrageCore
import BarrageTestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `barrage scale` and `barrage demo` as a user runs them.
final class ScaleAndDemoTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws { tmp = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    private func isWellFormedXML(_ url: URL) -> Bool {
        guard let parser = XMLParser(contentsOf: url) else { return false }
        return parser.parse()
    }

    func testDemoReproducesTheTenfoldSpeedupWithExactBytes() throws {
        let out = try BarrageBinary.run(["demo", "--out", tmp.path, "--no-scale"], timeout: 90)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("sequential 10 × 10 MB:"), out.stdout)
        let data = try Data(contentsOf: tmp.appendingPathComponent("downloads.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        // About 10×, but the ratio of two timings is the machine's (a loaded one stretches either half). What makes it
        // ~10× holds on any machine: the concurrent half ran its ten downloads at once, each on its own connection (they
        // overlap: each takes ≥ 1.19 s and all start together; two rounds of five would reuse five), the sequential
        // half one after another on one; and the server's pacing holds every download to ≥ 1.19 s, which
        // concurrent_us shows (a concurrent half without it would end sooner).
        XCTAssertGreaterThan(json["speedup"] as! Double, 1, out.stdout)
        let connections = { (half: String) in ((json[half] as! [String: Any])["connections"] as! [String: Int])["new"] }
        XCTAssertEqual(connections("concurrent"), 10, "ten at once")
        XCTAssertEqual(connections("sequential"), 1, "one after another")
        XCTAssertGreaterThan(json["concurrent_us"] as! Int, 1_150_000, "each download is paced to ~1.19 s, also at once")
        for half in ["sequential", "concurrent"] {
            let r = json[half] as! [String: Any]
            let throughput = r["throughput"] as! [String: Any]
            XCTAssertEqual(throughput["body_bytes_in"] as? Int, 10 * 10_485_760, half)
            XCTAssertEqual((r["requests"] as! [String: Int])["ok"], 10, half)
        }
        let sequentialUs = json["sequential_us"] as! Int
        XCTAssertGreaterThan(sequentialUs, 11_500_000, "ten paced downloads one after another take ~12 s")
        XCTAssertTrue(isWellFormedXML(tmp.appendingPathComponent("downloads.svg")))
    }

    func testScaleSweepWritesTableJSONSVGAndCSV() throws {
        let (server, base) = try BarrageBinary.startServer()
        defer { server.signal(SIGTERM); _ = server.wait(timeout: 5) }
        let json = tmp.appendingPathComponent("scale.json"), svg = tmp.appendingPathComponent("scale.svg"), csv = tmp.appendingPathComponent("scale.csv")
        // A 50 ms delay: the client's and server's own milliseconds per request, which a loaded machine stretches,
        // stay small against it (with 20 ms they could pull the speedup at 8 below 5).
        let out = try BarrageBinary.run(["scale", base + "/delay/50", "--levels", "1,2,4,8", "-d", "500ms",
                                         "--json", json.path, "--svg", svg.path, "--csv", csv.path], timeout: 60)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("speedup"), out.stdout)
        XCTAssertTrue(out.stdout.contains("USL fit"), out.stdout)
        let doc = try JSONSerialization.jsonObject(with: try Data(contentsOf: json)) as! [String: Any]
        XCTAssertEqual(doc["schema"] as? String, "barrage.scale.v1")
        let levels = doc["levels"] as! [[String: Any]]
        XCTAssertEqual(levels.map { $0["concurrency"] as! Int }, [1, 2, 4, 8])
        let speedups = levels.map { $0["speedup"] as! Double }
        XCTAssertEqual(speedups[0], 1)
        // The speedup at 8 is a ratio of two throughputs, which a loaded machine moves (about 7 on an idle one). What
        // makes it: the eight workers' requests were held by the server together, so more than half were in flight on
        // average (each is held ≥ 50 ms, against the client's own fraction of that between two requests).
        XCTAssertGreaterThan(levels[3]["in_flight"] as? Double ?? 0, 4, "8 workers in flight at once")
        XCTAssertGreaterThan(speedups[3], 1, "more workers, more throughput")
        // Warm connections: no level opened more connections than its workers during the measured part.
        for l in levels {
            let setup = l["connection_setup_us"] as! [String: Any]
            XCTAssertEqual(setup["count"] as? Int, l["concurrency"] as? Int)
        }
        XCTAssertNotNil(doc["usl"] as? [String: Any])
        XCTAssertTrue(isWellFormedXML(svg))
        let svgText = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertEqual(svgText.components(separatedBy: "class=\"measured\"").count - 1, 8, "4 points in each of 2 panels")
        XCTAssertEqual(try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").count, 5)
    }

    func testScaleWithNoOkResponseAtAnyLevelMarksThemAndExits1() throws {
        let (server, base) = try BarrageBinary.startServer()
        defer { server.signal(SIGTERM); _ = server.wait(timeout: 5) }
        let json = tmp.appendingPathComponent("dead.json")
        let out = try BarrageBinary.run(["scale", base + "/status/503", "--levels", "1,2", "-n", "6", "--json", json.path, "--quiet"],
                                        timeout: 60)
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertEqual(out.stderr, "barrage: error: no ok response at any level: every response was an error status (503: 6)\n")
        XCTAssertTrue(out.stdout.contains("level 1: no ok response"), out.stdout)
        let doc = try JSONSerialization.jsonObject(with: try Data(contentsOf: json)) as! [String: Any]
        let levels = doc["levels"] as! [[String: Any]]
        XCTAssertEqual(levels.map { $0["no_ok_response"] as? Bool }, [true, true], "every level is marked")
    }

    func testScaleRejectsBadLevels() throws {
        for levels in ["0,1", "1,x", "1,1", ""] {
            let out = try BarrageBinary.run(["scale", "http://127.0.0.1:1/", "--levels", levels], timeout: 20)
            XCTAssertEqual(out.status, 2, levels)
            XCTAssertTrue(out.stderr.contains("--levels"), out.stderr)
        }
    }
}
