/// What the libcurl loaded at run time offers: its version, TLS backend, protocols and features, as
/// `curl_version_info(CURLVERSION_NOW)` reports them (read by `BarrageEngine`'s `LibcurlInfo.loaded`). Barrage is
/// built against Debian 12's 7.88.1 headers and runs with any later libcurl 4 on `LD_LIBRARY_PATH`, so what a flag can
/// use is decided from this value, never from the headers it was built with. The parts here are pure: comparisons,
/// which capability needs which version, and the lines `barrage version --verbose` prints.
public struct LibcurlInfo: Sendable, Equatable {
    /// `version_num`: 0xXXYYZZ (8.14.1 is 0x080E01).
    public var versionNumber: Int
    /// `version`: "8.14.1".
    public var version: String
    /// `ssl_version`: "OpenSSL/3.0.19", nil without TLS.
    public var sslVersion: String?
    /// `protocols`: "http", "https", … ("ws"/"wss" only where WebSockets are enabled: 7.88.1 exports
    /// `curl_ws_send`/`curl_ws_recv` as stubs, so the symbols prove nothing).
    public var protocols: [String]
    /// `feature_names` (libcurl 7.87 and later), else the names of the known `features` bits that are set.
    public var features: [String]
    /// `host`: the build's target triple.
    public var host: String

    public init(versionNumber: Int, version: String, sslVersion: String?, protocols: [String], features: [String], host: String = "") {
        self.versionNumber = versionNumber
        self.version = version
        self.sslVersion = sslVersion
        self.protocols = protocols
        self.features = features
        self.host = host
    }

    /// 0xXXYYZZ for a version.
    public static func number(_ major: Int, _ minor: Int, _ patch: Int = 0) -> Int {
        (major << 16) | (minor << 8) | patch
    }

    /// "8.14.1" for 0x080E01.
    public static func versionString(_ number: Int) -> String {
        "\(number >> 16).\((number >> 8) & 0xFF).\(number & 0xFF)"
    }

    /// The loaded version is `major.minor.patch` or later.
    public func atLeast(_ major: Int, _ minor: Int, _ patch: Int = 0) -> Bool {
        versionNumber >= Self.number(major, minor, patch)
    }

    public var http2: Bool { features.contains("HTTP2") }
    public var http3: Bool { features.contains("HTTP3") }
    public var webSockets: Bool { protocols.contains("ws") }

    /// Something a flag or a measurement needs from the loaded libcurl.
    public enum Capability: String, CaseIterable, Sendable {
        /// `--http 2` on `http://` (prior knowledge): reused h2c connections fail before 8.0.0 (curl issue 10634).
        case h2c
        /// `CURLINFO_CONN_ID` (8.2.0): the connection a transfer used, by id. Listed by `version --verbose`, not read by
        /// the engine: ids are handed out in connection order but seen in completion order, and a multiplexed HTTP/2
        /// stream that ends while others still use its connection reads back -1 or its handle's previous id, so
        /// `connections` stays counted from `CURLINFO_NUM_CONNECTS` (bench/README.md, "CURLINFO_CONN_ID").
        case connectionID
        /// `CURLINFO_QUEUE_TIME_T` (8.6.0): the time a transfer waited inside libcurl for a connection.
        case queueTime

        /// The first libcurl version that has it.
        public var minimumVersion: Int {
            switch self {
            case .h2c: return LibcurlInfo.number(8, 0, 0)
            case .connectionID: return LibcurlInfo.number(8, 2, 0)
            case .queueTime: return LibcurlInfo.number(8, 6, 0)
            }
        }

        /// What it is, for `version --verbose` and messages.
        public var label: String {
            switch self {
            case .h2c: return "h2c (--http 2 on http://)"
            case .connectionID: return "CURLINFO_CONN_ID (not read: connections are counted from NUM_CONNECTS)"
            case .queueTime: return "CURLINFO_QUEUE_TIME_T"
            }
        }
    }

    /// The loaded libcurl has `capability`.
    public func supports(_ capability: Capability) -> Bool {
        switch capability {
        case .h2c: return versionNumber >= capability.minimumVersion && http2
        case .connectionID, .queueTime: return versionNumber >= capability.minimumVersion
        }
    }

    /// How to run Barrage with libcurl 8.x on Debian 12 without touching the system's libcurl or apt sources.
    public static let installHint = "libcurl 8.14.1 is in Debian's bookworm-backports (deb http://deb.debian.org/debian bookworm-backports main): `apt-get download libcurl4/bookworm-backports && dpkg -x libcurl4_*.deb DIR`, then run with LD_LIBRARY_PATH=DIR/usr/lib/x86_64-linux-gnu (see README, Protocols)"

    /// The one-line refusal for a flag that needs `capability`, naming the loaded version and the install line.
    public func refusal(_ capability: Capability, flag: String, reason: String) -> String {
        "\(flag) needs libcurl \(Self.versionString(capability.minimumVersion)) or later; the loaded one is \(version)\(reason.isEmpty ? "" : " (\(reason))"). \(Self.installHint)"
    }

    /// How to get a Barrage that loads a libcurl with HTTP/3: the OpenSSL flavour Barrage is linked against has none
    /// in Debian (8.14.1 from backports included), and one process cannot load both flavours.
    public static let http3BuildHint = "HTTP/3 needs Barrage's second build, linked against libcurl 8.14.1's GnuTLS flavour (ngtcp2 + nghttp3) from Debian's bookworm-backports, unpacked, not installed: `make release CURL=gnutls`, then run .build-gnutls/release/barrage (see README, Protocols)"

    /// The one-line refusal of `--http 3` when the loaded libcurl lacks the HTTP3 feature, naming it and the build.
    public var http3Refusal: String {
        "--http 3 needs a libcurl with HTTP/3; the loaded one is \(version)\(sslVersion.map { " (\($0))" } ?? "") without it. \(Self.http3BuildHint)"
    }

    /// The one-line refusal of a `ws://`/`wss://` run on a libcurl without WebSocket support (no `ws` in its protocols:
    /// Debian 12's 7.88.1, or a build without it), naming the loaded version and the install line.
    public var webSocketRefusal: String {
        "ws:// and wss:// need a libcurl with WebSocket support (8.x: ws and wss in its protocols); the loaded one is \(version), without ws in its protocols. \(Self.installHint)"
    }

    /// `barrage version --verbose`: the loaded library, its TLS backend, protocols and features, and whether it offers
    /// each capability (h2c, WebSocket, HTTP/3, the queue phase) by what it reports, not by its version alone.
    public func verboseLines(libraryPath: String?) -> [String] {
        var lines = ["libcurl:   \(version) (loaded at run time\(libraryPath.map { " from \($0)" } ?? ""))"]
        lines.append("TLS:       \(sslVersion ?? "none")")
        lines.append("protocols: \(protocols.joined(separator: " "))")
        lines.append("features:  \(features.joined(separator: " "))")
        lines.append("offers:")
        for c in Capability.allCases {
            let mark = supports(c) ? "yes" : "no (needs \(Self.versionString(c.minimumVersion)))"
            lines.append("  \(c.label): \(mark)")
        }
        lines.append("  WebSocket (ws/wss in protocols): \(webSockets ? "yes" : "no")")
        lines.append("  HTTP/3 (--http 3): \(http3 ? "yes" : "no (make release CURL=gnutls)")")
        return lines
    }
}
