import Testing
@testable import LoadGen

extension VerifySuites {
    @Suite struct JSONLinesFormatTests {
        private func verify(events: String, observed: String, key: [String], where filters: [String] = [],
                            time: String? = nil) throws -> VerifyReport {
            var options = VerifyOptions(format: .jsonl)
            options.keys = try JSONLinesFormat.keys(key)
            options.filters = try filters.map { text throws(VerifyUsageError) in try JSONLinesFormat.filter(text) }
            options.time = try time.map { text throws(VerifyUsageError) in try JSONLinesFormat.time(text) }
            return try Verifier.run(events: events, observed: observed, observedFile: "obs.jsonl", options: options)
        }

        @Test func keySyntax() throws {
            #expect(try JSONLinesFormat.keys(["id,qname"]) == [
                .init(eventField: "id", observedPath: "id", conversion: .number),
                .init(eventField: "qname", observedPath: "qname", conversion: .name),
            ])
            #expect(try JSONLinesFormat.keys(["id=dns.id:hex, qname=dns.name", "dst"]) == [
                .init(eventField: "id", observedPath: "dns.id", conversion: .hex),
                .init(eventField: "qname", observedPath: "dns.name", conversion: .name),
                .init(eventField: "dst", observedPath: "dst", conversion: .endpoint),
            ])
            #expect(try JSONLinesFormat.keys(["a.b.qname"]) == [.init(eventField: "qname", observedPath: "a.b.qname", conversion: .name)])
            #expect(try JSONLinesFormat.keys(["url=req.u:lower"]) == [.init(eventField: "url", observedPath: "req.u", conversion: .lower)])
            for bad in ["", "id,,qname", "id:weird", "=x", "a..b", "x="] {
                #expect(throws: VerifyUsageError.self, "\(bad)") { _ = try JSONLinesFormat.keys([bad]) }
            }
            #expect(try JSONLinesFormat.filter("qr=Q") == .init(path: "qr", value: "Q", equal: true))
            #expect(try JSONLinesFormat.filter("dns.qr!=R") == .init(path: "dns.qr", value: "R", equal: false))
            #expect(throws: VerifyUsageError.self) { _ = try JSONLinesFormat.filter("qr") }
            #expect(try JSONLinesFormat.time("ts:monotonic") == .init(path: "ts", clock: .monotonic))
            #expect(try JSONLinesFormat.time("a.t") == .init(path: "a.t", clock: nil))
            #expect(throws: VerifyUsageError.self) { _ = try JSONLinesFormat.time("ts:sundial") }
        }

        @Test func plainKeysWithAFilterAndMonotonicTimes() throws {
            // A bpftrace-style exporter: the fields named like loadgen's, times from nsecs (CLOCK_MONOTONIC).
            let observed = """
            {"dir":"out","id":4096,"qname":"Q0.example.test.","ts":1030010}
            {"dir":"in","id":4096,"qname":"q0.example.test","ts":1090010}
            {"dir":"out","id":4097,"qname":"q1.example.test","ts":2050010}
            {"note":"lost 3 events"}
            """
            let report = try verify(events: VerifySamples.dnsEvents(3), observed: observed, key: ["id,qname"],
                                    where: ["dir=out"], time: "ts:monotonic")
            #expect(report.observed == 2 && report.matched == 2)
            #expect(report.missedSamples.map(\.seq) == [2])
            #expect(report.ignored.map(\.reason) == ["records left out by --where"])
            #expect(report.ignored.map(\.count) == [2])
            #expect(report.delay == ObserveDelaySummary([30_000, 50_000]))
            #expect(report.delayClocks == [.monotonic])
            #expect(report.missedSamples.first?.key == [
                .init(name: "id", value: "4098", numeric: true), .init(name: "qname", value: "q2.example.test", numeric: false),
            ])
        }

        @Test func nestedPathsWithHexIDs() throws {
            // IG-like nesting: the id as hex text, the name with a trailing dot.
            let observed = """
            {"dns":{"id":"1000","name":"q0.example.test."},"t":"2025-11-28T06:13:00.000010000Z"}
            {"dns":{"id":"0x1001","name":"q1.example.test."},"t":"2025-11-28T06:13:00.001020000Z"}
            """
            let report = try verify(events: VerifySamples.dnsEvents(2), observed: observed,
                                    key: ["id=dns.id:hex,qname=dns.name"], time: "t")
            #expect(report.matched == 2 && report.exitCode == 0)
            #expect(report.delay == ObserveDelaySummary([10_000, 20_000]))
            #expect(report.delayClocks == [.wall])
        }

        @Test func anyEventFieldCanBeAKey() throws {
            let events = (0..<3).map { VerifySamples.httpEvent(seq: $0, connection: 1, srcPort: 5001) }.joined(separator: "\n")
            let observed = #"{"req":{"seq":"0"}}"# + "\n" + #"{"req":{"seq":2}}"# + "\n" + #"{"req":{"seq":2}}"# + "\n" + #"{"req":{"seq":9}}"#
            let report = try verify(events: events, observed: observed, key: ["seq=req.seq"])
            #expect(report.generated == 3 && report.matched == 2)
            #expect(report.duplicates == 1 && report.unexpected == 1)
            #expect(report.missedSamples.map(\.seq) == [1])
            #expect(report.duplicateSamples.first?.key == [.init(name: "seq", value: "2", numeric: false)])
        }

        @Test func recordsWithoutTheKeyAreCountedAsIgnored() throws {
            let observed = "{\"id\":4096,\"qname\":\"q0.example.test\"}\n{\"qname\":\"q1.example.test\"}\n{\"id\":\"x\",\"qname\":\"q1.example.test\"}\n"
            let report = try verify(events: VerifySamples.dnsEvents(1), observed: observed, key: ["id,qname"])
            #expect(report.matched == 1)
            #expect(report.ignored.map(\.reason) == ["records without 'id'", "records whose 'id' is not a number"])
        }

        @Test func eventsWithoutTheKeyFieldAreUnkeyed() throws {
            let report = try verify(events: VerifySamples.dnsEvents(2), observed: #"{"url":"x"}"#, key: ["url"])
            #expect(report.unkeyed == 2 && report.missed == 2)
        }

        @Test func anUnreadableTimeNamesTheLine() {
            #expect {
                _ = try verify(events: VerifySamples.dnsEvents(1), observed: "{\"id\":4096,\"qname\":\"q0.example.test\",\"t\":\"soon\"}\n",
                               key: ["id,qname"], time: "t")
            } throws: { error in
                (error as? VerifyInputError).map { $0.line == 1 && $0.message.contains("'t' 'soon' is not a time") } ?? false
            }
        }
    }
}

