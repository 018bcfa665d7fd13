import Testing
@testable import LoadGen

@Suite struct ThresholdsTests {
    /// A run of `sent` events with `errors` refusals and `timeouts` timeouts over a 1 s window; every completed
    /// event took `latencyNanos`.
    private func result(sent: UInt64, errors: UInt64 = 0, timeouts: UInt64 = 0, latencyNanos: UInt64 = 1_000_000,
                        windowNanos: UInt64 = 1_000_000_000) -> RunResult {
        var t = ThreadResult()
        t.counters.sent = sent
        for _ in 0..<errors { t.counters.recordError(.refused, atNanos: 5) }
        for _ in 0..<timeouts { t.counters.recordTimeout(atNanos: 7) }
        t.counters.completed = sent - errors - timeouts
        for _ in 0..<t.counters.completed { t.responseTime.record(latencyNanos) }
        return RunResult(threads: [t], originNanos: 1, endNanos: windowNanos + 1, windowNanos: windowNanos)
    }

    @Test("error ratio: (errors + timeouts) / sent; equal to the limit holds, a hair above fails", arguments: [
        (100, 1, 0, 0.01, true), (100, 0, 1, 0.01, true), (100, 1, 1, 0.01, false), (100, 0, 0, 0, true),
        (100, 1, 0, 0, false), (3, 1, 0, 1.0 / 3, true), (100, 50, 50, 1, true), (1000, 10, 0, 0.0099, false),
    ] as [(UInt64, UInt64, UInt64, Double, Bool)])
    func errorRatio(sent: UInt64, errors: UInt64, timeouts: UInt64, limit: Double, held: Bool) {
        let outcome = Thresholds.evaluate([.maxErrorRatio(limit)], result(sent: sent, errors: errors, timeouts: timeouts),
                                          requestedRate: nil)[0]
        #expect(outcome.measured == Double(errors + timeouts) / Double(sent))
        #expect(outcome.held == held, "\(outcome)")
    }

    @Test("rate ratio: achieved / requested; equal to the limit holds", arguments: [
        (1000, 2000.0, 0.5, true), (999, 2000.0, 0.5, false), (2000, 2000.0, 1, true), (1999, 2000.0, 1, false),
        (1000, 1000.0, 0.99, true),
    ] as [(UInt64, Double, Double, Bool)])
    func rateRatio(sent: UInt64, requested: Double, limit: Double, held: Bool) {
        let outcome = Thresholds.evaluate([.minRateRatio(limit)], result(sent: sent), requestedRate: requested)[0]
        #expect(outcome.measured == Double(sent) / requested)
        #expect(outcome.held == held, "\(outcome)")
    }

    @Test("latency: the response-time percentile against the limit; equal holds, one bucket above fails")
    func latency() {
        // 1 ms is exact in the histogram (3 significant digits), so p99 reads back as 1,000,000 ns.
        let r = result(sent: 100, latencyNanos: 1_000_000)
        #expect(r.responseTime.percentileNanos(99) == 1_000_000)
        let outcomes = Thresholds.evaluate([.maxLatency(percentile: 99, nanos: 1_000_000),
                                            .maxLatency(percentile: 99, nanos: 999_999),
                                            .maxLatency(percentile: 100, nanos: 2_000_000)], r, requestedRate: nil)
        #expect(outcomes.map(\.held) == [true, false, true])
        #expect(outcomes[0].measured == 1000, "in microseconds")
        #expect(outcomes[1].threshold.limit == 999.999)
    }

    @Test("nothing to measure: no answer, nothing sent or no requested rate — never a pass")
    func nothingToMeasure() {
        let empty = result(sent: 0)
        let outcomes = Thresholds.evaluate([.maxErrorRatio(1), .maxLatency(percentile: 50, nanos: 1)], empty, requestedRate: nil)
        #expect(outcomes.allSatisfy { $0.measured == nil && !$0.held })
        let closed = Thresholds.evaluate([.minRateRatio(0.5)], result(sent: 10), requestedRate: nil)[0]
        #expect(closed.measured == nil && !closed.held)
        let allFailed = Thresholds.evaluate([.maxLatency(percentile: 99, nanos: 1_000_000)], result(sent: 5, errors: 5), requestedRate: nil)[0]
        #expect(allFailed.measured == nil && !allFailed.held)
    }

    @Test func allHeldWithoutThresholds() {
        #expect(Thresholds.allHeld([]))
        let outcomes = Thresholds.evaluate([.maxErrorRatio(0.5), .maxErrorRatio(0)], result(sent: 10, errors: 1), requestedRate: nil)
        #expect(!Thresholds.allHeld(outcomes))
        #expect(Thresholds.allHeld([outcomes[0]]))
    }

    @Test("names and units as JSON shows them", arguments: [
        (Threshold.maxErrorRatio(0.01), "max_error_ratio", 0.01, "ratio"),
        (Threshold.minRateRatio(0.99), "min_rate_ratio", 0.99, "ratio"),
        (Threshold.maxLatency(percentile: 99, nanos: 5_000_000), "max_latency_p99", 5000, "us"),
        (Threshold.maxLatency(percentile: 99.9, nanos: 20_000_000), "max_latency_p99.9", 20_000, "us"),
        (Threshold.maxLatency(percentile: 99.99, nanos: 1_500), "max_latency_p99.99", 1.5, "us"),
    ])
    func names(threshold: Threshold, name: String, limit: Double, unit: String) {
        #expect(threshold.name == name)
        #expect(threshold.limit == limit)
        #expect(threshold.unit == unit)
    }
}
