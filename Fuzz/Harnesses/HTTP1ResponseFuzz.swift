/// HTTP1ResponseParser on a byte stream, fed whole and again split at points the fuzzer chooses: the events,
/// where they happen and the final error must not depend on the split.
///
/// Input: a flags byte (bit 0: the request was HEAD; bit 1: tight limits from the next three bytes), four
/// split lengths, then the bytes the server sent.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1Response(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let flags = input.byte()
    var limits = HTTP1ResponseParser.Limits()
    if flags & 2 != 0 {
        limits.maxHeaderBytes = 16 + Int(input.byte())
        limits.maxLineBytes = 4 + Int(input.byte() & 63)
        limits.maxChunkLineBytes = 2 + Int(input.byte() & 15)
    }
    let splits = (0..<4).map { _ in 1 + Int(input.byte() & 31) }
    let stream = UnsafeRawBufferPointer(input.rest())
    let whole = ParserRun(stream: stream, isHead: flags & 1 != 0, limits: limits, chunks: [stream.count + 1])
    let split = ParserRun(stream: stream, isHead: flags & 1 != 0, limits: limits, chunks: splits)
    fuzzCheck(whole.log == split.log, "split \(splits) changed the events:\n\(whole.log)\n\(split.log)")
    return 0
}

/// One pass over the stream, as a connection reads it: parse each chunk until it is consumed, a new response
/// after each `.complete`, `connectionClosed` at the end. `log` lists every event with its stream offset.
struct ParserRun {
    var log: [String] = []

    init(stream: UnsafeRawBufferPointer, isHead: Bool, limits: HTTP1ResponseParser.Limits, chunks: [Int]) {
        var parser = HTTP1ResponseParser(limits: limits)
        parser.expectResponse(isHead: isHead)
        var offset = 0
        var chunk = 0
        while offset < stream.count {
            let end = Swift.min(stream.count, offset + chunks[chunk % chunks.count])
            chunk += 1
            // Each call consumes a byte or reaches an event, and each byte ends at most two events.
            let budget = 3 * (end - offset) + 4
            var steps = 0
            while offset < end {
                steps += 1
                fuzzCheck(steps <= budget, "no progress at offset \(offset)")
                let piece = UnsafeRawBufferPointer(rebasing: stream[offset..<end])
                let result: (consumed: Int, event: HTTP1ResponseParser.Event)
                do {
                    result = try parser.parse(piece)
                } catch {
                    log.append("error \(error)")
                    return
                }
                fuzzCheck(result.consumed >= 0 && result.consumed <= piece.count, "consumed \(result.consumed) of \(piece.count)")
                offset += result.consumed
                switch result.event {
                case .needMore:
                    fuzzCheck(result.consumed == piece.count, ".needMore with \(piece.count - result.consumed) bytes left")
                case .head(let status):
                    fuzzCheck((100...999).contains(status) && status == parser.status, "status \(status)")
                    log.append("head \(status) at \(offset)")
                case .complete(let keepAlive):
                    log.append("complete \(keepAlive) body \(parser.bodyBytes) at \(offset)")
                    parser.expectResponse(isHead: isHead)
                }
            }
        }
        do {
            log.append("closed \(try parser.connectionClosed())")
        } catch {
            log.append("closed: \(error)")
        }
    }
}
