import Foundation
import Glibc

extension ContainerTargets {
    /// What `kubectl get pod -o json` says about the container loadgen targets.
    struct PodContainer: Equatable, Sendable {
        /// The pod's name, as the messages show it.
        var pod: String
        var container: String
        /// 64 lower-case hex digits, without the runtime's `containerd://` (or `docker://`, `cri-o://`).
        var containerID: String
        /// The runtime the ID came from: `containerd`, `docker`, `cri-o`; empty when kubectl gave none.
        var runtime: String
        var nodeName: String
        /// A hostNetwork pod has the node's network namespace; the container's processes are in it all the same.
        var hostNetwork: Bool
    }

    /// The process to take the network namespace from for `--pod NAME [--namespace NS] [--pod-container NAME]`:
    /// runs `kubectl get pod NAME -o json`, picks the container (the one named, else the first running one),
    /// checks that the pod runs on this node and finds the container's processes with `scan`.
    ///
    /// `nodeName` is this node's name as Kubernetes knows it; nil means: the `NODE_NAME` environment variable (as
    /// a DaemonSet's downward API sets it), the host name or `HOSTNAME`. When none of those matches the pod's node,
    /// the container is still looked for in `procRoot` (a kubelet may use `--hostname-override`), and only when it
    /// is not there the pod counts as running on another node.
    static func pod(
        name: String, namespace: String?, container: String?, kubectl: String = "kubectl", nodeName: String? = nil,
        procRoot: String = "/proc"
    ) throws(ContainerTargetError) -> (containerID: String, pid: Int32) {
        try checkName(name, flag: "--pod")
        if let namespace { try checkName(namespace, flag: "--namespace") }
        if let container { try checkName(container, flag: "--pod-container") }
        let json = try runKubectl(kubectl, pod: name, namespace: namespace)
        let found = try podContainer(json: json, pod: name, container: container)

        let localNames = nodeName.map { [$0] } ?? thisNodeNames()
        let onThisNode = localNames.contains { sameNode($0, found.nodeName) }
        if let nodeName, !onThisNode {
            throw .wrongNode(pod: found.pod, podNode: found.nodeName, thisNode: nodeName)
        }
        do {
            return try scan(idPrefix: found.containerID, procRoot: procRoot)
        } catch .noMatch, .exited {
            if onThisNode {
                throw .notVisible(pod: found.pod, container: found.container, containerID: found.containerID,
                                  node: found.nodeName, procRoot: procRoot)
            }
            throw .wrongNode(pod: found.pod, podNode: found.nodeName, thisNode: localNames.first ?? "unknown")
        }
    }

    /// The container ID (64 hex digits, runtime prefix stripped) of the container `--pod-container` names, or of
    /// the first running one, in the output of `kubectl get pod NAME -o json`. When `nodeName` is given, a pod on
    /// another node is an error.
    static func parsePod(json: String, container: String?, nodeName: String?) throws(ContainerTargetError) -> String {
        try parsePod(json: Data(json.utf8), container: container, nodeName: nodeName)
    }

    /// `parsePod` for kubectl's output as bytes.
    static func parsePod(json: Data, container: String?, nodeName: String?) throws(ContainerTargetError) -> String {
        let found = try podContainer(json: json, pod: nil, container: container)
        if let nodeName, !sameNode(nodeName, found.nodeName) {
            throw .wrongNode(pod: found.pod, podNode: found.nodeName, thisNode: nodeName)
        }
        return found.containerID
    }

