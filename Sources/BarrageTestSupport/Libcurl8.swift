import Foundation

/// libcurl 8.x unpacked from Debian's bookworm-backports into `.build-tools/libcurl8/` by `.ci/libcurl8.sh` (never
/// installed): tests run `BarrageBinary` with `environment` to load it instead of the system's 7.88.1, and skip with
/// a line when it is absent. `BARRAGE_LIBCURL8_DIR` names another directory holding `libcurl.so.4`.
public enum Libcurl8 {
    /// The directory holding `libcurl.so.4` 8.x, nil when it has not been unpacked.
    public static var libraryDirectory: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates: [String?] = [ProcessInfo.processInfo.environment["BARRAGE_LIBCURL8_DIR"],
                          root.appendingPathComponent(".build-tools/libcurl8/usr/lib/x86_64-linux-gnu").path,
                          root.appendingPathComponent(".build-tools/libcurl8/usr/lib/aarch64-linux-gnu").path]
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0 + "/libcurl.so.4") }
    }

    /// `LD_LIBRARY_PATH` for a `BarrageBinary` run on libcurl 8.x, nil when it has not been unpacked.
    public static var environment: [String: String]? {
        libraryDirectory.map { ["LD_LIBRARY_PATH": $0] }
    }

    /// For a run on the system's libcurl whatever this process was started with (an empty `LD_LIBRARY_PATH`).
    public static let systemEnvironment = ["LD_LIBRARY_PATH": ""]

    /// Why a libcurl 8 test is skipped.
    public static let skipReason = "libcurl 8 is not unpacked in .build-tools/libcurl8 (run .ci/libcurl8.sh; it needs Debian's bookworm-backports)"

    /// The libcurl version (`8.14.1`) the binary loads with `environment`, from `barrage version --verbose`.
    public static func loadedVersion(environment: [String: String]) throws -> String? {
        let out = try BarrageBinary.run(["version", "--verbose"], timeout: 20, environment: environment)
        let line = out.stdout.split(separator: "\n").first { $0.hasPrefix("libcurl:") }
        return line.flatMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
    }
}
