import Foundation
import Glibc
import Testing

extension DNSIntegrationTests {
    /// Servers that die, refuse, drop or cannot be reached: every intended query accounted, runs that end on time,
    /// checked against what knot and the kernel counted.
    @Suite struct FaultServer {
        enum Bound: String, CaseIterable, Sendable { case count, duration }

        @Test("knot killed mid-run: every intended query accounted, the run ends by itself on time",
              arguments: Bound.allCases, [false, true])
        func serverKilled(_ bound: Bound, tcp: Bool) async throws {
            try await DNSRun.withKnot { ns, port, knot in
                let udpBefore = try await ns.udpCounters()
                var extra = ["--rate", "1000", "--timeout", "1s"] + (bound == .count ? ["--count", "2000"] : ["--duration", "2s"])
                if tcp { extra.append("--tcp") }
                let arguments = DNSRun.arguments(netns: ns, port: port, extra)
                let startNanos = ChildProcess.nowNanos
                let child = try LoadGen.start(arguments)
                defer { child.kill() }
                try await Task.sleep(nanoseconds: 700_000_000)
                let seen = try await knot.stats()
                knot.stop()
                // knot is gone: what loadgen sent after this got no answer (late on a loaded machine, not at 0.7 s).
                let deadBy = FaultRun.seconds(since: startNanos)
                let run = LoadGenRun(arguments: arguments, await child.wait(seconds: 15), sourceLocation: #_sourceLocation)
                let report = try run.report()
                try DNSFault.expectInvariants(report)
                #expect(run.wallSeconds <= 2 + 1 + 1, "took \(run.wallSeconds) s: \(run.commandLine)")

                let sent = try report.sent, completed = try report.completed
                #expect(try report.int("intended") == 2000, "\(report)")
                // Answered before the kill: at least what knot had counted 0.7 s in, at most what was due (1000/s)
                // by the time knot was gone.
                let seenBeforeKill = tcp ? seen.tcp4 : seen.udp4
                #expect(completed >= seenBeforeKill - 50 && Double(completed) <= 1000 * deadBy,
                        "completed \(completed), knot had seen \(seenBeforeKill) and was gone \(deadBy) s after the start")
                #expect(try report.errors > 0, "\(report)")
                let kinds = try report.counts("error_kinds").filter { $0.value > 0 }
                #expect(Set(kinds.keys).isSubset(of: ["refused", "closed", "reset"]), "error kinds \(kinds)")
                if !tcp {
                    // The kernel's side: each query was delivered to knot's socket (whether knot read it before it
                    // died or not), reached the closed port after, or was dropped on the way in (InErrors).
                    // Datagrams delivered in the namespace are those queries plus loadgen's answers.
                    let udp = try await ns.udpCounters()
                    func delta(_ key: String) -> Int { udp[key, default: 0] - udpBefore[key, default: 0] }
                    let toKnot = delta("InDatagrams") - completed
                    // Datagrams still queued in knot's socket when it dies are counted by no counter (InDatagrams
                    // counts at recvmsg): 1-3 on a quiet machine, more when knot lags. 250 is a quarter second of
                    // the 1000/s schedule; a loadgen counting sends that never left would miss by about 1,300.
                    let unseen = sent - (toKnot + delta("NoPorts") + delta("InErrors"))
                    #expect(unseen >= 0 && unseen <= 250,
                            "sent \(sent): delivered to knot \(toKnot), to the closed port \(delta("NoPorts")), dropped \(delta("InErrors")) (\(udp))")
                }
            }
        }

