import Testing
@testable import LoadGen

@Suite struct DNSMessageTests {
    @Test func queryBytesForAKnownNameAndType() throws {
        let packet = DNSMessage.query(name: try DNSName("www.example.test"), type: try DNSType("AAAA"))
        let expected: [UInt8] = [
            0x00, 0x00,             // ID (patched per event)
            0x01, 0x00,             // QR=0, opcode QUERY, RD=1; RA/Z/RCODE 0
            0x00, 0x01,             // QDCOUNT 1
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // AN, NS, AR 0
            3, 0x77, 0x77, 0x77, 7, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65, 4, 0x74, 0x65, 0x73, 0x74, 0,
            0x00, 0x1C,             // QTYPE AAAA
            0x00, 0x01,             // QCLASS IN
        ]
        #expect(packet == expected)
    }

    @Test func typeAboveOneByteAndNoRecursion() throws {
        let packet = DNSMessage.query(name: try DNSName("."), type: try DNSType("CAA"), recursionDesired: false)
        #expect(packet == [0, 0, 0x00, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0x00, 0x01])
        let generic = DNSMessage.query(name: try DNSName("a"), type: try DNSType("TYPE65280"))
        #expect(Array(generic.suffix(4)) == [0xFF, 0x00, 0x00, 0x01])
        #expect(generic.count == DNSMessage.headerBytes + 3 + 4)
    }

    @Test func setIDPatchesTheFirstTwoBytesBigEndian() throws {
        var packet = DNSMessage.query(name: try DNSName("a.test"), type: .a)
        let original = packet
        packet.withUnsafeMutableBytes { DNSMessage.setID(0xBEEF, in: $0) }
        #expect(packet[0] == 0xBE && packet[1] == 0xEF)
        #expect(Array(packet[2...]) == Array(original[2...]), "nothing else changes")
        packet.withUnsafeBytes { #expect(DNSMessage.id(of: $0) == 0xBEEF) }
        for id: UInt16 in [0, 1, 0x00FF, 0xFF00, 0xFFFF] {
            packet.withUnsafeMutableBytes { DNSMessage.setID(id, in: $0) }
            packet.withUnsafeBytes { #expect(DNSMessage.id(of: $0) == id) }
        }
    }

    @Test func rcodeAndTruncationOfResponses() {
        // ID 0x1234, QR AA TC RD (0x87), RA + NXDOMAIN (0x83).
        let truncatedNX: [UInt8] = [0x12, 0x34, 0x87, 0x83, 0, 1, 0, 0, 0, 0, 0, 0]
        truncatedNX.withUnsafeBytes {
            #expect(DNSMessage.id(of: $0) == 0x1234)
            #expect(DNSMessage.rcode(of: $0) == 3)
            #expect(DNSMessage.isTruncated($0))
        }
        // QR RD (0x81), RA + NOERROR (0x80).
        let ok: [UInt8] = [0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xAA]
        ok.withUnsafeBytes {
            #expect(DNSMessage.rcode(of: $0) == 0)
            #expect(!DNSMessage.isTruncated($0))
        }
        // SERVFAIL with every flag bit of byte 3 set: only the low nibble is the rcode.
        let servfail: [UInt8] = [0, 0, 0x80, 0xF2, 0, 0, 0, 0, 0, 0, 0, 0]
        servfail.withUnsafeBytes { #expect(DNSMessage.rcode(of: $0) == 2) }
    }

    @Test func shortMessagesHaveNoHeaderFields() {
        let short: [UInt8] = [0x12, 0x34, 0x87, 0x83, 0, 1, 0, 0, 0, 0, 0]
        short.withUnsafeBytes {
            #expect(DNSMessage.id(of: $0) == nil)
            #expect(DNSMessage.rcode(of: $0) == nil)
            #expect(!DNSMessage.isTruncated($0))
        }
        let empty: [UInt8] = []
        empty.withUnsafeBytes { #expect(DNSMessage.id(of: $0) == nil) }
    }
}
