import Foundation
import Glibc

/// nginx 1.22 (one process, `master_process off`, in the foreground) inside a test namespace, serving `index.html`
/// ("hello\n") over HTTP/1.1 on 127.0.0.1:`http1Port` and over h2c with prior knowledge on 127.0.0.1:`http2Port`,
/// logging for every request what joins it with loadgen's events log: the `id` query argument and the `X-Seq`
/// header. (Fixtures/NginxServer.swift and HTTP2NginxServer.swift log the request line only.)
///
/// Access-log line: `$server_port $connection $connection_requests $status $server_protocol "$arg_id"
/// "$http_x_seq" "$request"`. Use `GroundTruthNginxServer.with(in:) { nginx in ... }`, which stops nginx and
/// removes its directory whatever the body did.
final class GroundTruthNginxServer {
    let namespace: NetworkNamespace
    let http1Port: Int
    let http2Port: Int
    let directory: URL
    private let process: ChildProcess

    private var accessLogPath: String { directory.appendingPathComponent("access.log").path }
    private var errorLogPath: String { directory.appendingPathComponent("error.log").path }

    private init(namespace: NetworkNamespace, http1Port: Int, http2Port: Int, directory: URL, process: ChildProcess) {
        self.namespace = namespace
        self.http1Port = http1Port
        self.http2Port = http2Port
        self.directory = directory
        self.process = process
    }

    static func with<R>(in namespace: NetworkNamespace, _ body: (GroundTruthNginxServer) async throws -> R) async throws -> R {
        let nginx = try await start(in: namespace)
        defer { nginx.stop() }
        return try await body(nginx)
    }

    static func start(in namespace: NetworkNamespace) async throws -> GroundTruthNginxServer {
        let nginx = try IntegrationEnvironment.requireTool("nginx", package: "nginx-light")
        let http1Port = try await TestPorts.freeOnHost()
        var http2Port = try await TestPorts.freeOnHost()
        while http2Port == http1Port { http2Port = try await TestPorts.freeOnHost() }
        let directory = try TemporaryDirectory.make(prefix: "nginx")
        let dir = directory.path
        // keepalive_requests applies to HTTP/2 connections too (a GOAWAY after that many): high, so that every
        // request of a run is sent exactly once.
        let config = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log warn;
            events { worker_connections 1024; }
            http {
                log_format groundtruth '$server_port $connection $connection_requests $status $server_protocol "$arg_id" "$http_x_seq" "$request"';
                access_log \(dir)/access.log groundtruth;
                client_body_temp_path \(dir)/body;
                proxy_temp_path \(dir)/proxy;
                fastcgi_temp_path \(dir)/fastcgi;
                uwsgi_temp_path \(dir)/uwsgi;
                scgi_temp_path \(dir)/scgi;
                default_type text/plain;
                keepalive_requests 1000000;
                server {
                    listen 127.0.0.1:\(http1Port);
                    root \(dir)/www;
                }
                server {
                    listen 127.0.0.1:\(http2Port) http2;
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
        let server = GroundTruthNginxServer(namespace: namespace, http1Port: http1Port, http2Port: http2Port,
                                            directory: directory, process: process)
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
            if try await namespace.isListening(port: http1Port, tcp: true),
               try await namespace.isListening(port: http2Port, tcp: true) {
                return
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw FixtureError("nginx did not listen on 127.0.0.1:\(http1Port) and :\(http2Port) in \(namespace.name) within 10 s: \(log)")
    }

    /// nginx's error log and stderr, for failure messages.
    var log: String {
        ((try? String(contentsOfFile: errorLogPath, encoding: .utf8)) ?? "") + process.stderrSoFar
    }

    /// One access-log line.
    struct AccessLogEntry: CustomStringConvertible {
        var port: Int
        /// nginx's serial number of the connection (`$connection`).
        var connection: Int
        var connectionRequests: Int
        var status: Int
        var serverProtocol: String
        /// The `id` query argument ("" when absent).
        var argID: String
        /// The X-Seq header ("" when absent).
        var xSeq: String
        var request: String

        var description: String {
            "\(port) \(connection) \(connectionRequests) \(status) \(serverProtocol) id=\(argID) x-seq=\(xSeq) \"\(request)\""
        }
    }

    private func entries() throws -> [AccessLogEntry] {
        let text = (try? String(contentsOfFile: accessLogPath, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { line in
            // PORT CONN REQS STATUS PROTO "ID" "XSEQ" "REQUEST"
            let quoted = line.split(separator: "\"", omittingEmptySubsequences: false).map(String.init)
            let fields = quoted[0].split(separator: " ")
            guard quoted.count == 7, fields.count == 5, let port = Int(fields[0]), let connection = Int(fields[1]),
                  let requests = Int(fields[2]), let status = Int(fields[3]) else {
                throw FixtureError("nginx access log: cannot parse '\(line)'")
            }
            func value(_ text: String) -> String { text == "-" ? "" : text }
            return AccessLogEntry(port: port, connection: connection, connectionRequests: requests, status: status,
                                  serverProtocol: String(fields[4]), argID: value(quoted[1]), xSeq: value(quoted[3]),
                                  request: quoted[5])
        }
    }

    /// The access log once it has stopped growing: no new line for 0.2 s after it reached `expected` lines, or for
    /// 0.5 s before (nginx writes a line when it finalizes a request, which can be just after the client saw the
    /// response); at most `seconds`. Waiting past `expected` lets lines beyond it (a request sent twice) show up.
    func accessLog(expected: Int, seconds: Double = 5) async throws -> [AccessLogEntry] {
        let deadline = ChildProcess.nowNanos + UInt64(seconds * 1e9)
        var last = -1
        var stableSince = ChildProcess.nowNanos
        while true {
            let lines = try entries()
            let now = ChildProcess.nowNanos
            if now >= deadline { return lines }
            if lines.count != last {
                last = lines.count
                stableSince = now
            } else if now - stableSince >= (lines.count >= expected ? 200_000_000 : 500_000_000) {
                return lines
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
