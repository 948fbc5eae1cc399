import XCTest
import BarrageCore

/// The pure parts of `LibcurlInfo`: version numbers, which capability needs which version, the refusal line and
/// `version --verbose`'s lines — no libcurl loaded.
final class LibcurlInfoTests: XCTestCase {
    private let debian12 = LibcurlInfo(versionNumber: 0x07_58_01, version: "7.88.1", sslVersion: "OpenSSL/3.0.15",
                                       protocols: ["http", "https", "ws", "wss"], features: ["HTTP2", "SSL", "libz"])
    private let backports = LibcurlInfo(versionNumber: 0x08_0E_01, version: "8.14.1", sslVersion: "OpenSSL/3.0.19",
                                        protocols: ["http", "https", "ws", "wss"], features: ["HTTP2", "SSL", "libz"])

    func testVersionNumbers() {
        XCTAssertEqual(LibcurlInfo.number(8, 14, 1), 0x08_0E_01)
        XCTAssertEqual(LibcurlInfo.versionString(0x08_0E_01), "8.14.1")
        XCTAssertEqual(LibcurlInfo.versionString(0x07_58_01), "7.88.1")
        XCTAssertTrue(backports.atLeast(8, 0))
        XCTAssertTrue(backports.atLeast(8, 14, 1))
        XCTAssertFalse(backports.atLeast(8, 14, 2))
        XCTAssertFalse(debian12.atLeast(8, 0))
        XCTAssertTrue(debian12.atLeast(7, 88))
    }

    func testWhichCapabilityNeedsWhichVersion() {
        XCTAssertEqual(LibcurlInfo.Capability.h2c.minimumVersion, LibcurlInfo.number(8, 0))
        XCTAssertEqual(LibcurlInfo.Capability.connectionID.minimumVersion, LibcurlInfo.number(8, 2))
        XCTAssertEqual(LibcurlInfo.Capability.queueTime.minimumVersion, LibcurlInfo.number(8, 6))
        for c in LibcurlInfo.Capability.allCases {
            XCTAssertFalse(debian12.supports(c), "\(c) on 7.88.1")
            XCTAssertTrue(backports.supports(c), "\(c) on 8.14.1")
        }
        var noHTTP2 = backports
        noHTTP2.features = ["SSL"]
        XCTAssertFalse(noHTTP2.supports(.h2c), "h2c needs HTTP/2 in the library")
        let eight0 = LibcurlInfo(versionNumber: LibcurlInfo.number(8, 0, 0), version: "8.0.0", sslVersion: nil, protocols: ["http"], features: ["HTTP2"])
        XCTAssertTrue(eight0.supports(.h2c))
        XCTAssertFalse(eight0.supports(.connectionID))
        XCTAssertFalse(eight0.webSockets, "ws only where the protocol list has it")
        XCTAssertTrue(debian12.webSockets)
        XCTAssertFalse(backports.http3)
    }

    func testRefusalNamesTheLoadedVersionAndTheInstallLine() {
        let line = debian12.refusal(.h2c, flag: "--http 2 on http://", reason: "curl issue 10634")
        XCTAssertFalse(line.contains("\n"))
        XCTAssertTrue(line.hasPrefix("--http 2 on http:// needs libcurl 8.0.0 or later; the loaded one is 7.88.1 (curl issue 10634)."), line)
        XCTAssertTrue(line.contains("deb http://deb.debian.org/debian bookworm-backports main"), line)
        XCTAssertTrue(line.contains("LD_LIBRARY_PATH=DIR/usr/lib/x86_64-linux-gnu"), line)
    }

    func testVerboseLines() {
        let lines = backports.verboseLines(libraryPath: "/x/libcurl.so.4.8.0")
        XCTAssertEqual(lines[0], "libcurl:   8.14.1 (loaded at run time from /x/libcurl.so.4.8.0)")
        XCTAssertEqual(lines[1], "TLS:       OpenSSL/3.0.19")
        XCTAssertEqual(lines[2], "protocols: http https ws wss")
        XCTAssertTrue(lines.contains("  h2c (--http 2 on http://): yes"))
        XCTAssertTrue(debian12.verboseLines(libraryPath: nil).contains("  CURLINFO_QUEUE_TIME_T: no (needs 8.6.0)"))
        XCTAssertEqual(debian12.verboseLines(libraryPath: nil)[0], "libcurl:   7.88.1 (loaded at run time)")
        XCTAssertTrue(backports.verboseLines(libraryPath: nil).contains("  HTTP/3 (--http 3): no (make release CURL=gnutls)"))
        XCTAssertTrue(gnutls.verboseLines(libraryPath: nil).contains("  HTTP/3 (--http 3): yes"))
    }

    /// Debian's GnuTLS flavour from bookworm-backports, as `curl_version_info` describes it.
    private let gnutls = LibcurlInfo(versionNumber: 0x08_0E_01, version: "8.14.1", sslVersion: "GnuTLS/3.7.9",
                                     protocols: ["http", "https", "ws", "wss"], features: ["HTTP2", "HTTP3", "SSL"])

    func testHTTP3RefusalNamesTheLoadedLibcurlAndTheGnuTLSBuild() {
        XCTAssertTrue(gnutls.http3)
        for info in [debian12, backports] {
            let line = info.http3Refusal
            XCTAssertFalse(line.contains("\n"), line)
            XCTAssertTrue(line.hasPrefix("--http 3 needs a libcurl with HTTP/3; the loaded one is \(info.version) (\(info.sslVersion!)) without it."), line)
            XCTAssertTrue(line.contains("make release CURL=gnutls"), line)
            XCTAssertTrue(line.contains(".build-gnutls/release/barrage"), line)
        }
    }
}
