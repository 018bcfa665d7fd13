/// EchoMatcher on any datagrams and ICMP error quotes (`loadgen udp --expect-echo` reads both from the network):
/// a run of events is sent, then each input field is an echo or a quote, possibly a real tag with bytes flipped or
/// cut. An event ends at most once (by its echo or its error), a datagram that ends none is counted exactly once,
/// and each slot's event can still be answered by its own intact echo unless it already ended.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEchoMatcher(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let capacity = Int(input.byte() % 8) + 1
    let matcher = EchoMatcher(capacity: capacity, salt: input.uint64())
    var waiting = [UInt64?](repeating: nil, count: capacity)
    var length = [Int](repeating: 0, count: capacity)
    for slot in 0..<capacity {
        let sequence = input.uint64() % 1_000
        length[slot] = EchoMatcher.tagBytes + Int(input.byte() % 48)
        matcher.sent(slot: Int32(slot), sequence: sequence, bytes: length[slot])
        waiting[slot] = sequence
    }
    var ended = 0
    var counted: UInt64 = 0
    while !input.isEmpty {
        let choice = input.byte()
        var bytes = input.field()
        // A real tag of one event, then maybe altered: the fuzzer's own bytes alone would rarely carry one.
        if choice & 1 == 1, case let slot = Int(choice >> 1) % capacity, let sequence = waiting[slot] ?? Optional(0) {
            var tagged = [UInt8](repeating: 0x78, count: Swift.max(length[slot], EchoMatcher.tagBytes))
            tagged.withUnsafeMutableBytes { matcher.writeTag(sequence: sequence, slot: Int32(slot), into: $0.baseAddress!) }
            for (i, b) in bytes.prefix(4).enumerated() where b & 0x80 != 0 { tagged[Int(b) % tagged.count] ^= UInt8(i + 1) }
            if choice & 2 == 2 { tagged.removeLast(Int(bytes.first ?? 0) % tagged.count) }
            bytes = tagged
        }
        if choice & 4 == 4 {
            let slot = bytes.withUnsafeBytes { matcher.failed(quoting: $0) }
            if let slot {
                fuzzCheck(waiting[Int(slot)] != nil, "a quote ended slot \(slot) twice")
                waiting[Int(slot)] = nil
                ended += 1
            }
        } else {
            switch bytes.withUnsafeBytes({ matcher.match($0) }) {
            case .matched(let slot):
                fuzzCheck(waiting[Int(slot)] != nil, "an echo ended slot \(slot) twice")
                fuzzCheck(bytes.count == length[Int(slot)], "an echo of \(bytes.count) bytes matched \(length[Int(slot)])")
                waiting[Int(slot)] = nil
                ended += 1
            case .duplicate, .late, .truncated, .foreign:
                counted += 1
            }
        }
    }
    let c = matcher.counts
    fuzzCheck(c.duplicates + c.late + c.truncated + c.foreign == counted, "counts \(c) against \(counted) unmatched")
    fuzzCheck(ended + waiting.compactMap { $0 }.count == capacity, "events lost")
    return 0
}
