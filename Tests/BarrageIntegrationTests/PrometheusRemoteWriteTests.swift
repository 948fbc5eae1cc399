import XCTest
import BarrageCore
import BarrageTestSupport
import BarrageTargetServer

/// `--prometheus-rw` against a real Prometheus (Debian's `prometheus`, started here on a loopback port with its
/// remote-write receiver and storage in a temporary directory): what its query API returns after a run equals the
/// result JSON. Skipped with a line where Prometheus cannot be had (`.ci/run` unpacks Debian's package).
final class PrometheusRemoteWriteTests: XCTestCase {
    /// Debian's package installed, or unpacked by `.ci/run` into `.build-tools/` (or `PROMETHEUS_BIN`).
    static let binary: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates: [String?] = [ProcessInfo.processInfo.environment["PROMETHEUS_BIN"], "/usr/bin/prometheus",
                                     root.appendingPathComponent(".build-tools/prometheus/usr/bin/prometheus").path]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
    var tmp: URL!
    var prometheus: Process?
    var port = 0
    var server: TargetServer!

    override func setUpWithError() throws {
        guard Self.binary != nil else {
            print("PrometheusRemoteWriteTests: skipped: no prometheus (apt-get install prometheus, or run .ci/run)")
            throw XCTSkip("prometheus is not installed")
        }
        tmp = try makeTemporaryDirectory()
        server = try TargetServer.start(host: "127.0.0.1", port: 0)
    }

    /// Starts Prometheus with its remote-write receiver, scraping `scrape` (HOST:PORT) every second when given.
    private func startPrometheus(scrape: String? = nil) throws {
        var config = "global:\n  scrape_interval: 15s\n"
        if let scrape {
            config += "scrape_configs:\n  - job_name: barrage\n    scrape_interval: 1s\n    static_configs:\n      - targets: [\"\(scrape)\"]\n"
        }
        try config.write(to: tmp.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        // A port free a moment ago; Prometheus exits at once when it is taken meanwhile, and then another is tried.
        let peer = try LoopbackPeer.start("prometheus", readySeconds: 30,
                                          ready: { (try? httpGet("http://127.0.0.1:\($0)/-/ready", timeout: 2))?.status == 200 }) { port in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.binary!)
            p.arguments = ["--config.file=" + tmp.appendingPathComponent("prometheus.yml").path,
                           "--storage.tsdb.path=" + tmp.appendingPathComponent("data-\(port)").path,
                           "--web.listen-address=127.0.0.1:\(port)", "--web.enable-remote-write-receiver"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            return p
        }
        prometheus = peer.process
        port = peer.port
    }

    /// Starts Prometheus scraping a free loopback port, then `run(port)`: a Barrage run serving `--metrics-addr` there.
    /// When the port was taken before the run could listen ("cannot listen"), both start again on another port
    /// (3 attempts, a line for each retry).
    private func runScraped(_ run: (Int) throws -> BarrageBinary.Outcome) throws -> BarrageBinary.Outcome {
        for attempt in 1...3 {
            let metricsPort = try LoopbackPeer.probePort(.tcp)
            try startPrometheus(scrape: "127.0.0.1:\(metricsPort)")
            let out = try run(metricsPort)
            guard attempt < 3, out.status == 1, out.stderr.contains("cannot listen") else { return out }
            print("PrometheusRemoteWriteTests: --metrics-addr port \(metricsPort) was taken; retrying on another port (attempt \(attempt + 1) of 3)")
            if let p = prometheus, p.isRunning { p.terminate(); p.waitUntilExit() }
        }
        fatalError("unreachable: the last attempt returns")
    }

    override func tearDownWithError() throws {
        if let p = prometheus, p.isRunning { p.terminate(); p.waitUntilExit() }
        try? server?.shutdown()
        if let tmp { try? FileManager.default.removeItem(at: tmp) }
    }

    /// One instant query's samples: labels → value.
    private func query(_ promQL: String) throws -> [(labels: [String: String], value: Double)] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let q = promQL.addingPercentEncoding(withAllowedCharacters: allowed)!
        let (status, body) = try httpGet("http://127.0.0.1:\(port)/api/v1/query?query=\(q)", timeout: 10)
        XCTAssertEqual(status, 200, body)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let data = try XCTUnwrap(json["data"] as? [String: Any])
        let result = try XCTUnwrap(data["result"] as? [[String: Any]])
        return result.map { r in
            let value = (r["value"] as? [Any])?.last as? String
            return ((r["metric"] as? [String: String]) ?? [:], Double(value ?? "") ?? .nan)
        }
    }

    private func value(_ promQL: String) throws -> Double {
        let samples = try query(promQL)
        XCTAssertEqual(samples.count, 1, "\(promQL): \(samples)")
        return samples.first?.value ?? .nan
    }

