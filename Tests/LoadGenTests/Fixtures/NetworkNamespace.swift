import Foundation
import Glibc

/// A network namespace made for one test (`ip netns add lgt-<pid>-<random>`, loopback up), deleted when the
/// test ends, also when it fails: use `NetworkNamespace.with { ns in ... }`.
///
/// The name carries the PID of the test process, so a namespace left behind by a test process that crashed can
/// be recognised (its creator is gone) and removed, together with what still runs in it, by the next run.
final class NetworkNamespace {
    let name: String
    /// The inode of /run/netns/NAME: what loadgen reports as `netns_inode`.
    let inode: UInt64
    private var extraPaths: [String] = []
    private var deleted = false

    var path: String { "/run/netns/\(name)" }

    private init(name: String, inode: UInt64) {
        self.name = name
        self.inode = inode
    }

    /// Creates a namespace, runs `body`, and deletes the namespace whatever `body` did.
    static func with<R>(_ body: (NetworkNamespace) async throws -> R) async throws -> R {
        let ns = try await create()
        defer { ns.delete() }
        return try await body(ns)
    }

    static func create() async throws -> NetworkNamespace {
        try IntegrationEnvironment.requireRoot()
        let ip = try IntegrationEnvironment.requireTool("ip", package: "iproute2")
        await removeStale(ip: ip)
        let name = "lgt-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        try await Command.check([ip, "netns", "add", name])
        var st = stat()
        guard stat("/run/netns/\(name)", &st) == 0 else {
            Command.runBlocking([ip, "netns", "delete", name])
            throw FixtureError("ip netns add \(name) made no /run/netns/\(name)")
        }
        let ns = NetworkNamespace(name: name, inode: UInt64(st.st_ino))
        do {
            try await Command.check([ip, "-n", name, "link", "set", "lo", "up"])
        } catch {
            ns.delete()
            throw error
        }
        return ns
    }

    /// Runs `argv` inside the namespace (`ip netns exec NAME ...`), in the background.
    func spawn(_ argv: [String]) throws -> ChildProcess {
        try ChildProcess(["ip", "netns", "exec", name] + argv)
    }

    /// Runs `argv` inside the namespace to completion.
    @discardableResult
    func run(_ argv: [String], timeout: Double = 10) async throws -> ChildProcess.Outcome {
        try await Command.run(["ip", "netns", "exec", name] + argv, timeout: timeout)
    }

    /// Whether something in the namespace listens on 127.0.0.1:`port` (UDP, or TCP with `tcp`).
    /// `endpoint`: on that address only (`127.0.0.1:PORT`, `[::1]:PORT`, as ss shows it).
    func isListening(port: Int, tcp: Bool = false, endpoint: String? = nil) async throws -> Bool {
        let outcome = try await run(["ss", "-Hn", tcp ? "-lt" : "-lu", "sport = :\(port)"])
        return outcome.stdout.contains(endpoint ?? ":\(port)")
    }

    /// Waits until something listens on `port` in the namespace, or throws after `seconds`.
    func waitUntilListening(port: Int, tcp: Bool = false, seconds: Double = 10, what: String) async throws {
        let deadline = ChildProcess.nowNanos + UInt64(seconds * 1e9)
        while ChildProcess.nowNanos < deadline {
            if try await isListening(port: port, tcp: tcp) { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw FixtureError("\(what) did not listen on 127.0.0.1:\(port) (\(tcp ? "tcp" : "udp")) in \(name) within \(seconds) s")
    }

    /// The namespace's UDP counters from /proc/net/snmp (`InDatagrams`, `NoPorts`, `RcvbufErrors`, ...).
    func udpCounters() async throws -> [String: Int] {
        try await snmp("Udp")
    }

    /// One protocol's counters from /proc/net/snmp in the namespace (`Tcp`, `Udp`).
    func snmp(_ proto: String) async throws -> [String: Int] {
        let text = try await Command.check(["ip", "netns", "exec", name, "cat", "/proc/net/snmp"])
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("\(proto):") }
        guard lines.count >= 2 else { throw FixtureError("no \(proto) lines in /proc/net/snmp: \(text)") }
        var counters: [String: Int] = [:]
        for (name, value) in zip(lines[0].split(separator: " ").dropFirst(), lines[1].split(separator: " ").dropFirst()) {
            counters[String(name)] = Int(value)
        }
        return counters
    }

    /// Writes /etc/netns/NAME/resolv.conf (what `ip netns exec` and loadgen's --netns default read); it is
    /// removed with the namespace.
    func writeResolvConf(_ text: String) throws {
        let fm = FileManager.default
        let dir = "/etc/netns/\(name)"
        if !fm.fileExists(atPath: "/etc/netns") {
            try fm.createDirectory(atPath: "/etc/netns", withIntermediateDirectories: true)
            extraPaths.append("/etc/netns")  // removed last, and only when empty
        }
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        extraPaths.insert(dir, at: 0)
        try text.write(toFile: "\(dir)/resolv.conf", atomically: true, encoding: .utf8)
    }

    /// Deletes the namespace (killing nothing: the test stops its own children first) and what was written for it.
    func delete() {
        guard !deleted else { return }
        deleted = true
        for path in extraPaths {
            if path == "/etc/netns" {
                rmdir(path)  // only when empty: other namespaces may have their own files there
            } else {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        Command.runBlocking(["ip", "netns", "delete", name])
    }

    nonisolated(unsafe) private static var staleChecked = false

    /// Removes namespaces named lgt-<pid>-* whose creating test process no longer exists, first killing the
    /// processes still inside them (they were started by that test process's fixtures).
    private static func removeStale(ip: String) async {
        guard !staleChecked else { return }
        staleChecked = true
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/run/netns") else { return }
        for name in names where name.hasPrefix("lgt-") {
            let parts = name.split(separator: "-")
            guard parts.count == 3, let creator = Int32(parts[1]), creator != getpid() else { continue }
            if Glibc.kill(creator, 0) == 0 || errno == EPERM { continue }  // its test process is still running
            if let pids = try? await Command.run([ip, "netns", "pids", name]) {
                for line in pids.stdout.split(separator: "\n") {
                    if let pid = Int32(line.trimmingCharacters(in: .whitespaces)) { Glibc.kill(pid, SIGKILL) }
                }
            }
            try? FileManager.default.removeItem(atPath: "/etc/netns/\(name)")
            _ = try? await Command.run([ip, "netns", "delete", name])
        }
    }
}
