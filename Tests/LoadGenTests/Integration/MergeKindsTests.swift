import Foundation
import Testing

extension DNSIntegrationTests {
    /// `loadgen merge` of tcp and udp shards: two `--shard` processes on one `--start-at` against the kinds fixture
    /// server, their reports merged by the real binary, the merge held against the sum of the shards and against
    /// what the server's kernel counted (`Udp InDatagrams`, `Tcp PassiveOpens`).
    @Suite struct MergeKindsTests {
        static let count = 2_000

        @Test("udp --shard 0/2 and 1/2 (2000 datagrams, no echo): the merge's sent and completed are the shards' sums and the kernel's InDatagrams")
        func udpShardsMerge() async throws {
            try await Self.withMergedShards("udp", snmp: "Udp", ["--size", "100"]) { merged, delta, _, _ in
                #expect(try merged.completed == delta["InDatagrams"], "the kernel delivered \(delta)")
                #expect(try merged.counts("outcomes") == ["ok": Self.count])
                let echoes = try #require(merged.object["echoes"] as? [String: Any])
                #expect(echoes.values.allSatisfy { LoadGenReport.number($0) == 0 }, "\(echoes)")
            }
        }

        @Test("tcp --shard 0/2 and 1/2 (2000 connections): the merge's completed is the shards' sum and the kernel's PassiveOpens; merge refuses tcp with udp and an edited report; plot draws the shards")
        func tcpShardsMerge() async throws {
            try await Self.withMergedShards("tcp", snmp: "Tcp", ["--close", "rst"]) { merged, delta, files, directory in
                #expect(try merged.completed == delta["PassiveOpens"], "the server's kernel accepted \(delta)")
                #expect(try merged.int("connections_opened") == Self.count)
                #expect(try merged.counts("outcomes") == ["established": Self.count])
                try await Self.checkRefusals(directory, tcp: files[0])
                let plot = try await LoadGen.run(["plot"] + files + ["-o", directory.appendingPathComponent("p.svg").path], deadline: 10)
                #expect(plot.exitCode == 0, "\(plot.stderr)")
            }
        }

        /// The kinds server for `kind` in a test namespace, two shards against it and their reports merged:
        /// `body(merged, the namespace's snmp delta over the shards' runs, the shards' reports, their directory)`.
        static func withMergedShards(_ kind: String, snmp: String, _ extra: [String],
                                     _ body: (LoadGenReport, [String: Int], [String], URL) async throws -> Void) async throws {
            try await KindRun.withServer(["--proto", kind, "--mode", kind == "tcp" ? "accept" : "sink"]) { ns, server in
                let directory = try TemporaryDirectory.make(prefix: "merge-\(kind)")
                defer { try? FileManager.default.removeItem(at: directory) }
                let (files, delta) = try await ns.snmpDelta(snmp) {
                    try await Self.runShards(kind, server, ns, directory, extra)
                }
                try await body(try await Self.merge(files, kind: kind), delta, files, directory)
            }
        }

        /// Two shards of `count` events at 2000/s sharing one `--start-at`; their `--json` reports' paths.
        static func runShards(_ kind: String, _ server: KindsServer, _ ns: NetworkNamespace, _ directory: URL,
                              _ extra: [String]) async throws -> [String] {
            let start = String(format: "%.3f", Date().timeIntervalSince1970 + 1.5)
            let children = try (0..<2).map { i in
                try LoadGen.start(KindRun.arguments(kind, server.endpoint, netns: ns,
                                                    ["--rate", "2000", "--count", "\(count)", "--shard", "\(i)/2",
                                                     "--start-at", start] + extra))
            }
            var files: [String] = []
            for (i, child) in children.enumerated() {
                let run = LoadGenRun(arguments: ["\(kind) shard \(i)"], await child.wait(seconds: 20), sourceLocation: #_sourceLocation)
                let report = try run.report()
                try FaultRun.expectInvariants(report, intended: count / 2)
                #expect(try report.sent == count / 2 && report.completed == count / 2, "shard \(i): \(FaultRun.summary(report))")
                let file = directory.appendingPathComponent("\(kind)-\(i).json")
                try run.stdout.write(to: file, atomically: true, encoding: .utf8)
                files.append(file.path)
            }
            return files
        }

        /// `loadgen merge FILES --json`: a report of `kind` whose counts are the inputs' sums and whose invariants hold.
        static func merge(_ files: [String], kind: String) async throws -> LoadGenReport {
            let run = try await LoadGen.run(["merge"] + files + ["--json"], deadline: 10)
            let merged = try run.report()
            try FaultRun.expectInvariants(merged, intended: count)
            #expect(try merged.string("kind") == kind)
            let inputs = try files.map { path in
                LoadGenReport(try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]))
            }
            for key in ["sent", "completed", "timeouts", "errors", "cancelled", "not_sent", "intended", "bytes_received"] {
                let (sum, total) = (try inputs.reduce(0) { $0 + (try $1.int(key)) }, try merged.int(key))
                #expect(total == sum, "\(key): merged \(total), shards \(sum)")
            }
            let latency = try #require(merged.object["latency_us"] as? [String: Any])
            #expect(LoadGenReport.number(latency["count"]) == Double(count))
            #expect(try merged.sent == count && merged.completed == count, "\(FaultRun.summary(merged))")
            return merged
        }

        /// The binary refuses a tcp report with a udp one and an edited tcp report: exit 2, one line naming what.
        static func checkRefusals(_ directory: URL, tcp: String) async throws {
            let text = try String(contentsOfFile: tcp, encoding: .utf8)
            let udp = directory.appendingPathComponent("udp.json")
            try text.replacingOccurrences(of: "\"kind\": \"tcp\"", with: "\"kind\": \"udp\"")
                .replacingOccurrences(of: "\"transport\": \"tcp\"", with: "\"transport\": \"udp\"")
                .replacingOccurrences(of: "\"established\"", with: "\"ok\"")
                .replacingOccurrences(of: "\"servers\": ", with: "\"echoes\": {\"duplicates\": 0, \"late\": 0, \"truncated\": 0, \"foreign\": 0}, \"servers\": ")
                .write(to: udp, atomically: true, encoding: .utf8)
            let mixed = try await LoadGen.run(["merge", tcp, udp.path], deadline: 10)
            #expect(mixed.exitCode == 2 && mixed.stdout.isEmpty)
            #expect(mixed.stderr == "loadgen merge: cannot merge a udp report with a tcp report: merge runs of one kind\n", "\(mixed.stderr)")
            let bad = directory.appendingPathComponent("bad.json")
            try text.replacingOccurrences(of: "\"established\": \(count / 2)", with: "\"established\": \(count / 2 - 1)")
                .write(to: bad, atomically: true, encoding: .utf8)
            let edited = try await LoadGen.run(["merge", tcp, bad.path], deadline: 10)
            #expect(edited.exitCode == 2 && edited.stdout.isEmpty)
            #expect(edited.stderr.hasPrefix("loadgen merge: \(bad.path):1: outcomes add up to \(count / 2 - 1), not completed \(count / 2)"),
                    "\(edited.stderr)")
            #expect(edited.stderr.filter { $0 == "\n" }.count == 1, "one line: \(edited.stderr)")
        }
    }
}
