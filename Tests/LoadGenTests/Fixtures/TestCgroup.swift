import Foundation
import Glibc

/// A made-up container for `--container`: a cgroup directory `loadgen-test-<pid>-<random>.slice/docker-<id>.scope`
/// (as docker under systemd names them) under the cgroup2 mount (`/sys/fs/cgroup` on a unified host,
/// `/sys/fs/cgroup/unified` on a hybrid one; a v1 hierarchy where there is no cgroup2), with a 64-hex container ID,
/// into which the test moves processes.
/// Every container runtime places a container's processes like this, and `/proc/PID/cgroup` shows the path.
///
/// Use `TestCgroup.with(ids:) { cgroup in ... }`: afterwards every process still in the scopes is killed, the
/// scopes and the slice are removed, whatever the body did. The slice name carries the test process's PID, so
/// slices left behind by a test process that crashed are removed by the next run.
final class TestCgroup {
    /// The cgroup mount point the slice is in.
    let root: String
    /// `<root>/loadgen-test-<pid>-<random>.slice`.
    let slice: String
    /// The container IDs, each with its scope directory.
    let scopes: [(id: String, path: String)]

    private init(root: String, slice: String, scopes: [(id: String, path: String)]) {
        self.root = root
        self.slice = slice
        self.scopes = scopes
    }

    /// A random 64-hex container ID.
    static func randomID() -> String {
        (0..<4).map { _ in
            let hex = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// Creates one scope per ID (64 hex digits each), runs `body`, and removes them whatever `body` did.
    static func with<R>(ids: [String], _ body: (TestCgroup) async throws -> R) async throws -> R {
        try IntegrationEnvironment.requireRoot()
        let root = try cgroupRoot()
        removeStale(root: root)
        let slice = "\(root)/loadgen-test-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16)).slice"
        guard mkdir(slice, 0o755) == 0 else {
            throw FixtureError("mkdir \(slice): \(String(cString: strerror(errno)))")
        }
        let cgroup = TestCgroup(root: root, slice: slice, scopes: ids.map { ($0, "\(slice)/docker-\($0).scope") })
        defer { cgroup.remove() }
        for scope in cgroup.scopes where mkdir(scope.path, 0o755) != 0 {
            throw FixtureError("mkdir \(scope.path): \(String(cString: strerror(errno)))")
        }
        return try await body(cgroup)
    }

    /// The cgroup2 mount point from /proc/self/mounts; on a host with cgroup v1 only, its `pids` (or else first)
    /// hierarchy, which /proc/PID/cgroup shows as well.
    static func cgroupRoot() throws -> String {
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        let entries = mounts.split(separator: "\n").compactMap { line -> (type: String, path: String, options: String)? in
            let fields = line.split(separator: " ")
            return fields.count >= 4 ? (String(fields[2]), String(fields[1]), String(fields[3])) : nil
        }
        let v2 = entries.filter { $0.type == "cgroup2" }.map(\.path).sorted { $0.count < $1.count }
        if let root = v2.first { return root }
        let v1 = entries.filter { $0.type == "cgroup" }
        if let root = v1.first(where: { $0.options.split(separator: ",").contains("pids") }) ?? v1.first { return root.path }
        throw FixtureError("no cgroup file system is mounted (see /proc/self/mounts); --container tests need one")
    }

    /// Moves `pid` into the scope of container `id`.
    func add(_ pid: pid_t, to id: String) throws {
        guard let scope = scopes.first(where: { $0.id == id }) else { throw FixtureError("no scope for \(id)") }
        do {
            try "\(pid)\n".write(toFile: "\(scope.path)/cgroup.procs", atomically: false, encoding: .utf8)
        } catch {
            throw FixtureError("moving pid \(pid) into \(scope.path): \(error)")
        }
    }

    /// The PIDs in a cgroup directory.
    private static func pids(_ directory: String) -> [pid_t] {
        let text = (try? String(contentsOfFile: "\(directory)/cgroup.procs", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { pid_t($0) }
    }

    /// Kills what is left in `directory`'s scopes (they were put there by the test that made them), waits (up to
    /// 3 s) until they are empty, and removes the scopes and `directory`.
    private static func removeTree(_ directory: String) {
        let scopes = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".scope") }.map { "\(directory)/\($0)" }
        for scope in scopes {
            for pid in pids(scope) { Glibc.kill(pid, SIGKILL) }
        }
        let deadline = ChildProcess.nowNanos + 3_000_000_000
        while scopes.contains(where: { !pids($0).isEmpty }), ChildProcess.nowNanos < deadline { usleep(5_000) }
        for scope in scopes { rmdir(scope) }
        rmdir(directory)
    }

    private func remove() {
        TestCgroup.removeTree(slice)
    }

    nonisolated(unsafe) private static var staleChecked = false

    /// Removes slices named loadgen-test-<pid>-* whose creating test process no longer exists.
    private static func removeStale(root: String) {
        guard !staleChecked else { return }
        staleChecked = true
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for name in names where name.hasPrefix("loadgen-test-") && name.hasSuffix(".slice") {
            let parts = name.dropLast(".slice".count).split(separator: "-")
            guard parts.count == 4, let creator = Int32(parts[2]), creator != getpid() else { continue }
            if Glibc.kill(creator, 0) == 0 || errno == EPERM { continue }
            removeTree("\(root)/\(name)")
        }
    }
}
