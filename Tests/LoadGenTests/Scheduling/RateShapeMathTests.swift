import Testing
@testable import LoadGen

/// The schedule of a shaped rate: held steps are the constant pacer's schedule, ramps follow the area under the
/// rate, and `eventsDue` agrees with `offsetNanos` everywhere.
@Suite struct RateShapeMathTests {
    typealias Piece = RateShape.Piece

    @Test("a held step schedules as the constant pacer does (to the nanosecond, give or take rounding)")
    func heldStepIsConstant() {
        let shape = RateShape([Piece(from: 3000, to: 3000, durationNanos: 2_000_000_000)])
        let pacer = Pacer(eventsPerSecondNumerator: 3000, denominator: 1)
        for i: UInt64 in [0, 1, 2, 999, 3000, 5999] {
            let a = shape.offsetNanos(ofEvent: i), b = pacer.offsetNanos(ofEvent: i)
            #expect(a == b || a + 1 == b || a == b + 1, "event \(i): \(a) vs \(b)")
        }
        #expect(shape.eventsDue(atOffset: 1_999_999_999) == 6000)
    }

    @Test("a ramp from 1000 to 5000 over 4 s intends 1500, 2500, 3500 and 4500 events in its seconds")
    func rampPerSecond() {
        let shape = RateShape([Piece(from: 1000, to: 5000, durationNanos: 4_000_000_000)])
        var before: UInt64 = 0
        var counts: [UInt64] = []
        for second in 1...4 {
            let due = shape.eventsDue(atOffset: UInt64(second) * 1_000_000_000 - 1)
            counts.append(due - before)
            before = due
        }
        #expect(counts == [1500, 2500, 3500, 4500])
        // Then the final rate holds: 5000 in the next second.
        #expect(shape.eventsDue(atOffset: 4_999_999_999) - before == 5000)
    }

    @Test("offsets never go back, and eventsDue(t) counts exactly the events with offset ≤ t (ramps up, down, from 0, pauses)")
    func dueAgreesWithOffsets() {
        let shape = RateShape([
            Piece(from: 0, to: 2000, durationNanos: 1_000_000_000),
            Piece(from: 0, to: 0, durationNanos: 250_000_000),
            Piece(from: 3000, to: 500, durationNanos: 1_500_000_000),
            Piece(from: 777, to: 777, durationNanos: 333_000_000),
        ])
        var last: UInt64 = 0
        for i: UInt64 in 0..<5000 {
            let offset = shape.offsetNanos(ofEvent: i)
            #expect(offset >= last, "event \(i) at \(offset), before event \(i - 1) at \(last)")
            last = offset
            #expect(shape.eventsDue(atOffset: offset) > i, "event \(i) at \(offset) is not due then")
            if offset > 0 { #expect(shape.eventsDue(atOffset: offset - 1) <= i, "event \(i) due before its time") }
        }
        // Nothing in the pause: the events due at its start and its end are the same.
        #expect(shape.eventsDue(atOffset: 1_000_000_001) == shape.eventsDue(atOffset: 1_249_999_999))
    }

    @Test("a shape that ends at rate 0 never reaches the events after it")
    func endsAtZero() {
        let shape = RateShape([Piece(from: 1000, to: 0, durationNanos: 1_000_000_000)])
        #expect(shape.eventsDue(atOffset: 10_000_000_000) == 501)
        #expect(shape.offsetNanos(ofEvent: 501) == .max)
    }

    @Test("step windows: one per held step, one per second of a ramp (wider past 300 s), and the hold after the shape")
    func windows() {
        let shape = RateShape([Piece(from: 100, to: 100, durationNanos: 2_000_000_000),
                               Piece(from: 100, to: 400, durationNanos: 2_500_000_000)])
        let plan = StepPlan(shape: shape, endNanos: 6_000_000_000)
        #expect(plan.windows.map(\.startNanos) == [0, 2_000_000_000, 3_000_000_000, 4_000_000_000, 4_500_000_000])
        #expect(plan.windows.map(\.step) == [1, 2, 2, 2, 0])
        #expect(plan.windows[1].fromRate == 100 && plan.windows[3].toRate == 400)
        #expect(plan.window(ofOffset: 3_999_999_999) == 2 && plan.window(ofOffset: 9_000_000_000) == 4)
        let long = StepPlan(shape: RateShape([Piece(from: 0, to: 1000, durationNanos: 900_000_000_000)]), endNanos: 900_000_000_000)
        #expect(long.windows.count == 300 && long.windows[0].durationNanos == 3_000_000_000)
        let cut = StepPlan(shape: shape, endNanos: 1_000_000_000)
        #expect(cut.windows.count == 1 && cut.windows[0].endNanos == 1_000_000_000)
    }

    @Test("a thread's share of each window, capped by what it intended in all")
    func intendedShares() {
        let shape = RateShape([Piece(from: 1000, to: 1000, durationNanos: 1_000_000_000),
                               Piece(from: 3000, to: 3000, durationNanos: 1_000_000_000)])
        let plan = StepPlan(shape: shape, endNanos: 2_000_000_000)
        let pacer = Pacer(shape: shape)
        let thread1 = LoadPlan(pacer: pacer, totalEvents: nil, durationNanos: 2_000_000_000, threadIndex: 1, threadCount: 4, maxInFlight: 10)
        #expect(plan.intended(pacer: pacer, plan: thread1, threadIntended: 1000) == [250, 750])
        #expect(plan.intended(pacer: pacer, plan: thread1, threadIntended: 600) == [250, 350])
    }

    @Test("--steps and --rate A..B parse into pieces; bad ones say what would work")
    func parsing() throws {
        let pieces = try StepsArgument.parse("1000@10s,1k..5k@20s,0@500ms")
        #expect(pieces == [Piece(from: 1000, to: 1000, durationNanos: 10_000_000_000),
                           Piece(from: 1000, to: 5000, durationNanos: 20_000_000_000),
                           Piece(from: 0, to: 0, durationNanos: 500_000_000)])
        #expect(throws: QuantityError.self) { try StepsArgument.parse("1000@10s,") }
        #expect(throws: QuantityError.self) { try StepsArgument.parse("1000@100us") }
        #expect(try RateArgument(parsing: "0..20k") == .range(from: 0, to: 20_000))
        #expect(throws: QuantityError.self) { try RateArgument(parsing: "5..") }
    }
}