    func testTotalsAndWholeRunPercentilesReachPrometheus() throws {
        try startPrometheus()
        let id = "rw-" + UUID().uuidString.lowercased().prefix(8)
        let out = try BarrageBinary.run(["run", "http://127.0.0.1:\(server.port)/", "--rate", "100", "-d", "2500ms",
                                         "--push-interval", "1s", "--prometheus-rw", "http://127.0.0.1:\(port)/api/v1/write",
                                         "--prometheus-rw-header", "X-Scope-OrgID: barrage-test", "--json", "-", "--quiet"],
                                        timeout: 60, environment: ["BARRAGE_RUN_ID": id])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertFalse(out.stderr.contains("prometheus-rw"), "every push arrived: \(out.stderr)")
        let r = try JSONDecoder().decode(RunResult.self, from: Data(out.stdout.utf8))
        let sel = "run_id=\"\(id)\""
        XCTAssertEqual(try value("barrage_requests_total{\(sel),result=\"ok\"}"), Double(r.requests.ok))
        XCTAssertEqual(try value("barrage_requests_total{\(sel),result=\"failed\"}"), Double(r.requests.failed))
        XCTAssertEqual(try value("barrage_requests_total{\(sel),result=\"dropped\"}"), Double(r.requests.dropped))
        XCTAssertEqual(try value("barrage_responses_total{\(sel),status_class=\"2xx\"}"), Double(r.status_codes["200"] ?? -1))
        XCTAssertEqual(try value("barrage_in_flight{\(sel)}"), 0)
        for (stat, micros) in [("p50", r.latency_us.p50), ("p99", r.latency_us.p99), ("max", r.latency_us.max)] {
            XCTAssertEqual(try value("barrage_run_latency_seconds{\(sel),stat=\"\(stat)\"}"), Double(micros) / 1_000_000,
                           accuracy: 1e-9, stat)
        }
        // Pushes during the run too, not only the last one: at least one interval push came before it.
        let pushes = try value("count_over_time(barrage_requests_total{\(sel),result=\"ok\"}[10m])")
        XCTAssertGreaterThanOrEqual(pushes, 2)
        // Every query of the Grafana dashboard in deploy/grafana parses, and those a plain run feeds return data.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dashboard = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("deploy/grafana/barrage.json"))) as? [String: Any])
        let panels = try XCTUnwrap(dashboard["panels"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(panels.count, 8)
        for panel in panels {
            let title = panel["title"] as? String ?? "?"
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                let expr = try XCTUnwrap(target["expr"] as? String).replacingOccurrences(of: "$run_id", with: id)
                let samples = try query(expr)
                // Per-target, iteration and WebSocket message panels have nothing to show for one plain target
                // (the message panels are run against a WebSocket run in `testAWebSocketRunPushesItsMessages`).
                if !["p99 per target / step", "Iterations per second by scenario"].contains(title) && !title.hasPrefix("WebSocket") {
                    XCTAssertFalse(samples.isEmpty, "\(title): \(expr)")
                }
            }
        }
    }

    func testSeveralScenariosPushEachOnesIterations() throws {
        try startPrometheus()
        let id = "rw-" + UUID().uuidString.lowercased().prefix(8)
        let profile = tmp.appendingPathComponent("two.yaml").path
        try """
        name: rw-two
        scenarios:
          a:
            iterations: 5
            load: { model: closed, stages: [ { duration: 5s, concurrency: 1 } ], start_concurrency: 1 }
            flow:
              - { name: home, url: "http://127.0.0.1:\(server.port)/" }
          b:
            iterations: 3
            load: { model: closed, stages: [ { duration: 5s, concurrency: 1 } ], start_concurrency: 1 }
            flow:
              - { name: one, url: "http://127.0.0.1:\(server.port)/?b=1" }
              - { name: two, url: "http://127.0.0.1:\(server.port)/?b=2" }
        """.write(toFile: profile, atomically: true, encoding: .utf8)
        let out = try BarrageBinary.run(["run", profile, "--prometheus-rw", "http://127.0.0.1:\(port)/api/v1/write",
                                         "--json", "-", "--quiet"], timeout: 60, environment: ["BARRAGE_RUN_ID": id])
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try JSONDecoder().decode(RunResult.self, from: Data(out.stdout.utf8))
        let sel = "run_id=\"\(id)\",profile=\"rw-two\""
        XCTAssertEqual(r.requests.ok, 5 + 3 * 2)
        XCTAssertEqual(try value("barrage_requests_total{\(sel),result=\"ok\"}"), Double(r.requests.ok))
        XCTAssertEqual(try value("barrage_iterations_total{\(sel),scenario=\"a\",result=\"completed\"}"), 5)
        XCTAssertEqual(try value("barrage_iterations_total{\(sel),scenario=\"b\",result=\"completed\"}"), 3)
        XCTAssertEqual(try value("barrage_run_latency_seconds{\(sel),scenario=\"b\",stat=\"p99\"}"),
                       Double(try XCTUnwrap(r.scenarios?["b"]).requests.latency_us.p99) / 1_000_000, accuracy: 1e-9)
        XCTAssertEqual(try value("barrage_run_latency_seconds{\(sel),target=\"two\",stat=\"max\"}"),
                       Double(try XCTUnwrap(r.targets["two"]).latency_us.max) / 1_000_000, accuracy: 1e-9)
    }

    func testAReceiverThatIsDownNeverStopsTheRun() throws {
        // A port with nothing behind it (bound, never listening, so nothing else takes it): every push is refused and retried.
        let (fd, refusing) = try refusingLoopbackPort()
        defer { close(fd) }
        port = refusing
        let out = try BarrageBinary.run(["run", "http://127.0.0.1:\(server.port)/", "-n", "50", "-c", "2",
                                         "--prometheus-rw", "http://127.0.0.1:\(port)/api/v1/write", "--json", "-", "--quiet"],
                                        timeout: 60)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stderr.contains("barrage: --prometheus-rw: 0 of ") && out.stderr.contains(" pushes arrived (last failure: "), out.stderr)
        let r = try JSONDecoder().decode(RunResult.self, from: Data(out.stdout.utf8))
        XCTAssertEqual(r.requests.ok, 50)
    }

