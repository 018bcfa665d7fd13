import Testing
@testable import LoadGen

@Suite struct DNSTypeTests {
    @Test(arguments: [
        ("A", 1), ("NS", 2), ("CNAME", 5), ("SOA", 6), ("PTR", 12), ("MX", 15), ("TXT", 16), ("AAAA", 28),
        ("SRV", 33), ("DS", 43), ("DNSKEY", 48), ("SVCB", 64), ("HTTPS", 65), ("ANY", 255), ("CAA", 257),
    ] as [(String, UInt16)])
    func mnemonicsMapToIANACodes(text: String, code: UInt16) throws {
        #expect(try DNSType(text).code == code)
        #expect(try DNSType(text.lowercased()).code == code, "case-insensitive")
        #expect(DNSType(code: code).description == text)
    }

    @Test func mixedCaseAndGenericTypes() throws {
        #expect(try DNSType("Aaaa").code == 28)
        #expect(try DNSType("hTtPs").code == 65)
        #expect(try DNSType("TYPE123").code == 123)
        #expect(try DNSType("type65535").code == 65_535)
        #expect(try DNSType("TYPE0").code == 0)
        #expect(try DNSType("TYPE1").description == "A", "a known code prints as its mnemonic")
        #expect(DNSType(code: 123).description == "TYPE123")
        #expect(DNSType.a.code == 1)
    }

    @Test func unknownTypesAreErrorsListingTheKnownOnes() {
        for bad in ["BOGUS", "", "TYPE", "TYPE65536", "TYPE-1", "TYPEx", "A6X"] {
            #expect(throws: DNSTypeError(text: bad)) { try DNSType(bad) }
        }
        let message = DNSTypeError(text: "BOGUS").description
        #expect(message.hasPrefix("unknown query type 'BOGUS'; use one of A, NS, CNAME"))
        #expect(message.hasSuffix("or TYPEnnn"))
        for name in ["A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT", "CAA", "HTTPS", "SVCB", "ANY"] {
            #expect(message.contains(" \(name),") || message.contains(" \(name) "), "\(name) listed")
        }
    }
}
