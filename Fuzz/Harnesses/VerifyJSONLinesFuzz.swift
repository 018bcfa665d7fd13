/// `loadgen verify --format jsonl` with fuzzed `--key`, `--where` and `--time` arguments (the first three
/// NUL-separated fields; an empty one is left out), then a fuzzed events log and observed file (see VerifyFuzz).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVerifyJSONLines(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let keyText = input.text()
    let whereText = input.text()
    let timeText = input.text()
    var options = VerifyOptions(format: .jsonl)
    do {
        options.keys = try JSONLinesFormat.keys([keyText])
        if !whereText.isEmpty { options.filters = [try JSONLinesFormat.filter(whereText)] }
        if !timeText.isEmpty { options.time = try JSONLinesFormat.time(timeText) }
    } catch {
        _ = error.description
        return 0
    }
    VerifyFuzz.run(&input, options: options)
    return 0
}
