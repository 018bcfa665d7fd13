/// NameTemplate on any text: it parses or throws, and every expansion fits `maxLength` (ASan watches a buffer of
/// exactly that size), is the same each time for the same event and is `maxLength` long for the longest event.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNameTemplate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let salt = input.uint64()
    let text = input.text()
    let template: NameTemplate
    do {
        guard let parsed = try NameTemplate(text, salt: salt) else { return 0 }
        template = parsed
    } catch {
        _ = error.description
        return 0
    }
    let capacity = template.maxLength
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: Swift.max(capacity, 1))
    defer { buffer.deallocate() }
    var events: [(UInt64, Int)] = [(0, 0), (.max, 999)]
    while !input.isEmpty && events.count < 10 { events.append((input.uint64(), Int(input.byte()) * 4 % 1_000)) }
    for (sequence, thread) in events {
        let n = template.expand(sequence: sequence, thread: thread, into: buffer)
        fuzzCheck(n <= capacity, "\(text): \(n) bytes for event \(sequence), maxLength \(capacity)")
        let first = String(decoding: UnsafeBufferPointer(start: buffer, count: n), as: UTF8.self)
        fuzzCheck(template.expandToString(sequence: sequence, thread: thread) == first, "\(text): not repeatable")
    }
    fuzzCheck(template.longestExample.utf8.count == capacity, "\(text): longestExample is not maxLength long")
    return 0
}
