import Foundation
import Testing

/// Helpers of the several-target runs: the report's `per_target` and the events log's split by target.
enum KindTargetsRun {
    /// `per_target` as target → (sent, completed, errors, per address sent).
    static func perTarget(_ report: LoadGenReport) throws -> [String: (sent: Int, completed: Int, errors: Int, addresses: [String: Int])] {
        let targets = try #require(report.object["per_target"] as? [[String: Any]], "no per_target")
        var out: [String: (sent: Int, completed: Int, errors: Int, addresses: [String: Int])] = [:]
        for t in targets {
            var addresses: [String: Int] = [:]
            for a in t["per_address"] as? [[String: Any]] ?? [] { addresses[a["address"] as? String ?? ""] = a["sent"] as? Int ?? -1 }
            out[t["target"] as? String ?? ""] = (t["sent"] as? Int ?? -1, t["completed"] as? Int ?? -1, t["errors"] as? Int ?? -1, addresses)
        }
        return out
    }

    /// `per_target`'s `latency_us` as target → (count, min, p50, p99) in µs; a target without one is left out.
    static func latencies(_ object: [String: Any]) throws -> [String: (count: Int, min: Double, p50: Double, p99: Double)] {
        let targets = try #require(object["per_target"] as? [[String: Any]], "no per_target")
        var out: [String: (count: Int, min: Double, p50: Double, p99: Double)] = [:]
        for t in targets {
            guard let l = t["latency_us"] as? [String: Any] else { continue }
            let n = { (key: String) in LoadGenReport.number(l[key]) ?? -1 }
            out[t["target"] as? String ?? ""] = (Int(n("count")), n("min"), n("p50"), n("p99"))
        }
        return out
    }

    /// Every record's `dst` is what event `seq` is due (`expected(seq)`), and its `target` the one given.
    static func expectRoundRobin(_ events: String, count: Int, _ expected: (Int) -> (target: String, dst: String),
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let records = try KindRun.events(events)
        #expect(records.count == count, "\(records.count) records", sourceLocation: sourceLocation)
        let wrong = records.filter { record in
            let due = expected(record["seq"] as? Int ?? -1)
            return record["dst"] as? String != due.dst || record["target"] as? String != due.target
        }
        #expect(wrong.isEmpty, "\(wrong.count) records off the round-robin, e.g. \(wrong.first ?? [:])", sourceLocation: sourceLocation)
    }
}

extension DNSIntegrationTests {
    /// `loadgen tcp` and `loadgen udp` with several targets and a name with two addresses, in a test namespace:
    /// each listener gets exactly its share (event i to target i mod n, a name's k-th event to its address k mod m),
    /// held against what each fixture server and the namespace's kernel counted.
    @Suite struct KindTargetsTests {
        @Test("udp to two ports on 2 threads, 2001 datagrams: 1001 and 1000, as each server read them; InDatagrams == 2001; per_target and the events log say which went where")
        func udpTwoPorts() async throws {
            try await KindRun.withServer(["--proto", "udp", "--mode", "sink"]) { ns, first in
                try await KindsServer.with(in: ns, ["--proto", "udp", "--mode", "sink"]) { second in
                    let events = NSTemporaryDirectory() + "kind-targets-udp-\(getpid()).jsonl"
                    defer { try? FileManager.default.removeItem(atPath: events) }
                    let (run, delta) = try await ns.snmpDelta("Udp") {
                        try await LoadGen.run(["udp", first.endpoint, second.endpoint, "--netns", ns.name, "--rate", "2000", "--count", "2001",
                                               "--threads", "2", "--events", events, "--json", "--quiet"], deadline: 20)
                    }
                    let report = try run.report()
                    try FaultRun.expectInvariants(report, intended: 2001)
                    #expect(try report.completed == 2001 && delta["InDatagrams"] == 2001, "\(FaultRun.summary(report)), kernel \(delta)")
                    #expect(try await first.counts()["received"] == 1001)
                    #expect(try await second.counts()["received"] == 1000)
                    let targets = try KindTargetsRun.perTarget(report)
                    #expect(targets[first.endpoint]?.sent == 1001 && targets[second.endpoint]?.sent == 1000, "\(targets)")
                    #expect(try report.strings("servers") == [first.endpoint, second.endpoint])
                    #expect(try report.int("sockets_opened") == 4, "one socket per address and thread")
                    let ends = [first.endpoint, second.endpoint]
                    try KindTargetsRun.expectRoundRobin(events, count: 2001) { (ends[$0 % 2], ends[$0 % 2]) }
                }
            }
        }

