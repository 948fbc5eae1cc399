/// Flags of other load tools (wrk, hey, oha, k6) that Barrage does not take, with what to write instead. (wrk's
/// `-t` and hey's `-z` are accepted as `--threads` and `--duration`.)
enum ForeignFlag {
    static let hints: [String: String] = [
        "-q": "-q: Barrage's rate is --rate REQ/S for the whole run (hey's -q is per worker: multiply it by -c)",
        "-k": "-k: keep-alive is the default (--no-keepalive turns it off); to skip TLS verification use --insecure",
        "-o": "-o: write the result with --json PATH (- for standard output)",
        "-T": "-T: set the content type with -H 'Content-Type: …'",
        "--latency": "--latency: the latency distribution is always shown",
        "--vus": "--vus: virtual users are -c/--concurrency workers (the closed model)",
    ]

    /// What to write instead of `flag` (as argument-parser names an unknown option: `-q`, `--vus`), or nil.
    static func hint(for flag: String) -> String? { hints[flag] }
}
