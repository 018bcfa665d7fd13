import Foundation
import Testing

extension HTTP1IntegrationTests {
    /// Host names are resolved with c-ares inside the target netns, against a DNS server that exists only there.
    @Suite struct Names {
        @Test("http://web.example.test:PORT/ resolves through knot in the namespace; an unknown name is a clear exit 1")
        func nameResolvedInNamespace() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                var dnsPort = try await TestPorts.freeOnHost()
                while dnsPort == port { dnsPort = try await TestPorts.freeOnHost() }
                try await KnotServer.with(in: ns, port: dnsPort, extraRecords: ["web A 127.0.0.1"]) { knot in
                    try await NginxServer.with(in: ns, port: port) { nginx in
                        let before = try await knot.stats()
                        let run = try await LoadGen.run(
                            HTTP1Run.arguments(["http://web.example.test:\(port)/"], netns: ns,
                                               ["--dns-server", "127.0.0.1:\(dnsPort)", "--count", "100", "--timeout", "2s"]),
                            deadline: 15)
                        let delta = try await knot.stats() - before
                        let report = try run.report()
                        let log = try await nginx.accessLog()
                        try HTTP1Run.expectMatchesServer(report, log, netns: ns)

                        #expect(try report.completed == 100, "\(HTTP1Run.summary(report))")
                        #expect(delta["mod-stats.query-type[A]"] >= 1, "knot saw no A query: \(delta.counters)")
                        #expect(log.count == 100)

                        let missing = try await LoadGen.run(
                            HTTP1Run.arguments(["http://nope.example.test:\(port)/"], netns: ns,
                                               ["--dns-server", "127.0.0.1:\(dnsPort)", "--count", "5", "--timeout", "1s"]),
                            deadline: 15)
                        missing.expectError(exitCode: 1, mentions: ["nope.example.test", "resolve"], errorLine: false)
                        #expect(try await nginx.accessLog().count == 100, "nothing reached nginx for the unknown name")
                    }
                }
            }
        }
    }
}
