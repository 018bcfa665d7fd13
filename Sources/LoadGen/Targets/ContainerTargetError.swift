import Glibc

/// Why `--container` or `--pod` found no process to take the network namespace from. Each description names the
/// flag and the value and says what would work.
enum ContainerTargetError: Error, CustomStringConvertible, Equatable {
    /// `--container` was not 4 to 64 hex digits (a `scheme://` runtime prefix is accepted and dropped).
    case invalidPrefix(String)
    /// The proc root could not be listed.
    case cannotListProcesses(procRoot: String, errno: Int32)
    /// No process is in a cgroup whose container ID starts with the prefix.
    case noMatch(prefix: String)
    /// Several container IDs start with the prefix (all of them, sorted).
    case ambiguous(prefix: String, containerIDs: [String])
    /// The container was found, but every one of its processes exited before one could be picked.
    case exited(prefix: String, containerID: String)

    /// `--pod`, `--namespace` or `--pod-container` is not a Kubernetes name.
    case invalidName(flag: String, value: String)
    /// kubectl is not installed (or not executable).
    case kubectlMissing(kubectl: String)
    /// kubectl ran and failed; `stderr` is what it said.
    case kubectlFailed(pod: String, namespace: String?, command: String, status: Int32, stderr: String, hint: String?)
    /// kubectl's output is not the JSON of one pod.
    case notAPod(pod: String, detail: String)
    /// `--pod-container` names no container of the pod; `available` lists the ones it has.
    case unknownContainer(pod: String, container: String, available: [String])
    /// The pod has no node yet.
    case notScheduled(pod: String, phase: String?, reason: String?)
    /// The chosen container (or, without `--pod-container`, every container) is not running; one line per
    /// container: `name: state`.
    case notRunning(pod: String, container: String?, states: [String])
    /// kubectl's containerID is not `runtime://<64 hex>`.
    case badContainerID(pod: String, container: String, value: String)
    /// The pod runs on another node.
    case wrongNode(pod: String, podNode: String, thisNode: String)
    /// kubectl says the container runs on this node, but no process in the proc root is in its cgroup.
    case notVisible(pod: String, container: String, containerID: String, node: String, procRoot: String)

    /// True for errors in what the user typed (exit code 2 territory); false when the target could not be found.
    var isUsageError: Bool {
        switch self {
        case .invalidPrefix, .invalidName, .unknownContainer: true
        default: false
        }
    }

    /// What kubectl said, without its klog lines (`E0514 09:12:41.412415   15336 memcache.go:265] ...`) when
    /// it also said something plainer, at most the last three lines.
    static func essentials(ofKubectlStderr stderr: String) -> String {
        let lines = stderr.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.allSatisfy(\.isWhitespace) }
        let isKlog: (String) -> Bool = { line in
            let bytes = Array(line.utf8.prefix(6))
            return bytes.count == 6 && "IWEF".utf8.contains(bytes[0]) && bytes[1...4].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
                && bytes[5] == 0x20
        }
        let plain = lines.filter { !isKlog($0) }
        return (plain.isEmpty ? lines : plain).suffix(3).joined(separator: " ")
    }

    var description: String {
        switch self {
        case .invalidPrefix(let value):
            return "--container '\(value)': a container ID is 4 to 64 hexadecimal digits, as `docker ps`, "
                + "`crictl ps` or `podman ps` show it (a prefix is enough when it is unique)"
        case .cannotListProcesses(let procRoot, let err):
            return "--container: cannot list \(procRoot): \(String(cString: strerror(err)))"
        case .noMatch(let prefix):
            return "--container '\(prefix)': no process in a container whose ID starts with '\(prefix)'; is it "
                + "running on this host? (`docker ps --no-trunc` or `crictl ps` show the IDs; inside a container "
                + "loadgen needs the host's PID namespace to see other containers)"
        case .ambiguous(let prefix, let ids):
            let shown = ids.prefix(5).map { String($0.prefix(12)) }.joined(separator: ", ")
            let more = ids.count > 5 ? " and \(ids.count - 5) more" : ""
            return "--container '\(prefix)': \(ids.count) containers have IDs starting with '\(prefix)': "
                + "\(shown)\(more); give more characters of the ID"
        case .exited(let prefix, let id):
            return "--container '\(prefix)': the processes of container \(id.prefix(12)) exited while loadgen "
                + "looked for them; is it restarting? (`docker ps` or `crictl ps` shows its state)"

        case .invalidName(let flag, let value):
            return "\(flag) '\(value)': not a Kubernetes name (lowercase letters, digits, '-' and '.', "
                + "starting with a letter or digit)"
        case .kubectlMissing(let kubectl):
            return "--pod needs kubectl in PATH ('\(kubectl)' was not found or is not executable); install "
                + "kubectl, or give --container with the container ID that `crictl ps` shows on the node"
        case .kubectlFailed(let pod, let namespace, let command, let status, let stderr, let hint):
            var text = "--pod \(pod): `\(command)` failed (exit \(status))"
            let said = Self.essentials(ofKubectlStderr: stderr)
            if !said.isEmpty { text += ": " + said }
            if let hint {
                text += "; \(hint)"
            } else if namespace == nil && stderr.contains("NotFound") {
                text += "; give --namespace NS when the pod is not in kubectl's current namespace"
            }
            return text
        case .notAPod(let pod, let detail):
            return "--pod \(pod): kubectl's output is not a pod's JSON (\(detail))"
        case .unknownContainer(let pod, let container, let available):
            let list = available.isEmpty ? "none is listed" : "its containers are \(available.joined(separator: ", "))"
            return "--pod-container '\(container)': pod \(pod) has no such container; \(list)"
        case .notScheduled(let pod, let phase, let reason):
            let state = [phase, reason].compactMap { $0 }.joined(separator: ": ")
            return "--pod \(pod): the pod is not scheduled to a node yet" + (state.isEmpty ? "" : " (\(state))")
                + "; wait until `kubectl get pod \(pod) -o wide` shows its node"
        case .notRunning(let pod, let container, let states):
            let what = container.map { "container \($0) is not running" } ?? "no container of the pod is running"
            return "--pod \(pod): \(what) (\(states.joined(separator: "; "))); wait until `kubectl get pod "
                + "\(pod)` shows it Running"
        case .badContainerID(let pod, let container, let value):
            return "--pod \(pod): container \(container) has the ID '\(value)' in kubectl's output, not "
                + "runtime://<64 hex digits>; find the container's process and give --pid PID"
        case .wrongNode(let pod, let podNode, let thisNode):
            return "--pod \(pod): pod \(pod) runs on node \(podNode), this is node \(thisNode); run loadgen there"
        case .notVisible(let pod, let container, let id, let node, let procRoot):
            return "--pod \(pod): container \(container) (\(id.prefix(12))) runs on this node (\(node)), but no "
                + "process in \(procRoot) is in its cgroup; inside a container loadgen needs the host's PID "
                + "namespace (hostPID: true)"
        }
    }
}
