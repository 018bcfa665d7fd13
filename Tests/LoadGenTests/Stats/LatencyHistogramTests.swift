import Testing
@testable import LoadGen

@Suite struct LatencyHistogramTests {
    /// Within HdrHistogram's precision at three significant digits (one part in a thousand).
    private func close(_ actual: UInt64, _ expected: UInt64) -> Bool {
        let diff = actual > expected ? actual - expected : expected - actual
        return Double(diff) <= Double(expected) / 1000
    }

    @Test func emptyHistogramReportsZeros() {
        let h = LatencyHistogram()
        #expect(h.isEmpty)
        #expect(h.count == 0)
        #expect(h.minNanos == 0 && h.maxNanos == 0)
        #expect(h.meanNanos == 0 && h.stdDeviationNanos == 0)
        #expect(h.percentileNanos(50) == 0 && h.percentileNanos(99.99) == 0)
        #expect(h.overRange == 0)
    }

    @Test func recordCountsEveryValue() {
        var h = LatencyHistogram()
        h.record(41_000)
        h.record(88_000)
        h.record(2_100_000)
        #expect(h.count == 3)
        #expect(!h.isEmpty)
        #expect(close(h.minNanos, 41_000))
        #expect(close(h.maxNanos, 2_100_000))
        #expect(abs(h.meanNanos - 743_000) < 743)
        #expect(h.overRange == 0)
    }

    @Test(arguments: [1_000, 2_345, 41_300, 80_100, 123_456, 999_999, 1_234_567, 45_678_901] as [UInt64])
    func microsecondLatenciesKeepThreeSignificantDigits(nanos: UInt64) {
        // DNS answers take 40 µs – 1 ms: that is where the three significant digits matter most.
        var h = LatencyHistogram()
        for _ in 0..<99 { h.record(nanos) }
        h.record(nanos * 100)
        #expect(close(h.percentileNanos(50), nanos), "p50 \(h.percentileNanos(50)) for \(nanos)")
        #expect(close(h.percentileNanos(90), nanos), "p90 \(h.percentileNanos(90)) for \(nanos)")
        #expect(close(h.minNanos, nanos), "min \(h.minNanos) for \(nanos)")
        #expect(close(h.maxNanos, nanos * 100), "max \(h.maxNanos) for \(nanos * 100)")
    }

    @Test func percentilesOfMicrosecondLatencies() {
        // 40.000 µs … 159.880 µs in 120 ns steps: p50 = 100 µs, p90 = 148 µs, p99 = 158.8 µs.
        var h = LatencyHistogram()
        for i in UInt64(0)..<1_000 { h.record(40_000 + i * 120) }
        #expect(close(h.percentileNanos(50), 99_880), "p50 \(h.percentileNanos(50))")
        #expect(close(h.percentileNanos(90), 147_880), "p90 \(h.percentileNanos(90))")
        #expect(close(h.percentileNanos(99), 158_800), "p99 \(h.percentileNanos(99))")
        #expect(close(h.maxNanos, 159_880), "max \(h.maxNanos)")
    }

    @Test func valuesBelowTheLowestAreStillCounted() {
        var h = LatencyHistogram()
        h.record(0)
        h.record(500)
        #expect(h.count == 2)
        #expect(h.maxNanos < 1_000)
    }

    @Test func valuesAboveOneHourAreCountedAsOverRange() {
        var h = LatencyHistogram()
        h.record(LatencyHistogram.highestNanos) // exactly 1 h is in range
        #expect(h.overRange == 0)
        h.record(LatencyHistogram.highestNanos + 1)
        h.record(UInt64.max)
        #expect(h.overRange == 2)
        #expect(h.count == 3, "over-range values are recorded at the top, not dropped")
        #expect(close(h.maxNanos, LatencyHistogram.highestNanos))
        #expect(LatencyHistogram.highestNanos == 3_600_000_000_000)
    }

