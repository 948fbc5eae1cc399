import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer

/// Three segments as three processes against one server, merged exactly.
final class SegmentRunTests: XCTestCase {
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

    /// `runID`: given to every segment through BARRAGE_RUN_ID (each draws its own otherwise).
    private func runSegments(_ args: [String], runID: String? = nil) throws -> [RunResult] {
        let processes = try (1...3).map { i in
            try BarrageBinary.start(["run", server.baseURL + "/"] + args + ["--segment", "\(i)/3", "--start-at", "+1s",
                                                                            "--json", path("part-\(i).json"), "--quiet"],
                                    environment: runID.map { ["BARRAGE_RUN_ID": $0] } ?? [:])
        }
        for p in processes {
            let out = p.wait(timeout: 60)
            XCTAssertEqual(out.status, 0, out.stderr)
        }
        return try (1...3).map { try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: path("part-\($0).json")))) }
    }

    func testOpenModelSegmentsSendExactlyThePlan() throws {
        let parts = try runSegments(["--rate", "300", "-d", "2s"], runID: "nightly-42")
        XCTAssertEqual(parts.map(\.requests.total), [200, 200, 200])
        XCTAssertEqual(parts.map(\.run_id), ["nightly-42", "nightly-42", "nightly-42"], "segments of one run share its id")
        XCTAssertEqual(Set(parts.map(\.plan_fingerprint)).count, 1)
        XCTAssertEqual(parts.map { $0.segment?.index }, [1, 2, 3])
        let merge = try BarrageBinary.run(["merge", path("part-1.json"), path("part-2.json"), path("part-3.json"), "-o", path("merged.json"),
                                           "--threshold", "error_rate == 0"], timeout: 30)
        XCTAssertEqual(merge.status, 0, merge.stderr)
        let merged = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: path("merged.json"))))
        XCTAssertEqual(merged.requests.total, 600, "exactly the requests of the plan")
        XCTAssertEqual(server.requestsReceived, 600, "and the server saw exactly that many")
        XCTAssertNil(merged.segment)
        XCTAssertEqual(merged.plan.expected_requests, 600)
        // The merged time is the union of the parts' spans: at least the longest part, and shorter than their sum only
        // where they overlap (one after another it would be the sum). Their start times differ by how long each process
        // took to start, which a busy machine stretches; an absolute bound (it was 3 s) depends on that.
        let partMicros = parts.map(\.duration_us)
        XCTAssertGreaterThanOrEqual(merged.duration_us, partMicros.max() ?? 0)
        XCTAssertLessThan(merged.duration_us, partMicros.reduce(0, +), "the segments ran side by side")
        XCTAssertEqual(merged.run_id, "nightly-42")
        XCTAssertEqual(merged.merged?.clock, .shared)
        XCTAssertEqual(merged.timeline.map(\.t_s), Array(0..<merged.timeline.count), "one clock: second t of each segment is second t")

        let partial = try BarrageBinary.run(["merge", path("part-1.json"), path("part-3.json"), "-o", path("p.json")], timeout: 30)
        XCTAssertEqual(partial.status, 2)
        XCTAssertTrue(partial.stderr.contains("segment 2/3 missing"), partial.stderr)
        let allowed = try BarrageBinary.run(["merge", path("part-1.json"), path("part-3.json"), "-o", path("p.json"), "--allow-partial"], timeout: 30)
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertEqual(try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: path("p.json")))).partial, true)
        let twice = try BarrageBinary.run(["merge", path("part-1.json"), path("part-1.json"), path("part-2.json"), "-o", path("t.json")], timeout: 30)
        XCTAssertEqual(twice.status, 2)
        XCTAssertTrue(twice.stderr.contains("\(path("part-1.json")) and \(path("part-1.json")) hold the same run (run_id nightly-42, segment 1/3)"),
                      twice.stderr)
    }

    func testClosedModelSplitsConcurrencyAndRequests() throws {
        let parts = try runSegments(["-c", "10", "-n", "100"])
        XCTAssertEqual(parts.map(\.requests.total), [34, 33, 33])
        XCTAssertEqual(parts.map(\.connections.new), [4, 3, 3])
        XCTAssertEqual(server.requestsReceived, 100)
    }

    /// With --preconnect, each segment opens its connections first and then waits for the start time, so the
    /// measured runs start together and the connect phase is merged.
    func testPreconnectedSegmentsStartAtTheStartTime() throws {
        // Four seconds for three processes to start and open their connections, even on a busy machine.
        let startMillis = Int64((Date().timeIntervalSince1970 + 4) * 1000)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let at = f.string(from: Date(timeIntervalSince1970: Double(startMillis) / 1000))
        let launchedMillis = Int64(Date().timeIntervalSince1970 * 1000)
        let processes = try (1...3).map { i in
            try BarrageBinary.start(["run", server.baseURL + "/", "-c", "30", "-n", "300", "--preconnect", "--segment", "\(i)/3",
                                     "--start-at", at, "--json", path("pc-\(i).json"), "--quiet"])
        }
        // Nothing of the measured runs is sent before the start time, so what the server sees until then is the three
        // connect phases (one request per connection, 30 in all). Whether they are all in with time to spare depends
        // on how fast this machine started three processes: the timing checks below are made only when they were.
        var phasesDoneAtMillis: Int64? = nil
        while phasesDoneAtMillis == nil && Int64(Date().timeIntervalSince1970 * 1000) < startMillis - 100 {
            if server.requestsReceived >= 30 { phasesDoneAtMillis = Int64(Date().timeIntervalSince1970 * 1000) } else { usleep(10_000) }
        }
        for p in processes {
            let out = p.wait(timeout: 60)
            XCTAssertEqual(out.status, 0, out.stderr)
        }
        let parts = try (1...3).map { try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: path("pc-\($0).json")))) }
        for r in parts {
            XCTAssertGreaterThanOrEqual(r.started_epoch_ms, startMillis, "not before the start time")
            XCTAssertEqual(r.connect_phase?.connections, 10)
            XCTAssertEqual(r.connections.new, 0, "the run opened no connection: the phase had opened them all")
            guard let done = phasesDoneAtMillis else { continue }
            // The connections were open before the start time: the run began at it (a timer's wake-up later).
            XCTAssertLessThan(r.started_epoch_ms, startMillis + 500, "right at it: the connections were already open")
            // A phase that included the wait for the start time would last at least `startMillis - done` (it began
            // before its requests arrived); the phase alone lasts at most `done - launchedMillis` (and the moment its
            // answers take to come back). Told apart only when the second is clearly the shorter.
            if done - launchedMillis + 200 < startMillis - done {
                XCTAssertLessThan(r.connect_phase?.duration_us ?? .max, (startMillis - done) * 1_000, "the phase, not the wait for the start time")
            }
        }
        if phasesDoneAtMillis == nil {
            print("SegmentRunTests: the connect phases ended less than 100 ms before the start time on this machine; start-time checks skipped")
        }
        XCTAssertEqual(server.requestsReceived, 330, "300 planned + one per connection")
        let merge = try BarrageBinary.run(["merge", path("pc-1.json"), path("pc-2.json"), path("pc-3.json"), "-o", path("pc.json")], timeout: 30)
        XCTAssertEqual(merge.status, 0, merge.stderr)
        let merged = try RunResult.decode(try Data(contentsOf: URL(fileURLWithPath: path("pc.json"))))
        XCTAssertEqual(merged.requests.total, 300)
        XCTAssertEqual(merged.connect_phase?.connections, 30)
    }

    func testSegmentsFlagReadsTheJobIndex() throws {
        let out = try BarrageBinary.run(["run", server.baseURL + "/", "-n", "1", "--segments", "3"], timeout: 20)
        XCTAssertEqual(out.status, 2, "JOB_COMPLETION_INDEX is not set here")
        XCTAssertTrue(out.stderr.contains("JOB_COMPLETION_INDEX"), out.stderr)
        let bad = try BarrageBinary.run(["run", server.baseURL + "/", "-n", "1", "--segment", "4/3"], timeout: 20)
        XCTAssertEqual(bad.status, 2)
        let badStart = try BarrageBinary.run(["run", server.baseURL + "/", "-n", "1", "--start-at", "tomorrow"], timeout: 20)
        XCTAssertEqual(badStart.status, 2)
    }
}
