/// A limit a run must hold, given on the command line (k6's thresholds are the model); a breach makes the run
/// exit 4 after its report.
enum Threshold: Sendable, Equatable {
    /// `--max-error-ratio R`: (errors + timeouts) / sent must be at most R.
    case maxErrorRatio(Double)
    /// `--min-rate-ratio R`: achieved rate / requested rate must be at least R (open loop only).
    case minRateRatio(Double)
    /// `--max-latency pNN=DUR`: the response time at percentile `percentile` must be at most `nanos`.
    case maxLatency(percentile: Double, nanos: UInt64)

    /// The name in reports and JSON: `max_error_ratio`, `min_rate_ratio`, `max_latency_p99.9`.
    var name: String {
        switch self {
        case .maxErrorRatio: "max_error_ratio"
        case .minRateRatio: "min_rate_ratio"
        case .maxLatency(let p, _): "max_latency_p\(Threshold.percentileText(p))"
        }
    }

    /// The limit in the report's unit: a ratio, or microseconds for latencies.
    var limit: Double {
        switch self {
        case .maxErrorRatio(let r), .minRateRatio(let r): r
        case .maxLatency(_, let nanos): Double(nanos) / 1000
        }
    }

    /// "ratio" or "us".
    var unit: String {
        if case .maxLatency = self { return "us" }
        return "ratio"
    }

    /// 99 → "99", 99.9 → "99.9", 99.99 → "99.99".
    static func percentileText(_ p: Double) -> String {
        p == p.rounded() ? String(Int(p)) : String(p)
    }
}

/// How one threshold fared in a run.
struct ThresholdOutcome: Sendable, Equatable {
    let threshold: Threshold
    /// In the threshold's unit; nil when the run gave nothing to measure (nothing sent, no answer).
    let measured: Double?
    let held: Bool
}

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
