import Foundation
import Testing

extension DNSIntegrationTests {
    /// What the kernel saw, independently of both loadgen and the server.
    @Suite struct Capture {
        @Test("a packet capture on the namespace's loopback sees exactly `sent` queries")
        func captureSeesEverySentQuery() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try await KnotServer.with(in: ns, port: port) { knot in
                    try await PacketCapture.with(in: ns, port: port) { capture in
                        // The capture's start probes reached knot too: take its counters after them.
                        let before = try await knot.stats()
                        let run = try await LoadGen.run(
                            DNSRun.arguments(netns: ns, port: port, ["--rate", "2000", "--duration", "1s", "--timeout", "1s"]),
                            deadline: 10)
                        let delta = try await knot.stats() - before
                        let captured = try await capture.finish()
                        let report = try run.report()
                        try report.expectAccounting()

                        let sent = try report.sent
                        DNSRun.expectNear(sent, 2000, within: 0.02, "sent at 2000/s for 1 s")
                        #expect(captured == sent, "tshark saw \(captured) queries to port \(port); \(report)")
                        #expect(try report.completed == delta.udp4, "knot: \(delta.counters)")
                    }
                }
            }
        }
    }
}
