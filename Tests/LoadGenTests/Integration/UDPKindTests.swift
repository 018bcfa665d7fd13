import Foundation
import Testing

extension DNSIntegrationTests {
    /// `loadgen udp` (issue 12 point 5) against the fixture server in a test namespace: loadgen's counts held against
    /// the kernel's `Udp` counters (the namespace's, which the server and loadgen share on loopback) and the server's.
    @Suite struct UDPKindTests {
        @Test("50k/s for 2 s without echo: sent == completed == 100,000 == the kernel's InDatagrams == what the server read")
        func rateWithoutEcho() async throws {
            try await KindRun.withServer(["--proto", "udp", "--mode", "sink"]) { ns, server in
                let (run, delta) = try await ns.snmpDelta("Udp") {
                    try await LoadGen.run(KindRun.arguments("udp", server.endpoint, netns: ns,
                                                            ["--rate", "50k", "--duration", "2s", "--size", "128"]), deadline: 20)
                }
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 100_000)
                let counts = try await server.counts()
                #expect(try report.sent == 100_000 && report.completed == 100_000, "\(FaultRun.summary(report))")
                #expect(delta["InDatagrams"] == 100_000, "the kernel delivered \(delta)")
                #expect(counts["received"] == 100_000, "server: \(counts)")
                #expect(try report.counts("outcomes") == ["ok": 100_000])
                KindRun.note("udp 50k/s no echo", report)
            }
        }

        @Test("--expect-echo against a clean echo server: every datagram's echo completes it, latencies measured, {seq} payload")
        func cleanEcho() async throws {
            try await KindRun.withServer(["--proto", "udp", "--mode", "echo"]) { ns, server in
                let (run, delta) = try await ns.snmpDelta("Udp") {
                    try await LoadGen.run(KindRun.arguments("udp", server.endpoint, netns: ns,
                                                            ["--rate", "2000", "--count", "2000", "--expect-echo",
                                                             "--payload", "ping {seq}\\n", "--size", "100"]), deadline: 20)
                }
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 2000)
                let counts = try await server.counts()
                #expect(try report.completed == 2000 && report.timeouts == 0, "\(FaultRun.summary(report))")
                #expect(counts["echoed"] == 2000, "server: \(counts)")
                #expect(delta["InDatagrams"] == 4000, "server 2000 + echoes 2000; the kernel delivered \(delta)")
                #expect(try report.int("bytes_received") == 200_000)
                let latency = try #require(report.object["latency_us"] as? [String: Any])
                let service = try #require(report.object["service_time_us"] as? [String: Any])
                #expect((LoadGenReport.number(latency["p50"]) ?? 0) > 0 && (LoadGenReport.number(service["p99"]) ?? 0) > 0)
                let echoes = try #require(report.object["echoes"] as? [String: Any])
                #expect(echoes.values.allSatisfy { LoadGenReport.number($0) == 0 }, "\(echoes)")
                KindRun.note("udp 2000/s echo", report)
            }
        }

        @Test("an echo server that drops, duplicates, truncates and adds foreign datagrams: each counted as such, never completing an event")
        func faultyEcho() async throws {
            let faults = ["--drop-every", "10", "--dup-every", "7", "--truncate-every", "13", "--foreign-every", "11"]
            try await KindRun.withServer(["--proto", "udp", "--mode", "echo"] + faults) { ns, server in
                let (run, delta) = try await ns.snmpDelta("Udp") {
                    try await LoadGen.run(KindRun.arguments("udp", server.endpoint, netns: ns,
                                                            ["--rate", "2000", "--count", "4000", "--expect-echo",
                                                             "--timeout", "500ms"]), deadline: 20)
                }
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 4000)
                let c = try await server.counts()
                let (received, dropped, truncated) = (c["received", default: -1], c["dropped", default: 0], c["truncated", default: 0])
                let echoes = try #require(report.object["echoes"] as? [String: Any]).mapValues { Int(LoadGenReport.number($0) ?? -1) }
                let s = "\(FaultRun.summary(report)) echoes \(echoes) server \(c)"
                #expect(received == 4000, "\(s)")
                #expect(try report.completed == received - dropped - truncated, "\(s)")
                #expect(try report.timeouts == dropped + truncated && report.errors == 0, "\(s)")
                // A truncated echo that was also duplicated arrives twice, both times truncated.
                #expect(echoes["duplicates", default: 0] + echoes["truncated", default: 0] == c["duplicated", default: 0] + truncated, "\(s)")
                #expect(echoes["foreign"] == c["foreign"] && echoes["late"] == 0, "\(s)")
                #expect(delta["InDatagrams"] == received + c["echoed", default: 0] + c["foreign", default: 0], "kernel \(delta); \(s)")
            }
        }

        @Test("nothing listens: without echo every datagram completes (the kernel took it) and NoPorts counts them; with it each event fails `refused` by its own ICMP error, at once")
        func nothingListens() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                let (plain, delta) = try await ns.snmpDelta("Udp") {
                    try await LoadGen.run(KindRun.arguments("udp", "127.0.0.1:\(port)", netns: ns, ["--rate", "500", "--count", "500"]),
                                          deadline: 20)
                }
                let report = try plain.report()
                try FaultRun.expectInvariants(report, intended: 500)
                #expect(try report.completed == 500 && delta["NoPorts"] == 500 && delta["InDatagrams"] == 0, "kernel \(delta)")
                let (echo, icmp) = try await ns.snmpDelta("Icmp") {
                    try await LoadGen.run(KindRun.arguments("udp", "127.0.0.1:\(port)", netns: ns,
                                                            ["--rate", "500", "--count", "500", "--expect-echo", "--timeout", "5s"]),
                                          deadline: 20)
                }
                let echoReport = try echo.report(exitCode: 1)
                try FaultRun.expectInvariants(echoReport, intended: 500)
                // The error queue names each datagram: no event waits for its 5 s timeout.
                #expect(echo.wallSeconds < 3, "ended \(echo.wallSeconds) s after a 1 s schedule")
                #expect(try echoReport.errors == 500 && echoReport.timeouts == 0, "\(FaultRun.summary(echoReport))")
                #expect(try echoReport.counts("error_kinds")["refused", default: 0] == 500, "\(FaultRun.summary(echoReport))")
                #expect(try echoReport.counts("connect_errors")["refused", default: 0] == 0, "\(FaultRun.summary(echoReport))")
                #expect(icmp["OutDestUnreachs"] == 500 && icmp["InDestUnreachs"] == 500, "kernel \(icmp)")
            }
        }
    }
}
