import Foundation
import Glibc
import Testing

extension HTTP2IntegrationTests {
    /// Issue 9 point 4, HTTP/2 (h2c): servers that die, refuse, send GOAWAY every 10 streams or refuse streams in
    /// storms. Each test asserts both accounting invariants, that the run ends by itself within its schedule +
    /// `--timeout` + 1 s without spinning, and what the server or kernel saw.
    @Suite struct Faults {
        /// The h2c servers killed mid-run.
        enum KilledServer: String, CaseIterable, Sendable, CustomStringConvertible {
            case nghttpd
            case nginx
            var description: String { rawValue }
        }

        @Test("h2c server killed 1 s into 6000 requests at 2000/s: ends by itself, every intended request sent or no_connection",
              arguments: KilledServer.allCases, KilledServerSchedule.allCases)
        func serverKilled(_ server: KilledServer, _ schedule: KilledServerSchedule) async throws {
            try await LoadGate.exclusive {
                try await NetworkNamespace.with { ns in
                    switch server {
                    case .nghttpd:
                        try await NghttpdServer.with(in: ns) { nghttpd in
                            let run = try await Faults.runKilled(ns: ns, url: nghttpd.url, schedule) { nghttpd.kill() }
                            #expect(!(try await ns.isListening(port: nghttpd.port, tcp: true)), "nothing listens after the kill")
                            let report = try run.report()
                            try Faults.expectKilled(run, report, schedule)
                            try await ns.expectConnectionsMatchKernel(report, killRace: 4)
                        }
                    case .nginx:
                        try await NginxServer.with(in: ns, h2c: true) { nginx in
                            let run = try await Faults.runKilled(ns: ns, url: nginx.h2URL(), schedule) { nginx.killHard() }
                            let report = try run.report()
                            try Faults.expectKilled(run, report, schedule)
                            try await ns.expectConnectionsMatchKernel(report, killRace: 4)
                            // As for HTTP/1.1: the SIGKILL can fall between nginx's response and its log line.
                            let log = try await nginx.accessLog()
                            let unlogged = try report.completed - log.count
                            // And the other way: a response nginx logged may die in loadgen's socket with the kill's reset (the
                            // kernel drops what was unread), which loadgen counts as an error.
                            #expect(try unlogged <= 1 && -unlogged <= report.errors, "nginx logged \(log.count); \(FaultRun.summary(report))")
                            #expect(log.allSatisfy { $0.status == 200 && $0.proto == "HTTP/2.0" }, "\(log.prefix(3))")
                        }
                    }
                }
            }
        }

        @Test("nothing listens: 2000 HTTP/2 requests at 1000/s are all not_sent no_connection, and the run ends on time")
        func refusedFromStart() async throws {
            try await FaultRun.expectRefusedFromStart { ns, url, load in HTTP2Run.arguments(netns: ns, url: url, load) }
        }

        @Test("nginx sends GOAWAY after every 10 streams (keepalive_requests 10): all 4000 answered, retries counted, on time")
        func goAwayEveryTenStreams() async throws {
            try await NetworkNamespace.with { ns in
                try await NginxServer.with(in: ns, keepaliveRequests: 10, h2c: true) { nginx in
                    let run = try await LoadGen.run(
                        HTTP2Run.arguments(netns: ns, url: nginx.h2URL(),
                                           // Sends in bursts of 10 (5 ms apart) keep several streams open on each connection
                                           // when its GOAWAY comes, so that some are always retried.
                                           ["-c", "4", "--streams", "50", "--rate", "2000", "--count", "4000", "--timeout", "1s",
                                            "--pacing", "batch=5ms"]),
                        deadline: 15)
                    let report = try run.report()
                    try FaultRun.expectInvariants(report, intended: 4000)
                    try FaultRun.expectEndedOnTime(run, report, schedule: 2, timeout: 1)
                    try FaultRun.expectWindow(report, seconds: 2)
                    let summary = FaultRun.summary(report)
                    #expect(try report.sent == 4000 && report.completed == 4000, "\(summary)")
                    #expect(try report.errors == 0 && report.timeouts == 0, "\(summary)")
                    let log = try await nginx.accessLog(expected: 4000)
                    #expect(try log.count == report.completed, "nginx logged \(log.count); \(summary)")
                    var perConnection: [Int: Int] = [:]
                    for entry in log { perConnection[entry.connection, default: 0] += 1 }
                    #expect(perConnection.values.allSatisfy { $0 <= 10 }, "a connection served more than 10: \(perConnection.values.max() ?? 0)")
                    let full = perConnection.values.filter { $0 == 10 }.count
                    #expect(full >= 390, "4000 requests at 10 per connection: \(full) connections reached 10")
                    #expect(try report.http2Count("goaways_received") == full, "one GOAWAY per connection that reached 10: \(summary)")
                    #expect(try report.http2Count("retried") > 0, "streams beyond the 10th are retried: \(summary)")
                    try HTTP2Run.expectStreamAccounting(report)
                    let tcp = try await ns.tcpSNMPCounters()
                    #expect(try tcp["PassiveOpens"] == report.int("connections_opened"), "nginx accepted \(tcp["PassiveOpens"] ?? -1); \(summary)")
                }
            }
        }

