/// What loadgen reads from a DNS server's answer (c-ares has framed it): its ID, RCODE and TC bit, as DNSWorker
/// and Resolver read them, the name of the RCODE the report prints, and how AnswerLedger counts an answer no query
/// took, whatever became of its ID. Then the question the answer's first line names (up to a newline), built as
/// DNSWorker builds queries.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNSAnswer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let question = input.text(separator: 0x0A)
    input = FuzzInput(data, size)
    let answer = UnsafeRawBufferPointer(input.rest())
    let id = DNSMessage.id(of: answer)
    let rcode = DNSMessage.rcode(of: answer)
    fuzzCheck((id == nil) == (answer.count < 12) && (rcode == nil) == (answer.count < 12), "short answer")
    if let id { fuzzCheck(id == UInt16(answer[0]) << 8 | UInt16(answer[1]), "ID") }
    if let rcode { fuzzCheck((0...15).contains(rcode) && !DNSRcode.name(rcode).isEmpty, "RCODE \(rcode)") }
    fuzzCheck(!DNSMessage.isTruncated(answer) || answer.count >= 12, "TC bit of a short answer")
    let ledger = fuzzLedger
    let answerID = id ?? 0
    let fate = AnswerLedger.Fate(rawValue: UInt8(size % 5)) ?? .unused
    if fate != .unused { ledger.sent(id: answerID) }
    if fate != .inFlight && fate != .unused { ledger.ended(id: answerID, fate) }
    let before = ledger.counters
    let kind = ledger.unmatched(id: answerID, truncated: DNSMessage.isTruncated(answer), tcFallback: size & 8 != 0)
    fuzzCheck(ledger.counters != before, "\(kind) counted nowhere")
    ledger.ended(id: answerID, .unused)
    if let parsed = try? DNSQuestion.parsing(question, type: DNSType(code: UInt16(size)), salt: UInt64(size)) {
        DNSQueryCheck.check(parsed, sequences: [0, UInt64(size), .max])
    }
    return 0
}

/// One ledger for every input (64 KiB, allocated once, as one per channel is).
nonisolated(unsafe) let fuzzLedger = AnswerLedger()
