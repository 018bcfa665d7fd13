@testable import LoadGen

/// Headers and results for report tests.
enum ReportFixtures {
    static func header(kind: String = "dns", requestedRate: Double? = 20_000, netns: String? = "bench") -> ReportHeader {
        ReportHeader(kind: kind, eventNoun: kind == "dns" ? "queries" : "requests", threads: 2, netns: netns,
                     netnsInode: 4_026_532_000, requestedRate: requestedRate, concurrency: 10_000,
                     timeoutNanos: 5_000_000_000, count: nil, durationNanos: 10_000_000_000,
                     targets: ["127.0.0.1:53", "[::1]:5353"], targetsSource: "--server", transport: "udp",
                     workload: ["a.example.test A", "b.example.test AAAA", "c.example.test MX", "d.example.test TXT"])
    }

    /// Two threads: 200,000 sent; 199,990 answered (199,000 NOERROR, 990 NXDOMAIN); 6 timeouts; 3 refused; 1 cancelled.
    static func result(interrupted: Bool = false) -> RunResult {
        var a = ThreadResult()
        a.threadIndex = 0
        a.tid = 101
        a.netns = "bench"
        a.counters.sent = 100_000
        a.counters.completed = 99_995
        a.counters.timeouts = 3
        a.counters.recordError(.refused)
        a.counters.recordError(.refused)
        a.counters.codes = [0: 99_500, 3: 495]
        a.firstSentNanos = 1_000_000
        a.lastSentNanos = 10_000_950_000
        a.cpuNanos = 400_000_000
        var b = ThreadResult()
        b.threadIndex = 1
        b.tid = 102
        b.netns = "bench"
        b.counters.sent = 100_000
        b.counters.completed = 99_995
        b.counters.timeouts = 3
        b.counters.recordError(.refused)
        b.counters.cancelled = 1
        b.counters.codes = [0: 99_500, 3: 495]
        b.firstSentNanos = 1_050_000
        b.lastSentNanos = 10_001_000_000
        b.cpuNanos = 600_000_000
        // Response times 41 µs … 2.1 ms; service times a little lower.
        for i in 0..<99_995 {
            let us = UInt64(41 + i % 100)
            a.responseTime.record(us * 1_000)
            a.serviceTime.record((us - 1) * 1_000)
            b.responseTime.record((us + 20) * 1_000)
            b.serviceTime.record(us * 1_000)
        }
        a.responseTime.record(2_100_000)
        // A 10 s issuing window; the last answer came 1 ms after it.
        return RunResult(threads: [a, b], originNanos: 1_000_000, endNanos: 10_002_000_000,
                         windowNanos: 10_000_000_000, interrupted: interrupted)
    }
}
