import Foundation
import Glibc

/// The test suite's own scriptable DNS server (`dns_fixture.py`, beside this file) on 127.0.0.1:`port` over UDP
/// and TCP inside a test namespace: it answers normally, twice, truncated, with SERVFAIL or REFUSED, late, with a
/// wrong ID or question, or closes TCP connections after N queries, and logs every query and action as a JSON
/// line, so tests can assert the server's side. Use `DNSFixtureServer.with(in:port:mode:) { server in ... }`,
/// which stops the server and removes its directory whatever the body did.
final class DNSFixtureServer: ServerFixture {
    /// What the server does with each query (the script's `--mode`).
    enum Mode: String, Sendable, CaseIterable {
        case normal, twice, tc, servfail, refused, delay
        case wrongID = "wrong-id"
        case wrongQuestion = "wrong-question"
    }

    /// One line of the server's log.
    struct Entry {
        let fields: [String: Any]
        var event: String { fields["event"] as? String ?? "" }
        var proto: String { fields["proto"] as? String ?? "" }
        var id: Int? { fields["id"] as? Int }
        var kind: String { fields["kind"] as? String ?? "" }
    }

    let namespace: NetworkNamespace
    let port: Int
    let directory: URL
    private let process: ChildProcess

    var logPath: String { directory.appendingPathComponent("dns.log").path }

    private init(namespace: NetworkNamespace, port: Int, directory: URL, process: ChildProcess) {
        self.namespace = namespace
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// `delay`: seconds before answering in `.delay`; `closeAfter`: over TCP, close each connection after
    /// answering that many queries (0: never).
    static func with<R>(in namespace: NetworkNamespace, port: Int, mode: Mode, delay: Double = 2,
                        closeAfter: Int = 0, _ body: (DNSFixtureServer) async throws -> R) async throws -> R {
        try await using(try await start(in: namespace, port: port, mode: mode, delay: delay, closeAfter: closeAfter), body)
    }

    static func start(in namespace: NetworkNamespace, port: Int, mode: Mode, delay: Double = 2,
                      closeAfter: Int = 0) async throws -> DNSFixtureServer {
        let python = try IntegrationEnvironment.requireTool("python3", package: "python3")
        let directory = try TemporaryDirectory.make(prefix: "dnsfixture")
        let log = directory.appendingPathComponent("dns.log").path
        let process = try ChildProcess.startServer(directory: directory) {
            try namespace.spawn([python, scriptPath, "--port", "\(port)", "--log", log, "--mode", mode.rawValue,
                                 "--delay", "\(delay)", "--close-after", "\(closeAfter)"])
        }
        return try await DNSFixtureServer(namespace: namespace, port: port, directory: directory, process: process)
            .ready { try await $0.waitUntilReady() }
    }

    /// The script, next to this file in the source tree.
    static var scriptPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("dns_fixture.py").path
    }

    private func waitUntilReady() async throws {
        try await process.waitUntilReady("dns_fixture.py", "listen on 127.0.0.1:\(port) in \(namespace.name)",
                                         log: { process.stderrSoFar }) {
            guard entries().contains(where: { $0.event == "ready" }) else { return false }
            guard try await namespace.isListening(port: port) else { return false }
            return try await namespace.isListening(port: port, tcp: true)
        }
    }

    /// Every line logged so far.
    func entries() -> [Entry] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) .flatMap { $0 as? [String: Any] }.map(Entry.init)
        }
    }

    /// Log lines with this event (and protocol, when given).
    func entries(_ event: String, proto: String? = nil) -> [Entry] {
        entries().filter { $0.event == event && (proto == nil || $0.proto == proto) }
    }

    /// Stops the server (SIGKILL: it holds nothing worth a clean exit) and removes its directory.
    func stop() {
        process.stop(signal: SIGKILL, grace: 3, removing: directory)
    }
}
