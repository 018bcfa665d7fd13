import Foundation
import Glibc

/// nginx 1.22 (one process, `master_process off`, in the foreground) inside a test namespace, serving h2c with
/// prior knowledge on 127.0.0.1:`h2Port` (`listen ... http2;` without ssl): `index.html` ("hello\n") with the
/// default `keepalive_requests 1000`, so every HTTP/2 connection gets a GOAWAY after its 1000th request.
/// (Fixtures/NginxServer.swift serves HTTP/1.1 only; this one is for HTTP/2.)
///
/// Every request is written to an access log as `$connection $connection_requests $status $server_protocol
/// "$request"`; `accessLog()` reads it back. Use `H2cNginxServer.with(in:) { nginx in ... }`, which stops nginx and
/// removes its directory whatever the body did.
final class H2cNginxServer {
    static let path = "/index.html"

    let namespace: NetworkNamespace
    let h2Port: Int
    let directory: URL
    private let process: ChildProcess

    var h2URL: String { "http://127.0.0.1:\(h2Port)\(H2cNginxServer.path)" }
    private var accessLogPath: String { directory.appendingPathComponent("access.log").path }
    private var errorLogPath: String { directory.appendingPathComponent("error.log").path }

    private init(namespace: NetworkNamespace, h2Port: Int, directory: URL, process: ChildProcess) {
        self.namespace = namespace
        self.h2Port = h2Port
        self.directory = directory
        self.process = process
    }

    static func with<R>(in namespace: NetworkNamespace, _ body: (H2cNginxServer) async throws -> R) async throws -> R {
        let nginx = try await start(in: namespace)
        defer { nginx.stop() }
        return try await body(nginx)
    }

    static func start(in namespace: NetworkNamespace) async throws -> H2cNginxServer {
        let nginx = try IntegrationEnvironment.requireTool("nginx", package: "nginx-light")
        let h2Port = try await TestPorts.freeOnHost()
        let directory = try TemporaryDirectory.make(prefix: "nginx")
        let dir = directory.path
        let config = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log warn;
            events { worker_connections 1024; }
            http {
                log_format loadgen '$connection $connection_requests $status $server_protocol "$request"';
                access_log \(dir)/access.log loadgen;
                client_body_temp_path \(dir)/body;
                proxy_temp_path \(dir)/proxy;
                fastcgi_temp_path \(dir)/fastcgi;
                uwsgi_temp_path \(dir)/uwsgi;
                scgi_temp_path \(dir)/scgi;
                default_type text/plain;
                server {
                    listen 127.0.0.1:\(h2Port) http2;
                    root \(dir)/www;
                }
            }

            """
        let process: ChildProcess
        do {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("www"), withIntermediateDirectories: true)
            try "hello\n".write(toFile: "\(dir)/www/index.html", atomically: true, encoding: .utf8)
            try config.write(toFile: "\(dir)/nginx.conf", atomically: true, encoding: .utf8)
            process = try namespace.spawn([nginx, "-p", dir, "-c", "\(dir)/nginx.conf", "-e", "\(dir)/error.log"])
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        let server = H2cNginxServer(namespace: namespace, h2Port: h2Port, directory: directory, process: process)
        do {
            try await server.waitUntilReady()
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    private func waitUntilReady() async throws {
        let deadline = ChildProcess.nowNanos + 10_000_000_000
        while ChildProcess.nowNanos < deadline {
            guard process.isRunning else { throw FixtureError("nginx exited during start-up: \(log)") }
            if try await namespace.isListening(port: h2Port, tcp: true) { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw FixtureError("nginx did not listen on 127.0.0.1:\(h2Port) in \(namespace.name) within 10 s: \(log)")
    }

    /// nginx's error log and stderr, for failure messages.
    var log: String {
        ((try? String(contentsOfFile: errorLogPath, encoding: .utf8)) ?? "") + process.stderrSoFar
    }

    /// One access-log line.
    struct AccessLogEntry {
        var connection: Int
        var connectionRequests: Int
        var status: Int
        var serverProtocol: String
        var request: String
    }

    /// The access log's lines; unparsable ones come back with status 0 and the whole line as `request`.
    func accessLogNow() -> [AccessLogEntry] {
        let text = (try? String(contentsOfFile: accessLogPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            let fields = line.split(separator: " ", maxSplits: 4)
            guard fields.count == 5, let connection = Int(fields[0]), let requests = Int(fields[1]), let status = Int(fields[2]) else {
                return AccessLogEntry(connection: 0, connectionRequests: 0, status: 0, serverProtocol: "", request: String(line))
            }
            return AccessLogEntry(connection: connection, connectionRequests: requests, status: status,
                                  serverProtocol: String(fields[3]), request: String(fields[4]).trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        }
    }

    /// The access log once it has `expected` lines, or once it stops growing (nginx writes a line when it
    /// finalizes a request, which can be just after the client saw the response); at most `seconds`.
    func accessLog(expected: Int, seconds: Double = 5) async throws -> [AccessLogEntry] {
        let deadline = ChildProcess.nowNanos + UInt64(seconds * 1e9)
        var last = -1
        var stableSince = ChildProcess.nowNanos
        while true {
            let entries = accessLogNow()
            let now = ChildProcess.nowNanos
            if entries.count >= expected || now >= deadline { return entries }
            if entries.count != last {
                last = entries.count
                stableSince = now
            } else if now - stableSince >= 500_000_000 {
                return entries
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// Stops nginx (SIGTERM, then SIGKILL after 3 s) and removes its directory.
    func stop() {
        process.stop(signal: SIGTERM, grace: 3)
        try? FileManager.default.removeItem(at: directory)
    }
}
