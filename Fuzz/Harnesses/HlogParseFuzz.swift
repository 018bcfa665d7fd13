/// `HlogFile(parsing:)` on a hostile interval log (`~h` placeholders expanded first, see HdrPlaceholders): it parses
/// or throws a `JSONInput.Failure` naming the line; a log that parses plots (`loadgen plot`), and merges with itself
/// (`loadgen merge`) into a log that reparses with every interval's count doubled (see HlogRoundTrip).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHlogParse(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    // `loadgen merge` and `loadgen plot` refuse a file that is not UTF-8 before reading any of it.
    guard let raw = String(validating: input.rest(), as: UTF8.self) else { return 0 }
    let log: HlogFile
    do throws(JSONInput.Failure) {
        log = try HlogFile(parsing: HdrPlaceholders.expand(raw), source: "fuzz.hlog")
    } catch {
        fuzzCheck(!error.description.isEmpty, "a failure without a reason")
        return 0
    }
    HlogRoundTrip.checkPlot(log)
    HlogRoundTrip.checkMergedWithItself(log)
    return 0
}
