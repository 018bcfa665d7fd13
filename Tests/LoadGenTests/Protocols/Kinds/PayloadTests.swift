import Testing
@testable import LoadGen

@Suite struct PayloadTests {
    func bytes(_ payload: Payload, _ seq: UInt64, thread: Int = 0) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max(1, payload.maxLength))
        let n = buffer.withUnsafeMutableBufferPointer { payload.write(sequence: seq, thread: thread, into: $0.baseAddress!) }
        return Array(buffer.prefix(n))
    }

    @Test func escapesAreDecoded() throws {
        let p = try Payload(parsing: "GET\\t/\\r\\n\\0\\\\\\x41\\xfF", salt: 0)
        #expect(p.isFixed)
        #expect(p.fixed == Array("GET\t/\r\n".utf8) + [0, UInt8(ascii: "\\"), 0x41, 0xFF])
        #expect(bytes(p, 7) == p.fixed)
        #expect(p.maxLength == p.fixed.count)
    }

    @Test func placeholdersExpandPerEventWithEscapedLiterals() throws {
        let p = try Payload(parsing: "q{seq}\\r\\nt{thread}\\x7b", salt: 1)
        #expect(!p.isFixed)
        #expect(bytes(p, 42, thread: 3) == Array("q42\r\nt3{".utf8))
        #expect(bytes(p, .max, thread: 999).count <= p.maxLength)
        #expect(bytes(p, 0) == Array("q0\r\nt0{".utf8))
    }

    @Test func randomDigitsRepeatPerEvent() throws {
        let p = try Payload(parsing: "{rand:12}", salt: 9)
        #expect(bytes(p, 5) == bytes(p, 5))
        #expect(bytes(p, 5) != bytes(p, 6))
        #expect(bytes(p, 5).count == 12)
    }

    @Test func badTextIsRefusedWithAReason() {
        #expect(throws: PayloadError.trailingBackslash) { try Payload(parsing: "abc\\", salt: 0) }
        #expect(throws: PayloadError.badHex) { try Payload(parsing: "\\xZ1", salt: 0) }
        #expect(throws: PayloadError.badHex) { try Payload(parsing: "{seq}\\x4", salt: 0) }
        #expect(throws: PayloadError.unknownEscape("q")) { try Payload(parsing: "\\q", salt: 0) }
        #expect(throws: PayloadError.template(.unknown("{nope}", "nope"))) { try Payload(parsing: "{nope}", salt: 0) }
        #expect(throws: PayloadError.template(.unclosed("{seq"))) { try Payload(parsing: "{seq", salt: 0) }
    }

    @Test func emptyTextIsAnEmptyFixedPayload() throws {
        let p = try Payload(parsing: "", salt: 0)
        #expect(p.isFixed && p.maxLength == 0 && bytes(p, 1).isEmpty)
    }
}
