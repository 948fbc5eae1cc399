import Foundation

/// A WebSocket echo server that is not ours: PyPI `websockets`' asyncio server running
/// `Tests/Interop/ws_echo_peer.py` on 127.0.0.1, for tests of `barrage run ws://…` that hold Barrage's own counts
/// against the peer's.
///
/// It echoes every text or binary message on any path, answers pings, and counts what it received; ``stop()`` ends
/// it (SIGTERM to its PID) and returns those counts, which it prints as it exits.
///
/// ```swift
/// let peer: WebSocketsPeer
/// switch WebSocketsPeer.make() {
/// case .success(let made): peer = made
/// case .failure(let why): throw XCTSkip("websockets (\(PythonWebsockets.requirement)) is not available: \(why)")
/// }
/// let port = try peer.start()
/// // … traffic to ws://127.0.0.1:\(port)/ …
/// let counts = try peer.stop()   // counts.messages: messages the peer received
/// ```
///
/// ``start(tls:timeoutSeconds:)`` with a certificate and key (PEM files) makes it a `wss://` peer.
public final class WebSocketsPeer: @unchecked Sendable {
    /// What the peer counted between ``start(timeoutSeconds:)`` and ``stop(timeoutSeconds:)``.
    public struct Counts: Equatable, Sendable {
        /// Text and binary messages received (a fragmented message counts once).
        public var messages: Int
        /// Echoes sent (equal to `messages` unless a connection closed before its echo went out).
        public var echoed: Int
        /// WebSocket connections accepted (completed handshakes).
        public var connections: Int

        public init(messages: Int, echoed: Int, connections: Int) {
            self.messages = messages
            self.echoed = echoed
            self.connections = connections
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }

    /// The Python that runs the script (one with `websockets`, see ``PythonWebsockets``).
    public let python: String
    private var process: ExternalProcess?
    /// The port it listens on, once started.
    public private(set) var port: Int?
    /// Whether it speaks TLS (started with a certificate).
    public private(set) var isTLS = false

    /// A peer to run with `python`, which must import `websockets` (see ``make(installTimeoutSeconds:)``).
    public init(python: String) {
        self.python = python
    }

    /// A peer, with `websockets` found or installed by ``PythonWebsockets/locate(installTimeoutSeconds:)``, or why
    /// there can be none (the test skips with it).
    public static func make(installTimeoutSeconds: Double = 300) -> Result<WebSocketsPeer, PythonWebsockets.Failure> {
        PythonWebsockets.locate(installTimeoutSeconds: installTimeoutSeconds).map { WebSocketsPeer(python: $0) }
    }

    /// `ws://127.0.0.1:PORT` (`wss://` with TLS), once started.
    public var baseURL: String? { port.map { "\(isTLS ? "wss" : "ws")://127.0.0.1:\($0)" } }

    /// Starts the peer on a free loopback port and returns that port once it listens (the script prints
    /// `port N` after binding). With `tls` (PEM paths of a certificate and its key), it speaks TLS: `wss://`.
    /// Throws when it exits or says nothing within `timeoutSeconds`.
    @discardableResult
    public func start(tls: (certificate: String, key: String)? = nil, timeoutSeconds: Double = 30) throws -> Int {
        precondition(process == nil, "WebSocketsPeer started twice")
        var arguments = [PythonWebsockets.echoPeerScript, "--host", "127.0.0.1", "--port", "0"]
        if let tls { arguments += ["--cert", tls.certificate, "--key", tls.key] }
        let started = try ExternalProcess(python, arguments)
        process = started
        isTLS = tls != nil
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            let output = started.outputSoFar
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("port ") }),
                let bound = Int(line.dropFirst("port ".count).trimmingCharacters(in: .whitespaces))
            {
                port = bound
                return bound
            }
            if !started.process.isRunning { break }
            usleep(20_000)
        }
        let out = started.wait(timeout: 5).output
        process = nil
        throw Failure("ws_echo_peer.py did not start listening: \(out.split(separator: "\n").last ?? "no output")")
    }

    /// Stops the peer (SIGTERM to its PID, waiting at most `timeoutSeconds` for it to close its connections and
    /// exit) and returns what it counted. Throws when it did not print its counts.
    @discardableResult
    public func stop(timeoutSeconds: Double = 20) throws -> Counts {
        guard let running = process else { throw Failure("WebSocketsPeer was not started") }
        process = nil
        if running.process.isRunning {
            kill(running.pid, SIGTERM)
        }
        let ended = running.wait(timeout: timeoutSeconds)
        guard let line = ended.output.split(separator: "\n").last(where: { $0.hasPrefix("counts ") }),
            let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst("counts ".count).utf8)) as? [String: Any],
            let messages = object["messages"] as? Int, let echoed = object["echoed"] as? Int,
            let connections = object["connections"] as? Int
        else {
            throw Failure("ws_echo_peer.py printed no counts (exit \(ended.status.map(String.init) ?? "killed")): \(ended.output.suffix(300))")
        }
        return Counts(messages: messages, echoed: echoed, connections: connections)
    }

    deinit {
        // A test that failed before stop(): end this process only, by its PID.
        if let running = process {
            if running.process.isRunning { kill(running.pid, SIGTERM) }
            running.wait(timeout: 5)
        }
    }
}
