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
            do {
                let (run, delta) = try await serverKilledOneSecondIn("tcp", server: ["--proto", "tcp", "--mode", "accept"],
                                                                     counters: "Tcp", ["--rate", "1000", "--count", "2000", "--timeout", "1s"])
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 2000)
                let refused = try report.counts("error_kinds")["refused", default: 0]
                #expect(try report.sent == 2000 && report.completed + report.errors == 2000, "\(FaultRun.summary(report))")
                #expect(refused > 500, "\(FaultRun.summary(report))")
                #expect(try report.completed == delta["PassiveOpens"], "the kernel accepted \(delta); \(FaultRun.summary(report))")
            }
        }

        @Test("the UDP echo server killed 1 s into 2000 datagrams at 1000/s: echoed ones complete, the rest fail `refused` by their own ICMP errors (kernel NoPorts), both invariants")
        func udpEchoServerKilled() async throws {
            do {
                let (run, delta) = try await serverKilledOneSecondIn("udp", server: ["--proto", "udp", "--mode", "echo"], counters: "Udp",
                                                                     ["--rate", "1000", "--count", "2000", "--expect-echo", "--timeout", "2s"])
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 2000)
                let refused = try report.counts("error_kinds")["refused", default: 0]
                let (completed, timeouts) = (try report.completed, try report.timeouts)
                #expect(try report.sent == 2000 && completed > 500 && refused > 500 && refused == report.errors,
                        "\(FaultRun.summary(report))")
                // Each refused datagram is one the kernel found no socket for; the only ones that may time out are
                // those the server's socket had queued when it died (never read, so neither echoed nor refused).
                // InDatagrams counts reads: the server's of each echoed datagram and loadgen's of its echo.
                #expect(refused == delta["NoPorts"], "kernel \(delta); \(FaultRun.summary(report))")
                #expect(timeouts <= 5 && delta["InDatagrams"] == Int(2 * completed) && delta["OutDatagrams"] == Int(2000 + completed),
                        "kernel \(delta); \(FaultRun.summary(report))")
                #expect(run.wallSeconds < (timeouts == 0 ? 3.5 : 5.5), "ended \(run.wallSeconds) s in")
            }
        }

        /// `loadgen KIND` at a fixture server in a fresh netns that is stopped 1 s into the run; the run and the
        /// deltas of the netns' `counters` (`/proc/net/snmp`) over it.
        private func serverKilledOneSecondIn(_ kind: String, server: [String], counters: String,
                                             _ load: [String]) async throws -> (LoadGenRun, [String: Int]) {
            try await NetworkNamespace.with { ns in
                let fixture = try await KindsServer.start(in: ns, server)
                defer { fixture.stop() }
                return try await ns.snmpDelta(counters) {
                    try await FaultRun.run(KindRun.arguments(kind, fixture.endpoint, netns: ns, load), after: 1, deadline: 15) { _ in
                        fixture.stop()
                    }
                }
            }
        }
    }
}
