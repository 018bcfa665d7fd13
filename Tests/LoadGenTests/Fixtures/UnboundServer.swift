import Foundation
import Glibc

/// Unbound 1.17 (Debian 12's, linked with libnghttp2) in the foreground inside a test namespace, serving DNS over
/// TLS on 127.0.0.1:853 and DNS over HTTPS on 127.0.0.1:443 (`/dns-query`, h2 only) with the test CA's server
/// certificate (`TLSCertificates`), and plain DNS on 127.0.0.1:53. It answers from local data only — no
/// recursion, no network:
///
///     a.example.test   A 192.0.2.1
///     (anything else in example.test)  NXDOMAIN
///
/// `stats()` reads its counters with `unbound-control stats_noreset` over a control socket in its directory.
/// Use `UnboundServer.with(in:) { unbound in ... }`, which stops the server and removes its directory whatever
/// the body did; `kill()` ends it at once (a server that dies mid-run).
final class UnboundServer: ServerFixture {
    static let existingName = "a.example.test"
    static let missingName = "nx.example.test"
    static let tlsPort = 853
    static let httpsPort = 443

    let namespace: NetworkNamespace
    let directory: URL
    private let process: ChildProcess

    var configPath: String { directory.appendingPathComponent("unbound.conf").path }

    private init(namespace: NetworkNamespace, directory: URL, process: ChildProcess) {
        self.namespace = namespace
        self.directory = directory
        self.process = process
    }

    static func with<R>(in namespace: NetworkNamespace, _ body: (UnboundServer) async throws -> R) async throws -> R {
        try await using(try await start(in: namespace), body)
    }

    static func start(in namespace: NetworkNamespace) async throws -> UnboundServer {
        let unbound = try IntegrationEnvironment.requireTool("unbound", package: "unbound")
        _ = try IntegrationEnvironment.requireTool("unbound-control", package: "unbound")
        let certificates = try TLSCertificates.shared()
        let directory = try TemporaryDirectory.make(prefix: "unbound")
        let dir = directory.path
        let config = """
            server:
                username: ""
                chroot: ""
                directory: "\(dir)"
                pidfile: ""
                use-syslog: no
                logfile: ""
                verbosity: 0
                do-daemonize: no
                num-threads: 1
                interface: 127.0.0.1@53
                interface: 127.0.0.1@\(tlsPort)
                interface: 127.0.0.1@\(httpsPort)
                tls-port: \(tlsPort)
                https-port: \(httpsPort)
                http-endpoint: "/dns-query"
                http-notls-downstream: no
                tls-service-key: "\(certificates.serverKey)"
                tls-service-pem: "\(certificates.serverCert)"
                access-control: 127.0.0.0/8 allow
                do-not-query-localhost: yes
                module-config: "iterator"
                extended-statistics: yes
                local-zone: "example.test." static
                local-data: "\(existingName). 300 IN A 192.0.2.1"
            remote-control:
                control-enable: yes
                control-interface: "\(dir)/control.sock"
                control-use-cert: no

            """
        let process = try ChildProcess.startServer(directory: directory, prepare: {
            try config.write(toFile: "\(dir)/unbound.conf", atomically: true, encoding: .utf8)
        }) {
            try namespace.spawn([unbound, "-d", "-c", "\(dir)/unbound.conf"])
        }
        return try await UnboundServer(namespace: namespace, directory: directory, process: process)
            .ready { try await $0.waitUntilReady() }
    }

    /// Ready = the control socket answers and the TLS and HTTPS ports listen. No query is sent.
    private func waitUntilReady() async throws {
        try await process.waitUntilReady("unbound", "become ready in \(namespace.name)", log: { log }) {
            let status = try await control(["status"])
            guard status.termination == .exited(0) else { return false }
            guard try await namespace.isListening(port: UnboundServer.tlsPort, tcp: true) else { return false }
            return try await namespace.isListening(port: UnboundServer.httpsPort, tcp: true)
        }
    }

    private func control(_ arguments: [String]) async throws -> ChildProcess.Outcome {
        try await namespace.run(["unbound-control", "-c", configPath] + arguments)
    }

    /// The server's counters (`total.num.queries`, `num.query.tls`, `num.answer.rcode.NOERROR`, ...).
    func stats() async throws -> UnboundStats {
        let outcome = try await control(["stats_noreset"])
        guard outcome.termination == .exited(0) else {
            throw FixtureError("unbound-control stats_noreset failed (\(outcome.termination)): \(outcome.stderr)")
        }
        var counters: [String: Double] = [:]
        for line in outcome.stdout.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Double(parts[1]) else { continue }
            counters[String(parts[0])] = value
        }
        return UnboundStats(counters: counters)
    }

    /// What unbound wrote on stderr, for failure messages.
    var log: String { process.stderrSoFar }

    /// Kills unbound at once (SIGKILL): its connections are reset or dropped, new ones refused.
    func kill() {
        process.kill()
    }

    func stop() {
        process.stop(grace: 5, removing: directory)
    }
}

/// A snapshot of unbound's statistics.
struct UnboundStats {
    var counters: [String: Double]

    subscript(_ key: String) -> Int { Int(counters[key] ?? 0) }

    /// Every query unbound received.
    var queries: Int { self["total.num.queries"] }
    /// Queries over TLS: DNS over TLS and DNS over HTTPS (which unbound counts as TLS too).
    var tls: Int { self["num.query.tls"] }
    /// Queries over HTTPS.
    var https: Int { self["num.query.https"] }

    func rcode(_ name: String) -> Int { self["num.answer.rcode.\(name)"] }
}
