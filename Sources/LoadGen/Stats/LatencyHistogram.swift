import Histogram

/// Latencies in nanoseconds, 1 µs .. 1 h at 3 significant digits (the histogram resolves single nanoseconds,
/// so values from 1 µs keep all three digits); values above the range are counted in `overRange` and recorded
/// at the top of the range, never dropped silently. The mean and standard deviation come from running sums of
/// the exact values (over-range ones included), not from a walk over the histogram's buckets: exact, and free
/// at report time (the library's walk is unspecialized generic code and cost about 2% of a 4 s run's CPU).
struct LatencyHistogram: Sendable {
    static let lowestNanos: UInt64 = 1
    static let highestNanos: UInt64 = 3_600_000_000_000

    /// Nil until the first value: an empty histogram (a plain run's TLS handshakes, a merge's totals before the
    /// first thread is added) holds no counts array, which at three digits is 270 KB written at allocation. Adding
    /// a histogram to an empty one of the same precision shares its counts (copy on write) instead of walking them.
    private var storage: Histogram<UInt64>?
    private let digits: SignificantDigits
    private(set) var overRange: UInt64 = 0
    private var sum: Double = 0
    private var sumOfSquares: Double = 0

    init() { self.init(digits: .three) }

    /// Two significant digits (1% buckets) over the same range: an eighth of the memory, for the many small
    /// histograms of a shaped run's steps.
    static func coarse() -> LatencyHistogram { LatencyHistogram(digits: .two) }

    private init(digits: SignificantDigits) {
        self.digits = digits
    }

    private static func empty(_ digits: SignificantDigits) -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: lowestNanos, highestTrackableValue: highestNanos,
                          numberOfSignificantValueDigits: digits)
    }

    /// Allocates the counts now (before a run), so that the first value recorded does not.
    mutating func allocate() {
        if case .none = storage { storage = LatencyHistogram.empty(digits) }
    }

    /// The counts (an empty histogram of this precision when nothing was recorded).
    var histogram: Histogram<UInt64> { storage ?? LatencyHistogram.empty(digits) }

    @inline(__always)
    mutating func record(_ nanos: UInt64) {
        let value = Double(nanos)
        sum += value
        sumOfSquares += value * value
        // A tag test, not `== nil`: that compiles to a copy (retain and release of the counts) per value.
        if case .none = storage { storage = LatencyHistogram.empty(digits) }
        if nanos > LatencyHistogram.highestNanos {
            overRange += 1
            storage!.record(LatencyHistogram.highestNanos)
        } else {
            storage!.record(nanos)
        }
    }

    mutating func add(_ other: LatencyHistogram) {
        if let counts = other.storage {
            if storage == nil, digits == other.digits {
                storage = counts
            } else {
                if storage == nil { storage = LatencyHistogram.empty(digits) }
                storage!.add(counts)
            }
        }
        overRange += other.overRange
        sum += other.sum
        sumOfSquares += other.sumOfSquares
    }

    var count: UInt64 { storage?.totalCount ?? 0 }
    var isEmpty: Bool { count == 0 }
    var minNanos: UInt64 { isEmpty ? 0 : storage!.min }
    /// The largest value recorded, exactly (not the top of its bucket, which can be up to 0.1% higher).
    var maxNanos: UInt64 { isEmpty ? 0 : storage!.maxRecorded }
    var meanNanos: Double { isEmpty ? 0 : sum / Double(count) }
    /// The population standard deviation; never negative (rounding in the difference is clamped).
    var stdDeviationNanos: Double {
        guard !isEmpty else { return 0 }
        let mean = meanNanos
        return max(0, sumOfSquares / Double(count) - mean * mean).squareRoot()
    }

    func percentileNanos(_ p: Double) -> UInt64 {
        percentilesNanos([p])[0]
    }

    /// The values at `percentiles` (0...100, any order), each exactly what `Histogram.valueAtPercentile` gives,
    /// from one walk over the recorded buckets: the library's own walk is unspecialized generic code, run once per
    /// percentile, and a report asks for five of three histograms. Zeros when empty.
    func percentilesNanos(_ percentiles: [Double]) -> [UInt64] {
        guard let h = storage, h.totalCount > 0 else { return [UInt64](repeating: 0, count: percentiles.count) }
        let total = h.totalCount
        var values = [UInt64](repeating: 0, count: percentiles.count)
        // (rank needed, index into values) for the percentiles that need the walk, by rank.
        var ranks: [(rank: UInt64, at: Int)] = []
        for (i, p) in percentiles.enumerated() {
            if p <= 0 {
                values[i] = h.min
            } else if p >= 100 {
                values[i] = h.maxRecorded
            } else {
                let fraction = min(max(p.nextDown, 0), 100) * Double(total) / 100
                ranks.append((max(1, UInt64(fraction.rounded(.up))), i))
            }
        }
        ranks.sort { $0.rank < $1.rank }
        var next = 0
        var cumulative: UInt64 = 0
        LatencyHistogram.forEachBucket(h) { value, count in
            cumulative += count
            while next < ranks.count, cumulative >= ranks[next].rank {
                values[ranks[next].at] = max(min(value, h.maxRecorded), h.min)
                next += 1
            }
            return next < ranks.count
        }
        return values
    }

    /// Calls `body` with each non-empty bucket's highest equivalent value and its count, lowest first, until it
    /// returns false: a walk from the smallest to the largest value recorded with the library's public bucket
    /// arithmetic. Not `recordedValues()`: that iterator also adds up count × value in a UInt64 and traps past 2^64 ns,
    /// which the counts of a hostile file, or of many merged ones, reach (the hlog-parse fuzzer found it). Counts
    /// add up without overflow: the total is a UInt64 (and the inputs' totals are checked).
    private static func forEachBucket(_ h: Histogram<UInt64>, _ body: (_ value: UInt64, _ count: UInt64) -> Bool) {
        guard h.totalCount > 0 else { return }
        var value = h.lowestEquivalentForValue(h.min)
        let last = h.maxRecorded
        while value <= last {
            let top = h.highestEquivalentForValue(value)
            let count = h.countForValue(value)
            if count > 0, !body(top, count) { return }
            value = top + 1
        }
    }

    /// True when every value times its count adds up to at most 2^64 − 1 ns (as the highest equivalent values of the
    /// buckets, the way the library's iterators add them): what the library's own percentile spectrum needs to not
    /// trap. Any run's histogram does (that is 584 years of latencies); a hostile or vastly merged report may not.
    var valuesAddUpInUInt64: Bool {
        guard let h = storage else { return true }
        var total: UInt64 = 0
        var fits = true
        LatencyHistogram.forEachBucket(h) { value, count in
            let (product, overflowed) = value.multipliedReportingOverflow(by: count)
            let (sum, passed) = total.addingReportingOverflow(product)
            total = sum
            fits = !overflowed && !passed
            return fits
        }
        return fits
    }
}

