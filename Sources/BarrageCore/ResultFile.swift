import Foundation

/// Result files as the commands that read them (`report`, `merge`, `compare`) load them: one place that reads a
/// file, checks its schema and decodes it, and one wording for every way that can fail (a usage error, exit 2).
public enum ResultFile {
    /// A file's bytes.
    /// - Throws: `BarrageError.usage("LABEL: cannot read the file")`; `label` defaults to the path.
    public static func contents(atPath path: String, label: String? = nil) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BarrageError.usage("\(label ?? path): cannot read the file")
        }
        return data
    }

    /// The `schema` a JSON document names, or nil when it names none (or is not a JSON object).
    public static func schema(of data: Data) -> String? {
        (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["schema"] as? String
    }

    /// Reads and decodes a run result (`barrage.result.v1`).
    public static func run(atPath path: String) throws -> RunResult {
        try run(contents(atPath: path), name: path)
    }

    /// Decodes a run result, refusing anything that is not `barrage.result.v1`.
    /// - Throws: `BarrageError.usage("NAME: not a barrage.result.v1 file (…)")` naming the schema found, its absence,
    ///   invalid JSON, or the first key that does not decode.
    public static func run(_ data: Data, name: String) throws -> RunResult {
        func refuse(_ why: String) -> BarrageError { .usage("\(name): not a \(RunResult.schemaID) file (\(why))") }
        guard let object = try? JSONSerialization.jsonObject(with: data) else { throw refuse("invalid JSON") }
        guard let document = object as? [String: Any] else { throw refuse("not a JSON object") }
        guard let schema = document["schema"] as? String else { throw refuse("no schema") }
        guard schema == RunResult.schemaID else { throw refuse("schema \(schema)") }
        do {
            return try RunResult.decode(data)
        } catch let error as DecodingError {
            throw refuse(describe(error))
        }
    }

    /// Decodes a scaling sweep (`barrage.scale.v1`).
    /// - Throws: `BarrageError.usage("NAME: not a readable barrage.scale.v1 file (…)")`.
    public static func scale(_ data: Data, name: String) throws -> ScaleResult {
        do { return try JSONDecoder().decode(ScaleResult.self, from: data) } catch {
            throw BarrageError.usage("\(name): not a readable \(ScaleResult.schemaID) file (\(error))")
        }
    }

    /// The first key that did not decode, as a path: `latency_us`, `timeline[3].rps`.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            var text = ""
            for key in keys + (last.map { [$0] } ?? []) {
                if let i = key.intValue { text += "[\(i)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "the top level" : text
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing \(path(context.codingPath, key))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "bad value at \(path(context.codingPath))"
        case .dataCorrupted(let context): return "corrupted at \(path(context.codingPath))"
        @unknown default: return "undecodable"
        }
    }
}
