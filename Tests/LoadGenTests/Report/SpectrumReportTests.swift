import Testing
@testable import LoadGen

@Suite struct SpectrumReportTests {
    @Test func hasHdrHistogramsHeaderAndFooter() {
        var h = LatencyHistogram()
        for us in UInt64(1)...1_000 { h.record(us * 1_000) }
        let text = SpectrumReport.make(title: "Response time", h)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "# Response time, microseconds")
        let header = lines[1].split(separator: " ").map(String.init)
        #expect(header == ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"])
        #expect(text.contains("#[Mean    ="))
        #expect(text.contains("#[Max     ="))
        #expect(text.contains("Total count    =         1000"))
    }

    @Test func valuesAreInMicroseconds() throws {
        var h = LatencyHistogram()
        for us in UInt64(1)...1_000 { h.record(us * 1_000) }
        let text = SpectrumReport.make(title: "t", h)
        // Rows: value percentile totalCount [1/(1-p)]; the last row is percentile 1.0 at the maximum.
        let rows = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            .filter { $0.count >= 3 && Double($0[0]) != nil }
        #expect(rows.count > 10)
        let first = try #require(rows.first)
        let last = try #require(rows.last)
        #expect(Double(first[0])! < 2, "the first value is about 1 µs, not 1000")
        #expect(abs(Double(last[0])! - 1_000) <= 1)
        #expect(Double(last[1]) == 1.0)
        #expect(last[2] == "1000")
        // Percentiles and counts never decrease.
        let percentiles = rows.map { Double($0[1])! }
        let counts = rows.map { Int($0[2])! }
        #expect(percentiles == percentiles.sorted())
        #expect(counts == counts.sorted())
        // The mean in the footer is in microseconds too.
        let meanLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("#[Mean") })
        let mean = try #require(meanLine.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Double($0) }.first)
        #expect(abs(mean - 500.5) < 2.5)
    }

    @Test func emptyHistogramSaysSo() {
        #expect(SpectrumReport.make(title: "Service time", LatencyHistogram()) == "# Service time, microseconds\n# no values\n")
    }
}
