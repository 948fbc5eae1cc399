import Foundation

/// TLS, protocol and connection controls, set once on every easy handle.
public struct Transport: Sendable, Equatable {
    /// "1.1", "2" or "auto".
    public var httpVersion = "1.1"
    /// Reuse connections (`--no-keepalive` turns it off: a new connection per request).
    public var keepAlive = true
    public var connectTimeoutMicros: Int64 = 10_000_000
    /// Skip certificate and host name verification (loudly noted in the summary and the result).
    public var insecure = false
    public var caCert: String?
    public var clientCert: String?
    public var clientKey: String?
    /// "1.2" or "1.3".
    public var tlsMin: String?
    /// `HOST:PORT:ADDR` (libcurl's CURLOPT_RESOLVE).
    public var resolve: [String] = []
    /// `HOST:PORT:HOST2:PORT2` (CURLOPT_CONNECT_TO).
    public var connectTo: [String] = []
    /// Streams per HTTP/2 connection (nil: the server's limit).
    public var maxStreams: Int?
    /// Follow up to this many redirects (nil: do not follow).
    public var followRedirects: Int?
    /// Ask for compressed bodies (Accept-Encoding) and count decoded bytes.
    public var compressed = false
    public var proxy: String?
    public var unixSocket: String?
    /// Local source addresses, used round-robin across connections.
    public var localAddresses: [String] = []
    /// Close and reopen a connection once it is this old (whole seconds).
    public var maxConnectionAgeMicros: Int64?
    /// Open every worker's connection before the clock starts (`--preconnect`): the connect phase.
    public var preconnect = false
    /// libcurl's receive buffer per connection (`--buffer-size`, bytes); nil: automatic.
    public var bufferSize: Int?

    /// From this many connections in one process, the automatic receive buffer is 4 KB instead of libcurl's 16 KB:
    /// −12 KB per connection (−105 MB at 10,000), and no slower there (bench/README.md).
    public static let smallBufferConnections = 1_000
    public static let smallBufferBytes = 4_096

    /// The CURLOPT_BUFFERSIZE to set for a process with `connections` connections; nil: libcurl's default (16 KB).
    public func effectiveBufferSize(connections: Int) -> Int? {
        if let bufferSize { return bufferSize }
        return connections >= Self.smallBufferConnections ? Self.smallBufferBytes : nil
    }

    public init() {}
}
