import Foundation
import Glibc

/// Knot DNS (authoritative, one UDP and one TCP worker) running in the foreground inside a test namespace on
/// 127.0.0.1:`port`, serving `example.test`:
///
///     a.example.test   A 192.0.2.1, AAAA 2001:db8::1
///     (anything else)  NXDOMAIN
///
/// mod-stats counts what the server saw per protocol (`udp4`, `tcp4`) and per response code; `stats()` reads the
/// counters with `knotc stats`. Use `KnotServer.with(in:port:) { knot in ... }`, which stops the server and removes
/// its directory whatever the body did.
final class KnotServer: ServerFixture {
    static let zone = "example.test"
    static let existingName = "a.example.test"
    static let missingName = "nx.example.test"

    let namespace: NetworkNamespace
    let port: Int
    let directory: URL
    private let process: ChildProcess

    var configPath: String { directory.appendingPathComponent("knot.conf").path }

    private init(namespace: NetworkNamespace, port: Int, directory: URL, process: ChildProcess) {
        self.namespace = namespace
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// `extraRecords`: more zone-file lines for `example.test` (e.g. `web A 127.0.0.1`), after the ones above.
    static func with<R>(in namespace: NetworkNamespace, port: Int = 53, extraRecords: [String] = [],
                        _ body: (KnotServer) async throws -> R) async throws -> R {
        try await using(try await start(in: namespace, port: port, extraRecords: extraRecords), body)
    }

    static func start(in namespace: NetworkNamespace, port: Int, extraRecords: [String] = []) async throws -> KnotServer {
        let knotd = try IntegrationEnvironment.requireTool("knotd", package: "knot")
        _ = try IntegrationEnvironment.requireTool("knotc", package: "knot")
        let directory = try TemporaryDirectory.make(prefix: "knot")
        let dir = directory.path
        let config = """
            server:
                rundir: "\(dir)"
                listen: 127.0.0.1@\(port)
                udp-workers: 1
                tcp-workers: 1
                background-workers: 1
            control:
                listen: "\(dir)/knot.sock"
            log:
              - target: stderr
                any: warning
            database:
                storage: "\(dir)"
            mod-stats:
              - id: stats
                request-protocol: on
                response-code: on
                query-type: on
            template:
              - id: default
                storage: "\(dir)"
                global-module: mod-stats/stats
            zone:
              - domain: \(zone)
                file: "\(dir)/\(zone).zone"

            """
        let zoneText = """
            $ORIGIN \(zone).
            $TTL 300
            @   SOA ns.\(zone). hostmaster.\(zone). 1 3600 600 86400 300
            @   NS  ns
            ns  A   127.0.0.1
            a   A   192.0.2.1
            a   AAAA 2001:db8::1

            """ + extraRecords.map { $0 + "\n" }.joined()
        let process = try ChildProcess.startServer(directory: directory, prepare: {
            try config.write(toFile: "\(dir)/knot.conf", atomically: true, encoding: .utf8)
            try zoneText.write(toFile: "\(dir)/\(zone).zone", atomically: true, encoding: .utf8)
        }) {
            try namespace.spawn([knotd, "-c", "\(dir)/knot.conf"])
        }
        return try await KnotServer(namespace: namespace, port: port, directory: directory, process: process)
            .ready { try await $0.waitUntilReady() }
    }

    /// Ready = the control socket answers, the zone is loaded, and UDP and TCP listen. No query is sent, so the
    /// counters start at zero.
    private func waitUntilReady() async throws {
        try await process.waitUntilReady("knotd", "become ready on 127.0.0.1:\(port) in \(namespace.name)", log: { log }) {
            let status = try await knotc(["zone-status", KnotServer.zone])
            guard status.termination == .exited(0), status.stdout.contains("serial: 1") else { return false }
            guard try await namespace.isListening(port: port) else { return false }
            return try await namespace.isListening(port: port, tcp: true)
        }
    }

    private func knotc(_ arguments: [String]) async throws -> ChildProcess.Outcome {
        try await namespace.run(["knotc", "-c", configPath] + arguments)
    }

    /// The server's counters, e.g. `mod-stats.request-protocol[udp4]`; counters that are zero are absent.
    func stats() async throws -> KnotStats {
        let outcome = try await knotc(["stats"])
        guard outcome.termination == .exited(0) else {
            throw FixtureError("knotc stats failed (\(outcome.termination)): \(outcome.stderr)")
        }
        var counters: [String: Int] = [:]
        for line in outcome.stdout.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Int(parts[1].trimmingCharacters(in: .whitespaces)) else { continue }
            counters[parts[0].trimmingCharacters(in: .whitespaces)] = value
        }
        return KnotStats(counters: counters)
    }

    /// What knotd wrote on stderr (warnings and errors), for failure messages.
    var log: String { process.stderrSoFar }

    /// Stops knotd (SIGTERM, then SIGKILL after 5 s) and removes its directory.
    func stop() {
        process.stop(grace: 5, removing: directory)
    }
}

/// A snapshot of knot's mod-stats counters.
struct KnotStats {
    var counters: [String: Int]

    subscript(_ key: String) -> Int { counters[key] ?? 0 }

    /// Queries received over UDP/IPv4.
    var udp4: Int { self["mod-stats.request-protocol[udp4]"] }
    /// Queries received over TCP/IPv4.
    var tcp4: Int { self["mod-stats.request-protocol[tcp4]"] }
    /// Every query received, whatever the protocol.
    var requests: Int {
        counters.filter { $0.key.hasPrefix("mod-stats.request-protocol[") }.values.reduce(0, +)
    }

    func rcode(_ name: String) -> Int { self["mod-stats.response-code[\(name)]"] }

    /// `after - before`, counter by counter.
    static func - (after: KnotStats, before: KnotStats) -> KnotStats {
        var delta: [String: Int] = [:]
        for key in Set(after.counters.keys).union(before.counters.keys) {
            delta[key] = after[key] - before[key]
        }
        return KnotStats(counters: delta)
    }
}
