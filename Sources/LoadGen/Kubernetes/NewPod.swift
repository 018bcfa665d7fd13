import CLoadGenSys
import Foundation
import Glibc

/// `loadgen eventgen --new-pod`, as Inspektor Gadget's eventgen: the generation runs in a new pod (loadgen's image,
/// unprivileged, its own network namespace), created with kubectl; its output is streamed with `kubectl logs -f`
/// and the pod deleted at the end, on failure and on Ctrl-C (the pod's loadgen gets SIGTERM and ends with its
/// report, which the log stream still carries).
struct NewPod {
    let kubectl: String
    let image: String
    let namespace: String?
    /// The `loadgen dns|http ...` arguments the pod runs.
    let arguments: [String]
    /// How long the pod may take to start (image pull, scheduling).
    var startTimeout: Double = 300

    /// The Pod: restartPolicy Never, no service-account token, the Job's unprivileged container.
    static func manifest(image: String, namespace: String?, arguments: [String]) -> JSON {
        var metadata: [(String, JSON)] = [("name", .string(EventgenPlacement.name))]
        if let namespace { metadata.append(("namespace", .string(namespace))) }
        metadata.append(("labels", K8sManifests.labels(EventgenPlacement.name)))
        return .object([
            ("apiVersion", .string("v1")),
            ("kind", .string("Pod")),
            ("metadata", .object(metadata)),
            ("spec", .object([
                ("restartPolicy", .string("Never")),
                ("automountServiceAccountToken", .bool(false)),
                ("terminationGracePeriodSeconds", .int(30)),
                ("containers", .array([K8sManifests.unprivilegedContainer(image: image, arguments: arguments)])),
            ])),
        ])
    }

    private var namespaceArguments: [String] { namespace.map { ["--namespace", $0] } ?? [] }
    private var where_: String { "\(namespace.map { $0 + "/" } ?? "")\(EventgenPlacement.name)" }

    private func kubectl(_ arguments: [String]) throws(RunFailure) -> (status: Int32, stdout: String, stderr: String) {
        try ChildCommand(executable: kubectl, arguments: arguments + namespaceArguments).capture()
    }

    /// The pod's phase, or nil when there is none.
    private func phase() throws(RunFailure) -> String? {
        let got = try kubectl(["get", "pod", EventgenPlacement.name, "--ignore-not-found", "-o", "jsonpath={.status.phase}"])
        guard got.status == 0 else {
            let last = got.stderr.split(separator: "\n").last.map(String.init) ?? "exit status \(got.status)"
            throw RunFailure("--new-pod: kubectl get pod \(where_) failed: \(last)\(ContainerTargets.kubectlHint(stderr: got.stderr).map { " (\($0))" } ?? "")")
        }
        let text = got.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let exists = try kubectl(["get", "pod", EventgenPlacement.name, "--ignore-not-found", "-o", "name"])
        return exists.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : (text.isEmpty ? "Pending" : text)
    }

    func run() throws(RunFailure) -> Int32 {
        if let phase = try phase() {
            throw RunFailure("--new-pod: pod \(where_) exists (\(phase)), from an earlier eventgen; delete it first: kubectl delete pod \(EventgenPlacement.name)\(namespace.map { " -n \($0)" } ?? "")")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("loadgen-eventgen-\(getpid()).yaml")
        do {
            try YAMLWriter.document(NewPod.manifest(image: image, namespace: namespace, arguments: arguments)).write(to: file, atomically: true, encoding: .utf8)
        } catch {
            throw RunFailure("--new-pod: cannot write the pod manifest to \(file.path): \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: file) }
        let created = try kubectl(["create", "-f", file.path])
        guard created.status == 0 else {
            throw RunFailure("--new-pod: kubectl create failed: \(created.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        defer { _ = try? kubectl(["delete", "pod", EventgenPlacement.name, "--ignore-not-found", "--wait=false"]) }
        guard try waitUntilStarted() else { return 130 }
        _ = try ChildCommand(executable: kubectl, arguments: ["logs", "-f", "pod/\(EventgenPlacement.name)"] + namespaceArguments).run { _ in
            // SIGTERM to the pod's loadgen (it stops with its report); the log stream ends with the container.
            _ = try? kubectl(["delete", "pod", EventgenPlacement.name, "--wait=false"])
        }
        return try exitCode()
    }

    /// Polls until the pod runs or has ended; false when Ctrl-C came first. Throws on timeout.
    private func waitUntilStarted() throws(RunFailure) -> Bool {
        let deadline = Date().addingTimeInterval(startTimeout)
        while Date() < deadline {
            if CLoadGenSys_early_stop_signal() != 0 { return false }
            switch try phase() {
            case "Running", "Succeeded", "Failed": return true
            case nil: throw RunFailure("--new-pod: pod \(where_) disappeared before it started")
            default: usleep(250_000)
            }
        }
        throw RunFailure("--new-pod: pod \(where_) did not start within \(Int(startTimeout)) s; see kubectl describe pod \(EventgenPlacement.name)")
    }

    /// The container's exit code once it terminated (waiting up to 30 s for the status to say so).
    private func exitCode() throws(RunFailure) -> Int32 {
        for _ in 0..<120 {
            let got = try kubectl(["get", "pod", EventgenPlacement.name, "--ignore-not-found",
                                   "-o", "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}"])
            if let code = Int32(got.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) { return code }
            if got.stdout.isEmpty, try phase() == nil { return 130 }
            usleep(250_000)
        }
        throw RunFailure("--new-pod: pod \(where_) did not report its exit code within 30 s")
    }
}