    func testPrometheusScrapingTheEndpointSeesTheResultsTotals() throws {
        // The endpoint outlives the run by --metrics-linger, serving the result's numbers, so Prometheus scrapes them.
        let out = try runScraped { metricsPort in
            try BarrageBinary.run(["run", "http://127.0.0.1:\(self.server.port)/", "--rate", "100", "-d", "2s",
                                   "--metrics-addr", "127.0.0.1:\(metricsPort)", "--metrics-linger", "4s", "--json", "-", "--quiet"],
                                  timeout: 60)
        }
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try JSONDecoder().decode(RunResult.self, from: Data(out.stdout.utf8))
        // last_over_time: the endpoint is gone now, and Prometheus has marked its series stale.
        XCTAssertEqual(try value("last_over_time(barrage_requests_total{job=\"barrage\",result=\"ok\"}[5m])"), Double(r.requests.ok))
        XCTAssertEqual(try value("last_over_time(barrage_latency_seconds_count{job=\"barrage\"}[5m])"), Double(r.latency_us.count))
        // histogram_quantile interpolates inside the bucket that holds the 99th percentile: the JSON's p99 is there.
        let q = try value("histogram_quantile(0.99, last_over_time(barrage_latency_seconds_bucket{job=\"barrage\"}[5m]))")
        let bounds = [0.0] + PrometheusExposition.bucketBounds.map { Double($0.micros) / 1_000_000 }
        let p99 = Double(r.latency_us.p99) / 1_000_000
        let i = try XCTUnwrap(bounds.indices.dropFirst().first { p99 <= bounds[$0] * 1.001 }, "p99 \(p99) s above the last bucket")
        XCTAssertTrue(q >= bounds[i - 1] * 0.999 && q <= bounds[i] * 1.001, "quantile \(q) s outside (\(bounds[i - 1]), \(bounds[i])] holding p99 \(p99) s")
    }

    // MARK: WebSocket runs (libcurl 8)

    /// libcurl 8 for a WebSocket run, or a skip with a line.
    private func webSocketEnvironment() throws -> [String: String] {
        guard let env = Libcurl8.environment else {
            print("PrometheusRemoteWriteTests: WebSocket test skipped — \(Libcurl8.skipReason)")
            throw XCTSkip(Libcurl8.skipReason)
        }
        return env
    }

