import Foundation
import Glibc

/// Ports for servers in test namespaces.
enum TestPorts {
    /// A random port below the kernel's ephemeral range (`ip_local_port_range`, 32768–60999 by default; from
    /// 10000) on which nothing listens in the host's namespace (UDP or TCP), so that a run from the host to
    /// 127.0.0.1:port reaches no server. Below that range no client socket of a test holds it: a fixture server
    /// started in a namespace where loadgen's connections to an earlier one are still closing once failed to bind
    /// the port one of them had (EADDRINUSE).
    static func freeOnHost() async throws -> Int {
        let listening = try await Command.check(["ss", "-Hlnut"])
        let used = Set(listening.split(separator: "\n").compactMap { line -> Int? in
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count >= 5, let colon = columns[4].lastIndex(of: ":") else { return nil }
            return Int(columns[4][columns[4].index(after: colon)...])
        })
        let ephemeralStart = ephemeralRange().lowerBound
        guard ephemeralStart > 10_100 else { throw FixtureError("the ephemeral port range starts at \(ephemeralStart): no room below it") }
        for _ in 0..<100 {
            let port = Int.random(in: 10_000..<ephemeralStart)
            if !used.contains(port) { return port }
        }
        throw FixtureError("no free port found in 10000..<\(ephemeralStart)")
    }

    /// The kernel's range of ports for client sockets (`/proc/sys/net/ipv4/ip_local_port_range`).
    static func ephemeralRange() -> ClosedRange<Int> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let bounds = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { return 32768...60999 }
        return bounds[0]...bounds[1]
    }
}

/// A UDP socket bound to 127.0.0.1:`port` inside a namespace that reads nothing and answers nothing: a DNS
/// server that is up but dead. Queries to it neither complete nor get refused.
final class SilentUDPServer {
    private let process: ChildProcess

    static func with<R>(in namespace: NetworkNamespace, port: Int, _ body: () async throws -> R) async throws -> R {
        let python = try IntegrationEnvironment.requireTool("python3", package: "python3")
        let script = """
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", \(port)))
            time.sleep(60)
            """
        let server = SilentUDPServer(process: try namespace.spawn([python, "-c", script]))
        defer { server.process.stop(signal: SIGKILL) }
        try await namespace.waitUntilListening(port: port, what: "the silent UDP server")
        return try await body()
    }

    private init(process: ChildProcess) { self.process = process }
}

/// A process sleeping inside a namespace (`ip netns exec NS sleep 60`), for `--pid`.
final class SleepingProcess {
    let process: ChildProcess
    var pid: pid_t { process.pid }

    static func with<R>(in namespace: NetworkNamespace, _ body: (SleepingProcess) async throws -> R) async throws -> R {
        let sleeper = SleepingProcess(process: try namespace.spawn(["sleep", "60"]))
        defer { sleeper.process.stop(signal: SIGKILL) }
        try await sleeper.waitUntilInside(namespace)
        return try await body(sleeper)
    }

    private init(process: ChildProcess) { self.process = process }

    /// `ip netns exec` execs the command in place: wait until this PID's netns is the target's.
    private func waitUntilInside(_ namespace: NetworkNamespace) async throws {
        let deadline = ChildProcess.nowNanos + 5_000_000_000
        while ChildProcess.nowNanos < deadline {
            var st = stat()
            if stat("/proc/\(pid)/ns/net", &st) == 0, UInt64(st.st_ino) == namespace.inode,
               let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8), comm.hasPrefix("sleep") {
                return
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        throw FixtureError("pid \(pid) did not enter \(namespace.name) as `sleep` within 5 s")
    }
}

/// tshark on the namespace's loopback, printing one line per UDP datagram sent to `port` (its UDP length).
/// Start and end are fenced with probe datagrams of one byte (UDP length 9): the capture counts as running once
/// the first probe shows up, and everything sent before the last probe has been seen once that one shows up.
final class PacketCapture {
    static let probeUDPLength = 9

