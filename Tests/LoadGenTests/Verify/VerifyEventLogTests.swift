import Testing
@testable import LoadGen

@Suite struct VerifyEventLogTests {
    private func parse(_ text: String, extra: [[String]] = []) throws -> [VerifyEvent] {
        var text = text
        return try text.withUTF8 { try VerifyEventLog.parse($0, file: "ev.jsonl", extraPaths: extra) }
    }

    @Test func readsTheFieldsOfDNSAndHTTPEvents() throws {
        let events = try parse(VerifySamples.dnsEvent(seq: 7) + "\n" + VerifySamples.httpEvent(seq: 8, connection: 3, srcPort: 5555, kind: "http2") + "\n",
                               extra: [["url"]])
        #expect(events.count == 2)
        let dns = events[0]
        #expect(dns.seq == 7 && dns.kind == "dns" && dns.netns == VerifySamples.netns && dns.line == 1)
        #expect(dns.dnsID == 0x1007 && dns.qname == "q7.example.test")
        #expect(dns.sent.monotonicNanos == 8_000_010)
        #expect(dns.sent.boottimeNanos == VerifySamples.baseBoottimeNanos + 7_000_000)
        #expect(dns.sent.wallNanos == VerifySamples.baseWallNanos + 7_000_000)
        #expect(dns.sent.wallText == "2025-11-28T06:13:00.007000000Z")
        let http = events[1]
        #expect(http.kind == "http2" && http.connection == 3 && http.src == "127.0.0.1:5555" && http.dst == "127.0.0.1:8080")
        #expect(http.dnsID == nil)
        #expect(http.extra.first??.string == "http://127.0.0.1:8080/x")
    }

    @Test func everyOutcomeIsAGeneratedEvent() throws {
        let text = ["completed", "timeout", "error", "cancelled"].enumerated()
            .map { VerifySamples.dnsEvent(seq: $0.offset, outcome: $0.element) }.joined(separator: "\n")
        let report = try Verifier.run(events: text, observed: VerifySamples.tsharkHeader + "\n", options: VerifyOptions(format: .tsharkFields))
        #expect(report.generated == 4 && report.missed == 4)
    }

    @Test(arguments: [
        (#"{"kind":"dns"}"#, "no 'seq'"),
        (#"{"seq":-1}"#, "'seq' must be a non-negative integer"),
        (#"{"seq":1,"sent_wall":"noon"}"#, "'sent_wall' 'noon' is not an RFC 3339 time"),
        (#"{"seq":1,"id":70000}"#, "'id' 70000 is not a DNS ID"),
        (#"{"seq":1,"qname":5}"#, "'qname' must be a string"),
        (#"{"seq":1"#, "unexpected end of input"),
        ("not json", "expected a JSON object"),
    ] as [(String, String)])
    func malformedLinesNameFileAndLine(line: String, message: String) {
        #expect {
            _ = try parse(VerifySamples.dnsEvent(seq: 0) + "\n" + line + "\n")
        } throws: { error in
            guard let e = error as? VerifyInputError else { return false }
            return e.file == "ev.jsonl" && e.line == 2 && e.message.contains(message)
        }
    }
}
