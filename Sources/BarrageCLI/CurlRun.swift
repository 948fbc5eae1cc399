import Foundation
import BarrageCore

/// `barrage run --curl 'curl …'`: the one request of a curl command as the run's target, with all of run's flags.
/// Several requests (a flow) are `barrage import curl`'s job.
enum CurlRun {
    /// The command, which must send exactly one request with a body `run` can send. With `checking`, also refuses
    /// run flags that the command already sets.
    static func command(_ argument: String, checking request: RequestOptions? = nil) throws -> CurlCommand {
        let commands = try CurlInput.parse(try CurlInput.read(argument))
        guard commands.count == 1, commands[0].urls.count == 1 else {
            throw BarrageError.usage("--curl: \(commands.reduce(0) { $0 + $1.urls.count }) requests; run --curl takes one (import several as a flow: barrage import curl … -o flow.yaml, then barrage run flow.yaml)")
        }
        let c = commands[0]
        if case .multipart = c.body {
            throw BarrageError.usage("--curl: -F (multipart) bodies are not sent by run --curl; import it (barrage import curl … -o p.yaml) and run the profile")
        }
        if let request {
            for (flag, given) in [("--method", request.methodFlag != nil), ("--body", request.body != nil),
                                  ("--body-file", request.bodyFile != nil)] where given {
                throw BarrageError.usage("\(flag): --curl sets the method and body; edit the curl command instead")
            }
            try RequestOptions.checkURL(c.urls[0])
            for h in CurlProfile.sentHeaders(c) { try RequestOptions.checkHeader(h) }
        }
        return c
    }

    /// `request` with the command's method, headers (before any -H given to run), body and -k/-L/--compressed, and its
    /// protocol unless run's `--http` is given: `--http2` on `https://` and `--http2-prior-knowledge` (h2c on
    /// `http://` too) → `--http 2`, `--http3`/`--http3-only` → `--http 3`.
    static func options(_ request: RequestOptions, from c: CurlCommand) -> RequestOptions {
        var r = request
        r.methodFlag = c.method
        r.header = CurlProfile.sentHeaders(c) + request.header
        switch c.body {
        case .text(let text): r.body = text
        case .file(let path): r.bodyFile = path
        case .none, .multipart: break
        }
        if c.insecure { r.insecure = true }
        if c.followRedirects && r.followRedirects == nil { r.followRedirects = FlagValue.Whole(argument: "50") }
        if c.compressed { r.compressed = true }
        if r.httpVersion == "1.1" {
            let https = c.urls[0].lowercased().hasPrefix("https://")
            if c.httpVersion == "2" && (https || c.priorKnowledge) { r.httpVersion = "2" }
            if c.httpVersion == "3" { r.httpVersion = "3" }
        }
        return r
    }
}