        @Test("udp --expect-echo to 127.0.0.1, [::1] and a closed port: each echo server echoed its 300, the closed port's 300 fail `refused` at once (IP_RECVERR per socket), nothing times out")
        func udpEchoAndRefusedPerTarget() async throws {
            try await KindRun.withServer(["--proto", "udp", "--mode", "echo"]) { ns, v4 in
                try await KindsServer.with(in: ns, ["--proto", "udp", "--mode", "echo"], host: "::1") { v6 in
                    var closedPort = try await TestPorts.freeOnHost()
                    while closedPort == v4.port || closedPort == v6.port { closedPort = try await TestPorts.freeOnHost() }
                    let closed = "127.0.0.1:\(closedPort)"
                    let run = try await LoadGen.run(["udp", v4.endpoint, v6.endpoint, closed, "--netns", ns.name, "--rate", "1500",
                                                     "--count", "900", "--expect-echo", "--timeout", "5s", "--json", "--quiet"], deadline: 20)
                    let report = try run.report()
                    try FaultRun.expectInvariants(report, intended: 900)
                    #expect(try report.completed == 600 && report.errors == 300 && report.timeouts == 0, "\(FaultRun.summary(report))")
                    #expect(try report.counts("error_kinds")["refused", default: 0] == 300)
                    #expect(try await v4.counts()["echoed"] == 300)
                    #expect(try await v6.counts()["echoed"] == 300)
                    let targets = try KindTargetsRun.perTarget(report)
                    #expect(targets[v4.endpoint]?.completed == 300 && targets[v6.endpoint]?.completed == 300, "\(targets)")
                    #expect(targets[closed]?.sent == 300 && targets[closed]?.errors == 300, "\(targets)")
                    #expect(run.wallSeconds < 3, "no event waited for its timeout: \(run.wallSeconds) s")
                }
            }
        }

