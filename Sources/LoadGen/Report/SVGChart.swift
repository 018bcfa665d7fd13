import Foundation

/// A line chart as plain SVG (no runtime dependency): axes with ticks, one polyline per series, a legend. The
/// x axis is linear or HdrHistogram's percentile axis (1/(1−p), log scale); the y axis is linear from 0. Every
/// series' data also goes into the file as `data-points` (x and y in data units), and the plot area states its
/// transform (`data-x-log`, `data-x-min`, …), so tests and tools can read the chart back.
struct SVGChart {
    struct Series {
        var name: String
        /// (x, y) in data units; for a percentile axis x is 1/(1−p).
        var points: [(x: Double, y: Double)]
        var dashed = false
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var percentileAxis = false
    var series: [Series] = []

    static let width = 960.0
    static let height = 540.0
    private static let left = 80.0, right = 24.0, top = 48.0, bottom = 64.0
    private static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// The chart at vertical offset `y` (several charts stack in one SVG).
    func render(atY offset: Double = 0) -> String {
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        let xMin = percentileAxis ? 1 : (xs.min() ?? 0)
        let xMax = max(xs.max() ?? 1, xMin + (percentileAxis ? 9 : 1))
        let yMax = SVGChart.niceCeiling(max(ys.max() ?? 1, 1e-9))
        let plotW = SVGChart.width - SVGChart.left - SVGChart.right, plotH = SVGChart.height - SVGChart.top - SVGChart.bottom
        func px(_ x: Double) -> Double {
            let f = percentileAxis ? log10(max(x, 1)) / log10(xMax) : (x - xMin) / (xMax - xMin)
            return SVGChart.left + f * plotW
        }
        func py(_ y: Double) -> Double { offset + SVGChart.top + plotH - y / yMax * plotH }
        var svg = "<g class=\"chart\" data-x-log=\"\(percentileAxis)\" data-x-min=\"\(xMin)\" data-x-max=\"\(xMax)\" data-y-max=\"\(yMax)\" "
            + "data-left=\"\(SVGChart.left)\" data-top=\"\(offset + SVGChart.top)\" data-width=\"\(plotW)\" data-height=\"\(plotH)\">\n"
        svg += "<text x=\"\(SVGChart.width / 2)\" y=\"\(offset + 28)\" text-anchor=\"middle\" font-size=\"18\">\(SVGChart.escape(title))</text>\n"
        svg += axes(px: px, py: py, xMin: xMin, xMax: xMax, yMax: yMax, offset: offset)
        for (i, s) in series.enumerated() {
            let color = SVGChart.colors[i % SVGChart.colors.count]
            let points = s.points.map { String(format: "%.2f,%.2f", px($0.x), py($0.y)) }.joined(separator: " ")
            let data = s.points.map { "\(SVGChart.number($0.x)),\(SVGChart.number($0.y))" }.joined(separator: " ")
            svg += "<polyline class=\"series\" data-name=\"\(SVGChart.escape(s.name))\" data-points=\"\(data)\" points=\"\(points)\" "
                + "fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6,4\"" : "")/>\n"
            let ly = offset + SVGChart.top + 16 + Double(i) * 18
            svg += "<line x1=\"\(SVGChart.left + 12)\" y1=\"\(ly - 4)\" x2=\"\(SVGChart.left + 40)\" y2=\"\(ly - 4)\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6,4\"" : "")/>"
                + "<text x=\"\(SVGChart.left + 46)\" y=\"\(ly)\" font-size=\"12\">\(SVGChart.escape(s.name))</text>\n"
        }
        return svg + "</g>\n"
    }

    private func axes(px: (Double) -> Double, py: (Double) -> Double, xMin: Double, xMax: Double, yMax: Double, offset: Double) -> String {
        let x0 = SVGChart.left, x1 = SVGChart.width - SVGChart.right
        let y0 = offset + SVGChart.height - SVGChart.bottom, y1 = offset + SVGChart.top
        var svg = "<rect x=\"\(x0)\" y=\"\(y1)\" width=\"\(x1 - x0)\" height=\"\(y0 - y1)\" fill=\"none\" stroke=\"#888\"/>\n"
        for i in 0...5 {
            let v = yMax * Double(i) / 5
            svg += "<line x1=\"\(x0)\" y1=\"\(py(v))\" x2=\"\(x1)\" y2=\"\(py(v))\" stroke=\"#ddd\"/>"
                + "<text x=\"\(x0 - 6)\" y=\"\(py(v) + 4)\" text-anchor=\"end\" font-size=\"12\">\(SVGChart.number(v))</text>\n"
        }
        for (value, label) in xTicks(xMin: xMin, xMax: xMax) {
            svg += "<line x1=\"\(px(value))\" y1=\"\(y1)\" x2=\"\(px(value))\" y2=\"\(y0)\" stroke=\"#eee\"/>"
                + "<text x=\"\(px(value))\" y=\"\(y0 + 18)\" text-anchor=\"middle\" font-size=\"12\">\(label)</text>\n"
        }
        svg += "<text x=\"\(SVGChart.width / 2)\" y=\"\(y0 + 44)\" text-anchor=\"middle\" font-size=\"14\">\(SVGChart.escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(20,\((y0 + y1) / 2)) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">\(SVGChart.escape(yLabel))</text>\n"
        return svg
    }

    /// Percentile axis: 0%, 90%, 99%, … up to the last decade shown; linear: six round values.
    private func xTicks(xMin: Double, xMax: Double) -> [(Double, String)] {
        if percentileAxis {
            var ticks: [(Double, String)] = [(1, "0%")]
            var decade = 1
            while pow(10, Double(decade)) <= xMax * 1.0001 && decade <= 9 {
                let nines = decade == 1 ? "90" : "99" + (decade > 2 ? "." + String(repeating: "9", count: decade - 2) : "")
                ticks.append((pow(10, Double(decade)), nines + "%"))
                decade += 1
            }
            return ticks
        }
        let step = SVGChart.niceCeiling((xMax - xMin) / 6)
        var ticks: [(Double, String)] = []
        let first = (xMin / step).rounded(.up)
        // Counted, not accumulated: where x is huge and its range tiny, v + step == v (a hostile log did that).
        for k in 0..<12 {
            let v = (first + Double(k)) * step
            guard v <= xMax + step / 1000, v.isFinite else { break }
            ticks.append((v, SVGChart.number(v)))
        }
        return ticks
    }

    /// 1, 2 or 5 × 10^k at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        let power = pow(10, floor(log10(value)))
        for m in [1.0, 2, 5, 10] where m * power >= value * 0.999_999 { return m * power }
        return 10 * power
    }

    static func number(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        var text = String(format: "%.6g", v)
        if text.contains("e") { text = String(format: "%.6f", v) }
        return text
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A whole SVG document of `charts` stacked.
    static func document(_ charts: [SVGChart]) -> String {
        let height = Double(charts.count) * SVGChart.height
        var svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (i, chart) in charts.enumerated() { svg += chart.render(atY: Double(i) * SVGChart.height) }
        return svg + "</svg>\n"
    }
}
