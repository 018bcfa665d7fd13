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

    /// 99 → "99", 99.9 → "99.9", 0.00009 → "0.00009": the shortest plain decimal (never an exponent) that reads
    /// back as `p`, for a percentile from 0 to 100.
    static func percentileText(_ p: Double) -> String {
        guard p.isFinite, p >= 0, p <= 100 else { return String(p) }
        var scale = 1.0
        for decimals in 0...17 {
            let scaled = (p * scale).rounded()
            if scaled / scale == p || decimals == 17 {
                let digits = String(UInt64(scaled))
                guard decimals > 0 else { return digits }
                let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
                return padded.dropLast(decimals) + "." + padded.suffix(decimals)
            }
            scale *= 10
        }
        return String(p)
    }
}

/// How one threshold fared in a run.
struct ThresholdOutcome: Sendable, Equatable {
    let threshold: Threshold
    /// In the threshold's unit; nil when the run gave nothing to measure (nothing sent, no answer).
    let measured: Double?
    let held: Bool
}
