import Foundation

/// What `loadgen plot` draws: the percentile spectrum of JSON reports (as HdrHistogram's plotter: x = 1/(1−p) on
/// a log scale, one line per run, response time solid and service time dashed), or, from interval logs, p50, p99
/// and max per second over time and the answers per second.
enum Plots {
    /// The spectrum of `h`: values at percentiles spaced evenly in log10(1/(1−p)), up to where one value in the
    /// histogram stands for the tail, and the maximum at the end. Values in microseconds.
    static func spectrum(_ h: LatencyHistogram) -> [(x: Double, y: Double)] {
        guard h.count > 0 else { return [] }
        let top = max(1, log10(Double(h.count)))
        let steps = 60
        let xs = (0...steps).map { pow(10, top * Double($0) / Double(steps)) }
        // Every percentile from one walk of the histogram's buckets.
        let values = h.percentilesNanos(xs.map { 100 * (1 - 1 / $0) })
        var points = zip(xs, values).map { (x: $0, y: Double($1) / 1000) }
        points.append((pow(10, top), Double(h.maxNanos) / 1000))
        return points
    }

    static func spectrumChart(_ runs: [(name: String, result: RunResult)]) -> SVGChart {
        var chart = SVGChart(title: "Latency by percentile", xLabel: "percentile", yLabel: "latency (µs)", percentileAxis: true)
        for run in runs {
            chart.series.append(.init(name: "\(run.name): response time", points: spectrum(run.result.responseTime)))
            chart.series.append(.init(name: "\(run.name): service time", points: spectrum(run.result.serviceTime), dashed: true))
        }
        return chart
    }

    /// Two charts from interval logs: p50/p99/max of the `response` intervals (or untagged ones) in ms over time,
    /// and answers per second (intervals shorter than a quarter second, the run's last moments, left out). Each
    /// log's time axis starts at its own first interval, so runs made at different times overlay.
    static func timeCharts(_ logs: [(name: String, log: HlogFile)]) -> [SVGChart] {
        var latency = SVGChart(title: "Response time per second", xLabel: "seconds since the start", yLabel: "latency (ms)")
        var rate = SVGChart(title: "Answers per second", xLabel: "seconds since the start", yLabel: "answers / s")
        for (name, log) in logs {
            let origin = log.intervals.map(\.start).min() ?? 0
            let tags = Set(log.intervals.map { $0.tag ?? "" })
            let tag = tags.contains("response") ? "response" : (tags.sorted().first ?? "")
            let intervals = log.intervals.filter { ($0.tag ?? "") == tag }
            var p50: [(x: Double, y: Double)] = [], p99: [(x: Double, y: Double)] = [], top: [(x: Double, y: Double)] = []
            var perSecond: [(x: Double, y: Double)] = []
            for interval in intervals where interval.length > 0 {
                let x = interval.start - origin
                if interval.length >= 0.25 { perSecond.append((x, Double(interval.histogram.totalCount) / interval.length)) }
                guard interval.histogram.totalCount > 0 else { continue }
                let h = histogram(interval)
                p50.append((x, Double(h.percentileNanos(50)) / 1e6))
                p99.append((x, Double(h.percentileNanos(99)) / 1e6))
                top.append((x, Double(h.maxNanos) / 1e6))
            }
            latency.series += [.init(name: "\(name): p50", points: p50), .init(name: "\(name): p99", points: p99),
                               .init(name: "\(name): max", points: top, dashed: true)]
            rate.series.append(.init(name: name, points: perSecond))
        }
        return [latency, rate]
    }

    /// An interval's histogram with its stated maximum.
    static func histogram(_ interval: HlogFile.Interval) -> LatencyHistogram {
        let d = interval.histogram
        let lowest = d.buckets.first.map { d.layout.value(at: $0.index) } ?? 0
        return LatencyHistogram(decoded: d, minNanos: lowest, maxNanos: interval.maxNanos, meanNanos: 0, stdDeviationNanos: 0,
                                overRange: 0)
    }
}
