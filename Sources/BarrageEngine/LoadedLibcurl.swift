import CLibcurl
import BarrageCore
import Foundation

extension LibcurlInfo {
    /// The libcurl this process loaded, from `curl_version_info(CURLVERSION_NOW)` (CURLVERSION_ELEVENTH in 7.88's
    /// headers: the macro does not import; a newer library answers with its own, newer struct) — its own answer, so a
    /// binary built against 7.88.1 and run with 8.x on `LD_LIBRARY_PATH` sees 8.x. `feature_names` is read only when
    /// the returned struct is new enough to have it (`age` ≥ CURLVERSION_ELEVENTH, libcurl 7.87).
    public static var loaded: LibcurlInfo {
        let data = curl_version_info(CURLVERSION_ELEVENTH).pointee
        var features: [String] = []
        if data.age.rawValue >= CURLVERSION_ELEVENTH.rawValue, let names = data.feature_names {
            features = strings(names)
        } else {
            let bits: [(Int32, String)] = [(1 << 2, "SSL"), (1 << 3, "libz"), (1 << 7, "AsynchDNS"), (1 << 16, "HTTP2"),
                                           (1 << 23, "brotli"), (1 << 25, "HTTP3"), (1 << 26, "zstd")]
            features = bits.filter { data.features & $0.0 != 0 }.map(\.1)
        }
        return LibcurlInfo(versionNumber: Int(data.version_num), version: String(cString: data.version),
                           sslVersion: data.ssl_version.map { String(cString: $0) },
                           protocols: data.protocols.map(strings) ?? [], features: features,
                           host: data.host.map { String(cString: $0) } ?? "")
    }

    /// The file the dynamic linker loaded libcurl from (`/proc/self/maps`), nil when it cannot be read.
    public static var loadedPath: String? {
        // /proc files report size 0: read to the end rather than by size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps") else { return nil }
        defer { try? handle.close() }
        let maps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        for line in maps.split(separator: "\n") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            let path = String(line[slash...])
            // The file's own name: a directory may be called libcurl-something too (.build-tools/libcurl-gnutls/).
            if path.split(separator: "/").last?.hasPrefix("libcurl") == true { return path }
        }
        return nil
    }

    /// A NULL-terminated C string array.
    private static func strings(_ list: UnsafePointer<UnsafePointer<CChar>?>) -> [String] {
        var out: [String] = []
        var i = 0
        while let s = list[i] { out.append(String(cString: s)); i += 1 }
        return out
    }
}
