import ArgumentParser

/// The rate `--rate` takes, in events per second as an exact fraction: `2500`, `20k`, `1.5M`, `0.5`, or `1/DUR`
/// (one per DUR), at most `Rate.maxPerSecond`.
struct Rate: ExpressibleByArgument, Sendable, Hashable {
    let numerator: UInt64
    let denominator: UInt64

    /// The highest rate loadgen schedules (one event every 20 ns).
    static let maxPerSecond: UInt64 = 50_000_000

    init(parsing text: String) throws(QuantityError) {
        (numerator, denominator) = try Quantity.rate(text)
    }

    init?(argument: String) {
        try? self.init(parsing: argument)
    }

    /// The parser of --rate.
    static let parser: @Sendable (String) throws -> Rate = { text in
        try FlagValueError.reasonOnly { () throws(QuantityError) in try Rate(parsing: text) }
    }

    var perSecond: Double { Double(numerator) / Double(denominator) }

    /// The pacer that issues events at this rate.
    var pacer: Pacer { Pacer(eventsPerSecondNumerator: numerator, denominator: denominator) }
}
