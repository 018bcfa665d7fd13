import Testing
@testable import LoadGen

@Suite struct RunResultTests {
    private func thread(_ index: Int, sent: UInt64, completed: UInt64, timeouts: UInt64 = 0, refused: UInt64 = 0,
                        cancelled: UInt64 = 0, codes: [Int: UInt64] = [:], latencyNanos: UInt64 = 100_000,
                        firstSent: UInt64, lastSent: UInt64, cpu: UInt64) -> ThreadResult {
        var t = ThreadResult()
        t.threadIndex = index
        t.counters.sent = sent
        t.counters.completed = completed
        t.counters.timeouts = timeouts
        t.counters.cancelled = cancelled
        for _ in 0..<refused { t.counters.recordError(.refused) }
        t.counters.codes = codes
        for _ in 0..<completed {
            t.responseTime.record(latencyNanos)
            t.serviceTime.record(latencyNanos / 2)
        }
        t.firstSentNanos = firstSent
        t.lastSentNanos = lastSent
        t.cpuNanos = cpu
        t.socketsOpened = 1
        t.truncated = 1
        t.bytesReceived = completed * 40
        return t
    }

    @Test func mergesThreadsIntoTotals() {
        let a = thread(0, sent: 1_000, completed: 990, timeouts: 5, refused: 3, cancelled: 2, codes: [0: 980, 3: 10],
                       latencyNanos: 100_000, firstSent: 5_000_000, lastSent: 1_004_000_000, cpu: 40_000_000)
        let b = thread(1, sent: 1_001, completed: 1_001, codes: [0: 1_001],
                       latencyNanos: 300_000, firstSent: 4_000_000, lastSent: 1_003_000_000, cpu: 60_000_000)
        let r = RunResult(threads: [a, b], originNanos: 4_000_000, endNanos: 1_104_000_000, windowNanos: 1_000_500_000)
        #expect(r.threads.count == 2)
        #expect(r.counters.sent == 2_001)
        #expect(r.counters.completed == 1_991)
        #expect(r.counters.timeouts == 5)
        #expect(r.counters.errors == 3)
        #expect(r.counters.errorCount(.refused) == 3)
        #expect(r.counters.cancelled == 2)
        #expect(r.counters.codes == [0: 1_981, 3: 10])
        #expect(r.counters.balanced)
        #expect(r.responseTime.count == 1_991)
        #expect(r.serviceTime.count == 1_991)
        #expect(r.cpuNanos == 100_000_000)
        #expect(r.socketsOpened == 2)
        #expect(r.truncated == 2)
        #expect(r.bytesReceived == 1_991 * 40)
        #expect(r.firstSentNanos == 4_000_000, "earliest first send")
        #expect(r.lastSentNanos == 1_004_000_000, "latest last send")
        #expect(!r.interrupted)
        // Issuing window 1.0005 s for 2001 sends: sent / duration_s, not the first-to-last send span.
        #expect(abs(r.achievedRate - 2_001 / 1.0005) < 1e-9)
        #expect(abs(r.durationSeconds - 1.0005) < 1e-12)
        #expect(abs(r.runSeconds - 1.1) < 1e-12)
        #expect(abs(r.throughput - 1_991 / 1.1) < 1e-9)
        // 100 ms of CPU for 2001 events.
        #expect(abs(r.cpuMillisPerThousand - 100.0 / 2.001) < 1e-9)
    }

    @Test func threadThatSentNothingDoesNotPullTheWindowToZero() {
        let idle = thread(0, sent: 0, completed: 0, firstSent: 0, lastSent: 0, cpu: 1_000)
        let busy = thread(1, sent: 11, completed: 11, firstSent: 2_000_000_000, lastSent: 2_010_000_000, cpu: 2_000)
        let r = RunResult(threads: [idle, busy], originNanos: 1_000_000_000, endNanos: 3_000_000_000)
        #expect(r.firstSentNanos == 2_000_000_000)
        #expect(r.lastSentNanos == 2_010_000_000)
        #expect(abs(r.achievedRate - 5.5) < 1e-9, "11 sends over the 2 s run (no window given)")
        let reversed = RunResult(threads: [busy, idle], originNanos: 1_000_000_000, endNanos: 3_000_000_000)
        #expect(reversed.firstSentNanos == 2_000_000_000)
    }

    @Test func aRunThatSentAThirdReportsAThirdOfTheRate() {
        // The server died after 1 s of a 3 s window at 2000/s: 1962 sent, the rest not sent for want of a connection.
        var t = thread(0, sent: 1_962, completed: 1_962, firstSent: 1, lastSent: 980_000_000, cpu: 0)
        t.counters.recordNotSent(.noConnection, count: 4_038, atNanos: 1_000_000_000)
        let r = RunResult(threads: [t], originNanos: 0, endNanos: 4_000_000_000, windowNanos: 3_000_000_000)
        #expect(r.durationSeconds == 3)
        #expect(abs(r.achievedRate - 654) < 1e-9)
        #expect(r.counters.intended == 6_000)
        #expect(r.counters.notSentCount(.noConnection) == 4_038)
        #expect(r.counters.firstNotSentNanos[NotSentReason.noConnection.rawValue] == 1_000_000_000)
    }

    @Test func achievedRateFallsBackToTheDurationForOneEvent() {
        let one = thread(0, sent: 1, completed: 1, firstSent: 10, lastSent: 10, cpu: 0)
        let r = RunResult(threads: [one], originNanos: 0, endNanos: 500_000_000)
        #expect(r.achievedRate == 2, "1 event over 0.5 s")
        let none = RunResult(threads: [], originNanos: 0, endNanos: 0)
        #expect(none.achievedRate == 0)
        #expect(none.throughput == 0)
        #expect(none.durationSeconds == 0)
        #expect(none.cpuMillisPerThousand == 0)
        #expect(none.counters.balanced)
        let backwards = RunResult(threads: [], originNanos: 10, endNanos: 5)
        #expect(backwards.durationSeconds == 0)
    }

    @Test func interruptedIsKept() {
        let r = RunResult(threads: [], originNanos: 0, endNanos: 1, interrupted: true)
        #expect(r.interrupted)
    }

    @Test func mergedPercentilesCoverBothThreads() {
        let fast = thread(0, sent: 900, completed: 900, latencyNanos: 2_000_000, firstSent: 1, lastSent: 2, cpu: 0)
        let slow = thread(1, sent: 100, completed: 100, latencyNanos: 20_000_000, firstSent: 1, lastSent: 2, cpu: 0)
        let r = RunResult(threads: [fast, slow], originNanos: 0, endNanos: 1)
        func near(_ value: UInt64, _ expected: UInt64) -> Bool { abs(Double(value) - Double(expected)) <= Double(expected) / 1000 }
        #expect(near(r.responseTime.percentileNanos(50), 2_000_000))
        #expect(near(r.responseTime.percentileNanos(90), 2_000_000))
        #expect(near(r.responseTime.percentileNanos(95), 20_000_000))
        #expect(near(r.serviceTime.minNanos, 1_000_000))
        #expect(near(r.serviceTime.maxNanos, 10_000_000))
    }
}