    /// Everything `parsePod` reads from the pod's JSON. `pod` names the pod in messages (default: its
    /// metadata.name). Checks, in order: the JSON is a pod, `container` is one of its containers, the pod has a
    /// node, the container runs, its ID is `runtime://<64 hex>`.
    static func podContainer(json: Data, pod: String?, container: String?) throws(ContainerTargetError) -> PodContainer {
        let decoded: PodJSON
        do {
            decoded = try JSONDecoder().decode(PodJSON.self, from: json)
        } catch {
            throw .notAPod(pod: pod ?? "?", detail: describe(decodingError: error))
        }
        let label = pod ?? decoded.metadata?.name ?? "?"
        if let kind = decoded.kind, kind != "Pod" {
            throw .notAPod(pod: label, detail: "its kind is \(kind)")
        }
        guard decoded.metadata != nil || decoded.spec != nil || decoded.status != nil else {
            throw .notAPod(pod: label, detail: "no metadata, spec or status")
        }

        let spec = decoded.spec
        let status = decoded.status
        let regular = spec?.containers?.map(\.name) ?? status?.containerStatuses?.map(\.name) ?? []
        let initial = spec?.initContainers?.map(\.name) ?? status?.initContainerStatuses?.map(\.name) ?? []
        let ephemeral = spec?.ephemeralContainers?.map(\.name) ?? status?.ephemeralContainerStatuses?.map(\.name) ?? []
        var statuses: [String: PodJSON.ContainerStatus] = [:]
        for list in [status?.ephemeralContainerStatuses, status?.initContainerStatuses, status?.containerStatuses] {
            for s in list ?? [] { statuses[s.name] = s }
        }

        if let container, !(regular + initial + ephemeral).contains(container) && statuses[container] == nil {
            throw .unknownContainer(pod: label, container: container, available: regular + initial + ephemeral)
        }
        guard let node = spec?.nodeName, !node.isEmpty else {
            throw .notScheduled(pod: label, phase: status?.phase, reason: status?.reason ?? status?.conditionReason)
        }

        let chosen: String
        if let container {
            guard isRunning(statuses[container]) else {
                throw .notRunning(pod: label, container: container, states: [describe(statuses[container])])
            }
            chosen = container
        } else if let first = (regular + initial + ephemeral).first(where: { isRunning(statuses[$0]) }) {
            chosen = first
        } else if regular.count == 1 {
            throw .notRunning(pod: label, container: regular[0], states: [describe(statuses[regular[0]])])
        } else {
            throw .notRunning(pod: label, container: nil, states: regular.map { "\($0): \(describe(statuses[$0]))" })
        }

        let raw = statuses[chosen]?.containerID ?? ""
        var runtime = ""
        var id = Substring(raw)
        if let scheme = id.firstRange(of: "://") {
            runtime = String(id[..<scheme.lowerBound])
            id = id[scheme.upperBound...]
        }
        guard id.utf8.count == 64, id.utf8.allSatisfy(isHexDigit) else {
            throw .badContainerID(pod: label, container: chosen, value: raw)
        }
        return PodContainer(pod: label, container: chosen, containerID: id.lowercased(), runtime: runtime,
                            nodeName: node, hostNetwork: spec?.hostNetwork ?? false)
    }

    /// Whether two names are the same node: equal ignoring case, or one is the other's first DNS label (a host
    /// name `node-a` and a node `node-a.example.internal`).
    static func sameNode(_ a: String, _ b: String) -> Bool {
        let a = a.lowercased(), b = b.lowercased()
        if a.isEmpty || b.isEmpty { return false }
        if a == b { return true }
        guard !a.contains(".") || !b.contains(".") else { return false }
        return a.split(separator: ".").first == b.split(separator: ".").first
    }

    /// The names this machine may have as a Kubernetes node: `NODE_NAME`, the host name, `HOSTNAME`.
    static func thisNodeNames() -> [String] {
        let environment = ProcessInfo.processInfo.environment
        var names: [String] = []
        if let name = environment["NODE_NAME"], !name.isEmpty { names.append(name) }
        var buffer = [UInt8](repeating: 0, count: 256)
        if buffer.withUnsafeMutableBytes({ gethostname($0.baseAddress!.assumingMemoryBound(to: CChar.self), 255) }) == 0 {
            let name = String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
            if !name.isEmpty { names.append(name) }
        }
        if let name = environment["HOSTNAME"], !name.isEmpty { names.append(name) }
        var seen: Set<String> = []
        return names.filter { seen.insert($0.lowercased()).inserted }
    }

