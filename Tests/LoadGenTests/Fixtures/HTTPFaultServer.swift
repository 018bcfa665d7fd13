import Foundation
import Glibc

/// A misbehaving HTTP server of the test suite's own, running inside a test namespace on 127.0.0.1:`port`: one of
/// the Python scripts next to this file (`http1_fault_server.py`, `h2_fault_server.py` on the `h2` package, both on
/// `fault_server_common.py`), run by Debian's /usr/bin/python3 (`-B`: no bytecode written into the source tree). Each logs one line per fact (accept, ok, reset, refused, recv, goaway, stall, eof) to
/// its own log, unbuffered, so a test can hold loadgen's counts against the server's side of the story.
///
/// Use `HTTPFaultServer.with(in:mode:) { server in ... }`, which stops the server and removes its directory
/// whatever the body did.
final class HTTPFaultServer: ServerFixture {
    /// What the server does to the requests it reads.
    enum Mode {
        /// HTTP/1.1: 200 "ok", except every `every`-th request (from 1, across connections): its status line,
        /// headers announcing `body` bytes and `partial` of them, then an RST (SO_LINGER 0 close).
        case http1Reset(every: Int, body: Int = 1000, partial: Int = 100)
        /// HTTP/1.1: read requests, never answer.
        case http1Silent
        /// HTTP/1.1: 200 "ok", except every `every`-th request (from 1, across connections): read, then the
        /// connection closed cleanly without an answer (a keep-alive connection closed as the request arrived).
        case http1Drop(every: Int)
        /// h2c: refuse every stream with REFUSED_STREAM but every `every`-th (from 1; 0: none), answered 200 "ok".
        case h2Refuse(every: Int)
        /// h2c: read streams, never answer.
        case h2Silent
        /// h2c: GOAWAY (last stream 0) on the first connection's first streams; later connections get no SETTINGS.
        case h2GoAwayThenStall
        /// h2c: every connection gets SETTINGS, then nothing is read for `stallMs` (the client's writes back up),
        /// then GOAWAY (last stream 0): every stream is sent back, and retries land on backed-up connections.
        case h2GoAwayUnread(stallMs: Int)
        /// A TLS port that never completes a handshake: after the ClientHello it closes (`close`), never answers
        /// (`stall`) or sends a fatal handshake_failure alert (`alert`).
        case tls(String)

        var script: String {
            switch self {
            case .http1Reset, .http1Silent, .http1Drop: "http1_fault_server.py"
            case .h2Refuse, .h2Silent, .h2GoAwayThenStall, .h2GoAwayUnread: "h2_fault_server.py"
            case .tls: "tls_fault_server.py"
            }
        }

        var arguments: [String] {
            switch self {
            case .http1Reset(let every, let body, let partial):
                ["--mode", "reset", "--every", "\(every)", "--body", "\(body)", "--partial", "\(partial)"]
            case .http1Silent: ["--mode", "silent"]
            case .http1Drop(let every): ["--mode", "drop", "--every", "\(every)"]
            case .h2Refuse(let every): ["--mode", "refuse", "--every", "\(every)"]
            case .h2Silent: ["--mode", "silent"]
            case .h2GoAwayThenStall: ["--mode", "goaway-stall"]
            case .h2GoAwayUnread(let stallMs): ["--mode", "goaway-unread", "--stall-ms", "\(stallMs)"]
            case .tls(let mode): ["--mode", mode]
            }
        }
    }

    /// One line of the server's log: the event's name and its fields.
    struct LogEntry: CustomStringConvertible {
        /// accept, ok, reset, refused, recv, goaway, stall, eof, error.
        var event: String
        var fields: [String]
        /// The path of a request line (ok, reset, refused, recv): the last field.
        var path: String? { ["ok", "reset", "refused", "recv", "drop"].contains(event) ? fields.last : nil }
        var description: String { ([event] + fields).joined(separator: " ") }
    }

    let namespace: NetworkNamespace
    let port: Int
    let directory: URL
    private let process: ChildProcess

    var logPath: String { directory.appendingPathComponent("server.log").path }

    /// `http://127.0.0.1:PORT` + `path`.
    func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// `https://127.0.0.1:PORT` + `path`.
    func httpsURL(_ path: String = "/") -> String { "https://127.0.0.1:\(port)\(path)" }

    private init(namespace: NetworkNamespace, port: Int, directory: URL, process: ChildProcess) {
        self.namespace = namespace
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// Starts the server for `mode`, runs `body`, and stops the server whatever `body` did.
    static func with<R>(in namespace: NetworkNamespace, mode: Mode,
                        _ body: (HTTPFaultServer) async throws -> R) async throws -> R {
        try await using(try await start(in: namespace, mode: mode), body)
    }

    static func start(in namespace: NetworkNamespace, mode: Mode) async throws -> HTTPFaultServer {
        // Debian's python3 (the one python3-h2 installs into), not whatever python3 comes first in PATH.
        let python = try IntegrationEnvironment.requireTool("python3", package: "python3")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(mode.script).path
        let port = try await TestPorts.freeOnHost()
        let directory = try TemporaryDirectory.make(prefix: "faultserver")
        let log = directory.appendingPathComponent("server.log").path
        let process = try ChildProcess.startServer(directory: directory) {
            try namespace.spawn([python, "-B", script, "--port", "\(port)", "--log", log] + mode.arguments)
        }
        return try await HTTPFaultServer(namespace: namespace, port: port, directory: directory, process: process)
            .ready { server in
                try await process.waitUntilReady(mode.script, "listen on 127.0.0.1:\(port) in \(namespace.name)",
                                                 log: { server.process.stderrSoFar }) {
                    try await namespace.isListening(port: port, tcp: true)
                }
            }
    }

    var isRunning: Bool { process.isRunning }

    /// What the script wrote on stderr (a traceback), for failure messages.
    var stderr: String { process.stderrSoFar }

    /// Stops the server (SIGTERM, SIGKILL after 3 s) and removes its directory.
    func stop() {
        process.stop(grace: 3, removing: directory)
    }

    /// The log once no line was added for 0.2 s (at most `seconds`).
    func log(seconds: Double = 3) async throws -> [LogEntry] {
        let deadline = ChildProcess.nowNanos + UInt64(seconds * 1e9)
        var last = -1
        var stableSince = ChildProcess.nowNanos
        while true {
            let lines = ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n")
            let now = ChildProcess.nowNanos
            if lines.count != last {
                (last, stableSince) = (lines.count, now)
            } else if now - stableSince >= 200_000_000 || now >= deadline {
                return lines.map { line in
                    let words = line.split(separator: " ").map(String.init)
                    return LogEntry(event: words[0], fields: Array(words.dropFirst()))
                }
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }
}

extension Array where Element == HTTPFaultServer.LogEntry {
    /// How many lines record `event`.
    func count(_ event: String) -> Int { filter { $0.event == event }.count }
}
