import Testing
@testable import LoadGen

@Suite struct LoadPlanTests {
    private func plan(pacer: Pacer? = nil, total: UInt64? = nil, duration: UInt64? = nil,
                      thread: UInt64 = 0, of count: UInt64 = 1, maxInFlight: Int = 100) -> LoadPlan {
        LoadPlan(pacer: pacer, totalEvents: total, durationNanos: duration, threadIndex: thread,
                 threadCount: count, maxInFlight: maxInFlight)
    }

    @Test func shareSplitsExactlyAndEvenly() {
        var failures: [String] = []
        for threads in UInt64(1)...17 {
            for total in UInt64(0)...200 {
                let shares = (0..<threads).map { LoadPlan.share(of: total, thread: $0, of: threads) }
                if shares.reduce(0, +) != total || shares.max()! - shares.min()! > 1 {
                    failures.append("\(total) over \(threads): \(shares)")
                }
                // Lower threads take the remainder, so shares never increase with the thread index.
                if shares != shares.sorted(by: >) { failures.append("\(total) over \(threads) not descending: \(shares)") }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    @Test func shareOfLargeTotalsAndManyThreads() {
        let total: UInt64 = 1_000_000_007
        let shares = (0..<UInt64(256)).map { LoadPlan.share(of: total, thread: $0, of: 256) }
        #expect(shares.reduce(0, +) == total)
        #expect(shares.max()! - shares.min()! <= 1)
        #expect(LoadPlan.share(of: 3, thread: 5, of: 8) == 0)
        #expect(LoadPlan.share(of: 0, thread: 0, of: 1) == 0)
        #expect(LoadPlan.share(of: .max, thread: 3, of: 4) == .max, "unbounded stays unbounded")
    }

    @Test func shareNearTheTopOfUInt64DoesNotTrap() async {
        // `--count 18446744073709551614 --threads 3` is accepted by the CLI; splitting it must not overflow.
        await #expect(processExitsWith: .success) {
            let total = UInt64.max - 1
            let shares = (0..<UInt64(3)).map { LoadPlan.share(of: total, thread: $0, of: 3) }
            precondition(shares.reduce(0, &+) == total)
        }
    }

    @Test func sequencesOfThreadsAreDisjointAndCoverEveryEvent() {
        for threads in UInt64(1)...9 {
            for total: UInt64 in [0, 1, 2, 7, 8, 9, 100, 1_001] {
                var seen = [Int](repeating: 0, count: Int(total))
                var outOfRange = 0
                for k in 0..<threads {
                    let p = plan(total: total, thread: k, of: threads)
                    for local in 0..<p.localLimit {
                        let s = p.sequence(ofLocal: local)
                        if s < total { seen[Int(s)] += 1 } else { outOfRange += 1 }
                    }
                }
                #expect(outOfRange == 0, "\(total) over \(threads)")
                #expect(seen.allSatisfy { $0 == 1 }, "\(total) over \(threads): every event exactly once")
            }
        }
    }

    @Test func sequenceInterleavesThreads() {
        let p = plan(total: 100, thread: 2, of: 3)
        #expect((0..<4).map { p.sequence(ofLocal: $0) } == [2, 5, 8, 11])
        #expect(p.localLimit == 33) // 2, 5, …, 98
    }

    @Test func localLimitWithCount() {
        #expect(plan(total: 1_000).localLimit == 1_000)
        #expect((0..<UInt64(3)).map { plan(total: 1_000, thread: $0, of: 3).localLimit } == [334, 333, 333])
        // Closed loop with a count: the duration plays no part without a pacer.
        #expect(plan(total: 50, duration: 1).localLimit == 50)
    }

    @Test func localLimitWithDurationCountsEventsStrictlyBeforeIt() {
        let perMs = Pacer(eventsPerSecondNumerator: 1_000, denominator: 1)
        // Events at 0, 1 ms, …, 999 ms; the one at exactly 1 s is not before the end.
        #expect(plan(pacer: perMs, duration: 1_000_000_000).localLimit == 1_000)
        #expect(plan(pacer: perMs, duration: 1_000_000_001).localLimit == 1_001)
        #expect(plan(pacer: perMs, duration: 999_999_999).localLimit == 1_000)
        #expect(plan(pacer: perMs, duration: 1).localLimit == 1)
        #expect(plan(pacer: perMs, duration: 0).localLimit == 0)
        // The smaller of count and duration wins.
        #expect(plan(pacer: perMs, total: 10, duration: 1_000_000_000).localLimit == 10)
        #expect(plan(pacer: perMs, total: 5_000, duration: 1_000_000_000).localLimit == 1_000)
        // Split across threads.
        let shares = (0..<UInt64(3)).map { plan(pacer: perMs, duration: 1_000_000_000, thread: $0, of: 3).localLimit }
        #expect(shares == [334, 333, 333])
        // Closed loop with only a duration is unbounded in count.
        #expect(plan(duration: 1_000_000_000).localLimit == .max)
        #expect(plan().localLimit == .max)
    }

    @Test func localLimitWithDurationAtTheRunsRates() {
        // 20k/s for 5 s: 100,000 events; 1/s for 10 s: 10; 0.5/s for 10 s: 5 (0, 2, 4, 6, 8 s).
        #expect(plan(pacer: Pacer(eventsPerSecondNumerator: 20_000, denominator: 1), duration: 5_000_000_000).localLimit == 100_000)
        #expect(plan(pacer: Pacer(eventsPerSecondNumerator: 1, denominator: 1), duration: 10_000_000_000).localLimit == 10)
        #expect(plan(pacer: Pacer(eventsPerSecondNumerator: 1, denominator: 2), duration: 10_000_000_000).localLimit == 5)
        #expect(plan(pacer: Pacer(periodNanos: 1_000_000), duration: 1_000_000_000).localLimit == 1_000)
    }

    @Test func localLimitMatchesTheEventsTheScheduleIntendsBeforeTheDuration() {
        // Event 1 at 3/s is intended at offset 333,333,333 ns (rounded down), so a run of 333,333,334 ns
        // intends two events (at 0 and 333,333,333) strictly before its end.
        let third = Pacer(eventsPerSecondNumerator: 3, denominator: 1)
        #expect(third.offsetNanos(ofEvent: 1) == 333_333_333)
        #expect(plan(pacer: third, duration: 333_333_334).localLimit == 2)
        #expect(plan(pacer: third, duration: 333_333_333).localLimit == 1)
        // At 1.5M/s (period 666.67 ns) the same holds for every duration: the limit is the number of events
        // whose intended offset is below it.
        let fast = Pacer(eventsPerSecondNumerator: 1_500_000, denominator: 1)
        var failures: [UInt64] = []
        var expected: UInt64 = 0
        for duration in UInt64(1)...20_000 {
            while fast.offsetNanos(ofEvent: expected) < duration { expected += 1 }
            if plan(pacer: fast, duration: duration).localLimit != expected, failures.count < 5 { failures.append(duration) }
        }
        #expect(failures.isEmpty, "localLimit differs from the events intended before durations \(failures)")
    }
}
