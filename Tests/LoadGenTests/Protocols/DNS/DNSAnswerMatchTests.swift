import Testing
@testable import LoadGen

/// `DNSMessage.answers(_:with:)`: which messages answer a query, whatever the server sent.
@Suite struct DNSAnswerMatchTests {
    static func query(_ name: String, id: UInt16, type: DNSType = .a) -> [UInt8] {
        var bytes = DNSMessage.query(name: try! DNSName(name), type: type)
        bytes[0] = UInt8(id >> 8)
        bytes[1] = UInt8(id & 0xFF)
        return bytes
    }

    /// The query turned into a response with `rcode` and an answer record appended.
    static func response(to query: [UInt8], rcode: UInt8 = 0) -> [UInt8] {
        var bytes = query
        bytes[2] |= 0x80
        bytes[3] = 0x80 | rcode
        bytes[7] = 1
        return bytes + [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 1]
    }

    static func matches(_ query: [UInt8], _ answer: [UInt8]) -> Bool {
        query.withUnsafeBytes { q in answer.withUnsafeBytes { a in DNSMessage.answers(q, with: a) } }
    }

    @Test func theResponseToTheQueryMatches() {
        let q = Self.query("a.example.test", id: 0x1234)
        #expect(Self.matches(q, Self.response(to: q)))
        #expect(Self.matches(q, Self.response(to: q, rcode: 3)))
    }

    @Test func theNameMayComeBackInAnotherCase() {
        let q = Self.query("a.example.test", id: 7)
        let r = Self.response(to: Self.query("A.ExAmPlE.TEST", id: 7))
        #expect(Self.matches(q, r))
    }

    @Test func aWrongIDQuestionTypeOrCountDoesNotMatch() {
        let q = Self.query("a.example.test", id: 7)
        #expect(!Self.matches(q, Self.response(to: Self.query("a.example.test", id: 8))))
        #expect(!Self.matches(q, Self.response(to: Self.query("b.example.test", id: 7))))
        #expect(!Self.matches(q, Self.response(to: Self.query("a.example.test", id: 7, type: DNSType(code: 28)))))
        var twoQuestions = Self.response(to: q)
        twoQuestions[5] = 2
        #expect(!Self.matches(q, twoQuestions))
        // Type 65 (HTTPS) is 0x0041, 'A': a type byte must not be compared as a letter.
        let https = Self.query("a.example.test", id: 7, type: DNSType(code: 65))
        #expect(!Self.matches(https, Self.response(to: Self.query("a.example.test", id: 7, type: DNSType(code: 97)))))
    }

    @Test func aQueryEchoedBackIsNotAnAnswer() {
        let q = Self.query("a.example.test", id: 7)
        #expect(!Self.matches(q, q), "QR clear")
    }

    @Test func truncatedAndEmptyMessagesNeverMatchNorTrap() {
        let q = Self.query("a.example.test", id: 7)
        let r = Self.response(to: q)
        for length in 0..<q.count {
            #expect(!Self.matches(q, Array(r.prefix(length))), "\(length) bytes")
        }
    }

    @Test func randomGarbageNeverTraps() {
        var rng = SplitMix64(state: 99)
        let q = Self.query("a.example.test", id: 7)
        for _ in 0..<5000 {
            var r = Self.response(to: q)
            for _ in 0..<3 { r[Int(rng.next() % UInt64(r.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            r = Array(r.prefix(Int(rng.next() % UInt64(r.count + 1))))
            _ = Self.matches(q, r)
        }
    }
}
