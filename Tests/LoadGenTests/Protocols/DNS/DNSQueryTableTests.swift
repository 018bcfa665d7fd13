import Testing
@testable import LoadGen

@Suite struct DNSQueryTableTests {
    @Test func anIDMapsToItsSlotUntilItsQueryEnds() {
        let table = DNSQueryTable()
        let id = table.begin(slot: 5)!
        #expect(table.slot(of: id) == 5)
        #expect(table.inFlight == 1)
        table.end(id: id, .answered)
        #expect(table.slot(of: id) == nil)
        #expect(table.inFlight == 0)
        // Ending twice (a cancel after a timeout) is harmless.
        table.end(id: id, .ended)
        #expect(table.inFlight == 0)
    }

    @Test func noIDIsHandedOutTwiceWhileInFlightAndAFreedOneComesBackLast() {
        let table = DNSQueryTable(start: 100)
        var seen = Set<UInt16>()
        for slot in 0..<1000 { #expect(seen.insert(table.begin(slot: Int32(slot))!).inserted) }
        table.end(id: 100, .answered)
        let next = table.begin(slot: 1000)!
        #expect(next != 100, "a released ID goes to the back of the FIFO")
    }

    @Test func allIDsInFlightMeansNoMore() {
        let table = DNSQueryTable()
        for slot in 0..<65_536 { #expect(table.begin(slot: Int32(slot)) != nil) }
        #expect(table.begin(slot: 0) == nil)
    }

    @Test func answersToUnknownAnsweredOrTimedOutIDsAreCountedApart() {
        let table = DNSQueryTable()
        let answered = table.begin(slot: 1)!, timedOut = table.begin(slot: 2)!
        table.end(id: answered, .answered)
        table.end(id: timedOut, .timedOut)
        table.unmatched(id: answered)
        table.unmatched(id: timedOut)
        table.unmatched(id: 9_999)
        #expect(table.ledger.counters == DNSCounters(duplicateAnswers: 1, lateAnswers: 1, idMismatches: 1))
    }
}
