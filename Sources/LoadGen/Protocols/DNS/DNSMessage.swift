/// The few fields of a DNS message that loadgen writes and reads. Pure byte work.
enum DNSMessage {
    static let headerBytes = 12

    /// A standard query (RD set, one question, class IN) with ID 0; `setID` patches it per event.
    static func query(name: DNSName, type: DNSType, recursionDesired: Bool = true) -> [UInt8] {
        var packet: [UInt8] = [0, 0, recursionDesired ? 0x01 : 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        packet.reserveCapacity(headerBytes + name.wire.count + 4)
        packet.append(contentsOf: name.wire)
        packet.append(UInt8(type.code >> 8))
        packet.append(UInt8(type.code & 0xFF))
        packet.append(0)
        packet.append(1)
        return packet
    }

    /// Writes a query (ID 0, RD set, one question, class IN) for a name given as text (`a.b.c`, an optional
    /// trailing dot) into `packet`; returns its length. The caller checked the name's limits.
    static func writeQuery(name text: UnsafeBufferPointer<UInt8>, type: DNSType, into packet: UnsafeMutableRawPointer) -> Int {
        let out = packet.assumingMemoryBound(to: UInt8.self)
        for i in 0..<headerBytes { out[i] = 0 }
        out[2] = 0x01  // RD
        out[5] = 1     // QDCOUNT
        var n = headerBytes
        var labelStart = n
        n += 1
        for b in text {
            if b == UInt8(ascii: ".") {
                out[labelStart] = UInt8(n - labelStart - 1)
                labelStart = n
                n += 1
            } else {
                out[n] = b
                n += 1
            }
        }
        let lastLength = n - labelStart - 1
        if lastLength > 0 {
            out[labelStart] = UInt8(lastLength)
            out[n] = 0
            n += 1
        } else {
            out[labelStart] = 0
        }
        out[n] = UInt8(type.code >> 8); out[n + 1] = UInt8(type.code & 0xFF)
        out[n + 2] = 0; out[n + 3] = 1
        return n + 4
    }

    @inline(__always)
    static func setID(_ id: UInt16, in packet: UnsafeMutableRawBufferPointer) {
        packet[0] = UInt8(id >> 8)
        packet[1] = UInt8(id & 0xFF)
    }

    /// The ID of a message, or nil when it is shorter than a header.
    @inline(__always)
    static func id(of message: UnsafeRawBufferPointer) -> UInt16? {
        guard message.count >= headerBytes else { return nil }
        return UInt16(message[0]) << 8 | UInt16(message[1])
    }

    /// The 4-bit RCODE of a response, or nil when it is shorter than a header.
    @inline(__always)
    static func rcode(of message: UnsafeRawBufferPointer) -> Int? {
        guard message.count >= headerBytes else { return nil }
        return Int(message[3] & 0x0F)
    }

    /// True when the TC (truncated) bit is set.
    @inline(__always)
    static func isTruncated(_ message: UnsafeRawBufferPointer) -> Bool {
        message.count >= headerBytes && message[2] & 0x02 != 0
    }

    /// True when the QR bit says the message is a response.
    @inline(__always)
    static func isResponse(_ message: UnsafeRawBufferPointer) -> Bool {
        message.count >= headerBytes && message[2] & 0x80 != 0
    }

    /// True when `answer` is a response to `query` (a query loadgen built: one question, no compression): the
    /// same ID, one question, and that question equal to the query's (names compared ASCII-case-insensitively,
    /// as servers may echo them in another case). Reads only within both buffers, whatever the answer holds.
    static func answers(_ query: UnsafeRawBufferPointer, with answer: UnsafeRawBufferPointer) -> Bool {
        guard query.count > headerBytes, answer.count >= query.count, isResponse(answer),
              answer[0] == query[0], answer[1] == query[1], answer[4] == 0, answer[5] == 1 else { return false }
        // Walk the query's name (ours, well formed): label lengths, the type and the class must be equal;
        // letters inside labels may differ in case.
        var i = headerBytes
        while i < query.count - 4 {
            let length = Int(query[i])
            guard answer[i] == query[i], i + 1 + length <= query.count - 4 else { return false }
            for j in (i + 1)..<(i + 1 + length) where answer[j] != query[j] {
                guard answer[j] | 0x20 == query[j] | 0x20, (0x61...0x7A).contains(query[j] | 0x20) else { return false }
            }
            i += 1 + length
            if length == 0 { break }
        }
        for j in i..<query.count where answer[j] != query[j] { return false }
        return true
    }
}
