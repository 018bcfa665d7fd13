import Foundation
import Glibc

/// A bpftrace script running (as root, with `ulimit -l unlimited` where the limit may be raised) while a test runs
/// a load, and the maps it printed when it was stopped.
///
/// The script gets a `BEGIN { printf("ready\n"); }` in front; bpftrace runs BEGIN once every probe is attached, so
/// the test starts its load only after that line appears. `finish()` stops bpftrace with SIGINT, on which it prints
/// its maps (`@name: N`, `@name[key]: N`). Use `BPFTrace.with(script:) { bpftrace in ... }`, which stops bpftrace
/// whatever the body did.
final class BPFTrace {
    /// bpftrace could not attach its probes on this kernel (no tracefs, no BTF, tracepoint missing, no
    /// permission): the test is skipped with this reason, not failed.
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    private let process: ChildProcess
    private let directory: URL

    /// Tracepoints need tracefs; some machines boot without it mounted (seen on this workplace's VMs), so the
    /// fixture mounts it, as `mount -t tracefs` would, before bpftrace looks for its tracepoints.
    static func mountTracefsIfMissing() throws {
        for path in ["/sys/kernel/tracing/available_events", "/sys/kernel/debug/tracing/available_events"]
        where FileManager.default.fileExists(atPath: path) { return }
        let result = mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nil)
        guard result == 0 || errno == EBUSY else {
            throw FixtureError("tracefs is not mounted and mounting it at /sys/kernel/tracing failed: \(String(cString: strerror(errno)))")
        }
    }

    static func with<R>(script: String, _ body: (BPFTrace) async throws -> R) async throws -> R {
        try IntegrationEnvironment.requireRoot()
        let bpftrace = try IntegrationEnvironment.requireTool("bpftrace", package: "bpftrace")
        try mountTracefsIfMissing()
        let directory = try TemporaryDirectory.make(prefix: "bpftrace")
        let path = directory.appendingPathComponent("script.bt").path
        let process: ChildProcess
        do {
            try ("BEGIN { printf(\"ready\\n\"); }\n" + script).write(toFile: path, atomically: true, encoding: .utf8)
            // The RLIMIT_MEMLOCK warning bpftrace prints when the limit cannot be raised is harmless (kernels since
            // 5.11 account BPF memory to the cgroup).
            process = try ChildProcess(["bash", "-c", "ulimit -l unlimited 2>/dev/null; exec \(bpftrace) -B none \(path)"])
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        let trace = BPFTrace(process: process, directory: directory)
        defer {
            trace.process.stop(signal: SIGINT, grace: 10)
            try? FileManager.default.removeItem(at: directory)
        }
        try await trace.waitUntilReady()
        return try await body(trace)
    }

    private init(process: ChildProcess, directory: URL) {
        self.process = process
        self.directory = directory
    }

    private var stdoutSoFar: String { (try? String(contentsOfFile: process.stdoutPath, encoding: .utf8)) ?? "" }

    private func waitUntilReady() async throws {
        let deadline = ChildProcess.nowNanos + 30_000_000_000
        while ChildProcess.nowNanos < deadline {
            if stdoutSoFar.split(separator: "\n").contains("ready") { return }
            guard process.isRunning else {
                let stderr = process.stderrSoFar
                let lines = stderr.split(separator: "\n").filter { !$0.contains("RLIMIT_MEMLOCK") }.joined(separator: "\n")
                if lines.lowercased().contains("attach") || lines.contains("not traceable") || lines.contains("tracefs") {
                    throw Unavailable(description: "bpftrace cannot attach its probes here: \(lines)")
                }
                throw FixtureError("bpftrace exited before its probes were attached: \(stderr) \(stdoutSoFar)")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw FixtureError("bpftrace did not attach its probes within 30 s: \(process.stderrSoFar)")
    }

    /// Stops bpftrace (SIGINT; it prints its maps and exits) and returns the maps: `@name[key]` (or `@name`) to value.
    func finish() throws -> [String: Int] {
        try finishWithOutput().maps
    }

    /// Stops bpftrace and returns its maps and every other line it printed.
    func finishWithOutput() throws -> (maps: [String: Int], lines: [Substring]) {
        let outcome = process.stop(signal: SIGINT, grace: 10)
        guard !outcome.killedAfterDeadline else {
            throw FixtureError("bpftrace did not exit within 10 s of SIGINT: \(outcome.stderr)")
        }
        let lines = outcome.stdout.split(separator: "\n")
        var maps: [String: Int] = [:]
        for line in lines where line.hasPrefix("@") {
            guard let colon = line.lastIndex(of: ":"),
                  let value = Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)) else { continue }
            maps[String(line[..<colon])] = value
        }
        return (maps, lines.filter { !$0.hasPrefix("@") })
    }
}
