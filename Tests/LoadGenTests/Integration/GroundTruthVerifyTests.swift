import Foundation
import Glibc
import Testing

extension GroundTruthIntegrationTests {
    /// `loadgen verify` joins a run's events log with what a real tracer (tshark) printed during the run.
    @Suite struct Verify {
        /// `loadgen verify --events E --observed O --format tshark-fields [--json]`, with a hard deadline.
        static func verify(events: String, observed: String, json: Bool,
                           sourceLocation: SourceLocation = #_sourceLocation) async throws -> LoadGenRun {
            try await LoadGen.run(["verify", "--events", events, "--observed", observed, "--format", "tshark-fields"]
                                    + (json ? ["--json"] : []),
                                  deadline: 20, sourceLocation: sourceLocation)
        }

        /// The `--json` document of a verify run.
        static func document(_ run: LoadGenRun, sourceLocation: SourceLocation = #_sourceLocation) throws -> LoadGenReport {
            guard let object = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] else {
                throw FixtureError("\(run.commandLine) (\(run.outcome.termination)): stdout is not one JSON object: \(run.stdout.prefix(2000)) \(run.stderr)")
            }
            return LoadGenReport(object)
        }

        @Test("verify against tshark's fields from the same run: all matched (exit 0); 7 lines removed: exactly those 7 missed (exit 3)")
        func verifyAgainstTshark() async throws {
            try await NetworkNamespace.with { ns in
                let port = try await TestPorts.freeOnHost()
                try await KnotServer.with(in: ns, port: port, extraRecords: ["*   A   192.0.2.9"]) { _ in
                    try await PcapCapture.with(in: ns, port: port) { capture in
                        let directory = try TemporaryDirectory.make(prefix: "gt-verify")
                        defer { try? FileManager.default.removeItem(at: directory) }
                        let eventsPath = directory.appendingPathComponent("events.jsonl").path
                        let observedPath = directory.appendingPathComponent("observed.tsv").path
                        let lessPath = directory.appendingPathComponent("observed-less-7.tsv").path

                        let run = try await LoadGen.run(
                            ["dns", "--netns", ns.name, "--server", "127.0.0.1:\(port)", "--name", "q{seq}.example.test",
                             "--rate", "2000", "--duration", "1s", "--timeout", "2s", "--events", eventsPath, "--json", "--quiet"],
                            deadline: 15)
                        let report = try run.report()
                        try report.expectAccounting()
                        let sent = try report.sent
                        #expect(sent > 100, "\(report)")

                        // Exactly as a tracer tester would export a capture (the README's command).
                        let observed = try await capture.fields(
                            ["frame.time_epoch", "dns.id", "dns.qry.name", "dns.flags.response"], filter: "dns",
                            extra: ["-E", "header=y", "-E", "separator=/t"])
                        try observed.write(toFile: observedPath, atomically: true, encoding: .utf8)
                        let lines = observed.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                        #expect(lines.first?.hasPrefix("frame.time_epoch\tdns.id\tdns.qry.name\tdns.flags.response") == true,
                                "tshark's header line: \(lines.first ?? "")")

                        // All there: exit 0, every generated query matched once.
                        let all = try await Self.verify(events: eventsPath, observed: observedPath, json: true)
                        #expect(all.exitCode == 0, "\(all.commandLine): \(all.outcome.termination); \(all.stdout) \(all.stderr)")
                        let allDoc = try Self.document(all)
                        #expect(try allDoc.int("generated") == sent, "\(allDoc.object)")
                        #expect(try allDoc.int("matched") == sent, "\(allDoc.object)")
                        #expect(try allDoc.int("missed") == 0, "\(allDoc.object)")
                        #expect(try allDoc.int("unexpected") == 0, "\(allDoc.object)")
                        #expect(try allDoc.int("duplicates") == 0, "\(allDoc.object)")
                        #expect(try allDoc.double("capture_ratio") == 1, "\(allDoc.object)")
                        #expect(try allDoc.int("exit_code") == 0, "\(allDoc.object)")
                        // tshark prints a timestamp per packet: every match has an observe delay.
                        let delay = allDoc.object["observe_delay_us"] as? [String: Any]
                        #expect(delay.flatMap { LoadGenReport.number($0["count"]) } == Double(sent), "observe_delay_us: \(String(describing: delay))")
                        let text = try await Self.verify(events: eventsPath, observed: observedPath, json: false)
                        #expect(text.exitCode == 0, "\(text.commandLine): \(text.outcome.termination); \(text.stderr)")
                        #expect(text.stdout.contains("matched") && text.stdout.contains("missed"), "text report: \(text.stdout)")

                        // Seven queries the tracer "missed": their lines go, and exactly they are reported.
                        let events = try EventLog.read(eventsPath)
                        let bySeq = Dictionary(uniqueKeysWithValues: try events.map { (try $0.seq, $0) })
                        let removedSeqs = Set((0..<7).map { ($0 * 2 + 1) * sent / 15 })
                        #expect(removedSeqs.count == 7)
                        var removedKeys: Set<String> = []
                        for seq in removedSeqs {
                            guard let event = bySeq[seq] else { continue }
                            removedKeys.insert("0x" + String(format: "%04x", try event.int("id")) + "\t" + (try event.string("qname")))
                        }
                        var kept: [String] = []
                        var removed = 0
                        for line in lines {
                            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
                            if columns.count == 4, removedKeys.contains("\(columns[1])\t\(columns[2])") {
                                removed += 1
                            } else {
                                kept.append(line)
                            }
                        }
                        #expect(removed == 7, "removed \(removed) lines for the keys \(removedKeys.sorted())")
                        try kept.joined(separator: "\n").write(toFile: lessPath, atomically: true, encoding: .utf8)

                        let less = try await Self.verify(events: eventsPath, observed: lessPath, json: true)
                        #expect(less.exitCode == 3, "\(less.commandLine): \(less.outcome.termination); \(less.stdout) \(less.stderr)")
                        let lessDoc = try Self.document(less)
                        #expect(try lessDoc.int("generated") == sent, "\(lessDoc.object)")
                        #expect(try lessDoc.int("matched") == sent - 7, "\(lessDoc.object)")
                        #expect(try lessDoc.int("missed") == 7, "\(lessDoc.object)")
                        #expect(try lessDoc.int("unexpected") == 0, "\(lessDoc.object)")
                        #expect(try lessDoc.int("exit_code") == 3, "\(lessDoc.object)")
                        let missedFirst = lessDoc.object["missed_first"] as? [[String: Any]] ?? []
                        let missedSeqs = Set(missedFirst.compactMap { LoadGenReport.number($0["seq"]).map { Int($0) } })
                        #expect(missedSeqs == removedSeqs, "missed_first names seqs \(missedSeqs.sorted()), removed \(removedSeqs.sorted())")
                        // Each missed event comes with its join key: the id and the name that were removed.
                        for entry in missedFirst {
                            guard let seq = LoadGenReport.number(entry["seq"]).map({ Int($0) }), let event = bySeq[seq] else { continue }
                            let key = entry["key"] as? [String: Any] ?? [:]
                            let (qname, id) = (try event.string("qname"), try event.int("id"))
                            #expect(key["qname"] as? String == qname && LoadGenReport.number(key["id"]) == Double(id),
                                    "missed seq \(seq): key \(key); the event's qname \(qname), id \(id)")
                        }
                        let lessText = try await Self.verify(events: eventsPath, observed: lessPath, json: false)
                        #expect(lessText.exitCode == 3, "\(lessText.commandLine): \(lessText.outcome.termination); \(lessText.stderr)")
                        for seq in removedSeqs {
                            #expect(lessText.stdout.contains("q\(seq).example.test"), "the text report lists q\(seq).example.test: \(lessText.stdout)")
                        }
                    }
                }
            }
        }
    }
}
