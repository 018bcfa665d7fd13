import Foundation
import Testing

extension DNSIntegrationTests {
    /// `loadgen tcp` and `loadgen udp` to an IPv6 literal (`[::1]:PORT`) at the fixture server listening on ::1 in a
    /// test namespace: the same counts as over IPv4, held against the kernel's and the server's, and the events'
    /// addresses in brackets.
    @Suite struct KindIPv6Tests {
        @Test("tcp to [::1] at 1000/s for 1 s with --send and --expect: completed == 1000 == PassiveOpens == the server's replies; events' src and dst are ::1")
        func tcpOverIPv6() async throws {
            try await KindRun.withServer(["--proto", "tcp", "--mode", "reply", "--recv", "16", "--reply", "32"], host: "::1") { ns, server in
                let events = NSTemporaryDirectory() + "kinds-v6-tcp-\(getpid()).jsonl"
                defer { try? FileManager.default.removeItem(atPath: events) }
                let (run, delta) = try await ns.snmpDelta("Tcp") {
                    try await LoadGen.run(KindRun.arguments("tcp", server.endpoint, netns: ns,
                                                            ["--rate", "1000", "--count", "1000", "--send", "0123456789abcdef",
                                                             "--expect", "32", "--events", events]), deadline: 20)
                }
                #expect(server.endpoint == "[::1]:\(server.port)")
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 1000)
                let counts = try await server.counts()
                #expect(try report.completed == 1000, "\(FaultRun.summary(report))")
                #expect(delta["PassiveOpens"] == 1000, "the kernel accepted \(delta)")
                #expect(counts["replied"] == 1000, "server: \(counts)")
                let records = try KindRun.events(events)
                #expect(records.count == 1000)
                #expect(records.allSatisfy { ($0["dst"] as? String) == server.endpoint && (($0["src"] as? String) ?? "").hasPrefix("[::1]:") },
                        "\(records.first ?? [:])")
            }
        }

        @Test("udp --expect-echo to [::1] at 2000/s for 1 s: every echo completes its event, the server echoed 2000; nothing listening on ::1 fails each event `refused` (IPV6_RECVERR)")
        func udpOverIPv6() async throws {
            try await KindRun.withServer(["--proto", "udp", "--mode", "echo"], host: "::1") { ns, server in
                let run = try await LoadGen.run(KindRun.arguments("udp", server.endpoint, netns: ns,
                                                                  ["--rate", "2000", "--count", "2000", "--expect-echo"]), deadline: 20)
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 2000)
                #expect(try report.completed == 2000 && report.timeouts == 0, "\(FaultRun.summary(report))")
                #expect(try await server.counts()["echoed"] == 2000)
                let port = try await TestPorts.freeOnHost()
                let closed = try await LoadGen.run(KindRun.arguments("udp", "[::1]:\(port)", netns: ns,
                                                                     ["--rate", "500", "--count", "200", "--expect-echo", "--timeout", "5s"]),
                                                   deadline: 20)
                let refused = try closed.report(exitCode: 1)
                try FaultRun.expectInvariants(refused, intended: 200)
                #expect(try refused.errors == 200 && refused.counts("error_kinds")["refused", default: 0] == 200,
                        "\(FaultRun.summary(refused))")
                #expect(closed.wallSeconds < 3, "no event waited for its timeout: \(closed.wallSeconds) s")
            }
        }
    }
}
