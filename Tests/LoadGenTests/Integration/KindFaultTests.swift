import Foundation
import Glibc
import Testing

extension DNSIntegrationTests {
    /// The tcp and udp kinds when the run is stopped or the server dies: both invariants hold, and what loadgen
    /// counts as completed is what the server kernel counted.
    @Suite struct KindFaultTests {
        @Test("Ctrl-C 1 s into tcp at 1000/s for 10 s, and udp --expect-echo at 5000/s: interrupted, both invariants, tcp completed == PassiveOpens",
              arguments: ["tcp", "udp"])
        func interrupted(_ kind: String) async throws {
            let server = kind == "tcp" ? ["--proto", "tcp", "--mode", "accept"] : ["--proto", "udp", "--mode", "echo"]
            let load = kind == "tcp" ? ["--rate", "1000", "--duration", "10s"] : ["--rate", "5000", "--duration", "10s", "--expect-echo"]
            try await KindRun.withServer(server) { ns, fixture in
                let (run, delta) = try await ns.snmpDelta("Tcp") {
                    try await FaultRun.run(KindRun.arguments(kind, fixture.endpoint, netns: ns, load), after: 1, deadline: 8) { child in
                        child.signal(SIGINT)
                    }
                }
                let report = try run.report()
                try FaultRun.expectInvariants(report)
                #expect(try report.bool("interrupted"), "\(FaultRun.summary(report))")
                #expect(try report.completed > 0 && report.sent < (kind == "tcp" ? 5000 : 25_000), "\(FaultRun.summary(report))")
                #expect(run.wallSeconds < 5, "stopped at once: \(run.wallSeconds) s")
                if kind == "tcp" {
                    #expect(try report.completed == delta["PassiveOpens"], "the kernel accepted \(delta)")
                } else {
                    #expect(try await fixture.counts()["echoed"] == report.completed, "\(FaultRun.summary(report))")
                }
            }
        }

        @Test("the TCP server killed 1 s into 2000 connections at 1000/s: the rest are errors `refused`, both invariants, completed == PassiveOpens")
        func tcpServerKilled() async throws {
            try await NetworkNamespace.with { ns in
                let server = try await KindsServer.start(in: ns, ["--proto", "tcp", "--mode", "accept"])
                defer { server.stop() }
                let (run, delta) = try await ns.snmpDelta("Tcp") {
                    try await FaultRun.run(KindRun.arguments("tcp", server.endpoint, netns: ns,
                                                             ["--rate", "1000", "--count", "2000", "--timeout", "1s"]),
                                           after: 1, deadline: 10) { _ in server.stop() }
                }
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 2000)
                let refused = try report.counts("error_kinds")["refused", default: 0]
                #expect(try report.sent == 2000 && report.completed + report.errors == 2000, "\(FaultRun.summary(report))")
                #expect(refused > 500, "\(FaultRun.summary(report))")
                #expect(try report.completed == delta["PassiveOpens"], "the kernel accepted \(delta); \(FaultRun.summary(report))")
            }
        }
    }
}
