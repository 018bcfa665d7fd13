/// Open-loop schedule math: event `i` of the whole run is intended at `i × period` after the origin, where the
/// period is an exact fraction of nanoseconds. Pure; computed from the event index, never accumulated, so it
/// cannot drift. With a `RateShape` (ramps, steps) the shape's schedule replaces the constant one.
struct Pacer: Sendable, Equatable {
    /// period = periodNumerator / periodDenominator nanoseconds (a constant rate; unused with a shape).
    let periodNumerator: UInt64
    let periodDenominator: UInt64
    /// A rate that changes over the run; nil: the constant rate above.
    private(set) var shape: RateShape?

    /// `perSecond` events a second, given as the fraction `numerator / denominator`.
    /// The period 10⁹·denominator / numerator ns is reduced by the common factor of 10⁹ and the numerator first,
    /// so a rate written `1/DUR` (numerator 10⁹/g, denominator DUR/g) keeps a period of exactly DUR ns.
    init(eventsPerSecondNumerator numerator: UInt64, denominator: UInt64) {
        precondition(numerator > 0 && denominator > 0)
        var (a, b) = (UInt64(1_000_000_000), numerator)
        while b != 0 { (a, b) = (b, a % b) }
        let (period, overflow) = (1_000_000_000 / a).multipliedReportingOverflow(by: denominator)
        precondition(!overflow, "rate denominator \(denominator) is too fine")
        periodNumerator = period
        periodDenominator = numerator / a
    }

    /// One event every `periodNanos`.
    init(periodNanos: UInt64) {
        precondition(periodNanos > 0)
        periodNumerator = periodNanos
        periodDenominator = 1
    }

    /// Events on the schedule of `shape`.
    init(shape: RateShape) {
        periodNumerator = 1_000_000_000
        periodDenominator = max(1, UInt64(shape.peakRate.rounded(.up)))
        self.shape = shape
    }

    /// The same schedule `factor` times as fast (a rate given per target, for several targets).
    func scaled(by factor: UInt64) -> Pacer {
        if let shape { return Pacer(shape: shape.scaled(by: Double(factor))) }
        return Pacer(periodNumerator: periodNumerator, periodDenominator: periodDenominator * factor)
    }

    private init(periodNumerator: UInt64, periodDenominator: UInt64) {
        self.periodNumerator = periodNumerator
        self.periodDenominator = periodDenominator
    }

    /// Events per second; with a shape, its peak.
    var rate: Double { shape?.peakRate ?? Double(periodDenominator) * 1e9 / Double(periodNumerator) }

    /// Nanoseconds from the origin to event `index`'s intended time (rounded down).
    @inline(__always)
    func offsetNanos(ofEvent index: UInt64) -> UInt64 {
        if let shape { return shape.offsetNanos(ofEvent: index) }
        let product = index.multipliedFullWidth(by: periodNumerator)
        let (quotient, _) = periodDenominator.dividingFullWidth(product)
        return quotient
    }

    /// How many events are intended at or before `offsetNanos` (event 0 is intended at offset 0), consistent
    /// with `offsetNanos(ofEvent:)`: the events k with floor(k·N/D) ≤ t, that is k ≤ ((t+1)·D − 1) / N.
    @inline(__always)
    func eventsDue(atOffset offsetNanos: UInt64) -> UInt64 {
        if let shape { return shape.eventsDue(atOffset: offsetNanos) }
        var (high, low) = (offsetNanos &+ 1).multipliedFullWidth(by: periodDenominator)
        if offsetNanos == .max { high = periodDenominator; low = 0 }
        // Subtract 1 with borrow.
        if low == 0 { high -= 1 }
        low = low &- 1
        guard high < periodNumerator else { return .max }
        let (quotient, _) = periodNumerator.dividingFullWidth((high, low))
        return quotient == .max ? .max : quotient + 1
    }
}
