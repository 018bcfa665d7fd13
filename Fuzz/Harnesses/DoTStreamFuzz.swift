/// What DoTWorker does with the bytes a DNS-over-TLS server sends, after decryption: the stream cut at arbitrary
/// points (as reads cut it) goes through DNSStreamFramer, and every whole message is matched against the queries
/// in flight by ID and question (DNSQueryTable, DNSMessage.answers). Invariants: no trap; no frame over 65,535
/// bytes; the framer hands out exactly the frames the stream holds; every query is answered at most once; an
/// answer that completes nothing is counted.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDoTStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    var cuts: [Int] = []
    for _ in 0..<Int(input.byte() % 8) { cuts.append(Int(input.byte()) | Int(input.byte()) << 8) }
    let stream = UnsafeRawBufferPointer(input.rest())
    // One framer and one table for every input (each allocates 64 KiB tables once, as per connection and per
    // thread in DoTWorker): the framer starts empty, and every query still in flight ends below.
    let framer = dotFuzzFramer, table = dotFuzzTable
    framer.reset()
    var queries: [Int32: [UInt8]] = [:], ids: [Int32: UInt16] = [:]
    for (slot, packet) in dotFuzzQueries.enumerated() {
        guard let id = table.begin(slot: Int32(slot)) else { continue }
        var query = packet
        query.withUnsafeMutableBytes { DNSMessage.setID(id, in: $0) }
        queries[Int32(slot)] = query
        ids[Int32(slot)] = id
    }
    var answered = Set<Int32>(), frames = 0, unmatched = 0, offset = 0
    for cut in (cuts.map { min($0, stream.count) }.sorted() + [stream.count]) where cut >= offset {
        let chunk = UnsafeRawBufferPointer(rebasing: stream[offset..<cut])
        offset = cut
        let summary = framer.feed(chunk) { message in
            frames += 1
            fuzzCheck(message.count <= 65_535, "a \(message.count)-byte frame")
            guard DNSMessage.isResponse(message), let id = DNSMessage.id(of: message), let slot = table.slot(of: id),
                  let query = queries[slot], query.withUnsafeBytes({ DNSMessage.answers($0, with: message) }) else {
                unmatched += 1
                if let id = DNSMessage.id(of: message) { table.unmatched(id: id) } else { table.ledger.notAResponse() }
                return true
            }
            fuzzCheck(answered.insert(slot).inserted, "slot \(slot) answered twice")
            table.end(id: id, .answered)
            return true
        }
        fuzzCheck(summary.messages + summary.runts <= chunk.count / 2 + 1, "more frames than bytes allow")
        fuzzCheck(framer.pendingBytes <= DNSStreamFramer.capacity, "pending \(framer.pendingBytes)")
    }
    fuzzCheck(frames == dotFuzzFrameCount(stream), "framer gave \(frames) frames")
    fuzzCheck(table.inFlight == queries.count - answered.count, "in flight \(table.inFlight)")
    for (slot, id) in ids where !answered.contains(slot) { table.end(id: id, .ended) }
    fuzzCheck(table.inFlight == 0, "IDs left in flight")
    return 0
}

/// The whole frames a stream holds (prefix + body), counted the simple way, runts included.
func dotFuzzFrameCount(_ stream: UnsafeRawBufferPointer) -> Int {
    var i = 0, count = 0
    while i + 2 <= stream.count {
        let length = Int(stream[i]) << 8 | Int(stream[i + 1])
        guard i + 2 + length <= stream.count else { break }
        if length >= DNSMessage.headerBytes { count += 1 }
        i += 2 + length
    }
    return count
}

nonisolated(unsafe) let dotFuzzFramer = DNSStreamFramer()
nonisolated(unsafe) let dotFuzzTable = DNSQueryTable()

/// Four queries as DoTWorker builds them (ID patched per query).
nonisolated(unsafe) let dotFuzzQueries: [[UInt8]] = ["a.example.test", "b.example.test", "Mixed.Case.test", "x"].map {
    DNSMessage.query(name: try! DNSName($0), type: .a)
}
