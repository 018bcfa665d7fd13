/// Pure evaluation of thresholds against a run's result.
enum Thresholds {
    static func evaluate(_ thresholds: [Threshold], _ result: RunResult, requestedRate: Double?) -> [ThresholdOutcome] {
        thresholds.map { threshold in
            let measured = measure(threshold, result, requestedRate: requestedRate)
            return ThresholdOutcome(threshold: threshold, measured: measured,
                                    held: measured.map { holds(threshold, measured: $0) } ?? false)
        }
    }

    /// The value a threshold is compared with, in its unit; nil when there is nothing to measure.
    static func measure(_ threshold: Threshold, _ result: RunResult, requestedRate: Double?) -> Double? {
        let c = result.counters
        switch threshold {
        case .maxErrorRatio:
            guard c.sent > 0 else { return nil }
            return Double(c.errors + c.timeouts) / Double(c.sent)
        case .minRateRatio:
            guard let requestedRate, requestedRate > 0 else { return nil }
            return result.achievedRate / requestedRate
        case .maxLatency(let p, _):
            guard !result.responseTime.isEmpty else { return nil }
            return Double(result.responseTime.percentileNanos(p)) / 1000
        }
    }

    /// Whether `measured` keeps within the limit; a value equal to the limit holds.
    static func holds(_ threshold: Threshold, measured: Double) -> Bool {
        switch threshold {
        case .maxErrorRatio(let limit): measured <= limit
        case .minRateRatio(let limit): measured >= limit
        case .maxLatency: measured <= threshold.limit
        }
    }

    /// True when every threshold held (also when there are none).
    static func allHeld(_ outcomes: [ThresholdOutcome]) -> Bool {
        outcomes.allSatisfy(\.held)
    }
}
