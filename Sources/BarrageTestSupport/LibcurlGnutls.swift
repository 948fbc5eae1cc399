import Foundation

/// The second build for HTTP/3 (`make build CURL=gnutls` or `make release CURL=gnutls`): `barrage` linked against
/// libcurl 8.14.1's GnuTLS flavour, and ngtcp2's HTTP/3 server `gtlsserver`, both from Debian's bookworm-backports,
/// unpacked into `.build-tools/libcurl-gnutls/` by `.ci/libcurl-gnutls.sh` (never installed). Tests run the binary
/// with `BarrageBinary.run(…, executable: binaryPath)` and skip with a line when a part is missing.
public enum LibcurlGnutls {
    /// The package's root directory (this file is `Sources/BarrageTestSupport/LibcurlGnutls.swift`).
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The GnuTLS `barrage`: `BARRAGE_GNUTLS_BIN`, else the newer of `.build-gnutls/debug/barrage` and
    /// `.build-gnutls/release/barrage`; nil when neither was built.
    public static var binaryPath: String? {
        if let given = ProcessInfo.processInfo.environment["BARRAGE_GNUTLS_BIN"] {
            return FileManager.default.isExecutableFile(atPath: given) ? given : nil
        }
        let built = ["debug", "release"].map { root.appendingPathComponent(".build-gnutls/\($0)/barrage").path }
            .filter { FileManager.default.isExecutableFile(atPath: $0) }
        func modified(_ path: String) -> Date {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
        }
        return built.max { modified($0) < modified($1) }
    }

    /// The directory holding the unpacked `libcurl-gnutls.so.4`, `libngtcp2.so.16`, `libnghttp3.so.9`, …
    public static var libraryDirectory: String? {
        ["x86_64-linux-gnu", "aarch64-linux-gnu"]
            .map { root.appendingPathComponent(".build-tools/libcurl-gnutls/usr/lib/\($0)").path }
            .first { FileManager.default.fileExists(atPath: $0 + "/libcurl-gnutls.so.4") }
    }

    /// ngtcp2's HTTP/3 server over GnuTLS (Debian's `ngtcp2-server`), unpacked; run it with `libraryDirectory` on
    /// `LD_LIBRARY_PATH`.
    public static var serverPath: String? {
        let path = root.appendingPathComponent(".build-tools/libcurl-gnutls/usr/sbin/gtlsserver").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Why an HTTP/3 test is skipped: the parts that are missing, nil when all are there.
    public static var missing: String? {
        var parts: [String] = []
        if libraryDirectory == nil || serverPath == nil {
            parts.append("libcurl-gnutls 8 and gtlsserver are not unpacked in .build-tools/libcurl-gnutls (run .ci/libcurl-gnutls.sh; it needs Debian's bookworm-backports)")
        }
        if binaryPath == nil { parts.append("the GnuTLS build is missing (make build CURL=gnutls, or BARRAGE_GNUTLS_BIN)") }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
