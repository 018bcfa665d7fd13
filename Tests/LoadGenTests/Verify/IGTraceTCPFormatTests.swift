import Testing
@testable import LoadGen

extension VerifySuites {
    @Suite struct IGTraceTCPFormatTests {
        private func verify(events: String, observed: String) throws -> VerifyReport {
            try Verifier.run(events: events, observed: observed, observedFile: "tcp.json", options: VerifyOptions(format: .igTraceTCP))
        }

        /// Three connections: 1 (port 5001, requests 0 and 3), 2 (port 5002, request 1), 3 (port 5003, request 2).
        private let events = [
            VerifySamples.httpEvent(seq: 0, connection: 1, srcPort: 5001),
            VerifySamples.httpEvent(seq: 1, connection: 2, srcPort: 5002),
            VerifySamples.httpEvent(seq: 3, connection: 1, srcPort: 5001),
            VerifySamples.httpEvent(seq: 2, connection: 3, srcPort: 5003),
        ].joined(separator: "\n")

        @Test func imageBasedConnectsJoinPerConnection() throws {
            let s = VerifySamples.self
            let observed = [
                s.igImageTCP(type: "connect", srcPort: 5001, seq: 0),
                s.igImageTCP(type: "accept", srcPort: 8080, dstPort: 5001, seq: 0),
                s.igImageTCP(type: "connect", srcPort: 5002, seq: 1),
                s.igImageTCP(type: "close", srcPort: 5001, seq: 4),
            ].joined(separator: "\n")
            let report = try verify(events: events, observed: observed)
            #expect(report.generated == 3)
            #expect(report.generatedEvents == 4)
            #expect(report.unitNoun == "TCP connections")
            #expect(report.observed == 2)
            #expect(report.ignored.map(\.reason) == ["accept records", "close records"])
            #expect(report.matched == 2)
            #expect(report.missed == 1)
            #expect(report.missedSamples.map(\.connection) == [3])
            #expect(report.missedSamples.first?.key?.map(\.value) == ["127.0.0.1:5003", "127.0.0.1:8080"])
            #expect(report.netnsMatched)
            // The connect comes 20 us before the connection's first request.
            #expect(report.delay == ObserveDelaySummary([-20_000, -20_000]))
            #expect(report.exitCode == 3)
        }

        @Test func builtinAndOldBuiltinFieldNames() throws {
            let s = VerifySamples.self
            let observed = [
                s.igBuiltinTCP(operation: "connect", srcPort: 5001, seq: 0),
                s.igBuiltinTCP(operation: "connect", srcPort: 5002, seq: 1),
                s.igOldTCP(operation: "connect", srcPort: 5003),
                s.igOldTCP(operation: "close", srcPort: 5003),
            ].joined(separator: "\n")
            let report = try verify(events: events, observed: observed)
            #expect(report.matched == 3 && report.missed == 0 && report.exitCode == 0)
            #expect(!report.netnsMatched)
        }

        @Test func anUnknownConnectIsUnexpectedAndASecondOneADuplicate() throws {
            let s = VerifySamples.self
            let observed = [
                s.igImageTCP(type: "connect", srcPort: 5001),
                s.igImageTCP(type: "connect", srcPort: 5001),
                s.igImageTCP(type: "connect", srcPort: 5002),
                s.igImageTCP(type: "connect", srcPort: 5003),
                s.igImageTCP(type: "connect", srcPort: 6000),
            ].joined(separator: "\n")
            let report = try verify(events: events, observed: observed)
            #expect(report.matched == 3)
            #expect(report.duplicates == 1)
            #expect(report.unexpected == 1)
            #expect(report.unexpectedSamples.map(\.line) == [5])
        }

        @Test func dnsEventsInTheLogAreLeftOut() throws {
            let log = events + "\n" + VerifySamples.dnsEvent(seq: 10) + "\n"
            let report = try verify(events: log, observed: VerifySamples.igImageTCP(type: "connect", srcPort: 5001))
            #expect(report.otherKindEvents == 1)
            #expect(report.generated == 3)
        }

        @Test func aConnectWithoutEndpointsIsMalformed() {
            #expect {
                _ = try verify(events: events, observed: #"{"type":"connect","src":{"addr":"127.0.0.1"}}"#)
            } throws: { error in
                (error as? VerifyInputError)?.description == "tcp.json:1: a connect without 'src.addr' and 'src.port'"
            }
        }

        @Test func eventsWithoutSrcAreUnkeyedAndMissed() throws {
            let refused = #"{"seq":0,"thread":0,"pid":1,"tid":2,"netns":4026532177,"kind":"http1","intended":1,"sent":2,"done":3,"sent_boottime_ns":4,"sent_wall":"2025-11-28T06:13:00.000000000Z","outcome":"error","error":"refused","method":"GET","url":"http://127.0.0.1:8080/x","dst":"127.0.0.1:8080"}"#
            let report = try verify(events: refused, observed: "")
            #expect(report.generated == 1 && report.unkeyed == 1 && report.missed == 1)
            #expect(report.missedSamples.first?.key == nil)
            #expect(report.notes.contains { $0.contains("no src/dst") })
        }
    }
}

