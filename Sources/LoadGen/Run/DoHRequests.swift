/// DNS over HTTPS (RFC 8484) for `HTTP2Worker`: each query an HTTP/2 request — POST with the query as an
/// `application/dns-message` body, or GET with it base64url-encoded in `?dns=` — with DNS ID 0 (the stream
/// matches the answer). Requests of fixed questions are built once per server and question; a templated
/// question's query is built per request into the slot's own buffer (it must outlive the stream). The answer's
/// first bytes are kept per slot: its header says the rcode. Loop thread only.
final class DoHRequests {
    let queries: DNSQueries
    let method: RunConfig.DoH.Method
    /// The request of each server (pool group) and question.
    let templates: [[H2Session.RequestTemplate]]
    private let pathPrefix: [UInt8]
    private let templated: Bool
    /// Per slot, when a question is templated: its query (POST) or path (GET).
    private let stride: Int
    private let slotBuffer: UnsafeMutablePointer<UInt8>
    /// Per slot: the answer's first 12 bytes and how many bytes it had.
    private let answerHeader: UnsafeMutablePointer<UInt8>
    private let answerLength: UnsafeMutablePointer<Int>

    init(_ doh: RunConfig.DoH, authorities: [String], slotCapacity: Int) throws {
        queries = DNSQueries(questions: doh.questions)
        method = doh.method
        let prefix = doh.path + (doh.path.contains("?") ? "&dns=" : "?dns=")
        pathPrefix = Array(prefix.utf8)
        templated = doh.questions.contains { $0.template != nil }
        stride = max(DNSQueries.maxQueryBytes, pathPrefix.count + Base64URL.encodedLength(DNSQueries.maxQueryBytes))
        let capacity = max(1, slotCapacity)
        slotBuffer = .allocate(capacity: templated ? capacity * stride : 1)
        answerHeader = .allocate(capacity: capacity * DNSMessage.headerBytes)
        answerLength = .allocate(capacity: capacity)
        answerLength.initialize(repeating: 0, count: capacity)
        templates = try authorities.map { authority in
            try doh.questions.map { question in
                let query = DNSMessage.query(name: question.name, type: question.type)
                return try DoHRequests.template(doh, authority: authority, query: query, prefix: prefix)
            }
        }
    }

    deinit {
        slotBuffer.deallocate()
        answerHeader.deallocate()
        answerLength.deallocate()
    }

    /// One request, built once: RFC 8484's headers, the query (ID 0) as body or in the path.
    private static func template(_ doh: RunConfig.DoH, authority: String, query: [UInt8],
                                 prefix: String) throws -> H2Session.RequestTemplate {
        let post = doh.method == .post
        var fields = [(":method", post ? "POST" : "GET"), (":scheme", "https"), (":authority", authority),
                      (":path", post ? doh.path : prefix + Base64URL.encode(query)),
                      ("accept", "application/dns-message"), ("user-agent", "loadgen/\(LoadGenVersion.current)")]
        if post {
            fields += [("content-type", "application/dns-message"), ("content-length", String(query.count))]
        }
        return try H2Session.RequestTemplate(fields: fields, body: post ? query : [])
    }

    /// Submits `slot`'s query to the server of `group` on `session`; returns the stream ID (0: not taken) and
    /// the request's header bytes.
    func submit(slot: Int32, sequence: UInt64, thread: Int, group: Int, session: H2Session) -> (Int32, Int) {
        let index = queries.questionIndex(sequence: sequence)
        let template = templates[group][index]
        answerLength[Int(slot)] = 0
        guard queries.questions[index].template != nil else {
            return (session.submit(template, slot: slot), template.uncompressedBytes)
        }
        let query = queries.packet(sequence: sequence, thread: thread, id: 0)
        let buffer = slotBuffer + Int(slot) * stride
        if method == .post {
            buffer.update(from: query.baseAddress!.assumingMemoryBound(to: UInt8.self), count: query.count)
            let body = UnsafeRawBufferPointer(start: buffer, count: query.count)
            return (session.submit(template, slot: slot, body: body), template.uncompressedBytes)
        }
        buffer.update(from: pathPrefix, count: pathPrefix.count)
        let n = pathPrefix.count + Base64URL.encode(query, into: buffer + pathPrefix.count)
        return (session.submit(template, slot: slot, path: UnsafeRawBufferPointer(start: buffer, count: n)),
                template.uncompressedBytes)
    }

    /// Response body bytes of `slot`: the first 12 are kept, the rest only counted.
    func receive(_ data: UnsafeRawBufferPointer, slot: Int32) {
        let s = Int(slot)
        let have = answerLength[s]
        if have < DNSMessage.headerBytes {
            let n = min(DNSMessage.headerBytes - have, data.count)
            for i in 0..<n { answerHeader[s * DNSMessage.headerBytes + have + i] = data[i] }
        }
        answerLength[s] = have &+ data.count
    }

    /// How `slot`'s completed exchange ends: answered with the answer's rcode when the server said 200 and sent
    /// a DNS response with ID 0; any other status or body is a bad response.
    func outcome(slot: Int32, status: Int) -> LoadWorker.Completion {
        let s = Int(slot)
        guard status == 200, answerLength[s] >= DNSMessage.headerBytes else { return .failed(.badResponse) }
        let header = UnsafeRawBufferPointer(start: answerHeader + s * DNSMessage.headerBytes, count: DNSMessage.headerBytes)
        guard DNSMessage.isResponse(header), DNSMessage.id(of: header) == 0 else { return .failed(.badResponse) }
        return .answered(code: DNSMessage.rcode(of: header) ?? 0)
    }

    /// Bytes of `slot`'s answer.
    func answerBytes(slot: Int32) -> Int { answerLength[Int(slot)] }
}
