import Foundation
import Testing
@testable import LoadGen

/// A chart read back from loadgen's SVG: the plot area's transform and each line's data and pixel points.
struct PlottedChart {
    struct Line {
        var name: String
        var data: [(x: Double, y: Double)]
        var pixels: [(x: Double, y: Double)]
    }

    var xLog: Bool
    var xMin: Double, xMax: Double, yMax: Double
    var left: Double, top: Double, width: Double, height: Double
    var lines: [Line]

    /// Every `<g class="chart">` of `svg`, in order.
    static func charts(in svg: String) throws -> [PlottedChart] {
        try svg.components(separatedBy: "<g class=\"chart\"").dropFirst().map { try PlottedChart(block: $0) }
    }

    private init(block: String) throws {
        let head = String(block.prefix { $0 != ">" })
        func number(_ name: String, in text: String) throws -> Double {
            let value = try #require(PlottedChart.attribute(name, in: text), "\(name) missing")
            return try #require(Double(value), "\(name)=\(value)")
        }
        xLog = PlottedChart.attribute("data-x-log", in: head) == "true"
        xMin = try number("data-x-min", in: head)
        xMax = try number("data-x-max", in: head)
        yMax = try number("data-y-max", in: head)
        left = try number("data-left", in: head)
        top = try number("data-top", in: head)
        width = try number("data-width", in: head)
        height = try number("data-height", in: head)
        lines = []
        for element in block.components(separatedBy: "<polyline").dropFirst() {
            let name = try #require(PlottedChart.attribute("data-name", in: element))
            let data = try PlottedChart.pairs(try #require(PlottedChart.attribute("data-points", in: element)))
            let pixels = try PlottedChart.pairs(try #require(PlottedChart.attribute(" points", in: element)))
            lines.append(Line(name: name, data: data, pixels: pixels))
        }
    }

    func line(_ name: String) throws -> Line {
        try #require(lines.first { $0.name == name }, "no line \(name) in \(lines.map(\.name))")
    }

    /// Where a data point must be drawn, from the transform the chart states.
    func pixel(_ point: (x: Double, y: Double)) -> (x: Double, y: Double) {
        let f = xLog ? log10(point.x) / log10(xMax) : (point.x - xMin) / (xMax - xMin)
        return (left + f * width, top + height - point.y / yMax * height)
    }

    private static func attribute(_ name: String, in text: String) -> String? {
        guard let start = text.range(of: "\(name)=\"") else { return nil }
        let rest = text[start.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    private static func pairs(_ text: String) throws -> [(x: Double, y: Double)] {
        try text.split(separator: " ").map { pair in
            let parts = pair.split(separator: ",")
            try #require(parts.count == 2, "\(pair)")
            let x = try #require(Double(parts[0])), y = try #require(Double(parts[1]))
            return (x, y)
        }
    }
}

/// `loadgen plot`'s charts without processes: the spectrum's points are the histogram's percentiles at
/// x = 1/(1−p), every point is drawn where the stated transform puts it, and interval logs give p50, p99, max
/// and answers per second.
@Suite struct PlotTests {
    /// 1..10,000 µs, one value each: the value at percentile p is p% of 10,000 µs, whatever our histogram code says.
    private func uniform() -> LatencyHistogram {
        var h = LatencyHistogram()
        for v in 1...10_000 { h.record(UInt64(v) * 1_000) }
        return h
    }

    /// One thread whose response times are `h` and service times a tenth of them.
    private func result(_ h: LatencyHistogram) -> RunResult {
        var t = ThreadResult()
        t.responseTime = h
        var service = LatencyHistogram()
        for v in 1...100 { service.record(UInt64(v) * 1_000) }
        t.serviceTime = service
        return RunResult(threads: [t], originNanos: 0, endNanos: 1_000_000_000, windowNanos: 1_000_000_000, interrupted: false)
    }

    @Test func spectrumPointsAreThePercentilesOnTheNinesAxis() throws {
        let svg = SVGChart.document([Plots.spectrumChart([("uniform", result(uniform()))])])
        let chart = try #require(try PlottedChart.charts(in: svg).first)
        #expect(chart.xLog && chart.xMin == 1)
        let line = try chart.line("uniform: response time")
        #expect(line.data.count >= 50)
        #expect(line.data.first?.x == 1 && abs((line.data.last?.x ?? 0) - 10_000) < 1e-6, "x runs from p0 to 1/(1−p) = count")
        for point in line.data.dropLast() {
            let p = 1 - 1 / point.x
            let exact = max(1, (p * 10_000).rounded(.up))  // µs: the ceil(p·n)-th of 1..10,000
            #expect(abs(point.y - exact) <= exact / 500 + 0.01, "p\(p * 100): plotted \(point.y) µs, the data \(exact)")
        }
        #expect(line.data.last?.y == 10_000, "the spectrum ends at the exact maximum")
        try expectDrawnWhereStated(chart)
    }

    @Test func runsOverlayWithServiceTimeDashed() throws {
        var slow = LatencyHistogram()
        for v in 1...1_000 { slow.record(UInt64(v) * 5_000) }
        let svg = SVGChart.document([Plots.spectrumChart([("a", result(uniform())),
                                                          ("b", result(slow))])])
        let chart = try #require(try PlottedChart.charts(in: svg).first)
        #expect(chart.lines.map(\.name) == ["a: response time", "a: service time", "b: response time", "b: service time"])
        #expect(try chart.line("b: response time").data.last?.y == 5_000)
        #expect(chart.yMax >= 10_000, "one y axis holds both runs")
        #expect(svg.components(separatedBy: "stroke-dasharray").count - 1 == 4, "two dashed lines and their legend keys")
    }

    @Test func intervalLogsGiveLatencyAndRateOverTime() throws {
        var text = "#[Histogram log format version 1.3]\n#[StartTime: 1000.000 (seconds since epoch), x]\n"
        text += "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
        for second in 0..<3 {
            var h = LatencyHistogram()
            for v in 1...(100 * (second + 1)) { h.record(UInt64(v) * 10_000 * UInt64(second + 1)) }
            text += IntervalLog.line(tag: "response", start: Double(second), length: 1, h)
            text += IntervalLog.line(tag: "service", start: Double(second), length: 1, h)
        }
        text += IntervalLog.line(tag: "response", start: 3, length: 0.1, { var h = LatencyHistogram(); h.record(1_000); return h }())
        let log = try HlogFile(parsing: text, source: "run.hlog")
        let charts = try PlottedChart.charts(in: SVGChart.document(Plots.timeCharts([("run", log)])))
        try #require(charts.count == 2)
        let p99 = try charts[0].line("run: p99"), top = try charts[0].line("run: max")
        #expect(p99.data.map(\.x) == [0, 1, 2, 3])
        for (second, point) in p99.data.prefix(3).enumerated() {
            let n = Double(100 * (second + 1)), scale = Double(second + 1) * 0.01  // ms per value
            #expect(abs(point.y - (0.99 * n).rounded(.up) * scale) <= scale * n / 500, "second \(second): \(point.y) ms")
            #expect(abs(top.data[second].y - n * scale) < 1e-9, "second \(second): max \(top.data[second].y) ms")
        }
        let rate = try charts[1].line("run")
        #expect(rate.data.map(\.y) == [100, 200, 300], "answers per second; the last 0.1 s left out")
        for chart in charts { try expectDrawnWhereStated(chart) }
    }

    @Test func numbersAndTextAreSafeInSVG() {
        #expect(SVGChart.escape("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;")
        #expect(SVGChart.niceCeiling(3.2) == 5 && SVGChart.niceCeiling(10) == 10 && SVGChart.niceCeiling(0.013) == 0.02)
        #expect(SVGChart.number(12) == "12" && SVGChart.number(0.5) == "0.5")
    }

    private func expectDrawnWhereStated(_ chart: PlottedChart, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for line in chart.lines {
            #expect(line.data.count == line.pixels.count, sourceLocation: sourceLocation)
            for (point, drawn) in zip(line.data, line.pixels) {
                let expected = chart.pixel(point)
                #expect(abs(drawn.x - expected.x) < 0.02 && abs(drawn.y - expected.y) < 0.02,
                        "\(line.name) \(point) drawn at \(drawn), transform says \(expected)", sourceLocation: sourceLocation)
                #expect(drawn.x >= chart.left - 0.01 && drawn.x <= chart.left + chart.width + 0.01, sourceLocation: sourceLocation)
                #expect(drawn.y >= chart.top - 0.01 && drawn.y <= chart.top + chart.height + 0.01, sourceLocation: sourceLocation)
            }
        }
    }
}
