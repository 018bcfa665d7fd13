/// DNS messages over a byte stream (RFC 1035 §4.2.2, RFC 7766, RFC 7858): each one prefixed with its length as
/// two bytes, network order. Reassembles messages split across reads and hands each whole one to the caller,
/// in place when a read holds it whole and from its own buffer otherwise. Every byte is the peer's: the length
/// is at most 65,535 by construction, and a frame too short to hold a DNS header is reported, not parsed.
/// Pure byte work, no allocation after init. Loop thread only (one per connection).
final class DNSStreamFramer {
    /// What one call of `feed` found, beyond the messages it handed out.
    struct Summary: Equatable {
        /// Whole frames handed out.
        var messages = 0
        /// Frames shorter than a DNS header (12 bytes), skipped.
        var runts = 0
    }

    /// The bytes of the message being reassembled (length prefix included), at most 2 + 65,535.
    private let buffer: UnsafeMutableRawPointer
    private var buffered = 0
    static let capacity = 2 + 65_535

    init() {
        buffer = .allocate(byteCount: DNSStreamFramer.capacity, alignment: 2)
    }

    deinit { buffer.deallocate() }

    /// Bytes of an unfinished frame held from earlier reads.
    var pendingBytes: Int { buffered }

    /// Forgets a partial frame (the connection is gone).
    func reset() { buffered = 0 }

    /// Feeds the bytes of one read; `body` gets every whole message (valid during the call) and returns false
    /// to stop at once (the connection was closed under it; the rest is dropped).
    @discardableResult
    func feed(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Bool) -> Summary {
        var summary = Summary()
        var rest = bytes
        if buffered > 0 {
            rest = fillPending(from: rest)
            guard let length = pendingLength, buffered == 2 + length else { return summary }
            buffered = 0
            guard deliver(UnsafeRawBufferPointer(start: buffer + 2, count: length), &summary, body) else { return summary }
        }
        while rest.count >= 2 {
            let length = Int(rest[0]) << 8 | Int(rest[1])
            guard rest.count >= 2 + length else { break }
            let message = UnsafeRawBufferPointer(rebasing: rest[2..<(2 + length)])
            rest = UnsafeRawBufferPointer(rebasing: rest[(2 + length)...])
            guard deliver(message, &summary, body) else { return summary }
        }
        if !rest.isEmpty {
            buffer.copyMemory(from: rest.baseAddress!, byteCount: rest.count)
            buffered = rest.count
        }
        return summary
    }

    /// The length of the frame being reassembled, once its prefix is in.
    private var pendingLength: Int? {
        guard buffered >= 2 else { return nil }
        let bytes = buffer.assumingMemoryBound(to: UInt8.self)
        return Int(bytes[0]) << 8 | Int(bytes[1])
    }

    /// Moves bytes into the pending frame, up to its end; returns what is left of `bytes`.
    private func fillPending(from bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var rest = bytes
        if buffered < 2 {
            let n = min(2 - buffered, rest.count)
            (buffer + buffered).copyMemory(from: rest.baseAddress!, byteCount: n)
            buffered += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
        guard let length = pendingLength else { return rest }
        let n = min(2 + length - buffered, rest.count)
        if n > 0 {
            (buffer + buffered).copyMemory(from: rest.baseAddress!, byteCount: n)
            buffered += n
        }
        return UnsafeRawBufferPointer(rebasing: rest[n...])
    }

    private func deliver(_ message: UnsafeRawBufferPointer, _ summary: inout Summary,
                         _ body: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        guard message.count >= DNSMessage.headerBytes else {
            summary.runts += 1
            return true
        }
        summary.messages += 1
        return body(message)
    }

    /// Writes the two-byte length prefix of a `length`-byte message at `out`.
    @inline(__always)
    static func writePrefix(_ length: Int, at out: UnsafeMutableRawPointer) {
        precondition(length <= 65_535, "a DNS message over a stream is at most 65,535 bytes")
        out.storeBytes(of: UInt8(length >> 8), toByteOffset: 0, as: UInt8.self)
        out.storeBytes(of: UInt8(length & 0xFF), toByteOffset: 1, as: UInt8.self)
    }
}
