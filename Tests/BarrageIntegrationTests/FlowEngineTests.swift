import XCTest
import BarrageCore
import BarrageEngine
import BarrageTargetServer

/// Flows on the libcurl engine against the embedded server's demo API: log in, capture the token, use it; every
/// iteration and every step accounted for exactly once, against the server's own counts.
final class FlowEngineTests: XCTestCase {
    var server: TargetServer!

    override func setUpWithError() throws {
        server = try TargetServer.start(host: "127.0.0.1", port: 0)
    }

    override func tearDownWithError() throws {
        try server?.shutdown()
    }

    private var variables: [String] { ["token", "cart", "users.name", "users.password"] }

    private func template(_ text: String) throws -> CompiledTemplate {
        try Template(parsing: text).bind { name in self.variables.firstIndex(of: name) }
    }

    private func request(_ name: String, _ method: String = "GET", _ path: String, headers: [String] = [], body: String? = nil,
                         statuses: [Int] = [], captures: [Capture] = []) throws -> FlowStep {
        .request(RequestStep(name: name, method: method, url: try template(server.baseURL + path), urlText: server.baseURL + path,
                             headers: try headers.map(template), headerTexts: headers, body: try body.map(template),
                             expect: Expect(statuses: statuses), captures: captures))
    }

    /// login (JSON from a data row) → capture the token → item with the bearer → cart (capture from Location) → pay.
    private func journey(users: Int, mode: DataCursor.Mode = .sequential) throws -> Flow {
        let csv = "name,password\n" + (1...users).map { "user\($0),pw-user\($0)" }.joined(separator: "\n") + "\n"
        let set = try DataSet.load(bytes: Array(csv.utf8), file: "users.csv")
        let steps: [FlowStep] = [
            try request("login", "POST", "/api/login", headers: ["Content-Type: application/json"],
                        body: #"{"user":"${users.name}","password":"${users.password}"}"#, statuses: [200],
                        captures: [Capture(name: "token", source: .json(try JSONPath(parsing: "$.token"), pick: .first))]),
            .think(.uniform(minMicros: 0, maxMicros: 2_000)),
            try request("item", "GET", "/api/items/7", headers: ["Authorization: Bearer ${token}"]),
            try request("cart", "POST", "/api/cart", headers: ["Authorization: Bearer ${token}"], statuses: [201],
                        captures: [Capture(name: "cart", source: .header("Location", regex: try FlowRegex("/api/cart/(\\d+)")))]),
            try request("pay", "POST", "/api/cart/${cart}/pay", headers: ["Authorization: Bearer ${token}"]),
        ]
        return Flow(scenario: "checkout", steps: steps, variables: variables,
                    data: [FlowData(name: "users", set: set, mode: mode, binding: .vu, slots: [2, 3])])
    }

    private func plan(_ flow: Flow, load: LoadModel, threads: Int = 2) -> RunPlan {
        var workload = Workload(targets: flow.requestSteps.map { RequestTarget(name: $0.name, url: $0.urlText, method: $0.method) },
                                timeoutMicros: 5_000_000)
        workload.flow = flow
        return RunPlan(load: load, workload: workload, threads: threads)
    }

    private func run(_ plan: RunPlan) throws -> RunResult {
        let out = try Engine(plan: plan).run(control: StopControl())
        return RunResult.build(version: "test", plan: plan, measured: out.measurement, interrupted: false)
    }

    private func apiCounts() throws -> [String: Int] { try demoAPICounts(port: server.port) }

