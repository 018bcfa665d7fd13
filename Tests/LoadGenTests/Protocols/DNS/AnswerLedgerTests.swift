import Testing
@testable import LoadGen

@Suite struct AnswerLedgerTests {
    @Test func anAnswerToAnAnsweredQueryIsADuplicate() {
        let ledger = AnswerLedger()
        ledger.sent(id: 7)
        ledger.ended(id: 7, .answered)
        #expect(ledger.unmatched(id: 7, truncated: false, tcFallback: false) == .duplicate)
        #expect(ledger.unmatched(id: 7, truncated: false, tcFallback: false) == .duplicate)
        #expect(ledger.counters == DNSCounters(duplicateAnswers: 2))
    }

    @Test func anAnswerToATimedOutQueryIsLate() {
        let ledger = AnswerLedger()
        ledger.sent(id: 65_535)
        ledger.ended(id: 65_535, .timedOut)
        #expect(ledger.unmatched(id: 65_535, truncated: false, tcFallback: false) == .late)
        #expect(ledger.counters.lateAnswers == 1 && ledger.counters.duplicateAnswers == 0)
    }

    @Test func anIDNeverSentOrAWrongQuestionIsAMismatch() {
        let ledger = AnswerLedger()
        #expect(ledger.unmatched(id: 1, truncated: false, tcFallback: false) == .mismatch, "never sent")
        ledger.sent(id: 2)
        // c-ares dropped it although the ID is in flight: the question did not match.
        #expect(ledger.unmatched(id: 2, truncated: false, tcFallback: false) == .mismatch)
        ledger.ended(id: 2, .ended)
        #expect(ledger.unmatched(id: 2, truncated: false, tcFallback: false) == .mismatch, "after an error")
        #expect(ledger.counters.idMismatches == 3)
    }

    @Test func aTruncatedAnswerToAQueryInFlightIsAFallbackOnlyWithTheFallback() {
        let ledger = AnswerLedger()
        ledger.sent(id: 9)
        #expect(ledger.unmatched(id: 9, truncated: true, tcFallback: true) == .tcFallback)
        #expect(ledger.unmatched(id: 9, truncated: true, tcFallback: false) == .mismatch)
        #expect(ledger.counters == DNSCounters(idMismatches: 1, tcFallbacks: 1))
    }

    @Test func reusingAnIDStartsItsFateAgain() {
        let ledger = AnswerLedger()
        ledger.sent(id: 3)
        ledger.ended(id: 3, .timedOut)
        ledger.sent(id: 3)
        #expect(ledger.fate(of: 3) == .inFlight)
        ledger.ended(id: 3, .answered)
        #expect(ledger.unmatched(id: 3, truncated: false, tcFallback: false) == .duplicate)
    }

    @Test func countersAddUp() {
        var a = DNSCounters(duplicateAnswers: 1, lateAnswers: 2, idMismatches: 3, tcFallbacks: 4)
        #expect(a.any && !DNSCounters().any)
        a.add(a)
        #expect(a == DNSCounters(duplicateAnswers: 2, lateAnswers: 4, idMismatches: 6, tcFallbacks: 8))
    }
}
