import Foundation
import Glibc
import Testing

extension GroundTruthIntegrationTests {
    /// Several namespaces in one run: each server counts its own share, and `per_netns` says which.
    @Suite struct SeveralNamespaces {
        /// Two namespaces, each with a knot on 127.0.0.1:`port`.
        static func withTwoServers(_ body: (NetworkNamespace, KnotServer, NetworkNamespace, KnotServer, Int) async throws -> Void) async throws {
            try await NetworkNamespace.with { a in
                try await NetworkNamespace.with { b in
                    let port = try await TestPorts.freeOnHost()
                    try await KnotServer.with(in: a, port: port) { knotA in
                        try await KnotServer.with(in: b, port: port) { knotB in
                            try await body(a, knotA, b, knotB, port)
                        }
                    }
                }
            }
        }

        /// Each per_netns entry's own accounting, its inode, and that the entries add up to the totals.
        static func expectPerNetnsAddsUp(_ report: LoadGenReport, _ entries: [String: LoadGenReport], _ namespaces: [NetworkNamespace],
                                         sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(Set(entries.keys) == Set(namespaces.map(\.name)), "per_netns names \(entries.keys.sorted())",
                    sourceLocation: sourceLocation)
            for ns in namespaces {
                guard let entry = entries[ns.name] else { continue }
                #expect(try entry.int("netns_inode") == Int(ns.inode), "\(ns.name): \(entry.object)", sourceLocation: sourceLocation)
                try entry.expectAccounting(sourceLocation: sourceLocation)
                #expect(try entry.int("threads") == 1, "-t 1 per target: \(entry.object)", sourceLocation: sourceLocation)
            }
            for key in ["sent", "completed", "timeouts", "errors", "cancelled"] {
                let sum = try entries.values.reduce(0) { $0 + (try $1.int(key)) }, total = try report.int(key)
                #expect(sum == total, "per_netns \(key) add up to \(sum), the total is \(total)", sourceLocation: sourceLocation)
            }
        }

        @Test("--netns A --netns B: each knot counted its netns's `completed`; the rate is split evenly; per_netns adds up")
        func twoNamespacesSplitTheRate() async throws {
            try await Self.withTwoServers { a, knotA, b, knotB, port in
                let directory = try TemporaryDirectory.make(prefix: "gt-events")
                defer { try? FileManager.default.removeItem(at: directory) }
                let eventsPath = directory.appendingPathComponent("events.jsonl").path
                let (beforeA, beforeB) = (try await knotA.stats(), try await knotB.stats())
                var window = ClockWindow.start()
                let (run, pid) = try await GroundTruthRun.run(
                    ["dns", "--netns", a.name, "--netns", b.name, "--server", "127.0.0.1:\(port)", "--name", KnotServer.existingName,
                     "--rate", "2000", "--duration", "2s", "--timeout", "2s", "--events", eventsPath, "--json", "--quiet"],
                    deadline: 20)
                window.end()
                let (deltaA, deltaB) = (try await knotA.stats() - beforeA, try await knotB.stats() - beforeB)
                let report = try run.report()
                try report.expectAccounting()
                let entries = try GroundTruthRun.perNetns(report)
                try Self.expectPerNetnsAddsUp(report, entries, [a, b])
                guard let entryA = entries[a.name], let entryB = entries[b.name] else { return }

                #expect(try entryA.completed == deltaA.udp4, "knot in \(a.name) saw \(deltaA.udp4); \(entryA.object)")
                #expect(try entryB.completed == deltaB.udp4, "knot in \(b.name) saw \(deltaB.udp4); \(entryB.object)")
                #expect(deltaA.udp4 > 0 && deltaB.udp4 > 0)
                let (sentA, sentB) = (try entryA.sent, try entryB.sent)
                DNSRun.expectNear(sentA + sentB, 4000, within: 0.02, "sent at 2000/s for 2 s in total")
                #expect(abs(sentA - sentB) <= 1, "the rate is split evenly: \(sentA) in \(a.name), \(sentB) in \(b.name)")

                // The events log names each event's namespace: per namespace as many as per_netns says.
                let events = try EventLog.read(eventsPath)
                try EventLog.expectMatchesReport(events, report, kind: "dns", pid: pid, netnsInodes: [a.inode, b.inode], window: window)
                let inA = try events.filter { try $0.int("netns") == Int(a.inode) }.count
                let inB = try events.filter { try $0.int("netns") == Int(b.inode) }.count
                #expect(inA == sentA && inB == sentB, "the log has \(inA) events in \(a.name), \(inB) in \(b.name); per_netns sent \(sentA), \(sentB)")
            }
        }

