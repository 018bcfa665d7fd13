import ArgumentParser

/// Where `loadgen eventgen` generates: here (default), in a new Kubernetes pod (`--new-pod`, as Inspektor Gadget's
/// eventgen does) or in a new local container (`--new-container`, podman or docker), each running loadgen's image
/// with the same generation.
struct EventgenPlacement: ParsableArguments {
    @Flag(help: "Generate from a new pod: create it with kubectl, stream its output, delete it at the end or on Ctrl-C. Refused while the previous one (loadgen-eventgen) exists.")
    var newPod = false

    @Flag(help: "Generate from a new local container (podman, else docker), removed at the end or on Ctrl-C.")
    var newContainer = false

    @Option(help: ArgumentHelp("The loadgen image the new pod or container runs (default localhost/loadgen:\(LoadGenVersion.current), what make image builds).", valueName: "IMG"))
    var image: String?

    @Option(help: ArgumentHelp("The new container's network: podman's/docker's --network, e.g. ns:/run/netns/NAME, host, bridge (default: the engine's).", valueName: "MODE"))
    var network: String?

    @Flag(help: "With --new-pod: print the pod manifest and create nothing; with --new-container: print the command.")
    var dryRun = false

    enum Mode { case here, pod, container }

    var mode: Mode { newPod ? .pod : (newContainer ? .container : .here) }

    var imageName: String { image ?? "localhost/loadgen:\(LoadGenVersion.current)" }

    /// The fixed name of the pod or container: one at a time, so a forgotten one is found and refused.
    static let name = "loadgen-eventgen"

    func check(target: TargetOptions, output: OutputOptions) throws(ValidationError) {
        if newPod && newContainer { throw ValidationError("--new-pod and --new-container: give one of them") }
        guard mode != .here else {
            for (given, flag) in [(image != nil, "--image"), (network != nil, "--network"), (dryRun, "--dry-run")] where given {
                throw ValidationError("\(flag) goes with --new-pod or --new-container")
            }
            return
        }
        let flag = newPod ? "--new-pod" : "--new-container"
        let targets = [(target.netns.isEmpty, "--netns"), (target.pid.isEmpty, "--pid"), (target.container.isEmpty, "--container"),
                       (target.pod.isEmpty, "--pod")]
        for (empty, name) in targets where !empty {
            throw ValidationError("\(name) with \(flag): the new \(newPod ? "pod" : "container") is where the events come from; leave \(name) out")
        }
        if newPod, network != nil { throw ValidationError("--network goes with --new-container; a pod has the cluster's network") }
        if newPod, let file = output.events ?? output.hlog {
            throw ValidationError("\(output.events != nil ? "--events" : "--hlog") \(file) with --new-pod: the file would be lost with the pod; use --json and read the pod's output")
        }
        if let image, image.isEmpty || image.contains(where: { $0 == " " || $0 == "\n" }) {
            throw ValidationError("--image '\(image)' is not an image reference, e.g. localhost/loadgen:\(LoadGenVersion.current)")
        }
    }
}
