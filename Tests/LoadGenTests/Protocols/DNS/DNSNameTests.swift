import Testing
@testable import LoadGen

@Suite struct DNSNameTests {
    private func error(_ text: String) -> DNSNameError? {
        do {
            _ = try DNSName(text)
            return nil
        } catch {
            return error
        }
    }

    /// `count` bytes of `x`.
    private func label(_ count: Int, _ ch: Character = "x") -> String { String(repeating: ch, count: count) }

    @Test func encodesLabelsWithLengthPrefixes() throws {
        let name = try DNSName("www.example.test")
        #expect(name.text == "www.example.test")
        #expect(name.description == "www.example.test")
        #expect(name.wire == [3] + Array("www".utf8) + [7] + Array("example".utf8) + [4] + Array("test".utf8) + [0])
    }

    @Test func trailingDotIsTheSameName() throws {
        let a = try DNSName("a.example.test.")
        let b = try DNSName("a.example.test")
        #expect(a.text == "a.example.test")
        #expect(a.wire == b.wire)
        #expect(a == b)
    }

    @Test func rootAndSingleLabel() throws {
        let root = try DNSName(".")
        #expect(root.text == ".")
        #expect(root.wire == [0])
        let single = try DNSName("localhost")
        #expect(single.wire == [9] + Array("localhost".utf8) + [0])
    }

    @Test func printableCharactersAreAccepted() throws {
        for text in ["_dns._udp.example.test", "*.example.test", "xn--bcher-kva.test", "a-b.c_d.e", "UPPER.Case.Test", "1.2.3.4.in-addr.arpa"] {
            let name = try DNSName(text)
            #expect(name.text == text)
            #expect(name.wire.count == text.utf8.count + 2)
        }
    }

    @Test func emptyNamesAndLabelsAreErrors() {
        #expect(error("") == .empty)
        #expect(error("..") == .emptyLabel(".."))
        #expect(error("a..b") == .emptyLabel("a..b"))
        #expect(error(".a") == .emptyLabel(".a"))
        #expect(error("a.b..") == .emptyLabel("a.b.."))
    }

    @Test func labelOf63IsAcceptedAnd64IsNot() throws {
        let ok = try DNSName("\(label(63)).test")
        #expect(ok.wire.first == 63)
        let long = label(64)
        #expect(error("\(long).test") == .labelTooLong("\(long).test", long, 64))
        #expect(error("a.\(long)") == .labelTooLong("a.\(long)", long, 64))
        #expect(error("\(long).test")?.description == "'\(long).test': label '\(label(20))…' is 64 bytes; a label may have at most 63")
        // Bytes, not characters: 32 two-byte characters are 64 bytes.
        #expect(error("\(label(32, "é")).test") != nil)
    }

    @Test func nameOf253IsAcceptedAnd254IsNot() throws {
        let n253 = [label(63), label(63), label(63), label(61)].joined(separator: ".")
        #expect(n253.utf8.count == 253)
        let name = try DNSName(n253)
        #expect(name.wire.count == 255, "the RFC 1035 limit on the wire")
        #expect(try DNSName(n253 + ".").text == n253, "a trailing dot does not count")
        let n254 = [label(63), label(63), label(63), label(62)].joined(separator: ".")
        #expect(error(n254) == .tooLong(n254, 254))
        #expect(error(n254)?.description == "'\(n254.prefix(40))…' is 254 bytes; a name may have at most 253")
    }

    @Test func controlSpaceBackslashAndNonASCIIAreErrors() {
        #expect(error("a b.test") == .badCharacter("a b.test", 0x20))
        #expect(error("a\tb.test") == .badCharacter("a\tb.test", 0x09))
        #expect(error("a\\b.test") == .badCharacter("a\\b.test", 0x5C))
        #expect(error("a\u{7F}.test") == .badCharacter("a\u{7F}.test", 0x7F))
        #expect(error("bücher.test") == .badCharacter("bücher.test", 0xC3))
        #expect(error("a\u{0}.test") == .badCharacter("a\u{0}.test", 0x00))
        #expect(error("a b.test")?.description == "'a b.test' contains byte 0x20; names take printable ASCII without spaces or backslashes")
    }

    @Test func errorDescriptions() {
        #expect(DNSNameError.empty.description == "the name is empty; give a name such as www.example.test")
        #expect(DNSNameError.emptyLabel("a..b").description == "'a..b' has an empty label (two dots in a row or a leading dot)")
    }
}
