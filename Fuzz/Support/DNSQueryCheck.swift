/// Builds a question's query as DNSWorker does (the prebuilt packet, or the template expanded and written into a
/// buffer of 12 + 256 + 4 bytes) and checks the packet against the RFC 1035 limits.
enum DNSQueryCheck {
    static let packetBytes = 12 + 256 + 4

    static func check(_ question: DNSQuestion, sequences: [UInt64]) {
        let prebuilt = DNSMessage.query(name: question.name, type: question.type)
        fuzzCheck(prebuilt.count <= packetBytes, "\(question.name): \(prebuilt.count)-byte query")
        validate(prebuilt, name: question.name.text)
        guard let template = question.template else { return }
        let packet = UnsafeMutableRawPointer.allocate(byteCount: packetBytes, alignment: 2)
        let name = UnsafeMutablePointer<UInt8>.allocate(capacity: 512)
        defer { packet.deallocate(); name.deallocate() }
        for sequence in sequences {
            let n = template.expand(sequence: sequence, thread: Int(sequence % 256), into: name)
            let text = UnsafeBufferPointer(start: name, count: n)
            fuzzCheck(n <= 253 + 1, "\(question.name): a \(n)-byte expansion")
            let length = DNSMessage.writeQuery(name: text, type: question.type, into: packet)
            fuzzCheck(length <= packetBytes, "a \(length)-byte query")
            validate(Array(UnsafeRawBufferPointer(start: packet, count: length)),
                     name: String(decoding: text, as: UTF8.self))
        }
    }

    /// One question, labels of 1–63 bytes, 255 bytes of name at most, QTYPE and class IN after the root label.
    static func validate(_ packet: [UInt8], name: String) {
        fuzzCheck(packet.count >= 12 + 1 + 4 && packet[4] == 0 && packet[5] == 1, "\(name): header")
        var i = 12
        while packet[i] != 0 {
            let label = Int(packet[i])
            fuzzCheck(label <= 63 && i + label + 1 < packet.count, "\(name): label of \(label) at \(i)")
            i += label + 1
        }
        fuzzCheck(i + 1 - 12 <= 255, "\(name): \(i + 1 - 12) bytes of name")
        fuzzCheck(i + 5 == packet.count && packet[i + 3] == 0 && packet[i + 4] == 1, "\(name): question tail")
    }
}
