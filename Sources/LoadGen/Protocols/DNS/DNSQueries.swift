/// The queries of a DNS run, built once per question: a fixed question's packet is reused as is (only its ID
/// is patched), a templated one is rebuilt per query into its own buffer (room for the longest name). A packet
/// is valid until the next call for the same question. Loop thread only (one per worker).
final class DNSQueries {
    let questions: [DNSQuestion]
    private let packets: [UnsafeMutableRawBufferPointer]
    /// Expanded template text, for building packets and event records.
    private let nameScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 512)
    /// The longest query any question can produce (12 + 255 + 4).
    static let maxQueryBytes = DNSMessage.headerBytes + 256 + 4

    init(questions: [DNSQuestion]) {
        self.questions = questions
        packets = questions.map { question in
            let bytes = DNSMessage.query(name: question.name, type: question.type)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, DNSQueries.maxQueryBytes), alignment: 2)
            buffer.copyBytes(from: bytes)
            return UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(question.template == nil ? bytes.count : buffer.count)])
        }
    }

    deinit {
        nameScratch.deallocate()
        for packet in packets { packet.deallocate() }
    }

    /// The question of event `sequence` (round-robin).
    @inline(__always)
    func questionIndex(sequence: UInt64) -> Int {
        packets.count == 1 ? 0 : Int(sequence % UInt64(packets.count))
    }

    /// The query of event `sequence` (its question, expanded for `thread`, with `id`).
    func packet(sequence: UInt64, thread: Int, id: UInt16) -> UnsafeRawBufferPointer {
        let index = questionIndex(sequence: sequence)
        var packet = UnsafeRawBufferPointer(packets[index])
        if let template = questions[index].template {
            let n = template.expand(sequence: sequence, thread: thread, into: nameScratch)
            let length = DNSMessage.writeQuery(name: UnsafeBufferPointer(start: nameScratch, count: n),
                                               type: questions[index].type, into: packets[index].baseAddress!)
            packet = UnsafeRawBufferPointer(rebasing: packet[0..<length])
        }
        DNSMessage.setID(id, in: packets[index])
        return packet
    }

    /// The DNS fields of event `sequence`'s record: qname (expanded), qtype and, when answered, the rcode.
    func describe(sequence: UInt64, thread: Int, rcode: Int?, into record: inout EventRecord) {
        let question = questions[questionIndex(sequence: sequence)]
        if let template = question.template {
            let n = template.expand(sequence: sequence, thread: thread, into: nameScratch)
            record.field("qname", bytes: UnsafeRawBufferPointer(start: nameScratch, count: n))
        } else {
            record.field("qname", question.name.text)
        }
        record.field("qtype", question.type.name)
        if let rcode { record.field("rcode", DNSRcode.name(rcode)) }
    }
}