        @Test("--rate-per-target: each namespace gets the full rate")
        func ratePerTarget() async throws {
            try await Self.withTwoServers { a, knotA, b, knotB, port in
                let (beforeA, beforeB) = (try await knotA.stats(), try await knotB.stats())
                let run = try await LoadGen.run(
                    ["dns", "--netns", a.name, "--netns", b.name, "--rate-per-target", "--server", "127.0.0.1:\(port)",
                     "--name", KnotServer.existingName, "--rate", "2000", "--duration", "1s", "--timeout", "2s", "--json", "--quiet"],
                    deadline: 20)
                let (deltaA, deltaB) = (try await knotA.stats() - beforeA, try await knotB.stats() - beforeB)
                let report = try run.report()
                try report.expectAccounting()
                let entries = try GroundTruthRun.perNetns(report)
                try Self.expectPerNetnsAddsUp(report, entries, [a, b])
                guard let entryA = entries[a.name], let entryB = entries[b.name] else { return }

                DNSRun.expectNear(try report.sent, 4000, within: 0.02, "sent at 2000/s per target for 1 s, 2 targets")
                DNSRun.expectNear(try entryA.sent, 2000, within: 0.02, "sent in \(a.name)")
                DNSRun.expectNear(try entryB.sent, 2000, within: 0.02, "sent in \(b.name)")
                #expect(try entryA.completed == deltaA.udp4, "knot in \(a.name) saw \(deltaA.udp4); \(entryA.object)")
                #expect(try entryB.completed == deltaB.udp4, "knot in \(b.name) saw \(deltaB.udp4); \(entryB.object)")
            }
        }
    }

    /// `loadgen eventgen` with Inspektor Gadget's flags runs the equivalent `dns` / `http` run.
    @Suite struct Eventgen {
        @Test("eventgen --type dns --params domain:NAME --count 50 --interval 5ms uses the netns's resolv.conf")
        func eventgenDNS() async throws {
            try await NetworkNamespace.with { ns in
                // No --server: the queries go where the target's own resolv.conf says, a knot on 127.0.0.1:53 there.
                try ns.writeResolvConf("nameserver 127.0.0.1\n")
                try await KnotServer.with(in: ns) { knot in
                    let before = try await knot.stats()
                    let run = try await LoadGen.run(
                        ["eventgen", "--type", "dns", "--params", "domain:\(KnotServer.existingName)", "--count", "50",
                         "--interval", "5ms", "--netns", ns.name, "--json", "--quiet"],
                        deadline: 15)
                    let delta = try await knot.stats() - before
                    let report = try run.report()
                    try report.expectAccounting()
                    #expect(try report.string("kind") == "dns")
                    #expect(try report.sent == 50, "\(report)")
                    #expect(try report.completed == 50, "\(report)")
                    #expect(delta.udp4 == 50, "knot: \(delta.counters)")
                    #expect(delta.rcode("NOERROR") == 50, "knot: \(delta.counters)")
                    #expect(try report.strings("servers") == ["127.0.0.1:53"], "\(report)")
                    #expect(try report.int("netns_inode") == Int(ns.inode))
                    // 50 events 5 ms apart: about a quarter of a second, not a burst.
                    let duration = try report.double("duration_s")
                    #expect(duration >= 0.2 && duration < 1.0, "50 events at 5 ms intervals took \(duration) s")
                }
            }
        }

        @Test("eventgen --type http --params url:HOST:PORT/ --count 20: nginx logged 20 requests")
        func eventgenHTTP() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try await NginxServer.with(in: ns, port: port) { nginx in
                    let run = try await LoadGen.run(
                        ["eventgen", "--type", "http", "--params", "url:127.0.0.1:\(port)/", "--count", "20", "--netns", ns.name, "--json"],
                        deadline: 15)
                    let report = try run.report()
                    try report.expectAccounting()
                    #expect(try report.string("kind") == "http1")
                    #expect(try report.sent == 20, "\(HTTP1Run.summary(report))")
                    #expect(try report.completed == 20, "\(HTTP1Run.summary(report))")
                    let log = try await nginx.accessLog()
                    #expect(log.count == 20, "nginx logged \(log.count) requests: \(log.prefix(3))")
                    #expect(log.allSatisfy { $0.request == "GET / HTTP/1.1" && $0.status == 200 }, "\(log.prefix(3))")
                }
            }
        }
    }
}
