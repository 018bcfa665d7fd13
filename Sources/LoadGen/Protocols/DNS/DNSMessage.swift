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
