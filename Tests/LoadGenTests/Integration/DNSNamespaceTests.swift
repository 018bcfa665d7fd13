import Foundation
import Glibc
import Testing

extension DNSIntegrationTests {
    /// Every packet goes out from the target namespace, and the server counts exactly what loadgen counts.
    @Suite struct Namespace {
        @Test("--netns at a rate: knot's UDP count equals completed, every socket is in the netns")
        func rateRunInNamespace() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                let (_, report, delta) = try await knot.measure(
                    DNSRun.arguments(netns: ns, port: port, ["--rate", "2000", "--duration", "2s", "--timeout", "1s"]),
                    deadline: 15)

                let sent = try report.sent, completed = try report.completed
                #expect(completed == delta.udp4, "knot saw \(delta.udp4) UDP queries; \(report)")
                DNSRun.expectNear(sent, 4000, within: 0.02, "sent at 2000/s for 2 s")
                #expect(completed >= sent * 99 / 100, "a local knot answers (almost) everything: \(report)")
                #expect(try report.counts("rcodes")["NOERROR"] == completed)
                #expect(try report.int("sockets_outside_netns") == 0)
                #expect(try report.int("sockets_opened") >= 1)
                #expect(try report.string("netns") == ns.name)
                #expect(try report.int("netns_inode") == Int(ns.inode))
                #expect(try report.string("transport") == "udp")
                #expect(try report.strings("servers") == ["127.0.0.1:\(port)"])
                #expect(try report.string("kind") == "dns")
                #expect(try report.int("requested_rate") == 2000)
                DNSRun.expectNear(Int(try report.double("achieved_rate")), 2000, within: 0.02, "achieved_rate")
                try DNSRun.expectLatencyObject(report, "latency_us")
                try DNSRun.expectLatencyObject(report, "service_time_us")
            }
        }

        @Test("--netns PATH (a bind-mounted netns file) works like --netns NAME")
        func netnsByPath() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                var arguments = DNSRun.arguments(netns: nil, port: port, ["--count", "300", "--concurrency", "10", "--timeout", "1s"])
                arguments.insert(contentsOf: ["--netns", ns.path], at: 1)
                let (_, report, delta) = try await knot.measure(arguments, deadline: 10)

                #expect(try report.sent == 300)
                #expect(try report.completed == delta.udp4, "knot: \(delta.counters); \(report)")
                #expect(delta.udp4 > 0)
                #expect(try report.int("netns_inode") == Int(ns.inode))
                #expect(try report.int("sockets_outside_netns") == 0)
            }
        }

        @Test("the text report names the netns, the server, the rcodes and the percentiles")
        func textReport() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try await KnotServer.with(in: ns, port: port) { _ in
                    let run = try await LoadGen.run(
                        ["dns", "--netns", ns.name, "--server", "127.0.0.1:\(port)", "--name", KnotServer.existingName,
                         "--rate", "1000", "--count", "200", "--timeout", "1s", "--quiet"],
                        deadline: 10)
                    #expect(run.outcome.termination == .exited(0), "\(run.outcome.termination): \(run.stderr)")
                    let text = run.stdout
                    for needle in [ns.name, "127.0.0.1:\(port)", "NOERROR", "200", "50", "99.99", "max"] {
                        #expect(text.contains(needle), "the text report does not mention '\(needle)':\n\(text)")
                    }
                    #expect(!text.hasPrefix("{"), "without --json the report is text")
                    // The accounting, as printed: "sent N  completed N  timeouts N  errors N  cancelled N".
                    func count(_ word: String) -> Int? {
                        guard let match = text.firstMatch(of: try! Regex("\\b\(word)\\s+(\\d+)")) else { return nil }
                        return match.output[1].substring.flatMap { Int($0) }
                    }
                    let numbers = ["sent", "completed", "timeouts", "errors", "cancelled"].map(count)
                    try #require(!numbers.contains { $0 == nil }, "the text report lacks one of the counts: \(numbers)\n\(text)")
                    let n = numbers.map { $0! }
                    #expect(n[0] == 200 && n[0] == n[1] + n[2] + n[3] + n[4], "accounting in the text report: \(n)")
                }
            }
        }

        @Test("the same run without --netns cannot reach the server in the namespace (proof of pinning)")
        func withoutNetnsTheServerIsUnreachable() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                // Nothing may listen on the port in the host's namespace, or the test would prove nothing.
                let host = try await Command.check(["ss", "-Hlnu", "sport = :\(port)"])
                try #require(!host.contains(":\(port)"), "something listens on 127.0.0.1:\(port) on the host: \(host)")

                let (_, report, delta) = try await knot.measure(
                    DNSRun.arguments(netns: nil, port: port, ["--rate", "200", "--duration", "1s", "--timeout", "500ms"]),
                    deadline: 10, exitCode: 1)

                #expect(try report.sent > 0)
                #expect(try report.completed == 0, "\(report)")
                #expect(delta.requests == 0, "knot saw queries from the host: \(delta.counters)")
                #expect(try report.int("netns_inode") != Int(ns.inode))
            }
        }

        @Test("--pid of a process sleeping in the namespace works like --netns")
        func pidOfProcessInNamespace() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                try await SleepingProcess.with(in: ns) { sleeper in
                    let (_, report, delta) = try await knot.measure(
                        ["dns", "--pid", "\(sleeper.pid)", "--server", "127.0.0.1:\(port)", "--name", KnotServer.existingName,
                         "--rate", "1000", "--duration", "1s", "--timeout", "1s", "--json", "--quiet"],
                        deadline: 10)

                    let completed = try report.completed
                    #expect(completed > 0, "\(report)")
                    #expect(completed == delta.udp4, "knot saw \(delta.udp4); \(report)")
                    DNSRun.expectNear(try report.sent, 1000, within: 0.02, "sent at 1000/s for 1 s")
                    #expect(try report.int("netns_inode") == Int(ns.inode))
                    #expect(try report.int("sockets_outside_netns") == 0)
                }
            }
        }

        @Test("--threads 2 splits the rate and merges the counts")
        func twoThreadsSplitAndMerge() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                let (_, report, delta) = try await knot.measure(
                    DNSRun.arguments(netns: ns, port: port,
                                     ["--threads", "2", "--rate", "2000", "--duration", "2s", "--timeout", "1s"]),
                    deadline: 15)

                let sent = try report.sent, completed = try report.completed
                #expect(completed == delta.udp4, "knot saw \(delta.udp4); \(report)")
                DNSRun.expectNear(sent, 4000, within: 0.02, "sent at 2000/s for 2 s")
                #expect(try report.int("threads") == 2)
                let threads = try report.threads()
                try #require(threads.count == 2, "per_thread: \(threads.map(\.object))")
                #expect(try threads.map { try $0.sent }.reduce(0, +) == sent)
                #expect(try threads.map { try $0.completed }.reduce(0, +) == completed)
                #expect(try threads.map { try $0.timeouts }.reduce(0, +) == report.timeouts)
                for thread in threads {
                    DNSRun.expectNear(try thread.sent, sent / 2, within: 0.05, "thread \(thread.object["thread"] ?? "?") sent")
                    if thread.object["netns_inode"] != nil {
                        #expect(try thread.int("netns_inode") == Int(ns.inode))
                    }
                }
                #expect(try report.int("sockets_outside_netns") == 0)
                #expect(try report.int("sockets_opened") >= 2, "one socket per thread at least")
            }
        }

        @Test("without --server, --netns NAME uses /etc/netns/NAME/resolv.conf")
        func resolvConfOfTheNamespace() async throws {
            try await NetworkNamespace.with { ns in
                try await KnotServer.with(in: ns, port: 53) { knot in
                    try ns.writeResolvConf("# written by loadgen's integration tests\nnameserver 127.0.0.1\n")
                    let (_, report, delta) = try await knot.measure(
                        ["dns", "--netns", ns.name, "--name", KnotServer.existingName,
                         "--rate", "500", "--duration", "1s", "--timeout", "1s", "--json", "--quiet"],
                        deadline: 10)

                    #expect(try report.string("servers_source") == "/etc/netns/\(ns.name)/resolv.conf")
                    #expect(try report.strings("servers") == ["127.0.0.1:53"])
                    let completed = try report.completed
                    #expect(completed > 0, "\(report)")
                    #expect(completed == delta.udp4, "knot saw \(delta.udp4); \(report)")
                }
            }
        }
    }
}
