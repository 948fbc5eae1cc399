import XCTest
@testable import BarrageCore

final class DurationParserTests: XCTestCase {
    func testParsesUnits() {
        let cases: [(String, Int64)] = [
            ("250ms", 250_000), ("10s", 10_000_000), ("2m", 120_000_000), ("1h", 3_600_000_000),
            ("500us", 500), ("500µs", 500), ("1.5s", 1_500_000), ("0.25ms", 250), ("1m30s", 90_000_000),
            ("0s", 0), (" 3s ", 3_000_000),
        ]
        for (text, micros) in cases {
            XCTAssertEqual(DurationParser.micros(text), micros, text)
        }
    }

    func testRejectsMalformed() {
        for text in ["", "10", "s", "10x", "-1s", "1.s", ".5s", "1..5s", "1e3s", "ms10", "10 s", "1s2", "abc", "1.2.3s"] {
            XCTAssertNil(DurationParser.micros(text), text)
        }
        XCTAssertNil(DurationParser.micros("101d"))
        XCTAssertNil(DurationParser.micros("2500h"))
    }

    func testFormatsWithUnitsPerValue() {
        XCTAssertEqual(DurationParser.format(micros: 850), "850µs")
        XCTAssertEqual(DurationParser.format(micros: 1_234), "1.23ms")
        XCTAssertEqual(DurationParser.format(micros: 12_345), "12.3ms")
        XCTAssertEqual(DurationParser.format(micros: 123_456), "123ms")
        XCTAssertEqual(DurationParser.format(micros: 1_500_000), "1.50s")
        XCTAssertEqual(DurationParser.format(micros: 12_500_000), "12.5s")
        XCTAssertEqual(DurationParser.format(micros: 125_000_000), "2m05s")
        XCTAssertEqual(DurationParser.format(micros: 7_200_000_000), "2h00m")
    }

    func testFixed() {
        XCTAssertEqual(fixed(1.005, 2), "1.00") // binary 1.005 is just below
        XCTAssertEqual(fixed(2.5, 0), "3")
        XCTAssertEqual(fixed(-0.04, 1), "0.0")
        XCTAssertEqual(fixed(-1.25, 1), "-1.3")
        XCTAssertEqual(fixed(12.0, 3), "12.000")
    }
}

final class ErrorClassTests: XCTestCase {
    func testClassifiesCurlCodes() {
        let cases: [(Int, Int, ErrorClass?)] = [
            (0, 200, nil), (0, 301, nil), (0, 399, nil), (0, 400, .status), (0, 503, .status), (0, 0, .protocol),
            (6, 0, .dns), (5, 0, .dns), (7, 0, .connect), (28, 0, .timeout), (28, 200, .timeout),
            (35, 0, .tls), (60, 0, .tls), (77, 0, .tls), (52, 0, .read), (56, 0, .read),
            (55, 0, .write), (8, 0, .protocol), (18, 200, .protocol), (16, 0, .protocol), (92, 0, .protocol),
            (1, 0, .protocol), (100, 0, .protocol), (3, 0, .other), (27, 0, .other),
        ]
        for (code, status, expected) in cases {
            XCTAssertEqual(ErrorClass.classify(curlCode: code, httpStatus: status), expected, "curl \(code) status \(status)")
        }
    }

    func testIndicesAreDenseAndStable() {
        XCTAssertEqual(ErrorClass.allCases.map(\.index), Array(0..<ErrorClass.count))
        XCTAssertEqual(ErrorClass.allCases.map(\.rawValue),
                       ["connect", "dns", "timeout", "tls", "read", "protocol", "write", "status", "other", "check", "capture"])
    }

    func testExitCodesAreTheContract() {
        XCTAssertEqual(ExitStatus.ok.rawValue, 0)
        XCTAssertEqual(ExitStatus.failure.rawValue, 1)
        XCTAssertEqual(ExitStatus.usage.rawValue, 2)
        XCTAssertEqual(ExitStatus.gateFailed.rawValue, 99)
        XCTAssertEqual(ExitStatus.interrupted.rawValue, 130)
    }
}

final class RedactionTests: XCTestCase {
    func testSecretHeadersAreMasked() {
        XCTAssertEqual(Redaction.header("Authorization: Bearer abc"), "Authorization: [REDACTED]")
        XCTAssertEqual(Redaction.header("x-api-key: k"), "x-api-key: [REDACTED]")
        XCTAssertEqual(Redaction.header("Cookie: a=b"), "Cookie: [REDACTED]")
        XCTAssertEqual(Redaction.header("Accept: */*"), "Accept: */*")
    }

    func testURLPasswordIsMasked() {
        XCTAssertEqual(Redaction.url("http://user:pw@127.0.0.1:8080/x?a=b"), "http://user:[REDACTED]@127.0.0.1:8080/x?a=b")
        XCTAssertEqual(Redaction.url("http://user@host/"), "http://user@host/")
        XCTAssertEqual(Redaction.url("http://host/a@b"), "http://host/a@b")
    }
}
