import Foundation
import XCTest

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import BarrageCore
import BarragePlanFixtures

/// Parses a page as XML and collects its elements' attributes and text.
private final class PageCollector: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var text = ""

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        elements.append((elementName, attributeDict))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text += string
    }

    /// The `data-chart` names of every chart, in document order.
    var charts: [String] { elements.compactMap { $0.attributes["data-chart"] } }
}

/// A realistic run and sweep made of synthetic outcomes, for the tests and for looking at the page
/// (`BARRAGE_HTML_SAMPLE=/tmp/report-sample.html swift test --filter HTMLReportTests` writes it).
enum HTMLReportSample {
    /// Three stages of an open-model run over 30 s (100 → 300 req/s, hold, down to 150), two targets, a server that
    /// saturates near 250 req/s: latency climbs, some requests wait past the lateness limit and are dropped, some
    /// time out or get 503s.
    static func run() -> RunResult {
        let schedule = OpenSchedule(startRate: 100, stages: [
            RateStage(durationMicros: 10_000_000, rate: 300),
            RateStage(durationMicros: 10_000_000, rate: 300),
            RateStage(durationMicros: 10_000_000, rate: 150),
        ], arrival: .poisson(seed: 42))
        let targets = [
            RequestTarget(name: "items", url: "http://127.0.0.1:8080/api/items?limit=20", method: "GET",
                          headers: ["Accept: application/json", "Authorization: Bearer s3cr3t-token"], weight: 3),
            RequestTarget(name: "search", url: "http://127.0.0.1:8080/api/search", method: "POST",
                          headers: ["Content-Type: application/json"], body: Array(#"{"q":"load test"}"#.utf8)),
        ]
        let plan = RunPlan.open(schedule: schedule, maxInFlight: 256, maxLatenessMicros: 250_000, requestLimit: nil,
                                targets: targets, timeoutMicros: 2_000_000, connectTimeoutMicros: 1_000_000, threads: 2,
                                keepAlive: true)
        var rng = SplitMix64(seed: 7)
        func normal() -> Double {
            let u1 = max(rng.nextUnit(), 1e-12), u2 = rng.nextUnit()
            return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        }
        var total = Recorder()
        var perTarget = [Recorder(), Recorder()]
        var perStage = [Recorder(), Recorder(), Recorder()]
        var builder = TimelineBuilder(workers: 1, startEpochMillis: 1_764_094_369_123)
        // The schedule's own due times, by second.
        var duesBySecond = [[Int64]](repeating: [], count: 30)
        var arrivals = schedule.makeIterator(limit: schedule.plannedRequests)
        var requestNumber: [Int64: Int] = [:]
        while let next = arrivals.next() {
            duesBySecond[min(29, Int(next.dueMicros / 1_000_000))].append(next.dueMicros)
            requestNumber[next.dueMicros] = next.k
        }
        var backlogMicros = 0.0
        for second in 0..<30 {
            var interval = IntervalStats(second: second)
            let rate = schedule.rate(atMicros: Int64(second) * 1_000_000 + 500_000)
            let dues = duesBySecond[second]
            // Above ~250 req/s the server falls behind: a queue (backlog) builds and drains again below it.
            let load = rate / 250
            backlogMicros = max(0, backlogMicros + (load - 1) * 90_000)
            let medianService = 6_000 * (1 + 2.5 * max(0, load - 0.7))
            var meanLatency = 0.0
            for (i, due) in dues.enumerated() {
                let lateness = backlogMicros * (0.6 + 0.8 * rng.nextUnit())
                let target = plan.targetIndex(forRequest: requestNumber[due] ?? i)
                let stage = plan.stageIndex(atMicros: due)
                if lateness > 250_000 {
                    interval.recorder.recordDropped()
                    perTarget[target].recordDropped()
                    perStage[stage].recordDropped()
                    continue
                }
                let sent = due + Int64(lateness)
                // The search endpoint is the slower one.
                var service = medianService * (target == 1 ? 1.8 : 1) * exp(0.45 * normal())
                if rng.nextUnit() < 0.004 { service *= 12 } // a slow tail
                let timedOut = service > 2_000_000
                if timedOut { service = 2_000_000 }
                let done = sent + Int64(service)
                meanLatency += Double(done - due) / Double(dues.count)
                var status = 200
                var error: ErrorClass? = nil
                if timedOut {
                    status = 0; error = .timeout
                } else if load > 1, rng.nextUnit() < 0.03 {
                    status = 503; error = .status
                } else if rng.nextUnit() < 0.002 {
                    status = 404; error = .status
                } else if rng.nextUnit() < 0.001 {
                    status = 0; error = .read
                }
                let reused = i > 0 || second > 0
                let outcome = RequestOutcome(
                    dueMicros: due, sentMicros: sent, doneMicros: done, status: status, error: error, complete: status != 0,
                    bytesIn: status == 0 ? 0 : 1_450, bodyBytesIn: status == 0 ? 0 : 1_200, bytesOut: 180,
                    dnsMicros: reused ? -1 : 40, connectMicros: reused ? -1 : 180, ttfbMicros: Int64(service * 0.9),
                    connection: reused ? .reused : .new)
                interval.recorder.record(outcome)
                perTarget[target].record(outcome)
                perStage[stage].record(outcome)
            }
            interval.inFlight = min(256, Int((rate * meanLatency / 1_000_000).rounded()))
            total.merge(interval.recorder)
            builder.add(worker: 0, interval)
        }
        builder.finish(worker: 0)
        let timeline = builder.drain(durationMicros: 30_000_000)
        var result = RunResult(version: "0.4.0", plan: plan, recorder: total, timeline: timeline,
                               startedEpochMillis: 1_764_094_369_123, durationMicros: 30_000_000, interrupted: false)
        result.addSections(plan: plan, targets: perTarget, stages: perStage, warmup: nil, runMicros: 30_000_000)
        let thresholds = ["p99 < 300ms", "error_rate < 1%", "rps >= 150", "target:items p95 < 100ms"].map { try! Threshold.parse($0) }
        result.thresholds = ThresholdEvaluator.evaluate(thresholds, on: result)
        return result
    }

    /// A sweep of 1 … 64 in flight against a server that contends (σ) and loses coherency (κ) as concurrency grows.
    static func scale() -> ScaleResult {
        let levels = [1, 2, 4, 8, 16, 32, 64].map { n -> ScaleLevel in
            let rps = USL.throughput(concurrency: Double(n), lambda: 950, sigma: 0.06, kappa: 0.0009)
            let plan = RunPlan(concurrency: n, requestLimit: nil, durationMicros: 5_000_000,
                               targets: [RequestTarget(url: "http://127.0.0.1:8080/api/items?limit=20")],
                               timeoutMicros: 2_000_000, connectTimeoutMicros: 1_000_000, threads: 2, keepAlive: true)
            var r = Recorder()
            let meanMicros = Double(n) / rps * 1_000_000
            let count = Int(rps * 5)
            for i in 0..<count {
                let service = Int64(meanMicros * (0.7 + 0.6 * Double(i % 10) / 9))
                let failed = n == 64 && i % 200 == 0
                r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: service, status: failed ? 503 : 200,
                                        error: failed ? .status : nil, complete: true))
            }
            let result = RunResult(version: "0.4.0", plan: plan, recorder: r, timeline: [], startedEpochMillis: 0,
                                   durationMicros: 5_000_000, interrupted: false)
            return ScaleLevel(concurrency: n, result: result, inFlight: Double(n) * 0.97, connectionSetup: .empty)
        }
        let plan = ScaleResult.Plan(levels: levels.map(\.concurrency), requests_per_level: nil, duration_per_level_us: 5_000_000,
                                    targets: [PlanRecord.Target(name: "default", url: "http://127.0.0.1:8080/api/items?limit=20",
                                                                method: "GET", headers: [], body_bytes: 0, weight: 1)],
                                    timeout_us: 2_000_000, threads: 2)
        return ScaleResult(version: "0.4.0", startedEpochMillis: 1_764_094_369_123, plan: plan, levels: levels)
    }