// MARK: Encoded form (`hdr` in JSON), and back

extension LatencyHistogram {
    /// The bucket layout of this histogram's precision: `HdrLayout.latency`, or `.coarse` for two digits.
    var layout: HdrLayout { digits == .two ? .coarse : .latency }

    /// The non-empty buckets in HdrHistogram index order (`layout`).
    var buckets: [(index: Int, count: UInt64)] {
        let layout = self.layout
        guard let h = storage else { return [] }
        var buckets: [(index: Int, count: UInt64)] = []
        LatencyHistogram.forEachBucket(h) { value, count in
            buckets.append((layout.index(of: value), count))
            return true
        }
        return buckets
    }

    /// HdrHistogram's compressed V2 encoding of the counts in `layout`, base64 (values in nanoseconds): a coarse
    /// histogram's encoding says two digits, so that reading it back (`coarse: true`) restores the same buckets.
    var encoded: String { HdrEncoding.encode(layout: layout, buckets: buckets) }

    /// An empty histogram that only counts `overRange` values beyond its range (restored from a report).
    init(overRangeOnly: UInt64) {
        self.init()
        overRange = overRangeOnly
    }

    /// A histogram restored from its encoded counts and the exact figures a report states beside them: minimum
    /// and maximum (the values of the first and last bucket are recorded as those, when they fall in them: the
    /// bucket counts stay the same and the extremes stay exact), mean and standard deviation (for the running
    /// sums), and how many values were over the range. Buckets of another layout are recorded at their lowest
    /// value (clamped to this range). `coarse`: a two-digit histogram (a step window's, `coarse()`).
    init(decoded: HdrEncoding.Decoded, minNanos: UInt64, maxNanos: UInt64, meanNanos: Double, stdDeviationNanos: Double,
         overRange: UInt64, coarse: Bool = false) {
        self.init(digits: coarse ? .two : .three)
        var counts = LatencyHistogram.empty(digits)
        defer { storage = counts.totalCount > 0 ? counts : nil }
        let layout = decoded.layout
        let last = decoded.buckets.count - 1
        for (i, bucket) in decoded.buckets.enumerated() {
            var value = min(layout.value(at: bucket.index), LatencyHistogram.highestNanos)
            var count = bucket.count
            if i == 0, layout.index(of: minNanos) == bucket.index, minNanos <= LatencyHistogram.highestNanos {
                counts.record(minNanos)
                count -= 1
                value = minNanos
            }
            if i == last, count > 0, layout.index(of: maxNanos) == bucket.index, maxNanos <= LatencyHistogram.highestNanos {
                value = maxNanos
            }
            if count > 0 { counts.record(value, count: count) }
        }
        let n = Double(decoded.totalCount)
        sum = meanNanos * n
        sumOfSquares = (stdDeviationNanos * stdDeviationNanos + meanNanos * meanNanos) * n
        self.overRange = overRange
    }
}

