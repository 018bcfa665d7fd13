import Foundation
import Testing

extension FindMaxTests {
    /// What an 8 Mbit/s token bucket on the test netns's loopback carries of 1000-byte UDP echoes, per second:
    /// both the datagram and its echo cross `lo`, each 1000 bytes of payload + 8 (UDP) + 20 (IPv4) + 14 (the
    /// Ethernet header loopback frames carry, which tbf counts).
    static let udpEchoLinkCapacity = 8_000_000.0 / 8 / (2 * (1000 + 8 + 20 + 14))

    /// The timeout is long against the link's queue (64 KB, 64 ms at its rate): an echo the loaded suite's Python
    /// server sent late still completes, and only what the link dropped is lost.
    @Test("udp --expect-echo behind an 8 Mbit/s link: --find-max finds within 15% of what the link carries (480 echoes/s); every step's counts add up and the server echoed at least what completed")
    func findsTheLinksMaximumForUDPEchoes() async throws {
        try await LoadGate.exclusive {
            try await KindRun.withServer(["--proto", "udp", "--mode", "echo"]) { ns, server in
                try await ns.run(["tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "8mbit", "burst", "16kb", "limit", "64kb"])
                let run = try await LoadGen.run(
                    KindRun.arguments("udp", server.endpoint, netns: ns, ["--expect-echo", "--size", "1000", "--find-max", "--rate", "200",
                                                                         "--step-duration", "2s", "--timeout", "1s"]),
                    deadline: 120)
                let report = try run.report()
                try report.expectAccounting()
                let search = try #require(report.object["find_max"] as? [String: Any], "\(report)")
                let found = try #require(LoadGenReport.number(search["max_rate"]), "no max_rate: \(search)")
                let capacity = FindMaxTests.udpEchoLinkCapacity
                #expect(abs(found - capacity) / capacity <= 0.15, "find-max \(found)/s, the link carries \(capacity) echoes/s")
                print("udp echo find-max: \(found)/s; the link carries \(Int(capacity))/s")
                let steps = try #require(search["steps"] as? [[String: Any]])
                #expect(steps.contains { ($0["held"] as? Bool) == false }, "the search stopped without a failed step")
                var sent = 0.0, completed = 0.0
                for step in steps {
                    let n = { (k: String) in LoadGenReport.number(step[k]) ?? -1 }
                    #expect(n("sent") == n("completed") + n("timeouts") + n("errors") && n("intended") == n("sent") + n("not_sent"), "\(step)")
                    #expect((step["held"] as? Bool) == (n("loss") <= 0.01), "a step's verdict disagrees with its loss: \(step)")
                    sent += n("sent")
                    completed += n("completed")
                }
                // The link dropped datagrams on their way to the server and echoes on their way back: the server
                // echoed no more than was sent and at least every echo loadgen got.
                let echoed = Double(try await server.counts()["echoed"] ?? -1)
                #expect(echoed >= completed && echoed <= sent, "the server echoed \(echoed) of \(sent) sent, \(completed) completed")
            }
        }
    }
}
