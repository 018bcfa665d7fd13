import Testing
@testable import LoadGen

@Suite struct EchoMatcherTests {
    /// A datagram of `length` bytes tagged for (`slot`, `sequence`) by `matcher`.
    func datagram(_ matcher: EchoMatcher, slot: Int32, sequence: UInt64, length: Int = 40) -> [UInt8] {
        var bytes = [UInt8](repeating: 0x78, count: length)
        bytes.withUnsafeMutableBytes { matcher.writeTag(sequence: sequence, slot: slot, into: $0.baseAddress!) }
        return bytes
    }

    func match(_ matcher: EchoMatcher, _ bytes: [UInt8]) -> EchoMatcher.Verdict {
        bytes.withUnsafeBytes { matcher.match($0) }
    }

    @Test func anEchoCompletesItsEventOnceThenCountsAsDuplicate() {
        let m = EchoMatcher(capacity: 4, salt: 77)
        m.sent(slot: 2, sequence: 1000, bytes: 40)
        let echo = datagram(m, slot: 2, sequence: 1000)
        #expect(match(m, echo) == .matched(slot: 2))
        #expect(match(m, echo) == .duplicate)
        #expect(m.counts == EchoMatcher.Counts(duplicates: 1))
    }

    @Test func anEchoAfterTheTimeoutIsLateAndAnEarlierEventsEchoToo() {
        let m = EchoMatcher(capacity: 4, salt: 1)
        m.sent(slot: 0, sequence: 5, bytes: 40)
        m.ended(slot: 0)
        #expect(match(m, datagram(m, slot: 0, sequence: 5)) == .late)
        m.sent(slot: 0, sequence: 9, bytes: 40)
        #expect(match(m, datagram(m, slot: 0, sequence: 5)) == .late, "an older event of the slot")
        #expect(match(m, datagram(m, slot: 0, sequence: 9)) == .matched(slot: 0))
        #expect(m.counts.late == 2)
    }

    @Test func truncatedLongerAndForeignDatagramsNeverComplete() {
        let m = EchoMatcher(capacity: 4, salt: 3)
        m.sent(slot: 1, sequence: 11, bytes: 40)
        let echo = datagram(m, slot: 1, sequence: 11)
        #expect(match(m, Array(echo.prefix(39))) == .truncated)
        #expect(match(m, Array(echo.prefix(10))) == .truncated, "shorter than a tag")
        #expect(match(m, echo + [0]) == .foreign, "longer than sent")
        var forged = echo
        forged[0] ^= 1
        #expect(match(m, forged) == .foreign, "the check word does not fit another sequence")
        let otherRun = EchoMatcher(capacity: 4, salt: 4)
        #expect(match(m, datagram(otherRun, slot: 1, sequence: 11)) == .foreign, "another salt")
        #expect(match(m, [UInt8](repeating: 0, count: 40)) == .foreign)
        #expect(match(m, echo) == .matched(slot: 1), "the whole echo still completes it")
        #expect(m.counts == EchoMatcher.Counts(truncated: 2, foreign: 4))
    }

    @Test func aSlotOutOfRangeIsForeignEvenWithAValidCheck() {
        let big = EchoMatcher(capacity: 100, salt: 5)
        let small = EchoMatcher(capacity: 4, salt: 5)
        #expect(match(small, datagram(big, slot: 50, sequence: 1)) == .foreign)
    }

    @Test("an ICMP error's quote names the waiting event (even cut short after the tag); anything else names none")
    func anErrorQuoteEndsTheWaitOfItsEvent() {
        let m = EchoMatcher(capacity: 4, salt: 9)
        m.sent(slot: 3, sequence: 70, bytes: 40)
        m.sent(slot: 1, sequence: 71, bytes: 40)
        let quote = datagram(m, slot: 3, sequence: 70)
        func failed(_ bytes: [UInt8]) -> Int32? { bytes.withUnsafeBytes { m.failed(quoting: $0) } }
        #expect(failed(Array(quote.prefix(EchoMatcher.tagBytes - 1))) == nil, "shorter than a tag")
        var forged = quote
        forged[12] ^= 0x40
        #expect(failed(forged) == nil, "a broken check word")
        #expect(failed(datagram(m, slot: 1, sequence: 99)) == nil, "the slot waits for another event")
        #expect(failed(Array(quote.prefix(EchoMatcher.tagBytes))) == 3)
        #expect(failed(quote) == nil, "its wait already ended")
        #expect(match(m, quote) == .late, "an echo after the error is late")
        #expect(match(m, datagram(m, slot: 1, sequence: 71)) == .matched(slot: 1), "the other event still waits")
        #expect(m.counts == EchoMatcher.Counts(late: 1), "quotes count as nothing themselves")
    }
}
