import Foundation

/// `--progress-json`: one JSON line per second of the run on stderr, for job logs and dashboards. Each line is a
/// second every loop thread has finished (from the interval log): the totals so far (`intended`, `sent`,
/// `completed`, `errors`, `timeouts`), that second's send rate, and the answers that completed in it with their
/// response time p50 and p99 in µs. The last line may cover less than a second.
struct ProgressJSON {
    let origin: UInt64
    private var lastSent: UInt64 = 0
    private var lastNanos: UInt64

    init(origin: UInt64) {
        self.origin = origin
        lastNanos = origin
    }

    /// Lines for the seconds just completed, with the totals the threads published by `now`.
    mutating func lines(_ seconds: [IntervalLog.Completed], cells: [ProgressCell], now: UInt64) -> String {
        guard !seconds.isEmpty else { return "" }
        let totals = ProgressPrinter.Totals(cells)
        // The send rate over the time since the previous line (the totals are read now, not at the second's end).
        let span = Double(now > lastNanos ? now - lastNanos : 0) / 1e9
        let rate = span > 0 ? Double(totals.sent >= lastSent ? totals.sent - lastSent : 0) / span : 0
        lastSent = totals.sent
        lastNanos = now
        var text = ""
        for second in seconds {
            let h = second.response
            let line: JSON = .object([
                ("second", .int(Int64(second.index))),
                ("elapsed_s", JSONReport.precise(Double(second.index) + second.lengthSeconds)),
                ("intended", .uint(totals.sent + totals.notSent)),
                ("sent", .uint(totals.sent)),
                ("completed", .uint(totals.completed)),
                ("errors", .uint(totals.errors)),
                ("timeouts", .uint(totals.timeouts)),
                ("rate", .double((rate * 10).rounded() / 10)),
                ("answers", .uint(h.count)),
                ("p50_us", .double(h.isEmpty ? 0 : Double(h.percentileNanos(50)) / 1000)),
                ("p99_us", .double(h.isEmpty ? 0 : Double(h.percentileNanos(99)) / 1000)),
            ])
            text += line.compact() + "\n"
        }
        return text
    }
}
