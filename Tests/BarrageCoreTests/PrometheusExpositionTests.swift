import XCTest
@testable import BarrageCore
import BarragePlanFixtures

final class PrometheusExpositionTests: XCTestCase {
    /// One parsed sample line: `name{labels} value`.
    private struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    private struct Exposition {
        var samples: [Sample] = []
        var help: [String: String] = [:]
        var types: [String: String] = [:]

        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { $0.name == name && $0.labels == labels }?.value
        }

        func all(_ name: String) -> [Sample] { samples.filter { $0.name == name } }
    }

    private enum ParseError: Error, CustomStringConvertible {
        case bad(String, line: String)
        var description: String {
            switch self { case let .bad(why, line): "\(why): \(line)" }
        }
    }

    // MARK: A small parser of the text format 0.0.4

    private func isNameStart(_ c: Character) -> Bool { c == "_" || c == ":" || (c.isASCII && c.isLetter) }
    private func isNameChar(_ c: Character) -> Bool { isNameStart(c) || (c.isASCII && c.isNumber) }

    private func validName(_ s: String) -> Bool {
        guard let first = s.first, isNameStart(first) else { return false }
        return s.allSatisfy(isNameChar)
    }

    private func validLabelName(_ s: String) -> Bool {
        guard let first = s.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return s.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    private func parseValue(_ text: Substring, line: String) throws -> Double {
        switch text {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard let v = Double(text) else { throw ParseError.bad("bad value", line: line) }
            return v
        }
    }

    private func parse(_ text: String) throws -> Exposition {
        guard text.hasSuffix("\n") else { throw ParseError.bad("no final line feed", line: "") }
        var out = Exposition()
        for raw in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let rest = line.dropFirst(7)
                guard let space = rest.firstIndex(of: " ") else { throw ParseError.bad("comment without text", line: line) }
                let name = String(rest[..<space])
                guard validName(name) else { throw ParseError.bad("bad metric name", line: line) }
                let body = String(rest[rest.index(after: space)...])
                if line.hasPrefix("# HELP ") {
                    guard out.help[name] == nil else { throw ParseError.bad("second HELP", line: line) }
                    out.help[name] = body
                } else {
                    guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(body) else {
                        throw ParseError.bad("bad type", line: line)
                    }
                    guard out.types[name] == nil else { throw ParseError.bad("second TYPE", line: line) }
                    guard !out.samples.contains(where: { $0.name == name || $0.name.hasPrefix(name + "_") && body == "histogram" }) else {
                        throw ParseError.bad("TYPE after its samples", line: line)
                    }
                    out.types[name] = body
                }
                continue
            }
            guard !line.isEmpty, !line.hasPrefix("#") else { throw ParseError.bad("unexpected line", line: line) }
            var i = line.startIndex
            while i < line.endIndex && isNameChar(line[i]) { i = line.index(after: i) }
            let name = String(line[..<i])
            guard validName(name) else { throw ParseError.bad("bad metric name", line: line) }
            var labels: [String: String] = [:]
            if i < line.endIndex && line[i] == "{" {
                i = line.index(after: i)
                while line[i] != "}" {
                    let nameStart = i
                    while line[i] != "=" { i = line.index(after: i) }
                    let labelName = String(line[nameStart..<i])
                    guard validLabelName(labelName) else { throw ParseError.bad("bad label name", line: line) }
                    i = line.index(after: i)
                    guard line[i] == "\"" else { throw ParseError.bad("unquoted label value", line: line) }
                    i = line.index(after: i)
                    var value = ""
                    while line[i] != "\"" {
                        if line[i] == "\\" {
                            i = line.index(after: i)
                            switch line[i] {
                            case "\\": value.append("\\")
                            case "\"": value.append("\"")
                            case "n": value.append("\n")
                            default: throw ParseError.bad("bad escape", line: line)
                            }
                        } else {
                            value.append(line[i])
                        }
                        i = line.index(after: i)
                    }
                    i = line.index(after: i)
                    guard labels[labelName] == nil else { throw ParseError.bad("repeated label", line: line) }
                    labels[labelName] = value
                    if line[i] == "," { i = line.index(after: i) }
                }
                i = line.index(after: i)
            }
            guard i < line.endIndex, line[i] == " " else { throw ParseError.bad("no space before the value", line: line) }
            let fields = line[line.index(after: i)...].split(separator: " ")
            guard fields.count == 1 else { throw ParseError.bad("expected one value and no timestamp", line: line) }
            out.samples.append(Sample(name: name, labels: labels, value: try parseValue(fields[0], line: line)))
        }
        return out
    }

    // MARK: Fixtures

    private func plan(name: String? = nil) -> PlanRecord {
        let schedule = OpenSchedule(startRate: 10, stages: [RateStage(durationMicros: 10_000_000, rate: 100)])
        var p = RunPlan.open(schedule: schedule, maxInFlight: 16, maxLatenessMicros: 1_000_000, requestLimit: nil,
                             targets: [RequestTarget(url: "http://127.0.0.1:1/")], timeoutMicros: 5_000_000,
                             connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        p.name = name
        return PlanRecord(p)
    }

    /// Latencies spread over every bucket, a few failures with and without a response, and drops.
    private func recorder() -> Recorder {
        var r = Recorder()
        let latencies: [Int64] = [100, 499, 500, 501, 999, 1_000, 2_000, 2_500, 4_000, 9_000, 20_000, 40_000, 90_000,
                                  200_000, 400_000, 900_000, 2_000_000, 4_000_000, 9_000_000, 30_000_000]
        for (i, l) in latencies.enumerated() {
            // Service time is half the latency: the request waited as long to be sent as it took.
            r.record(RequestOutcome(dueMicros: 0, sentMicros: l / 2, doneMicros: l, status: i % 5 == 0 ? 503 : 200,
                                    error: i % 5 == 0 ? .status : nil, complete: true, bytesIn: 300, bytesOut: 80))
        }
        r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 5_000_000, status: 0, error: .timeout, complete: false))
        r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 10, status: 0, error: .connect, complete: false))
        r.recordDropped()
        r.recordDropped()
        return r
    }

    private func render(_ r: Recorder, name: String? = nil) throws -> Exposition {
        let text = PrometheusExposition.render(r, inFlight: 7, plan: plan(name: name), elapsedMicros: 12_500_000, version: "0.1.0")
        return try parse(text)
    }

    // MARK: Tests

    func testEverySampleParsesAndEveryFamilyIsTyped() throws {
        let e = try render(recorder())
        XCTAssertFalse(e.samples.isEmpty)
        for s in e.samples {
            XCTAssertTrue(validName(s.name), s.name)
            let family = ["_bucket", "_sum", "_count"].reduce(s.name) { n, suffix in
                e.types[n] == nil && n.hasSuffix(suffix) ? String(n.dropLast(suffix.count)) : n
            }
            XCTAssertNotNil(e.types[family], "no TYPE for \(s.name)")
            XCTAssertNotNil(e.help[family], "no HELP for \(s.name)")
        }
        XCTAssertEqual(e.types["barrage_requests_total"], "counter")
        XCTAssertEqual(e.types["barrage_in_flight"], "gauge")
        XCTAssertEqual(e.types["barrage_latency_seconds"], "histogram")
        XCTAssertEqual(e.types["barrage_service_time_seconds"], "histogram")
    }

    func testCountersEqualTheRecorder() throws {
        let r = recorder()
        let e = try render(r)
        XCTAssertEqual(e.value("barrage_requests_total", ["result": "ok"]), Double(r.ok))
        XCTAssertEqual(e.value("barrage_requests_total", ["result": "failed"]), Double(r.failed))
        XCTAssertEqual(e.value("barrage_requests_total", ["result": "dropped"]), Double(r.dropped))
        XCTAssertEqual(e.value("barrage_dropped_total"), 2)
        XCTAssertEqual(e.value("barrage_in_flight"), 7)
        XCTAssertEqual(e.value("barrage_bytes_received_total"), Double(r.bytesIn))
        XCTAssertEqual(e.value("barrage_bytes_sent_total"), Double(r.bytesOut))
        XCTAssertEqual(e.value("barrage_clamped_samples_total"), 0)
        XCTAssertEqual(e.value("barrage_elapsed_seconds"), 12.5)
        XCTAssertEqual(e.value("barrage_info", ["model": "open", "version": "0.1.0"]), 1)

        var statuses: [String: Int] = [:]
        for s in e.all("barrage_responses_total") { statuses[s.labels["status"]!] = Int(s.value) }
        XCTAssertEqual(statuses, r.statusCounts)

        let errors = e.all("barrage_errors_total")
        XCTAssertEqual(Set(errors.compactMap { $0.labels["class"] }), Set(ErrorClass.allCases.map(\.rawValue)))
        for c in ErrorClass.allCases {
            XCTAssertEqual(e.value("barrage_errors_total", ["class": c.rawValue]), Double(r.errors[c.index]), c.rawValue)
        }
        XCTAssertEqual(e.value("barrage_errors_total", ["class": "timeout"]), 1)
        XCTAssertEqual(e.value("barrage_errors_total", ["class": "tls"]), 0)
    }

    func testHistogramsAreCumulativeAndMatchTheCompleteResponses() throws {
        let r = recorder()
        let e = try render(r)
        let complete = 20
        for (family, h) in [("barrage_latency_seconds", r.latency), ("barrage_service_time_seconds", r.serviceTime)] {
            let buckets = e.all(family + "_bucket")
            XCTAssertEqual(buckets.map { $0.labels["le"]! },
                           ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"])
            var previous = -1.0
            var previousBound = -Double.infinity
            for b in buckets {
                let bound = b.labels["le"] == "+Inf" ? Double.infinity : Double(b.labels["le"]!)!
                XCTAssertGreaterThan(bound, previousBound, "bounds increase")
                XCTAssertGreaterThanOrEqual(b.value, previous, "\(family) le=\(b.labels["le"]!)")
                previous = b.value
                previousBound = bound
            }
            XCTAssertEqual(e.value(family + "_bucket", ["le": "+Inf"]), Double(complete))
            XCTAssertEqual(e.value(family + "_count"), Double(complete))
            XCTAssertEqual(Double(h.totalCount), Double(complete))
            let sum = try XCTUnwrap(e.value(family + "_sum"))
            XCTAssertEqual(sum, h.mean * Double(complete) / 1_000_000, accuracy: 1e-9)
        }
        // Latency bounds below 2.048 ms are exact: 100, 499 and 500 µs at or under 0.5 ms; 501 … 1000 µs by 1 ms.
        XCTAssertEqual(e.value("barrage_latency_seconds_bucket", ["le": "0.0005"]), 3)
        XCTAssertEqual(e.value("barrage_latency_seconds_bucket", ["le": "0.001"]), 6)
        XCTAssertEqual(e.value("barrage_latency_seconds_bucket", ["le": "0.0025"]), 8)
        XCTAssertEqual(e.value("barrage_latency_seconds_bucket", ["le": "10"]), 19, "30 s is only in +Inf")
        // The sum is in seconds: about 46.7 s of latency in total.
        XCTAssertEqual(try XCTUnwrap(e.value("barrage_latency_seconds_sum")), 46.671, accuracy: 0.05)
    }

    func testAFlowsIterationsAreCountersAndAHistogramLabelledWithItsScenario() throws {
        var it = IterationRecorder()
        for d: Int64 in [800, 3_000, 40_000, 2_000_000] { it.record(.completed, durationMicros: d, thinkMicros: 0) }
        it.record(.failed, durationMicros: 20_000, thinkMicros: 0)
        it.record(.interrupted, durationMicros: 0, thinkMicros: 0)
        it.recordDropped()
        var p = plan()
        p.scenario = "checkout"
        let e = try parse(PrometheusExposition.render(Recorder(), inFlight: 0, plan: p, elapsedMicros: 1_000_000, iterations: it))
        XCTAssertEqual(e.types["barrage_iterations_total"], "counter")
        XCTAssertEqual(e.types["barrage_iteration_duration_seconds"], "histogram")
        for (result, n) in [("completed", 4), ("failed", 1), ("interrupted", 1), ("dropped", 1)] {
            XCTAssertEqual(e.value("barrage_iterations_total", ["scenario": "checkout", "result": result]), Double(n), result)
        }
        XCTAssertEqual(e.value("barrage_iteration_duration_seconds_count", ["scenario": "checkout"]), 5, "finished iterations")
        XCTAssertEqual(e.value("barrage_iteration_duration_seconds_bucket", ["scenario": "checkout", "le": "0.001"]), 1)
        XCTAssertEqual(e.value("barrage_iteration_duration_seconds_bucket", ["scenario": "checkout", "le": "+Inf"]), 5)
        XCTAssertNil(try render(recorder()).types["barrage_iterations_total"], "plain targets have no iteration series")
    }

    func testAnEmptyRunHasEverySeriesAtZero() throws {
        let e = try parse(PrometheusExposition.render(Recorder(), inFlight: 0, plan: plan(), elapsedMicros: 0))
        XCTAssertEqual(e.all("barrage_errors_total").count, ErrorClass.allCases.count)
        XCTAssertTrue(e.all("barrage_errors_total").allSatisfy { $0.value == 0 })
        XCTAssertEqual(e.all("barrage_requests_total").count, 3)
        XCTAssertEqual(e.all("barrage_latency_seconds_bucket").count, 15)
        XCTAssertTrue(e.all("barrage_latency_seconds_bucket").allSatisfy { $0.value == 0 })
        XCTAssertEqual(e.value("barrage_latency_seconds_sum"), 0)
        XCTAssertEqual(e.value("barrage_latency_seconds_count"), 0)
        XCTAssertTrue(e.all("barrage_responses_total").isEmpty)
        XCTAssertNotNil(e.types["barrage_responses_total"], "the family is declared even before any response")
        XCTAssertEqual(e.value("barrage_info", ["model": "open", "version": "unknown"]), 1)
    }

    func testClampedSamplesAreCountedAndStayInTheHistogram() throws {
        var r = Recorder()
        r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 5 * 3_600_000_000, status: 200, error: nil, complete: true))
        let e = try render(r)
        XCTAssertEqual(e.value("barrage_clamped_samples_total"), 2, "latency and service time")
        XCTAssertEqual(e.value("barrage_latency_seconds_bucket", ["le": "10"]), 0)
        XCTAssertEqual(e.value("barrage_latency_seconds_bucket", ["le": "+Inf"]), 1)
    }

    func testLabelValuesAreEscaped() throws {
        XCTAssertEqual(PrometheusExposition.escapeLabelValue(#"a\b"c"# + "\nd"), #"a\\b\"c\nd"#)
        XCTAssertEqual(PrometheusExposition.escapeLabelValue("plain µ"), "plain µ")
        let name = "say \"hi\"\\\nnow"
        let text = PrometheusExposition.render(Recorder(), inFlight: 0, plan: plan(name: name), elapsedMicros: 0, version: "0.1.0")
        XCTAssertTrue(text.contains(#"name="say \"hi\"\\\nnow""#), text)
        let e = try parse(text)
        XCTAssertEqual(e.value("barrage_info", ["model": "open", "version": "0.1.0", "name": name]), 1)
    }

    func testNumbers() {
        XCTAssertEqual(PrometheusExposition.number(0), "0")
        XCTAssertEqual(PrometheusExposition.number(12), "12")
        XCTAssertEqual(PrometheusExposition.number(12.5), "12.5")
        XCTAssertEqual(PrometheusExposition.number(.infinity), "+Inf")
        XCTAssertEqual(PrometheusExposition.number(-.infinity), "-Inf")
        XCTAssertEqual(PrometheusExposition.number(.nan), "NaN")
        XCTAssertEqual(Double(PrometheusExposition.number(0.000_012)), 0.000_012)
    }

    func testTheParserRejectsMalformedText() {
        XCTAssertThrowsError(try parse("barrage_x 1"), "no final line feed")
        XCTAssertThrowsError(try parse("9bad 1\n"))
        XCTAssertThrowsError(try parse("barrage_x{a=b} 1\n"))
        XCTAssertThrowsError(try parse("barrage_x{a=\"\\q\"} 1\n"))
        XCTAssertThrowsError(try parse("barrage_x one\n"))
        XCTAssertNoThrow(try parse("# HELP barrage_x A thing.\n# TYPE barrage_x gauge\nbarrage_x{a=\"1\",b=\"\\\"\"} 1.5\n"))
    }

    // MARK: WebSocket messages

    func testAWebSocketRunAddsItsMessages() throws {
        let m = MessageThresholdTests.recorder(latencies: [300, 1_500, 4_000, 40_000, 700_000], lateMicros: 100,
                                               failed: [.answer_timeout, .answer_timeout, .closed_by_peer], dropped: 4)
        let text = PrometheusExposition.render(recorder(), inFlight: 2, plan: plan(), elapsedMicros: 1_000_000, version: "0.1.0",
                                               messages: m, connectionsOpen: 9)
        let e = try parse(text)
        XCTAssertEqual(e.types["barrage_messages_total"], "counter")
        XCTAssertEqual(e.types["barrage_message_errors_total"], "counter")
        XCTAssertEqual(e.types["barrage_message_latency_seconds"], "histogram")
        XCTAssertEqual(e.types["barrage_message_service_time_seconds"], "histogram")
        XCTAssertEqual(e.types["barrage_connections_open"], "gauge")
        XCTAssertEqual(e.value("barrage_messages_total", ["result": "answered"]), 5)
        XCTAssertEqual(e.value("barrage_messages_total", ["result": "failed"]), 3)
        XCTAssertEqual(e.value("barrage_messages_total", ["result": "dropped"]), 4)
        var classes: [String: Double] = [:]
        for s in e.all("barrage_message_errors_total") { classes[s.labels["class"]!] = s.value }
        XCTAssertEqual(Set(classes.keys), Set(MessageError.allCases.map(\.rawValue)), "every class from the first scrape")
        XCTAssertEqual(classes["answer_timeout"], 2)
        XCTAssertEqual(classes["closed_by_peer"], 1)
        XCTAssertEqual(classes["send"], 0)
        XCTAssertEqual(e.value("barrage_message_latency_seconds_count"), 5)
        XCTAssertEqual(e.value("barrage_message_latency_seconds_bucket", ["le": "0.0005"]), 1)
        XCTAssertEqual(e.value("barrage_message_latency_seconds_bucket", ["le": "0.005"]), 3)
        XCTAssertEqual(e.value("barrage_message_latency_seconds_bucket", ["le": "0.5"]), 4)
        XCTAssertEqual(e.value("barrage_message_latency_seconds_bucket", ["le": "+Inf"]), 5)
        XCTAssertEqual(e.value("barrage_message_service_time_seconds_count"), 5)
        XCTAssertEqual(e.value("barrage_connections_open"), 9)
        // The request families stay as they were: the handshakes.
        XCTAssertEqual(e.value("barrage_requests_total", ["result": "ok"]), Double(recorder().ok))
        // From the first scrape of a WebSocket run, with nothing yet: zeros, not absent series.
        let empty = try parse(PrometheusExposition.render(Recorder(), inFlight: 0, plan: plan(), elapsedMicros: 0, messages: MessageRecorder()))
        XCTAssertEqual(empty.value("barrage_messages_total", ["result": "answered"]), 0)
        XCTAssertEqual(empty.value("barrage_message_latency_seconds_bucket", ["le": "+Inf"]), 0)
        XCTAssertEqual(empty.all("barrage_message_errors_total").count, MessageError.count)
        // An HTTP run has none of them.
        XCTAssertFalse(PrometheusExposition.render(recorder(), inFlight: 0, plan: plan(), elapsedMicros: 0).contains("message"))
    }
}
