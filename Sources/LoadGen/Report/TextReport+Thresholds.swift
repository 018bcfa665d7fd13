import Foundation

extension TextReport {
    /// "  thresholds 1 of 3 failed" and one line per threshold, failures first; nothing without thresholds.
    static func thresholds(_ outcomes: [ThresholdOutcome]) -> [String] {
        guard !outcomes.isEmpty else { return [] }
        let failed = outcomes.filter { !$0.held }
        let summary = failed.isEmpty
            ? "all \(outcomes.count) held"
            : "\(failed.count) of \(outcomes.count) failed" + (failed.count < outcomes.count ? " (the others held)" : "")
        var lines = ["  thresholds \(summary)"]
        for outcome in failed + outcomes.filter(\.held) {
            let verdict = outcome.held ? "held  " : "FAILED"
            let name = outcome.threshold.name.padding(toLength: 20, withPad: " ", startingAt: 0)
            lines.append("    \(verdict) \(name) measured \(value(outcome.measured, outcome.threshold)), limit \(comparison(outcome.threshold)) \(value(outcome.threshold.limit, outcome.threshold))")
        }
        return lines
    }

    /// "<=" or ">=": which side of the limit holds.
    static func comparison(_ threshold: Threshold) -> String {
        if case .minRateRatio = threshold { return ">=" }
        return "<="
    }

    /// A measured or limit value in the threshold's unit: a ratio with four decimals, or a duration.
    static func value(_ value: Double?, _ threshold: Threshold) -> String {
        guard let value else { return "nothing (no events to measure)" }
        if case .maxLatency = threshold { return duration(value * 1000) }
        return String(format: "%.4f", value)
    }
}
