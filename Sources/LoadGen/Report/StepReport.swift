import Foundation

/// A shaped run's parts (`--steps`, `--ramp`): per window of `StepPlan` — a held step, a second of a ramp, the hold
/// after the shape — what was asked (requested rate, intended events), what went out (sent, achieved rate), what
/// came of it, and the window's response and service times. Events belong to the window of their intended time,
/// so a window's counts add up as the run's do: `intended == sent + not_sent`,
/// `sent == completed + timeouts + errors + cancelled`.
enum StepReport {
    /// The span of `window` that the run's issuing window covered (a stopped run cuts the last ones short).
    static func coveredNanos(_ window: StepPlan.Window, runWindowNanos: UInt64) -> UInt64 {
        guard runWindowNanos > window.startNanos else { return 0 }
        return min(window.endNanos, runWindowNanos) - window.startNanos
    }

    static func achievedRate(_ part: StepPart, _ window: StepPlan.Window, runWindowNanos: UInt64) -> Double {
        let covered = coveredNanos(window, runWindowNanos: runWindowNanos)
        return covered == 0 ? 0 : Double(part.events.sent) / (Double(covered) / 1e9)
    }

    static func json(_ plan: StepPlan, _ parts: [StepPart], runWindowNanos: UInt64) -> JSON {
        .array(zip(plan.windows, parts).map { window, part in
            .object([
                ("step", .int(Int64(window.step))),
                ("start_s", JSONReport.precise(Double(window.startNanos) / 1e9)),
                ("end_s", JSONReport.precise(Double(window.endNanos) / 1e9)),
                ("rate_from", .double(window.fromRate)),
                ("rate_to", .double(window.toRate)),
                ("intended", .uint(part.intended)),
                ("sent", .uint(part.events.sent)),
                ("not_sent", .uint(part.notSent)),
                ("completed", .uint(part.events.completed)),
                ("timeouts", .uint(part.events.timeouts)),
                ("errors", .uint(part.events.errors)),
                ("cancelled", .uint(part.events.cancelled)),
                ("achieved_rate", .double(achievedRate(part, window, runWindowNanos: runWindowNanos))),
                // The top level's latency objects: percentiles, and the whole (two-digit) histogram as `hdr`, so that
                // `loadgen merge` adds the steps of shards up exactly.
                ("latency_us", JSONReport.latency(part.events.responseTime)),
                ("service_time_us", JSONReport.latency(part.events.serviceTime)),
            ])
        })
    }

    /// The text table: one line per window.
    static func text(_ plan: StepPlan, _ parts: [StepPart], shape: String?, runWindowNanos: UInt64) -> [String] {
        var lines = ["  steps     \(shape ?? "shaped rate"); by intended time (response time p50 / p99 / max)"]
        let titles = ["step", "from", "to", "requested", "achieved", "intended", "sent", "not_sent", "completed",
                      "timeouts", "errors", "p50", "p99", "max"]
        lines.append("  " + zip(titles, widths).map { Wording.pad($0, $1) }.joined(separator: " "))
        for (window, part) in zip(plan.windows, parts) {
            let requested = window.fromRate == window.toRate
                ? Wording.rate(window.fromRate) : "\(Wording.rate(window.fromRate))..\(Wording.rate(window.toRate))"
            let step = window.step == 0 ? "hold" : String(window.step)
            let h = part.events.responseTime
            let latency = [h.percentileNanos(50), h.percentileNanos(99), h.maxNanos].map {
                h.isEmpty ? "-" : TextReport.duration(Double($0))
            }
            let cells: [String] = [
                step, seconds(window.startNanos), seconds(window.endNanos), requested,
                String(format: "%.1f", achievedRate(part, window, runWindowNanos: runWindowNanos)),
                String(part.intended), String(part.events.sent), String(part.notSent), String(part.events.completed),
                String(part.events.timeouts), String(part.events.errors), latency[0], latency[1], latency[2],
            ]
            lines.append("  " + zip(cells, widths).map { Wording.pad($0, $1) }.joined(separator: " "))
        }
        return lines
    }

    private static let widths = [6, 9, 9, 11, 10, 9, 9, 9, 9, 9, 9, 9, 9, 9]

    private static func seconds(_ nanos: UInt64) -> String { String(format: "%.3fs", Double(nanos) / 1e9) }
}
