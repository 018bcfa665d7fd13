/// Kubernetes manifests that run loadgen (issue 11): an Indexed Job whose pods each run one shard of a global
/// schedule from their own network namespace, and a DaemonSet whose pods enter namespaces on their node (the
/// tracer-test shape). Built as `JSON` trees and printed as YAML; checked offline with kubernetes-validate.
enum K8sManifests {
    struct Common {
        var name: String
        var image: String
        var namespace: String
        var nodeSelector: [(String, String)] = []
        /// The loadgen arguments after `--` (subcommand first).
        var arguments: [String]
    }

    static func labels(_ name: String) -> JSON {
        .object([("app.kubernetes.io/name", .string("loadgen")), ("app.kubernetes.io/instance", .string(name))])
    }

    static func metadata(_ c: Common, kindName: String? = nil) -> JSON {
        var members: [(String, JSON)] = [("name", .string(kindName ?? c.name))]
        members.append(("namespace", .string(c.namespace)))
        members.append(("labels", labels(c.name)))
        return .object(members)
    }

    /// The Job: `completionMode: Indexed`, completions = parallelism = `replicas`; pod i runs shard i of
    /// `replicas` (`--shards`, from JOB_COMPLETION_INDEX), all from `startAt`, with the JSON report on stdout, as
    /// an unprivileged user with every capability dropped and no service-account token (no RBAC needed).
    static func job(_ c: Common, replicas: Int, startAt: String) -> JSON {
        let arguments = c.arguments + ["--shards", String(replicas), "--start-at", startAt] + outputFlags(c.arguments)
        let container = unprivilegedContainer(image: c.image, arguments: arguments)
        var pod: [(String, JSON)] = [
            ("restartPolicy", .string("Never")),
            ("automountServiceAccountToken", .bool(false)),
        ]
        if !c.nodeSelector.isEmpty { pod.append(("nodeSelector", .object(c.nodeSelector.map { ($0.0, .string($0.1)) }))) }
        pod.append(("containers", .array([container])))
        return .object([
            ("apiVersion", .string("batch/v1")),
            ("kind", .string("Job")),
            ("metadata", metadata(c)),
            ("spec", .object([
                ("completionMode", .string("Indexed")),
                ("completions", .int(Int64(replicas))),
                ("parallelism", .int(Int64(replicas))),
                // A shard that fails is reported by its exit status and log, not run again (a rerun would send its
                // events twice, late).
                ("backoffLimit", .int(0)),
                ("template", .object([("metadata", .object([("labels", labels(c.name))])), ("spec", .object(pod))])),
            ])),
        ])
    }

    /// loadgen as an unprivileged user (nobody) with every capability dropped, a read-only root and no escalation.
    static func unprivilegedContainer(image: String, arguments: [String]) -> JSON {
        .object([
            ("name", .string("loadgen")),
            ("image", .string(image)),
            ("args", .array(arguments.map(JSON.string))),
            ("securityContext", .object([
                ("allowPrivilegeEscalation", .bool(false)),
                ("runAsNonRoot", .bool(true)),
                ("runAsUser", .int(65_534)),
                ("readOnlyRootFilesystem", .bool(true)),
                ("capabilities", .object([("drop", .array([.string("ALL")]))])),
            ])),
        ])
    }

    /// `--json --quiet` unless the arguments already ask for them: `kubectl logs` must be the report alone.
    static func outputFlags(_ arguments: [String]) -> [String] {
        (arguments.contains("--json") ? [] : ["--json"]) + (arguments.contains("--quiet") ? [] : ["--quiet"])
    }

    /// The DaemonSet and what its pods need to enter namespaces on their node: the host's PID namespace and its
    /// /run/netns and /proc, only CAP_SYS_ADMIN added (setns), and a ServiceAccount whose Role may only get and
    /// list pods (for `--pod`).
    static func daemonSet(_ c: Common) -> [JSON] {
        let account = c.name
        let container: JSON = .object([
            ("name", .string("loadgen")),
            ("image", .string(c.image)),
            ("args", .array((c.arguments + outputFlags(c.arguments)).map(JSON.string))),
            ("securityContext", .object([
                ("runAsUser", .int(0)),
                ("capabilities", .object([("drop", .array([.string("ALL")])), ("add", .array([.string("SYS_ADMIN")]))])),
            ])),
            ("volumeMounts", .array([
                .object([("name", .string("netns")), ("mountPath", .string("/run/netns")), ("readOnly", .bool(true))]),
                .object([("name", .string("host-proc")), ("mountPath", .string("/host/proc")), ("readOnly", .bool(true))]),
            ])),
        ])
        var pod: [(String, JSON)] = [("serviceAccountName", .string(account)), ("hostPID", .bool(true))]
        if !c.nodeSelector.isEmpty { pod.append(("nodeSelector", .object(c.nodeSelector.map { ($0.0, .string($0.1)) }))) }
        pod += [
            ("containers", .array([container])),
            ("volumes", .array([
                .object([("name", .string("netns")), ("hostPath", .object([("path", .string("/run/netns")), ("type", .string("DirectoryOrCreate"))]))]),
                .object([("name", .string("host-proc")), ("hostPath", .object([("path", .string("/proc")), ("type", .string("Directory"))]))]),
            ])),
        ]
        let selector: JSON = .object([("matchLabels", labels(c.name))])
        let daemonSet: JSON = .object([
            ("apiVersion", .string("apps/v1")),
            ("kind", .string("DaemonSet")),
            ("metadata", metadata(c)),
            ("spec", .object([
                ("selector", selector),
                ("template", .object([("metadata", .object([("labels", labels(c.name))])), ("spec", .object(pod))])),
            ])),
        ])
        return [serviceAccount(c), role(c), roleBinding(c), daemonSet]
    }

    private static func serviceAccount(_ c: Common) -> JSON {
        .object([("apiVersion", .string("v1")), ("kind", .string("ServiceAccount")), ("metadata", metadata(c))])
    }

    private static func role(_ c: Common) -> JSON {
        .object([
            ("apiVersion", .string("rbac.authorization.k8s.io/v1")),
            ("kind", .string("Role")),
            ("metadata", metadata(c)),
            ("rules", .array([.object([
                ("apiGroups", .array([.string("")])),
                ("resources", .array([.string("pods")])),
                ("verbs", .array([.string("get"), .string("list")])),
            ])])),
        ])
    }

    private static func roleBinding(_ c: Common) -> JSON {
        var subject: [(String, JSON)] = [("kind", .string("ServiceAccount")), ("name", .string(c.name))]
        subject.append(("namespace", .string(c.namespace)))
        return .object([
            ("apiVersion", .string("rbac.authorization.k8s.io/v1")),
            ("kind", .string("RoleBinding")),
            ("metadata", metadata(c)),
            ("roleRef", .object([("apiGroup", .string("rbac.authorization.k8s.io")), ("kind", .string("Role")),
                                 ("name", .string(c.name))])),
            ("subjects", .array([.object(subject)])),
        ])
    }
}
