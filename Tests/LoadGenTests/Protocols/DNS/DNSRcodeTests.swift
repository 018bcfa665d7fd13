import Testing
@testable import LoadGen

@Suite struct DNSRcodeTests {
    @Test func namesFollowTheIANARegistry() {
        #expect(DNSRcode.names.count == 16)
        #expect(DNSRcode.name(0) == "NOERROR")
        #expect(DNSRcode.name(1) == "FORMERR")
        #expect(DNSRcode.name(2) == "SERVFAIL")
        #expect(DNSRcode.name(3) == "NXDOMAIN")
        #expect(DNSRcode.name(4) == "NOTIMP")
        #expect(DNSRcode.name(5) == "REFUSED")
        #expect(DNSRcode.name(6) == "YXDOMAIN")
        #expect(DNSRcode.name(7) == "YXRRSET")
        #expect(DNSRcode.name(8) == "NXRRSET")
        #expect(DNSRcode.name(9) == "NOTAUTH")
        #expect(DNSRcode.name(10) == "NOTZONE")
        #expect(DNSRcode.name(15) == "RCODE15")
        #expect(Set(DNSRcode.names).count == 16, "every name distinct")
    }
}
