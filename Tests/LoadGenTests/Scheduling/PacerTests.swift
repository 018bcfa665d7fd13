import Testing
@testable import LoadGen

@Suite struct PacerTests {
    @Test func integerRateHasNoDriftOverAMillionEvents() {
        let pacer = Pacer(eventsPerSecondNumerator: 3, denominator: 1)
        // 1/3 s is not a whole number of nanoseconds: the schedule must still land exactly on every third event.
        #expect(pacer.offsetNanos(ofEvent: 3) == 1_000_000_000)
        #expect(pacer.offsetNanos(ofEvent: 3_000_000) == 1_000_000_000_000)
        #expect(pacer.offsetNanos(ofEvent: 1_000_000) == 333_333_333_333)
    }
}
