import Foundation
import Glibc
import Testing
@testable import LoadGen

/// `--container` against the real kernel: a process moved into a cgroup whose path carries a made-up container
/// ID, as docker's systemd driver names them, is found in the real /proc. Needs root (skipped without it unless
/// CI is set, then it fails).
@Suite(.enabled(if: IntegrationEnvironment.shouldRun, "needs root to create a cgroup (set CI to make this a failure)"))
struct ContainerTargetsCgroupTests {
    @Test("a sleep in cgroup .../docker-<id>.scope is found by the ID's first 12 digits, and not after it exits")
    func findsProcessInRealCgroup() throws {
        try IntegrationEnvironment.requireRoot()
        let id = TestIDs.random()
        let sleeper = try ChildProcess(["sleep", "30"])
        defer { sleeper.kill() }
        let cgroup = try ContainerIDCgroup.place(pid: sleeper.pid, containerID: id)
        defer {
            sleeper.kill()  // a cgroup with a process in it cannot be removed
            cgroup.remove()
        }

        let cgroupFile = ContainerTargets.readSmallFile("/proc/\(sleeper.pid)/cgroup") ?? ""
        #expect(cgroupFile.contains("docker-\(id).scope"), "the sleep's cgroup file: \(cgroupFile)")

        let found = try ContainerTargets.scan(idPrefix: String(id.prefix(12)))
        #expect(found.containerID == id)
        #expect(found.pid == sleeper.pid, "found \(found.pid), the sleep in \(cgroup.path) is \(sleeper.pid)")

        // The PID's network namespace is what --container enters: here the test's own.
        let namespace = try NetNamespace.open(.pid(found.pid))
        defer { close(namespace.fd) }
        var own = stat()
        #expect(stat("/proc/self/ns/net", &own) == 0)
        #expect(namespace.inode == UInt64(own.st_ino))

        sleeper.kill()
        #expect(throws: ContainerTargetError.noMatch(prefix: String(id.prefix(12)))) {
            try ContainerTargets.scan(idPrefix: String(id.prefix(12)))
        }
    }
}

/// A cgroup `<mount>/loadgen-test-<pid>.slice/docker-<id>.scope` holding one process. Tries the cgroup v2 mount
/// (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems), then v1 hierarchies; throws with every
/// attempt's failure when none accepts the process.
private struct ContainerIDCgroup {
    let path: String
    let parent: String

    static func place(pid: pid_t, containerID: String) throws -> ContainerIDCgroup {
        var failures: [String] = []
        for mount in candidateMounts() {
            let parent = "\(mount)/loadgen-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).slice"
            let path = "\(parent)/docker-\(containerID).scope"
            guard mkdir(parent, 0o755) == 0 else {
                failures.append("mkdir \(parent): \(String(cString: strerror(errno)))")
                continue
            }
            guard mkdir(path, 0o755) == 0 else {
                failures.append("mkdir \(path): \(String(cString: strerror(errno)))")
                rmdir(parent)
                continue
            }
            let cgroup = ContainerIDCgroup(path: path, parent: parent)
            if let failure = write("\(pid)\n", to: "\(path)/cgroup.procs") {
                failures.append("writing PID \(pid) to \(path)/cgroup.procs: \(failure)")
                cgroup.remove()
                continue
            }
            return cgroup
        }
        if failures.isEmpty { failures.append("no cgroup filesystem is mounted (see /proc/self/mountinfo)") }
        throw FixtureError("cannot put a process in a test cgroup: " + failures.joined(separator: "; "))
    }

    /// Removes both directories; the cgroup must be empty (its process killed and reaped), which the kernel
    /// may take a moment to notice.
    func remove() {
        for directory in [path, parent] {
            for _ in 0..<100 {
                if rmdir(directory) == 0 || errno == ENOENT { break }
                usleep(20_000)
            }
        }
    }

    /// cgroup2 mounts first (/sys/fs/cgroup before others), then v1 hierarchies that need no setup before
    /// taking a process (not cpuset, whose cpus and mems start empty).
    static func candidateMounts() -> [String] {
        guard let text = ContainerTargets.readSmallFile("/proc/self/mountinfo") else { return [] }
        var v2: [String] = [], v1: [String] = []
        for line in text.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let fields = halves[0].split(separator: " ")
            let after = halves[1].split(separator: " ")
            guard fields.count >= 5, let type = after.first else { continue }
            let mountPoint = String(fields[4])
            let options = after.count >= 3 ? after[2] : ""
            if type == "cgroup2" {
                v2.append(mountPoint)
            } else if type == "cgroup" && !options.contains("cpuset") {
                v1.append(mountPoint)
            }
        }
        let preferred = v2.filter { $0 == "/sys/fs/cgroup" } + v2.filter { $0 != "/sys/fs/cgroup" }
        return preferred + v1.filter { $0.hasSuffix("/pids") } + v1.filter { !$0.hasSuffix("/pids") }
    }

    /// Writes `text` with one write(2); nil on success, else the error.
    private static func write(_ text: String, to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        return n == bytes.count ? nil : String(cString: strerror(errno))
    }
}
