import Foundation
import Glibc
import Testing

/// What every fault test asserts (issue 9 point 4, DESIGN.md §4): both accounting invariants, a run that ends by
/// itself within its schedule + `--timeout` + 1 s, and the issuing window it reports.
enum FaultRun {
    /// Wall time a run needs beyond loadgen's own clock (`run_s`): exec, entering the netns on each loop thread,
    /// opening the connection pool before the clock starts (as wrk does) and printing the report. A 1-request
    /// run took 0.16–0.27 s of wall time here with a load average of 6 on the 2 shared cores; 0.5 s covers it.
    static let startUpSeconds = 0.5 + IntegrationEnvironment.sanitizerSlackSeconds

    /// The JSON report whatever the exit code (exit codes are the report's contract, not these tests'), as long
    /// as loadgen exited by itself: a crash (SIGSEGV) or a hang killed at the deadline throws.
    static func report(_ run: LoadGenRun, sourceLocation: SourceLocation = #_sourceLocation) throws -> LoadGenReport {
        guard case .exited = run.outcome.termination, !run.outcome.killedAfterDeadline else {
            throw FixtureError("\(run.commandLine): \(run.outcome.termination) after \(String(format: "%.2f", run.wallSeconds)) s"
                               + (run.outcome.killedAfterDeadline ? " (hung: killed at the test's deadline)" : "")
                               + "; stderr: \(run.stderr.prefix(1500))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] else {
            throw FixtureError("\(run.commandLine): \(run.outcome.termination) without a JSON report on stdout "
                               + "(stdout: \(run.stdout.prefix(500))); stderr: \(run.stderr.prefix(1500))")
        }
        return LoadGenReport(object)
    }

    /// The report of a run stopped by `signal`: loadgen may exit 0 or 128 + signal, never die of it; 1 when not
    /// one event completed (DESIGN.md §3), as against a server that never answers.
    static func report(_ run: LoadGenRun, stoppedBy signal: Int32,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> LoadGenReport {
        let code = run.exitCode
        let parsed = try report(run, sourceLocation: sourceLocation)
        if try parsed.completed == 0 {
            #expect(code == 1, "nothing completed: exit 1, not \(run.outcome.termination); stderr: \(run.stderr.suffix(1000))",
                    sourceLocation: sourceLocation)
        } else {
            #expect(code == 0 || code == 128 + signal, "\(run.outcome.termination) after signal \(signal); stderr: \(run.stderr.suffix(1000))",
                    sourceLocation: sourceLocation)
        }
        return parsed
    }

    /// `not_sent_reasons`.
    static func notSentReasons(_ report: LoadGenReport) throws -> [String: Int] {
        try report.counts("not_sent_reasons")
    }

