/// The full percentile spectrum in HdrHistogram's text format (what hdrhistogram.org's plotter reads), values
/// in microseconds.
enum SpectrumReport {
    static func make(title: String, _ h: LatencyHistogram) -> String {
        var out = "# \(title), microseconds\n"
        if h.isEmpty { return out + "# no values\n" }
        h.histogram.outputPercentileDistribution(to: &out, outputValueUnitScalingRatio: 1000)
        return out
    }
}
