import Foundation
import Glibc
import Testing

extension GroundTruthIntegrationTests {
    /// How often loadgen reads its DNS answers over UDP, counted in the kernel: at most once a millisecond while
    /// it sends, whatever the rate, with latencies still taken from the kernel's receive time.
    @Suite struct BPFTraceReads {
        /// Every `recvmmsg` and `recvmsg`/`recvfrom` entered by a task in the test namespace, per process.
        static func script(netnsInode: UInt64) -> String {
            """
            tracepoint:syscalls:sys_enter_recvmmsg,
            tracepoint:syscalls:sys_enter_recvmsg,
            tracepoint:syscalls:sys_enter_recvfrom
            /curtask->nsproxy->net_ns->ns.inum == \(netnsInode)/
            {
                @reads[pid] = count();
            }

            """
        }

        @Test("DNS over UDP at 5000/s for 2 s: the kernel saw at most one read a millisecond (about 2,000, not 10,000), and the service time is the kernel's (p50 well under the 1 ms a read can wait)")
        func answersAreReadOncePerMillisecond() async throws {
            try await LoadGate.exclusive {
                try await NetworkNamespace.with { ns in
                    let port = try await TestPorts.freeOnHost()
                    try await KnotServer.with(in: ns, port: port) { knot in
                        let (maps, run, pid) = try await BPFTrace.with(script: Self.script(netnsInode: ns.inode)) { bpftrace in
                            let (run, pid) = try await GroundTruthRun.run(
                                DNSRun.arguments(netns: ns, port: port, ["--rate", "5000", "--duration", "2s", "--timeout", "2s"]),
                                deadline: 15)
                            return (try bpftrace.finish(), run, pid)
                        }
                        let report = try run.report()
                        try report.expectAccounting()
                        let sent = try report.sent, completed = try report.completed
                        DNSRun.expectNear(sent, 10_000, within: 0.02, "sent at 5000/s for 2 s")
                        #expect(completed == sent, "knot answers everything: \(report)")
                        let reads = maps["@reads[\(pid)]"] ?? 0
                        // 2,000 milliseconds of sending, then a read per tick while the last answers come in.
                        #expect(reads > 100 && reads <= 2_200, "the kernel saw \(reads) reads from loadgen (pid \(pid)) for \(completed) answers; maps \(maps)")
                        let service = try #require(report.object["service_time_us"] as? [String: Any])
                        let p50 = LoadGenReport.number(service["p50"]) ?? -1
                        // Timed at the read, answers would wait 500 µs for it on average; the kernel's time is knot's.
                        #expect(p50 > 0 && p50 < 400, "service time p50 \(p50) µs")
                        print("dns 5000/s for 2 s: \(reads) reads by loadgen for \(completed) answers, service time p50 \(p50) µs")
                        #expect(try await knot.stats().udp4 >= sent, "knot saw every query")
                    }
                }
            }
        }
    }
}
