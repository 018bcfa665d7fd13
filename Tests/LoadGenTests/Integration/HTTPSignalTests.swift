import Foundation
import Glibc
import Testing

/// Ctrl-C (SIGINT) once and twice, and SIGTERM, during HTTP runs of `--count 20000` at 1000/s (a 20 s schedule):
/// the first signal stops issuing and waits for what is in flight up to min(--timeout, 1 s), a second cancels
/// at once. The report still comes out, the issuing window ends at the stop, both invariants hold over the
/// requests due until then, and what was due but never went out is `not_sent_reasons.stopped`.
enum SignalRun {
    static let load = ["--rate", "1000", "--count", "20000"]

    /// Starts loadgen, sends `signals` (the first 1 s in, each next 0.1 s later) and waits for the end (a hang is
    /// killed 10 s after the last signal). Returns the run and the seconds from the last signal to the end.
    static func run(_ arguments: [String], signals: [Int32],
                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> (LoadGenRun, Double) {
        // How soon the run ends after a signal is a time measured on a shared machine: no other run meanwhile.
        try await LoadGate.exclusive {
            var lastNanos: UInt64 = 0
            let run = try await FaultRun.run(arguments, after: 1, deadline: 1 + 0.1 * Double(signals.count) + 10,
                                             sourceLocation: sourceLocation) { child in
                for (index, signal) in signals.enumerated() {
                    if index > 0 { try await Task.sleep(nanoseconds: 100_000_000) }
                    lastNanos = ChildProcess.nowNanos
                    child.signal(signal)
                }
            }
            return (run, FaultRun.seconds(since: lastNanos) - 0.005)
        }
    }

    /// The report of a run stopped about 1 s in: exit 0 or 128 + signal, `interrupted`, the end within `bound`
    /// seconds of the last signal, the window up to 1 s with `achieved_rate = sent / duration_s`; intended are the
    /// requests due until the stop (1000/s over `duration_s`: the issuing window ends at the stop), both
    /// invariants hold, and every due request that never went out is `stopped`.
    static func expectStopped(_ run: LoadGenRun, signal: Int32, afterSignal: Double, bound: Double,
                              sourceLocation: SourceLocation = #_sourceLocation) throws -> LoadGenReport {
        #expect(afterSignal <= bound, "loadgen ended \(afterSignal) s after the last signal (at most \(bound) s)",
                sourceLocation: sourceLocation)
        let report = try FaultRun.report(run, stoppedBy: signal, sourceLocation: sourceLocation)
        let summary = FaultRun.summary(report)
        try FaultRun.expectInvariants(report, sourceLocation: sourceLocation)
        #expect(try report.bool("interrupted"), "\(summary)", sourceLocation: sourceLocation)
        // The signal goes 1 s after the spawn; the origin comes after start-up (at most `startUpSeconds`).
        let duration = try report.double("duration_s")
        #expect(duration >= 1 - FaultRun.startUpSeconds && duration <= 1.1,
                "duration_s \(duration): the window from the origin until the signal; \(summary)", sourceLocation: sourceLocation)
        try FaultRun.expectWindow(report, seconds: duration, sourceLocation: sourceLocation)
        // The stop reaches the loop threads within a tick or two: a few requests either way.
        let intended = try report.int("intended"), due = Int((1000 * duration).rounded())
        #expect(abs(intended - due) <= 10, "intended \(intended): the requests due in \(duration) s at 1000/s (\(due)); \(summary)",
                sourceLocation: sourceLocation)
        let notSent = try report.int("not_sent")
        #expect(try FaultRun.notSentReasons(report)["stopped"] == notSent, "what never went out was stopped: \(summary)",
                sourceLocation: sourceLocation)
        #expect(run.cpuSeconds < 0.5 * run.wallSeconds, "loadgen used \(run.cpuSeconds) s of CPU in \(run.wallSeconds) s",
                sourceLocation: sourceLocation)
        return report
    }

    /// Requests in flight at the stop against a server that never answers (--timeout 5s, so none times out):
    /// every one the server read is one loadgen sent (at most the 20 the slots hold), every one ended cancelled,
    /// and the requests due behind them are `stopped`.
    static func expectCancelled(_ report: LoadGenReport, serverRead: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let summary = FaultRun.summary(report)
        #expect(try report.sent == serverRead, "the server read \(serverRead) requests; \(summary)", sourceLocation: sourceLocation)
        #expect(try report.sent > 0 && report.cancelled == report.sent, "in flight at the stop: cancelled; \(summary)",
                sourceLocation: sourceLocation)
        #expect(try report.sent <= 20, "no more than the slots hold: \(summary)", sourceLocation: sourceLocation)
        #expect(try FaultRun.notSentReasons(report)["stopped", default: 0] >= 400, "requests due behind them: stopped; \(summary)",
                sourceLocation: sourceLocation)
    }

    /// A healthy nginx (h2c with `http2`) stopped by `signal` 1 s in: the wait for what is in flight is
    /// min(--timeout, 1 s), so the end comes within 2 s of the signal; nginx logged every completed request.
    static func againstNginx(http2: Bool, signal: Int32, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await NetworkNamespace.with { ns in
            try await NginxServer.with(in: ns, h2c: http2) { nginx in
                let arguments = http2
                    ? HTTP2Run.arguments(netns: ns, url: nginx.h2URL(), ["-c", "2", "--streams", "10", "--timeout", "2s"] + load)
                    : HTTP1Run.arguments([nginx.url()], netns: ns, ["-c", "10", "--timeout", "2s"] + load)
                let (run, afterSignal) = try await run(arguments, signals: [signal], sourceLocation: sourceLocation)
                let report = try expectStopped(run, signal: signal, afterSignal: afterSignal, bound: 2, sourceLocation: sourceLocation)
                let log = try await nginx.accessLog()
                #expect(try log.count == report.completed, "nginx logged \(log.count); \(FaultRun.summary(report))",
                        sourceLocation: sourceLocation)
            }
        }
    }

    /// Runs `arguments(netns, url)` against a fault server in `mode` that never answers, sends `signals` and
    /// expects the stop within `bound` seconds of the last, and every request in flight cancelled. Returns the
    /// report and the server's log.
    static func againstSilentServer(_ mode: HTTPFaultServer.Mode, signals: [Int32], bound: Double,
                                    sourceLocation: SourceLocation = #_sourceLocation,
                                    _ arguments: @escaping (NetworkNamespace, String) -> [String]) async throws
        -> (LoadGenReport, [HTTPFaultServer.LogEntry]) {
        try await NetworkNamespace.with { ns in
            try await HTTPFaultServer.with(in: ns, mode: mode) { server in
                let (run, afterSignal) = try await run(arguments(ns, server.url("/q{seq}")), signals: signals, sourceLocation: sourceLocation)
                let report = try expectStopped(run, signal: signals[0], afterSignal: afterSignal, bound: bound, sourceLocation: sourceLocation)
                let log = try await server.log()
                try expectCancelled(report, serverRead: log.count("recv"), sourceLocation: sourceLocation)
                return (report, log)
            }
        }
    }
}

