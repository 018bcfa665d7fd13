import Foundation // HTTPURL uses its String.range(of:)

/// HTTP1Request's heads with placeholders, as `loadgen http` builds them: every expansion must fit the buffer the
/// worker sizes for it, for every target served on one connection, whatever the sequence number and thread.
///
/// Input, fields separated by NUL: method, a flags byte (bit 0: keep-alive), a body length byte, then up to three
/// URLs and header lines (a field starting with "http" is a URL, any other a header), then sequence numbers.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1RequestTemplates(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let method = input.text()
    guard !method.isEmpty, method.utf8.allSatisfy(HTTP1Request.isTokenCharacter) else { return 0 }
    let flags = input.byte()
    let body = [UInt8](repeating: UInt8(ascii: "b"), count: Int(input.byte()))
    var urls: [HTTPURL] = []
    var headers: [HTTP1Request.Header] = []
    for _ in 0..<6 where !input.isEmpty {
        let text = input.text()
        if text.hasPrefix("http") {
            if let url = try? HTTPURL(parsing: text), urls.count < 3 { urls.append(url) }
        } else if let header = try? HTTP1Request.Header(parsing: text) {
            headers.append(header)
        }
    }
    var targets: [HTTPTarget] = []
    for url in urls {
        let head = HTTP1Request.head(method: method, url: url, headers: headers, bodyLength: body.count,
                                     keepAlive: flags & 1 != 0)
        var target = HTTPTarget(url: url, method: method, request: Array(head.utf8) + body, body: body)
        guard let template = try? NameTemplate(head, salt: 0x5EED) else { continue }
        target.headTemplate = template
        fuzzCheck(template.expandToString(sequence: 0, thread: 0).utf8.count <= template.maxLength, "expansion of 0")
        targets.append(target)
    }
    guard !targets.isEmpty else { return 0 }
    let capacity = HTTP1Request.bufferCapacity(for: targets)
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    defer { buffer.deallocate() }
    var sequences: [UInt64] = [0, 9, 10, .max]
    while !input.isEmpty && sequences.count < 12 { sequences.append(input.uint64()) }
    for (i, sequence) in sequences.enumerated() {
        // As HTTP1Worker.send does: the expanded head, then the body, into the connection's one buffer (ASan
        // reports a write past its end).
        let target = targets[i % targets.count]
        var n = target.headTemplate!.expand(sequence: sequence, thread: Int(sequence % 1_000), into: buffer)
        for b in target.body { buffer[n] = b; n += 1 }
        fuzzCheck(n <= capacity, "wrote \(n) bytes into \(capacity)")
        let text = String(decoding: UnsafeBufferPointer(start: buffer, count: n), as: UTF8.self)
        fuzzCheck(text.hasPrefix(method + " "), "request line")
    }
    return 0
}
