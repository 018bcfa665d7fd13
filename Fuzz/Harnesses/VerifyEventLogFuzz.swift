/// loadgen's `--events` log as `verify` reads it (every event's fields, and extra fields by dotted path), then
/// joined with an empty capture (see VerifyFuzz; input: the log).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVerifyEventLog(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let log = input.rest()
    let events = try? VerifyEventLog.parse(log, file: "events.jsonl", extraPaths: [["status"], ["a", "b"]])
    if let events { fuzzCheck(events.count <= log.count, "more events than bytes") }
    input = FuzzInput(data, size)
    VerifyFuzz.run(&input, options: VerifyOptions(format: .igTraceDNS))
    return 0
}
