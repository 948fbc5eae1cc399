import ArgumentParser
import BarrageCore
import BarrageEngine

extension Barrage {
    /// `barrage version [--verbose]`: Barrage's version and, with --verbose, the libcurl loaded at run time.
    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print Barrage's version; with --verbose, the libcurl loaded and what it offers.",
            discussion: """
            The libcurl is the one loaded at run time (LD_LIBRARY_PATH picks another, e.g. 8.14.1 from Debian's \
            bookworm-backports for h2c), read from curl_version_info: its version, TLS backend, protocols and \
            features, and which Barrage capabilities it allows.

            Examples:
              barrage version
              barrage version --verbose
              LD_LIBRARY_PATH=DIR/usr/lib/x86_64-linux-gnu barrage version -v
            """
        )

        @Flag(name: [.customShort("v"), .long], help: "Also list the libcurl loaded, its TLS backend, protocols and features.")
        var verbose = false

        func run() throws {
            print("barrage \(Barrage.version)")
            guard verbose else { return }
            for line in LibcurlInfo.loaded.verboseLines(libraryPath: LibcurlInfo.loadedPath) { print(line) }
        }
    }
}
