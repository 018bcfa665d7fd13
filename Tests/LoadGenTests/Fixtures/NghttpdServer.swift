import Foundation
import Glibc

/// nghttpd (Debian package nghttp2-server) serving h2c with prior knowledge (`--no-tls`) — or, with `tls`, h2 over
/// TLS with the suite's server certificate — in the foreground inside a test namespace on 127.0.0.1:`port`, from a
/// private document root holding `index.html` ("hello\n").
///
/// Use `NghttpdServer.with(in:) { server in ... }`, which stops the server and removes its directory whatever the
/// body did; `kill()` ends it abruptly (SIGKILL) mid-run, as a crash would.
final class NghttpdServer: ServerFixture {
    static let path = "/index.html"
    static let content = "hello\n"

    let namespace: NetworkNamespace
    let port: Int
    let directory: URL
    private let process: ChildProcess
    let tls: Bool

    /// The URL loadgen is pointed at.
    var url: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)\(NghttpdServer.path)" }

    private init(namespace: NetworkNamespace, port: Int, directory: URL, process: ChildProcess, tls: Bool) {
        self.tls = tls
        self.namespace = namespace
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// Starts nghttpd (with `arguments` added, e.g. `["--max-concurrent-streams=5"]`), runs `body`, stops it.
    static func with<R>(in namespace: NetworkNamespace, arguments: [String] = [], tls: Bool = false,
                        _ body: (NghttpdServer) async throws -> R) async throws -> R {
        try await using(try await start(in: namespace, arguments: arguments, tls: tls), body)
    }

    static func start(in namespace: NetworkNamespace, arguments: [String] = [], tls: Bool = false) async throws -> NghttpdServer {
        // nghttpd [OPTION]... PORT [KEY CERT]: TLS unless --no-tls.
        var transport = ["--no-tls"], keyAndCert: [String] = []
        if tls {
            let certificates = try TLSCertificates.shared()
            transport = []
            keyAndCert = [certificates.serverKey, certificates.serverCert]
        }
        let nghttpd = try IntegrationEnvironment.requireTool("nghttpd", package: "nghttp2-server")
        let port = try await TestPorts.freeOnHost()
        let directory = try TemporaryDirectory.make(prefix: "nghttpd")
        let process = try ChildProcess.startServer(directory: directory, prepare: {
            try content.write(to: directory.appendingPathComponent(String(path.dropFirst())), atomically: true, encoding: .utf8)
        }) {
            let options: [String] = transport + ["--address=127.0.0.1", "-d", directory.path] + arguments
            return try namespace.spawn([nghttpd] + options + [String(port)] + keyAndCert)
        }
        return try await NghttpdServer(namespace: namespace, port: port, directory: directory, process: process, tls: tls).ready { server in
            try await process.waitUntilReady("nghttpd", "listen on 127.0.0.1:\(port) in \(namespace.name)", log: { server.log }) {
                try await namespace.isListening(port: port, tcp: true)
            }
        }
    }

    var isRunning: Bool { process.isRunning }

    /// What nghttpd wrote on stderr, for failure messages.
    var log: String { process.stderrSoFar }

    /// SIGKILL now: the server vanishes with its connections (the kernel resets them).
    func kill() {
        process.kill()
    }

    /// Stops nghttpd (SIGTERM, then SIGKILL after 3 s) and removes its directory.
    func stop() {
        process.stop(grace: 3, removing: directory)
    }
}
