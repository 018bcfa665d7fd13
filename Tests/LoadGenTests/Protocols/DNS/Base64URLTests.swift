import Foundation
import Testing
@testable import LoadGen

@Suite struct Base64URLTests {
    @Test func rfc4648VectorsWithoutPadding() {
        let vectors = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
                       ("foobar", "Zm9vYmFy")]
        for (input, output) in vectors {
            #expect(Base64URL.encode(Array(input.utf8)) == output)
            #expect(Base64URL.encodedLength(input.utf8.count) == output.count)
        }
    }

    @Test func usesTheURLAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
    }

    @Test func rfc8484ExampleQuery() {
        // RFC 8484 §4.1.1: www.example.com A, ID 0, RD set.
        let query = DNSMessage.query(name: try! DNSName("www.example.com"), type: .a)
        #expect(Base64URL.encode(query) == "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB")
    }

    @Test func agreesWithFoundationForRandomInput() {
        var rng = SplitMix64(state: 7)
        for length in 0..<300 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let expected = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == expected)
        }
    }
}
