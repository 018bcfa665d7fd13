import ArgumentParser
import Testing
@testable import LoadGen

/// `--shard I/N`: every shard's threads take the events i ≡ I (mod N), the shards together every event once.
@Suite struct ShardTests {
    private func config(threads: Int, shard: Shard, count: UInt64?, duration: UInt64? = nil, pacer: Pacer?) -> RunConfig {
        RunConfig(kind: .dns,
                  load: .init(pacer: pacer, requestedRate: pacer?.rate, count: count, durationNanos: duration,
                              concurrency: 100 * threads, timeoutNanos: 1_000_000_000, threads: threads, shard: shard),
                  output: .init())
    }

    /// Every sequence number the threads of `shard` would issue, by simulating their schedulers to the end.
    private func sequences(threads: Int, shard: Shard, count: UInt64?, duration: UInt64? = nil, pacer: Pacer?) -> [UInt64] {
        let c = config(threads: threads, shard: shard, count: count, duration: duration, pacer: pacer)
        var out: [UInt64] = []
        for t in 0..<threads {
            var scheduler = Scheduler(plan: c.plan(thread: t))
            var now: UInt64 = 0
            while !scheduler.doneIssuing {
                while let event = scheduler.next(atOffset: now) {
                    out.append(event.sequence)
                    scheduler.didFinish()
                }
                now += 1_000_000
            }
        }
        return out
    }

    @Test func shardsWithDifferentThreadCountsCoverTheScheduleOnce() {
        let pacer = Pacer(eventsPerSecondNumerator: 10_000, denominator: 1)
        for (count, threadCounts) in [(UInt64(1000), [1, 3, 2, 4]), (997, [2, 2, 2]), (5, [1, 1, 1, 1, 1, 1, 1]), (0, [2, 1])] {
            let n = threadCounts.count
            var all: [UInt64] = []
            for (i, threads) in threadCounts.enumerated() {
                let mine = sequences(threads: threads, shard: Shard(index: i, count: n), count: count, pacer: pacer)
                #expect(mine.allSatisfy { $0 % UInt64(n) == UInt64(i) }, "shard \(i)/\(n) took another shard's events")
                all += mine
            }
            #expect(all.sorted() == Array(0..<count), "\(count) events over shards of \(threadCounts) threads")
        }
    }

    @Test func aShardsDurationEndsWithTheGlobalSchedule() {
        // 1000/s for 1 s: events 0..<1000 in all, the shard of 3 takes those ≡ 2 (mod 3).
        let pacer = Pacer(eventsPerSecondNumerator: 1000, denominator: 1)
        let mine = sequences(threads: 2, shard: Shard(index: 2, count: 3), count: nil, duration: 1_000_000_000, pacer: pacer)
        #expect(mine.sorted() == Array(stride(from: UInt64(2), to: 1000, by: 3)))
    }

    @Test func theEventsOfAShardKeepTheirGlobalIntendedTimes() {
        let pacer = Pacer(eventsPerSecondNumerator: 1000, denominator: 1)
        let c = config(threads: 1, shard: Shard(index: 1, count: 4), count: 12, pacer: pacer)
        var scheduler = Scheduler(plan: c.plan(thread: 0))
        var events: [Scheduler.Event] = []
        while let e = scheduler.next(atOffset: .max / 2) {
            events.append(e)
            scheduler.didFinish()
        }
        #expect(events.map(\.sequence) == [1, 5, 9])
        #expect(events.map(\.intendedOffsetNanos) == [1_000_000, 5_000_000, 9_000_000])
    }

    @Test func parsingNamesTheFlagAndWhatWorks() throws {
        #expect(try Shard.parse("3/4") == Shard(index: 3, count: 4))
        for (text, hint) in [("4/4", "0 to 3"), ("1", "I/N"), ("-1/4", "0 to 3"), ("0/0", "1 to 65536"), ("a/b", "I/N")] {
            do throws(ValidationError) {
                _ = try Shard.parse(text)
                Issue.record("--shard \(text) was accepted")
            } catch {
                #expect(error.message.contains("--shard") && error.message.contains(hint), "\(text): \(error.message)")
            }
        }
        #expect(try Shard.fromJobIndex(count: 4, environment: ["JOB_COMPLETION_INDEX": "2"]) == Shard(index: 2, count: 4))
        #expect(throws: (any Error).self) { try Shard.fromJobIndex(count: 4, environment: [:]) }
        #expect(throws: (any Error).self) { try Shard.fromJobIndex(count: 4, environment: ["JOB_COMPLETION_INDEX": "4"]) }
    }

    @Test func startTimesInBothForms() throws {
        #expect(try StartTime.parser("1796526000").unixNanos == 1_796_526_000_000_000_000)
        #expect(try StartTime.parser("1796526000.25").unixNanos == 1_796_526_000_250_000_000)
        #expect(try StartTime.parser("2026-12-06T03:00:00Z").unixNanos == 1_796_526_000_000_000_000)
        #expect(try StartTime.parser("2026-12-06T04:00:00.5+01:00").unixNanos == 1_796_526_000_500_000_000)
        #expect(throws: (any Error).self) { try StartTime.parser("tomorrow") }
        #expect(throws: (any Error).self) { try StartTime.parser("99999999999") }
    }
}
