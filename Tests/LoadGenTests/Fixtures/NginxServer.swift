import Foundation
import Glibc

/// nginx (Debian's nginx-light, one worker) running in the foreground inside a test namespace on
/// 127.0.0.1:`port`, serving:
///
///     /         a static file of `indexSize` bytes (200, Content-Length)
///     /204      204, no body
///     /404      404
///     /ssi      an SSI page (200, Transfer-Encoding: chunked)
///     /echo     200 "ok"; also logs method, X-Test, Content-Length, User-Agent and Host to its own log
///
/// With `h2c: true` it also serves the same files over h2c with prior knowledge (`listen ... http2;` without ssl)
/// on 127.0.0.1:`h2Port`. `keepaliveRequests` (`keepalive_requests`) applies to HTTP/2 connections too: a GOAWAY
/// after that many requests.
///
/// The access log (`accessLog()`) has one line per request: `$connection $connection_requests $status
/// $server_protocol "$request"`, written unbuffered, so it is the server's side of every count. With
/// `groundTruthLog: true` every request (but /echo's) is also logged with what joins it with loadgen's events log
/// (`groundTruthLog(expected:)`): `$server_port $connection $connection_requests $status $server_protocol "$arg_id"
/// "$http_x_seq" "$request"`. A second server on 127.0.0.1:`statusPort` answers stub_status, whose `accepts`
/// counter (`acceptedConnections()`) is every connection nginx accepted on `port` (and `h2Port`). With `tls` it
/// also serves HTTPS on `tlsPort` and h2 over TLS (ALPN) on `h2TLSPort` with the given certificate, logging to
/// `tlsAccessLog()` with the protocol, `$ssl_protocol` and `$ssl_session_reused` of each request. Use
/// `NginxServer.with(in:port:) { nginx in ... }`, which stops nginx (master and worker) and removes its directory
/// whatever the body did; `killHard()` SIGKILLs both mid-run.
final class NginxServer: ServerFixture {
    /// The size of `/` (index.html), in bytes.
    static let indexSize = 612
    /// The static file's path.
    static let indexPath = "/index.html"

    let namespace: NetworkNamespace
    let port: Int
    let statusPort: Int
    /// The h2c port (started with `h2c: true`).
    let h2Port: Int?
    /// HTTPS and h2-over-TLS ports (started with `tls`).
    let tlsPort: Int?
    let h2TLSPort: Int?
    let directory: URL
    private let process: ChildProcess
    /// Worker PIDs seen so far (children of the master), so that none outlives the fixture.
    private var workers: Set<pid_t> = []
    /// Connections the fixture itself opened to the status port (each is one of nginx's `accepts`).
    private var statusQueries = 0

    var configPath: String { directory.appendingPathComponent("nginx.conf").path }
    var accessLogPath: String { directory.appendingPathComponent("access.log").path }
    var echoLogPath: String { directory.appendingPathComponent("echo.log").path }
    var errorLogPath: String { directory.appendingPathComponent("error.log").path }
    var groundTruthLogPath: String { directory.appendingPathComponent("groundtruth.log").path }
    var tlsAccessLogPath: String { directory.appendingPathComponent("tls-access.log").path }

    /// What the TLS servers present: a certificate chain and its key, and the CA whose client certificates
    /// they require (nil: none asked for).
    struct TLSSetup {
        var cert: String
        var key: String
        var clientCA: String?

        /// The suite's good server certificate (localhost, 127.0.0.1).
        static func good() throws -> TLSSetup {
            let certificates = try TLSCertificates.shared()
            return TLSSetup(cert: certificates.serverCert, key: certificates.serverKey)
        }
    }

    /// `https://127.0.0.1:TLSPORT` + `path`; `http2`: the h2-over-TLS port.
    func httpsURL(_ path: String = "/", http2: Bool = false, host: String = "127.0.0.1") -> String {
        guard let port = http2 ? h2TLSPort : tlsPort else { preconditionFailure("nginx was started without tls") }
        return "https://\(host):\(port)\(path)"
    }

    /// `http://127.0.0.1:PORT` + `path`.
    func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// `http://127.0.0.1:H2PORT` + `path` (the h2c port: start with `h2c: true`).
    func h2URL(_ path: String = NginxServer.indexPath) -> String {
        guard let h2Port else { preconditionFailure("nginx was started without h2c") }
        return "http://127.0.0.1:\(h2Port)\(path)"
    }

    private init(namespace: NetworkNamespace, port: Int, statusPort: Int, h2Port: Int?, tlsPorts: (Int, Int)?,
                 directory: URL, process: ChildProcess) {
        self.namespace = namespace
        self.port = port
        self.statusPort = statusPort
        self.h2Port = h2Port
        tlsPort = tlsPorts?.0
        h2TLSPort = tlsPorts?.1
        self.directory = directory
        self.process = process
    }

