/// Parsers for the numbers the command line takes: rates (`2500`, `20k`, `1.5M`, `1/5ms`), counts (`1000`,
/// `10k`) and time spans in sleep(1) syntax (`1ms`, `250us`, `0.5s`, `2m`, `1h`; a bare number is seconds).
/// Each throws a message that says what would work; the option's name is added by the caller.
enum Quantity {
    /// An exact decimal as numerator / 10^k.
    static func decimal(_ text: Substring) -> (numerator: UInt64, denominator: UInt64)? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              text.filter({ $0 == "." }).count <= 1, text != "." else { return nil }
        var numerator: UInt64 = 0
        var denominator: UInt64 = 1
        var afterPoint = false
        for ch in text {
            if ch == "." { afterPoint = true; continue }
            let (m, o1) = numerator.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(ch.wholeNumberValue!))
            guard !o1, !o2 else { return nil }
            numerator = a
            if afterPoint {
                let (d, o3) = denominator.multipliedReportingOverflow(by: 10)
                guard !o3 else { return nil }
                denominator = d
            }
        }
        return (numerator, denominator)
    }

    static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 { b == 0 ? a : gcd(b, a % b) }

    static let metricSuffixes: [(String, UInt64)] = [("k", 1_000), ("K", 1_000), ("m", 1_000_000), ("M", 1_000_000), ("g", 1_000_000_000), ("G", 1_000_000_000)]

    /// A decimal with an optional metric suffix (k, M, G) as numerator / denominator, the numerator already
    /// scaled; nil when it is not a number, `overflow` when the scaled numerator does not fit.
    static func metricDecimal(_ text: String) -> (numerator: UInt64, denominator: UInt64, overflow: Bool)? {
        var body = Substring(text)
        var scale: UInt64 = 1
        if let suffix = metricSuffixes.first(where: { body.hasSuffix($0.0) }) {
            scale = suffix.1
            body = body.dropLast()
        }
        guard let (n, d) = decimal(body) else { return nil }
        let (scaled, overflow) = n.multipliedReportingOverflow(by: scale)
        return (scaled, d, overflow)
    }

    /// A count such as `1000`, `10k`, `1.5M`; must be a whole number above zero.
    static func count(_ text: String) throws(QuantityError) -> UInt64 {
        guard let (scaled, d, overflow) = metricDecimal(text) else {
            throw QuantityError(text, "is not a count; use a whole number above zero such as 1000 or 10k")
        }
        guard !overflow, scaled % d == 0 else {
            throw QuantityError(text, "is not a whole number of events; use e.g. 1000 or 10k")
        }
        guard scaled / d > 0 else { throw QuantityError(text, "must be above zero") }
        return scaled / d
    }

    /// Nanoseconds for a time span such as `1ms`, `250us`, `0.5s`, `5s`, `2m`, `1h`, `1d`, or `5` (seconds).
    static func timeSpan(_ text: String) throws(QuantityError) -> UInt64 {
        let units: [(String, UInt64)] = [("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
                                         ("m", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000)]
        var body = Substring(text)
        var scale: UInt64 = 1_000_000_000
        if let unit = units.first(where: { body.hasSuffix($0.0) && body.dropLast($0.0.count).last?.isLetter != true }) {
            scale = unit.1
            body = body.dropLast(unit.0.count)
        }
        guard let (n, d) = decimal(body) else {
            throw QuantityError(text, "is not a duration; use sleep(1) syntax such as 250us, 1ms, 0.5s, 10s, 2m or 1h")
        }
        let (scaled, overflow) = n.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw QuantityError(text, "is too long") }
        let nanos = scaled / d
        guard nanos > 0 else { throw QuantityError(text, "must be longer than zero") }
        return nanos
    }

    /// A rate in events per second as a fraction: `2500`, `20k`, `1.5M`, `0.5`, or `1/DUR` (one per DUR).
    static func rate(_ text: String) throws(QuantityError) -> (numerator: UInt64, denominator: UInt64) {
        if text.hasPrefix("1/") {
            let period = try timeSpan(String(text.dropFirst(2)))
            guard period >= 20 else { throw QuantityError(text, "is above 50M events per second; the shortest period is 20ns") }
            let g = gcd(1_000_000_000, period)
            return (1_000_000_000 / g, period / g)
        }
        guard let (scaled, d, overflow) = metricDecimal(text) else {
            throw QuantityError(text, "is not a rate; use events per second such as 2500, 20k, 1.5M, or 1/5ms")
        }
        guard !overflow else { throw QuantityError(text, "is above 50M events per second") }
        guard scaled > 0 else {
            throw QuantityError(text, "must be a rate above zero, such as 2500, 20k or 1.5M")
        }
        let g = gcd(scaled, d)
        let rate = (scaled / g, d / g)
        guard rate.1 <= 1_000_000 else {
            throw QuantityError(text, "has more precision than loadgen keeps; give at most 6 decimals, or use --interval")
        }
        guard Double(rate.0) / Double(rate.1) <= 50_000_000 else {
            throw QuantityError(text, "is above 50M events per second")
        }
        return rate
    }
}