    /// A run with nothing in it: no requests, no timeline.
    static func empty(url: String = "http://127.0.0.1:1/") -> RunResult {
        let plan = RunPlan(concurrency: 4, requestLimit: nil, durationMicros: 1_000_000, targets: [RequestTarget(url: url)],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        return RunResult(version: "test", plan: plan, recorder: Recorder(), timeline: [], startedEpochMillis: 0,
                         durationMicros: 0, interrupted: false)
    }
}

final class HTMLReportTests: XCTestCase {
    private func parse(_ html: String, file: StaticString = #filePath, line: UInt = #line) -> PageCollector {
        let parser = XMLParser(data: Data(html.utf8))
        let collector = PageCollector()
        parser.delegate = collector
        let ok = parser.parse()
        XCTAssertTrue(ok, "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)",
                      file: file, line: line)
        return collector
    }

    func testSamplePageIsWellFormedAndHasEveryChart() throws {
        let html = HTMLReport.render(HTMLReportSample.run(), scale: HTMLReportSample.scale())
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        let page = parse(html)
        // The sample has failures (errors over time) but no per-target timeline histograms (no p99 per target).
        XCTAssertEqual(Set(page.charts), ["spectrum", "distribution", "rps", "latency", "inflight", "status", "errors",
                                          "errors-over-time", "scale"])
        XCTAssertEqual(page.charts.count, 9, "each chart once")
        // Sections that appear for this run: two targets, thresholds, scaling.
        for heading in ["Targets", "Thresholds", "Scaling", "Latency percentile spectrum", "Status codes", "Error classes"] {
            XCTAssertTrue(page.text.contains(heading), heading)
        }
        // For looking at: the sample, and beside it a scaling-only page and an empty run.
        if let path = ProcessInfo.processInfo.environment["BARRAGE_HTML_SAMPLE"] {
            try html.write(toFile: path, atomically: true, encoding: .utf8)
            let stem = path.hasSuffix(".html") ? String(path.dropLast(5)) : path
            try HTMLReport.render(scale: HTMLReportSample.scale()).write(toFile: stem + "-scale.html", atomically: true, encoding: .utf8)
            try HTMLReport.render(HTMLReportSample.empty()).write(toFile: stem + "-empty.html", atomically: true, encoding: .utf8)
        }
    }

