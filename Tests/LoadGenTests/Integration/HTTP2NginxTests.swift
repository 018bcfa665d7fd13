import Foundation
import Testing

extension HTTP2IntegrationTests {
    /// loadgen against nginx h2c: nginx's access log (count, `$server_protocol`, requests per connection) must
    /// match what loadgen reports, across many of nginx's GOAWAYs (one per 1000 requests per connection), with
    /// nothing lost and nothing counted twice. And nginx's plain HTTP/1.1 port must be refused clearly.
    @Suite struct Nginx {
        @Test("closed loop: -c 4 --streams 50 --count 20000 crosses nginx's GOAWAY many times; log == completed == 20000")
        func closedLoopAcrossGoAways() async throws {
            try await NetworkNamespace.with { ns in
                try await NginxServer.with(in: ns, keepaliveRequests: 1000, h2c: true) { nginx in
                    let run = try await LoadGen.run(
                        HTTP2Run.arguments(netns: ns, url: nginx.h2URL(),
                                           ["-c", "4", "--streams", "50", "--count", "20000", "--timeout", "2s"]),
                        deadline: 40)
                    let report = try run.report()
                    try await Nginx.expectMatchesAccessLog(report, nginx, ns: ns, expected: 20000)
                    #expect(try report.http2Count("goaways_received") >= 15, "\(report.http2Description)")
                    #expect(try report.requestedRateIsNull)
                }
            }
        }

        @Test("open loop: --rate 5000 --duration 3s across nginx's GOAWAYs; log == completed == 15000")
        func openLoopAcrossGoAways() async throws {
            try await NetworkNamespace.with { ns in
                try await NginxServer.with(in: ns, keepaliveRequests: 1000, h2c: true) { nginx in
                    let run = try await LoadGen.run(
                        HTTP2Run.arguments(netns: ns, url: nginx.h2URL(),
                                           ["-c", "4", "--streams", "50", "--rate", "5000", "--duration", "3s", "--timeout", "2s"]),
                        deadline: 40)
                    let report = try run.report()
                    try await Nginx.expectMatchesAccessLog(report, nginx, ns: ns, expected: 15000)
                    // 15000 requests over 4 lanes: at least 15000/1000 - 4 connections reach nginx's limit.
                    #expect(try report.http2Count("goaways_received") >= 11, "\(report.http2Description)")
                    #expect(try report.double("requested_rate") == 5000)
                    DNSRun.expectNear(Int(try report.double("achieved_rate")), 5000, within: 0.05, "achieved_rate")
                    #expect(run.wallSeconds < 8, "a 3 s run took \(run.wallSeconds) s")
                }
            }
        }

        @Test("streams retried after a GOAWAY near the end of a closed-loop run go out (5 runs): no timeouts, log == completed")
        func retriesAtTheEnd() async throws {
            // When a GOAWAY arrives after the last request was issued, the streams above its last stream ID are
            // resubmitted on another connection; they must be written even if nothing else happens on it. The
            // timing varies, so several short runs.
            try await NetworkNamespace.with { ns in
                try await NginxServer.with(in: ns, keepaliveRequests: 1000, h2c: true) { nginx in
                    var completed = 0
                    var stuck: [Int] = []
                    for _ in 0..<5 {
                        let run = try await LoadGen.run(
                            HTTP2Run.arguments(netns: ns, url: nginx.h2URL(),
                                               ["-c", "4", "--streams", "50", "--count", "20000", "--timeout", "1s"]),
                            deadline: 30)
                        let report = try run.report()
                        try report.expectAccounting()
                        #expect(try report.errors == 0, "\(report.http2Description)")
                        #expect(try report.http2Count("retried") > 0, "the run crossed GOAWAYs with streams in flight")
                        completed += try report.completed
                        stuck.append(try report.timeouts)
                    }
                    #expect(stuck.allSatisfy { $0 == 0 },
                            "timeouts per run \(stuck): retried streams that nginx never received (never written)")
                    let log = try await nginx.accessLog(expected: completed)
                    #expect(log.count == completed, "nginx logged \(log.count), loadgen completed \(completed)")
                }
            }
        }

