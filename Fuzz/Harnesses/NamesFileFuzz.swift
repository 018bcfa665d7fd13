/// NamesFile on any text (a `--names-file`): it parses or throws a message naming the line, and every question
/// it accepts builds a query whose every expansion is a well-formed DNS message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNamesFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let text = String(decoding: input.rest(), as: UTF8.self)
    let questions: [DNSQuestion]
    do {
        questions = try NamesFile.parse(text, salt: 7)
    } catch {
        _ = error.description
        return 0
    }
    fuzzCheck(!questions.isEmpty, "no question and no error")
    for question in questions.prefix(8) {
        DNSQueryCheck.check(question, sequences: [0, 1, 99, 12_345, .max])
    }
    return 0
}
