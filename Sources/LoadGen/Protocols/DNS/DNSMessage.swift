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
}