    func testAJourneyCapturesAndUsesTheTokenWithExactCounts() throws {
        var flow = try journey(users: 4)
        flow.iterations = 40
        let r = try run(plan(flow, load: .closed(workers: 4, durationMicros: nil)))
        let it = try XCTUnwrap(r.iterations)
        XCTAssertEqual(it.total, 40)
        XCTAssertEqual(it.completed, 40, "\(r.errors) \(r.error_messages)")
        XCTAssertEqual(it.failed + it.interrupted + it.dropped, 0)
        XCTAssertEqual(it.duration_us.count, 40)
        XCTAssertLessThanOrEqual(it.duration_without_think_us.max, it.duration_us.max)
        XCTAssertEqual(r.requests.total, 160, "four request steps per iteration")
        XCTAssertEqual(r.requests.ok, 160)
        for name in ["login", "item", "cart", "pay"] { XCTAssertEqual(r.targets[name]?.requests.ok, 40, name) }
        let api = try apiCounts()
        XCTAssertEqual(api["login"], 40)
        XCTAssertEqual(api["item"], 40)
        XCTAssertEqual(api["cart"], 40)
        XCTAssertEqual(api["pay"], 40)
        XCTAssertEqual(api["unauthorized"], 0, "every templated bearer token was the one captured")
        XCTAssertEqual(server.requestsReceived, 160 + 1)
    }

    func testAFailedCaptureFailsTheIterationAndSkipsItsLaterSteps() throws {
        var flow = try journey(users: 2)
        flow.iterations = 10
        // The login's password column is wrong for every user: login answers 401, fails its status check, and the
        // iteration ends there.
        flow.data[0] = FlowData(name: "users", set: try DataSet.load(bytes: Array("name,password\nu1,nope\n".utf8), file: "bad.csv"),
                                mode: .sequential, binding: .iteration, slots: [2, 3])
        let r = try run(plan(flow, load: .closed(workers: 2, durationMicros: nil)))
        let it = try XCTUnwrap(r.iterations)
        XCTAssertEqual(it.failed, 10)
        XCTAssertEqual(it.total, 10)
        XCTAssertEqual(r.requests.total, 10, "only the login step ran")
        XCTAssertEqual(r.errors, ["check": 10])
        XCTAssertEqual(r.error_messages["check"], "login: status 401, expected 200")
        XCTAssertEqual(try apiCounts()["login_failed"], 10)
    }

    func testUniqueRowsRunOutAndNoMoreIterationsStart() throws {
        let flow = try journey(users: 3, mode: .unique)
        var p = plan(flow, load: .closed(workers: 1, durationMicros: 20_000_000), threads: 1)
        p.workload.flow?.data[0].binding = .iteration
        let r = try run(p)
        let it = try XCTUnwrap(r.iterations)
        XCTAssertEqual(it.completed, 3, "one iteration per row")
        XCTAssertEqual(it.interrupted, 1, "the iteration that found no row")
        XCTAssertEqual(it.total, 4)
        XCTAssertEqual(try apiCounts()["login"], 3)
        XCTAssertEqual(r.error_messages["other"], "data set 'users' (users.csv) ran out of unique rows")
        XCTAssertEqual(it.data_exhausted, ["users (users.csv)"])
        XCTAssertTrue(TextReport.render(r).contains("Data        users (users.csv) ran out of unique rows"), TextReport.render(r))
    }

    func testOpenModelIterationsAreAccountedWithDrops() throws {
        var flow = try journey(users: 5)
        flow.gracefulStopMicros = 5_000_000
        // 200 iterations/s for 0.5 s through a pool of 50 VUs: 100 arrivals, none late on loopback.
        let schedule = OpenSchedule(startRate: 200, stages: [RateStage(durationMicros: 500_000, rate: 200)])
        let r = try run(plan(flow, load: .open(schedule, maxInFlight: 50, maxLatenessMicros: 5_000_000)))
        let it = try XCTUnwrap(r.iterations)
        XCTAssertEqual(it.total, 100)
        XCTAssertEqual(it.total, it.completed + it.failed + it.interrupted + it.dropped)
        XCTAssertEqual(r.requests.total, r.requests.ok + r.requests.failed + r.requests.dropped)
        XCTAssertEqual(r.targets["login"].map { $0.requests.total }, it.total, "one login (sent or dropped) per arrival")
        let api = try apiCounts()
        XCTAssertEqual(api["pay"], it.completed)
        XCTAssertEqual(r.targets["pay"]?.requests.ok, it.completed)
    }

