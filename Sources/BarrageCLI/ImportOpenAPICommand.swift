import ArgumentParser
import Foundation
import BarrageCore

extension Barrage {
    /// `barrage import openapi SPEC`: one step per operation of an OpenAPI 3.0/3.1 document.
    struct ImportOpenAPI: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "openapi",
            abstract: "Write a load profile from an OpenAPI 3.0 or 3.1 document (YAML or JSON): one step per operation.",
            discussion: """
            Each operation becomes one step (document order, or the order of --operations), named by its \
            operationId, sent once by one virtual user. Parameters and JSON bodies get the document's examples, else \
            values derived from their schemas (said in comments); path parameters are written inline \
            (--path-variables makes them ${name} variables); local $refs are followed. servers[0] becomes \
            ${BASE_URL}; security schemes become headers with ${TOKEN} or ${API_KEY} \
            secrets, to be given with -e NAME=.... A login answering a token is captured for the bearer steps after it.

            Examples:
              barrage import openapi docs/openapi-demo.yaml -o demo.yaml
              barrage import openapi api.json --operations listPets,getPet -o pets.yaml
              barrage run demo.yaml -e BASE_URL=http://127.0.0.1:8080
            """
        )

        @Argument(help: ArgumentHelp("The OpenAPI document, .yaml or .json.", valueName: "spec"))
        var spec: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Write the profile to this file (default: standard output).", valueName: "path"))
        var output: String?

        @Option(help: ArgumentHelp("The operations to write, in this order: operationIds (or generated names such as get_api_items), comma-separated.", valueName: "ids"))
        var operations: String?

        @Option(help: ArgumentHelp("The API's base URL in place of servers[0] (what ${BASE_URL} stands for; the server's path is then not added).", valueName: "url"))
        var baseURL: String?

        @Flag(help: "Write path parameters as ${name} variables, to be given with -e name=... (default: their example, inline).")
        var pathVariables = false

        func validate() throws {
            if let baseURL {
                guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
                    throw BarrageError.usage("--base-url '\(baseURL)': expected an http:// or https:// URL")
                }
            }
            if let operations, operations.split(separator: ",").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw BarrageError.usage("--operations: expected operationIds separated by commas")
            }
        }

        func run() throws {
            guard let data = FileManager.default.contents(atPath: spec) else {
                throw BarrageError.usage("\(spec): cannot read the OpenAPI document")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw BarrageError.usage("\(spec): not UTF-8 text")
            }
            let selection = operations.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            let profile: OpenAPIProfile.Output
            do {
                let doc = try OpenAPIDocument(text: text, file: spec)
                profile = try OpenAPIProfile.render(doc, operations: selection, baseURL: baseURL, pathVariables: pathVariables)
            } catch let failure as OpenAPIDocument.Failure {
                throw BarrageError.usage(failure.message)
            }
            if let output, output != "-" {
                do {
                    try Data(profile.text.utf8).write(to: URL(fileURLWithPath: output))
                } catch {
                    throw BarrageError.usage("-o \(output): cannot write the profile (\((error as NSError).localizedDescription))")
                }
                let needs = " give " + profile.variables.map { "-e \($0)=…" }.joined(separator: " ")
                writeStderr("barrage: wrote \(output) (\(profile.stepNames.count) operations);\(needs)\n")
            } else {
                FileHandle.standardOutput.write(Data(profile.text.utf8))
            }
        }
    }
}
