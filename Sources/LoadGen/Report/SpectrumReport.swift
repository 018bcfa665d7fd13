/// The full percentile spectrum in HdrHistogram's text format (what hdrhistogram.org's plotter reads), values
/// in microseconds.
enum SpectrumReport {
    static func make(title: String, _ h: LatencyHistogram) -> String {
        var out = "# \(title), microseconds\n"
        if h.isEmpty { return out + "# no values\n" }
        // HdrHistogram's spectrum adds up count × value in a UInt64 and would trap: only a hostile or vastly merged
        // report's counts get there.
        guard h.valuesAddUpInUInt64 else {
            return out + "# not printed: its \(h.count) values add up to more than 2^64 ns, past what HdrHistogram's " +
                "percentile spectrum can sum (the report's percentiles are exact)\n"
        }
        h.histogram.outputPercentileDistribution(to: &out, outputValueUnitScalingRatio: 1000)
        return out
    }
}
