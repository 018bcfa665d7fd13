import Foundation
import Testing

/// `loadgen k8s job|daemonset` (issue 11, point 6): the manifests pass kubernetes-validate 1.30 --strict, say what
/// the issue asks (Indexed, completions = parallelism, no RBAC for the Job; hostPID, the host's /run/netns and
/// /proc, only SYS_ADMIN added and a get/list-pods Role for the DaemonSet), and bad flags are refused by name.
/// Runs the release binary and the venv's validator; no cluster is needed (none can run here).
@Suite struct K8sManifestTests {
    private func render(_ arguments: [String]) async throws -> String {
        let run = try await LoadGen.run(["k8s"] + arguments, deadline: 10)
        #expect(run.exitCode == 0, "loadgen k8s \(arguments): \(run.stderr)")
        return run.stdout
    }

    /// kubernetes-validate -k 1.30.0 --strict on `yaml`.
    private func validate(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let directory = try TemporaryDirectory.make(prefix: "k8s")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("manifest.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let validator = URL(fileURLWithPath: try PythonVenv.requirePython()).deletingLastPathComponent()
            .appendingPathComponent("kubernetes-validate").path
        let outcome = try await ChildProcess([validator, "-k", "1.30.0", "--strict", file.path]).wait(seconds: 60)
        #expect(outcome.termination == .exited(0), "kubernetes-validate: \(outcome.stdout) \(outcome.stderr)\n\(yaml)",
                sourceLocation: sourceLocation)
    }

    @Test func theJobIsIndexedUnprivilegedAndValid() async throws {
        let yaml = try await render(["job", "--name", "dns-load", "--image", "localhost/loadgen:0.1.0", "--replicas", "4",
                                     "--node-selector", "kubernetes.io/os=linux", "--",
                                     "dns", "--server", "10.96.0.10", "--name", "q{seq}.example.test", "--rate", "20k", "-d", "60s"])
        try await validate(yaml)
        for line in ["kind: Job", "completionMode: \"Indexed\"", "completions: 4", "parallelism: 4", "automountServiceAccountToken: false",
                     "restartPolicy: \"Never\"", "- \"--shards\"", "- \"4\"", "- \"--start-at\"", "- \"--json\"", "- \"q{seq}.example.test\"",
                     "kubernetes.io/os: \"linux\"", "- \"ALL\""] {
            #expect(yaml.contains(line.replacingOccurrences(of: "kind: Job", with: "kind: \"Job\"")), "no '\(line)' in\n\(yaml)")
        }
        #expect(!yaml.contains("Role"), "the Job needs no RBAC")
    }

    @Test func theDaemonSetEntersNodeNamespacesWithOnlySysAdmin() async throws {
        let yaml = try await render(["daemonset", "--name", "tracer-load", "--image", "localhost/loadgen:0.1.0", "--namespace", "tests",
                                     "--", "dns", "--netns", "target", "--rate", "1k", "-d", "10m"])
        try await validate(yaml)
        let docs = yaml.components(separatedBy: "---\n")
        #expect(docs.count == 4, "ServiceAccount, Role, RoleBinding, DaemonSet:\n\(yaml)")
        for line in ["kind: \"DaemonSet\"", "hostPID: true", "path: \"/run/netns\"", "path: \"/proc\"", "- \"SYS_ADMIN\"",
                     "kind: \"Role\"", "- \"get\"", "- \"list\"", "- \"pods\"", "serviceAccountName: \"tracer-load\"", "namespace: \"tests\""] {
            #expect(yaml.contains(line), "no '\(line)' in\n\(yaml)")
        }
        #expect(!yaml.contains("privileged"), "no privileged container")
        #expect(!yaml.contains("- \"create\"") && !yaml.contains("- \"delete\""), "the Role only reads pods")
    }

    @Test("eventgen --new-pod --dry-run: a valid unprivileged Pod running the same generation, the interval to the nanosecond, --namespace as the pod's")
    func theEventgenPodIsValidAndExact() async throws {
        let run = try await LoadGen.run(["eventgen", "--type", "dns", "--params", "domain:example.com", "--server", "10.96.0.10",
                                         "--count", "100", "--interval", "1234567ns", "--new-pod", "--namespace", "tests",
                                         "--image", "registry.example/loadgen:1", "--dry-run"], deadline: 10)
        #expect(run.exitCode == 0, "\(run.stderr)")
        try await validate(run.stdout)
        for line in ["kind: \"Pod\"", "name: \"loadgen-eventgen\"", "namespace: \"tests\"", "restartPolicy: \"Never\"",
                     "image: \"registry.example/loadgen:1\"", "automountServiceAccountToken: false", "runAsNonRoot: true", "- \"ALL\""] {
            #expect(run.stdout.contains(line), "no '\(line)' in\n\(run.stdout)")
        }
        let args = run.stdout.components(separatedBy: "args:\n").last?.components(separatedBy: "securityContext").first ?? ""
        #expect(args.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } == [
            "- \"dns\"", "- \"--name\"", "- \"example.com\"", "- \"--server\"", "- \"10.96.0.10\"", "- \"--count\"", "- \"100\"",
            "- \"--interval\"", "- \"1234567ns\"",
        ], "the pod's loadgen arguments:\n\(args)")
    }

    @Test func badFlagsAreRefusedByName() async throws {
        let cases: [([String], String)] = [
            (["job", "--name", "Bad_Name", "--image", "i", "--replicas", "2", "--", "dns"], "--name"),
            (["job", "--name", "ok", "--image", "i", "--replicas", "2"], "after --"),
            (["job", "--name", "ok", "--image", "i", "--replicas", "2", "--", "dns", "--shard", "1/2"], "--shard"),
            (["daemonset", "--name", "ok", "--image", "i", "--node-selector", "nolabel", "--", "dns"], "--node-selector"),
            (["job", "--name", "ok", "--image", "i", "--replicas", "0", "--", "dns"], "--replicas"),
        ]
        for (arguments, flag) in cases {
            let run = try await LoadGen.run(["k8s"] + arguments, deadline: 10)
            #expect(run.exitCode == 2 && run.stderr.contains(flag), "\(arguments): exit \(String(describing: run.exitCode)), \(run.stderr)")
        }
    }
}
