import Glibc
import Testing
@testable import LoadGen

@Suite struct VerifyJoinTests {
    private func unit(_ seq: UInt64, _ key: String?, netns: UInt64? = nil, wall: Int64? = nil) -> VerifyUnit {
        VerifyUnit(seq: seq, key: key, netns: netns, sent: SentTimes(wallNanos: wall))
    }

    private func record(_ key: String, line: Int = 1, netns: UInt64? = nil, side: ObservedSide = .sent, wall: Int64? = nil) -> ObservedRecord {
        ObservedRecord(line: line, key: key, netns: netns, side: side, time: wall.map { ObservedTime(clock: .wall, nanos: $0) })
    }

    @Test func multiplicityNeedsOneObservationPerGeneratedKey() {
        let units = [unit(0, "a"), unit(1, "a"), unit(2, "a"), unit(3, "b")]
        let join = VerifyJoin(units: units, observed: [record("a"), record("b"), record("a")])
        #expect(join.matched == 3)
        #expect(join.missed == [2], "the latest seq of the key is the one left over")
        #expect(join.duplicates == 0 && join.unexpected == 0)

        let more = VerifyJoin(units: units, observed: [record("a"), record("a"), record("a"), record("a"), record("b"), record("c", line: 9)])
        #expect(more.matched == 4 && more.missed.isEmpty)
        #expect(more.duplicates == 1)
        #expect(more.duplicateSamples.map(\.generated) == [3])
        #expect(more.unexpected == 1 && more.unexpectedSamples == [5])
    }

    @Test func missedComeInSeqOrderWhateverTheLogOrder() {
        let units = [unit(5, "e"), unit(1, "a"), unit(3, "c"), unit(2, "b"), unit(4, "d")]
        let join = VerifyJoin(units: units, observed: [record("c")])
        #expect(join.missed.map { units[$0].seq } == [1, 2, 4, 5])
    }

    @Test func unkeyedUnitsAreMissed() {
        let join = VerifyJoin(units: [unit(0, nil), unit(1, "a")], observed: [record("a")])
        #expect(join.matched == 1 && join.missed == [0])
    }

    @Test func netnsOnlyBindsTheSendingSide() {
        let units = [unit(0, "a", netns: 1), unit(1, "a", netns: 2), unit(2, "b")]
        let join = VerifyJoin(units: units, observed: [
            record("a", netns: 2), record("a", netns: 3, side: .received), record("b", netns: 7), record("a", netns: 2),
        ])
        #expect(join.matchedUnits == [true, true, true])
        #expect(join.matchedReceivedOnly == 1, "seq 0: only the received copy (another netns is fine there)")
        #expect(join.duplicates == 1, "the second netns-2 observation")
        #expect(join.unexpected == 0, "b: the event has no netns, so any namespace matches")
    }

    @Test func delaysPerMatchedUnit() {
        let units = (0..<100).map { unit(UInt64($0), "k\($0)", wall: Int64($0) * 1000) }
        let records = (0..<100).map { record("k\($0)", wall: Int64($0) * 1000 + Int64($0 + 1) * 10) }
        let join = VerifyJoin(units: units, observed: records)
        let summary = ObserveDelaySummary(join.delays)
        #expect(summary == ObserveDelaySummary(count: 100, min: 10, p50: 500, p90: 900, p99: 990, max: 1000))
        #expect(join.delayClocks == [.wall])
    }

    @Test func delaySummaryOfFewValues() {
        #expect(ObserveDelaySummary([]) == nil)
        #expect(ObserveDelaySummary([-5]) == ObserveDelaySummary(count: 1, min: -5, p50: -5, p90: -5, p99: -5, max: -5))
        #expect(ObserveDelaySummary([3, 1, 2]) == ObserveDelaySummary(count: 3, min: 1, p50: 2, p90: 3, p99: 3, max: 3))
    }

    /// This thread's CPU time: what the join costs, whatever else the parallel suite makes the CPUs do meanwhile
    /// (wall time is not: with the suite's loadgen runs sharing the 2 CPUs a join once took 12 s of wall time).
    private static func threadCPU() -> Duration {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return .seconds(t.tv_sec) + .nanoseconds(t.tv_nsec)
    }

    /// Joins `count` generated queries with a capture missing every 1000th; returns the CPU time the join took.
    private func timedJoin(_ count: Int) throws -> Duration {
        let events = VerifySamples.dnsEvents(count)
        var observed = VerifySamples.tsharkHeader + "\n"
        for i in 0..<count where i % 1000 != 7 {
            observed += VerifySamples.tsharkRow(id: (0x1000 + i) & 0xFFFF, name: "q\(i).example.test", seq: i) + "\n"
        }
        var report: VerifyReport?
        let start = Self.threadCPU()
        report = try Verifier.run(events: events, observed: observed, options: VerifyOptions(format: .tsharkFields))
        let elapsed = Self.threadCPU() - start
        #expect(report?.generated == count)
        #expect(report?.missed == count / 1000)
        #expect(report?.missedSamples.first?.seq == 7)
        return elapsed
    }

    @Test("the join is linear: 4× the events take well under 10× the time (a quadratic scan takes 16×)")
    func joinScalesLinearly() throws {
        _ = try timedJoin(2_000)  // warm-up
        let small = try timedJoin(25_000), large = try timedJoin(100_000)
        // A ratio of CPU times, not a wall-clock bound: it holds in debug, sanitizer and release builds on a busy machine.
        #expect(large < small * 10 + .milliseconds(300), "25,000 events: \(small), 100,000: \(large)")
    }
}

extension ObserveDelaySummary {
    init(count: Int, min: Int64, p50: Int64, p90: Int64, p99: Int64, max: Int64) {
        self = ObserveDelaySummary([min])!
        self.count = count
        self.min = min
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.max = max
    }
}
