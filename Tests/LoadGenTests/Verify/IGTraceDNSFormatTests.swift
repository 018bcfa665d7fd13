import Testing
@testable import LoadGen

extension VerifySuites {
    @Suite struct IGTraceDNSFormatTests {
        private func parse(_ text: String) throws -> ObservedSet {
            var text = text
            return try text.withUTF8 { try IGTraceDNSFormat.parse($0, file: "ig.json") }
        }

        private func verify(events: String, observed: String) throws -> VerifyReport {
            try Verifier.run(events: events, observed: observed, observedFile: "ig.json", options: VerifyOptions(format: .igTraceDNS))
        }

        @Test func builtinGadgetQueriesAreJoinedResponsesIgnored() throws {
            let s = VerifySamples.self
            let observed = [
                s.igBuiltinDNS(id: 0x1000, name: "q0.example.test", seq: 0),
                s.igBuiltinDNS(id: 0x1000, name: "q0.example.test", response: true, delayNanos: 90_000, seq: 0),
                s.igBuiltinDNS(id: 0x1001, name: "Q1.EXAMPLE.TEST", seq: 1),
                s.igBuiltinDNS(id: 0x1002, name: "q2.example.test", seq: 2),
            ].joined(separator: "\n")
            let set = try parse(observed)
            #expect(set.records.count == 3)
            #expect(set.ignored.map(\.reason) == ["responses"])
            #expect(set.records[0].key == VerifyKey.make(["4096", "q0.example.test"]))
            #expect(set.records[1].key == VerifyKey.make(["4097", "q1.example.test"]))
            #expect(set.records[0].netns == VerifySamples.netns)
            #expect(set.records[0].time == ObservedTime(clock: .wall, nanos: VerifySamples.baseWallNanos + 50_000))
            #expect(set.records.allSatisfy { $0.side == .sent })

            let report = try verify(events: s.dnsEvents(3), observed: observed)
            #expect(report.generated == 3 && report.observed == 3 && report.matched == 3)
            #expect(report.missed == 0 && report.unexpected == 0 && report.duplicates == 0)
            #expect(report.exitCode == 0)
            #expect(report.netnsMatched)
            #expect(report.delay == ObserveDelaySummary([50_000, 50_000, 50_000]))
            #expect(report.delayClocks == [.wall])
        }

        @Test func imageBasedGadgetWithAndWithoutTimestampRaw() throws {
            let s = VerifySamples.self
            let observed = [
                s.igImageDNS(id: 0x1000, name: "q0.example.test", delayNanos: 30_000, seq: 0),
                s.igImageDNS(id: 0x1000, name: "q0.example.test", response: true, seq: 0),
                s.igImageDNS(id: 0x1001, name: "q1.example.test", delayNanos: 70_000, seq: 1, withRaw: false),
            ].joined(separator: "\n")
            let set = try parse(observed)
            #expect(set.records.count == 2)
            #expect(set.records[0].time == ObservedTime(clock: .wall, nanos: VerifySamples.baseWallNanos + 30_000))
            #expect(set.records[1].time == ObservedTime(clock: .wall, nanos: VerifySamples.baseWallNanos + 1_070_000))
            #expect(set.records[1].netns == VerifySamples.netns)
            let report = try verify(events: s.dnsEvents(2), observed: observed)
            #expect(report.matched == 2 && report.exitCode == 0)
            #expect(report.delay?.min == 30_000 && report.delay?.max == 70_000)
        }

        @Test func prettyPrintedArrayOutput() throws {
            // ig ... -o jsonpretty, or a JSON array of events.
            let s = VerifySamples.self
            let observed = "[\n  " + s.igImageDNS(id: 0x1000, name: "q0.example.test") + ",\n  "
                + s.igImageDNS(id: 0x1001, name: "q1.example.test", seq: 1) + "\n]\n"
            let report = try verify(events: s.dnsEvents(2), observed: observed)
            #expect(report.matched == 2)
        }

