import Foundation
import Glibc

/// A child process started with posix_spawn, its stdout and stderr going to files in a private temporary
/// directory. Waiting uses `wait4`, so the exit status comes with the child's own CPU time (user + system),
/// which Foundation's `Process` does not expose.
///
/// Owned by the test that started it; `stop()` (or `kill()`) must be called before the test ends, normally
/// from a `defer`. A child that has already been reaped is never signalled again, so a recycled PID cannot be hit.
final class ChildProcess {
    /// How the child ended.
    enum Termination: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        var description: String {
            switch self {
            case .exited(let code): "exit \(code)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// What a finished child left behind.
    struct Outcome {
        var termination: Termination
        var stdout: String
        var stderr: String
        /// Wall time from spawn to reaping, in seconds.
        var wallSeconds: Double
        /// User + system CPU time of the child (and of children it waited for), in seconds.
        var cpuSeconds: Double
        /// True when the test's hard deadline ran out and the child was killed with SIGKILL.
        var killedAfterDeadline: Bool

        var exitCode: Int32? {
            if case .exited(let code) = termination { return code }
            return nil
        }
    }

    let argv: [String]
    let pid: pid_t
    private let directory: URL
    private let startNanos: UInt64
    private(set) var outcome: Outcome?

    var stdoutPath: String { directory.appendingPathComponent("stdout").path }
    var stderrPath: String { directory.appendingPathComponent("stderr").path }

    /// Starts `argv[0]` (looked up in PATH when it has no slash) with the test process's environment.
    init(_ argv: [String]) throws {
        precondition(!argv.isEmpty)
        self.argv = argv
        directory = try TemporaryDirectory.make(prefix: "child")
        let out = directory.appendingPathComponent("stdout").path
        let err = directory.appendingPathComponent("stderr").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        // The test runner may block or ignore signals; the child starts with the defaults and nothing blocked.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cArgs.append(nil)
        defer { for p in cArgs { free(p) } }

        var child: pid_t = 0
        startNanos = ChildProcess.nowNanos
        let rc = posix_spawnp(&child, argv[0], &actions, &attributes, cArgs, environ)
        guard rc == 0 else {
            try? FileManager.default.removeItem(at: directory)
            throw FixtureError("cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        pid = child
    }

    deinit {
        // A safety net only: tests stop their children explicitly.
        if outcome == nil { _ = kill() }
        try? FileManager.default.removeItem(at: directory)
    }

    static var nowNanos: UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    var isRunning: Bool {
        if outcome != nil { return false }
        return !reapIfExited()
    }

    /// Sends a signal to a child that has not been reaped yet.
    func signal(_ signal: Int32) {
        guard outcome == nil else { return }
        Glibc.kill(pid, signal)
    }

    /// Waits (without blocking a thread) until the child exits or `seconds` pass. On the deadline the child is
    /// killed with SIGKILL and reaped, and `killedAfterDeadline` is set.
    @discardableResult
    func wait(seconds: Double) async -> Outcome {
        let deadline = ChildProcess.nowNanos + UInt64(seconds * 1e9)
        while outcome == nil {
            if reapIfExited() { break }
            if ChildProcess.nowNanos >= deadline {
                return kill(afterDeadline: true)
            }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        return outcome!
    }

    /// Synchronous wait, for `defer` blocks: polls every millisecond up to `seconds`, then SIGKILL.
    @discardableResult
    func waitBlocking(seconds: Double) -> Outcome {
        let deadline = ChildProcess.nowNanos + UInt64(seconds * 1e9)
        while outcome == nil {
            if reapIfExited() { break }
            if ChildProcess.nowNanos >= deadline {
                return kill(afterDeadline: true)
            }
            usleep(1_000)
        }
        return outcome!
    }

    /// Asks the child to stop with `signal`, waits up to `grace` seconds, then kills it. For cleanup.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, grace: Double = 3) -> Outcome {
        if let outcome { return outcome }
        self.signal(signal)
        return waitBlocking(seconds: grace)
    }

    /// SIGKILL and reap.
    @discardableResult
    func kill(afterDeadline: Bool = false) -> Outcome {
        if let outcome { return outcome }
        Glibc.kill(pid, SIGKILL)
        while outcome == nil {
            if reapIfExited(blocking: true) { break }
        }
        outcome!.killedAfterDeadline = afterDeadline
        return outcome!
    }

    /// The stderr written so far (the child may still be running).
    var stderrSoFar: String {
        (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
    }

    /// For a failure message about a child that ended too soon: how and when it ended, and its stderr. "exit -1"
    /// means another waiter reaped it.
    var endedSummary: String {
        guard let outcome else { return "still running; stderr: \(stderrSoFar)" }
        return "\(outcome.termination) after \(String(format: "%.3f", outcome.wallSeconds)) s; stderr: \(outcome.stderr)"
    }

    private func reapIfExited(blocking: Bool = false) -> Bool {
        var status: Int32 = 0
        var usage = rusage()
        let rc = wait4(pid, &status, blocking ? 0 : WNOHANG, &usage)
        if rc == 0 { return false }
        if rc < 0 {
            if errno == EINTR { return false }
            // Someone else reaped it (should not happen): record what is known.
            finish(.exited(-1), usage: rusage())
            return true
        }
        let termination: Termination
        if status & 0x7f == 0 {
            termination = .exited((status >> 8) & 0xff)
        } else {
            termination = .signalled(status & 0x7f)
        }
        finish(termination, usage: usage)
        return true
    }

    private func finish(_ termination: Termination, usage: rusage) {
        let wall = Double(ChildProcess.nowNanos - startNanos) / 1e9
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        outcome = Outcome(
            termination: termination,
            stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "",
            wallSeconds: wall,
            cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
            killedAfterDeadline: false)
    }
}

/// Short-lived helper commands (ip, knotc, ss, tshark -r): run to completion with a deadline.
enum Command {
    /// Runs `argv` and returns its outcome; a command still running after `timeout` seconds is killed.
    static func run(_ argv: [String], timeout: Double = 10) async throws -> ChildProcess.Outcome {
        let child = try ChildProcess(argv)
        let outcome = await child.wait(seconds: timeout)
        if outcome.killedAfterDeadline {
            throw FixtureError("`\(argv.joined(separator: " "))` did not finish within \(timeout) s")
        }
        return outcome
    }

    /// Runs `argv` and throws unless it exits 0; returns stdout.
    @discardableResult
    static func check(_ argv: [String], timeout: Double = 10) async throws -> String {
        let outcome = try await run(argv, timeout: timeout)
        guard outcome.termination == .exited(0) else {
            throw FixtureError("`\(argv.joined(separator: " "))` failed (\(outcome.termination)): \(outcome.stderr)")
        }
        return outcome.stdout
    }

    /// For `defer` blocks: runs `argv` to completion (at most `timeout` seconds) without suspending.
    @discardableResult
    static func runBlocking(_ argv: [String], timeout: Double = 10) -> ChildProcess.Outcome? {
        guard let child = try? ChildProcess(argv) else { return nil }
        return child.waitBlocking(seconds: timeout)
    }
}

/// A failure in the test harness itself (a tool missing, a server that did not come up).
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Private temporary directories (mode 0755 so that an unprivileged child can read what it is given).
enum TemporaryDirectory {
    static func make(prefix: String) throws -> URL {
        var template = Array("\(NSTemporaryDirectory())/lgt-\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw FixtureError("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(path, 0o755)
        return URL(fileURLWithPath: path, isDirectory: true)
    }
}

/// What the server fixtures (nginx, nghttpd, knotd) share: a child process started inside a test namespace from
/// a private directory, polled until it is ready, and stopped (with the directory removed) whatever the test did.
protocol ServerFixture: AnyObject {
    /// Stops the server and removes its directory.
    func stop()
}

extension ServerFixture {
    /// Runs `body` with `server` and stops the server whatever `body` did.
    static func using<R>(_ server: Self, _ body: (Self) async throws -> R) async throws -> R {
        defer { server.stop() }
        return try await body(server)
    }

    /// Returns the server once `waitUntilReady` succeeds; otherwise stops it and rethrows.
    func ready(_ waitUntilReady: (Self) async throws -> Void) async throws -> Self {
        do {
            try await waitUntilReady(self)
        } catch {
            stop()
            throw error
        }
        return self
    }
}

extension ChildProcess {
    /// Runs `prepare` (which writes the server's files into `directory`) and then `launch`; when either throws,
    /// removes `directory` and rethrows.
    static func startServer(directory: URL, prepare: () throws -> Void = {},
                            _ launch: () throws -> ChildProcess) throws -> ChildProcess {
        do {
            try prepare()
            return try launch()
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// Polls `isReady` every 20 ms for at most `seconds`. Throws "`what` exited during start-up" when the child
    /// exits first, and "`what` did not `goal` within `seconds` s" at the deadline, each followed by `log()`.
    func waitUntilReady(_ what: String, _ goal: String, seconds: Double = 10, log: () -> String,
                        _ isReady: () async throws -> Bool) async throws {
        let deadline = ChildProcess.nowNanos + UInt64(seconds * 1e9)
        while ChildProcess.nowNanos < deadline {
            guard isRunning else { throw FixtureError("\(what) exited during start-up: \(log())") }
            if try await isReady() { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw FixtureError("\(what) did not \(goal) within \(Int(seconds)) s: \(log())")
    }

    /// Stops the child (`signal`, then SIGKILL after `grace` seconds) and removes `directory`.
    func stop(signal: Int32 = SIGTERM, grace: Double, removing directory: URL) {
        stop(signal: signal, grace: grace)
        try? FileManager.default.removeItem(at: directory)
    }
}
