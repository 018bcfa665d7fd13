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
/// The access log (`accessLog()`) has one line per request: `$connection $connection_requests $status
/// $server_protocol "$request"`, written unbuffered, so it is the server's side of every count. A second server on
/// 127.0.0.1:`statusPort` answers stub_status, whose `accepts` counter (`acceptedConnections()`) is every
/// connection nginx accepted on `port`. Use `NginxServer.with(in:port:) { nginx in ... }`, which stops nginx
/// (master and worker) and removes its directory whatever the body did; `killHard()` SIGKILLs both mid-run.
final class NginxServer {
    /// The size of `/` (index.html), in bytes.
    static let indexSize = 612

    let namespace: NetworkNamespace
    let port: Int
    let statusPort: Int
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

    /// `http://127.0.0.1:PORT` + `path`.
    func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    private init(namespace: NetworkNamespace, port: Int, statusPort: Int, directory: URL, process: ChildProcess) {
        self.namespace = namespace
        self.port = port
        self.statusPort = statusPort
        self.directory = directory
        self.process = process
    }

    /// Starts nginx on `port` (`keepaliveRequests`: responses per connection before nginx closes it), runs
    /// `body`, and stops nginx whatever `body` did.
    static func with<R>(in namespace: NetworkNamespace, port: Int, keepaliveRequests: Int = 1_000_000,
                        _ body: (NginxServer) async throws -> R) async throws -> R {
        let nginx = try await start(in: namespace, port: port, keepaliveRequests: keepaliveRequests)
        defer { nginx.stop() }
        return try await body(nginx)
    }

    static func start(in namespace: NetworkNamespace, port: Int, keepaliveRequests: Int = 1_000_000) async throws -> NginxServer {
        let binary = try IntegrationEnvironment.requireTool("nginx", package: "nginx-light")
        var statusPort = try await TestPorts.freeOnHost()
        while statusPort == port { statusPort = try await TestPorts.freeOnHost() }
        let directory = try TemporaryDirectory.make(prefix: "nginx")
        let dir = directory.path
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
                access_log \(dir)/access.log lg;
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
                server {
                    listen 127.0.0.1:\(statusPort);
                    access_log off;
                    location = /status { stub_status; }
                }
            }

            """
        do {
            let www = directory.appendingPathComponent("www")
            try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
            chmod(www.path, 0o755)
            let index = "<html><body>" + String(repeating: "x", count: indexSize - 27) + "</body></html>\n"
            precondition(index.utf8.count == indexSize)
            try index.write(to: www.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
            try "<p>hello <!--# echo var=\"date_local\" --></p>\n"
                .write(to: www.appendingPathComponent("page.shtml"), atomically: true, encoding: .utf8)
            try config.write(toFile: "\(dir)/nginx.conf", atomically: true, encoding: .utf8)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        let process: ChildProcess
        do {
            process = try namespace.spawn([binary, "-c", "\(dir)/nginx.conf", "-g", "daemon off;"])
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        let nginx = NginxServer(namespace: namespace, port: port, statusPort: statusPort, directory: directory, process: process)
        do {
            try await nginx.waitUntilReady()
        } catch {
            nginx.stop()
            throw error
        }
        return nginx
    }

    /// Ready = both ports listen and the worker runs. No request is made, so the logs and counters start empty.
    private func waitUntilReady() async throws {
        let deadline = ChildProcess.nowNanos + 10_000_000_000
        while ChildProcess.nowNanos < deadline {
            guard process.isRunning else {
                throw FixtureError("nginx exited during start-up: \(process.stderrSoFar) \(errorLog)")
            }
            recordWorkers()
            if !workers.isEmpty, try await namespace.isListening(port: port, tcp: true),
               try await namespace.isListening(port: statusPort, tcp: true) {
                return
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw FixtureError("nginx did not listen on 127.0.0.1:\(port) in \(namespace.name) within 10 s: \(process.stderrSoFar) \(errorLog)")
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
    private func killWorkers() {
        for pid in workers where isOurNginx(pid) { Glibc.kill(pid, SIGKILL) }
        let deadline = ChildProcess.nowNanos + 2_000_000_000
        while workers.contains(where: isOurNginx), ChildProcess.nowNanos < deadline { usleep(1_000) }
    }

    /// Kills nginx as a crash would: the master is frozen (so it cannot start a new worker), the workers and then
    /// the master get SIGKILL. Every socket closes at once; nothing listens on `port` afterwards. The logs survive.
    func killHard() {
        recordWorkers()
        process.signal(SIGSTOP)
        recordWorkers()
        killWorkers()
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
    func accessLog() async throws -> [AccessLogEntry] {
        try await settledLines(accessLogPath).map { line in
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

    private func settledLines(_ path: String) async throws -> [String] {
        func read() -> [String] {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").map(String.init)
        }
        var lines = read()
        let deadline = ChildProcess.nowNanos + 2_000_000_000
        while ChildProcess.nowNanos < deadline {
            try await Task.sleep(nanoseconds: 50_000_000)
            let again = read()
            if again.count == lines.count { return again }
            lines = again
        }
        return lines
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
