import Foundation

/// mitmproxy's `mitmdump` for tests that need a HAR written by a real recorder (`--set hardump=FILE`).
///
/// Found, in order: `BARRAGE_MITMDUMP` (a path), a virtual environment this helper made before
/// (`$TMPDIR/barrage-mitmproxy-venv`), `mitmdump` on the `PATH` when its version is 10.1 or later (Debian's 8.1
/// cannot write HAR); else installed from PyPI into that virtual environment (`mitmproxy>=10.1,<11.1`: 11.0.x is the
/// newest for Python 3.11), once, bounded. `nil` with the reason when none of that works: the test skips with it.
public enum Mitmdump {
    public static let requirement = "mitmproxy>=10.1,<11.1"
    static var venv: URL { FileManager.default.temporaryDirectory.appendingPathComponent("barrage-mitmproxy-venv") }

    /// The `mitmdump` to run, or why there is none.
    public static func locate(installTimeoutSeconds: Double = 600) -> Result<String, Failure> {
        if let given = ProcessInfo.processInfo.environment["BARRAGE_MITMDUMP"], !given.isEmpty {
            return FileManager.default.isExecutableFile(atPath: given) ? .success(given) : .failure(Failure("BARRAGE_MITMDUMP=\(given) is not executable"))
        }
        let cached = venv.appendingPathComponent("bin/mitmdump").path
        if usable(cached) { return .success(cached) }
        if let onPath = ExternalProcess.which("mitmdump"), usable(onPath) { return .success(onPath) }
        guard let python = ExternalProcess.which("python3") else { return .failure(Failure("no python3 to install \(requirement)")) }
        let made = ExternalProcess.run(python, ["-m", "venv", venv.path], timeout: 120)
        guard made.status == 0 else { return .failure(Failure("python3 -m venv failed: \(made.lastLine)")) }
        let pip = venv.appendingPathComponent("bin/python").path
        let installed = ExternalProcess.run(pip, ["-m", "pip", "install", "-q", "--disable-pip-version-check", requirement],
                                            timeout: installTimeoutSeconds)
        guard installed.status == 0 else { return .failure(Failure("pip install '\(requirement)' failed: \(installed.lastLine)")) }
        return usable(cached) ? .success(cached) : .failure(Failure("\(cached) does not run after the install"))
    }

    /// `mitmdump --version` says `Mitmproxy: X.Y…` with X.Y at least 10.1.
    static func usable(_ path: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: path) else { return false }
        let out = ExternalProcess.run(path, ["--version"], timeout: 60).output
        guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("Mitmproxy:") }) else { return false }
        let parts = line.dropFirst("Mitmproxy:".count).trimmingCharacters(in: .whitespaces).split(separator: ".").compactMap { Int($0) }
        guard parts.count >= 2 else { return false }
        return (parts[0], parts[1]) >= (10, 1)
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }
}

/// A process other than `barrage` (mitmdump, curl, python3), its output collected into one file; always bounded.
public final class ExternalProcess: @unchecked Sendable {
    public let process: Process
    let outURL: URL

    /// Starts `executable ARGS…` with standard output and error into one file.
    public init(_ executable: String, _ arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        outURL = FileManager.default.temporaryDirectory.appendingPathComponent("barrage-ext-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let handle = try FileHandle(forWritingTo: outURL)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// The process ID, for signals to this process only.
    public var pid: Int32 { process.processIdentifier }

    public var outputSoFar: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }

    /// Waits at most `timeout` seconds for the process to end; sends SIGTERM, then SIGKILL, to this PID if it has not.
    /// Returns the exit status (nil when it had to be killed) and the output.
    @discardableResult
    public func wait(timeout: Double) -> (status: Int32?, output: String) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        var killed = false
        if process.isRunning {
            killed = true
            kill(pid, SIGTERM)
            let grace = Date().addingTimeInterval(2)
            while process.isRunning && Date() < grace { usleep(20_000) }
            if process.isRunning { kill(pid, SIGKILL) }
        }
        process.waitUntilExit()
        let output = outputSoFar
        try? FileManager.default.removeItem(at: outURL)
        return (killed ? nil : process.terminationStatus, output)
    }

    /// Runs a command to its end (bounded); status -1 when it could not start or was killed.
    public static func run(_ executable: String, _ arguments: [String], timeout: Double) -> (status: Int32, output: String, lastLine: String) {
        guard let p = try? ExternalProcess(executable, arguments) else { return (-1, "", "\(executable) did not start") }
        let r = p.wait(timeout: timeout)
        let last = r.output.split(separator: "\n").last.map(String.init) ?? (r.status == nil ? "timed out after \(Int(timeout))s" : "")
        return (r.status ?? -1, r.output, last)
    }

    /// The first executable `name` on the `PATH`.
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
