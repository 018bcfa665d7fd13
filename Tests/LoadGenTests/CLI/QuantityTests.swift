import Testing
@testable import LoadGen

@Suite struct QuantityTests {
    private func rate(_ text: String) -> (UInt64, UInt64)? {
        guard let r = try? Quantity.rate(text) else { return nil }
        return (r.numerator, r.denominator)
    }

    private func error<T>(_ parse: (String) throws(QuantityError) -> T, _ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: Rates

    @Test(arguments: [
        ("2500", 2_500, 1), ("20k", 20_000, 1), ("20K", 20_000, 1), ("1.5M", 1_500_000, 1), ("0.5", 1, 2),
        ("1/5ms", 200, 1), ("1/3ms", 1_000, 3), ("1/1s", 1, 1), ("1/2", 1, 2), ("1/250us", 4_000, 1),
        ("333.25", 1_333, 4), ("50M", 50_000_000, 1), ("1", 1, 1), ("2.50", 5, 2),
    ] as [(String, UInt64, UInt64)])
    func ratesParseAsReducedFractions(text: String, numerator: UInt64, denominator: UInt64) throws {
        let r = try Quantity.rate(text)
        #expect(r.numerator == numerator && r.denominator == denominator, "\(text) → \(r.numerator)/\(r.denominator)")
    }

    @Test func rateErrorsSayWhatWouldWork() {
        #expect(error(Quantity.rate, "0") == "'0' must be a rate above zero, such as 2500, 20k or 1.5M")
        #expect(error(Quantity.rate, "0k") == "'0k' must be a rate above zero, such as 2500, 20k or 1.5M")
        #expect(error(Quantity.rate, "0.0") == "'0.0' must be a rate above zero, such as 2500, 20k or 1.5M")
        for bad in ["-5", "abc", "", "1.5.5", ".", "k", "1e3", "20 k", "2/5ms", "+5"] {
            #expect(error(Quantity.rate, bad) == "'\(bad)' is not a rate; use events per second such as 2500, 20k, 1.5M, or 1/5ms", "\(bad)")
        }
        #expect(error(Quantity.rate, "60M") == "'60M' is above 50M events per second")
        #expect(error(Quantity.rate, "1/0")?.contains("longer than zero") == true)
        #expect(error(Quantity.rate, "1/10x")?.contains("is not a duration") == true)
        #expect(error(Quantity.rate, "99999999999999999999") != nil, "overflow is an error, not a crash")
        // Too large to represent: the message must not claim the rate is not above zero.
        #expect(error(Quantity.rate, "100000000000000G") == "'100000000000000G' is above 50M events per second")
    }

    // MARK: Counts

    @Test(arguments: [
        ("1000", 1_000), ("10k", 10_000), ("1.5k", 1_500), ("1M", 1_000_000), ("2.5M", 2_500_000), ("1G", 1_000_000_000),
        ("1", 1), ("007", 7), ("1.000", 1),
    ] as [(String, UInt64)])
    func countsParse(text: String, value: UInt64) throws {
        #expect(try Quantity.count(text) == value)
    }

    @Test func countErrorsSayWhatWouldWork() {
        #expect(error(Quantity.count, "0") == "'0' must be above zero")
        #expect(error(Quantity.count, "0k") == "'0k' must be above zero")
        #expect(error(Quantity.count, "1.5") == "'1.5' is not a whole number of events; use e.g. 1000 or 10k")
        #expect(error(Quantity.count, "1.0005k") == "'1.0005k' is not a whole number of events; use e.g. 1000 or 10k")
        for bad in ["abc", "", "-1", "1.5.5", "k", "10x", "1 000"] {
            #expect(error(Quantity.count, bad) == "'\(bad)' is not a count; use a whole number above zero such as 1000 or 10k", "\(bad)")
        }
        #expect(error(Quantity.count, "100000000000G") != nil, "overflow is an error")
    }

    // MARK: Time spans

    @Test(arguments: [
        ("1ms", 1_000_000), ("250us", 250_000), ("250µs", 250_000), ("0.5s", 500_000_000), ("5s", 5_000_000_000),
        ("2m", 120_000_000_000), ("1h", 3_600_000_000_000), ("1d", 86_400_000_000_000), ("5", 5_000_000_000),
        ("0.5", 500_000_000), ("100ns", 100), ("1.5ms", 1_500_000), ("10s", 10_000_000_000), ("0.001", 1_000_000),
    ] as [(String, UInt64)])
    func timeSpansParseToNanoseconds(text: String, nanos: UInt64) throws {
        #expect(try Quantity.timeSpan(text) == nanos)
    }

    @Test func timeSpanErrorsSayWhatWouldWork() {
        #expect(error(Quantity.timeSpan, "0") == "'0' must be longer than zero")
        #expect(error(Quantity.timeSpan, "0ms") == "'0ms' must be longer than zero")
        #expect(error(Quantity.timeSpan, "0.1ns") == "'0.1ns' must be longer than zero")
        for bad in ["10x", "", "ms", "s", "-1s", "1.5.5s", "5 s", "1e3", "abc", "10sec", "1xs"] {
            #expect(error(Quantity.timeSpan, bad) == "'\(bad)' is not a duration; use sleep(1) syntax such as 250us, 1ms, 0.5s, 10s, 2m or 1h", "\(bad)")
        }
        #expect(error(Quantity.timeSpan, "1000000000d") == "'1000000000d' is too long")
    }

    @Test func decimalIsExact() {
        #expect(Quantity.decimal("1.25")! == (125, 100))
        #expect(Quantity.decimal("0.5")! == (5, 10))
        #expect(Quantity.decimal("7")! == (7, 1))
        #expect(Quantity.decimal(".5")! == (5, 10))
        #expect(Quantity.decimal("5.")! == (5, 1))
        #expect(Quantity.decimal(".") == nil)
        #expect(Quantity.decimal("") == nil)
        #expect(Quantity.decimal("1.2.3") == nil)
        #expect(Quantity.decimal("١٢") == nil, "non-ASCII digits are not numbers here")
        #expect(Quantity.decimal("18446744073709551616") == nil, "overflow")
    }

    // Found by Fuzz/Harnesses/CLIArgumentsFuzz.swift (seeds rate-period-*): a period prime to 10⁹ made the
    // pacer's 10⁹ × denominator overflow and trap; a period under 20 ns passed the 50M/s cap.
    @Test func periodRatesKeepTheirExactPeriodAndTheCap() throws {
        let long = try Quantity.rate("1/17279999999999999999ns")
        let pacer = Pacer(eventsPerSecondNumerator: long.numerator, denominator: long.denominator)
        #expect(pacer.offsetNanos(ofEvent: 1) == 17_279_999_999_999_999_999)
        let days = try Quantity.rate("1/666666166")
        #expect(Pacer(eventsPerSecondNumerator: days.numerator, denominator: days.denominator)
            .offsetNanos(ofEvent: 1) == 666_666_166_000_000_000)
        #expect(error(Quantity.rate, "1/1ns")?.contains("above 50M events per second") == true)
        #expect(error(Quantity.rate, "1/19ns") != nil)
        let fastest = try Quantity.rate("1/20ns")
        #expect(fastest.numerator == 50_000_000 && fastest.denominator == 1)
    }

    // Found by the same harness (seeds latency-*): p.00009 was named "p9e-05", which does not read back, and
    // percentiles finer than a double keeps were accepted.
    @Test func latencyPercentilesReadBackFromTheirNames() throws {
        let tiny = try Quantity.latencyLimit("p.00009=.5")
        #expect(tiny.percentile == 0.00009 && tiny.nanos == 500_000_000)
        #expect(Threshold.maxLatency(percentile: tiny.percentile, nanos: tiny.nanos).name == "max_latency_p0.00009")
        #expect(Threshold.percentileText(99.9999) == "99.9999")
        #expect(Threshold.percentileText(50) == "50")
        #expect(error(Quantity.latencyLimit, "P.000000000517614647=9.s")?.contains("more than 6 decimals") == true)
    }
}
