import XCTest
@testable import BarrageCore

final class FlowTemplateTests: XCTestCase {
    private let slots = ["token": 0, "users.name": 1, "BASE_URL": 2, "ids": 3]
    private let values: [FlowValue] = [.bytes(Array("abc".utf8)), .bytes(Array("ann".utf8)), .bytes(Array("http://h".utf8)), .list([[0x31], [0x32]])]
    private let context = TemplateContext(key: FlowKey(seed: 7, scenario: 1, vu: 42, iteration: 3, step: 2), nowMillis: 1_700_000_000_123)

    private func render(_ text: String, _ ctx: TemplateContext? = nil) throws -> String {
        try Template(parsing: text).bind { self.slots[$0] }.string(values: values, context: ctx ?? context)
    }

    func testRendersTable() throws {
        let table: [(String, String)] = [
            ("", ""),
            ("plain", "plain"),
            ("${BASE_URL}/login", "http://h/login"),
            ("Bearer ${token}", "Bearer abc"),
            ("${ token }!", "abc!"),
            ("${users.name}-${vu}-${iteration}", "ann-42-3"),
            ("t=${now_ms}", "t=1700000000123"),
            ("cost: $5 and $$ and $ {x}", "cost: $5 and $$ and $ {x}"),
            ("$${token} is ${token}", "${token} is abc"),
            ("$$${token}", "$${token}"),  // leftmost `$${` wins, as in the profile loader
            ("a${token}${token}b", "aabcabcb"),
            ("${ids}", "1,2"),
            ("${random_int(5,5)}", "5"),
            ("${random_int(-3,-3)}", "-3"),
            ("ünïcode ${token} ✓", "ünïcode abc ✓"),
        ]
        for (text, want) in table {
            XCTAssertEqual(try render(text), want, text)
        }
    }

    func testParseErrorsAreOneLine() {
        let table: [(String, String)] = [
            ("${token", "unterminated '${'"),
            ("x ${", "unterminated '${'"),
            ("${}", "empty placeholder"),
            ("${  }", "empty placeholder"),
            ("${random_int(1)}", "two integers"),
            ("${random_int(a,b)}", "two integers"),
            ("${random_int(1,2,3)}", "two integers"),
            ("${random_int(5,1)}", "a ≤ b"),
            ("${random_int(1,2}", "expected random_int(a,b)"),
            ("${rand(1,2)}", "unknown function 'rand'"),
            ("${a..b}", "bad variable name"),
            ("${.a}", "bad variable name"),
            ("${a b}", "bad variable name"),
            ("${a$b}", "bad variable name"),
        ]
        for (text, fragment) in table {
            XCTAssertThrowsError(try Template(parsing: text), text) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(fragment), "\(text): \(message)")
                XCTAssertFalse(message.contains("\n"), text)
                XCTAssertEqual((error as? BarrageError)?.status, .usage, text)
            }
        }
    }

    func testNamesInOrderOnce() throws {
        let t = try Template(parsing: "${b}/${a}/${vu}/${b}/${users.name}/${uuid}/${random_int(1,2)}")
        XCTAssertEqual(t.names, ["b", "a", "users.name"])
        XCTAssertEqual(t.randomCount, 2)
        XCTAssertFalse(t.isConstant)
        XCTAssertTrue(try Template(parsing: "a $${b}").isConstant)
        XCTAssertEqual(try Template(parsing: "a $${b}").parts, [.literal(Array("a ${b}".utf8))])
    }

    func testBindNamesTheUnknownVariable() {
        XCTAssertThrowsError(try Template(parsing: "Bearer ${tokn}").bind { self.slots[$0] }) { error in
            XCTAssertEqual("\(error)", "unknown variable 'tokn'")
        }
    }

    func testRandomIntStaysInRangeAndIsKeyed() throws {
        let t = try Template(parsing: "${random_int(-2,3)}").bind { _ in nil }
        var seen = Set<String>()
        for it in 0..<400 {
            var ctx = context
            ctx.key.iteration = it
            let v = t.string(values: [], context: ctx)
            XCTAssertTrue((-2...3).contains(Int(v)!), v)
            seen.insert(v)
        }
        XCTAssertEqual(seen.count, 6, "every value of the range is drawn")
        let full = try Template(parsing: "${random_int(-9223372036854775808,9223372036854775807)}").bind { _ in nil }
        XCTAssertNotNil(Int64(full.string(values: [], context: context)))
    }

    func testSameKeySameValuesAndEachKeyPartMatters() throws {
        let t = try Template(parsing: "${uuid} ${random_int(0,1000000000)} ${uuid}").bind { _ in nil }
        let a = t.string(values: [], context: context)
        XCTAssertEqual(a, t.string(values: [], context: context), "same key, same values")
        let parts = a.split(separator: " ")
        XCTAssertNotEqual(parts[0], parts[2], "two placeholders draw two streams")
        let base = context.key
        var variants = [base]
        for change in 0..<5 {
            var k = base
            switch change {
            case 0: k.seed += 1
            case 1: k.scenario += 1
            case 2: k.vu += 1
            case 3: k.iteration += 1
            default: k.step += 1
            }
            variants.append(k)
        }
        let outputs = variants.map { t.string(values: [], context: TemplateContext(key: $0, nowMillis: 0)) }
        XCTAssertEqual(Set(outputs).count, outputs.count, "each part of the key changes the draw")
        // A later template of the same step takes later streams: not the same draws.
        let second = try Template(parsing: "${uuid}").bind(firstRandomStream: 3) { _ in nil }
        XCTAssertNotEqual(second.string(values: [], context: context), String(parts[0]))
        let first = try Template(parsing: "${uuid}").bind(firstRandomStream: 0) { _ in nil }
        XCTAssertEqual(first.string(values: [], context: context), String(parts[0]))
    }

    func testUUIDIsVersion4() throws {
        let t = try Template(parsing: "${uuid}").bind { _ in nil }
        for it in 0..<50 {
            var ctx = context
            ctx.key.iteration = it
            let u = Array(t.string(values: [], context: ctx).utf8)
            XCTAssertEqual(u.count, 36)
            for (i, c) in u.enumerated() {
                if [8, 13, 18, 23].contains(i) { XCTAssertEqual(c, UInt8(ascii: "-")) } else {
                    XCTAssertTrue(Array("0123456789abcdef".utf8).contains(c))
                }
            }
            XCTAssertEqual(u[14], UInt8(ascii: "4"))
            XCTAssertTrue(Array("89ab".utf8).contains(u[19]))
        }
    }

    func testAppendDecimal() {
        for v: Int64 in [0, 7, -7, 10, 1234567890, Int64.max, Int64.min] {
            var out: [UInt8] = [0x78]
            CompiledTemplate.appendDecimal(v, into: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), "x\(v)")
        }
    }

    func testRenderAppendsToACallerBuffer() throws {
        let t = try Template(parsing: "/${token}").bind { self.slots[$0] }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64)
        for _ in 0..<3 { t.render(values: values, context: context, into: &buffer) }
        XCTAssertEqual(String(decoding: buffer, as: UTF8.self), "/abc/abc/abc")
        XCTAssertEqual(t.string(values: [], context: context), "/", "a slot past the table renders as nothing")
    }
}
