import ArgumentParser
import Foundation
import BarrageCore

extension Barrage {
    /// `barrage import har FILE.har`: a browser's or a proxy's recording as a flow profile.
    struct ImportHar: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "har",
            abstract: "Write a load profile from a HAR recording (browser DevTools \"Save all as HAR\", mitmproxy's hardump).",
            discussion: """
            The recording's requests become one flow, in startedDateTime order, sent once by one virtual user. Static \
            assets (images, fonts, CSS, JS) are left out unless --include-assets; pages become groups; the recorded \
            pauses become think steps; Cookie headers are dropped (the VU's cookie jar sends what the responses set); \
            hop-by-hop and browser-only headers are dropped and secrets become ${NAME} variables as for import curl. \
            A value of 8 characters or more from an earlier JSON response that a later request repeats (a token, an \
            ID) becomes a capture on the earlier step and ${NAME} in the later one; the comments at the top say which.

            Examples:
              barrage import har recording.har -o recorded.yaml --base-url https://shop.example.com
              barrage import har recording.har --think none --include-assets
              barrage run recorded.yaml -e BASE_URL=http://127.0.0.1:8080
            """
        )

        @Argument(help: ArgumentHelp("The HAR file (JSON, HAR 1.2).", valueName: "file"))
        var file: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Write the profile to this file (default: standard output).", valueName: "path"))
        var output: String?

        @Option(help: ArgumentHelp("URLs under this recorded prefix become ${BASE_URL}..., to be given with -e BASE_URL=....", valueName: "url"))
        var baseURL: String?

        @Flag(help: "Keep static assets (images, fonts, CSS, JS).")
        var includeAssets = false

        @Option(help: ArgumentHelp("Think steps: recorded (the recorded pauses, default), none, or a fixed duration (500ms).", valueName: "recorded|none|DUR"))
        var think: String = "recorded"

        @Flag(help: "Keep the recorded Accept-Encoding (the bodies are not decoded; run with --compressed to decode them).")
        var compressed = false

        func validate() throws {
            if let baseURL {
                guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
                    throw BarrageError.usage("--base-url '\(baseURL)': expected an http:// or https:// URL")
                }
            }
            _ = try thinkChoice()
        }

        func thinkChoice() throws -> HarProfile.Think {
            switch think {
            case "recorded": return .recorded
            case "none": return .none
            default:
                guard let micros = DurationParser.micros(think) else {
                    throw BarrageError.usage("--think '\(think)': expected recorded, none or a duration (500ms, 2s)")
                }
                return .fixed(micros: micros)
            }
        }

        func run() throws {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw BarrageError.usage("\(file): cannot read the HAR file (\((error as NSError).localizedDescription))")
            }
            let profile: HarProfile.Output
            do {
                let har = try HarFile.parse(data)
                let options = HarProfile.Options(baseURL: baseURL, includeAssets: includeAssets, think: try thinkChoice(),
                                                 compressed: compressed, source: (file as NSString).lastPathComponent)
                profile = try HarProfile.render(har, options: options)
            } catch let e as HarFile.Failure {
                throw BarrageError.usage("\(file): \(e.message)")
            }
            let more = profile.captures.isEmpty ? "" : ", \(profile.captures.count) capture\(profile.captures.count == 1 ? "" : "s") proposed"
            try ImportOutput.write(profile.text, to: output, requests: profile.requests, variables: profile.variables, more: more)
        }
    }
}
