import Foundation
import Glibc

/// The tcp and udp kinds' fixture server (`kinds_server.py`, run by Debian's python3 inside a test namespace on
/// 127.0.0.1:`port`): a TCP server that accepts, replies with bytes or resets, or a UDP sink or echo server that
/// drops, duplicates, truncates or adds foreign datagrams. It logs one line per TCP fact (`accept PEER`,
/// `replied PEER`, `reset PEER`, `closed PEER BYTES`) and keeps its counters in a file, so that a test can hold
/// loadgen's counts against the server's.
final class KindsServer: ServerFixture {
    let namespace: NetworkNamespace
    let port: Int
    /// The address it listens on: 127.0.0.1, or an IPv6 literal such as ::1.
    let host: String
    let directory: URL
    private let process: ChildProcess

    var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    private var logPath: String { directory.appendingPathComponent("server.log").path }
    private var countsPath: String { directory.appendingPathComponent("counts").path }

    private init(namespace: NetworkNamespace, port: Int, host: String, directory: URL, process: ChildProcess) {
        self.namespace = namespace
        self.port = port
        self.host = host
        self.directory = directory
        self.process = process
    }

    /// Starts the server (`arguments`: `--proto tcp|udp --mode …` and the mode's options), runs `body`, and stops
    /// the server whatever `body` did. `port`: a free one unless given (e.g. the port of another server on another
    /// address, for a name with both addresses).
    static func with<R>(in namespace: NetworkNamespace, _ arguments: [String], host: String = "127.0.0.1", port: Int? = nil,
                        _ body: (KindsServer) async throws -> R) async throws -> R {
        try await using(try await start(in: namespace, arguments, host: host, port: port), body)
    }

    static func start(in namespace: NetworkNamespace, _ arguments: [String], host: String = "127.0.0.1",
                      port given: Int? = nil) async throws -> KindsServer {
        let python = try IntegrationEnvironment.requireTool("python3", package: "python3")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("kinds_server.py").path
        let port: Int
        if let given { port = given } else { port = try await TestPorts.freeOnHost() }
        let directory = try TemporaryDirectory.make(prefix: "kinds")
        let log = directory.appendingPathComponent("server.log").path
        let counts = directory.appendingPathComponent("counts").path
        let tcp = arguments.contains("tcp")
        let process = try ChildProcess.startServer(directory: directory) {
            try namespace.spawn([python, "-B", script, "--port", "\(port)", "--host", host, "--log", log, "--counts", counts] + arguments)
        }
        return try await KindsServer(namespace: namespace, port: port, host: host, directory: directory, process: process)
            .ready { server in
                try await process.waitUntilReady("kinds_server.py", "listen on \(host) port \(port) in \(namespace.name)",
                                                 log: { server.process.stderrSoFar }) {
                    try await namespace.isListening(port: port, tcp: tcp, endpoint: server.endpoint)
                }
            }
    }

    func stop() {
        process.stop(grace: 3, removing: directory)
    }

    /// The server's counters once they stayed the same for 0.3 s (at most `seconds`).
    func counts(seconds: Double = 5) async throws -> [String: Int] {
        let deadline = ChildProcess.nowNanos + UInt64(seconds * 1e9)
        var last: [String: Int]?
        var stableSince = ChildProcess.nowNanos
        while true {
            let text = (try? String(contentsOfFile: countsPath, encoding: .utf8)) ?? ""
            var now: [String: Int] = [:]
            for pair in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                let parts = pair.split(separator: "=")
                if parts.count == 2, let value = Int(parts[1]) { now[String(parts[0])] = value }
            }
            let time = ChildProcess.nowNanos
            if now != last {
                (last, stableSince) = (now, time)
            } else if time - stableSince >= 300_000_000 || time >= deadline {
                return now
            }
            try await Task.sleep(nanoseconds: 25_000_000)
        }
    }

    /// The log's lines, split into words.
    func log() -> [[String]] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    }

    var stderr: String { process.stderrSoFar }
}

extension NetworkNamespace {
    /// How each counter of `proto` moved while `body` ran.
    func snmpDelta<R>(_ proto: String, _ body: () async throws -> R) async throws -> (R, [String: Int]) {
        let before = try await snmp(proto)
        let value = try await body()
        let after = try await snmp(proto)
        var delta: [String: Int] = [:]
        for (key, v) in after { delta[key] = v - (before[key] ?? 0) }
        return (value, delta)
    }
}
