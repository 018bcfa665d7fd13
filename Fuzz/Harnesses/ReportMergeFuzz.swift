/// `loadgen merge FILE` and `loadgen plot FILE` on one hostile file of JSON reports (`~h`/`~c` placeholders
/// expanded first, see HdrPlaceholders): the documents read and merge, or a `JSONInput.Failure` says why not; a
/// merge adds up, plots, and renders JSON that reads back and merges to the same JSON (see ReportRoundTrip).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReportMerge(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    // `loadgen merge` refuses a file that is not UTF-8 before reading any of it.
    guard let raw = String(validating: input.rest(), as: UTF8.self) else { return 0 }
    let inputs: [ReportInput]
    let merged: ReportRoundTrip.Merged
    do throws(JSONInput.Failure) {
        inputs = try ReportRoundTrip.read(HdrPlaceholders.expand(raw), source: "fuzz.json")
        merged = try ReportMerge.merge(inputs)
    } catch {
        fuzzCheck(!error.description.isEmpty, "a failure without a reason")
        return 0
    }
    ReportRoundTrip.check(inputs, merged)
    return 0
}