        @Test("nothing listening from the start: every query an error 'refused', on time, with --count")
        func refusedFromTheStart() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                let before = try await ns.udpCounters()["NoPorts", default: 0]
                let (_, report) = try await DNSFault.run(
                    DNSFault.arguments(ns, port: port, ["--rate", "1000", "--count", "1000", "--timeout", "1s"]),
                    schedule: 1, timeout: 1)
                let noPorts = try await ns.udpCounters()["NoPorts", default: 0] - before
                #expect(try report.sent == 1000 && report.completed == 0, "\(report)")
                #expect(try report.counts("error_kinds")["refused"] == 1000, "\(report)")
                #expect(noPorts == 1000, "the kernel saw \(noPorts) datagrams to the closed port")
            }
        }

        @Test("a closed server port the kernel may also pick as loadgen's own: no socket reads its own queries",
              arguments: [false, true])
        func selfConnectedSocket(tcp: Bool) async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost() & ~1
                // Two ephemeral ports, one of them the server's: every other socket would be connected to itself.
                _ = try await Command.check(["ip", "netns", "exec", ns.name, "sysctl", "-qw",
                                             "net.ipv4.ip_local_port_range=\(port) \(port + 1)"])
                let (_, report) = try await DNSFault.run(
                    DNSFault.arguments(ns, port: port, ["--rate", "1000", "--count", "500", "--timeout", "1s"] + (tcp ? ["--tcp"] : [])),
                    schedule: 0.5, timeout: 1)
                #expect(try report.completed == 0 && report.errors == 500, "its own queries are no answers: \(report)")
                if !tcp { #expect(try report.counts("error_kinds")["refused"] == 500) }
            }
        }

        @Test("10% of queries dropped by iptables: the timeouts are exactly the queries knot never saw")
        func randomDrops() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                try await ns.iptables(["-A", "INPUT", "-p", "udp", "--dport", "\(port)",
                                       "-m", "statistic", "--mode", "random", "--probability", "0.1", "-j", "DROP"])
                let (run, report, delta) = try await knot.measure(
                    DNSRun.arguments(netns: ns, port: port, ["--rate", "2000", "--count", "4000", "--timeout", "1s"]),
                    deadline: 15)
                try DNSFault.expectInvariants(report)
                #expect(run.wallSeconds <= 2 + 1 + 1, "took \(run.wallSeconds) s")
                let dropped = try await ns.iptablesDropped()
                let sent = try report.sent, timeouts = try report.timeouts
                #expect(sent == 4000)
                #expect(timeouts == sent - delta.udp4, "timeouts \(timeouts), knot never saw \(sent - delta.udp4)")
                #expect(timeouts == dropped, "iptables dropped \(dropped)")
                #expect(timeouts > 200 && timeouts < 600, "about 10% of 4000: \(timeouts)")
                #expect(try report.completed == delta.udp4 && report.errors == 0)
            }
        }

        @Test("a server with no route: errors 'unreachable', not 'refused', and nothing leaves the namespace")
        func noRoute() async throws {
            try await NetworkNamespace.with { ns in
                let before = try await DNSFault.snmp(ns, "Ip")
                let arguments = ["dns", "--netns", ns.name, "--server", "198.18.0.1:53", "--name", KnotServer.existingName,
                                 "--rate", "100", "--count", "50", "--timeout", "1s", "--json", "--quiet"]
                let (_, report) = try await DNSFault.run(arguments, schedule: 0.5, timeout: 1)
                let after = try await DNSFault.snmp(ns, "Ip")
                let kinds = try report.counts("error_kinds")
                #expect(try report.sent == 50 && report.errors == 50, "\(report)")
                #expect(kinds["unreachable"] == 50 && kinds["refused"] == 0, "\(kinds)")
                let noRoutes = after["OutNoRoutes", default: 0] - before["OutNoRoutes", default: 0]
                let packetsOut = after["OutRequests", default: 0] - before["OutRequests", default: 0]
                #expect(noRoutes >= 50, "the kernel found no route \(noRoutes) times")
                #expect(packetsOut == 0, "\(packetsOut) IP packets left")
            }
        }
    }
}

extension NetworkNamespace {
    /// Packets the namespace's INPUT chain dropped (the DROP rules' counters, summed).
    func iptablesDropped() async throws -> Int {
        let text = try await iptables(["-L", "INPUT", "-v", "-x", "-n"])
        return text.split(separator: "\n").filter { $0.contains("DROP") }.compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).first.flatMap { Int($0) }
        }.reduce(0, +)
    }
}