    /// `intended == sent + not_sent`, `not_sent_reasons` summing to `not_sent`, and `sent == completed + timeouts
    /// + errors + cancelled`; with `intended`, the number of events the schedule intended.
    static func expectInvariants(_ report: LoadGenReport, intended expected: Int? = nil,
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let intended = try report.int("intended"), sent = try report.sent, notSent = try report.int("not_sent")
        let reasons = try notSentReasons(report)
        let s = summary(report)
        #expect(intended == sent + notSent, "intended \(intended) != sent \(sent) + not_sent \(notSent); \(s)",
                sourceLocation: sourceLocation)
        #expect(reasons.values.reduce(0, +) == notSent, "not_sent_reasons \(reasons) do not sum to not_sent \(notSent); \(s)",
                sourceLocation: sourceLocation)
        if let expected {
            #expect(intended == expected, "intended \(intended), the schedule intended \(expected); \(s)", sourceLocation: sourceLocation)
        }
        try report.expectAccounting(sourceLocation: sourceLocation)
    }

    /// The run ended by itself within `schedule` + `timeout` + 1 s: by loadgen's own clock (`run_s`) and by the wall
    /// clock with `startUpSeconds` on top; and it did not spin (CPU under half the wall time) while it waited.
    static func expectEndedOnTime(_ run: LoadGenRun, _ report: LoadGenReport, schedule: Double, timeout: Double,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bound = schedule + timeout + 1
        let runSeconds = try report.double("run_s")
        #expect(runSeconds <= bound, "run_s \(runSeconds) > schedule \(schedule) + timeout \(timeout) + 1 s; \(summary(report))",
                sourceLocation: sourceLocation)
        #expect(run.wallSeconds <= bound + startUpSeconds,
                "wall \(run.wallSeconds) s > \(bound) s + \(startUpSeconds) s start-up; \(summary(report))", sourceLocation: sourceLocation)
        #expect(run.cpuSeconds < 0.5 * run.wallSeconds, "loadgen used \(run.cpuSeconds) s of CPU in \(run.wallSeconds) s",
                sourceLocation: sourceLocation)
    }

    /// `duration_s` is the issuing window (`seconds`, within `tolerance`) and `achieved_rate = sent / duration_s`.
    static func expectWindow(_ report: LoadGenReport, seconds: Double, tolerance: Double = 0.05,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let duration = try report.double("duration_s"), achieved = try report.double("achieved_rate")
        #expect(abs(duration - seconds) <= tolerance, "duration_s \(duration), the window was \(seconds) s; \(summary(report))",
                sourceLocation: sourceLocation)
        let expected = Double(try report.sent) / max(duration, 1e-9)
        #expect(abs(achieved - expected) <= max(0.01, expected * 0.002),
                "achieved_rate \(achieved) != sent / duration_s = \(expected); \(summary(report))", sourceLocation: sourceLocation)
    }

    /// Starts loadgen with `arguments`, waits `after` seconds, requires it still running, does `fault`, and waits
    /// for the end. A run still going `deadline` seconds after the start has hung: that is recorded as a failure,
    /// and loadgen gets a SIGINT (then, 3 s later, SIGKILL) so that its report can tell the rest of the story.
    static func run(_ arguments: [String], after: Double, deadline: Double,
                    sourceLocation: SourceLocation = #_sourceLocation,
                    _ fault: (ChildProcess) async throws -> Void) async throws -> LoadGenRun {
        try await LoadGate.run { try await runUngated(arguments, after: after, deadline: deadline, sourceLocation: sourceLocation, fault) }
    }

    private static func runUngated(_ arguments: [String], after: Double, deadline: Double, sourceLocation: SourceLocation,
                                   _ fault: (ChildProcess) async throws -> Void) async throws -> LoadGenRun {
        let startNanos = ChildProcess.nowNanos
        let child = try LoadGen.start(arguments)
        defer { child.kill() }
        try await Task.sleep(nanoseconds: UInt64(after * 1e9))
        try #require(child.isRunning, "loadgen ended before the fault: \(child.endedSummary)", sourceLocation: sourceLocation)
        try await fault(child)
        while child.isRunning, seconds(since: startNanos) < deadline {
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        if child.isRunning {
            Issue.record("loadgen hung: still running \(deadline) s after its start; stopped with SIGINT for its report",
                         sourceLocation: sourceLocation)
            child.signal(SIGINT)
        }
        return LoadGenRun(arguments: arguments, await child.wait(seconds: 3), sourceLocation: sourceLocation)
    }

    /// Seconds from `startNanos` to the end of `run` (measured by the caller right after the wait returned).
    static func seconds(since startNanos: UInt64) -> Double { Double(ChildProcess.nowNanos - startNanos) / 1e9 }

    /// The counts a fault test's failure message needs.
    static func summary(_ report: LoadGenReport) -> String {
        let keys = ["intended", "not_sent_reasons", "run_s", "interrupted", "http2"]
        let extra = keys.compactMap { key in report.object[key].map { "\(key)=\(compactJSON($0))" } }
        return HTTP1Run.summary(report) + " " + extra.joined(separator: " ")
    }

    private static func compactJSON(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else {
            return "\(value)"
        }
        return String(decoding: data, as: UTF8.self)
    }
}

extension NetworkNamespace {
    /// `iptables ARGS` inside the namespace (Debian's iptables, nf_tables backend); the rules go with the namespace.
    @discardableResult
    func iptables(_ arguments: [String]) async throws -> String {
        let iptables = try IntegrationEnvironment.requireTool("iptables", package: "iptables")
        return try await Command.check(["ip", "netns", "exec", name, iptables] + arguments)
    }

    /// Packets matched so far by the rules of `chain` (in order), from `iptables -L CHAIN -v -x -n`.
    func iptablesPackets(chain: String) async throws -> [Int] {
        let text = try await iptables(["-L", chain, "-v", "-x", "-n"])
        return text.split(separator: "\n").dropFirst(2).compactMap { Int($0.split(separator: " ").first ?? "") }
    }
}

/// The two ways a killed-server run is scheduled: 6,000 requests at 2,000/s, as `--count 6000` or as
/// `--duration 3s`. Either way the schedule is 3 s and 6,000 events are intended.
enum KilledServerSchedule: String, CaseIterable, Sendable, CustomStringConvertible {
    case count
    case duration

    static let rate = 2000
    static let intended = 6000
    static let seconds = 3.0
    static let timeout = 1.0

    var description: String { rawValue }

    /// `-c 4 --rate 2000 --count 6000|--duration 3s --timeout 1s`.
    var arguments: [String] {
        ["-c", "4", "--rate", "\(Self.rate)"] + (self == .count ? ["--count", "\(Self.intended)"] : ["--duration", "3s"])
            + ["--timeout", "1s"]
    }