    func testSetupLogsEachVUInOnceAndItsTokenServesEveryIteration() throws {
        var flow = try journey(users: 4)
        flow.setupCount = 1 // the login
        flow.iterations = 40
        let r = try run(plan(flow, load: .closed(workers: 4, durationMicros: nil), threads: 2))
        XCTAssertEqual(r.iterations?.completed, 40, "\(r.error_messages)")
        let api = try apiCounts()
        XCTAssertEqual(api["login"], 4, "one login per VU")
        XCTAssertEqual(api["item"], 40)
        XCTAssertEqual(api["pay"], 40)
        XCTAssertEqual(api["unauthorized"], 0, "the setup's token is kept across iterations")
        XCTAssertEqual(r.targets["login"]?.requests.total, 4)
    }

    func testForeachGoesOverACapturedListAndRepeatRepeats() throws {
        let vars = ["token", "ids", "id"]
        func t(_ text: String) throws -> CompiledTemplate { try Template(parsing: text).bind { vars.firstIndex(of: $0) } }
        var login = RequestStep(name: "login", method: "POST", url: try t(server.baseURL + "/api/login"), urlText: server.baseURL + "/api/login",
                                headers: [try t("Content-Type: application/json")], body: try t(#"{"user":"u${vu}","password":"pw-u${vu}"}"#),
                                expect: Expect(statuses: [200]),
                                captures: [Capture(name: "token", source: .json(try JSONPath(parsing: "$.token"), pick: .first))])
        login.repeatCount = 2
        let list = RequestStep(name: "items", url: try t(server.baseURL + "/api/items?n=7"), urlText: server.baseURL + "/api/items?n=7",
                               captures: [Capture(name: "ids", source: .jsonList(try JSONPath(parsing: "$.items[*].id")))])
        var each = RequestStep(name: "item", url: try t(server.baseURL + "/api/items/${id}"), urlText: server.baseURL + "/api/items/${id}",
                               headers: [try t("Authorization: Bearer ${token}")], expect: Expect(statuses: [200]))
        each.foreach = RequestStep.ForEach(list: "ids", listSlot: 1, item: "id", itemSlot: 2, max: 5)
        var flow = Flow(scenario: "browse", steps: [.request(login), .request(list), .request(each)], variables: vars)
        flow.iterations = 6
        let r = try run(plan(flow, load: .closed(workers: 2, durationMicros: nil)))
        XCTAssertEqual(r.iterations?.completed, 6, "\(r.error_messages)")
        XCTAssertEqual(r.targets["login"]?.requests.ok, 12, "repeat: 2")
        XCTAssertEqual(r.targets["item"]?.requests.ok, 30, "five of the seven ids (max: 5) per iteration")
        let api = try apiCounts()
        XCTAssertEqual(api["item"], 30)
        XCTAssertEqual(api["not_found"], 0, "each id from the list, in turn")
        XCTAssertEqual(api["unauthorized"], 0)
    }

    func testAGroupCountsEachPassAndTimesTheOkOnes() throws {
        var flow = try journey(users: 4)
        flow.iterations = 20
        // login, think, item, cart, pay: the group "buy" holds cart and pay.
        flow.groups = ["buy"]
        flow.groupOfStep = [nil, nil, nil, 0, 0]
        let r = try run(plan(flow, load: .closed(workers: 2, durationMicros: nil)))
        let buy = try XCTUnwrap(r.groups?["buy"])
        XCTAssertEqual(buy.count, 20)
        XCTAssertEqual(buy.ok, 20, "\(r.error_messages)")
        XCTAssertEqual(buy.duration_us.count, 20)
        XCTAssertLessThanOrEqual(buy.duration_us.max, r.iterations!.duration_us.max)
    }

    func testExpectValuesCanUseTheVUsVariables() throws {
        for (expected, ok) in [("${users.name}", true), ("someone-${users.name}", false)] {
            try server.shutdown()
            server = try TargetServer.start(host: "127.0.0.1", port: 0)
            var flow = try journey(users: 3)
            guard case .request(var login) = flow.steps[0] else { return XCTFail("login first") }
            login.expect.json = [Expect.JSONCheck(path: try JSONPath(parsing: "$.user"), expected: JSONValue(string: ""))]
            login.expectTemplates = [RequestStep.ExpectTemplate(check: 0, value: try template(expected))]
            flow.steps[0] = .request(login)
            flow.iterations = 6
            let r = try run(plan(flow, load: .closed(workers: 3, durationMicros: nil)))
            XCTAssertEqual(r.iterations?.completed, ok ? 6 : 0, "\(expected): \(r.error_messages)")
            XCTAssertEqual(r.errors["check"], ok ? nil : 6, expected)
        }
    }

    /// One VU, a new user each iteration: the templated `Authorization` header of `item` changes between requests on
    /// the same handle, and the server answers with the token's user, checked against the row's.
    func testATemplatedHeaderThatChangesIsSentAgain() throws {
        var flow = try journey(users: 4, mode: .sequential)
        flow.data[0].binding = .iteration
        guard case .request(var item) = flow.steps[2] else { return XCTFail("item third") }
        item.expect.json = [Expect.JSONCheck(path: try JSONPath(parsing: "$.user"), expected: JSONValue(string: ""))]
        item.expectTemplates = [RequestStep.ExpectTemplate(check: 0, value: try template("${users.name}"))]
        flow.steps[2] = .request(item)
        flow.iterations = 8
        let r = try run(plan(flow, load: .closed(workers: 1, durationMicros: nil), threads: 1))
        XCTAssertEqual(r.iterations?.completed, 8, "\(r.errors) \(r.error_messages)")
        XCTAssertEqual(r.targets["item"]?.requests.ok, 8)
        XCTAssertNil(r.errors["check"])
    }

    /// A step judged on its status alone: an error status is class `status` without a status list, `check` with one;
    /// the message names the step and the status as `Expect` words it.
    func testAStatusOnlyStepFailsWithItsClassAndMessage() throws {
        for (statuses, cls, message) in [([Int](), "status", "item: status 404, expected 2xx or 3xx"),
                                          ([200], "check", "item: status 404, expected 200")] {
            var flow = try journey(users: 2)
            flow.steps[2] = try request("item", "GET", "/api/items/5000", headers: ["Authorization: Bearer ${token}"],
                                        statuses: statuses)
            flow.iterations = 4
            let r = try run(plan(flow, load: .closed(workers: 2, durationMicros: nil), threads: 1))
            XCTAssertEqual(r.iterations?.failed, 4, "\(r.errors)")
            XCTAssertEqual(r.errors[cls], 4, "\(r.errors)")
            XCTAssertEqual(r.error_messages[cls], message)
        }
    }

    /// Without think steps the engine records iteration durations once and hands them on as both histograms; with
    /// several steps each second's per-target latency is the target's own: the same as the target sections.
    func testWithoutThinkStepsBothDurationsAreTheSameAndTargetSecondsAddUp() throws {
        var flow = try journey(users: 2)
        flow.steps.remove(at: 1) // the think step
        flow.iterations = 30
        let r = try run(plan(flow, load: .closed(workers: 2, durationMicros: nil), threads: 1))
        let it = try XCTUnwrap(r.iterations)
        XCTAssertEqual(it.completed, 30, "\(r.errors) \(r.error_messages)")
        XCTAssertEqual(it.duration_without_think_us, it.duration_us)
        for name in ["login", "item", "cart", "pay"] {
            var sum: UInt64 = 0
            for entry in r.timeline {
                let blob = try XCTUnwrap(entry.targets_hdr?[name], "second \(entry.t_s) has \(name)")
                sum += try HdrCodec.decode(base64: blob).totalCount
            }
            XCTAssertEqual(sum, UInt64(try XCTUnwrap(r.targets[name]).latency_us.count), name)
        }
    }
}
