import Foundation
import XCTest
import Yams

/// The Kubernetes manifests in deploy/kubernetes and deploy/Dockerfile, checked by parsing them: nothing here talks
/// to a cluster or a container engine. Each test pins a field the distributed flow depends on (docs/distributed.md):
/// the Indexed Job runs one pod per segment, writes its part where the merge Job looks for it, mounts the profile it
/// names, and the merge Job gates the whole run.
final class DeployManifestTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let kubernetesDir = repoRoot.appendingPathComponent("deploy").appendingPathComponent("kubernetes")
    static let dockerfile = repoRoot.appendingPathComponent("deploy").appendingPathComponent("Dockerfile")
    static let manifestFiles = ["configmap.yaml", "job.yaml", "merge-job.yaml", "pvc.yaml", "kustomization.yaml"]

    // MARK: Loading

    private func text(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        do { return try String(contentsOf: url, encoding: .utf8) } catch {
            XCTFail("cannot read \(url.path): \(error)", file: file, line: line)
            throw error
        }
    }

    /// Every YAML document of a manifest file, each a mapping.
    private func documents(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let yaml = try text(Self.kubernetesDir.appendingPathComponent(name), file: file, line: line)
        var out: [[String: Any]] = []
        for document in try Yams.load_all(yaml: yaml) {
            guard let map = document as? [String: Any] else {
                XCTFail("\(name): a document is not a mapping: \(String(describing: document))", file: file, line: line)
                continue
            }
            out.append(map)
        }
        XCTAssertFalse(out.isEmpty, "\(name) holds no document", file: file, line: line)
        return out
    }

    /// The single document of `name`, which must be of `kind`.
    private func manifest(_ name: String, kind: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let docs = try documents(name, file: file, line: line)
        XCTAssertEqual(docs.count, 1, "\(name): expected one document", file: file, line: line)
        let doc = try XCTUnwrap(docs.first, file: file, line: line)
        XCTAssertEqual(doc["kind"] as? String, kind, "\(name): kind", file: file, line: line)
        return doc
    }

    private func map(_ value: Any?, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        try XCTUnwrap(value as? [String: Any], "\(what): expected a mapping, got \(String(describing: value))", file: file, line: line)
    }

    private func list(_ value: Any?, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws -> [Any] {
        try XCTUnwrap(value as? [Any], "\(what): expected a list, got \(String(describing: value))", file: file, line: line)
    }

    /// The value at a path of keys (String) and indexes (Int), or nil.
    private func dig(_ root: Any?, _ path: Any...) -> Any? {
        var node = root
        for step in path {
            if let key = step as? String { node = (node as? [String: Any])?[key] }
            else if let index = step as? Int {
                guard let items = node as? [Any], items.indices.contains(index) else { return nil }
                node = items[index]
            } else { return nil }
        }
        return node
    }

    /// A Job's pod spec and its only container.
    private func podSpec(_ job: [String: Any], _ name: String, file: StaticString = #filePath, line: UInt = #line)
        throws -> (pod: [String: Any], container: [String: Any]) {
        let pod = try map(dig(job, "spec", "template", "spec"), "\(name) spec.template.spec", file: file, line: line)
        let containers = try list(pod["containers"], "\(name) containers", file: file, line: line)
        XCTAssertEqual(containers.count, 1, "\(name): one container", file: file, line: line)
        return (pod, try map(containers.first, "\(name) containers[0]", file: file, line: line))
    }

    /// command + args as Kubernetes runs them (the image's ENTRYPOINT `barrage` precedes args when command is absent).
    private func argv(_ container: [String: Any]) -> [String] {
        let command = (container["command"] as? [Any])?.map { "\($0)" } ?? ["barrage"]
        return command + ((container["args"] as? [Any])?.map { "\($0)" } ?? [])
    }

    /// The value following `flag` in argv.
    private func value(after flag: String, in argv: [String]) -> String? {
        guard let i = argv.firstIndex(of: flag), i + 1 < argv.count else { return nil }
        return argv[i + 1]
    }

    private func env(_ container: [String: Any]) -> [(name: String, value: String?)] {
        ((container["env"] as? [Any]) ?? []).compactMap { item in
            guard let e = item as? [String: Any], let name = e["name"] as? String else { return nil }
            return (name, e["value"].map { "\($0)" })
        }
    }

    /// The mount of the volume backing `mountPath`, and that volume.
    private func volume(at mountPath: String, pod: [String: Any], container: [String: Any], _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) throws -> (mount: [String: Any], volume: [String: Any]) {
        let mounts = try list(container["volumeMounts"], "\(what) volumeMounts", file: file, line: line).compactMap { $0 as? [String: Any] }
        let mount = try XCTUnwrap(mounts.first { $0["mountPath"] as? String == mountPath }, "\(what): nothing mounted at \(mountPath)",
                                  file: file, line: line)
        let volumes = try list(pod["volumes"], "\(what) volumes", file: file, line: line).compactMap { $0 as? [String: Any] }
        let volume = try XCTUnwrap(volumes.first { $0["name"] as? String == mount["name"] as? String },
                                   "\(what): no volume named \(String(describing: mount["name"]))", file: file, line: line)
        return (mount, volume)
    }

    private func loadJob() throws -> [String: Any] { try manifest("job.yaml", kind: "Job") }
    private func mergeJob() throws -> [String: Any] { try manifest("merge-job.yaml", kind: "Job") }

    /// N from the load Job's `--segments N`.
    private func segmentCount() throws -> Int {
        let (_, container) = try podSpec(try loadJob(), "job.yaml")
        let text = try XCTUnwrap(value(after: "--segments", in: argv(container)), "job.yaml: no --segments N")
        return try XCTUnwrap(Int(text), "--segments \(text): not a number")
    }

    // MARK: Every manifest

    func testEveryManifestParsesWithItsKindAndAPIVersion() throws {
        let expected: [String: (kind: String, apiVersion: String)] = [
            "configmap.yaml": ("ConfigMap", "v1"),
            "job.yaml": ("Job", "batch/v1"),
            "merge-job.yaml": ("Job", "batch/v1"),
            "pvc.yaml": ("PersistentVolumeClaim", "v1"),
            "kustomization.yaml": ("Kustomization", "kustomize.config.k8s.io/v1beta1"),
        ]
        XCTAssertEqual(Set(expected.keys), Set(Self.manifestFiles))
        for name in Self.manifestFiles {
            let doc = try manifest(name, kind: expected[name]!.kind)
            XCTAssertEqual(doc["apiVersion"] as? String, expected[name]!.apiVersion, "\(name): apiVersion")
            if name != "kustomization.yaml" {
                let metaName = dig(doc, "metadata", "name") as? String
                XCTAssertFalse((metaName ?? "").isEmpty, "\(name): metadata.name")
            }
        }
    }

    func testKustomizationNamesEveryManifestAndTheImage() throws {
        let k = try manifest("kustomization.yaml", kind: "Kustomization")
        let resources = try list(k["resources"], "resources").map { "\($0)" }
        XCTAssertEqual(Set(resources), Set(Self.manifestFiles.filter { $0 != "kustomization.yaml" }))
        XCTAssertEqual(resources.count, Set(resources).count, "a resource listed twice")
        // The image the Jobs name is the one kustomize rewrites.
        let imageNames = try list(k["images"], "images").compactMap { dig($0, "name") as? String }
        for (job, name) in [(try loadJob(), "job.yaml"), (try mergeJob(), "merge-job.yaml")] {
            let image = try XCTUnwrap(try podSpec(job, name).container["image"] as? String, "\(name): image")
            let repository = String(image.split(separator: ":").first ?? "")
            XCTAssertTrue(imageNames.contains(repository), "\(name): image \(image) not covered by kustomization images \(imageNames)")
        }
    }

    // MARK: The load Job

    func testLoadJobIsIndexedWithOnePodPerSegment() throws {
        let job = try loadJob()
        let n = try segmentCount()
        XCTAssertEqual(n, 3)
        XCTAssertEqual(dig(job, "spec", "completionMode") as? String, "Indexed")
        XCTAssertEqual(dig(job, "spec", "completions") as? Int, n, "completions == --segments N")
        XCTAssertEqual(dig(job, "spec", "parallelism") as? Int, n, "parallelism == --segments N: all segments run together")
        let backoff = try XCTUnwrap(dig(job, "spec", "backoffLimit") as? Int, "backoffLimit")
        XCTAssertLessThanOrEqual(backoff, n, "backoffLimit small")
        if let perIndex = dig(job, "spec", "backoffLimitPerIndex") {
            XCTAssertEqual(perIndex as? Int, 0, "a segment is never rerun late")
            XCTAssertGreaterThanOrEqual(backoff, n, "with per-index backoff the total must not cut the other segments short")
        }
        XCTAssertEqual(dig(job, "spec", "template", "spec", "restartPolicy") as? String, "Never")
    }

    func testLoadCommandRunsItsSegmentFromStartAtIntoItsPart() throws {
        let (_, container) = try podSpec(try loadJob(), "job.yaml")
        let args = argv(container)
        XCTAssertEqual(Array(args.prefix(3)), ["barrage", "run", "/profile/checkout.yaml"], "\(args)")
        XCTAssertTrue(args.contains("--segments"), "\(args)")
        XCTAssertEqual(value(after: "--start-at", in: args), "$(START_AT)")
        XCTAssertEqual(value(after: "--json", in: args), "/results/part-$(JOB_COMPLETION_INDEX).json")
        XCTAssertTrue(args.joined(separator: " ").contains("--json /results/part-$(JOB_COMPLETION_INDEX).json"))
        XCTAssertFalse(args.contains("--segment"), "--segment I/N would give every pod the same segment")

        // Every $(VAR) the kubelet expands is defined: in env, or JOB_COMPLETION_INDEX by the Job controller.
        let names = Set(env(container).map(\.name))
        for arg in args {
            var rest = Substring(arg)
            while let open = rest.range(of: "$("), let close = rest[open.upperBound...].firstIndex(of: ")") {
                let variable = String(rest[open.upperBound..<close])
                XCTAssertTrue(names.contains(variable) || variable == "JOB_COMPLETION_INDEX", "$(\(variable)) is not defined")
                rest = rest[rest.index(after: close)...]
            }
        }
        XCTAssertEqual(env(container).first?.name, "START_AT", "START_AT first: the documented patch path is env/0")
        XCTAssertTrue(names.contains("BASE_URL"), "the profile's ${BASE_URL}")

        // Threads no more than the CPUs the pod may use, or the CFS quota throttles them.
        if let threads = value(after: "--threads", in: args).flatMap(Int.init) {
            let cpu = try XCTUnwrap(dig(container, "resources", "limits", "cpu").map { "\($0)" }, "cpu limit")
            let cores = cpu.hasSuffix("m") ? (Double(cpu.dropLast()) ?? 0) / 1000 : Double(cpu) ?? 0
            XCTAssertLessThanOrEqual(Double(threads), cores, "--threads \(threads) over a CPU limit of \(cpu)")
        }
    }

    func testProfileMountedFromTheConfigMapIsTheFileTheCommandNames() throws {
        let configMap = try manifest("configmap.yaml", kind: "ConfigMap")
        let data = try map(configMap["data"], "configmap data")
        let (pod, container) = try podSpec(try loadJob(), "job.yaml")
        let (mount, volume) = try volume(at: "/profile", pod: pod, container: container, "job.yaml")
        XCTAssertEqual(mount["readOnly"] as? Bool, true, "profile mounted read-only")
        XCTAssertNil(mount["subPath"], "a subPath mount would not see ConfigMap updates and hides body_file siblings")
        XCTAssertEqual(dig(volume, "configMap", "name") as? String, dig(configMap, "metadata", "name") as? String)

        // /profile/KEY in the command is a key of the ConfigMap (through items, when the volume lists them).
        let profilePath = try XCTUnwrap(argv(container).first { $0.hasPrefix("/profile/") }, "no /profile/… in the command")
        let fileName = String(profilePath.dropFirst("/profile/".count))
        var key = fileName
        if let items = dig(volume, "configMap", "items") as? [Any] {
            let item = try XCTUnwrap(items.compactMap { $0 as? [String: Any] }.first { $0["path"] as? String == fileName },
                                     "no configMap item with path \(fileName)")
            key = try XCTUnwrap(item["key"] as? String)
        }
        let profileText = try XCTUnwrap(data[key] as? String, "ConfigMap has no key \(key) (keys: \(data.keys.sorted()))")

        // The value itself is a profile: targets and load.stages, an open-model ramp with thresholds.
        let profile = try map(try Yams.load(yaml: profileText), "\(key)")
        let targets = try list(profile["targets"], "\(key) targets")
        XCTAssertFalse(targets.isEmpty)
        for (i, target) in targets.enumerated() {
            let url = try XCTUnwrap(dig(target, "url") as? String, "targets[\(i)].url")
            XCTAssertTrue(url.hasPrefix("${BASE_URL}"), "targets[\(i)].url \(url): the base URL comes from the pod env")
            if let bodyFile = dig(target, "body_file") as? String {
                XCTAssertNotNil(data[bodyFile], "targets[\(i)].body_file \(bodyFile) is not beside the profile in the ConfigMap")
            }
        }
        let load = try map(profile["load"], "\(key) load")
        let stages = try list(load["stages"], "\(key) load.stages")
        XCTAssertGreaterThan(stages.count, 1, "a ramp has stages")
        XCTAssertEqual(load["model"] as? String, "open")
        for (i, stage) in stages.enumerated() {
            XCTAssertNotNil(dig(stage, "duration"), "load.stages[\(i)].duration")
            XCTAssertNotNil(dig(stage, "rate"), "load.stages[\(i)].rate")
        }
        XCTAssertNotNil(profile["seed"], "a seed makes the target pick and arrivals identical in every segment")
        XCTAssertFalse(try list(profile["thresholds"], "\(key) thresholds").isEmpty)
        // The pool is split like concurrency: it should divide evenly over the pods.
        if let pool = load["max_in_flight"] as? Int {
            let n = try segmentCount()
            XCTAssertEqual(pool % n, 0, "max_in_flight \(pool) over \(n) segments")
        }
    }

    // MARK: Results volume

    func testResultsVolumeIsOneReadWriteManyClaimMountedInBothJobs() throws {
        let pvc = try manifest("pvc.yaml", kind: "PersistentVolumeClaim")
        let claimName = try XCTUnwrap(dig(pvc, "metadata", "name") as? String)
        let modes = try list(dig(pvc, "spec", "accessModes"), "accessModes").map { "\($0)" }
        XCTAssertTrue(modes.contains("ReadWriteMany"), "pods on several nodes write at once: \(modes)")
        XCTAssertNotNil(dig(pvc, "spec", "resources", "requests", "storage"))
        for (job, name) in [(try loadJob(), "job.yaml"), (try mergeJob(), "merge-job.yaml")] {
            let (pod, container) = try podSpec(job, name)
            let (mount, volume) = try volume(at: "/results", pod: pod, container: container, name)
            XCTAssertEqual(dig(volume, "persistentVolumeClaim", "claimName") as? String, claimName, "\(name): /results")
            XCTAssertNotEqual(mount["readOnly"] as? Bool, true, "\(name): /results must be writable")
            XCTAssertNil(mount["subPath"], "\(name): both Jobs must see the same directory")
        }
    }

    // MARK: The merge Job

    func testMergeJobWaitsForEveryPartThenMergesWithAThreshold() throws {
        let job = try mergeJob()
        let n = try segmentCount()
        XCTAssertNotEqual(dig(job, "spec", "completionMode") as? String, "Indexed", "one merge, not indexed")
        XCTAssertNotEqual(dig(job, "spec", "parallelism") as? Int ?? 1, n, "one merge pod")
        XCTAssertEqual(dig(job, "spec", "backoffLimit") as? Int, 0, "a failed gate is final")
        XCTAssertEqual(dig(job, "spec", "template", "spec", "restartPolicy") as? String, "Never")
        let (_, container) = try podSpec(job, "merge-job.yaml")
        let script = argv(container).joined(separator: " ")
        XCTAssertTrue(script.contains("barrage merge /results/part-*.json"), script)
        XCTAssertTrue(script.contains("-o /results/merged.json"), script)
        XCTAssertTrue(script.contains("--threshold 'p99 < 250ms'"), script)
        XCTAssertTrue(script.contains("--junit /results/junit.xml"), script)
        XCTAssertTrue(script.contains("exec barrage merge"), "the merge's exit code (99 on a failed gate) must be the container's")
        // The wait loop looks for the same N parts, under the load Job's file names, and is bounded.
        XCTAssertTrue(script.contains("parts=\(n)"), "the loop waits for \(n) parts")
        XCTAssertTrue(script.contains("/results/part-$i.json"), "the loop checks the load Job's part names")
        XCTAssertTrue(script.contains("WAIT_SECONDS") && script.contains("exit 1"), "the wait is bounded")
        // The same START_AT as the load Job (parts older than it are leftovers), first in env like there.
        let loadEnv = env(try podSpec(try loadJob(), "job.yaml").container)
        XCTAssertEqual(env(container).first?.name, "START_AT")
        XCTAssertEqual(env(container).first?.value, loadEnv.first?.value, "one START_AT for both Jobs")
        XCTAssertNotNil(env(container).first { $0.name == "WAIT_SECONDS" }.flatMap { $0.value.flatMap(Int.init) })
    }

    // MARK: Resources and security

    func testBothJobsHaveResourcesAndRunNonRootOnAReadOnlyRoot() throws {
        for (job, name) in [(try loadJob(), "job.yaml"), (try mergeJob(), "merge-job.yaml")] {
            let (pod, container) = try podSpec(job, name)
            for section in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    XCTAssertNotNil(dig(container, "resources", section, resource), "\(name): resources.\(section).\(resource)")
                }
            }
            XCTAssertEqual(dig(pod, "securityContext", "runAsNonRoot") as? Bool, true, "\(name): runAsNonRoot")
            let uid = try XCTUnwrap(dig(pod, "securityContext", "runAsUser") as? Int, "\(name): runAsUser")
            XCTAssertGreaterThan(uid, 0, "\(name): runAsUser")
            XCTAssertEqual(dig(container, "securityContext", "readOnlyRootFilesystem") as? Bool, true, "\(name)")
            XCTAssertEqual(dig(container, "securityContext", "allowPrivilegeEscalation") as? Bool, false, "\(name)")
            let (_, tmp) = try volume(at: "/tmp", pod: pod, container: container, name)
            XCTAssertNotNil(tmp["emptyDir"], "\(name): /tmp is an emptyDir")
        }
        // The load pods: two whole CPUs, Guaranteed QoS (requests == limits).
        let (_, load) = try podSpec(try loadJob(), "job.yaml")
        XCTAssertEqual(dig(load, "resources", "requests", "cpu").map { "\($0)" }, "2")
        for resource in ["cpu", "memory"] {
            XCTAssertEqual(dig(load, "resources", "requests", resource).map { "\($0)" },
                           dig(load, "resources", "limits", resource).map { "\($0)" }, "job.yaml: \(resource) requests == limits")
        }
    }

    // MARK: Dockerfile

    /// The Dockerfile's instructions, continuation lines joined, comments dropped.
    private func dockerInstructions() throws -> [String] {
        var out: [String] = []
        var current = ""
        for raw in try text(Self.dockerfile).split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") { continue }
            if line.hasSuffix("\\") { current += line.dropLast() + " "; continue }
            current += line
            if !current.trimmingCharacters(in: .whitespaces).isEmpty { out.append(current.trimmingCharacters(in: .whitespaces)) }
            current = ""
        }
        return out
    }

    func testDockerfileBuildsWithSwiftAndRunsOnASlimImageAsNonRoot() throws {
        let instructions = try dockerInstructions()
        let froms = instructions.indices.filter { instructions[$0].uppercased().hasPrefix("FROM ") }
        XCTAssertEqual(froms.count, 2, "two stages: \(froms.map { instructions[$0] })")
        guard froms.count == 2 else { return }
        let build = instructions[froms[0]..<froms[1]]
        let runtime = instructions[froms[1]...]
        let buildStage = build.joined(separator: "\n")
        let runtimeStage = runtime.joined(separator: "\n")

        // The build stage's base is the official Swift image (directly or through an ARG default).
        let args = Dictionary(instructions.prefix(froms[0]).compactMap { line -> (String, String)? in
            guard line.uppercased().hasPrefix("ARG "), let eq = line.firstIndex(of: "=") else { return nil }
            return (String(line.dropFirst(4)[..<eq]).trimmingCharacters(in: .whitespaces), String(line[line.index(after: eq)...]))
        }, uniquingKeysWith: { a, _ in a })
        func image(_ from: String) -> String {
            let word = from.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            if word.hasPrefix("${"), word.hasSuffix("}") { return args[String(word.dropFirst(2).dropLast())] ?? word }
            return word
        }
        XCTAssertTrue(image(instructions[froms[0]]).hasPrefix("swift:"), "build stage: \(image(instructions[froms[0]]))")
        let runtimeImage = image(instructions[froms[1]])
        XCTAssertTrue(runtimeImage.hasPrefix("ubuntu:") || runtimeImage.hasPrefix("debian:"), "runtime stage: \(runtimeImage)")

        XCTAssertTrue(buildStage.contains("libcurl4-openssl-dev") && buildStage.contains("zlib1g-dev"), "build stage headers")
        XCTAssertTrue(buildStage.contains("swift build -c release --static-swift-stdlib"), "static Swift runtime")

        // Runtime: libcurl4 itself (not the -dev package), zlib1g and ca-certificates from apt, no toolchain.
        let aptWords = Set(runtime.filter { $0.contains("apt-get install") }
            .flatMap { $0.split(whereSeparator: { " \t&;|".contains($0) }).map(String.init) })
        for package in ["libcurl4", "zlib1g", "ca-certificates"] {
            XCTAssertTrue(aptWords.contains(package), "runtime stage installs \(package): \(aptWords.sorted())")
        }
        XCTAssertFalse(aptWords.contains { $0.hasSuffix("-dev") }, "no -dev packages at run time")
        XCTAssertTrue(runtimeStage.contains("COPY --from=build"), "the binary comes from the build stage")

        let user = try XCTUnwrap(runtime.last { $0.uppercased().hasPrefix("USER ") }, "runtime stage sets USER")
        let uid = user.dropFirst(5).split(separator: ":").first.map(String.init) ?? ""
        XCTAssertNotNil(Int(uid), "numeric USER, so runAsNonRoot can verify it: \(user)")
        XCTAssertNotEqual(Int(uid), 0, "non-root USER")
        let uidInJob = try podSpec(try loadJob(), "job.yaml").pod
        XCTAssertEqual(dig(uidInJob, "securityContext", "runAsUser") as? Int, Int(uid), "the Job runs as the image's user")
        XCTAssertEqual(runtime.last { $0.uppercased().hasPrefix("ENTRYPOINT") }, #"ENTRYPOINT ["barrage"]"#)
    }
}
