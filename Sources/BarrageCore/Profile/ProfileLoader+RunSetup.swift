import Yams

/// Reading a scenario profile's top-level `setup:` (the run's setup, run once before any load).
extension ProfileReader {
    /// The top-level `setup:`: steps run once per run, in order, before any scenario's load; what they capture every
    /// scenario's templates may read. Environment values and built-ins only (no data set rows exist yet); groups,
    /// `repeat` and `foreach` are refused (its steps run once each).
    func readRunSetup(_ node: Node, _ path: String, keyLine: Int, dataSets: [ProfileDataSet],
                      defaultHeaders: [(node: Node, path: String)]) throws -> Flow {
        guard let items = node.sequence else { throw fail(node, path, "expected a list of steps") }
        for (i, item) in items.enumerated() {
            guard let mapping = item.mapping else { continue }
            for (key, _) in mapping {
                guard let word = key.scalar?.string, ["group", "repeat", "foreach"].contains(word) else { continue }
                throw fail(key, "\(path)[\(i)].\(word)", "\(word) is not available in the run's setup (its steps run once each, in order)")
            }
        }
        var flow = try readFlow(node, path, keyLine: keyLine, scenario: "setup", dataSets: dataSets,
                                defaultHeaders: defaultHeaders, inRunSetup: true)
        flow.iterations = 1
        return flow
    }
}
