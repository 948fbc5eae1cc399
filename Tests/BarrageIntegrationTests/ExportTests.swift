import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer
#if canImport(FoundationXML)
import FoundationXML
#endif

/// HdrHistogram exports, merge and the HTML report through the built binary.
final class ExportTests: XCTestCase {
    var tmp: URL!
    var server: TargetServer!

    override func setUpWithError() throws {
        tmp = try makeTemporaryDirectory()
        server = try TargetServer.start(host: "127.0.0.1", port: 0)
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
        try? FileManager.default.removeItem(at: tmp)
    }

    private func path(_ name: String) -> String { tmp.appendingPathComponent(name).path }

    private func python(_ script: String, _ args: [String]) throws -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    private func requireHdrh() throws {
        guard try python("import hdrh.histogram", []).status == 0 else {
            throw XCTSkip("the reference decoder (pip install hdrhistogram) is not installed")
        }
    }

    func testHlogPercentilesCSVAndHTMLFromARun() throws {
        let out = try BarrageBinary.run(["run", server.baseURL + "/delay/5", "--rate", "200", "-d", "2s", "--json", path("r.json"),
                                         "--hlog", path("r.hlog"), "--percentiles", path("r.hgrm"), "--percentiles-csv", path("r.csv"),
                                         "--csv", path("t.csv"), "--html", path("r.html")], timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: path("r.json"))))
        XCTAssertTrue(r.latency_us.hdr?.hasPrefix("HISTF") ?? false)
        XCTAssertTrue(r.timeline.allSatisfy { $0.hdr?.hasPrefix("HISTF") ?? false })

        let hlog = try String(contentsOfFile: path("r.hlog"), encoding: .utf8)
        XCTAssertTrue(hlog.hasPrefix("#[Histogram log format version 1.3]\n#[StartTime: "))
        XCTAssertTrue(hlog.contains("\n#[BaseTime: "))
        XCTAssertTrue(hlog.contains("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""))
        let hgrm = try String(contentsOfFile: path("r.hgrm"), encoding: .utf8)
        XCTAssertTrue(hgrm.contains("Value     Percentile TotalCount 1/(1-Percentile)"))
        XCTAssertTrue(hgrm.contains("#[Mean    ="))
        XCTAssertTrue(hgrm.contains("Total count    =          400]"), hgrm)
        XCTAssertTrue(try String(contentsOfFile: path("r.csv"), encoding: .utf8).hasPrefix("\"Value\",\"Percentile\""))
        XCTAssertEqual(try String(contentsOfFile: path("t.csv"), encoding: .utf8).split(separator: "\n").count, r.timeline.count + 1)
        let html = try String(contentsOfFile: path("r.html"), encoding: .utf8)
        XCTAssertFalse(html.contains("<script"))
        XCTAssertTrue(XMLParser(data: Data(html.utf8)).parse(), "the report is well-formed")
        for chart in ["spectrum", "rps", "latency", "inflight", "status", "errors"] {
            XCTAssertTrue(html.contains("data-chart=\"\(chart)\""), chart)
        }

        // The reference implementation reads our interval log and our blobs.
        try requireHdrh()
        let script = """
        import sys, json
        from hdrh.histogram import HdrHistogram
        from hdrh.log import HistogramLogReader
        reader = HistogramLogReader(sys.argv[1], HdrHistogram(1, 3600000000, 3))
        total = 0
        while True:
            h = reader.get_next_interval_histogram()
            if h is None: break
            total += h.get_total_count()
        r = json.load(open(sys.argv[2]))
        h = HdrHistogram.decode(r['latency_us']['hdr'])
        print(total, h.get_total_count(), h.get_min_value(), h.get_max_value())
        """
        let py = try python(script, [path("r.hlog"), path("r.json")])
        XCTAssertEqual(py.status, 0, py.out)
        let fields = py.out.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int64($0) }
        XCTAssertEqual(fields.count, 4, py.out)
        XCTAssertEqual(fields[0], 400, "every request in the interval log")
        XCTAssertEqual(fields[1], 400)
        // The encoding keeps buckets, not exact extremes: min and max agree up to the histogram's resolution.
        let h = try r.latency_us.histogram()!
        XCTAssertTrue(h.valuesAreEquivalent(UInt64(fields[2]), UInt64(r.latency_us.min)))
        XCTAssertTrue(h.valuesAreEquivalent(UInt64(fields[3]), UInt64(r.latency_us.max)))
    }

    func testMergeIsExactAndRefusesOtherPlans() throws {
        for name in ["a", "b"] {
            let out = try BarrageBinary.run(["run", server.baseURL + "/delay/3", "-c", "4", "-n", "300", "--json", path("\(name).json")], timeout: 30)
            XCTAssertEqual(out.status, 0, out.stderr)
        }
        let merge = try BarrageBinary.run(["merge", path("a.json"), path("b.json"), "-o", path("m.json"), "--threshold", "p99 < 10s"], timeout: 30)
        XCTAssertEqual(merge.status, 0, merge.stderr)
        let a = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: path("a.json"))))
        let b = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: path("b.json"))))
        let m = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: path("m.json"))))
        XCTAssertEqual(m.requests.total, 600)
        var sum = try a.latency_us.histogram()!
        sum.add(try b.latency_us.histogram()!)
        XCTAssertEqual(m.latency_us, HistogramSummary(sum), "percentiles come from the merged histogram")
        XCTAssertEqual(m.timeline.reduce(0) { $0 + $1.requests }, 600)
        XCTAssertEqual(m.merged?.runs, 2)
        XCTAssertEqual(m.timeline.map(\.t_s), Array(0..<(a.timeline.count + b.timeline.count)), "one run after the other")
        XCTAssertEqual(m.thresholds.count, 1)

        let other = try BarrageBinary.run(["run", server.baseURL + "/", "-c", "2", "-n", "10", "--json", path("c.json")], timeout: 30)
        XCTAssertEqual(other.status, 0)
        let refused = try BarrageBinary.run(["merge", path("a.json"), path("c.json"), "-o", path("x.json")], timeout: 30)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("plan differs"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("concurrency"), refused.stderr)
        let forced = try BarrageBinary.run(["merge", path("a.json"), path("c.json"), "-o", path("x.json"), "--force"], timeout: 30)
        XCTAssertEqual(forced.status, 0, forced.stderr)

        // A foreign or corrupted histogram is an error line, never a crash.
        var text = try String(contentsOfFile: path("b.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"hdr\" : \"HISTF", with: "\"hdr\" : \"HISTX")
        try text.write(toFile: path("bad.json"), atomically: true, encoding: .utf8)
        let bad = try BarrageBinary.run(["merge", path("a.json"), path("bad.json"), "-o", path("y.json")], timeout: 30)
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("bad.json"), bad.stderr)
    }

    func testMergeRefusesTheSameRunTwiceAndRunIdsComeFromTheEnvironment() throws {
        let out = try BarrageBinary.run(["run", server.baseURL + "/", "-c", "2", "-n", "20", "--json", path("r.json"), "--quiet"], timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: path("r.json"))))
        XCTAssertEqual(r.run_id?.count, 36, "a random UUID")
        try FileManager.default.copyItem(atPath: path("r.json"), toPath: path("copy.json"))
        for inputs in [[path("r.json"), path("r.json")], [path("r.json"), path("copy.json")]] {
            let merge = try BarrageBinary.run(["merge"] + inputs + ["-o", path("m.json"), "--force"], timeout: 30)
            XCTAssertEqual(merge.status, 2, merge.stderr)
            XCTAssertTrue(merge.stderr.contains("\(inputs[0]) and \(inputs[1]) hold the same run"), merge.stderr)
            XCTAssertEqual(merge.stderr.split(separator: "\n").count, 1, merge.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("m.json")))
        }
        let named = try BarrageBinary.run(["run", server.baseURL + "/", "-c", "1", "-n", "5", "--json", path("n.json"), "--quiet"],
                                          timeout: 30, environment: ["BARRAGE_RUN_ID": "ci-1234"])
        XCTAssertEqual(named.status, 0, named.stderr)
        XCTAssertEqual(try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: path("n.json")))).run_id, "ci-1234")
        let before = server.requestsReceived
        let bad = try BarrageBinary.run(["run", server.baseURL + "/", "-c", "1", "-n", "5", "--quiet"], timeout: 30,
                                        environment: ["BARRAGE_RUN_ID": "has space"])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("BARRAGE_RUN_ID"), bad.stderr)
        XCTAssertEqual(server.requestsReceived, before, "nothing sent")
    }

    func testReportCommand() throws {
        let out = try BarrageBinary.run(["run", server.baseURL + "/", "-c", "2", "-n", "50", "--json", path("r.json")], timeout: 30)
        XCTAssertEqual(out.status, 0)
        let report = try BarrageBinary.run(["report", path("r.json"), "--html", path("r.html"), "--hlog", path("r.hlog")], timeout: 30)
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("r.html")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("r.hlog")))
        let none = try BarrageBinary.run(["report", path("r.json")], timeout: 20)
        XCTAssertEqual(none.status, 2)
    }
}

