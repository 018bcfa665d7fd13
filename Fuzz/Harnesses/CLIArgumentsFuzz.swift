/// The numeric and threshold arguments of the command line on any text: a count, a time span, a rate, a ratio
/// (`--max-error-ratio`, `--min-rate-ratio`) or a latency limit (`--max-latency pNN=DUR`) either parses into a
/// value inside its documented range that reads back the same from its canonical spelling, or throws a message
/// that quotes the text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCLIArguments(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let which = input.byte() % 5
    let text = input.text()
    do {
        switch which {
        case 0: checkCount(try Quantity.count(text), text)
        case 1: checkTimeSpan(try Quantity.timeSpan(text), text)
        case 2: checkRate(try Quantity.rate(text), text)
        case 3: checkRatio(text)
        default: checkLatencyLimit(try Quantity.latencyLimit(text), text)
        }
    } catch {
        fuzzCheck(!error.description.isEmpty, "\(text): an empty message")
    }
    return 0
}

private func checkCount(_ value: UInt64, _ text: String) {
    fuzzCheck(value > 0, "\(text): count 0")
    fuzzCheck((try? Quantity.count(String(value))) == value, "\(text): \(value) does not read back")
}

private func checkTimeSpan(_ nanos: UInt64, _ text: String) {
    fuzzCheck(nanos > 0, "\(text): span 0")
    fuzzCheck((try? Quantity.timeSpan("\(nanos)ns")) == nanos, "\(text): \(nanos)ns does not read back")
}

private func checkRate(_ rate: (numerator: UInt64, denominator: UInt64), _ text: String) {
    let (n, d) = rate
    fuzzCheck(n > 0 && d > 0, "\(text): rate \(n)/\(d) outside its range")
    fuzzCheck(text.hasPrefix("1/") || d <= 1_000_000, "\(text): rate \(n)/\(d) finer than 6 decimals")
    fuzzCheck(Quantity.gcd(n, d) == 1, "\(text): rate \(n)/\(d) not reduced")
    fuzzCheck(Double(n) / Double(d) <= 50_000_000, "\(text): rate \(n)/\(d) above 50M/s")
    // The schedule of the rate (a precondition traps a period that does not fit in nanoseconds).
    let pacer = Pacer(eventsPerSecondNumerator: n, denominator: d)
    fuzzCheck(pacer.offsetNanos(ofEvent: 0) == 0, "\(text): event 0 not at the origin")
    if text.hasPrefix("1/"), let period = try? Quantity.timeSpan(String(text.dropFirst(2))) {
        fuzzCheck(pacer.offsetNanos(ofEvent: 1) == period, "\(text): the period is not \(period) ns")
    }
}

private func checkRatio(_ text: String) {
    let zero = try? Quantity.ratio(text, allowZero: true)
    let positive = try? Quantity.ratio(text, allowZero: false)
    if let zero { fuzzCheck(zero >= 0 && zero <= 1, "\(text): ratio \(zero) outside 0...1") }
    if let positive { fuzzCheck(positive > 0 && positive == zero, "\(text): ratio \(positive) accepted as positive") }
    fuzzCheck(zero == nil || positive != nil || zero == 0, "\(text): a positive ratio refused")
}

private func checkLatencyLimit(_ limit: (percentile: Double, nanos: UInt64), _ text: String) {
    let (p, nanos) = limit
    fuzzCheck(p > 0 && p <= 100 && nanos > 0, "\(text): p\(p)=\(nanos)ns outside its range")
    let name = Threshold.maxLatency(percentile: p, nanos: nanos).name
    fuzzCheck(name.hasPrefix("max_latency_p"), "\(text): threshold named \(name)")
    let again = try? Quantity.latencyLimit("p\(Threshold.percentileText(p))=\(nanos)ns")
    fuzzCheck(again?.nanos == nanos, "\(text): the limit does not read back")
    if let again { fuzzCheck(abs(again.percentile - p) <= p * 1e-12, "\(text): p\(p) reads back as p\(again.percentile)") }
}
