import Testing
@testable import LoadGen

@Suite struct NameTemplateTests {
    func expand(_ template: NameTemplate, _ seq: UInt64, _ thread: Int = 0) -> String {
        template.expandToString(sequence: seq, thread: thread)
    }

    @Test func textWithoutPlaceholdersIsNotATemplate() throws {
        #expect(try NameTemplate("a.example.test", salt: 1) == nil)
    }

    @Test func placeholdersExpandPerEvent() throws {
        let t = try #require(try NameTemplate("q{seq}-t{thread}.example.test", salt: 0))
        #expect(expand(t, 0) == "q0-t0.example.test")
        #expect(expand(t, 1234567, 3) == "q1234567-t3.example.test")
        #expect(expand(t, .max, 999) == "q18446744073709551615-t999.example.test")
        #expect(t.longestExample.utf8.count == t.maxLength)
    }

    @Test func randomDigitsAreHexOfTheRequestedLengthAndRepeatable() throws {
        let t = try #require(try NameTemplate("{rand}.{rand:3}.{rand:32}", salt: 42))
        let a = expand(t, 7)
        let parts = a.split(separator: ".")
        #expect(parts.map(\.count) == [8, 3, 32])
        #expect(a.allSatisfy { $0 == "." || $0.isHexDigit && !$0.isUppercase })
        #expect(expand(t, 7) == a, "the same event expands the same way (the event log relies on it)")
        #expect(expand(t, 8) != a)
        let other = try #require(try NameTemplate("{rand}.{rand:3}.{rand:32}", salt: 43))
        #expect(expand(other, 7) != a, "another run (salt) gives other digits")
    }

    @Test func randomDigitsAreSpreadOut() throws {
        let t = try #require(try NameTemplate("{rand:4}", salt: 9))
        let distinct = Set((0..<10_000).map { expand(t, UInt64($0)) })
        #expect(distinct.count > 7_000, "65,536 values drawn 10,000 times: few collisions")
    }

    @Test func badPlaceholdersAreNamed() {
        #expect(throws: NameTemplateError.unknown("x{sequence}", "sequence")) { try NameTemplate("x{sequence}", salt: 0) }
        #expect(throws: NameTemplateError.unknown("{rand:0}", "rand:0")) { try NameTemplate("{rand:0}", salt: 0) }
        #expect(throws: NameTemplateError.unknown("{rand:33}", "rand:33")) { try NameTemplate("{rand:33}", salt: 0) }
        #expect(throws: NameTemplateError.unclosed("q{seq")) { try NameTemplate("q{seq", salt: 0) }
    }

    @Test func dnsQuestionsCheckEveryExpansionAgainstTheLimits() throws {
        let q = try DNSQuestion.parsing("q{seq}.example.test", type: .a, salt: 1)
        #expect(q.template != nil)
        // 60 literal bytes + up to 20 digits exceed a 63-byte label.
        let long = String(repeating: "a", count: 60) + "{seq}.test"
        #expect(throws: DNSNameError.self) { try DNSQuestion.parsing(long, type: .a, salt: 1) }
    }

    @Test func writeQueryEncodesTheExpandedName() throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 300, alignment: 2)
        defer { buffer.deallocate() }
        let text = Array("q12.example.test".utf8)
        let n = text.withUnsafeBufferPointer { DNSMessage.writeQuery(name: $0, type: .a, into: buffer) }
        let expected = DNSMessage.query(name: try DNSName("q12.example.test"), type: .a)
        #expect(Array(UnsafeRawBufferPointer(start: buffer, count: n)) == expected)
        let dotted = Array("q12.example.test.".utf8)
        let m = dotted.withUnsafeBufferPointer { DNSMessage.writeQuery(name: $0, type: .a, into: buffer) }
        #expect(Array(UnsafeRawBufferPointer(start: buffer, count: m)) == expected, "a trailing dot changes nothing")
    }
}
