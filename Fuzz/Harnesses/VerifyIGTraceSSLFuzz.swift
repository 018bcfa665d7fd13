/// `loadgen verify --format ig-trace-ssl` on a fuzzed events log and observed file (see VerifyFuzz).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVerifyIGTraceSSL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    VerifyFuzz.run(&input, options: VerifyOptions(format: .igTraceSSL))
    return 0
}
