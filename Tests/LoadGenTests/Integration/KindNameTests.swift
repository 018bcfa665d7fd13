import Foundation
import Testing

extension DNSIntegrationTests {
    /// `loadgen tcp` and `loadgen udp` with a host name as the target: resolved once, at start, on the loop thread
    /// inside the test namespace. `localhost` comes from /etc/hosts (c-ares reads it first); --dns-server points at
    /// a closed port on the namespace's loopback, so no query can leave the machine.
    @Suite struct KindNameTests {
        /// `KIND HOST:PORT --netns NS --dns-server 127.0.0.1:CLOSED EXTRA --events FILE --json --quiet`, and the
        /// namespace's `Tcp` (tcp) or `Udp` (udp) counters' deltas over the run.
        static func run(_ kind: String, host: String, port: Int, netns: NetworkNamespace, events: String,
                        _ extra: [String]) async throws -> (LoadGenRun, [String: Int]) {
            var closed = try await TestPorts.freeOnHost()
            while closed == port { closed = try await TestPorts.freeOnHost() }
            let arguments = KindRun.arguments(kind, "\(host):\(port)", netns: netns,
                                              ["--dns-server", "127.0.0.1:\(closed)", "--events", events] + extra)
            return try await netns.snmpDelta(kind == "tcp" ? "Tcp" : "Udp") { try await LoadGen.run(arguments, deadline: 20) }
        }

        /// The fixture server (`arguments`) in a test namespace and an events log path in a fresh directory.
        static func withServer(_ arguments: [String],
                               _ body: (NetworkNamespace, KindsServer, String) async throws -> Void) async throws {
            try await KindRun.withServer(arguments) { ns, server in
                let directory = try TemporaryDirectory.make(prefix: "kindname")
                defer { try? FileManager.default.removeItem(at: directory) }
                try await body(ns, server, directory.appendingPathComponent("events.jsonl").path)
            }
        }

        @Test("tcp localhost:PORT: completed == 500 == the kernel's PassiveOpens; events' dst and the report's address are 127.0.0.1:PORT")
        func tcpLocalhost() async throws {
            try await KindNameTests.withServer(["--proto", "tcp", "--mode", "accept"]) { ns, server, events in
                let (run, delta) = try await KindNameTests.run("tcp", host: "localhost", port: server.port, netns: ns, events: events,
                                                               ["--rate", "500", "--count", "500"])
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 500)
                #expect(try report.completed == 500, "\(FaultRun.summary(report))")
                #expect(delta["PassiveOpens"] == 500, "the server's kernel accepted \(delta["PassiveOpens"] ?? -1)")
                #expect(try await server.counts()["accepted"] == 500)
                #expect(try report.strings("servers") == ["localhost:\(server.port)"])
                #expect(try report.strings("addresses") == [server.endpoint])
                let records = try KindRun.events(events)
                #expect(records.count == 500 && records.allSatisfy { $0["dst"] as? String == server.endpoint },
                        "dst: \(Set(records.compactMap { $0["dst"] as? String }))")
            }
        }

        @Test("udp localhost:PORT on 2 threads: completed == 1000 == the kernel's InDatagrams; events' dst is 127.0.0.1:PORT; the text report shows name and address")
        func udpLocalhost() async throws {
            try await KindNameTests.withServer(["--proto", "udp", "--mode", "sink"]) { ns, server, events in
                let (run, delta) = try await KindNameTests.run("udp", host: "localhost", port: server.port, netns: ns, events: events,
                                                               ["--rate", "1000", "--count", "1000", "--threads", "2"])
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 1000)
                #expect(try report.sent == 1000 && report.completed == 1000, "\(FaultRun.summary(report))")
                #expect(delta["InDatagrams"] == 1000, "the kernel delivered \(delta)")
                #expect(try await server.counts()["received"] == 1000)
                #expect(try report.strings("addresses") == [server.endpoint])
                let records = try KindRun.events(events)
                #expect(records.count == 1000 && records.allSatisfy { $0["dst"] as? String == server.endpoint })

                let closed = try await TestPorts.freeOnHost()
                let text = try await LoadGen.run(["udp", "localhost:\(server.port)", "--netns", ns.name, "--count", "10",
                                                  "--dns-server", "127.0.0.1:\(closed)", "--quiet"], deadline: 20)
                #expect(text.exitCode == 0, "\(text.stderr)")
                #expect(text.stdout.contains("targets   localhost:\(server.port) (resolved to \(server.endpoint))"), "\(text.stdout)")
            }
        }

        @Test("a scenario's tcp stream with target: localhost:PORT and dns-server: completed == the kernel's PassiveOpens; dst 127.0.0.1:PORT")
        func scenarioTarget() async throws {
            try await KindNameTests.withServer(["--proto", "tcp", "--mode", "accept"]) { ns, server, events in
                let closed = try await TestPorts.freeOnHost()
                let file = try ScenarioRun.write(URL(fileURLWithPath: events).deletingLastPathComponent(), """
                netns: \(ns.name)
                timeout: 2s
                events: \(events)
                json: true
                quiet: true
                streams:
                  - name: churn
                    kind: tcp
                    rate: 300
                    count: 300
                    target: localhost:\(server.port)
                    dns-server: 127.0.0.1:\(closed)
                """)
                let (run, delta) = try await ns.snmpDelta("Tcp") { try await LoadGen.run(["run", file], deadline: 20) }
                let report = try run.report()
                let streams = try ScenarioRun.streams(report)
                try FaultRun.expectInvariants(streams[0], intended: 300)
                #expect(try streams[0].completed == 300 && delta["PassiveOpens"] == 300, "\(FaultRun.summary(streams[0])), kernel \(delta)")
                let records = try KindRun.events(events)
                #expect(records.count == 300 && records.allSatisfy { $0["dst"] as? String == server.endpoint })
            }
        }

        @Test("a name that does not resolve: one line naming the name, the netns and what works; exit 1; nothing sent")
        func unresolvable() async throws {
            try await KindNameTests.withServer(["--proto", "tcp", "--mode", "accept"]) { ns, server, events in
                let (run, delta) = try await KindNameTests.run("tcp", host: "nonexistent.invalid", port: server.port, netns: ns, events: events,
                                                               ["--rate", "100", "--count", "50", "--timeout", "1s"])
                run.expectError(exitCode: 1, mentions: ["'nonexistent.invalid' does not resolve", "netns \(ns.name)",
                                                        "IP address", "--dns-server"])
                let lines = run.stderr.split(separator: "\n")
                #expect(lines.count == 1, "one line: \(run.stderr)")
                #expect(run.stdout.isEmpty, "no report for a run that could not start: \(run.stdout)")
                #expect(delta["ActiveOpens"] == 0 && delta["PassiveOpens"] == 0, "nothing connected: \(delta)")
                #expect(try await server.counts()["accepted", default: 0] == 0)
                let logged = (try? KindRun.events(events)) ?? []
                #expect(logged.isEmpty, "no event was sent: \(logged.count) records")
            }
        }
    }
}
