import ArgumentParser

/// A whole number a flag takes (`--count 1M`, `--threads 4`): `1000`, `10k`, `1.5M` as `Quantity.count` reads it,
/// checked against the flag's range while the command line is parsed.
struct Count: ExpressibleByArgument, Sendable, Hashable, CustomStringConvertible {
    let value: UInt64

    init(_ value: UInt64) { self.value = value }

    /// Any count above zero; throws what would work.
    init(parsing text: String) throws(QuantityError) {
        value = try Quantity.count(text)
    }

    init?(argument: String) {
        try? self.init(parsing: argument)
    }

    /// The most events one run can intend: the events log and the JSON report carry sequence numbers and counts as
    /// JSON numbers, which readers that use doubles (Python, jq, JavaScript) keep exact up to 2^53.
    static let maxEvents: UInt64 = 1 << 53

    /// The parser of a flag that takes counts from 1 through `max`; `why` follows the range in the message for a
    /// count above it.
    static func parser(max: UInt64, why: String = "") -> @Sendable (String) throws -> Count {
        { text in
            try FlagValueError.reasonOnly { () throws(QuantityError) in
                let count = try Count(parsing: text)
                guard count.value <= max else {
                    throw QuantityError(text, "is above \(Count.grouped(max)); use 1 to \(Count.grouped(max))\(why)")
                }
                return count
            }
        }
    }

    /// `1000000` as `1,000,000`.
    static func grouped(_ value: UInt64) -> String {
        var digits = String(value)
        var groups: [Substring] = []
        while digits.count > 3 {
            groups.insert(Substring(digits.suffix(3)), at: 0)
            digits.removeLast(3)
        }
        groups.insert(Substring(digits), at: 0)
        return groups.joined(separator: ",")
    }

    var description: String { String(value) }
}
