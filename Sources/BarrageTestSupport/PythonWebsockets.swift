import Foundation

/// A Python with PyPI's `websockets`, for the tests that meet a WebSocket implementation that is not ours: the
/// client `Tests/Interop/ws_client.py` and the echo server `Tests/Interop/ws_echo_peer.py` (``WebSocketsPeer``).
///
/// Found, in order: `BARRAGE_WEBSOCKETS_PYTHON` (a path), the virtual environment `.ci/run` makes
/// (`$TMPDIR/barrage-websockets-venv`), `python3` on the `PATH` when it already has `websockets` 13 or later; else
/// that virtual environment is made and `websockets` installed into it from PyPI, once, bounded (into a directory of
/// its own first, renamed into place, so two test processes never share a half-made one). `nil` with the reason
/// when none of that works: the test skips with it.
public enum PythonWebsockets {
    /// What is installed: the sync client and the asyncio server APIs the scripts use exist from 13 on.
    public static let requirement = "websockets>=13,<16"
    static var venv: URL { FileManager.default.temporaryDirectory.appendingPathComponent("barrage-websockets-venv") }

    /// `Tests/Interop/` of this checkout, where the scripts are.
    public static var interopDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Interop")
    }

    /// `Tests/Interop/ws_client.py`.
    public static var clientScript: String { interopDirectory.appendingPathComponent("ws_client.py").path }
    /// `Tests/Interop/ws_echo_peer.py`.
    public static var echoPeerScript: String { interopDirectory.appendingPathComponent("ws_echo_peer.py").path }

    /// The Python to run the scripts with, or why there is none.
    public static func locate(installTimeoutSeconds: Double = 300) -> Result<String, Failure> {
        if let given = ProcessInfo.processInfo.environment["BARRAGE_WEBSOCKETS_PYTHON"], !given.isEmpty {
            return usable(given) ? .success(given) : .failure(Failure("BARRAGE_WEBSOCKETS_PYTHON=\(given) cannot import \(requirement)"))
        }
        let cached = venv.appendingPathComponent("bin/python").path
        if usable(cached) { return .success(cached) }
        guard let python = ExternalProcess.which("python3") else { return .failure(Failure("no python3 to install \(requirement)")) }
        if usable(python) { return .success(python) }
        // Made beside its final place, then renamed: a venv's `bin/python` finds its packages relative to itself.
        let staging = venv.deletingLastPathComponent().appendingPathComponent("barrage-websockets-venv.\(getpid())")
        defer { try? FileManager.default.removeItem(at: staging) }
        let made = ExternalProcess.run(python, ["-m", "venv", staging.path], timeout: 120)
        guard made.status == 0 else { return .failure(Failure("python3 -m venv failed: \(made.lastLine)")) }
        let installed = ExternalProcess.run(staging.appendingPathComponent("bin/python").path,
                                            ["-m", "pip", "install", "-q", "--disable-pip-version-check", requirement],
                                            timeout: installTimeoutSeconds)
        guard installed.status == 0 else { return .failure(Failure("pip install '\(requirement)' failed: \(installed.lastLine)")) }
        if !usable(cached) {
            // Another process may have made it meanwhile; otherwise ours takes its place.
            try? FileManager.default.removeItem(at: venv)
            try? FileManager.default.moveItem(at: staging, to: venv)
        }
        return usable(cached) ? .success(cached) : .failure(Failure("\(cached) cannot import websockets after the install"))
    }

    /// Runs `ws_client.py URL ARGS…` with `python` (bounded by `timeoutSeconds`) and returns the JSON object it
    /// prints (see the script's doc string for its keys); throws with the output when it prints none.
    public static func runClient(python: String, url: String, _ arguments: [String] = [], timeoutSeconds: Double = 60) throws -> [String: Any] {
        let run = ExternalProcess.run(python, [clientScript, url] + arguments, timeout: timeoutSeconds)
        guard let line = run.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            throw Failure("ws_client.py \(url) printed no result (exit \(run.status)): \(run.output.suffix(400))")
        }
        return object
    }

    /// Whether `python` imports `websockets` 13 or later.
    static func usable(_ python: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let check = "import sys, websockets; sys.exit(0 if int(websockets.__version__.split('.')[0]) >= 13 else 1)"
        return ExternalProcess.run(python, ["-c", check], timeout: 60).status == 0
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }
}