    @Test func percentilesOfAUniformDistribution() {
        // 1 µs … 100 ms in 1 µs steps: p50 = 50 ms, p90 = 90 ms, p99 = 99 ms, p99.9 = 99.9 ms, p99.99 = 99.99 ms.
        var h = LatencyHistogram()
        for us in UInt64(1)...100_000 { h.record(us * 1_000) }
        #expect(h.count == 100_000)
        #expect(close(h.minNanos, 1_000))
        #expect(close(h.maxNanos, 100_000_000))
        #expect(close(h.percentileNanos(50), 50_000_000))
        #expect(close(h.percentileNanos(90), 90_000_000))
        #expect(close(h.percentileNanos(99), 99_000_000))
        #expect(close(h.percentileNanos(99.9), 99_900_000))
        #expect(close(h.percentileNanos(99.99), 99_990_000))
        #expect(close(h.percentileNanos(100), 100_000_000))
        #expect(abs(h.meanNanos - 50_000_500) < 50_000)
        // Uniform on [0, 100 ms]: σ = 100 ms / √12 ≈ 28.87 ms.
        #expect(abs(h.stdDeviationNanos - 28_867_513) < 50_000)
    }

    @Test func percentilesOfABimodalDistribution() {
        // 99% at 1.5 ms, 1% at 40 ms: p50, p98 and p99 at 1.5 ms, p99.5 and up at 40 ms.
        var h = LatencyHistogram()
        for _ in 0..<9_900 { h.record(1_500_000) }
        for _ in 0..<100 { h.record(40_000_000) }
        #expect(close(h.percentileNanos(50), 1_500_000))
        #expect(close(h.percentileNanos(98), 1_500_000))
        #expect(close(h.percentileNanos(99), 1_500_000))
        #expect(close(h.percentileNanos(99.5), 40_000_000))
        #expect(close(h.percentileNanos(99.99), 40_000_000))
        let mean = 0.99 * 1_500_000 + 0.01 * 40_000_000
        #expect(abs(h.meanNanos - mean) < mean / 1000)
    }

    @Test func addMergesCountsExtremesAndOverRange() {
        var a = LatencyHistogram()
        var b = LatencyHistogram()
        for us in UInt64(1)...500 { a.record(us * 1_000) }
        for us in UInt64(501)...1_000 { b.record(us * 1_000) }
        b.record(LatencyHistogram.highestNanos * 2)
        a.add(b)
        #expect(a.count == 1_001)
        #expect(a.overRange == 1)
        #expect(close(a.minNanos, 1_000))
        #expect(close(a.maxNanos, LatencyHistogram.highestNanos))
        #expect(close(a.percentileNanos(50), 501_000))
        #expect(b.count == 501, "the added histogram is unchanged")
        // Adding an empty histogram changes nothing.
        let before = a.count
        a.add(LatencyHistogram())
        #expect(a.count == before)
    }

