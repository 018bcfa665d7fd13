import Foundation
import Testing

extension HTTP1IntegrationTests {
    /// What the kernel saw, independently of both loadgen and nginx.
    @Suite struct Capture {
        @Test("--no-keepalive: a capture on the namespace's loopback sees exactly connections_opened SYNs")
        func captureCountsConnections() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                var probePort = try await TestPorts.freeOnHost()
                while probePort == port { probePort = try await TestPorts.freeOnHost() }
                try await NginxServer.with(in: ns, port: port) { nginx in
                    try #require(nginx.statusPort != probePort)
                    try await SYNCapture.with(in: ns, port: port, probePort: probePort) { capture in
                        let run = try await LoadGen.run(
                            HTTP1Run.arguments([nginx.url()], netns: ns,
                                               ["--no-keepalive", "--count", "50", "--rate", "500", "-c", "5", "--timeout", "2s"]),
                            deadline: 10)
                        let syns = try await capture.finish()
                        let report = try run.report()
                        let log = try await nginx.accessLog()
                        try HTTP1Run.expectMatchesServer(report, log, netns: ns)

                        let opened = try report.int("connections_opened")
                        #expect(try report.completed == 50, "\(HTTP1Run.summary(report))")
                        #expect(opened == 50, "\(HTTP1Run.summary(report))")
                        #expect(syns == opened, "tshark saw \(syns) SYNs to port \(port); \(HTTP1Run.summary(report))")
                    }
                }
            }
        }
    }
}
