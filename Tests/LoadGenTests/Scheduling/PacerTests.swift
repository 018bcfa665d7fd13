import Testing
@testable import LoadGen

@Suite struct PacerTests {
    /// A rate given as events per second `numerator / denominator`, and a label for failures.
    struct Rate: CustomTestStringConvertible, Sendable {
        let numerator: UInt64
        let denominator: UInt64
        var testDescription: String { "\(numerator)/\(denominator) per s" }
    }

    static let rates: [Rate] = [
        Rate(numerator: 3, denominator: 1),
        Rate(numerator: 7, denominator: 1),
        Rate(numerator: 20_000, denominator: 1),
        Rate(numerator: 50_000, denominator: 1),
        Rate(numerator: 1_500_000, denominator: 1),
        Rate(numerator: 1, denominator: 2),          // 0.5/s
        Rate(numerator: 1_000, denominator: 3),      // 1/3ms
        Rate(numerator: 33_333, denominator: 100),   // 333.33/s
        Rate(numerator: 50_000_000, denominator: 1), // the highest the CLI accepts
    ]

    @Test func integerRateHasNoDriftOverAMillionEvents() {
        let pacer = Pacer(eventsPerSecondNumerator: 3, denominator: 1)
        // 1/3 s is not a whole number of nanoseconds: the schedule must still land exactly on every third event.
        #expect(pacer.offsetNanos(ofEvent: 3) == 1_000_000_000)
        // 3,000,000 events at 3/s end at 1,000,000 s; event 1,000,000 is at 333,333.333333333 s.
        #expect(pacer.offsetNanos(ofEvent: 3_000_000) == 1_000_000_000_000_000)
        #expect(pacer.offsetNanos(ofEvent: 1_000_000) == 333_333_333_333_333)
    }

    @Test(arguments: rates)
    func everyOffsetIsTheExactFloorOverAMillionEvents(rate: Rate) {
        let pacer = Pacer(eventsPerSecondNumerator: rate.numerator, denominator: rate.denominator)
        // Independent formula: floor(i × 1e9 × denominator / numerator), exact in 64 bits for i ≤ 10^6.
        var mismatches = 0
        var firstMismatch: UInt64?
        var previous: UInt64 = 0
        var monotonic = true
        for i in UInt64(0)...1_000_000 {
            let expected = i * 1_000_000_000 * rate.denominator / rate.numerator
            let actual = pacer.offsetNanos(ofEvent: i)
            if actual != expected {
                mismatches += 1
                if firstMismatch == nil { firstMismatch = i }
            }
            if actual < previous { monotonic = false }
            previous = actual
        }
        #expect(mismatches == 0, "first mismatch at event \(String(describing: firstMismatch))")
        #expect(monotonic)
    }

    @Test func intervalPacerPlacesEventsAtExactMultiples() {
        let pacer = Pacer(periodNanos: 1_000_000)
        var mismatches = 0
        for i in UInt64(0)...1_000_000 where pacer.offsetNanos(ofEvent: i) != i * 1_000_000 {
            mismatches += 1
        }
        #expect(mismatches == 0)
        #expect(pacer.rate == 1000)
        let odd = Pacer(periodNanos: 250_001)
        #expect(odd.offsetNanos(ofEvent: 1_000_000) == 250_001_000_000)
    }

    @Test func offsetsBeyondSixtyFourBitProductsAreExact() {
        // i × period overflows 64 bits here; the full-width product must keep it exact.
        let pacer = Pacer(eventsPerSecondNumerator: 20_000, denominator: 1)
        #expect(pacer.offsetNanos(ofEvent: 1_000_000_000_000) == 50_000_000_000_000_000)
        let third = Pacer(eventsPerSecondNumerator: 3, denominator: 1)
        // 3e10 events at 3/s: 1e19 ns, beyond Int64 but within UInt64.
        #expect(third.offsetNanos(ofEvent: 30_000_000_000) == 10_000_000_000_000_000_000)
        #expect(third.offsetNanos(ofEvent: 30_000_000_001) == 10_000_000_000_333_333_333)
        #expect(third.eventsDue(atOffset: 10_000_000_000_000_000_000) == 30_000_000_001)
    }