    /// A pod, namespace or container name as Kubernetes accepts them (DNS-1123: lower case letters, digits, '-'
    /// and '.'); checked before it goes on kubectl's command line, where a leading '-' would be an option.
    static func checkName(_ name: String, flag: String) throws(ContainerTargetError) {
        func isLowerOrDigit(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) }
        let bytes = name.utf8
        guard let first = bytes.first, isLowerOrDigit(first), bytes.count <= 253,
              bytes.allSatisfy({ isLowerOrDigit($0) || $0 == 0x2d || $0 == 0x2e })
        else { throw .invalidName(flag: flag, value: name) }
    }

    // MARK: - kubectl

    /// Runs `kubectl get pod NAME [--namespace NS] --output json` and returns its stdout.
    static func runKubectl(_ kubectl: String, pod: String, namespace: String?) throws(ContainerTargetError) -> Data {
        guard let executable = findExecutable(kubectl) else { throw .kubectlMissing(kubectl: kubectl) }
        var arguments = ["get", "pod", pod]
        if let namespace { arguments += ["--namespace", namespace] }
        arguments += ["--output", "json", "--request-timeout", "30s"]
        let command = ([kubectl] + arguments).joined(separator: " ")

        let (status, stdout, stderr): (Int32, Data, String)
        do {
            (status, stdout, stderr) = try runCapturing(executable: executable, arguments: arguments)
        } catch {
            throw .kubectlMissing(kubectl: kubectl)
        }
        guard status == 0 else {
            throw .kubectlFailed(pod: pod, namespace: namespace, command: command, status: status, stderr: stderr,
                                 hint: kubectlHint(stderr: stderr))
        }
        return stdout
    }

    /// What to do when kubectl could not reach a cluster: under sudo it reads root's kubeconfig, not the user's;
    /// without any kubeconfig it tries localhost:8080.
    static func kubectlHint(stderr: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard !stderr.contains("NotFound"), environment["KUBECONFIG"] == nil else { return nil }
        if environment["SUDO_USER"] != nil {
            return "under sudo kubectl reads root's kubeconfig; keep yours with `sudo KUBECONFIG=$HOME/.kube/config loadgen ...`"
        }
        if stderr.contains("localhost:8080") {
            return "kubectl found no kubeconfig; set KUBECONFIG to one with which `kubectl get pods` works"
        }
        return nil
    }

    /// `name` itself when it contains a slash, else the first executable `name` in PATH.
    static func findExecutable(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs a command to completion with stdin from /dev/null and stdout and stderr captured in temporary files
    /// (files, not pipes: neither can fill up and stall the child).
    static func runCapturing(executable: String, arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("loadgen-kubectl-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("stdout")
        let errURL = directory.appendingPathComponent("stderr")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
              FileManager.default.createFile(atPath: errURL.path, contents: nil)
        else { throw CocoaError(.fileWriteUnknown) }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        let status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        let stdout = (try? Data(contentsOf: outURL)) ?? Data()
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        return (status, stdout, stderr)
    }

    // MARK: - The pod's JSON

    private static func isRunning(_ status: PodJSON.ContainerStatus?) -> Bool {
        status?.state?.running != nil && !(status?.containerID ?? "").isEmpty
    }

    /// `waiting: ContainerCreating`, `terminated: Error, exit code 1`, `running`, `not started`.
    private static func describe(_ status: PodJSON.ContainerStatus?) -> String {
        guard let status, let state = status.state else { return "not started" }
        if state.running != nil {
            return (status.containerID ?? "").isEmpty ? "running, but without a container ID yet" : "running"
        }
        if let waiting = state.waiting {
            return "waiting" + (waiting.reason.map { ": \($0)" } ?? "")
        }
        if let terminated = state.terminated {
            let parts = [terminated.reason, terminated.exitCode.map { "exit code \($0)" }].compactMap { $0 }
            return "terminated" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
        }
        return "not started"
    }

    private static func describe(decodingError error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted:
            return "not JSON"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.keyNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return "unexpected content at \(path.isEmpty ? "the top" : path)"
        default:
            return "\(error)"
        }
    }
}

/// The fields of `kubectl get pod -o json` that loadgen reads (a v1 Pod).
private struct PodJSON: Decodable {
    struct Metadata: Decodable {
        var name: String?
        var namespace: String?
    }

    struct Named: Decodable {
        var name: String
    }

    struct Spec: Decodable {
        var nodeName: String?
        var hostNetwork: Bool?
        var containers: [Named]?
        var initContainers: [Named]?
        var ephemeralContainers: [Named]?
    }

    struct Condition: Decodable {
        var type: String?
        var status: String?
        var reason: String?
    }

    struct Status: Decodable {
        var phase: String?
        var reason: String?
        var conditions: [Condition]?
        var containerStatuses: [ContainerStatus]?
        var initContainerStatuses: [ContainerStatus]?
        var ephemeralContainerStatuses: [ContainerStatus]?

        /// The reason of the first condition that is not true (e.g. PodScheduled: Unschedulable).
        var conditionReason: String? {
            conditions?.first { $0.status != "True" && $0.reason != nil }.flatMap { $0.reason }
        }
    }

    struct ContainerStatus: Decodable {
        var name: String
        var containerID: String?
        var state: State?
    }

    struct State: Decodable {
        struct Running: Decodable { var startedAt: String? }
        struct Waiting: Decodable { var reason: String?; var message: String? }
        struct Terminated: Decodable { var reason: String?; var exitCode: Int?; var message: String? }
        var running: Running?
        var waiting: Waiting?
        var terminated: Terminated?
    }

    var kind: String?
    var metadata: Metadata?
    var spec: Spec?
    var status: Status?
}