extension HTTP1IntegrationTests {
    @Suite struct Signals {
        @Test("SIGINT or SIGTERM 1 s into --count 20000 against nginx: ends within 2 s, report with stopped, nginx log == completed",
              arguments: [SIGINT, SIGTERM])
        func stopAnswered(_ signal: Int32) async throws {
            try await SignalRun.againstNginx(http2: false, signal: signal)
        }

        @Test("SIGINT or SIGTERM while 4 requests wait on a silent server: waits at most 1 s, then cancels them",
              arguments: [SIGINT, SIGTERM])
        func stopInFlight(_ signal: Int32) async throws {
            let (report, _) = try await SignalRun.againstSilentServer(.http1Silent, signals: [signal], bound: 2, Signals.arguments)
            #expect(try report.sent == 4, "4 connections, one request each in flight: \(FaultRun.summary(report))")
        }

        @Test("Ctrl-C twice while requests wait on a silent server: the second cancels at once (within 0.5 s)")
        func doubleInterrupt() async throws {
            // Without the second signal the first would wait 1 s, 0.9 s after the second.
            _ = try await SignalRun.againstSilentServer(.http1Silent, signals: [SIGINT, SIGINT], bound: 0.5, Signals.arguments)
        }

        /// `-c 4 --timeout 5s --rate 1000 --count 20000` to `url`.
        static func arguments(_ ns: NetworkNamespace, _ url: String) -> [String] {
            HTTP1Run.arguments([url], netns: ns, ["-c", "4", "--timeout", "5s"] + SignalRun.load)
        }
    }
}

extension HTTP2IntegrationTests {
    @Suite struct Signals {
        @Test("SIGINT or SIGTERM 1 s into --count 20000 against nginx h2c: ends within 2 s, report with stopped, log == completed",
              arguments: [SIGINT, SIGTERM])
        func stopAnswered(_ signal: Int32) async throws {
            try await SignalRun.againstNginx(http2: true, signal: signal)
        }

        @Test("SIGINT or SIGTERM while 20 streams wait on a silent h2c server: waits at most 1 s, then cancels them",
              arguments: [SIGINT, SIGTERM])
        func stopInFlight(_ signal: Int32) async throws {
            let (report, _) = try await SignalRun.againstSilentServer(.h2Silent, signals: [signal], bound: 2) { ns, url in
                Signals.arguments(ns, url, connections: 2)
            }
            #expect(try report.sent == 20, "2 connections x 10 streams in flight: \(FaultRun.summary(report))")
        }

        @Test("Ctrl-C twice while streams wait on a silent h2c server: the second cancels at once (within 0.5 s)")
        func doubleInterrupt() async throws {
            _ = try await SignalRun.againstSilentServer(.h2Silent, signals: [SIGINT, SIGINT], bound: 0.5) { ns, url in
                Signals.arguments(ns, url, connections: 2)
            }
        }

        @Test("Ctrl-C while streams wait for a retry (GOAWAY, no new connection yet): sent once, cancelled, not also not_sent")
        func interruptWhileRetryWaits() async throws {
            // The streams the GOAWAY sent back were written once (the server read them) and never again.
            let (report, log) = try await SignalRun.againstSilentServer(.h2GoAwayThenStall, signals: [SIGINT], bound: 2) { ns, url in
                Signals.arguments(ns, url, connections: 1)
            }
            #expect(log.count("goaway") == 1 && log.count("stall") >= 1, "the server sent GOAWAY, then stalled: \(log.prefix(6))")
            #expect(try report.http2Count("goaways_received") == 1, "\(FaultRun.summary(report))")
        }

        /// `-c CONNECTIONS --streams 10 --timeout 5s --rate 1000 --count 20000` to `url`.
        static func arguments(_ ns: NetworkNamespace, _ url: String, connections: Int) -> [String] {
            HTTP2Run.arguments(netns: ns, url: url, ["-c", "\(connections)", "--streams", "10", "--timeout", "5s"] + SignalRun.load)
        }
    }
}
