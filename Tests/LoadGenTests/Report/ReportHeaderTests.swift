import Testing
@testable import LoadGen

/// What the header of a report shows about the workload, as the commands build it.
@Suite struct ReportHeaderTests {
    @Test("a {seq} template is shown as written, not as its longest expansion (q18446744073709551615)")
    func templateAsWritten() throws {
        let config = try DNSCommand.parse(["--server", "127.0.0.1", "--name", "q{seq}.example.test", "--name", "t{thread}-{rand}-{rand:4}.example.test",
                                           "--name", "plain.example.test", "--type", "AAAA"]).makeConfig()
        let header = DNSCommand.header(config: config)
        #expect(header.workload == ["q{seq}.example.test AAAA", "t{thread}-{rand}-{rand:4}.example.test AAAA", "plain.example.test AAAA"])
        let text = DNSCommand.render(config: config, result: RunResult(threads: [ThreadResult()], originNanos: 0, endNanos: 1))
        #expect(text.contains("asking    q{seq}.example.test AAAA, t{thread}-{rand}-{rand:4}.example.test AAAA, plain.example.test AAAA"))
        #expect(!text.contains("18446744073709551615"))
    }

    @Test func templateWrittenRoundTrips() throws {
        for text in ["q{seq}.example.test", "{thread}.{rand}.{rand:32}.x", "a{seq}{seq}b", "{rand:1}"] {
            #expect(try NameTemplate(text, salt: 7)?.written == text)
        }
        #expect(try NameTemplate("{rand:8}.x", salt: 7)?.written == "{rand}.x", "{rand:8} and {rand} are the same placeholder")
    }

    @Test func eventNounSingular() {
        #expect(ReportFixtures.header().eventNounSingular == "query")
        #expect(ReportFixtures.header(kind: "http1").eventNounSingular == "request")
        #expect(Wording.count(1, "query", "queries") == "1 query")
        #expect(Wording.count(0, "query", "queries") == "0 queries")
        #expect(Wording.count(6_000, "intended request") == "6,000 intended requests")
    }
}
