import XCTest
@testable import BarrageCore

final class HTTPURLTests: XCTestCase {
    func testGoodURLsPass() {
        for url in ["http://127.0.0.1:8080/", "https://example.com", "HTTP://a.test/x?y=1#f", "http://[::1]:8080/",
                    "http://user:pw@a.test:1/", "http://a.test:65535/%20x", "http://bücher.example/", "http://a_b.test/"] {
            XCTAssertNil(HTTPURL.problem(url), url)
        }
    }

    func testBadURLsNameTheProblem() {
        let cases: [(String, String)] = [
            ("http://127.0.0.1:99999/", "port 99999 is out of range (1-65535)"),
            ("http://127.0.0.1:0/", "port 0 is out of range (1-65535)"),
            ("http://127.0.0.1:123456789012345678901/", "port 123456789012345678901 is out of range (1-65535)"),
            ("http://127.0.0.1:80a/", "port '80a' is not a number"),
            ("http://127.0.0.1:/", "port '' is not a number"),
            ("http://127.0.0.1/a b", "contains a space (write %20)"),
            ("http://127.0.0.1/a\tb", "contains a control character (U+0009)"),
            ("http://127.0.0.1/\u{7F}", "contains a control character (U+007F)"),
            ("ftp://127.0.0.1/", "expected http:// or https://, not ftp://"),
            ("not a url", "expected http:// or https:// with a host"),
            ("127.0.0.1:8080", "expected http:// or https:// with a host"),
            ("http://", "no host"),
            ("http:///path", "no host"),
            ("http://:8080/", "no host"),
            ("http://a<b/", "'<' is not allowed in the host name"),
            ("http://[::1/", "unterminated [ in the IPv6 address"),
            ("http://[zz]/", "'[zz]' is not an IPv6 address"),
            ("http://[::1]x/", "expected :PORT after the IPv6 address"),
        ]
        for (url, expected) in cases {
            XCTAssertEqual(HTTPURL.problem(url), expected, url)
        }
    }
}
