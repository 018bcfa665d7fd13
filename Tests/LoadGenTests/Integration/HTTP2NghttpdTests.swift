import Foundation
import Glibc
import Testing

extension HTTP2IntegrationTests {
    /// loadgen against nghttpd (`--no-tls`): closed loop and open loop counts, the server's stream limit, and a
    /// server killed mid-run. The kernel's TCP counters of the namespace confirm the connections loadgen reports.
    @Suite struct Nghttpd {
        @Test("closed loop: -c 4 --streams 20 --count 2000 completes all 2000 with 200 over exactly 4 connections")
        func closedLoopCount() async throws {
            try await NetworkNamespace.with { ns in
                try await NghttpdServer.with(in: ns) { server in
                    let run = try await LoadGen.run(
                        HTTP2Run.arguments(netns: ns, url: server.url, ["-c", "4", "--streams", "20", "--count", "2000"]),
                        deadline: 30)
                    let report = try run.report()
                    try report.expectAccounting()
                    try HTTP2Run.expectHTTP2Shape(report)
                    #expect(try report.sent == 2000, "\(report.http2Description)")
                    #expect(try report.completed == 2000, "\(report.http2Description)")
                    #expect(try report.errors == 0 && report.timeouts == 0 && report.cancelled == 0, "\(report.http2Description)")
                    #expect(try report.int("not_sent") == 0)
                    #expect(try report.counts("status") == ["200": 2000])
                    #expect(try report.requestedRateIsNull)
                    #expect(try report.http2Count("streams_opened") >= 2000)
                    #expect(try report.http2Count("goaways_received") == 0, "nghttpd does not limit requests per connection")
                    #expect(try report.http2Count("resets_received") == 0)
                    try HTTP2Run.expectStreamAccounting(report)
                    #expect(try report.int("connections_opened") == 4)
                    #expect(try report.int("sockets_outside_netns") == 0)
                    // Headers: exactly the request loadgen builds, per stream opened.
                    let perRequest = HTTP2Run.requestHeaderBytes(authority: "127.0.0.1:\(server.port)", path: NghttpdServer.path,
                                                                 version: try report.string("version"))
                    #expect(try report.http2Count("request_header_bytes") == perRequest * report.http2Count("streams_opened"))
                    // The server's side of the kernel: exactly four connections accepted, all from loadgen.
                    let tcp = try await ns.tcpSNMPCounters()
                    #expect(tcp["PassiveOpens"] == 4, "the server accepted \(tcp["PassiveOpens"] ?? -1) connections")
                    #expect(tcp["ActiveOpens"] == 4, "loadgen opened \(tcp["ActiveOpens"] ?? -1) connections")
                    try DNSRun.expectLatencyObject(report, "latency_us")
                    #expect(server.isRunning, "nghttpd survived: \(server.log)")
                }
            }
        }

        @Test("open loop: --rate 2000 --duration 2s sends 4000, all answered, at the requested rate")
        func openLoopRate() async throws {
            try await NetworkNamespace.with { ns in
                try await NghttpdServer.with(in: ns) { server in
                    let run = try await LoadGen.run(
                        HTTP2Run.arguments(netns: ns, url: server.url, ["-c", "4", "--streams", "20", "--rate", "2000", "--duration", "2s"]),
                        deadline: 30)
                    let report = try run.report()
                    try report.expectAccounting()
                    try HTTP2Run.expectHTTP2Shape(report)
                    #expect(try report.sent == 4000, "\(report.http2Description)")
                    #expect(try report.completed == 4000, "\(report.http2Description)")
                    #expect(try report.counts("status") == ["200": 4000])
                    #expect(try report.int("not_sent") == 0)
                    #expect(try report.double("requested_rate") == 2000)
                    DNSRun.expectNear(Int(try report.double("achieved_rate")), 2000, within: 0.05, "achieved_rate")
                    #expect(try report.int("connections_opened") == 4)
                    try HTTP2Run.expectStreamAccounting(report)
                    try DNSRun.expectLatencyObject(report, "latency_us")
                    try DNSRun.expectLatencyObject(report, "service_time_us")
                    #expect(run.wallSeconds < 6, "a 2 s run took \(run.wallSeconds) s")
                    let tcp = try await ns.tcpSNMPCounters()
                    #expect(tcp["PassiveOpens"] == 4)
                }
            }
        }

        @Test("the server allows 5 streams (--max-concurrent-streams=5): --streams 50 stays within it, nothing is refused")
        func serverStreamLimit() async throws {
            try await NetworkNamespace.with { ns in
                try await NghttpdServer.with(in: ns, arguments: ["--max-concurrent-streams=5"]) { server in
                    let run = try await LoadGen.run(
                        HTTP2Run.arguments(netns: ns, url: server.url, ["-c", "2", "--streams", "50", "--count", "2000"]),
                        deadline: 30)
                    let report = try run.report()
                    try report.expectAccounting()
                    #expect(try report.completed == 2000, "\(report.http2Description)")
                    #expect(try report.errors == 0 && report.timeouts == 0, "\(report.http2Description)")
                    #expect(try report.http2Count("resets_received") == 0, "the server refused streams beyond its limit")
                    #expect(try report.http2Count("retried") == 0)
                    #expect(try report.int("connections_opened") == 2)
                }
            }
        }

        @Test("nghttpd killed (SIGKILL) 1 s into --rate 2000 --duration 3s --timeout 1s: exit 0 on time, failures counted, accounting exact")
        func killedServer() async throws {
            try await NetworkNamespace.with { ns in
                try await NghttpdServer.with(in: ns) { server in
                    let arguments = HTTP2Run.arguments(netns: ns, url: server.url,
                                                       ["-c", "4", "--streams", "20", "--rate", "2000", "--duration", "3s", "--timeout", "1s"])
                    let child = try LoadGen.start(arguments)
                    defer { child.kill() }
                    try await Task.sleep(nanoseconds: 1_000_000_000)
                    #expect(child.isRunning, "loadgen ended before the server was killed: \(child.endedSummary)")
                    server.kill()
                    let run = LoadGenRun(arguments: arguments, await child.wait(seconds: 20), sourceLocation: #_sourceLocation)
                    #expect(!(try await ns.isListening(port: server.port, tcp: true)), "nothing listens any more")

                    let report = try run.report()
                    try report.expectAccounting()
                    // duration 3 s + timeout 1 s + start-up and the drain margin.
                    #expect(run.wallSeconds <= 3 + 1 + 2, "the run ended after \(run.wallSeconds) s")
                    let refused = try report.counts("connect_errors")["refused"] ?? 0
                    let failures = try report.errors + report.timeouts
                    #expect(failures > 0 || refused > 0,
                            "the kill shows as errors, timeouts or refused reconnects: \(report.http2Description)")
                    #expect(try report.completed > 200, "requests before the kill were answered: \(report.http2Description)")
                    #expect(try report.counts("status").keys.allSatisfy { $0 == "200" })
                    // Every intended request is accounted for, sent or not.
                    #expect(try report.sent + report.int("not_sent") == 6000, "sent + not_sent: \(report.http2Description)")
                }
            }
        }
    }
}
