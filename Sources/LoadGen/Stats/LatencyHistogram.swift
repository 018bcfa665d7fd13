import Histogram

/// Latencies in nanoseconds, 1 µs .. 1 h at 3 significant digits (the histogram resolves single nanoseconds,
/// so values from 1 µs keep all three digits); values above the range are counted in `overRange` and recorded
/// at the top of the range, never dropped silently. The mean and standard deviation come from running sums of
/// the exact values (over-range ones included), not from a walk over the histogram's buckets: exact, and free
/// at report time (the library's walk is unspecialized generic code and cost about 2% of a 4 s run's CPU).
struct LatencyHistogram: Sendable {
    static let lowestNanos: UInt64 = 1
    static let highestNanos: UInt64 = 3_600_000_000_000

    private(set) var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: LatencyHistogram.lowestNanos,
        highestTrackableValue: LatencyHistogram.highestNanos,
        numberOfSignificantValueDigits: .three)
    private(set) var overRange: UInt64 = 0
    private var sum: Double = 0
    private var sumOfSquares: Double = 0

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
    var maxNanos: UInt64 { isEmpty ? 0 : histogram.max }
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
