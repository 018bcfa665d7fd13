/// The step table of shaped runs (`--steps`, `--ramp`) as two charts: requested and achieved rate per step window,
/// and the windows' response time p50 and p99, over the seconds since the origin (the plan's offsets).
extension Plots {
    /// Nothing when no run is shaped.
    static func stepCharts(_ runs: [(name: String, header: ReportHeader, result: RunResult)]) -> [SVGChart] {
        var rate = SVGChart(title: "Rate per step", xLabel: "seconds since the start", yLabel: "events / s")
        var latency = SVGChart(title: "Response time per step", xLabel: "seconds since the start", yLabel: "latency (ms)")
        for run in runs {
            guard let plan = run.header.steps, let parts = run.result.steps, parts.count == plan.windows.count else { continue }
            let runWindow = UInt64(run.result.durationSeconds * 1e9)
            var requested: [(x: Double, y: Double)] = [], achieved: [(x: Double, y: Double)] = []
            var p50: [(x: Double, y: Double)] = [], p99: [(x: Double, y: Double)] = []
            for (window, part) in zip(plan.windows, parts) {
                let (start, end) = (Double(window.startNanos) / 1e9, Double(window.endNanos) / 1e9)
                requested += [(start, window.fromRate), (end, window.toRate)]
                let covered = StepReport.coveredNanos(window, runWindowNanos: runWindow)
                guard covered > 0 else { continue }
                let middle = start + Double(covered) / 2e9
                achieved.append((middle, StepReport.achievedRate(part, window, runWindowNanos: runWindow)))
                let h = part.events.responseTime
                guard !h.isEmpty else { continue }
                let values = h.percentilesNanos([50, 99])
                p50.append((middle, Double(values[0]) / 1e6))
                p99.append((middle, Double(values[1]) / 1e6))
            }
            rate.series += [.init(name: "\(run.name): requested", points: requested, dashed: true),
                            .init(name: "\(run.name): achieved", points: achieved)]
            latency.series += [.init(name: "\(run.name): p50", points: p50), .init(name: "\(run.name): p99", points: p99)]
        }
        return rate.series.isEmpty ? [] : [rate, latency]
    }
}