    func testPrometheusScrapingAWebSocketRunSeesItsMessageTotals() throws {
        // The endpoint outlives the run by --metrics-linger, serving the result's messages, so Prometheus scrapes them.
        let env = try webSocketEnvironment()
        let out = try runScraped { metricsPort in
            // This run lasts well under a second: wait until Prometheus scrapes the address (its target list is applied
            // some seconds after the start; `up` is 0 until the endpoint listens), so the linger is what must be long enough.
            let deadline = Date().addingTimeInterval(30)
            while try self.query("up{job=\"barrage\"}").isEmpty && Date() < deadline { usleep(200_000) }
            return try BarrageBinary.run(["run", "ws://127.0.0.1:\(self.server.port)/ws?delay_ms=2", "-c", "4", "-n", "300",
                                          "--metrics-addr", "127.0.0.1:\(metricsPort)", "--metrics-linger", "4s", "--json", "-", "--quiet"],
                                         timeout: 60, environment: env)
        }
        XCTAssertEqual(out.status, 0, out.stderr)
        let r = try JSONDecoder().decode(RunResult.self, from: Data(out.stdout.utf8))
        let m = try XCTUnwrap(r.messages, "a WebSocket result")
        XCTAssertEqual(m.total, 300)
        func last(_ series: String) throws -> Double { try value("last_over_time(\(series)[5m])") }
        XCTAssertEqual(try last("barrage_messages_total{job=\"barrage\",result=\"answered\"}"), Double(m.answered))
        XCTAssertEqual(try last("barrage_messages_total{job=\"barrage\",result=\"failed\"}"), Double(m.failed))
        XCTAssertEqual(try last("barrage_messages_total{job=\"barrage\",result=\"dropped\"}"), Double(m.dropped))
        XCTAssertEqual(try last("barrage_message_errors_total{job=\"barrage\",class=\"answer_timeout\"}"), Double(m.errors["answer_timeout"] ?? 0))
        XCTAssertEqual(try last("barrage_message_latency_seconds_count{job=\"barrage\"}"), Double(m.latency_us.count))
        XCTAssertEqual(try last("barrage_message_service_time_seconds_count{job=\"barrage\"}"), Double(m.service_time_us.count))
        XCTAssertEqual(try last("barrage_connections_open{job=\"barrage\"}"), 0, "all closed at the end")
        // The handshakes are the requests, as in the JSON.
        XCTAssertEqual(try last("barrage_requests_total{job=\"barrage\",result=\"ok\"}"), Double(r.requests.ok))
    }

    func testAWebSocketRunPushesItsMessages() throws {
        let env = try webSocketEnvironment()
        try startPrometheus()
        let id = "rw-ws-" + UUID().uuidString.lowercased().prefix(8)
        var environment = env
        environment["BARRAGE_RUN_ID"] = id
        let out = try BarrageBinary.run(["run", "ws://127.0.0.1:\(server.port)/ws?delay_ms=2", "-c", "4", "--ws-rate", "50", "-d", "2500ms",
                                         "--push-interval", "1s", "--prometheus-rw", "http://127.0.0.1:\(port)/api/v1/write",
                                         "--json", "-", "--quiet"], timeout: 60, environment: environment)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertFalse(out.stderr.contains("prometheus-rw"), "every push arrived: \(out.stderr)")
        let r = try JSONDecoder().decode(RunResult.self, from: Data(out.stdout.utf8))
        let m = try XCTUnwrap(r.messages, "a WebSocket result")
        XCTAssertGreaterThan(m.answered, 0)
        let sel = "run_id=\"\(id)\""
        XCTAssertEqual(try value("barrage_messages_total{\(sel),result=\"answered\"}"), Double(m.answered))
        XCTAssertEqual(try value("barrage_messages_total{\(sel),result=\"failed\"}"), Double(m.failed))
        XCTAssertEqual(try value("barrage_messages_total{\(sel),result=\"dropped\"}"), Double(m.dropped))
        XCTAssertEqual(try value("barrage_message_errors_total{\(sel),class=\"closed_by_peer\"}"), Double(m.errors["closed_by_peer"] ?? 0))
        XCTAssertEqual(try value("barrage_run_message_rate{\(sel)}"), m.rate, accuracy: 1e-9)
        for (stat, micros) in [("p50", m.latency_us.p50), ("p99", m.latency_us.p99), ("max", m.latency_us.max)] {
            XCTAssertEqual(try value("barrage_run_message_latency_seconds{\(sel),stat=\"\(stat)\"}"), Double(micros) / 1_000_000,
                           accuracy: 1e-9, stat)
        }
        // Pushes during the run carried the messages too, not only the last one.
        XCTAssertGreaterThanOrEqual(try value("count_over_time(barrage_messages_total{\(sel),result=\"answered\"}[10m])"), 2)
        XCTAssertFalse(try query("barrage_interval_message_latency_seconds{\(sel),stat=\"p99\"}").isEmpty, "interval message latency")
        // The dashboard's WebSocket panels have data for this run.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dashboard = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("deploy/grafana/barrage.json"))) as? [String: Any])
        let panels = try XCTUnwrap(dashboard["panels"] as? [[String: Any]]).filter { ($0["title"] as? String)?.hasPrefix("WebSocket") == true }
        XCTAssertEqual(panels.count, 2)
        for panel in panels {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                let expr = try XCTUnwrap(target["expr"] as? String).replacingOccurrences(of: "$run_id", with: id)
                XCTAssertFalse(try query(expr).isEmpty, "\(panel["title"] ?? "?"): \(expr)")
            }
        }
    }
}