final class RawExportTests: XCTestCase {
    func testRawStreamsEveryRequestOnce() throws {
        let server = try TargetServer.start(host: "127.0.0.1", port: 0)
        defer { try? server.shutdown() }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = dir.appendingPathComponent("r.ndjson").path, json = dir.appendingPathComponent("r.json").path
        // Open model with a pool too small: some requests are dropped, and they have lines too.
        let out = try BarrageBinary.run(["run", server.baseURL + "/delay/50", "--rate", "100", "-d", "1s", "--max-in-flight", "2",
                                         "--max-lateness", "20ms", "--raw", raw, "--json", json, "--quiet"], timeout: 30)
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        let lines = try String(contentsOfFile: raw, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, r.requests.total)
        var dropped = 0, ok = 0
        for line in lines {
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            XCTAssertEqual(Set(obj.keys), ["due", "sent", "done", "target", "status", "bytes", "error"])
            if obj["error"] as? String == "dropped" { dropped += 1; XCTAssertTrue(obj["sent"] is NSNull) }
            if obj["error"] is NSNull { ok += 1 }
        }
        XCTAssertEqual(dropped, r.requests.dropped)
        XCTAssertEqual(ok, r.requests.ok)
        XCTAssertGreaterThan(dropped, 0)
    }
}
