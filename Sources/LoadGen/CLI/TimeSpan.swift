import ArgumentParser

/// A time span a flag takes (`--duration 30s`, `--timeout 250ms`), in nanoseconds: sleep(1) syntax as
/// `Quantity.timeSpan` reads it, checked against the flag's range while the command line is parsed.
struct TimeSpan: ExpressibleByArgument, Sendable, Hashable, Comparable, CustomStringConvertible {
    let nanos: UInt64

    init(nanos: UInt64) { self.nanos = nanos }

    /// Any span above zero; throws what would work.
    init(parsing text: String) throws(QuantityError) {
        nanos = try Quantity.timeSpan(text)
    }

    init?(argument: String) {
        try? self.init(parsing: argument)
    }

    static let nanosecond = TimeSpan(nanos: 1)
    static let microsecond = TimeSpan(nanos: 1_000)
    static let millisecond = TimeSpan(nanos: 1_000_000)
    static let second = TimeSpan(nanos: 1_000_000_000)
    static let hour = TimeSpan(nanos: 3_600_000_000_000)
    static let day = TimeSpan(nanos: 86_400_000_000_000)

    static func * (span: TimeSpan, factor: UInt64) -> TimeSpan { TimeSpan(nanos: span.nanos * factor) }
    static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.nanos < b.nanos }

    /// The parser of a flag that takes spans from `min` through `max`. `tooShort` replaces the message for a span
    /// below `min` (when the flag has a reason worth saying).
    static func parser(from min: TimeSpan, to max: TimeSpan,
                       tooShort: String? = nil) -> @Sendable (String) throws -> TimeSpan {
        { text in
            try FlagValueError.reasonOnly { () throws(QuantityError) in
                let span = try TimeSpan(parsing: text)
                if span < min { throw QuantityError(text, tooShort ?? "is below \(min); use \(min) to \(max)") }
                if span > max { throw QuantityError(text, "is above \(max); use \(min) to \(max)") }
                return span
            }
        }
    }

    /// The span in the largest unit that shows it whole: `250us`, `1ms`, `1h`, `30d` (`1500ms`, not `1.5s`).
    var description: String {
        let units: [(String, UInt64)] = [("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000),
                                         ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)]
        for (name, size) in units where nanos >= size && nanos % size == 0 { return "\(nanos / size)\(name)" }
        return "\(nanos)ns"
    }
}