    func testConnectPhaseIsListedWhenThereIsOne() {
        var r = HTMLReportSample.run()
        XCTAssertFalse(parse(HTMLReport.render(r)).text.contains("Connect phase"))
        var phase = Recorder()
        for _ in 0..<3 {
            phase.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 500, status: 200, error: nil, complete: true,
                                        connectMicros: 80, connection: .new))
        }
        r.connect_phase = RunResult.ConnectPhase(phase, durationMicros: 2_000, attemptsInFlight: 256)
        let text = parse(HTMLReport.render(r)).text
        XCTAssertTrue(text.contains("Connect phase (excluded)") && text.contains("3 connections in \(DurationParser.format(micros: 2_000))"), text)
    }

    func testNoScriptsAndNoURLsButTheTargets() {
        let result = HTMLReportSample.run()
        var html = HTMLReport.render(result, scale: HTMLReportSample.scale())
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.lowercased().contains("javascript:"))
        XCTAssertFalse(html.contains(" src="))
        XCTAssertFalse(html.contains(" href="))
        for url in Set(result.plan.targets.map(\.url)) {
            html = html.replacingOccurrences(of: Markup.escape(url), with: "")
        }
        XCTAssertFalse(html.contains("http://"))
        XCTAssertFalse(html.contains("https://"))
    }

    func testHostileURLIsEscapedEverywhere() {
        let hostile = "http://127.0.0.1/<script>alert('x')</script>"
        let result = HTMLReportSample.empty(url: hostile)
        for html in [HTMLReport.render(result, title: "http://127.0.0.1/<script>"),
                     HTMLReport.render(result),
                     HTMLReport.render(scale: HTMLReportSample.scale(), title: "http://127.0.0.1/<script>")] {
            XCTAssertFalse(html.lowercased().contains("<script"))
            XCTAssertTrue(html.contains("&lt;script&gt;"))
            _ = parse(html)
        }
        let titled = HTMLReport.render(result, title: "http://127.0.0.1/<script>")
        XCTAssertTrue(titled.contains("<title>http://127.0.0.1/&lt;script&gt;</title>"))
    }

    func testSecretHeadersNeverAppear() {
        let html = HTMLReport.render(HTMLReportSample.run())
        XCTAssertFalse(html.contains("s3cr3t-token"))
        XCTAssertTrue(html.contains("Authorization: [REDACTED]"))
        XCTAssertTrue(html.contains("Accept: application/json"))
    }

    func testZeroRequestsAndEmptyTimelineRender() {
        let html = HTMLReport.render(HTMLReportSample.empty())
        let page = parse(html)
        XCTAssertEqual(Set(page.charts), ["spectrum", "distribution", "rps", "latency", "inflight", "status", "errors"])
        XCTAssertTrue(page.text.contains("no complete responses"))
        XCTAssertTrue(page.text.contains("no timeline recorded"))
        XCTAssertTrue(page.text.contains("NO REQUESTS"))
    }

    func testEmptyTimelineWithRequestsRenders() {
        var result = HTMLReportSample.run()
        result.timeline = []
        let page = parse(HTMLReport.render(result))
        XCTAssertTrue(page.text.contains("no timeline recorded"))
        XCTAssertTrue(page.charts.contains("spectrum"))
    }

    func testScalePageStandsAlone() {
        let scale = HTMLReportSample.scale()
        let html = HTMLReport.render(scale: scale)
        let page = parse(html)
        XCTAssertEqual(page.charts, ["scale"])
        XCTAssertFalse(html.contains("<?xml"))
        XCTAssertFalse(html.contains("http://www.w3.org"))
        // The embedded chart's stylesheet is scoped to it, so it cannot restyle the page's own charts.
        XCTAssertTrue(html.contains(".scale-chart text {"))
        XCTAssertFalse(html.contains("\ntext {"))
        for level in scale.levels {
            XCTAssertTrue(page.text.contains(NumberFormat.number(level.throughput.rps)))
        }
        // A sweep with no levels still renders.
        let none = ScaleResult(version: "t", startedEpochMillis: 0, plan: scale.plan, levels: [])
        XCTAssertEqual(parse(HTMLReport.render(scale: none)).charts, ["scale"])
    }

    func testVerdictAndThresholdMarks() {
        let result = HTMLReportSample.run()
        let html = HTMLReport.render(result)
        let failed = result.thresholds.filter { !$0.ok }.count
        XCTAssertGreaterThan(failed, 0, "the sample is meant to fail a threshold")
        XCTAssertTrue(html.contains(">FAIL<"))
        XCTAssertEqual(html.components(separatedBy: #"class="fail-mark""#).count - 1, failed)
        XCTAssertEqual(html.components(separatedBy: #"class="pass-mark""#).count - 1, result.thresholds.count - failed)

        let pass = [ThresholdResult(expr: "rps >= 0", metric: "rps", scope: .run, op: .ge, limit: 0, actual: 0, unit: "req/s", ok: true)]
        var passing = HTMLReportSample.run()
        passing.thresholds = pass
        XCTAssertTrue(HTMLReport.render(passing).contains(">PASS<"))
        // Passing thresholds on a run that measured nothing: the verdict follows the exit code (1), not the gates.
        var empty = HTMLReportSample.empty()
        empty.thresholds = pass
        XCTAssertTrue(HTMLReport.render(empty).contains(">NO REQUESTS<"))
    }

    func testStageBoundariesAreDrawnForMultiStagePlans() {
        let result = HTMLReportSample.run()
        XCTAssertEqual(HTMLReport.stageBoundaries(result.plan).map(\.x), [10, 20])
        let html = HTMLReport.render(result)
        // rps, latency, in-flight and errors-over-time charts each draw both boundaries.
        XCTAssertEqual(html.components(separatedBy: #"class="stage-boundary""#).count - 1, 8)
        XCTAssertEqual(HTMLReport.stageBoundaries(HTMLReportSample.empty().plan).count, 0)
    }

    func testPerTargetAndPerStageNumbers() {
        let result = HTMLReportSample.run()
        XCTAssertEqual(result.targets.count, 2)
        let html = HTMLReport.render(result)
        for section in result.targets.values {
            XCTAssertTrue(html.contains(Markup.escape(DurationParser.format(micros: section.latency_us.p99))))
        }
        XCTAssertTrue(html.contains("75.0%"), "weight 3 of 4")
        XCTAssertTrue(html.contains(#"<table class="stages">"#))

        // Without sections (an older result), the targets table still lists the plan's targets.
        var older = result
        older.targets = [:]
        older.stages = []
        let page = parse(HTMLReport.render(older))
        XCTAssertTrue(page.text.contains("no per-target numbers"))
        XCTAssertFalse(HTMLReport.render(older).contains(#"<table class="stages">"#))
    }

    func testClosedStagesDrawTheirTargetConcurrency() {
        let plan = RunPlan.closedStages([ClosedStage(durationMicros: 2_000_000, concurrency: 8), ClosedStage(durationMicros: 2_000_000, concurrency: 2)],
                                        start: 1, requestLimit: nil, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                                        timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        var r = Recorder()
        r.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 1_000, status: 200, error: nil, complete: true))
        let timeline = (0..<4).map { TimelineEntry(t_s: $0, epoch_s: Double($0), requests: 1, ok: 1, failed: 0, dropped: 0, rps: 1,
                                                   in_flight: [1, 8, 5, 2][$0], p50_us: 1_000, p99_us: 1_000, max_us: 1_000) }
        let result = RunResult(version: "t", plan: plan, recorder: r, timeline: timeline, startedEpochMillis: 0,
                               durationMicros: 4_000_000, interrupted: false)
        XCTAssertEqual(HTMLReport.concurrencyRange(result.plan), "1 → 8")
        XCTAssertEqual(HTMLReport.targetConcurrency(result.plan)?.map(\.1), [1, 8, 2])
        let html = HTMLReport.render(result)
        XCTAssertTrue(html.contains("target concurrency"))
        XCTAssertEqual(html.components(separatedBy: #"class="stage-boundary""#).count - 1, 3)
        _ = parse(html)
    }

    func testSpectrumFromSummaryKeepsOnlyResolvablePercentiles() {
        var h = LatencyHistograms.make()
        for v in 1...100 { h.record(UInt64(v * 1000)) }
        let points = HTMLReport.spectrumPoints(summary: HistogramSummary(h))
        // min, p50, p75, p90, p95 (p99 and finer need more than 100 samples), then max at the last sample's rank.
        XCTAssertEqual(points.map(\.percentile), [0, 50, 75, 90, 95, 99])
        XCTAssertEqual(points.last?.micros, Double(h.maxRecorded))
        XCTAssertEqual(HTMLReport.spectrumX(99), 2, accuracy: 1e-9)
        XCTAssertEqual(HTMLReport.spectrumPoints(summary: .empty), [])
    }

    func testSpectrumFromHistogramIsMonotoneAndEndsAtMax() {
        var h = LatencyHistograms.make()
        for v in 1...10_000 { h.record(UInt64(v)) }
        h.record(5_000_000)
        let points = HTMLReport.spectrumPoints(from: h)
        XCTAssertGreaterThan(points.count, 40)
        XCTAssertEqual(points.first?.percentile, 0)
        XCTAssertEqual(points.last?.micros, 5_000_000)
        XCTAssertEqual(points.last!.percentile, 100 * (1 - 1 / 10_001.0), accuracy: 1e-9)
        for (a, b) in zip(points, points.dropFirst()) {
            XCTAssertLessThan(a.percentile, b.percentile)
            XCTAssertLessThanOrEqual(a.micros, b.micros)
        }
        XCTAssertEqual(HTMLReport.spectrumPoints(from: LatencyHistograms.make()), [])
    }

    func testHeadlineNumbersAreNeverClipped() {
        var r = HTMLReportSample.run()
        r.throughput.rps = 26_705.4
        r.requests = RunResult.Requests(total: 123_456_789, ok: 120_000_000, failed: 3_456_789, dropped: 0)
        let html = HTMLReport.render(r)
        // The whole number is in the card, its unit apart and smaller.
        XCTAssertTrue(html.contains(#"<div class="value" title="26,705 req/s">26,705<span class="unit"> req/s</span></div>"#), html)
        XCTAssertTrue(html.contains(#">123,456,789</div>"#))
        // Cards are at least as wide as their content and wrap to another row instead of clipping it: no rule of the
        // cards hides an overflow or ends a number with an ellipsis (the sub line wraps inside the card).
        let cardRules = HTMLReport.stylesheet.split(separator: "\n").filter { $0.contains(".card") }
        XCTAssertFalse(cardRules.isEmpty)
        for rule in cardRules {
            XCTAssertFalse(rule.contains("ellipsis") || rule.contains("overflow: hidden"), String(rule))
        }
        XCTAssertTrue(HTMLReport.stylesheet.contains(".cards { display: flex; flex-wrap: wrap;"))
        XCTAssertTrue(HTMLReport.stylesheet.contains("min-width: max-content"))
        XCTAssertTrue(HTMLReport.stylesheet.contains(".card .sub { font-size: 12px; color: var(--muted); width: 0; min-width: 100%; }"))
        // A bar table's count column widens for a long count instead of running it into the bar:
        // "99,123,456 · 100.0%" is 19 characters, 145 px, so the bar track is 524 − 206 − 145 = 173 px.
        XCTAssertTrue(HTMLReport.statusChart(["200": 99_123_456]).contains(#"width="173""#))
        XCTAssertTrue(HTMLReport.statusChart(["200": 12]).contains(#"width="200""#), "short counts keep the 118 px column")
    }

    func testTheProfileNameIsInTheTitle() {
        var r = HTMLReportSample.run()
        r.plan.name = "checkout-ramp"
        let page = parse(HTMLReport.render(r))
        let html = HTMLReport.render(r)
        XCTAssertTrue(html.contains("<title>Barrage report · checkout-ramp · GET http://127.0.0.1:8080/api/items?limit=20"), html)
        XCTAssertTrue(page.text.contains("Barrage load test report · checkout-ramp"))
        r.plan.name = nil
        XCTAssertTrue(HTMLReport.render(r).contains("<title>Barrage report · GET http://"))
        // A title given on the command line wins.
        r.plan.name = "checkout-ramp"
        XCTAssertTrue(HTMLReport.render(r, title: "Nightly").contains("<title>Nightly</title>"))
    }

    func testARunWithNoOkResponseSaysSoAndShowsNoThroughput() {
        let plan = RunPlan(concurrency: 2, requestLimit: 6, durationMicros: nil, targets: [RequestTarget(url: "http://127.0.0.1:1/")],
                           timeoutMicros: 1_000_000, connectTimeoutMicros: 1_000_000, threads: 1, keepAlive: true)
        var rec = Recorder()
        for _ in 0..<6 { rec.record(RequestOutcome(dueMicros: 0, sentMicros: 0, doneMicros: 90, status: 0, error: .connect, complete: false)) }
        var r = RunResult(version: "t", plan: plan, recorder: rec, timeline: [], startedEpochMillis: 0, durationMicros: 1_000, interrupted: false)
        let page = parse(HTMLReport.render(r))
        XCTAssertTrue(page.text.contains("NO OK RESPONSE"), page.text)
        XCTAssertTrue(page.text.contains("every request failed to connect to 127.0.0.1:1"), page.text)
        XCTAssertTrue(page.text.contains("Attempts") && page.text.contains("no ok response: not a throughput"), page.text)
        XCTAssertFalse(page.text.contains("Throughput6,000"), "the attempt rate is not labelled throughput")
        // A failing threshold still comes first (exit 99 before 1).
        r.thresholds = [ThresholdResult(expr: "p99 < 1s", metric: "latency_us.p99", scope: .run, op: .lt, limit: 1_000_000, actual: nil,
                                        unit: "µs", ok: false)]
        XCTAssertTrue(HTMLReport.render(r).contains(">FAIL<"))
    }

    func testAThresholdAbortIsNotCalledAnInterruption() {
        var r = HTMLReportSample.run()
        r.interrupted = true
        r.aborted_by = "threshold 'p99 < 1s' failed (measured 2.10s) with abort_on_fail"
        let page = parse(HTMLReport.render(r))
        XCTAssertTrue(page.text.contains("ABORTED"))
        XCTAssertTrue(page.text.contains("aborted by threshold 'p99 < 1s'"), page.text)
        XCTAssertFalse(page.text.contains("The run was interrupted"), "a threshold stop is not a signal")
        XCTAssertTrue(page.text.contains("aborted by a threshold"), "the duration card says why it is short")
    }

    func testEscapeAndNumbers() {
        XCTAssertEqual(Markup.escape(#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        XCTAssertEqual(Markup.escape("a\u{1}b"), "ab")
        XCTAssertEqual(NumberFormat.percent(0), "0%")
        XCTAssertEqual(NumberFormat.percent(0.0025), "0.25%")
        XCTAssertEqual(NumberFormat.number(12_480.4), "12,480")
        XCTAssertEqual(HTMLReport.timeLabel(90), "1m30s")
        XCTAssertEqual(HTMLReport.timeTicks(0...30).map(\.1), ["0s", "5s", "10s", "15s", "20s", "25s", "30s"])
        let scale = SVGChart.niceScale(87)
        XCTAssertEqual(scale.max, 100)
        XCTAssertEqual(scale.ticks, [0, 20, 40, 60, 80, 100])
    }
}
