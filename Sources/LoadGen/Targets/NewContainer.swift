import Foundation
import Glibc

/// `loadgen eventgen --new-container`: the generation run by loadgen's image in a new local container, with
/// podman (or docker when only that is installed), its output streamed, the container removed at the end.
struct NewContainer {
    let engine: String
    let image: String
    let network: String?
    /// The `loadgen dns|http ...` arguments the container runs.
    let arguments: [String]
    /// Host directories the container needs at the same path (where --events and --hlog go).
    let mounts: [String]

    /// podman when it is installed, else docker.
    static func findEngine() throws(RunFailure) -> String {
        for name in ["podman", "docker"] {
            if let path = ContainerTargets.findExecutable(name) { return path }
        }
        throw RunFailure("--new-container needs podman or docker in PATH; install podman (apt-get install podman runc), or run without --new-container")
    }

    var isPodman: Bool { (engine as NSString).lastPathComponent == "podman" }

    /// `ENGINE [--runtime runc] run --rm --name loadgen-eventgen ...`: runc where the cgroup hierarchy is v1 (crun,
    /// podman's default, refuses it), nofile at loadgen's own hard limit and nproc at most 4096 (loadgen runs a few
    /// threads): podman's defaults may exceed what a sandboxed caller may grant, and the container's start fails.
    func runArguments() -> [String] {
        var args: [String] = []
        if isPodman, NewContainer.cgroupV1, ContainerTargets.findExecutable("runc") != nil { args += ["--runtime", "runc"] }
        args += ["run", "--rm", "--name", EventgenPlacement.name, "--sig-proxy=true"]
        if let network { args += ["--network", network] }
        for (name, resource, cap) in [("nofile", RLIMIT_NOFILE.rawValue, rlim_t(1 << 20)), ("nproc", __RLIMIT_NPROC.rawValue, 4_096)] {
            var limit = rlimit()
            let value = getrlimit(__rlimit_resource_t(resource), &limit) == 0 ? min(limit.rlim_max, cap) : 1_024
            args += ["--ulimit", "\(name)=\(value):\(value)"]
        }
        for directory in mounts { args += ["-v", "\(directory):\(directory)"] }
        return args + [image] + arguments
    }

    /// `word` as one shell word: as is when it is made of safe characters, else in single quotes.
    static func shellQuoted(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./:=,@+%{}".unicodeScalars.contains($0) }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static var cgroupV1: Bool { access("/sys/fs/cgroup/cgroup.controllers", F_OK) != 0 }

    /// Refuses while a container of that name exists; runs the generation with Ctrl-C passed to the container
    /// once (podman and docker hand SIGINT on to it: loadgen there stops with its report); removes the container
    /// whatever happened. Returns the container's exit status.
    func run() throws(RunFailure) -> Int32 {
        let exists = try ChildCommand(executable: engine, arguments: ["container", "inspect", "--format", "{{.State.Status}}", EventgenPlacement.name]).capture()
        if exists.status == 0 {
            let state = exists.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            throw RunFailure("--new-container: a container named \(EventgenPlacement.name) exists (\(state)), from an earlier eventgen; remove it first: \((engine as NSString).lastPathComponent) rm -f \(EventgenPlacement.name)")
        }
        defer { _ = try? ChildCommand(executable: engine, arguments: ["rm", "-f", EventgenPlacement.name]).capture() }
        return try ChildCommand(executable: engine, arguments: runArguments()).run { pid in kill(pid, SIGINT) }
    }
}
