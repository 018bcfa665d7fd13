/// HdrHistogram's bucket layout for a lowest discernible value, a highest trackable value and a number of
/// significant digits: which counts-array index a value falls in and which value an index stands for. The
/// arithmetic is HdrHistogram's (every implementation shares it), so an index in an encoded histogram means the
/// same bucket here, in hdrhistogram-swift, and in the Python and Java readers.
struct HdrLayout: Equatable, Sendable {
    let lowest: UInt64
    let highest: UInt64
    let digits: Int
    let unitMagnitude: Int
    let subBucketHalfCountMagnitude: Int
    let subBucketHalfCount: Int
    let subBucketMask: UInt64
    let leadingZeroCountBase: Int
    /// Indexes 0..<countsLength cover every value up to `highest`.
    let countsLength: Int

    /// The layout of loadgen's latency histograms (nanoseconds, 1 ns .. 1 h, 3 digits: `LatencyHistogram`'s).
    static let latency = HdrLayout(lowest: 1, highest: 3_600_000_000_000, digits: 3)!
    /// The same range at two significant digits (`LatencyHistogram.coarse()`, a shaped run's step windows).
    static let coarse = HdrLayout(lowest: 1, highest: 3_600_000_000_000, digits: 2)!

    /// nil when HdrHistogram would refuse the parameters (digits outside 0...5, lowest 0, highest < 2 × lowest).
    init?(lowest: UInt64, highest: UInt64, digits: Int) {
        guard lowest >= 1, (0...5).contains(digits), highest / 2 >= lowest else { return nil }
        self.lowest = lowest
        self.highest = highest
        self.digits = digits
        unitMagnitude = 63 - lowest.leadingZeroBitCount
        var largestSingleUnit: UInt64 = 2
        for _ in 0..<digits { largestSingleUnit *= 10 }
        // ceil(log2(largestSingleUnit)), exactly.
        let subBucketCountMagnitude = 64 - (largestSingleUnit - 1).leadingZeroBitCount
        subBucketHalfCountMagnitude = max(subBucketCountMagnitude, 1) - 1
        guard unitMagnitude + subBucketHalfCountMagnitude + 1 <= 62 else { return nil }
        let subBucketCount = 1 << (subBucketHalfCountMagnitude + 1)
        subBucketHalfCount = subBucketCount / 2
        subBucketMask = UInt64(subBucketCount - 1) << UInt64(unitMagnitude)
        leadingZeroCountBase = 64 - unitMagnitude - subBucketHalfCountMagnitude - 1
        var smallestUntrackable = UInt64(subBucketCount) << UInt64(unitMagnitude)
        var buckets = 1
        while smallestUntrackable <= highest {
            if smallestUntrackable > UInt64(Int64.max) / 2 {
                buckets += 1
                break
            }
            smallestUntrackable <<= 1
            buckets += 1
        }
        countsLength = (buckets + 1) * subBucketHalfCount
    }

    /// The counts-array index of `value` (which may lie above `highest`: the caller checks the index).
    func index(of value: UInt64) -> Int {
        let bucket = leadingZeroCountBase - (value | subBucketMask).leadingZeroBitCount
        let subBucket = Int(truncatingIfNeeded: value >> UInt64(bucket + unitMagnitude))
        return ((bucket + 1) << subBucketHalfCountMagnitude) + (subBucket - subBucketHalfCount)
    }

    /// The lowest value of the bucket at `index`.
    func value(at index: Int) -> UInt64 {
        var bucket = (index >> subBucketHalfCountMagnitude) - 1
        var subBucket = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
        if bucket < 0 {
            subBucket -= subBucketHalfCount
            bucket = 0
        }
        return UInt64(subBucket) << UInt64(bucket + unitMagnitude)
    }

    /// The highest value in the same bucket as `v`.
    func highestEquivalent(_ v: UInt64) -> UInt64 {
        let next = value(at: index(of: v) + 1)
        return next > 0 ? next - 1 : v
    }
}
