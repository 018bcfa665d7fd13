import Foundation
import Testing

extension DNSIntegrationTests {
    /// A host name target with an A and an AAAA record (knot in the test namespace, asked with --dns-server): its
    /// events take turns over both addresses, exactly half each, as the servers on 127.0.0.1 and ::1 (one port) and
    /// the kernel saw; a name that does not resolve among several stops the run before anything is sent; and
    /// `loadgen merge` of two shards keeps each target's count.
    @Suite struct KindTargetNameTests {
        static let name = "web.\(KnotServer.zone)"

        /// Knot serving `web` with both addresses, and the fixture server (`arguments`) on 127.0.0.1 and ::1 at one
        /// port: `body(ns, knot's port, v4 server, v6 server)`.
        static func withDualStack(_ arguments: [String],
                                  _ body: (NetworkNamespace, Int, KindsServer, KindsServer) async throws -> Void) async throws {
            try await NetworkNamespace.with { ns in
                let dnsPort = try await TestPorts.freeOnHost()
                try await KnotServer.with(in: ns, port: dnsPort, extraRecords: ["web A 127.0.0.1", "web AAAA ::1"]) { _ in
                    try await KindsServer.with(in: ns, arguments) { v4 in
                        try await KindsServer.with(in: ns, arguments, host: "::1", port: v4.port) { v6 in
                            try await body(ns, dnsPort, v4, v6)
                        }
                    }
                }
            }
        }

        @Test("tcp web:PORT (A 127.0.0.1, AAAA ::1), 1000 connections: 500 to each address, as each server accepted and PassiveOpens counted; addresses and per_address say so; events alternate")
        func tcpNameSpreadsOverBothAddresses() async throws {
            try await Self.withDualStack(["--proto", "tcp", "--mode", "accept"]) { ns, dnsPort, v4, v6 in
                let events = NSTemporaryDirectory() + "kind-name-tcp-\(getpid()).jsonl"
                defer { try? FileManager.default.removeItem(atPath: events) }
                let target = "\(Self.name):\(v4.port)"
                let (run, delta) = try await ns.snmpDelta("Tcp") {
                    try await LoadGen.run(["tcp", target, "--netns", ns.name, "--dns-server", "127.0.0.1:\(dnsPort)", "--rate", "1000",
                                           "--count", "1000", "--events", events, "--json", "--quiet"], deadline: 20)
                }
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 1000)
                #expect(try report.completed == 1000 && delta["PassiveOpens"] == 1000, "\(FaultRun.summary(report)), kernel \(delta)")
                #expect(try await v4.counts()["accepted"] == 500)
                #expect(try await v6.counts()["accepted"] == 500)
                #expect(try report.strings("addresses") == [v4.endpoint, v6.endpoint])
                let targets = try KindTargetsRun.perTarget(report)
                #expect(targets[target]?.addresses == [v4.endpoint: 500, v6.endpoint: 500], "\(targets)")
                try KindTargetsRun.expectRoundRobin(events, count: 1000) { (target, $0 % 2 == 0 ? v4.endpoint : v6.endpoint) }
            }
        }

