import Foundation

enum FindMaxReport {
    static func json(_ s: FindMaxSummary) -> JSON {
        .object([
            ("max_rate", s.maxRate.map(JSON.double) ?? .null),
            ("max_loss", .double(s.maxLoss)),
            ("max_latency", .object(s.latencyLimits.map { ($0.name, .double($0.limit)) })),
            ("step_duration_s", .double(s.stepSeconds)),
            ("steps", .array(s.rows.map { row in
                .object([
                    ("rate", .double(row.rate)), ("intended", .uint(row.intended)), ("sent", .uint(row.sent)),
                    ("completed", .uint(row.completed)), ("timeouts", .uint(row.timeouts)), ("errors", .uint(row.errors)),
                    ("not_sent", .uint(row.notSent)), ("achieved_rate", .double(row.achievedRate)), ("loss", .double(row.loss)),
                    // The whole histogram (as the top level's) when the row has it: shards' searches merge exactly.
                    ("latency_us", row.responseTime.map(JSONReport.latency)
                        ?? .object([("p50", .double(Double(row.p50Nanos) / 1000)), ("p99", .double(Double(row.p99Nanos) / 1000)),
                                    ("max", .double(Double(row.maxNanos) / 1000))])),
                    ("held", .bool(row.failure == nil)), ("failure", row.failure.map(JSON.string) ?? .null),
                ])
            })),
        ])
    }

    static func text(_ s: FindMaxSummary) -> [String] {
        let found = s.maxRate.map { "\(Wording.rate($0))/s is the highest rate that held" } ?? "no rate held"
        var lines = ["  find-max  \(found) (steps of \(String(format: "%g", s.stepSeconds)) s; a step holds with loss at most \(Wording.rate(s.maxLoss * 100))%\(s.latencyLimits.isEmpty ? "" : " and its latency limits"))"]
        lines.append("      rate    achieved      sent  completed  timeouts    errors  not_sent     loss        p50        p99        max  verdict")
        for row in s.rows {
            let cells = [
                Wording.pad(Wording.rate(row.rate), 10), Wording.pad(String(format: "%.1f", row.achievedRate), 11), Wording.pad(String(row.sent), 9),
                Wording.pad(String(row.completed), 10), Wording.pad(String(row.timeouts), 9), Wording.pad(String(row.errors), 9), Wording.pad(String(row.notSent), 9),
                Wording.pad(String(format: "%.3f%%", row.loss * 100), 8),
                Wording.pad(TextReport.duration(Double(row.p50Nanos)), 10), Wording.pad(TextReport.duration(Double(row.p99Nanos)), 10),
                Wording.pad(TextReport.duration(Double(row.maxNanos)), 10), " " + (row.failure.map { "failed: \($0)" } ?? "held"),
            ]
            lines.append("  " + cells.joined(separator: " "))
        }
        return lines
    }
}