        @Test("udp --expect-echo to a prompt echo server and one that answers 50 ms late: each target's latency_us is its own (200 values each; the late one's min ≥ 50 ms, the prompt one's p99 below 50 ms); loadgen merge adds them up and its text prints each target's p50")
        func udpLatencyPerTarget() async throws {
            try await KindRun.withServer(["--proto", "udp", "--mode", "echo"]) { ns, prompt in
                try await KindsServer.with(in: ns, ["--proto", "udp", "--mode", "echo", "--delay-ms", "50"]) { late in
                    let run = try await LoadGen.run(["udp", prompt.endpoint, late.endpoint, "--netns", ns.name, "--rate", "400",
                                                     "--count", "400", "--expect-echo", "--json", "--quiet"], deadline: 20)
                    let report = try run.report()
                    try FaultRun.expectInvariants(report, intended: 400)
                    #expect(try report.completed == 400, "\(FaultRun.summary(report))")
                    #expect(try await prompt.counts()["echoed"] == 200)
                    #expect(try await late.counts()["echoed"] == 200)
                    let latency = try KindTargetsRun.latencies(report.object)
                    let (p, l) = (try #require(latency[prompt.endpoint]), try #require(latency[late.endpoint]))
                    #expect(p.count == 200 && l.count == 200, "\(latency)")
                    #expect(l.min >= 50_000 && p.p99 < 50_000, "\(latency)")
                    try await Self.mergeTwice(run.stdout, prompt: prompt.endpoint, late: late.endpoint, latency: latency)
                }
            }
        }

        /// `loadgen merge` of the report with itself: each target's latency count doubles, its p50 stays; the text
        /// report of the report alone prints each target's p50.
        static func mergeTwice(_ json: String, prompt: String, late: String,
                               latency: [String: (count: Int, min: Double, p50: Double, p99: Double)]) async throws {
            let directory = try TemporaryDirectory.make(prefix: "kindlatency")
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("udp.json")
            try json.write(to: file, atomically: true, encoding: .utf8)
            let merged = try KindTargetsRun.latencies(try await LoadGen.run(["merge", file.path, file.path, "--json"], deadline: 10).report().object)
            for target in [prompt, late] {
                #expect(merged[target]?.count == 400 && merged[target]?.p50 == latency[target]?.p50, "\(target): \(merged)")
            }
            let text = try await LoadGen.run(["merge", file.path], deadline: 10).stdout
            for target in [prompt, late] {
                #expect(text.split(separator: "\n").contains { $0.hasPrefix("  target    \(target): sent 200") && $0.contains("  p50 ") }, "\(text)")
            }
        }

        @Test("tcp to 127.0.0.1 and [::1] listeners, 1001 connections: 501 and 500 accepted by each server, PassiveOpens == 1001; a scenario's targets: list does the same")
        func tcpTwoListeners() async throws {
            try await KindRun.withServer(["--proto", "tcp", "--mode", "accept"]) { ns, v4 in
                try await KindsServer.with(in: ns, ["--proto", "tcp", "--mode", "accept"], host: "::1") { v6 in
                    let (run, delta) = try await ns.snmpDelta("Tcp") {
                        try await LoadGen.run(["tcp", v4.endpoint, v6.endpoint, "--netns", ns.name, "--rate", "1000", "--count", "1001",
                                               "--close", "rst", "--json", "--quiet"], deadline: 20)
                    }
                    let report = try run.report()
                    try FaultRun.expectInvariants(report, intended: 1001)
                    #expect(try report.completed == 1001 && delta["PassiveOpens"] == 1001, "\(FaultRun.summary(report)), kernel \(delta)")
                    #expect(try await v4.counts()["accepted"] == 501)
                    #expect(try await v6.counts()["accepted"] == 500)
                    let targets = try KindTargetsRun.perTarget(report)
                    #expect(targets[v4.endpoint]?.completed == 501 && targets[v6.endpoint]?.completed == 500, "\(targets)")
                    try await Self.scenario(ns, v4, v6)
                }
            }
        }

        /// A scenario's tcp stream with `targets: [v4, v6]`: 200 connections, 100 to each.
        static func scenario(_ ns: NetworkNamespace, _ v4: KindsServer, _ v6: KindsServer) async throws {
            let directory = try TemporaryDirectory.make(prefix: "kindtargets")
            defer { try? FileManager.default.removeItem(at: directory) }
            let (before4, before6) = (try await v4.counts()["accepted"] ?? 0, try await v6.counts()["accepted"] ?? 0)
            let file = try ScenarioRun.write(directory, """
                netns: \(ns.name)
                json: true
                quiet: true
                streams:
                  - name: churn
                    kind: tcp
                    rate: 400
                    count: 200
                    targets: ['\(v4.endpoint)', '\(v6.endpoint)']
                """)
            let run = try await LoadGen.run(["run", file], deadline: 20)
            let stream = try ScenarioRun.streams(try run.report())[0]
            try FaultRun.expectInvariants(stream, intended: 200)
            let targets = try KindTargetsRun.perTarget(stream)
            #expect(targets[v4.endpoint]?.completed == 100 && targets[v6.endpoint]?.completed == 100, "\(targets)")
            #expect(try await v4.counts()["accepted"] == before4 + 100)
            #expect(try await v6.counts()["accepted"] == before6 + 100)
        }
    }
}
