import Foundation
import Glibc
import Testing

extension GroundTruthIntegrationTests {
    /// An eBPF tracer — the kind of observer loadgen exists to test — counts the run's datagrams in the kernel.
    @Suite struct BPFTraceCount {
        /// `sock:sock_send_length` fires in `sock_sendmsg_nosec`, once per datagram, also for each message of a
        /// `sendmmsg` batch. Counted per process, for UDP/IPv4 sends whose task is in the test namespace.
        static func script(netnsInode: UInt64) -> String {
            """
            tracepoint:sock:sock_send_length
            /args->family == 2 && args->protocol == 17 && args->ret > 0 && curtask->nsproxy->net_ns->ns.inum == \(netnsInode)/
            {
                @udp_sends[pid] = count();
            }

            """
        }

        @Test("a bpftrace tracepoint script counts exactly `sent` UDP datagrams from loadgen in the namespace")
        func bpftraceCountsSentDatagrams() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try await KnotServer.with(in: ns, port: port) { knot in
                    let maps: [String: Int]
                    let run: LoadGenRun, pid: pid_t
                    let before = try await knot.stats()
                    do {
                        (maps, run, pid) = try await BPFTrace.with(script: Self.script(netnsInode: ns.inode)) { bpftrace in
                            let (run, pid) = try await GroundTruthRun.run(
                                DNSRun.arguments(netns: ns, port: port, ["--rate", "2000", "--duration", "1s", "--threads", "2", "--timeout", "2s"]),
                                deadline: 15)
                            // The answers are in: knot sent them before loadgen counted them completed.
                            return (try bpftrace.finish(), run, pid)
                        }
                    } catch let error as BPFTrace.Unavailable where !IntegrationEnvironment.shouldRun {
                        // Only off CI and not as root: as root or in CI (`make setup`, tracefs mounted by the fixture) it must run.
                        try Test.cancel("skipped: \(error.description)")
                    }
                    let delta = try await knot.stats() - before
                    let report = try run.report()
                    try report.expectAccounting()
                    let sent = try report.sent, completed = try report.completed
                    DNSRun.expectNear(sent, 2000, within: 0.02, "sent at 2000/s for 1 s")
                    #expect(try report.timeouts == 0, "no query is retried, so one datagram per query: \(report)")

                    let loadgenSends = maps["@udp_sends[\(pid)]"] ?? 0
                    #expect(loadgenSends == sent, "bpftrace counted \(loadgenSends) UDP datagrams from loadgen (pid \(pid)); sent \(sent); maps \(maps)")
                    // Everything else sending UDP in the namespace was knot, answering.
                    let others = maps.filter { $0.key != "@udp_sends[\(pid)]" }.values.reduce(0, +)
                    #expect(others == completed, "bpftrace counted \(others) other UDP datagrams (knot's answers); completed \(completed); maps \(maps)")
                    #expect(delta.udp4 == sent, "knot: \(delta.counters)")
                }
            }
        }
    }
}