        @Test("nginx on a plain HTTP/1.1 port with --http2: exit 1 at once, says the server does not speak HTTP/2")
        func notHTTP2() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try await NginxServer.with(in: ns, port: port) { nginx in
                    let run = try await LoadGen.run(
                        HTTP2Run.arguments(netns: ns, url: nginx.url("/"), ["-c", "4", "--count", "100", "--timeout", "1s"]),
                        deadline: 15)
                    #expect(run.outcome.termination == .exited(1), "\(run.commandLine): \(run.outcome.termination); stderr: \(run.stderr)")
                    #expect(run.stderr.contains("does not speak HTTP/2"), "stderr: \(run.stderr)")
                    #expect(run.stderr.contains("127.0.0.1:\(port)"), "stderr names the server: \(run.stderr)")
                    #expect(run.stdout.isEmpty, "no report when the run could not start: \(run.stdout.prefix(300))")
                    #expect(run.wallSeconds < 3, "the failure is known from the first answer; took \(run.wallSeconds) s")
                    // nginx answered the HTTP/2 preface as a bad HTTP/1.x request, and nothing else.
                    let log = try await nginx.accessLog()
                    #expect(!log.isEmpty && log.allSatisfy { $0.status == 400 }, "nginx saw only bad requests: \(log.prefix(4))")
                }
            }
        }

        /// A clean run of `expected` requests: all sent and answered 200, no errors or timeouts, streams accounted.
        static func expectCleanRun(_ report: LoadGenReport, expected: Int, sourceLocation: SourceLocation) throws {
            try report.expectAccounting(sourceLocation: sourceLocation)
            try HTTP2Run.expectHTTP2Shape(report, sourceLocation: sourceLocation)
            #expect(try report.errors == 0, "\(report.http2Description)", sourceLocation: sourceLocation)
            #expect(try report.timeouts == 0, "requests nginx never saw timed out: \(report.http2Description)", sourceLocation: sourceLocation)
            #expect(try report.sent == expected, "\(report.http2Description)", sourceLocation: sourceLocation)
            #expect(try report.completed == expected, "\(report.http2Description)", sourceLocation: sourceLocation)
            #expect(try report.counts("status") == ["200": try report.completed], sourceLocation: sourceLocation)
            try HTTP2Run.expectStreamAccounting(report, sourceLocation: sourceLocation)
        }
    }
}

extension HTTP2IntegrationTests.Nginx {
    /// A clean run, and completed == access-log lines == `expected`, every line an HTTP/2.0 200 for our path, no
    /// connection over nginx's 1000 requests, one GOAWAY per connection that reached 1000, and the kernel's
    /// accepted connections equal to loadgen's.
    static func expectMatchesAccessLog(_ report: LoadGenReport, _ nginx: NginxServer, ns: NetworkNamespace, expected: Int,
                                       sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try expectCleanRun(report, expected: expected, sourceLocation: sourceLocation)
        let completed = try report.completed
        let log = try await nginx.accessLog(expected: completed)
        #expect(log.count == completed, "nginx logged \(log.count) requests, loadgen completed \(completed)", sourceLocation: sourceLocation)
        let notH2 = log.filter { $0.proto != "HTTP/2.0" }
        #expect(notH2.isEmpty, "lines not HTTP/2.0: \(notH2.prefix(3).map(\.request))", sourceLocation: sourceLocation)
        let other = log.filter { $0.status != 200 || $0.request != "GET \(NginxServer.indexPath) HTTP/2.0" }
        #expect(other.isEmpty, "unexpected lines: \(other.prefix(3).map { "\($0.status) \($0.request)" })", sourceLocation: sourceLocation)
        var perConnection: [Int: Int] = [:]
        for entry in log { perConnection[entry.connection] = max(perConnection[entry.connection] ?? 0, entry.requestOnConnection) }
        let busiest = perConnection.values.max() ?? 0
        #expect(busiest <= 1000, "a connection served \(busiest) requests, beyond keepalive_requests 1000", sourceLocation: sourceLocation)
        let full = perConnection.values.filter { $0 == 1000 }.count
        #expect(try report.http2Count("goaways_received") == full,
                "one GOAWAY per connection that reached 1000 requests (\(full)): \(report.http2Description)", sourceLocation: sourceLocation)
        let opened = try report.int("connections_opened")
        #expect(perConnection.count <= opened, "\(perConnection.count) connections served requests, loadgen opened \(opened)",
                sourceLocation: sourceLocation)
        let tcp = try await ns.tcpSNMPCounters()
        #expect(tcp["PassiveOpens"] == opened, "nginx accepted \(tcp["PassiveOpens"] ?? -1) connections, loadgen opened \(opened)",
                sourceLocation: sourceLocation)
    }
}
