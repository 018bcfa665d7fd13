/// `loadgen verify --format tshark-fields` on a fuzzed events log and observed file (see VerifyFuzz).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVerifyTsharkFields(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    VerifyFuzz.run(&input, options: VerifyOptions(format: .tsharkFields))
    return 0
}
