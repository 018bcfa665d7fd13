import Foundation
import Glibc
import Testing

/// loadgen's image (`make image`) run by podman with the settings this host needs (DESIGN.md §6): the runc
/// runtime, runc's default cgroups, and nofile/nproc limits no higher than the hard limits the sandbox allows.
enum Podman {
    /// The image `make test` built and names in LOADGEN_IMAGE (localhost/loadgen:VERSION). Missing is a failure
    /// with the command that makes it, never a skip.
    static func requireImage() async throws -> String {
        guard let image = ProcessInfo.processInfo.environment["LOADGEN_IMAGE"], !image.isEmpty else {
            throw FixtureError("LOADGEN_IMAGE is not set: run the tests with `make test`, or `make image` and "
                + "LOADGEN_IMAGE=localhost/loadgen:$(.build/release/loadgen --version)")
        }
        let exists = try await Command.run(["podman", "image", "exists", image], timeout: 30)
        guard exists.termination == .exited(0) else {
            throw FixtureError("podman has no image \(image): run `make image` (\(exists.stderr))")
        }
        return image
    }

    /// `podman run --rm OPTIONS IMAGE ARGUMENTS` as a child process (stdout is the container's stdout).
    static func start(_ image: String, options: [String], _ arguments: [String], name: String? = nil) throws -> ChildProcess {
        try ChildProcess(["podman", "--runtime", "runc", "run", "--rm"] + limits + (name.map { ["--name", $0] } ?? [])
            + options + [image] + arguments)
    }

    static func run(_ image: String, options: [String], _ arguments: [String], seconds: Double = 60) async throws -> LoadGenRun {
        let child = try start(image, options: options, arguments)
        return LoadGenRun(arguments: ["(podman \(image))"] + arguments, await child.wait(seconds: seconds), sourceLocation: #_sourceLocation)
    }

    /// `--network ns:/run/netns/NAME`: the container's network is the test netns.
    static func network(_ ns: NetworkNamespace) -> [String] { ["--network", "ns:/run/netns/\(ns.name)"] }

    /// The DaemonSet's shape: privileged, the host's PID namespace and its /run/netns.
    static let daemonSetShape = ["--privileged", "--pid=host", "-v", "/run/netns:/run/netns"]

    /// Containers (running or not) whose name starts with `prefix`.
    static func containers(named prefix: String) async throws -> [String] {
        let list = try await Command.check(["podman", "ps", "-a", "--format", "{{.Names}}"], timeout: 30)
        return list.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
    }

    /// nofile and nproc at min(hard limit, a generous default): podman's own defaults exceed this sandbox's.
    static var limits: [String] {
        func hard(_ resource: Int32, cap: UInt64) -> UInt64 {
            var limit = rlimit()
            guard getrlimit(__rlimit_resource_t(resource), &limit) == 0 else { return 1024 }
            return min(UInt64(limit.rlim_max), cap)
        }
        let nofile = hard(Int32(RLIMIT_NOFILE.rawValue), cap: 65_536), nproc = hard(Int32(__RLIMIT_NPROC.rawValue), cap: 4_096)
        return ["--ulimit", "nofile=\(nofile):\(nofile)", "--ulimit", "nproc=\(nproc):\(nproc)"]
    }
}
