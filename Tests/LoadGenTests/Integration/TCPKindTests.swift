import Foundation
import Testing

/// Helpers of the tcp and udp kind suites.
enum KindRun {
    /// `KIND TARGET --netns NS EXTRA --json --quiet`.
    static func arguments(_ kind: String, _ target: String, netns: NetworkNamespace, _ extra: [String]) -> [String] {
        [kind, target, "--netns", netns.name] + extra + ["--json", "--quiet"]
    }

    /// A namespace with the kinds fixture server in it (`serverArguments`): `body(ns, server)`.
    static func withServer<R>(_ serverArguments: [String], host: String = "127.0.0.1",
                              _ body: (NetworkNamespace, KindsServer) async throws -> R) async throws -> R {
        try await NetworkNamespace.with { ns in
            try await KindsServer.with(in: ns, serverArguments, host: host) { server in try await body(ns, server) }
        }
    }

    /// The events log's records, one JSON object a line.
    static func events(_ path: String) throws -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw FixtureError("no events log at \(path)") }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw FixtureError("an events line is not an object: \(line)")
            }
            return object
        }
    }

    /// Client CPU per 1000 events and the schedule lag's p50, for the record.
    static func note(_ what: String, _ report: LoadGenReport) {
        let lag = (report.object["schedule_lag_us"] as? [String: Any]).flatMap { LoadGenReport.number($0["p50"]) } ?? -1
        print("\(what): sent \((try? report.sent) ?? -1), cpu_ms_per_1k \((try? report.double("cpu_ms_per_1k")) ?? -1), schedule lag p50 \(lag) us")
    }
}

extension DNSIntegrationTests {
    /// `loadgen tcp` (issue 12 point 5) against the fixture server in a test namespace: loadgen's counts held against
    /// the server kernel's `Tcp` counters and the server's own log.
    @Suite struct TCPKindTests {
        @Test("--close rst at 2000/s for 3 s: completed == 6000 == the kernel's PassiveOpens == the server's accepts; an RST per connection")
        func churnWithReset() async throws {
            try await KindRun.withServer(["--proto", "tcp", "--mode", "accept"]) { ns, server in
                let (run, delta) = try await ns.snmpDelta("Tcp") {
                    try await LoadGen.run(KindRun.arguments("tcp", server.endpoint, netns: ns,
                                                            ["--rate", "2000", "--duration", "3s", "--close", "rst"]), deadline: 20)
                }
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 6000)
                let counts = try await server.counts()
                #expect(try report.completed == 6000, "\(FaultRun.summary(report))")
                #expect(delta["PassiveOpens"] == 6000, "the server's kernel accepted \(delta["PassiveOpens"] ?? -1)")
                #expect(try report.int("connections_opened") == 6000)
                #expect(counts["accepted"] == 6000, "server: \(counts)")
                #expect((delta["OutRsts"] ?? 0) >= 6000, "an RST per connection; the kernel sent \(delta["OutRsts"] ?? -1)")
                #expect(try report.string("kind") == "tcp")
                #expect(try report.counts("outcomes") == ["established": 6000])
                KindRun.note("tcp --close rst 2000/s", report)
            }
        }

