import Foundation
import Glibc
import Testing
@testable import LoadGen

/// `--pod`: reading recorded `kubectl get pod -o json` outputs, and the whole path with a stand-in kubectl.
@Suite struct ContainerTargetsPodTests {
    typealias R = KubectlRecordings

    // MARK: parsePod

    @Test("the first running container of a pod on this node, without the containerd:// prefix")
    func firstRunningContainer() throws {
        #expect(try ContainerTargets.parsePod(json: R.runningTwoContainers, container: nil, nodeName: "node-a") == R.webAppID)
        // Without a node name there is no node check.
        #expect(try ContainerTargets.parsePod(json: R.runningTwoContainers, container: nil, nodeName: nil) == R.webAppID)
        let found = try ContainerTargets.podContainer(json: Data(R.runningTwoContainers.utf8), pod: nil, container: nil)
        #expect(found == ContainerTargets.PodContainer(pod: "web-7d9c5b6f4d-x2k8q", container: "app", containerID: R.webAppID,
                                                       runtime: "containerd", nodeName: "node-a", hostNetwork: false))
    }

    @Test("--pod-container picks the named container")
    func namedContainer() throws {
        #expect(try ContainerTargets.parsePod(json: R.runningTwoContainers, container: "metrics-sidecar", nodeName: "node-a")
            == R.webSidecarID)
        #expect(try ContainerTargets.parsePod(json: R.runningTwoContainers, container: "app", nodeName: "node-a") == R.webAppID)
    }

    @Test("node names match ignoring case and the domain of a host name")
    func nodeNameMatching() throws {
        for name in ["NODE-A", "node-a.example.internal"] {
            #expect(try ContainerTargets.parsePod(json: R.runningTwoContainers, container: nil, nodeName: name) == R.webAppID)
        }
        #expect(try ContainerTargets.parsePod(json: R.runningOnNodeB, container: nil, nodeName: "node-b") == TestIDs.crio)
        #expect(ContainerTargets.sameNode("node-b", "node-b.europe-west1-b.c.example.internal"))
        #expect(!ContainerTargets.sameNode("node-b.other.internal", "node-b.europe-west1-b.c.example.internal"))
        #expect(!ContainerTargets.sameNode("node-a", "node-ab"))
        #expect(!ContainerTargets.sameNode("", ""))
    }

    @Test("a pod on another node says where it runs and where loadgen runs")
    func wrongNode() {
        let expected = ContainerTargetError.wrongNode(pod: "cache-5f6b8c9d7-qm4zt",
                                                      podNode: "node-b.europe-west1-b.c.example.internal", thisNode: "node-a")
        #expect(throws: expected) {
            try ContainerTargets.parsePod(json: R.runningOnNodeB, container: nil, nodeName: "node-a")
        }
        #expect(expected.description == "--pod cache-5f6b8c9d7-qm4zt: pod cache-5f6b8c9d7-qm4zt runs on node "
            + "node-b.europe-west1-b.c.example.internal, this is node node-a; run loadgen there")
        #expect(throws: ContainerTargetError.wrongNode(pod: "web-7d9c5b6f4d-x2k8q", podNode: "node-a", thisNode: "node-b")) {
            try ContainerTargets.parsePod(json: R.runningTwoContainers, container: nil, nodeName: "node-b")
        }
    }

    @Test("a waiting container is not running, with the reason")
    func waitingContainer() {
        let expected = ContainerTargetError.notRunning(pod: "db-0", container: "postgres", states: ["waiting: ImagePullBackOff"])
        #expect(throws: expected) {
            try ContainerTargets.parsePod(json: R.pendingImagePull, container: nil, nodeName: "node-a")
        }
        #expect(throws: expected) {
            try ContainerTargets.parsePod(json: R.pendingImagePull, container: "postgres", nodeName: "node-a")
        }
        #expect(expected.description == "--pod db-0: container postgres is not running (waiting: ImagePullBackOff); "
            + "wait until `kubectl get pod db-0` shows it Running")
    }

    @Test("terminated containers are not running, with reason and exit code")
    func terminatedContainers() {
        let expected = ContainerTargetError.notRunning(
            pod: "migrate-8k2lx", container: nil,
            states: ["migrate: terminated: Error, exit code 1", "proxy: terminated: Completed, exit code 0"])
        #expect(throws: expected) {
            try ContainerTargets.parsePod(json: R.failedJob, container: nil, nodeName: "node-a")
        }
        #expect(expected.description.hasPrefix("--pod migrate-8k2lx: no container of the pod is running (migrate: "
            + "terminated: Error, exit code 1; proxy: terminated: Completed, exit code 0)"))
        // A finished init container named explicitly.
        #expect(throws: ContainerTargetError.notRunning(pod: "web-7d9c5b6f4d-x2k8q", container: "init-config",
                                                        states: ["terminated: Completed, exit code 0"])) {
            try ContainerTargets.parsePod(json: R.runningTwoContainers, container: "init-config", nodeName: "node-a")
        }
    }

    @Test("an unscheduled pod says it has no node yet, with the scheduler's reason")
    func unscheduled() {
        let expected = ContainerTargetError.notScheduled(pod: "big-batch", phase: "Pending", reason: "Unschedulable")
        #expect(throws: expected) {
            try ContainerTargets.parsePod(json: R.unschedulable, container: nil, nodeName: "node-a")
        }
        #expect(expected.description == "--pod big-batch: the pod is not scheduled to a node yet (Pending: Unschedulable); "
            + "wait until `kubectl get pod big-batch -o wide` shows its node")
    }

    @Test("--pod-container naming no container lists the pod's containers")
    func unknownContainer() {
        let expected = ContainerTargetError.unknownContainer(pod: "web-7d9c5b6f4d-x2k8q", container: "nginx",
                                                             available: ["app", "metrics-sidecar", "init-config"])
        #expect(throws: expected) {
            try ContainerTargets.parsePod(json: R.runningTwoContainers, container: "nginx", nodeName: "node-a")
        }
        #expect(expected.description == "--pod-container 'nginx': pod web-7d9c5b6f4d-x2k8q has no such container; its "
            + "containers are app, metrics-sidecar, init-config")
        #expect(expected.isUsageError)
        // Checked before the node: a typo is reported even from the wrong node.
        #expect(throws: expected) {
            try ContainerTargets.parsePod(json: R.runningTwoContainers, container: "nginx", nodeName: "node-b")
        }
    }

    @Test("the runtime prefix is stripped, whichever runtime", arguments: ["containerd", "docker", "cri-o"])
    func runtimePrefixes(runtime: String) throws {
        let json = R.runningTwoContainers.replacingOccurrences(of: "containerd://", with: "\(runtime)://")
        #expect(try ContainerTargets.parsePod(json: json, container: nil, nodeName: "node-a") == R.webAppID)
        #expect(try ContainerTargets.podContainer(json: Data(json.utf8), pod: nil, container: nil).runtime == runtime)
    }

    @Test("a container ID that is not 64 hex digits is reported with what kubectl said")
    func badContainerID() throws {
        let json = R.runningTwoContainers.replacingOccurrences(
            of: "containerd://\(R.webAppID)", with: "containerd://not-a-hex-id")
        #expect(throws: ContainerTargetError.badContainerID(pod: "web-7d9c5b6f4d-x2k8q", container: "app",
                                                            value: "containerd://not-a-hex-id")) {
            try ContainerTargets.parsePod(json: json, container: nil, nodeName: "node-a")
        }
        // A running container without an ID yet does not count as running: the next one is taken.
        let noID = R.runningTwoContainers.replacingOccurrences(of: "\"containerID\": \"containerd://\(R.webAppID)\",", with: "")
        #expect(try ContainerTargets.parsePod(json: noID, container: nil, nodeName: "node-a") == R.webSidecarID)
    }

    @Test("output that is not one pod is rejected")
    func notAPod() {
        #expect(throws: ContainerTargetError.notAPod(pod: "?", detail: "its kind is List")) {
            try ContainerTargets.parsePod(json: R.list, container: nil, nodeName: nil)
        }
        #expect(throws: ContainerTargetError.notAPod(pod: "?", detail: "not JSON")) {
            try ContainerTargets.parsePod(json: "NAME READY STATUS\nweb 1/1 Running", container: nil, nodeName: nil)
        }
        #expect(throws: ContainerTargetError.notAPod(pod: "?", detail: "no metadata, spec or status")) {
            try ContainerTargets.parsePod(json: "{}", container: nil, nodeName: nil)
        }
    }

    @Test("names that are not Kubernetes names are usage errors before kubectl runs")
    func invalidNames() {
        for (flag, name, namespace, container) in [
            ("--pod", "-A", nil, nil), ("--pod", "Web", nil, nil), ("--pod", "", nil, nil),
            ("--namespace", "web", "--all", nil), ("--pod-container", "web", nil, "a b"),
        ] as [(String, String, String?, String?)] {
            let value = flag == "--pod" ? name : flag == "--namespace" ? namespace! : container!
            #expect(throws: ContainerTargetError.invalidName(flag: flag, value: value)) {
                try ContainerTargets.pod(name: name, namespace: namespace, container: container,
                                         kubectl: "/nonexistent/kubectl")
            }
        }
        #expect(ContainerTargetError.invalidName(flag: "--pod", value: "Web").isUsageError)
    }

    // MARK: pod() with a stand-in kubectl and a fake /proc

    /// A shell script standing in for kubectl: records its arguments, prints `stdout`, `stderr`, exits `status`.
    final class FakeKubectl {
        let directory: URL
        var path: String { directory.appendingPathComponent("kubectl").path }
        var argumentsPath: String { directory.appendingPathComponent("args").path }

        init(stdout: String, stderr: String = "", status: Int32 = 0) throws {
            directory = try TemporaryDirectory.make(prefix: "kubectl")
            try Data(stdout.utf8).write(to: directory.appendingPathComponent("out"))
            try Data(stderr.utf8).write(to: directory.appendingPathComponent("err"))
            let script = """
            #!/bin/sh
            printf '%s\\n' "$@" > '\(argumentsPath)'
            cat '\(directory.appendingPathComponent("out").path)'
            cat '\(directory.appendingPathComponent("err").path)' >&2
            exit \(status)

            """
            try Data(script.utf8).write(to: directory.appendingPathComponent("kubectl"))
            chmod(path, 0o755)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        var arguments: [String] {
            ((try? String(contentsOfFile: argumentsPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    @Test("pod(): kubectl's answer, then the container's lowest PID in /proc")
    func podEndToEnd() throws {
        let kubectl = try FakeKubectl(stdout: R.runningTwoContainers)
        let proc = try FakeProcRoot()
        let slice = "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podce482f02_2834_4229_832a_2e38183e7511.slice"
        try proc.add(2201, cgroup: "\(slice)/cri-containerd-\(R.webAppID).scope\n")
        try proc.add(2245, cgroup: "\(slice)/cri-containerd-\(R.webAppID).scope\n")
        try proc.add(2260, cgroup: "\(slice)/cri-containerd-\(R.webSidecarID).scope\n")
        let found = try ContainerTargets.pod(name: "web-7d9c5b6f4d-x2k8q", namespace: "shop", container: nil,
                                             kubectl: kubectl.path, nodeName: "node-a", procRoot: proc.path)
        #expect(found == (R.webAppID, 2201))
        #expect(kubectl.arguments == ["get", "pod", "web-7d9c5b6f4d-x2k8q", "--namespace", "shop", "--output", "json",
                                      "--request-timeout", "30s"])
        let sidecar = try ContainerTargets.pod(name: "web-7d9c5b6f4d-x2k8q", namespace: nil, container: "metrics-sidecar",
                                               kubectl: kubectl.path, nodeName: "node-a", procRoot: proc.path)
        #expect(sidecar == (R.webSidecarID, 2260))
        #expect(!kubectl.arguments.contains("--namespace"))
    }

    @Test("pod(): kubectl missing says --pod needs it")
    func kubectlMissing() {
        #expect(throws: ContainerTargetError.kubectlMissing(kubectl: "/nonexistent/kubectl")) {
            try ContainerTargets.pod(name: "web", namespace: nil, container: nil, kubectl: "/nonexistent/kubectl")
        }
        #expect(throws: ContainerTargetError.kubectlMissing(kubectl: "loadgen-test-no-such-kubectl")) {
            try ContainerTargets.pod(name: "web", namespace: nil, container: nil, kubectl: "loadgen-test-no-such-kubectl")
        }
        #expect(ContainerTargetError.kubectlMissing(kubectl: "kubectl").description.hasPrefix("--pod needs kubectl in PATH"))
    }

    @Test("pod(): kubectl's error is passed on, with a --namespace hint for NotFound")
    func kubectlFails() throws {
        let kubectl = try FakeKubectl(stdout: "", stderr: "Error from server (NotFound): pods \"web\" not found\n", status: 1)
        do {
            _ = try ContainerTargets.pod(name: "web", namespace: nil, container: nil, kubectl: kubectl.path, nodeName: "node-a")
            Issue.record("a failing kubectl was accepted")
        } catch {
            guard case .kubectlFailed(let pod, nil, _, 1, let stderr, _) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(pod == "web" && stderr.contains("NotFound"))
            #expect(error.description.hasPrefix("--pod web: `\(kubectl.path) get pod web --output json --request-timeout 30s` "
                + "failed (exit 1): Error from server (NotFound): pods \"web\" not found"))
            #expect(error.description.hasSuffix("; give --namespace NS when the pod is not in kubectl's current namespace"))
        }
    }

    @Test("under sudo without KUBECONFIG, a connection failure hints at root's kubeconfig")
    func sudoHint() {
        let refused = "The connection to the server localhost:8080 was refused - did you specify the right host or port?"
        #expect(ContainerTargets.kubectlHint(stderr: refused, environment: ["SUDO_USER": "ana"])?.contains("KUBECONFIG") == true)
        #expect(ContainerTargets.kubectlHint(stderr: refused, environment: ["SUDO_USER": "ana", "KUBECONFIG": "/k"]) == nil)
        #expect(ContainerTargets.kubectlHint(stderr: refused, environment: [:])?.hasPrefix("kubectl found no kubeconfig") == true)
        #expect(ContainerTargets.kubectlHint(stderr: "error: You must be logged in to the server (Unauthorized)",
                                             environment: [:]) == nil)
    }

    @Test("kubectl's klog lines are left out of the message when it also said something plainer")
    func klogLinesDropped() {
        // What kubectl 1.32 prints without a kubeconfig (recorded on this machine).
        let stderr = """
        E1128 06:23:55.412415   15336 memcache.go:265] "Unhandled Error" err="couldn't get current server API group list: Get \"http://localhost:8080/api?timeout=30s\": dial tcp 127.0.0.1:8080: connect: connection refused"
        E1128 06:23:55.413720   15336 memcache.go:265] "Unhandled Error" err="couldn't get current server API group list: Get \"http://localhost:8080/api?timeout=30s\": dial tcp 127.0.0.1:8080: connect: connection refused"
        The connection to the server localhost:8080 was refused - did you specify the right host or port?

        """
        #expect(ContainerTargetError.essentials(ofKubectlStderr: stderr)
            == "The connection to the server localhost:8080 was refused - did you specify the right host or port?")
        let onlyKlog = "E1128 06:23:55.412415   15336 round_trippers.go:560] boom\n"
        #expect(ContainerTargetError.essentials(ofKubectlStderr: onlyKlog) == "E1128 06:23:55.412415   15336 round_trippers.go:560] boom")
        let error = ContainerTargetError.kubectlFailed(pod: "web", namespace: "shop", command: "kubectl get pod web", status: 1,
                                                       stderr: stderr, hint: ContainerTargets.kubectlHint(stderr: stderr, environment: [:]))
        #expect(error.description == "--pod web: `kubectl get pod web` failed (exit 1): The connection to the server "
            + "localhost:8080 was refused - did you specify the right host or port?; kubectl found no kubeconfig; set "
            + "KUBECONFIG to one with which `kubectl get pods` works")
    }

    @Test("pod(): on this node by name but not in /proc says loadgen cannot see it")
    func notVisible() throws {
        let kubectl = try FakeKubectl(stdout: R.runningTwoContainers)
        let proc = try FakeProcRoot()
        try proc.add(1, cgroup: "0::/init.scope\n")
        #expect(throws: ContainerTargetError.notVisible(pod: "web-7d9c5b6f4d-x2k8q", container: "app", containerID: R.webAppID,
                                                        node: "node-a", procRoot: proc.path)) {
            try ContainerTargets.pod(name: "web-7d9c5b6f4d-x2k8q", namespace: nil, container: nil, kubectl: kubectl.path,
                                     nodeName: "node-a", procRoot: proc.path)
        }
    }

    @Test("pod(): with the node name given, another node is an error even before /proc is read")
    func explicitWrongNode() throws {
        let kubectl = try FakeKubectl(stdout: R.runningOnNodeB)
        #expect(throws: ContainerTargetError.wrongNode(pod: "cache-5f6b8c9d7-qm4zt",
                                                       podNode: "node-b.europe-west1-b.c.example.internal", thisNode: "node-a")) {
            try ContainerTargets.pod(name: "cache-5f6b8c9d7-qm4zt", namespace: "shop", container: nil, kubectl: kubectl.path,
                                     nodeName: "node-a", procRoot: "/nonexistent-loadgen-proc")
        }
    }

    @Test("pod(): without a node name, another node is an error unless the container is here after all")
    func guessedNode() throws {
        let kubectl = try FakeKubectl(stdout: R.runningOnNodeB)
        let proc = try FakeProcRoot()
        try proc.add(1, cgroup: "0::/init.scope\n")
        let here = ContainerTargets.thisNodeNames()
        #expect(!here.isEmpty)
        #expect(throws: ContainerTargetError.wrongNode(pod: "cache-5f6b8c9d7-qm4zt",
                                                       podNode: "node-b.europe-west1-b.c.example.internal",
                                                       thisNode: here.first ?? "unknown")) {
            try ContainerTargets.pod(name: "cache-5f6b8c9d7-qm4zt", namespace: "shop", container: nil, kubectl: kubectl.path,
                                     procRoot: proc.path)
        }
        // A kubelet with --hostname-override: the node's name is not the host's, but the container is here.
        try proc.add(3300, cgroup: "0::/kubepods.slice/kubepods-besteffort.slice/crio-\(TestIDs.crio).scope\n")
        let found = try ContainerTargets.pod(name: "cache-5f6b8c9d7-qm4zt", namespace: "shop", container: nil,
                                             kubectl: kubectl.path, procRoot: proc.path)
        #expect(found == (TestIDs.crio, 3300))
    }
}