extension Quantity {
    /// A ratio from 0 to 1 as a decimal (`0.01`) or a percentage (`1%`); above 0 unless `allowZero`.
    static func ratio(_ text: String, allowZero: Bool) throws(QuantityError) -> Double {
        let percent = text.hasSuffix("%")
        let body = percent ? text.dropLast() : Substring(text)
        guard let (n, d) = decimal(body) else {
            throw QuantityError("'\(text)' is not a ratio; give a number from 0 to 1 such as 0.01 or 0.99, or a percentage such as 1%")
        }
        let value = Double(n) / Double(d) / (percent ? 100 : 1)
        guard value <= 1 else {
            throw QuantityError("'\(text)' is above 1 (100%); give a ratio from 0 to 1 such as 0.01 or 0.99")
        }
        guard allowZero || value > 0 else {
            throw QuantityError("'\(text)' always holds; give a ratio above 0, such as 0.95")
        }
        return value
    }

    /// `pNN=DUR`: a response-time percentile (above 0, at most 100) and its limit in sleep(1) syntax.
    static func latencyLimit(_ text: String) throws(QuantityError) -> (percentile: Double, nanos: UInt64) {
        guard let equals = text.firstIndex(of: "=") else {
            throw QuantityError("'\(text)' has no '=DUR'; write pNN=DUR such as p99=5ms or p99.9=20ms")
        }
        let name = text[..<equals]
        guard name.first == "p" || name.first == "P", let (n, d) = decimal(name.dropFirst()),
              n > 0, Double(n) / Double(d) <= 100 else {
            throw QuantityError("'\(name)' is not a percentile; write p and a number above 0 and at most 100, such as p50, p99 or p99.9 (e.g. p99=5ms)")
        }
        guard d <= 1_000_000 else {
            throw QuantityError("'\(name)' has more than 6 decimals; write a percentile such as p99.9999")
        }
        do {
            return (Double(n) / Double(d), try timeSpan(String(text[text.index(after: equals)...])))
        } catch {
            throw QuantityError("'\(text)': the limit \(error.description)")
        }
    }
}

/// A value a flag cannot take: `description` quotes the value and says why; `reason` says only why (for messages
/// that show the value already, as argument-parser's do).
struct QuantityError: Error, CustomStringConvertible {
    let description: String
    let reason: String

    init(_ description: String) {
        self.description = description
        reason = description
    }

    init(_ value: String, _ reason: String) {
        description = "'\(value)' \(reason)"
        self.reason = reason
    }
}

/// A flag value argument-parser refuses: it prints "The value 'X' is invalid for '--flag <N>': " and then this
/// description, so it says only why and what would work.
struct FlagValueError: Error, CustomStringConvertible {
    let description: String

    /// Runs `parse`, turning its QuantityError into the reason alone.
    static func reasonOnly<T>(_ parse: () throws(QuantityError) -> T) throws(FlagValueError) -> T {
        do {
            return try parse()
        } catch {
            throw FlagValueError(description: error.reason)
        }
    }
}
