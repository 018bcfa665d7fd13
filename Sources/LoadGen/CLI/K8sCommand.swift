import ArgumentParser
import Foundation

/// `loadgen k8s job|daemonset`: prints Kubernetes manifests that run loadgen (apply them with kubectl).
struct K8sCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "k8s",
        abstract: "Print Kubernetes manifests that run loadgen: a sharded Indexed Job, or a DaemonSet for per-node tracer tests.",
        subcommands: [K8sJobCommand.self, K8sDaemonSetCommand.self]
    )
}

/// What both manifests take.
struct K8sOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The workload's name (a DNS label: lower-case letters, digits and '-', at most 52 characters).", valueName: "NAME"))
    var name: String

    @Option(help: ArgumentHelp("The loadgen image, e.g. localhost/loadgen:0.1.0 from `make image`, pushed where the cluster pulls from.", valueName: "IMAGE"))
    var image: String

    @Option(help: ArgumentHelp("The Kubernetes namespace (default: default).", valueName: "NS"))
    var namespace: String = "default"

    @Option(help: ArgumentHelp("Run only on nodes with this label (repeatable).", valueName: "KEY=VALUE"))
    var nodeSelector: [String] = []

    @Argument(parsing: .postTerminator,
              help: ArgumentHelp("After --: the loadgen arguments each pod runs, e.g. -- dns --server 10.96.0.10 --rate 20k -d 60s.", valueName: "LOADGEN-ARGS"))
    var arguments: [String] = []

    func common() throws(ValidationError) -> K8sManifests.Common {
        try K8sOptions.checkLabel(name, flag: "--name", max: 52)
        try K8sOptions.checkLabel(namespace, flag: "--namespace", max: 63)
        guard !image.isEmpty, !image.contains(where: { $0.isWhitespace }) else {
            throw ValidationError("--image '\(image)' is not an image reference; e.g. --image localhost/loadgen:\(LoadGenVersion.current)")
        }
        var selector: [(String, String)] = []
        for item in nodeSelector {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--node-selector '\(item)' is not KEY=VALUE; e.g. --node-selector kubernetes.io/hostname=node-1")
            }
            selector.append((String(parts[0]), String(parts[1])))
        }
        guard let kind = arguments.first, ["dns", "http"].contains(kind) else {
            throw ValidationError("give the loadgen arguments after --, starting with dns or http: loadgen k8s job ... -- dns --server 10.96.0.10 --rate 20k -d 60s")
        }
        for flag in ["--shard", "--shards", "--start-at", "--events"] where arguments.contains(where: { $0 == flag || $0.hasPrefix(flag + "=") }) {
            throw ValidationError("\(flag) in the loadgen arguments: the manifest sets the shards and start itself, and a pod's --events file would be lost with the pod; leave it out")
        }
        return K8sManifests.Common(name: name, image: image, namespace: namespace, nodeSelector: selector, arguments: arguments)
    }

    /// A DNS-1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric.
    static func checkLabel(_ text: String, flag: String, max: Int) throws(ValidationError) {
        let ok = !text.isEmpty && text.count <= max && text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
            && text.first != "-" && text.last != "-"
        guard ok else {
            throw ValidationError("\(flag) '\(text)' is not a DNS label: lower-case letters, digits and '-', at most \(max) characters, e.g. dns-load")
        }
    }
}

struct K8sJobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job",
        abstract: "Print an Indexed Job whose pods each run one shard of one global schedule.",
        discussion: """
        Every pod runs `loadgen ARGS --shards R --start-at T --json --quiet`: \
        shard i (from JOB_COMPLETION_INDEX) takes the events i, i+R, i+2R, ... \
        of the schedule --rate and --count describe, all from the start time T \
        (now + --start-in), so together they are the global schedule. Pods need \
        no privileges and no API access: they generate from their own pod \
        network. Apply promptly: a pod that starts after T sends what is already \
        due at once.

          loadgen k8s job --name dns-load --image REGISTRY/loadgen:0.1.0 \\
              --replicas 4 -- dns --server 10.96.0.10 --rate 100k -d 60s > job.yaml
          kubectl apply -f job.yaml
          kubectl wait --for=condition=complete job/dns-load --timeout=5m
          kubectl logs -l job-name=dns-load --tail=-1 | loadgen merge -
        """
    )

    @OptionGroup var options: K8sOptions

    @Option(help: ArgumentHelp("Pods, each one shard (1 to 10000).", valueName: "R"), transform: Count.parser(max: 10_000))
    var replicas: Count

    @Option(help: ArgumentHelp("How long after now the shards start (default 1m): room to apply the Job and pull the image.", valueName: "DUR"),
            transform: TimeSpan.parser(from: .second, to: .day))
    var startIn: TimeSpan = .second * 60

    func run() throws {
        let common = try options.common()
        guard replicas.value >= 1 else { throw ValidationError("--replicas must be at least 1") }
        let start = Date(timeIntervalSinceNow: Double(startIn.nanos) / 1e9)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let job = K8sManifests.job(common, replicas: Int(replicas.value), startAt: formatter.string(from: start))
        print(YAMLWriter.document(job), terminator: "")
    }
}

struct K8sDaemonSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemonset",
        abstract: "Print a DaemonSet (and its ServiceAccount, Role and RoleBinding) that runs loadgen on every node, entering namespaces there.",
        discussion: """
        For tracer tests on every node: the pods share the host's PID namespace \
        and see its /run/netns (mounted at /run/netns) and /proc (at /host/proc), \
        with CAP_SYS_ADMIN as the only added capability, so `--netns NAME` and \
        `--pod NS/NAME` (with the Role's get/list on pods) reach the node's \
        containers.

          loadgen k8s daemonset --name tracer-load --image REGISTRY/loadgen:0.1.0 \\
              -- dns --pod default/target --rate 1k -d 10m | kubectl apply -f -
        """
    )

    @OptionGroup var options: K8sOptions

    func run() throws {
        let docs = K8sManifests.daemonSet(try options.common())
        print(docs.map(YAMLWriter.document).joined(separator: "---\n"), terminator: "")
    }
}