        @Test("REFUSED_STREAM storms (every stream refused; 4 of 5 refused): every request ends, retries counted, on time",
              arguments: [0, 5])
        func refusedStreamStorm(answerEvery: Int) async throws {
            try await NetworkNamespace.with { ns in
                try await HTTPFaultServer.with(in: ns, mode: .h2Refuse(every: answerEvery)) { server in
                    let run = try await LoadGen.run(
                        HTTP2Run.arguments(netns: ns, url: server.url("/s{seq}"),
                                           ["-c", "2", "--streams", "20", "--rate", "1000", "--count", "2000", "--timeout", "1s"]),
                        deadline: 15)
                    let report = try FaultRun.report(run)
                    let log = try await server.log()
                    try Faults.expectStorm(run, report, log, answered: log.count("ok"))
                    #expect((log.count("ok") > 0) == (answerEvery > 0), "the server answered \(log.count("ok")) streams")
                }
            }
        }

        @Test("GOAWAY on every connection after 300 ms of unread 4 KiB requests: retries on backed-up connections end as timeouts from their first send, on time")
        func goAwayOnBackedUpConnections() async throws {
            try await NetworkNamespace.with { ns in
                try await HTTPFaultServer.with(in: ns, mode: .h2GoAwayUnread(stallMs: 300)) { server in
                    // Each request a unique 4 KiB path (HPACK cannot shrink it): the unread connections back up,
                    // and the retries a GOAWAY sends back queue behind writes still in flight.
                    let path = "/{seq}" + String(repeating: "a", count: 4096)
                    let run = try await LoadGen.run(
                        HTTP2Run.arguments(netns: ns, url: server.url(path),
                                           ["-c", "4", "--streams", "200", "--rate", "2000", "--count", "4000", "--timeout", "1s"]),
                        deadline: 15)
                    let report = try FaultRun.report(run)
                    let log = try await server.log()
                    try FaultRun.expectInvariants(report, intended: 4000)
                    try FaultRun.expectEndedOnTime(run, report, schedule: 2, timeout: 1)
                    let summary = FaultRun.summary(report)
                    // The server processed nothing: every request sent timed out; none completed or failed.
                    #expect(try report.sent > 0 && report.timeouts == report.sent, "\(summary)")
                    #expect(try report.completed == 0 && report.errors == 0, "\(summary)")
                    #expect(try report.http2Count("retried") > report.sent, "each sent stream came back at least once: \(summary)")
                    #expect(try report.int("connections_opened") == log.count("accept"), "the server accepted \(log.count("accept")); \(summary)")
                    #expect(try report.http2Count("goaways_received") <= log.count("goaway") && log.count("goaway") > 0,
                            "the server sent \(log.count("goaway")) GOAWAYs; \(summary)")
                    #expect(log.count("error") == 0, "\(log.filter { $0.event == "error" }.prefix(3))")
                }
            }
        }
    }
}

extension HTTP2IntegrationTests.Faults {
    /// Starts `schedule` against `url`, runs `kill` 1 s in, and waits for the end (a hang is killed at 12 s).
    static func runKilled(ns: NetworkNamespace, url: String, _ schedule: KilledServerSchedule,
                          kill: @escaping () -> Void) async throws -> LoadGenRun {
        try await FaultRun.run(HTTP2Run.arguments(netns: ns, url: url, ["--streams", "20"] + schedule.arguments),
                               after: 1, deadline: 12) { _ in kill() }
    }

    static func expectKilled(_ run: LoadGenRun, _ report: LoadGenReport, _ schedule: KilledServerSchedule,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        try schedule.expectKilledServerRun(run, report, sourceLocation: sourceLocation)
        #expect(try report.counts("status").filter { $0.value > 0 }.keys.allSatisfy { $0 == "200" }, sourceLocation: sourceLocation)
    }

    /// A REFUSED_STREAM storm of 2000 requests at 1000/s with a 1 s timeout: both invariants, on time without
    /// spinning, `answered` completed, every stream loadgen opened one the server logged (refused or answered),
    /// every refusal one RST_STREAM loadgen received, retries counted.
    static func expectStorm(_ run: LoadGenRun, _ report: LoadGenReport, _ log: [HTTPFaultServer.LogEntry], answered: Int,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        try FaultRun.expectInvariants(report, intended: 2000, sourceLocation: sourceLocation)
        try FaultRun.expectEndedOnTime(run, report, schedule: 2, timeout: 1, sourceLocation: sourceLocation)
        let summary = FaultRun.summary(report), refused = log.count("refused")
        #expect(try report.completed == answered, "the server answered \(answered); \(summary)", sourceLocation: sourceLocation)
        #expect(try report.sent == 2000, "every request went out at least once: \(summary)", sourceLocation: sourceLocation)
        #expect(try report.http2Count("streams_opened") == refused + answered,
                "the server refused \(refused) and answered \(answered) streams; \(summary)", sourceLocation: sourceLocation)
        #expect(try report.http2Count("resets_received") == refused, "the server refused \(refused); \(summary)",
                sourceLocation: sourceLocation)
        #expect(try report.http2Count("retried") > 0, "refused streams are retried: \(summary)", sourceLocation: sourceLocation)
        try HTTP2Run.expectStreamAccounting(report, sourceLocation: sourceLocation)
        #expect(log.count("error") == 0, "the server rejected frames: \(log.filter { $0.event == "error" }.prefix(3))",
                sourceLocation: sourceLocation)
    }
}
