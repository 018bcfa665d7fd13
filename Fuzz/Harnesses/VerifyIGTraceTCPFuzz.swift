/// `loadgen verify --format ig-trace-tcp` on a fuzzed events log and observed file (see VerifyFuzz).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVerifyIGTraceTCP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    VerifyFuzz.run(&input, options: VerifyOptions(format: .igTraceTCP))
    return 0
}