        @Test func rawEBPFEventsFromTheLibraryExample() throws {
            // inspektor-gadget examples/gadgets/simple/trace_dns/README.md: numeric id and qr, wire-format name,
            // netns, timestamp in boot-time ns.
            let events = VerifySamples.dnsEvent(seq: 0, id: 38647, qname: "inspektor-gadget.io")
            let observed = #"""
            {"anaddrcount":0,"ancount":0,"gid":0,"id":38647,"latency_ns":0,"mntns_id":4026533917,"name":"\u0010inspektor-gadget\u0002io","netns":4026532177,"pid":52845,"pkt_type":4,"qr":0,"qtype":1,"rcode":0,"runtime":{"containerName":"c3"},"task":"nslookup","tid":52845,"timestamp":5000020000,"uid":0}
            {"anaddrcount":1,"ancount":2,"gid":0,"id":38647,"latency_ns":131283419,"mntns_id":4026533917,"name":"\u0010inspektor-gadget\u0002io","netns":4026532177,"pid":52845,"pkt_type":0,"qr":1,"qtype":1,"rcode":0,"runtime":{"containerName":"c3"},"task":"nslookup","tid":52845,"timestamp":5131344733,"uid":0}
            """#
            let report = try verify(events: events, observed: observed)
            #expect(report.matched == 1 && report.observed == 1)
            #expect(report.delayClocks == [.boottime])
            #expect(report.delay?.min == 20_000)
        }

        @Test func loopbackCopiesArrivingAreNotDuplicates() throws {
            // On loopback IG sees each query leave (OUTGOING) and arrive (HOST).
            let s = VerifySamples.self
            let observed = [
                s.igBuiltinDNS(id: 0x1000, name: "q0.example.test", delayNanos: 10_000),
                s.igBuiltinDNS(id: 0x1000, name: "q0.example.test", delayNanos: 12_000, pktType: "HOST"),
                s.igBuiltinDNS(id: 0x1001, name: "q1.example.test", delayNanos: 15_000, seq: 1, pktType: "HOST"),
                s.igBuiltinDNS(id: 0x1001, name: "q1.example.test", delayNanos: 16_000, seq: 1, pktType: "HOST"),
            ].joined(separator: "\n")
            let report = try verify(events: s.dnsEvents(2), observed: observed)
            #expect(report.matched == 2)
            #expect(report.matchedReceivedOnly == 1)
            #expect(report.observedReceived == 3)
            #expect(report.duplicates == 1, "the second HOST copy of q1 is a real duplicate")
            #expect(report.delay == ObserveDelaySummary([10_000, 15_000]), "the sending side's time when there is one")
        }

        @Test func netnsMustMatchWhenTheTracerReportsIt() throws {
            let s = VerifySamples.self
            let events = s.dnsEvent(seq: 0) + "\n" + s.dnsEvent(seq: 1, id: 0x1000, qname: "q0.example.test", netns: 4_026_532_999) + "\n"
            // The same (id, name) in two namespaces; the tracer saw only the second namespace's, plus one in a third.
            let observed = [
                s.igImageDNS(id: 0x1000, name: "q0.example.test", netns: 4_026_532_999),
                s.igImageDNS(id: 0x1000, name: "q0.example.test", netns: 4_026_533_000),
            ].joined(separator: "\n")
            let report = try verify(events: events, observed: observed)
            #expect(report.matched == 1)
            #expect(report.missedSamples.map(\.seq) == [0])
            #expect(report.unexpected == 1 && report.unexpectedOtherNetns == 1)
            #expect(report.exitCode == 3)
        }

        @Test func nonEventRecordsAreCountedNotJoined() throws {
            let observed = #"{"type":"err","message":"something went wrong"}"# + "\n"
                + VerifySamples.igBuiltinDNS(id: 0x1000, name: "q0.example.test")
            let set = try parse(observed)
            #expect(set.records.count == 1)
            #expect(set.ignored.map(\.reason) == ["records that are not DNS events"])
        }

        @Test(arguments: [
            (#"{"id":"zz12","qr":"Q","name":"a."}"#, "'id' 'zz12' is not a DNS ID"),
            (#"{"id":"1234","name":"a."}"#, "without 'qr'"),
            (#"{"id":"1234","qr":"Q"}"#, "without a 'name'"),
            (#"{"qr":"Q","name":"a."}"#, "without 'id'"),
            (#"{"id":"1234","qr":"Q","name":"a."}garbage"#, "expected a JSON object"),
        ] as [(String, String)])
        func malformedRecordsNameFileAndLine(line: String, message: String) {
            let text = VerifySamples.igBuiltinDNS(id: 1, name: "a") + "\n" + line + "\n"
            #expect {
                _ = try parse(text)
            } throws: { error in
                guard let e = error as? VerifyInputError else { return false }
                return e.file == "ig.json" && e.line == 2 && e.message.contains(message) && e.description.hasPrefix("ig.json:2: ")
            }
        }
    }
}

