import Foundation
import Testing

extension DNSIntegrationTests {
    /// Scenario streams of kind tcp and udp (issue 12 point 4) beside a DNS stream, on one loop thread.
    @Suite struct ScenarioKindsTests {
        @Test("dns 500/s + tcp 300/s + udp 1000/s from one file: each stream's completed == knot's queries, the kernel's PassiveOpens, the UDP server's datagrams")
        func dnsTCPUDP() async throws {
            try await DNSRun.withKnot { ns, port, knot in
                try await KindsServer.with(in: ns, ["--proto", "tcp", "--mode", "accept"]) { tcp in
                    try await KindsServer.with(in: ns, ["--proto", "udp", "--mode", "sink"]) { udp in
                        let directory = try TemporaryDirectory.make(prefix: "scenariokinds")
                        defer { try? FileManager.default.removeItem(at: directory) }
                        let events = directory.appendingPathComponent("events.jsonl").path
                        let file = try ScenarioRun.write(directory, """
                        netns: \(ns.name)
                        timeout: 2s
                        events: \(events)
                        json: true
                        quiet: true
                        streams:
                          - name: names
                            kind: dns
                            rate: 500
                            count: 1000
                            server: 127.0.0.1:\(port)
                            names: [\(KnotServer.existingName)]
                          - name: churn
                            kind: tcp
                            rate: 300
                            count: 600
                            target: \(tcp.endpoint)
                            close: rst
                          - name: datagrams
                            kind: udp
                            rate: 1000
                            count: 2000
                            target: \(udp.endpoint)
                            size: 200
                        """)
                        let ((run, report, delta), tcpDelta) = try await ns.snmpDelta("Tcp") {
                            try await knot.measure(["run", file], deadline: 30)
                        }
                        _ = run
                        let streams = try ScenarioRun.streams(report)
                        #expect(try streams.map { try $0.string("kind") } == ["dns", "tcp", "udp"])
                        try ScenarioRun.expectTotals(report, streams)
                        for (stream, count) in zip(streams, [1000, 600, 2000]) {
                            try FaultRun.expectInvariants(stream, intended: count)
                            #expect(try stream.completed == count, "\(FaultRun.summary(stream))")
                        }
                        #expect(try streams[0].completed == delta.requests, "knot saw \(delta.requests) queries")
                        #expect(try streams[1].completed == tcpDelta["PassiveOpens"], "the kernel accepted \(tcpDelta)")
                        #expect(try await udp.counts()["received"] == streams[2].completed)
                        let records = try KindRun.events(events)
                        let kinds = Dictionary(grouping: records) { $0["stream"] as? String ?? "" }.mapValues(\.count)
                        #expect(kinds == ["names": 1000, "churn": 600, "datagrams": 2000], "\(kinds)")
                        #expect(records.filter { $0["kind"] as? String == "udp" }.allSatisfy { $0["dst"] as? String == udp.endpoint })
                    }
                }
            }
        }
    }
}
