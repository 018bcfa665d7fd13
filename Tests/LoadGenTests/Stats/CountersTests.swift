import Testing
@testable import LoadGen

@Suite struct CountersTests {
    @Test func freshCountersAreBalanced() {
        let c = Counters()
        #expect(c.balanced)
        #expect(c.finished == 0 && c.inFlight == 0)
        #expect(c.errorKinds.count == ErrorKind.allCases.count)
        #expect(ErrorKind.allCases.allSatisfy { c.errorCount($0) == 0 })
    }

    @Test func balancedOnlyWhenEverySentEventEnded() {
        var c = Counters()
        c.sent = 10
        c.completed = 6
        c.timeouts = 1
        c.recordError(.refused)
        #expect(!c.balanced)
        #expect(c.finished == 8)
        #expect(c.inFlight == 2)
        c.cancelled = 2
        #expect(c.balanced)
        #expect(c.inFlight == 0)
    }

    @Test func recordErrorCountsTotalAndKind() {
        var c = Counters()
        c.recordError(.refused)
        c.recordError(.refused)
        c.recordError(.idMismatch)
        #expect(c.errors == 3)
        #expect(c.errorCount(.refused) == 2)
        #expect(c.errorCount(.idMismatch) == 1)
        #expect(c.errorCount(.reset) == 0)
        #expect(c.errorKinds.reduce(0, +) == c.errors)
    }

    @Test func addSumsEveryField() {
        var a = Counters()
        a.sent = 100; a.completed = 90; a.timeouts = 5; a.cancelled = 1
        a.recordError(.refused); a.recordError(.refused); a.recordError(.sendFailed); a.recordError(.other)
        a.codes = [0: 80, 3: 10]
        var b = Counters()
        b.sent = 50; b.completed = 45; b.timeouts = 2; b.cancelled = 2
        b.recordError(.refused)
        b.codes = [0: 40, 2: 5]
        a.add(b)
        #expect(a.sent == 150)
        #expect(a.completed == 135)
        #expect(a.timeouts == 7)
        #expect(a.errors == 5)
        #expect(a.cancelled == 3)
        #expect(a.errorCount(.refused) == 3)
        #expect(a.errorCount(.sendFailed) == 1)
        #expect(a.errorCount(.other) == 1)
        #expect(a.codes == [0: 120, 2: 5, 3: 10])
        #expect(a.balanced)
        // Adding an empty one changes nothing.
        let before = a
        a.add(Counters())
        #expect(a == before)
    }
}
