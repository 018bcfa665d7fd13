import Testing
@testable import LoadGen

@Suite struct NamesFileTests {
    private func parse(_ text: String, defaultType: DNSType = .a) throws(NamesFileError) -> [String] {
        try NamesFile.parse(text, defaultType: defaultType).map { "\($0.name) \($0.type)" }
    }

    private func error(_ text: String) -> NamesFileError? {
        do {
            _ = try NamesFile.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func dnsperfFormatWithCommentsAndBlankLines() throws {
        let text = """
        # dnsperf datafile
        www.example.test A
        mail.example.test MX

        bare.example.test
          spaced.example.test\tAAAA   # trailing comment
        lower.example.test txt
        generic.example.test TYPE99
        """
        #expect(try parse(text) == [
            "www.example.test A", "mail.example.test MX", "bare.example.test A", "spaced.example.test AAAA",
            "lower.example.test TXT", "generic.example.test TYPE99",
        ])
    }

    @Test func defaultTypeAppliesOnlyToLinesWithout() throws {
        #expect(try parse("a.test\nb.test NS\n", defaultType: try DNSType("AAAA")) == ["a.test AAAA", "b.test NS"])
    }

    @Test func crlfLinesAndTrailingDots() throws {
        #expect(try parse("a.test. A\r\nb.test\r\n") == ["a.test A", "b.test A"])
    }

    @Test func badLinesAreNamedByNumber() {
        #expect(error("ok.test\n\n# c\na b c\n") == .badLine(4, "a b c", "expected 'name [type]'"))
        #expect(error("ok.test\nbad.test BOGUS") == .badLine(2, "bad.test BOGUS", DNSTypeError(text: "BOGUS").description))
        #expect(error("a..b A") == .badLine(1, "a..b A", DNSNameError.emptyLabel("a..b").description))
        let long = String(repeating: "x", count: 64)
        #expect(error("# first\n\(long).test") == .badLine(2, "\(long).test", DNSNameError.labelTooLong("\(long).test", long, 64).description))
        #expect(error("x y z")?.description == "line 1 'x y z': expected 'name [type]'")
        #expect(error("ok.test\nbad.test BOGUS")?.description.hasPrefix("line 2 'bad.test BOGUS': unknown query type 'BOGUS'") == true)
    }

    @Test func noUsableLineIsAnError() {
        #expect(error("") == .noQuestions)
        #expect(error("\n\n   \n\t\n") == .noQuestions)
        #expect(error("# only\n# comments\n") == .noQuestions)
        #expect(NamesFileError.noQuestions.description
            == "it has no usable line; write one 'name [type]' per line, e.g. 'www.example.test A'")
    }

    @Test func manyLinesKeepTheirOrder() throws {
        let text = (0..<1_000).map { "n\($0).example.test \($0 % 2 == 0 ? "A" : "AAAA")" }.joined(separator: "\n")
        let questions = try NamesFile.parse(text)
        #expect(questions.count == 1_000)
        #expect(questions[999].name.text == "n999.example.test")
        #expect(questions[999].type.code == 28)
        #expect(questions[998].type.code == 1)
    }
}
