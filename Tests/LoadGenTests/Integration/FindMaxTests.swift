import Foundation
import Testing

/// `--find-max` (issue 12, point 3) against knot with one UDP worker behind a bottleneck link: a token bucket
/// (`tc qdisc … tbf rate 8mbit`) on the test netns's loopback, so the capacity is set by the link, as on a real
/// network, not by how the CPUs are shared while the suite runs. dnsperf's closed-loop maximum is measured in the
/// same test, through the same link; loadgen's answer must lie within 15% of it.
@Suite(.serialized) struct FindMaxTests {
    /// dnsperf's closed-loop throughput (100 queries outstanding, 3 s) against the server, in queries per second.
    static func dnsperfMaximum(ns: NetworkNamespace, port: Int) async throws -> Double {
        let dnsperf = try IntegrationEnvironment.requireTool("dnsperf", package: "dnsperf")
        let directory = try TemporaryDirectory.make(prefix: "findmax")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("queries.txt")
        try "\(KnotServer.existingName) A\n".write(to: data, atomically: true, encoding: .utf8)
        let run = try await ns.run([dnsperf, "-s", "127.0.0.1", "-p", String(port), "-d", data.path, "-l", "3", "-q", "100", "-c", "1"],
                                   timeout: 20)
        let line = try #require(run.stdout.split(separator: "\n").first { $0.contains("Queries per second:") }, "dnsperf: \(run.stdout) \(run.stderr)")
        return try #require(Double(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)))
    }

    @Test("knot behind an 8 Mbit/s link: --find-max finds a rate within 15% of dnsperf's closed-loop maximum; held steps lost at most 1%, the failed ones more, and the report is the step at that rate")
    func findsTheLinksMaximum() async throws {
        try await LoadGate.exclusive {
            try await DNSRun.withKnot { ns, port, knot in
                try await ns.run(["tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "8mbit", "burst", "16kb", "limit", "64kb"])
                let peak = try await FindMaxTests.dnsperfMaximum(ns: ns, port: port)
                let before = try await knot.stats()
                let run = try await LoadGen.run(DNSRun.arguments(netns: ns, port: port, ["--find-max", "--rate", "2000", "--step-duration", "2s",
                                                                                         "--timeout", "500ms"]), deadline: 120)
                let report = try run.report()
                try report.expectAccounting()
                let search = try #require(report.object["find_max"] as? [String: Any], "\(report)")
                let found = try #require(LoadGenReport.number(search["max_rate"]), "no max_rate: \(search)")
                #expect(abs(found - peak) / peak <= 0.15, "find-max \(found)/s, dnsperf closed loop \(peak)/s")
                #expect(try report.double("requested_rate") == found, "the report is the step at the rate found")
                let steps = try #require(search["steps"] as? [[String: Any]])
                var sent = 0.0, completed = 0.0
                for step in steps {
                    let loss = LoadGenReport.number(step["loss"]) ?? -1, held = step["held"] as? Bool
                    #expect(held == (loss <= 0.01), "a step's verdict disagrees with its loss: \(step)")
                    let n = { (k: String) in LoadGenReport.number(step[k]) ?? -1 }
                    #expect(n("sent") == n("completed") + n("timeouts") + n("errors") && n("intended") == n("sent") + n("not_sent"), "\(step)")
                    #expect(held == true || (LoadGenReport.number(step["rate"]) ?? 0) > found, "a rate above the one found held: \(step)")
                    sent += n("sent")
                    completed += n("completed")
                }
                #expect(steps.contains { ($0["held"] as? Bool) == false }, "the search stopped without a failed step")
                // knot answered every completed query; queries the link dropped never reached it.
                let seen = Double(try await knot.stats().udp4 - before.udp4)
                #expect(seen >= completed && seen <= sent, "knot saw \(seen) of \(sent) sent, \(completed) answered")
            }
        }
    }

    @Test("--find-max options that cannot work are usage errors naming the flag")
    func badOptions() async throws {
        let cases: [([String], String)] = [
            (["--find-max"], "give --rate"),
            (["--find-max", "--rate", "1k..2k", "--ramp", "1s"], "give --rate"),
            (["--find-max", "--rate", "1000", "--count", "10"], "leave out --count"),
            (["--find-max", "--rate", "1000", "--duration", "10s"], "--step-duration"),
            (["--max-loss", "1%", "--rate", "10"], "go with --find-max"),
            (["--find-max", "--rate", "1000", "--step-duration", "10ms"], "--step-duration"),
        ]
        for (extra, message) in cases {
            let run = try await LoadGen.run(["dns", "--server", "127.0.0.1:9", "--name", "a.example.test"] + extra, deadline: 10)
            #expect(run.exitCode == 2 && run.stderr.contains(message), "\(extra): exit \(run.exitCode), \(run.stderr)")
        }
    }
}
