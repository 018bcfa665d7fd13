import Foundation
import Testing

extension DNSIntegrationTests {
    /// What is asked: --type and --names-file, checked against knot's per-type counters.
    @Suite struct Questions {
        @Test("--type AAAA asks AAAA")
        func typeAAAA() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try await KnotServer.with(in: ns, port: port) { knot in
                    let before = try await knot.stats()
                    let run = try await LoadGen.run(
                        DNSRun.arguments(netns: ns, port: port, ["--type", "AAAA", "--count", "100", "--concurrency", "10", "--timeout", "1s"]),
                        deadline: 10)
                    let delta = try await knot.stats() - before
                    let report = try run.report()
                    try report.expectAccounting()

                    #expect(try report.completed == 100, "\(report)")
                    #expect(delta["mod-stats.query-type[AAAA]"] == 100, "knot: \(delta.counters)")
                    #expect(delta["mod-stats.query-type[A]"] == 0, "knot: \(delta.counters)")
                }
            }
        }

        @Test("--names-file in dnsperf's format: types per line, A by default, comments skipped, round-robin")
        func namesFile() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                let directory = try TemporaryDirectory.make(prefix: "names")
                defer { try? FileManager.default.removeItem(at: directory) }
                let file = directory.appendingPathComponent("queries.txt").path
                try """
                    # loadgen integration test: three questions
                    \(KnotServer.existingName) AAAA
                    \(KnotServer.existingName)

                    \(KnotServer.missingName) A
                    """.write(toFile: file, atomically: true, encoding: .utf8)
                try await KnotServer.with(in: ns, port: port) { knot in
                    let before = try await knot.stats()
                    let run = try await LoadGen.run(
                        ["dns", "--netns", ns.name, "--server", "127.0.0.1:\(port)", "--names-file", file,
                         "--count", "300", "--concurrency", "10", "--timeout", "1s", "--json", "--quiet"],
                        deadline: 10)
                    let delta = try await knot.stats() - before
                    let report = try run.report()
                    try report.expectAccounting()

                    #expect(try report.completed == 300, "\(report)")
                    #expect(delta["mod-stats.query-type[AAAA]"] == 100, "knot: \(delta.counters)")
                    #expect(delta["mod-stats.query-type[A]"] == 200, "knot: \(delta.counters)")
                    #expect(delta.rcode("NXDOMAIN") == 100, "knot: \(delta.counters)")
                    let rcodes = try report.counts("rcodes")
                    #expect(rcodes["NOERROR"] == 200 && rcodes["NXDOMAIN"] == 100, "\(rcodes)")
                }
            }
        }
    }
}