        @Test("--send with {seq} and --expect 64, --close fin: each server got its bytes and replied; no RST; events' src are the server's peers")
        func sendExpectFin() async throws {
            try await KindRun.withServer(["--proto", "tcp", "--mode", "reply", "--recv", "1", "--reply", "64"]) { ns, server in
                let directory = try TemporaryDirectory.make(prefix: "tcpkind")
                defer { try? FileManager.default.removeItem(at: directory) }
                let events = directory.appendingPathComponent("events.jsonl").path
                let (run, delta) = try await ns.snmpDelta("Tcp") {
                    try await LoadGen.run(KindRun.arguments("tcp", server.endpoint, netns: ns,
                                                            ["--rate", "500", "--count", "1000", "--send", "hello {seq}\\r\\n",
                                                             "--expect", "64", "--close", "fin", "--events", events]), deadline: 20)
                }
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: 1000)
                let counts = try await server.counts()
                let sentBytes = (0..<1000).reduce(0) { $0 + "hello \($1)\r\n".utf8.count }
                #expect(try report.completed == 1000, "\(FaultRun.summary(report))")
                #expect(delta["PassiveOpens"] == 1000 && counts["replied"] == 1000, "kernel \(delta), server \(counts)")
                #expect(counts["bytes"] == sentBytes, "the server read \(counts["bytes"] ?? -1) bytes, loadgen wrote \(sentBytes)")
                #expect(try report.int("bytes_received") == 64_000)
                #expect(delta["OutRsts"] == 0, "an orderly close sends no RST; the kernel sent \(delta["OutRsts"] ?? -1)")
                let records = try KindRun.events(events)
                let peers = Set(server.log().filter { $0.first == "accept" }.map { $0[1] })
                let sources = Set(records.compactMap { $0["src"] as? String })
                #expect(records.count == 1000 && sources == peers, "\(sources.count) sources, \(peers.count) peers")
                #expect(records.allSatisfy { $0["dst"] as? String == server.endpoint && $0["transport"] as? String == "tcp" })
            }
        }

        @Test("a server that resets every connection, with --expect 1: every event an error `reset`, each counted by PassiveOpens; exit 1")
        func serverResets() async throws {
            try await KindRun.withServer(["--proto", "tcp", "--mode", "reset"]) { ns, server in
                let (run, delta) = try await ns.snmpDelta("Tcp") {
                    try await LoadGen.run(KindRun.arguments("tcp", server.endpoint, netns: ns,
                                                            ["--rate", "500", "--count", "500", "--expect", "1", "--timeout", "1s"]), deadline: 20)
                }
                let report = try run.report(exitCode: 1)
                try FaultRun.expectInvariants(report, intended: 500)
                #expect(try report.sent == 500 && report.errors == 500, "\(FaultRun.summary(report))")
                #expect(try report.counts("error_kinds")["reset"] == 500, "\(FaultRun.summary(report))")
                let opened = try report.int("connections_opened")
                #expect(delta["PassiveOpens"] == 500 && opened == 500, "kernel \(delta), loadgen opened \(opened)")
                #expect(try await server.counts()["reset"] == 500)
            }
        }

        @Test("nothing listens: every event an error `refused`, the kernel failed as many attempts, none accepted; exit 1 on time")
        func refused() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                let (run, delta) = try await ns.snmpDelta("Tcp") {
                    try await LoadGen.run(KindRun.arguments("tcp", "127.0.0.1:\(port)", netns: ns,
                                                            ["--rate", "500", "--count", "500", "--timeout", "500ms"]), deadline: 20)
                }
                let report = try run.report(exitCode: 1)
                try FaultRun.expectInvariants(report, intended: 500)
                try FaultRun.expectEndedOnTime(run, report, schedule: 1, timeout: 0.5)
                #expect(try report.sent == 500 && report.counts("error_kinds")["refused"] == 500, "\(FaultRun.summary(report))")
                #expect(delta["PassiveOpens"] == 0 && (delta["AttemptFails"] ?? 0) >= 500, "kernel \(delta)")
            }
        }

        @Test("verify --format ig-trace-tcp: trace_tcp connect records made from the server's accept log join every tcp event; one removed is missed")
        func verifyAgainstServerSide() async throws {
            try await KindRun.withServer(["--proto", "tcp", "--mode", "accept"]) { ns, server in
                let directory = try TemporaryDirectory.make(prefix: "tcpverify")
                defer { try? FileManager.default.removeItem(at: directory) }
                let events = directory.appendingPathComponent("events.jsonl").path
                let run = try await LoadGen.run(KindRun.arguments("tcp", server.endpoint, netns: ns,
                                                                  ["--rate", "1000", "--count", "800", "--close", "rst", "--events", events]),
                                                deadline: 20)
                #expect(try run.report().completed == 800)
                _ = try await server.counts()
                let connects = server.log().filter { $0.first == "accept" }.map { words -> String in
                    let peer = words[1].split(separator: ":")
                    return "{\"type\":\"connect\",\"netns_id\":\(ns.inode),\"src\":{\"addr\":\"\(peer[0])\",\"port\":\(peer[1]),\"version\":4},\"dst\":{\"addr\":\"127.0.0.1\",\"port\":\(server.port),\"version\":4}}"
                }
                for (name, lines, exit, missed) in [("all", connects, Int32(0), 0), ("less", Array(connects.dropFirst()), Int32(3), 1)] {
                    let observed = directory.appendingPathComponent("\(name).json").path
                    try (lines.joined(separator: "\n") + "\n").write(toFile: observed, atomically: true, encoding: .utf8)
                    let verify = try await LoadGen.run(["verify", "--events", events, "--observed", observed,
                                                        "--format", "ig-trace-tcp", "--json"], deadline: 20)
                    #expect(verify.exitCode == exit, "\(verify.stdout) \(verify.stderr)")
                    let document = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any] ?? [:]
                    #expect(LoadGenReport.number(document["generated"]) == 800, "\(document)")
                    #expect(LoadGenReport.number(document["matched"]) == Double(800 - missed), "\(document)")
                    #expect(LoadGenReport.number(document["missed"]) == Double(missed), "\(document)")
                }
            }
        }
    }
}
