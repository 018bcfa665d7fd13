import Histogram

/// Latencies in nanoseconds, 1 µs .. 1 h at 3 significant digits (the histogram resolves single nanoseconds,
/// so values from 1 µs keep all three digits); values above the range are counted in `overRange` and recorded
/// at the top of the range, never dropped silently. The mean and standard deviation come from running sums of
/// the exact values (over-range ones included), not from a walk over the histogram's buckets: exact, and free
/// at report time (the library's walk is unspecialized generic code and cost about 2% of a 4 s run's CPU).
struct LatencyHistogram: Sendable {
    static let lowestNanos: UInt64 = 1
    static let highestNanos: UInt64 = 3_600_000_000_000

    private(set) var histogram: Histogram<UInt64>
    private(set) var overRange: UInt64 = 0
    private var sum: Double = 0
    private var sumOfSquares: Double = 0

    init() { self.init(digits: .three) }

    /// Two significant digits (1% buckets) over the same range: an eighth of the memory, for the many small
    /// histograms of a shaped run's steps.
    static func coarse() -> LatencyHistogram { LatencyHistogram(digits: .two) }

    private init(digits: SignificantDigits) {
        histogram = Histogram<UInt64>(lowestDiscernibleValue: LatencyHistogram.lowestNanos,
                                      highestTrackableValue: LatencyHistogram.highestNanos,
                                      numberOfSignificantValueDigits: digits)
    }

    @inline(__always)
    mutating func record(_ nanos: UInt64) {
        let value = Double(nanos)
        sum += value
        sumOfSquares += value * value
        if nanos > LatencyHistogram.highestNanos {
            overRange += 1
            histogram.record(LatencyHistogram.highestNanos)
        } else {
            histogram.record(nanos)
        }
    }

    mutating func add(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
        overRange += other.overRange
        sum += other.sum
        sumOfSquares += other.sumOfSquares
    }

    var count: UInt64 { histogram.totalCount }
    var isEmpty: Bool { histogram.totalCount == 0 }
    var minNanos: UInt64 { isEmpty ? 0 : histogram.min }
    /// The largest value recorded, exactly (not the top of its bucket, which can be up to 0.1% higher).
    var maxNanos: UInt64 { isEmpty ? 0 : histogram.maxRecorded }
    var meanNanos: Double { isEmpty ? 0 : sum / Double(count) }
    /// The population standard deviation; never negative (rounding in the difference is clamped).
    var stdDeviationNanos: Double {
        guard !isEmpty else { return 0 }
        let mean = meanNanos
        return max(0, sumOfSquares / Double(count) - mean * mean).squareRoot()
    }

    func percentileNanos(_ p: Double) -> UInt64 {
        isEmpty ? 0 : histogram.valueAtPercentile(p)
    }

}

// MARK: Encoded form (`hdr` in JSON), and back

extension LatencyHistogram {
    /// The non-empty buckets in HdrHistogram index order (`HdrLayout.latency`).
    var buckets: [(index: Int, count: UInt64)] {
        histogram.recordedValues().map { (HdrLayout.latency.index(of: $0.value), $0.count) }
    }

    /// HdrHistogram's compressed V2 encoding of the counts, base64 (values in nanoseconds).
    var encoded: String { HdrEncoding.encode(layout: .latency, buckets: buckets) }

    /// An empty histogram that only counts `overRange` values beyond its range (restored from a report).
    init(overRangeOnly: UInt64) {
        self.init()
        overRange = overRangeOnly
    }

    /// A histogram restored from its encoded counts and the exact figures a report states beside them: minimum
    /// and maximum (the values of the first and last bucket are recorded as those, when they fall in them: the
    /// bucket counts stay the same and the extremes stay exact), mean and standard deviation (for the running
    /// sums), and how many values were over the range. Buckets of another layout are recorded at their lowest
    /// value (clamped to this range).
    init(decoded: HdrEncoding.Decoded, minNanos: UInt64, maxNanos: UInt64, meanNanos: Double, stdDeviationNanos: Double,
         overRange: UInt64) {
        self.init()
        let layout = decoded.layout
        let last = decoded.buckets.count - 1
        for (i, bucket) in decoded.buckets.enumerated() {
            var value = min(layout.value(at: bucket.index), LatencyHistogram.highestNanos)
            var count = bucket.count
            if i == 0, layout.index(of: minNanos) == bucket.index, minNanos <= LatencyHistogram.highestNanos {
                histogram.record(minNanos)
                count -= 1
                value = minNanos
            }
            if i == last, count > 0, layout.index(of: maxNanos) == bucket.index, maxNanos <= LatencyHistogram.highestNanos {
                value = maxNanos
            }
            if count > 0 { histogram.record(value, count: count) }
        }
        let n = Double(decoded.totalCount)
        sum = meanNanos * n
        sumOfSquares = (stdDeviationNanos * stdDeviationNanos + meanNanos * meanNanos) * n
        self.overRange = overRange
    }
}