        @Test("udp --expect-echo web:PORT beside 127.0.0.1:PORT: the literal takes every other datagram, the name's share splits over 127.0.0.1 and ::1; each echo server echoed its count")
        func udpNameBesideALiteral() async throws {
            try await Self.withDualStack(["--proto", "udp", "--mode", "echo"]) { ns, dnsPort, v4, v6 in
                let target = "\(Self.name):\(v4.port)"
                let run = try await LoadGen.run(["udp", target, v4.endpoint, "--netns", ns.name, "--dns-server", "127.0.0.1:\(dnsPort)",
                                                 "--rate", "2000", "--count", "2001", "--expect-echo", "--json", "--quiet"], deadline: 20)
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 2001)
                #expect(try report.completed == 2001 && report.timeouts == 0, "\(FaultRun.summary(report))")
                // The name: events 0, 2, …, 2000 (1001), its addresses 501 and 500; the literal: 1000.
                let targets = try KindTargetsRun.perTarget(report)
                #expect(targets[target]?.addresses == [v4.endpoint: 501, v6.endpoint: 500], "\(targets)")
                #expect(targets[v4.endpoint]?.sent == 1000, "\(targets)")
                #expect(try await v4.counts()["echoed"] == 1501)
                #expect(try await v6.counts()["echoed"] == 500)
            }
        }

        @Test("a name that does not resolve among several targets: one line naming it and the netns, exit 1, nothing sent")
        func unresolvableAmongSeveral() async throws {
            try await Self.withDualStack(["--proto", "tcp", "--mode", "accept"]) { ns, dnsPort, v4, _ in
                let (run, delta) = try await ns.snmpDelta("Tcp") {
                    try await LoadGen.run(["tcp", v4.endpoint, "\(Self.name):\(v4.port)", "nowhere.\(KnotServer.zone):\(v4.port)",
                                           "--netns", ns.name, "--dns-server", "127.0.0.1:\(dnsPort)", "--count", "30",
                                           "--json", "--quiet"], deadline: 20)
                }
                run.expectError(exitCode: 1, mentions: ["'nowhere.\(KnotServer.zone)' does not resolve", "netns \(ns.name)", "--dns-server"])
                #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
                #expect(run.stdout.isEmpty && delta["ActiveOpens"] == 0, "nothing connected: \(delta)")
            }
        }

        @Test("tcp shards 0/2 and 1/2 over three targets, merged: per_target adds up per target and address, as each server accepted; addresses kept")
        func mergedShardsKeepPerTarget() async throws {
            try await Self.withDualStack(["--proto", "tcp", "--mode", "accept"]) { ns, dnsPort, v4, v6 in
                try await KindsServer.with(in: ns, ["--proto", "tcp", "--mode", "accept"]) { other in
                    let directory = try TemporaryDirectory.make(prefix: "kind-targets-merge")
                    defer { try? FileManager.default.removeItem(at: directory) }
                    let name = "\(Self.name):\(v4.port)"
                    let start = String(format: "%.3f", Date().timeIntervalSince1970 + 1.5)
                    let children = try (0..<2).map { i in
                        try LoadGen.start(["tcp", name, other.endpoint, v6.endpoint, "--netns", ns.name, "--dns-server", "127.0.0.1:\(dnsPort)",
                                           "--rate", "1000", "--count", "1200", "--shard", "\(i)/2", "--start-at", start, "--json", "--quiet"])
                    }
                    var files: [String] = []
                    for (i, child) in children.enumerated() {
                        let run = LoadGenRun(arguments: ["shard \(i)"], await child.wait(seconds: 20), sourceLocation: #_sourceLocation)
                        try FaultRun.expectInvariants(try run.report(), intended: 600)
                        let file = directory.appendingPathComponent("\(i).json")
                        try run.stdout.write(to: file, atomically: true, encoding: .utf8)
                        files.append(file.path)
                    }
                    let merged = try await LoadGen.run(["merge"] + files + ["--json"], deadline: 10).report()
                    try FaultRun.expectInvariants(merged, intended: 1200)
                    // Events 0, 3, 6, … to the name (400: 200 per address), 1, 4, … to `other`, 2, 5, … to [::1].
                    let targets = try KindTargetsRun.perTarget(merged)
                    #expect(targets[name]?.addresses == [v4.endpoint: 200, v6.endpoint: 200], "\(targets)")
                    #expect(targets[other.endpoint]?.completed == 400 && targets[v6.endpoint]?.completed == 400, "\(targets)")
                    #expect(Set(try merged.strings("addresses")) == [v4.endpoint, v6.endpoint, other.endpoint])
                    #expect(try await v4.counts()["accepted"] == 200)
                    #expect(try await v6.counts()["accepted"] == 600)
                    #expect(try await other.counts()["accepted"] == 400)
                }
            }
        }
    }
}