    @Test func mergingPartsEqualsRecordingTheWhole() {
        var whole = LatencyHistogram()
        var parts = [LatencyHistogram](repeating: LatencyHistogram(), count: 4)
        var x: UInt64 = 12_345
        for i in 0..<20_000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let v = 1_000 + (x >> 33) % 50_000_000
            whole.record(v)
            parts[i % 4].record(v)
        }
        var merged = LatencyHistogram()
        for p in parts { merged.add(p) }
        #expect(merged.count == whole.count)
        for p in [0.0, 50, 90, 99, 99.9, 99.99, 100] {
            #expect(merged.percentileNanos(p) == whole.percentileNanos(p), "p\(p)")
        }
        #expect(merged.minNanos == whole.minNanos && merged.maxNanos == whole.maxNanos)
    }

    @Test("mean and standard deviation are of the exact values, over-range ones included, and merge exactly")
    func exactMeanAndDeviation() {
        var a = LatencyHistogram(), b = LatencyHistogram()
        a.record(1_001)
        a.record(2_999)
        #expect(a.meanNanos == 2_000 && a.stdDeviationNanos == 999)
        // Two hours is recorded at the top of the range for percentiles, but the mean is of what was measured.
        b.record(7_200_000_000_000)
        a.add(b)
        #expect(a.count == 3 && a.overRange == 1)
        #expect(a.meanNanos == Double(1_001 + 2_999 + 7_200_000_000_000) / 3)
        var same = LatencyHistogram()
        for _ in 0..<1_000_000 { same.record(1_500_000) }
        #expect(same.meanNanos == 1_500_000 && same.stdDeviationNanos < 1)
    }

    @Test("one walk gives every percentile exactly as the library's valueAtPercentile, in any order")
    func percentilesMatchTheLibrarysWalk() {
        var h = LatencyHistogram()
        var x: UInt64 = 42
        for _ in 0..<20_000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            h.record(500 + (x >> 33) % 9_000_000)
        }
        h.record(7_200_000_000_000)  // over the range: at the top
        let asked: [Double] = [99.99, 0, 50, 25, 100, 0.001, 90, 99, 99.9, 50, 75.5, 99.999, 100.5]
        let got = h.percentilesNanos(asked)
        for (p, value) in zip(asked, got) {
            #expect(value == h.histogram.valueAtPercentile(p), "p\(p)")
        }
        #expect(got[4] == h.maxNanos && got[1] == h.minNanos)
        #expect(LatencyHistogram().percentilesNanos([50, 99]) == [0, 0])
    }

    @Test("adding to an empty histogram shares the counts, and a later record leaves the source unchanged")
    func addingToAnEmptyHistogramCopiesOnWrite() {
        var source = LatencyHistogram()
        source.record(10_000)
        source.record(20_000)
        var total = LatencyHistogram()
        total.add(source)
        total.add(LatencyHistogram())  // an empty part adds nothing
        #expect(total.count == 2 && total.percentileNanos(100) == source.maxNanos)
        total.record(30_000)
        #expect(source.count == 2 && source.maxNanos == 20_000)
        #expect(total.count == 3 && total.maxNanos == 30_000)
        var coarse = LatencyHistogram.coarse()
        var part = LatencyHistogram.coarse()
        part.record(10_000)
        coarse.add(part)
        #expect(coarse.count == 1 && coarse.histogram.numberOfSignificantValueDigits == .two)
    }

    @Test("the buckets are the library's recorded values, at three digits and at two")
    func bucketsAreTheLibrarysRecordedValues() {
        for var h in [LatencyHistogram(), LatencyHistogram.coarse()] {
            var x: UInt64 = 7
            for _ in 0..<5_000 {
                x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                h.record(1 + (x >> 20) % 50_000_000_000)
            }
            h.record(0)
            let layout = h.layout
            let library = h.histogram.recordedValues().map { (index: layout.index(of: $0.value), count: UInt64($0.count)) }
            #expect(h.buckets.elementsEqual(library) { $0.index == $1.index && $0.count == $1.count })
            #expect(h.valuesAddUpInUInt64)
        }
    }

    @Test("counts whose values add up past 2^64 ns (a hostile or vastly merged report): percentiles, buckets and encoding work; the spectrum says why it is left out instead of trapping")
    func valuesAddingUpPast64BitsDoNotTrap() throws {
        let layout = HdrLayout.latency
        let second = layout.index(of: 1_000_000_000), minute = layout.index(of: 60_000_000_000)
        let half: UInt64 = 1 << 40
        let decoded = HdrEncoding.Decoded(layout: layout, buckets: [(second, half), (minute, half)], totalCount: 2 * half)
        let h = LatencyHistogram(decoded: decoded, minNanos: 1_000_000_000, maxNanos: 60_000_000_000, meanNanos: 30.5e9,
                                 stdDeviationNanos: 29.5e9, overRange: 0)
        #expect(!h.valuesAddUpInUInt64)
        #expect(h.count == 2 * half)
        let p = h.percentilesNanos([25, 75, 100])
        #expect(layout.index(of: p[0]) == second && layout.index(of: p[1]) == minute && p[2] == 60_000_000_000)
        let buckets = h.buckets.map { "\($0.index):\($0.count)" }
        #expect(buckets == ["\(second):\(UInt64(1) << 40)", "\(minute):\(UInt64(1) << 40)"])
        #expect(try HdrEncoding.decode(h.encoded) == decoded)
        let spectrum = SpectrumReport.make(title: "Response time", h)
        #expect(spectrum.contains("not printed") && spectrum.contains("2199023255552 values"))
        var small = LatencyHistogram()
        small.record(1_000_000_000)
        #expect(small.valuesAddUpInUInt64 && SpectrumReport.make(title: "Response time", small).contains("#[Mean"))
    }
}