    /// What loadgen's report must say when the server was killed 1 s into the run: both invariants over 6,000
    /// intended, the end within 3 s + 1 s + 1 s, `duration_s` 3 and `achieved_rate = sent / 3`, about 1 s of
    /// requests sent and answered before the kill, and the unsent ones `no_connection` (never `stopped`).
    func expectKilledServerRun(_ run: LoadGenRun, _ report: LoadGenReport,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        try FaultRun.expectInvariants(report, intended: Self.intended, sourceLocation: sourceLocation)
        try FaultRun.expectEndedOnTime(run, report, schedule: Self.seconds, timeout: Self.timeout, sourceLocation: sourceLocation)
        try FaultRun.expectWindow(report, seconds: Self.seconds, sourceLocation: sourceLocation)
        let summary = FaultRun.summary(report)
        let sent = try report.sent, notSent = try report.int("not_sent"), reasons = try FaultRun.notSentReasons(report)
        // The kill comes 1 s after the spawn; start-up (up to 0.25 s, 0.5 s under a sanitizer) is not sending time.
        let least = IntegrationEnvironment.isSanitizerBuild ? 1000 : 1500
        #expect(sent >= least && sent < Self.intended, "about 1 s at 2000/s went out before the kill: \(summary)",
                sourceLocation: sourceLocation)
        #expect(try report.completed >= 1000, "requests before the kill were answered: \(summary)", sourceLocation: sourceLocation)
        #expect(notSent > 0 && reasons["stopped", default: 0] == 0, "\(summary)", sourceLocation: sourceLocation)
        if self == .count {
            #expect(reasons["no_connection", default: 0] == notSent, "with --count every unsent request is no_connection: \(summary)",
                    sourceLocation: sourceLocation)
        } else {
            #expect(reasons["no_connection", default: 0] > 0, "requests found no connection after the kill: \(summary)",
                    sourceLocation: sourceLocation)
        }
    }
}

extension NetworkNamespace {
    /// The kernel's side of a run whose server died: every connection loadgen opened is one the server's kernel
    /// accepted (`PassiveOpens`) — including handshakes completed into the listen backlog of a server that died
    /// before accepting them, which loadgen sees as connects reset — and every connection attempt loadgen counts
    /// as refused is one the kernel failed (`AttemptFails`, which also counts attempts loadgen abandoned itself).
    /// `killRace`: a SIGKILL races the handshakes in flight as the listener closes — the client saw the SYN-ACK
    /// (a connect loadgen counts) while the closing listener dropped the final ACK (no child socket, no
    /// `PassiveOpens`) and reset it — so up to one connection per connection slot (`-c`) the kernel never counted;
    /// seen under ThreadSanitizer's slowdown. Never fewer than the kernel counted.
    func expectConnectionsMatchKernel(_ report: LoadGenReport, killRace slots: Int = 0,
                                      sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let tcp = try await tcpSNMPCounters()
        let connectErrors = try report.counts("connect_errors")
        let opened = try report.int("connections_opened"), refused = connectErrors["refused", default: 0]
        let passive = tcp["PassiveOpens"] ?? -1
        #expect(passive >= 0 && (passive...passive + slots).contains(opened),
                "the server's kernel accepted \(tcp["PassiveOpens"] ?? -1), loadgen opened \(opened) (connect errors \(connectErrors))",
                sourceLocation: sourceLocation)
        #expect(refused <= tcp["AttemptFails"] ?? 0, "loadgen counted \(refused) refused connects, the kernel failed \(tcp["AttemptFails"] ?? -1)",
                sourceLocation: sourceLocation)
    }
}

extension FaultRun {
    /// A run (`arguments(netns, url, load)`) against a port in a new namespace where nothing listens, with load
    /// `-c 4 --rate 1000 --count 2000 --timeout 1s`: both invariants, nothing sent, all 2000 `no_connection`, the
    /// end within 2 s + 1 s + 1 s without spinning, the window 2 s; the kernel accepted nothing and failed at least
    /// the attempts loadgen counts as refused.
    static func expectRefusedFromStart(_ arguments: (NetworkNamespace, String, [String]) -> [String],
                                       sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await NetworkNamespace.with { ns in
            let url = "http://127.0.0.1:\(try await TestPorts.freeOnHost())/"
            let load = ["-c", "4", "--rate", "1000", "--count", "2000", "--timeout", "1s"]
            let run = try await LoadGen.run(arguments(ns, url, load), deadline: 12, sourceLocation: sourceLocation)
            try await expectRefusedFromStart(run, ns: ns, sourceLocation: sourceLocation)
        }
    }

    private static func expectRefusedFromStart(_ run: LoadGenRun, ns: NetworkNamespace,
                                               sourceLocation: SourceLocation) async throws {
        let report = try report(run, sourceLocation: sourceLocation)
        try expectInvariants(report, intended: 2000, sourceLocation: sourceLocation)
        try expectEndedOnTime(run, report, schedule: 2, timeout: 1, sourceLocation: sourceLocation)
        try expectWindow(report, seconds: 2, sourceLocation: sourceLocation)
        let summary = summary(report)
        #expect(try report.sent == 0 && report.completed == 0, "\(summary)", sourceLocation: sourceLocation)
        #expect(try notSentReasons(report)["no_connection"] == 2000, "every request: no connection; \(summary)",
                sourceLocation: sourceLocation)
        let refused = try report.counts("connect_errors")["refused", default: 0]
        #expect(refused > 0, "the refusals show in connect_errors: \(summary)", sourceLocation: sourceLocation)
        try await ns.expectConnectionsMatchKernel(report, sourceLocation: sourceLocation)
    }
}