    @Test func rateReportsEventsPerSecond() {
        #expect(Pacer(eventsPerSecondNumerator: 1_500_000, denominator: 1).rate == 1_500_000)
        #expect(Pacer(eventsPerSecondNumerator: 1, denominator: 2).rate == 0.5)
        #expect(abs(Pacer(eventsPerSecondNumerator: 1_000, denominator: 3).rate - 333.333_333) < 1e-5)
        #expect(Pacer(periodNanos: 250_000).rate == 4_000)
    }

    @Test func eventsDueCountsEventZeroAtTheOrigin() {
        let pacer = Pacer(eventsPerSecondNumerator: 1_000, denominator: 1)
        #expect(pacer.eventsDue(atOffset: 0) == 1)
        #expect(pacer.eventsDue(atOffset: 999_999) == 1)
        #expect(pacer.eventsDue(atOffset: 1_000_000) == 2)
        #expect(pacer.eventsDue(atOffset: 1_000_000_000) == 1_001)
    }

    @Test(arguments: rates)
    func eventsDueAgreesWithOffsetsAtRandomOffsets(rate: Rate) {
        let pacer = Pacer(eventsPerSecondNumerator: rate.numerator, denominator: rate.denominator)
        var rng = SplitMix64(state: rate.numerator &* 31 &+ rate.denominator)
        var failures: [UInt64] = []
        for _ in 0..<100_000 {
            let offset = UInt64.random(in: 0...3_600_000_000_000, using: &rng) // within the first hour
            let due = pacer.eventsDue(atOffset: offset)
            // Events 0..<due are intended at or before the offset, event `due` after it.
            let ok = due >= 1 && pacer.offsetNanos(ofEvent: due - 1) <= offset && pacer.offsetNanos(ofEvent: due) > offset
            if !ok && failures.count < 5 { failures.append(offset) }
        }
        #expect(failures.isEmpty, "eventsDue disagrees with offsetNanos at offsets \(failures)")
    }

    @Test(arguments: rates)
    func eventsDueAgreesWithOffsetsAtEveryEventBoundary(rate: Rate) {
        // Exactly at an event's (floored) intended time, that event is due; one nanosecond earlier it is not.
        let pacer = Pacer(eventsPerSecondNumerator: rate.numerator, denominator: rate.denominator)
        var failures: [String] = []
        for k in UInt64(1)...100_000 {
            let at = pacer.offsetNanos(ofEvent: k)
            if pacer.eventsDue(atOffset: at) != k + 1, failures.count < 3 {
                failures.append("eventsDue(\(at)) = \(pacer.eventsDue(atOffset: at)), event \(k) is intended at \(at)")
            }
            if at > 0, pacer.eventsDue(atOffset: at - 1) > k, failures.count < 3 {
                failures.append("eventsDue(\(at - 1)) = \(pacer.eventsDue(atOffset: at - 1)), event \(k) is intended at \(at)")
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func batchesPerMillisecondTickAt50kAreFiftyWithoutAccumulatedError() {
        let pacer = Pacer(eventsPerSecondNumerator: 50_000, denominator: 1)
        let tick: UInt64 = 1_000_000
        var sizes: [UInt64: Int] = [:]
        var total: UInt64 = pacer.eventsDue(atOffset: 0) // event 0, at the origin
        #expect(total == 1)
        for t in UInt64(1)...100_000 { // 100 s of ticks
            let batch = pacer.eventsDue(atOffset: t * tick) - pacer.eventsDue(atOffset: (t - 1) * tick)
            sizes[batch, default: 0] += 1
            total += batch
        }
        #expect(sizes == [50: 100_000])
        #expect(total == 5_000_001)
    }

    @Test func batchesPerTickOfAnUnevenRateSumExactly() {
        // 7/s on a 1 ms tick: most ticks issue nothing, and after 1000 s exactly 7000 more are due.
        let pacer = Pacer(eventsPerSecondNumerator: 7, denominator: 1)
        var total: UInt64 = pacer.eventsDue(atOffset: 0)
        var maxBatch: UInt64 = 0
        for t in UInt64(1)...1_000_000 {
            let batch = pacer.eventsDue(atOffset: t * 1_000_000) - pacer.eventsDue(atOffset: (t - 1) * 1_000_000)
            maxBatch = max(maxBatch, batch)
            total += batch
        }
        #expect(maxBatch == 1)
        #expect(total == 7_001)
        #expect(pacer.offsetNanos(ofEvent: 7_000) == 1_000_000_000_000)
    }
}
