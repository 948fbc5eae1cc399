import ArgumentParser
import Foundation
import BarrageCore

extension Barrage {
    /// `barrage import …`: a load profile from what users already have: curl commands, HAR recordings, OpenAPI documents.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a load profile from a recording (curl commands, HAR files, OpenAPI documents).",
            subcommands: [ImportCurl.self, ImportHar.self, ImportOpenAPI.self]
        )
    }

    struct ImportCurl: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "curl",
            abstract: "Write a load profile from curl commands (the browser's \"Copy as cURL\", bash form).",
            discussion: """
            The text holds one or more curl commands (separated by newlines, ';' or '&&'); they become one flow, in \
            order, sent once by one virtual user. Hop-by-hop and browser-only headers are dropped; secrets \
            (Authorization, Cookie, token and key headers, -u, tokens in query strings) become ${NAME} variables \
            listed at the top of the profile, to be given with -e NAME=.... An unknown curl flag is an error.

            Examples:
              barrage import curl "$(pbpaste)" -o recorded.yaml
              barrage import curl - -o recorded.yaml --base-url https://api.example.com < commands.sh
              barrage run recorded.yaml -e AUTH_TOKEN=... -e BASE_URL=http://127.0.0.1:8080
            """
        )

        @Argument(help: ArgumentHelp("The curl command(s), or - to read them from standard input.", valueName: "command"))
        var command: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Write the profile to this file (default: standard output).", valueName: "path"))
        var output: String?

        @Option(help: ArgumentHelp("URLs under this recorded prefix become ${BASE_URL}..., to be given with -e BASE_URL=....", valueName: "url"))
        var baseURL: String?

        func validate() throws {
            if let baseURL {
                guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
                    throw BarrageError.usage("--base-url '\(baseURL)': expected an http:// or https:// URL")
                }
            }
        }

        func run() throws {
            let text = try CurlInput.read(command)
            let commands = try CurlInput.parse(text)
            let profile = CurlProfile.render(commands, baseURL: baseURL)
            try ImportOutput.write(profile.text, to: output, requests: commands.reduce(0) { $0 + $1.urls.count },
                                   variables: profile.variables)
        }
    }
}

/// Where an import writes its profile: a file (with a line on standard error saying what it needs), or standard output.
enum ImportOutput {
    static func write(_ text: String, to output: String?, requests: Int, variables: [String], more: String = "") throws {
        guard let output, output != "-" else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
        } catch {
            throw BarrageError.usage("-o \(output): cannot write the profile (\((error as NSError).localizedDescription))")
        }
        let needs = variables.isEmpty ? "" : "; give " + variables.map { "-e \($0)=…" }.joined(separator: " ")
        writeStderr("barrage: wrote \(output) (\(requests) requests\(more))\(needs)\n")
    }
}

/// Curl command text as the CLI reads it (`import curl`, `run --curl`): an argument or standard input, parsed.
enum CurlInput {
    /// Standard input, read once (a command's checks and its run both read the text).
    nonisolated(unsafe) static var standardInput: String?

    static func read(_ argument: String) throws -> String {
        guard argument == "-" else { return argument }
        if let standardInput { return standardInput }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: data, encoding: .utf8) else { throw BarrageError.usage("standard input: not UTF-8 text") }
        standardInput = text
        return text
    }

    static func parse(_ text: String) throws -> [CurlCommand] {
        do {
            return try CurlCommand.parseAll(text)
        } catch let e as CurlCommand.Failure {
            throw BarrageError.usage(e.message.contains("curl") ? e.message : "curl command: " + e.message)
        }
    }
}