    private let namespace: NetworkNamespace
    private let port: Int
    private let process: ChildProcess

    static func with<R>(in namespace: NetworkNamespace, port: Int,
                        _ body: (PacketCapture) async throws -> R) async throws -> R {
        let tshark = try IntegrationEnvironment.requireTool("tshark", package: "tshark")
        let process = try namespace.spawn([tshark, "-i", "lo", "-n", "-l", "-f", "udp dst port \(port)",
                                           "-T", "fields", "-e", "udp.length"])
        let capture = PacketCapture(namespace: namespace, port: port, process: process)
        defer { capture.process.stop(signal: SIGINT, grace: 5) }
        try await capture.fence(what: "start")
        return try await body(capture)
    }

    private init(namespace: NetworkNamespace, port: Int, process: ChildProcess) {
        self.namespace = namespace
        self.port = port
        self.process = process
    }

    private var lengths: [Int] { Tshark.printedNumbers(process) }

    private var probesSeen: Int { lengths.filter { $0 == PacketCapture.probeUDPLength }.count }

    /// Sends probe datagrams until tshark prints one more probe than before.
    private func fence(what: String) async throws {
        try await Tshark.fence(process, in: namespace, probe: "printf x > /dev/udp/127.0.0.1/\(port)",
                               probeName: "datagram", what: what) { probesSeen }
    }

    /// Waits until everything sent so far has been captured; returns how many datagrams other than the probes
    /// went to the port.
    func finish() async throws -> Int {
        try await fence(what: "end")
        try Tshark.stop(process)
        return lengths.filter { $0 != PacketCapture.probeUDPLength }.count
    }
}

/// tshark on the namespace's loopback, printing one line per TCP SYN (a connection attempt, retransmissions
/// included) sent to `port`. Fenced like `PacketCapture`, with SYNs to `probePort`, where nothing may listen: the
/// capture counts as running once the first probe SYN shows up, and everything sent before the last probe has
/// been seen once that one shows up.
final class SYNCapture {
    private let namespace: NetworkNamespace
    private let port: Int
    private let probePort: Int
    private let process: ChildProcess

    static func with<R>(in namespace: NetworkNamespace, port: Int, probePort: Int,
                        _ body: (SYNCapture) async throws -> R) async throws -> R {
        precondition(port != probePort)
        let tshark = try IntegrationEnvironment.requireTool("tshark", package: "tshark")
        guard try await !namespace.isListening(port: probePort, tcp: true) else {
            throw FixtureError("something listens on the probe port \(probePort) in \(namespace.name)")
        }
        let filter = "(tcp dst port \(port) or tcp dst port \(probePort)) and tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0"
        let process = try namespace.spawn([tshark, "-i", "lo", "-n", "-l", "-f", filter, "-T", "fields", "-e", "tcp.dstport"])
        let capture = SYNCapture(namespace: namespace, port: port, probePort: probePort, process: process)
        defer { capture.process.stop(signal: SIGINT, grace: 5) }
        try await capture.fence(what: "start")
        return try await body(capture)
    }

    private init(namespace: NetworkNamespace, port: Int, probePort: Int, process: ChildProcess) {
        self.namespace = namespace
        self.port = port
        self.probePort = probePort
        self.process = process
    }

    private var ports: [Int] { Tshark.printedNumbers(process) }

    /// Opens connections to the probe port (refused) until tshark prints one more probe SYN than before.
    private func fence(what: String) async throws {
        try await Tshark.fence(process, in: namespace, probe: "exec 3<>/dev/tcp/127.0.0.1/\(probePort)",
                               probeName: "SYN", what: what) { ports.filter { $0 == probePort }.count }
    }

    /// Waits until everything sent so far has been captured; returns how many SYNs went to `port`.
    func finish() async throws -> Int {
        try await fence(what: "end")
        try Tshark.stop(process)
        return ports.filter { $0 == port }.count
    }
}