    /// Starts nginx on `port` (a free one when nil; `keepaliveRequests`: responses per connection before nginx
    /// closes it; `h2c`: also serve h2c on `h2Port`; `groundTruthLog`: also write the ground-truth log), runs
    /// `body`, and stops nginx whatever `body` did.
    static func with<R>(in namespace: NetworkNamespace, port: Int? = nil, keepaliveRequests: Int = 1_000_000,
                        h2c: Bool = false, groundTruthLog: Bool = false, tls: TLSSetup? = nil,
                        _ body: (NginxServer) async throws -> R) async throws -> R {
        try await using(try await start(in: namespace, port: port, keepaliveRequests: keepaliveRequests, h2c: h2c,
                                        groundTruthLog: groundTruthLog, tls: tls), body)
    }

    /// A free port on the host that is none of `taken`.
    private static func freePort(besides taken: [Int]) async throws -> Int {
        var port = try await TestPorts.freeOnHost()
        while taken.contains(port) { port = try await TestPorts.freeOnHost() }
        return port
    }

    static func start(in namespace: NetworkNamespace, port requested: Int? = nil, keepaliveRequests: Int = 1_000_000,
                      h2c: Bool = false, groundTruthLog: Bool = false, tls: TLSSetup? = nil) async throws -> NginxServer {
        let binary = try IntegrationEnvironment.requireTool("nginx", package: "nginx-light")
        var port = requested ?? 0
        if requested == nil { port = try await freePort(besides: []) }
        let statusPort = try await freePort(besides: [port])
        var h2Port: Int?
        if h2c { h2Port = try await freePort(besides: [port, statusPort]) }
        var tlsPorts: (Int, Int)?
        if tls != nil {
            let first = try await freePort(besides: [port, statusPort] + (h2Port.map { [$0] } ?? []))
            tlsPorts = (first, try await freePort(besides: [port, statusPort, first] + (h2Port.map { [$0] } ?? [])))
        }
        let directory = try TemporaryDirectory.make(prefix: "nginx")
        let dir = directory.path
        let tlsServers = tls.map { NginxServer.tlsServers($0, ports: tlsPorts!, dir: dir) } ?? ""
        let groundTruthAccessLog = groundTruthLog ? "access_log \(dir)/groundtruth.log groundtruth;" : ""
        let h2Server = h2Port.map { "server { listen 127.0.0.1:\($0) http2; root \(dir)/www; }" } ?? ""
        // `user root`: the worker reads the temporary directory wherever TMPDIR points (nobody may not).
        let config = """
            user root;
            worker_processes 1;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log warn;
            events { worker_connections 20000; }
            http {
                log_format lg '$connection $connection_requests $status $server_protocol "$request"';
                log_format echo '$request_method "$http_x_test" "$content_length" "$http_user_agent" "$host"';
                log_format groundtruth '$server_port $connection $connection_requests $status $server_protocol "$arg_id" "$http_x_seq" "$request"';
                access_log \(dir)/access.log lg;
                \(groundTruthAccessLog)
                client_body_temp_path \(dir)/body;
                proxy_temp_path \(dir)/proxy;
                fastcgi_temp_path \(dir)/fastcgi;
                uwsgi_temp_path \(dir)/uwsgi;
                scgi_temp_path \(dir)/scgi;
                keepalive_requests \(keepaliveRequests);
                server {
                    listen 127.0.0.1:\(port);
                    root \(dir)/www;
                    location = /204 { return 204; }
                    location = /404 { return 404; }
                    location /ssi { ssi on; default_type text/html; alias \(dir)/www/page.shtml; }
                    location = /echo { access_log \(dir)/echo.log echo; access_log \(dir)/access.log lg; return 200 "ok"; }
                }
                \(h2Server)
                \(tlsServers)
                server {
                    listen 127.0.0.1:\(statusPort);
                    access_log off;
                    location = /status { stub_status; }
                }
            }

            """
        let process = try ChildProcess.startServer(directory: directory, prepare: {
            let www = directory.appendingPathComponent("www")
            try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
            chmod(www.path, 0o755)
            let index = "<html><body>" + String(repeating: "x", count: indexSize - 27) + "</body></html>\n"
            precondition(index.utf8.count == indexSize)
            try index.write(to: www.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
            try "<p>hello <!--# echo var=\"date_local\" --></p>\n"
                .write(to: www.appendingPathComponent("page.shtml"), atomically: true, encoding: .utf8)
            try config.write(toFile: "\(dir)/nginx.conf", atomically: true, encoding: .utf8)
        }) {
            try namespace.spawn([binary, "-c", "\(dir)/nginx.conf", "-g", "daemon off;"])
        }
        return try await NginxServer(namespace: namespace, port: port, statusPort: statusPort, h2Port: h2Port,
                                     tlsPorts: tlsPorts, directory: directory, process: process)
            .ready { try await $0.waitUntilReady() }
    }

    /// Ready = every port listens and the worker runs. No request is made, so the logs and counters start empty.
    private func waitUntilReady() async throws {
        let ports = [port, statusPort] + (h2Port.map { [$0] } ?? []) + [tlsPort, h2TLSPort].compactMap { $0 }
        try await process.waitUntilReady("nginx", "listen on 127.0.0.1:\(port) in \(namespace.name)",
                                         log: { "\(process.stderrSoFar) \(errorLog)" }) {
            recordWorkers()
            guard !workers.isEmpty else { return false }
            for port in ports {
                if !(try await namespace.isListening(port: port, tcp: true)) { return false }
            }
            return true
        }
    }

    /// `ip netns exec` execs nginx in place: the child's PID is the master's; its children are the workers.
    private func childrenOfMaster() -> [pid_t] {
        let text = (try? String(contentsOfFile: "/proc/\(process.pid)/task/\(process.pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    private func recordWorkers() {
        guard process.isRunning else { return }
        workers.formUnion(childrenOfMaster())
    }

    /// Whether `pid` is still one of this fixture's nginx processes (alive, nginx, in our namespace).
    private func isOurNginx(_ pid: pid_t) -> Bool {
        guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8), comm.hasPrefix("nginx"),
              let statText = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // Field 3 (after the parenthesised comm) is the state; a zombie has closed its sockets already.
        if let close = statText.lastIndex(of: ")"), statText[statText.index(close, offsetBy: 2)] == "Z" { return false }
        var st = stat()
        return stat("/proc/\(pid)/ns/net", &st) == 0 && UInt64(st.st_ino) == namespace.inode
    }

    /// SIGKILLs the workers still alive and waits (up to 2 s) until they are gone.
    private func killWorkers(andMaster: Bool = false) {
        for pid in workers where isOurNginx(pid) { Glibc.kill(pid, SIGKILL) }
        if andMaster { process.signal(SIGKILL) }
        let deadline = ChildProcess.nowNanos + 2_000_000_000
        while workers.contains(where: isOurNginx), ChildProcess.nowNanos < deadline { usleep(1_000) }
    }

    /// Kills nginx as a crash would: the master is frozen (so it cannot start a new worker), the workers and then
    /// the master get SIGKILL. Every socket closes at once; nothing listens on `port` afterwards. The logs survive.
    func killHard() {
        recordWorkers()
        process.signal(SIGSTOP)
        recordWorkers()
        // Every process holding the listening socket gets SIGKILL before any is waited for: the listen backlog
        // lives as long as the last of them.
        killWorkers(andMaster: true)
        process.kill()
    }

    /// Whether the master is still running.
    var isRunning: Bool { process.isRunning }

    /// Stops nginx (SIGTERM: fast shutdown; SIGKILL after 5 s; then any worker left) and removes its directory.
    func stop() {
        recordWorkers()
        process.stop(signal: SIGTERM, grace: 5)
        killWorkers()
        try? FileManager.default.removeItem(at: directory)
    }

    /// What nginx wrote to its error log (for failure messages).
    var errorLog: String { (try? String(contentsOfFile: errorLogPath, encoding: .utf8)) ?? "" }

    // MARK: What the server saw

    /// One line of the access log.
    struct AccessLogEntry: Equatable {
        /// nginx's serial number of the connection (`$connection`).
        var connection: Int
        /// The request's number on its connection, from 1 (`$connection_requests`).
        var requestOnConnection: Int
        var status: Int
        /// `HTTP/1.1`.
        var proto: String
        /// The request line, e.g. `GET /204 HTTP/1.1`.
        var request: String
        var path: String { request.split(separator: " ").dropFirst().first.map(String.init) ?? "" }
    }

    /// The access log once it has stopped growing (nginx writes each line right after its response; give it a
    /// moment after the client saw the last one). A line that does not parse throws.
    /// With `expected`: once it has stopped growing after (or short of) that many lines, at most `seconds` (2 s
    /// without `expected`, 5 s with it).
    func accessLog(expected: Int? = nil, seconds: Double? = nil) async throws -> [AccessLogEntry] {
        try await settledLines(accessLogPath, expected: expected, seconds: seconds ?? (expected == nil ? 2 : 5)).map { line in
            let fields = line.split(separator: " ", maxSplits: 4)
            guard fields.count == 5, let connection = Int(fields[0]), let requests = Int(fields[1]),
                  let status = Int(fields[2]), fields[4].hasPrefix("\""), fields[4].hasSuffix("\"") else {
                throw FixtureError("nginx access log: cannot parse '\(line)'")
            }
            return AccessLogEntry(connection: connection, requestOnConnection: requests, status: status,
                                  proto: String(fields[3]), request: String(fields[4].dropFirst().dropLast()))
        }
    }

    /// One line of /echo's log.
    struct EchoLogEntry: Equatable {
        var method: String
        /// The X-Test header ("-" when absent).
        var xTest: String
        /// Content-Length ("-" when absent).
        var contentLength: String
        var userAgent: String
        var host: String
    }

    /// /echo's log once it has stopped growing.
    func echoLog() async throws -> [EchoLogEntry] {
        try await settledLines(echoLogPath).map { line in
            // METHOD "x-test" "content-length" "user-agent" "host"
            let parts = line.split(separator: "\"", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 9 else { throw FixtureError("nginx echo log: cannot parse '\(line)'") }
            return EchoLogEntry(method: parts[0].trimmingCharacters(in: .whitespaces), xTest: parts[1],
                                contentLength: parts[3], userAgent: parts[5], host: parts[7])
        }
    }

    /// The lines of the log at `path` once it has stopped growing, at most `seconds`. Without `expected`: no new
    /// line for 50 ms. With it: no new line for 0.2 s after it reached `expected` lines, or for 0.5 s before
    /// (nginx writes a line when it finalizes a request, which can be just after the client saw the response);
    /// waiting past `expected` lets lines beyond it (a request sent twice) show up.
    func settledLines(_ path: String, expected: Int? = nil, seconds: Double = 2) async throws -> [String] {
        func read() -> [String] {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").map(String.init)
        }
        let deadline = ChildProcess.nowNanos + UInt64(seconds * 1e9)
        var last = -1
        var stableSince = ChildProcess.nowNanos
        while true {
            let lines = read()
            let now = ChildProcess.nowNanos
            if now >= deadline { return lines }
            let quiet: UInt64 = expected.map { lines.count >= $0 ? 200_000_000 : 500_000_000 } ?? 50_000_000
            if lines.count != last {
                last = lines.count
                stableSince = now
            } else if now - stableSince >= quiet {
                return lines
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// One line of the ground-truth log.
    struct GroundTruthEntry: CustomStringConvertible {
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

    /// The ground-truth log (start with `groundTruthLog: true`) once it has stopped growing: see `settledLines`.
    /// A line that does not parse throws.
    func groundTruthLog(expected: Int, seconds: Double = 5) async throws -> [GroundTruthEntry] {
        try await settledLines(groundTruthLogPath, expected: expected, seconds: seconds).map { line in
            // PORT CONN REQS STATUS PROTO "ID" "XSEQ" "REQUEST"
            let quoted = line.split(separator: "\"", omittingEmptySubsequences: false).map(String.init)
            let fields = quoted[0].split(separator: " ")
            guard quoted.count == 7, fields.count == 5, let port = Int(fields[0]), let connection = Int(fields[1]),
                  let requests = Int(fields[2]), let status = Int(fields[3]) else {
                throw FixtureError("nginx ground-truth log: cannot parse '\(line)'")
            }
            func value(_ text: String) -> String { text == "-" ? "" : text }
            return GroundTruthEntry(port: port, connection: connection, connectionRequests: requests, status: status,
                                    serverProtocol: String(fields[4]), argID: value(quoted[1]), xSeq: value(quoted[3]),
                                    request: quoted[5])
        }
    }

    /// Connections nginx accepted on `port` so far (stub_status `accepts`, less the fixture's own queries).
    func acceptedConnections() async throws -> Int {
        statusQueries += 1
        let request = "GET /status HTTP/1.0\\r\\nHost: status\\r\\n\\r\\n"
        let outcome = try await namespace.run(
            ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\(statusPort) && printf '\(request)' >&3 && cat <&3"], timeout: 5)
        let text = outcome.stdout
        // "Active connections: 1 \nserver accepts handled requests\n 5 5 12 \n..."
        let lines = text.components(separatedBy: "\n")
        guard let header = lines.firstIndex(where: { $0.contains("server accepts handled requests") }),
              header + 1 < lines.count,
              let accepts = lines[header + 1].split(separator: " ").first.flatMap({ Int($0) }) else {
            throw FixtureError("nginx stub_status: unexpected answer (\(outcome.termination)): \(text) \(outcome.stderr)")
        }
        return accepts - statusQueries
    }
}
