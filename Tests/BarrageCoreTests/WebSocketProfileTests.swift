import Foundation
import XCTest
@testable import BarrageCore

/// A WebSocket profile (one `ws://`/`wss://` target, a `websocket:` block): what the loader makes of it, every refusal
/// (one line naming the file, line and field), and the plan it builds with the `--ws-*` flags over it. No network.
final class WebSocketProfileTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "barrage-wsprofile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func parse(_ text: String, path: String = "ws.yaml") throws -> Profile {
        try ProfileLoader.parse(text: text, path: path, variables: [:], environment: ["WS": "ws://127.0.0.1:9"])
    }

    /// The one-line message a profile fails with.
    private func failure(_ text: String, path: String = "ws.yaml", file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            let profile = try parse(text, path: path)
            XCTFail("loaded instead of failing: \(profile)", file: file, line: line)
        } catch let error as BarrageError {
            XCTAssertEqual(error.status, .usage, file: file, line: line)
            XCTAssertFalse(error.message.contains("\n"), "not one line: \(error.message)", file: file, line: line)
            return error.message
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return ""
    }

    private static let closed = "load: { model: closed, start_concurrency: 4, requests: 40, stages: [ { duration: 10s, concurrency: 4 } ] }"

    private func build(_ profile: Profile, flags: WebSocketSettings = WebSocketSettings(), override: LoadOverride = LoadOverride(),
                       given: [String] = []) throws -> RunPlan {
        try PlanBuilder.build(PlanInputs(source: .profile(profile, override: override, given: given), threads: 2, webSocket: flags))
    }

    // MARK: Reading

    func testTheBlockIsReadFieldByField() throws {
        let p = try parse("""
        targets: [ { url: "${WS}/ws", headers: { X-Token: abc } } ]
        websocket:
          message: hi
          binary: true
          size: 1k
          rate: 2.5
          messages: 10
          answer: "match:^h"
        \(Self.closed)
        """)
        XCTAssertEqual(p.webSocket, WebSocketSettings(message: Array("hi".utf8), binary: true, sizeBytes: 1_024, ratePerConnection: 2.5,
                                                      messagesPerConnection: 10, answer: .match("^h")))
        XCTAssertEqual(p.targets.map(\.url), ["ws://127.0.0.1:9/ws"])
    }

    func testAWsTargetWithoutABlockIsAWebSocketProfileWithTheDefaults() throws {
        let p = try parse("targets: [ { url: \"wss://example.com/ws\" } ]\n\(Self.closed)\n")
        XCTAssertEqual(p.webSocket, WebSocketSettings())
        let plan = try build(p)
        XCTAssertEqual(plan.workload.webSocket, WebSocketPlan())
    }

    func testHTTPProfilesHaveNone() throws {
        let p = try parse("targets: [ { url: \"http://127.0.0.1:9/\" } ]\n\(Self.closed)\n")
        XCTAssertNil(p.webSocket)
        XCTAssertNil(try build(p).workload.webSocket)
    }

    func testMessageFileIsReadRelativeToTheProfile() throws {
        try Data([0x00, 0xFF, 0x01]).write(to: URL(fileURLWithPath: directory + "/frame.bin"))
        let p = try parse("""
        targets: [ { url: "ws://127.0.0.1:9/ws" } ]
        websocket: { message_file: frame.bin, binary: true }
        \(Self.closed)
        """, path: directory + "/ws.yaml")
        XCTAssertEqual(p.webSocket?.message, [0x00, 0xFF, 0x01])
    }

    // MARK: The plan

    func testClosedProfileIsConstantConnectionsWithRequestsCountingMessages() throws {
        let p = try parse("""
        defaults: { timeout: 2s }
        targets: [ { url: "ws://127.0.0.1:9/ws" } ]
        websocket: { message: hello, size: 8, rate: 20 }
        \(Self.closed)
        """)
        let plan = try build(p)
        XCTAssertEqual(plan.load, .closed(workers: 4, durationMicros: 10_000_000))
        XCTAssertEqual(plan.requestLimit, 40)
        XCTAssertEqual(plan.workload.webSocket, WebSocketPlan(payload: Array("hello...".utf8), ratePerConnection: 20))
        let record = PlanRecord(plan)
        XCTAssertEqual(record.websocket?.messages, 40)
        XCTAssertEqual(record.websocket?.answer_timeout_us, 2_000_000)
        XCTAssertNil(record.requests, "requests count messages")
        let lines = PlanBlock.body(record)
        XCTAssertTrue(lines.contains { $0.contains("messages") && $0.contains("8 B text") && $0.contains("20/s per connection") && $0.contains("40 in all") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.contains("answer") && $0.contains("echo within 2.00s") }, "\(lines)")
    }

    func testOpenProfileOpensConnectionsAtTheRate() throws {
        let p = try parse("""
        targets: [ { url: "ws://127.0.0.1:9/ws" } ]
        websocket: { messages: 5 }
        load: { model: open, start_rate: 10, max_in_flight: 20, stages: [ { duration: 2s, rate: 10 } ] }
        """)
        let plan = try build(p)
        XCTAssertEqual(plan.schedule?.totalDurationMicros, 2_000_000)
        XCTAssertEqual(plan.workload.webSocket?.messagesPerConnection, 5)
    }

    func testFlagsOverrideTheBlockFieldByField() throws {
        let p = try parse("""
        targets: [ { url: "ws://127.0.0.1:9/ws" } ]
        websocket: { message: hello, size: 8, rate: 20, answer: any }
        \(Self.closed)
        """)
        let plan = try build(p, flags: WebSocketSettings(sizeBytes: 3, messagesPerConnection: 7, answer: .echo))
        XCTAssertEqual(plan.workload.webSocket, WebSocketPlan(payload: Array("hel".utf8), ratePerConnection: 20,
                                                              messagesPerConnection: 7, answer: .echo))
        let message = try build(p, flags: WebSocketSettings(message: Array("x".utf8)))
        XCTAssertEqual(message.workload.webSocket?.payload, Array("x.......".utf8), "the profile's size applies to the flag's message")
    }

    func testFlagsThatBreakThePayloadAreOneLine() throws {
        let p = try parse("targets: [ { url: \"ws://127.0.0.1:9/ws\" } ]\nwebsocket: { message: \"é\" }\n\(Self.closed)\n")
        XCTAssertThrowsError(try build(p, flags: WebSocketSettings(sizeBytes: 1))) { error in
            let message = (error as? BarrageError)?.message ?? ""
            XCTAssertTrue(message.contains("--ws-message/--ws-size over ws.yaml's websocket: block: not UTF-8 text"), message)
        }
        XCTAssertNoThrow(try build(p, flags: WebSocketSettings(binary: true, sizeBytes: 1)))
    }

    func testRateOverrideOnAClosedProfileNeedsMessagesPerConnection() throws {
        let p = try parse("targets: [ { url: \"ws://127.0.0.1:9/ws\" } ]\n\(Self.closed)\n")
        XCTAssertThrowsError(try build(p, override: LoadOverride(rate: 5), given: ["--rate 5"])) { error in
            XCTAssertTrue((error as? BarrageError)?.message.hasPrefix("--rate: a WebSocket open model opens connections at this rate; give --ws-messages N") == true, "\(error)")
        }
        let plan = try build(p, flags: WebSocketSettings(messagesPerConnection: 3), override: LoadOverride(rate: 5), given: ["--rate 5"])
        XCTAssertNotNil(plan.schedule)
        XCTAssertEqual(plan.overrides, ["--rate 5"])
    }

    func testCountAndConcurrencyOverridesApply() throws {
        let p = try parse("targets: [ { url: \"ws://127.0.0.1:9/ws\" } ]\n\(Self.closed)\n")
        let plan = try build(p, override: LoadOverride(requests: 12, concurrency: 2), given: ["--concurrency 2", "--requests 12"])
        XCTAssertEqual(plan.load, .closed(workers: 2, durationMicros: 10_000_000))
        XCTAssertEqual(plan.requestLimit, 12)
        XCTAssertEqual(PlanRecord(plan).websocket?.messages, 12)
    }

    func testCapacityRefusesAWebSocketProfile() throws {
        let p = try parse("""
        targets: [ { url: "ws://127.0.0.1:9/ws" } ]
        websocket: { messages: 5 }
        load: { model: open, stages: [ { duration: 2s, rate: 10 } ] }
        """)
        XCTAssertNotNil(CapacityLoad.refusal(try build(p)))
    }

    // MARK: Refusals

    func testBadValuesNameTheField() {
        let target = "targets: [ { url: \"ws://127.0.0.1:9/ws\" } ]\n"
        let cases: [(String, String)] = [
            ("websocket: { mesage: hi }", "ws.yaml:2: websocket.mesage: unknown field 'mesage' (did you mean 'message'?)"),
            ("websocket: { rate: 0 }", "ws.yaml:2: websocket.rate: expected messages per second per connection above 0"),
            ("websocket: { rate: fast }", "ws.yaml:2: websocket.rate: expected a number"),
            ("websocket: { messages: 0 }", "ws.yaml:2: websocket.messages: must be at least 1"),
            ("websocket: { size: 0 }", "ws.yaml:2: websocket.size: expected a size from 1 to 16m bytes"),
            ("websocket: { size: 17m }", "ws.yaml:2: websocket.size: expected a size from 1 to 16m bytes"),
            ("websocket: { binary: maybe }", "ws.yaml:2: websocket.binary: expected true or false"),
            ("websocket: { answer: nope }", "ws.yaml:2: websocket.answer: 'nope': expected echo, any or match:REGEX"),
            ("websocket: { answer: \"match:(\" }", "ws.yaml:2: websocket.answer: 'match:(': not a regular expression"),
            ("websocket: { message: \"\" }", "ws.yaml:2: websocket.message: the message is empty"),
            ("websocket: { message: a, message_file: b }", "ws.yaml:2: websocket.message_file: message and message_file cannot both be given"),
            ("websocket: { message_file: nope.bin }", "ws.yaml:2: websocket.message_file: cannot read nope.bin"),
            ("websocket: [ 1 ]", "ws.yaml:2: websocket: expected a mapping"),
        ]
        for (block, expected) in cases {
            let message = failure(target + block + "\n" + Self.closed + "\n")
            XCTAssertTrue(message.hasPrefix(expected), "\(block): \(message)")
        }
    }

    func testNonUTF8MessageFileNeedsBinary() throws {
        try Data([0xFF, 0xFE]).write(to: URL(fileURLWithPath: directory + "/frame.bin"))
        let message = failure("targets: [ { url: \"ws://127.0.0.1:9/ws\" } ]\nwebsocket: { message_file: frame.bin }\n\(Self.closed)\n",
                              path: directory + "/ws.yaml")
        XCTAssertTrue(message.hasSuffix("ws.yaml:2: websocket.message_file: not UTF-8 text; add binary: true to send it in binary frames"), message)
    }

    func testTargetsAndLoadAWebSocketRunCannotFollow() {
        let block = "websocket: { message: hi }\n"
        let cases: [(String, String)] = [
            ("targets: [ { url: \"http://127.0.0.1:9/\" } ]\n\(block)\(Self.closed)",
             "ws.yaml:2: websocket: only for a profile whose target is a ws:// or wss:// URL"),
            ("targets: [ { url: \"ws://127.0.0.1:9/ws\" }, { url: \"http://127.0.0.1:9/\" } ]\n\(Self.closed)",
             "ws.yaml:1: targets[1]: a WebSocket profile has one target"),
            ("targets: [ { url: \"ws://127.0.0.1:99999/ws\" } ]\n\(Self.closed)",
             "ws.yaml:1: targets[0].url: 'ws://127.0.0.1:99999/ws': port 99999 is out of range"),
            ("targets: [ { url: \"ws://127.0.0.1:9/ws\", method: POST } ]\n\(Self.closed)",
             "ws.yaml:1: targets[0].method: a WebSocket target's handshake is a GET"),
            ("targets: [ { url: \"ws://127.0.0.1:9/ws\", body: x } ]\n\(Self.closed)",
             "ws.yaml:1: targets[0].body: a WebSocket target sends websocket.message"),
            ("targets: [ { url: \"ws://127.0.0.1:9/ws\", expect: { status: 200 } } ]\n\(Self.closed)",
             "ws.yaml:1: targets[0].expect: a WebSocket handshake must answer 101"),
            ("targets: [ { url: \"ws://127.0.0.1:9/ws\", timeout: 1s } ]\n\(Self.closed)",
             "ws.yaml:1: targets[0].timeout: a WebSocket run's answer timeout is defaults.timeout"),
            ("targets: [ { url: \"ws://127.0.0.1:9/ws\" } ]\nload:\n  model: closed\n  stages: [ { duration: 1s, concurrency: 4 } ]\n",
             "ws.yaml:2: load.start_concurrency: a WebSocket run keeps its connections constant: give start_concurrency: 4"),
            ("targets: [ { url: \"ws://127.0.0.1:9/ws\" } ]\nload:\n  model: closed\n  start_concurrency: 4\n  stages:\n    - { duration: 1s, concurrency: 4 }\n    - { duration: 1s, concurrency: 8 }\n",
             "ws.yaml:7: load.stages[1].concurrency: a WebSocket run keeps its connections constant: expected 4"),
            ("targets: [ { url: \"ws://127.0.0.1:9/ws\" } ]\nload:\n  model: closed\n  start_concurrency: 4\n  think_time: 1s\n  stages: [ { duration: 1s, concurrency: 4 } ]\n",
             "ws.yaml:5: load.think_time: not for WebSocket runs"),
            ("targets: [ { url: \"ws://127.0.0.1:9/ws\" } ]\nload:\n  model: closed\n  start_concurrency: 4\n  warmup: 1s\n  stages: [ { duration: 2s, concurrency: 4 } ]\n",
             "ws.yaml:5: load.warmup: not for WebSocket runs"),
            ("targets: [ { url: \"ws://127.0.0.1:9/ws\" } ]\n\(block)load: { model: open, stages: [ { duration: 2s, rate: 10 } ] }\n",
             "ws.yaml:2: websocket.messages: is required for the open model"),
        ]
        for (text, expected) in cases {
            let message = failure(text + "\n")
            XCTAssertTrue(message.hasPrefix(expected), "expected '\(expected)', got '\(message)'")
        }
    }

    func testScenariosRefuseAWebSocketBlockInOneLine() {
        let flow = "    load: { model: closed, start_concurrency: 1, stages: [ { duration: 1s, concurrency: 1 } ] }\n    flow:\n      - { url: \"http://127.0.0.1:9/\" }\n"
        let cases: [(String, String)] = [
            ("websocket: { message: hi }\nscenarios:\n  a:\n\(flow)", "ws.yaml:1: websocket: WebSocket is not available in scenarios"),
            ("scenarios:\n  a:\n    websocket: { message: hi }\n\(flow)", "ws.yaml:3: scenarios.a.websocket: WebSocket is not available in scenarios"),
            ("scenarios:\n  a:\n    load: { model: closed, start_concurrency: 1, stages: [ { duration: 1s, concurrency: 1 } ] }\n    flow:\n      - { url: \"http://127.0.0.1:9/\", websocket: { message: hi } }\n",
             "ws.yaml:5: scenarios.a.flow[0].websocket: WebSocket is not available in scenarios"),
            ("scenarios:\n  a:\n    load: { model: closed, start_concurrency: 1, stages: [ { duration: 1s, concurrency: 1 } ] }\n    flow:\n      - { url: \"ws://127.0.0.1:9/ws\" }\n",
             "ws.yaml:5: scenarios.a.flow[0].url: 'ws://127.0.0.1:9/ws': WebSocket is not available in scenarios"),
        ]
        for (text, expected) in cases {
            let message = failure(text)
            XCTAssertTrue(message.hasPrefix(expected), "expected '\(expected)', got '\(message)'")
        }
    }
}
