/// DNS load on one loop thread: each event takes a query ID from its server's allocator, its prebuilt packet
/// goes out through that server's `Resolver` (batched per round), and each completion is counted and timed by
/// `LoadWorker`. Loop thread only.
final class DNSWorker: LoadWorker, ResolverDelegate {
    private let slotID: UnsafeMutablePointer<UInt16>
    private let slotResolver: UnsafeMutablePointer<Int32>
    private var resolvers: [Resolver] = []
    private var ids: [IDAllocator] = []
    private let packets: [UnsafeMutableRawBufferPointer]
    private let questions: [DNSQuestion]
    /// Expanded template text, for building packets and event records.
    private let nameScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 512)
    private let transport: String
    private var serverNames: [String] = []
    private var qtypeNames: [String] = []
    private var rcodeCounts = [UInt64](repeating: 0, count: 16)
    private let useTCP: Bool

    override init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
                  stop: StopSignal, progress: ProgressCell) throws {
        let dns = config.dns!
        let plan = config.plan(thread: threadIndex)
        let capacity = max(1, plan.maxInFlight)
        useTCP = dns.tcp
        slotID = .allocate(capacity: capacity)
        slotID.initialize(repeating: 0, count: capacity)
        slotResolver = .allocate(capacity: capacity)
        slotResolver.initialize(repeating: 0, count: capacity)
        questions = dns.questions
        transport = dns.tcp ? "tcp" : "udp"
        packets = dns.questions.map { question in
            let bytes = DNSMessage.query(name: question.name, type: question.type)
            // Templates are rebuilt per query into the same buffer: room for the longest name.
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 12 + 256 + 4), alignment: 2)
            buffer.copyBytes(from: bytes)
            return UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(question.template == nil ? bytes.count : buffer.count)])
        }
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress)
        let timeoutMillis = Int((config.load.timeoutNanos + 999_999) / 1_000_000)
        let servers = dns.serversByTarget.isEmpty ? dns.servers : dns.serversByTarget[config.target(ofThread: threadIndex)]
        for (i, server) in servers.enumerated() {
            let resolver = try Resolver(loop: loop, server: server, useTCP: dns.tcp,
                                        timeoutMillis: timeoutMillis, slotCapacity: capacity,
                                        sentNanos: slots.sentNanos, expectedNetnsInode: netnsInode,
                                        readsOnTick: DNSWorker.readsOnTick(plan: plan))
            resolver.delegate = self
            resolvers.append(resolver)
            serverNames.append(server.description)
            // Spread threads' ID sequences apart.
            ids.append(IDAllocator(start: UInt16(truncatingIfNeeded: threadIndex &* 40_503 &+ i &* 7_919)))
        }
    }

    /// Reading answers only on ticks (their kernel timestamps keep the latencies exact) saves a wake-up per
    /// answer, but frees slots up to a tick late: do it in open loop when the in-flight limit has room for that.
    static func readsOnTick(plan: LoadPlan) -> Bool {
        guard let pacer = plan.pacer else { return false }
        let perThreadRate = pacer.rate / Double(plan.threadCount)
        return Double(plan.maxInFlight) >= perThreadRate * 0.004 + 64
    }

    deinit {
        slotID.deallocate()
        slotResolver.deallocate()
        nameScratch.deallocate()
        for packet in packets { packet.deallocate() }
    }

    override func housekeeping(now: UInt64) {
        for resolver in resolvers { resolver.processTimeouts() }
    }

    override func transmit(slot: Int32, now: UInt64) {
        let s = Int(slot)
        let sequence = slots.sequence[s]
        let serverIndex = resolvers.count == 1 ? 0 : Int(sequence % UInt64(resolvers.count))
        let questionIndex = packets.count == 1 ? 0 : Int(sequence % UInt64(packets.count))
        guard let id = ids[serverIndex].allocate() else {
            preconditionFailure("more than 65,536 queries in flight on one channel")
        }
        slotID[s] = id
        slotResolver[s] = Int32(serverIndex)
        var packet = UnsafeRawBufferPointer(packets[questionIndex])
        if let template = questions[questionIndex].template {
            let n = template.expand(sequence: sequence, thread: result.threadIndex, into: nameScratch)
            let length = DNSMessage.writeQuery(name: UnsafeBufferPointer(start: nameScratch, count: n),
                                               type: questions[questionIndex].type, into: packets[questionIndex].baseAddress!)
            packet = UnsafeRawBufferPointer(rebasing: packet[0..<length])
        }
        DNSMessage.setID(id, in: packets[questionIndex])
        // Over UDP the resolver stamps the real transmit time when it flushes the batch.
        markSent(slot: slot, atNanos: now)
        // May complete (and release the slot) before it returns.
        resolvers[serverIndex].send(packet, slot: slot)
    }

    override func flushTransmissions(now: UInt64) {
        for resolver in resolvers { resolver.flush() }
        result.lastSentNanos = max(result.lastSentNanos, Loop.nowNanos)
    }

    override func cancelInFlight() {
        for resolver in resolvers { resolver.cancelAll() }
    }

    override func closeTransport() {
        for resolver in resolvers {
            result.socketsOpened += resolver.socketsOpened
            result.socketsOutsideNetns += resolver.socketsOutsideNetns
            resolver.close()
        }
    }

    override func finishResult() {
        for (code, count) in rcodeCounts.enumerated() where count > 0 {
            result.counters.codes[code, default: 0] += count
        }
        if useTCP { result.connectionsOpened = UInt64(result.socketsOpened) }
    }

    override func countCode(_ code: Int) {
        rcodeCounts[code & 0xF] += 1
    }

    override var eventKind: StaticString { "dns" }

    override func describeEvent(slot: Int32, _ completion: Completion, into record: inout EventRecord) {
        let s = Int(slot)
        let sequence = slots.sequence[s]
        let question = questions.count == 1 ? questions[0] : questions[Int(sequence % UInt64(questions.count))]
        let server = Int(slotResolver[s])
        record.field("id", Int(slotID[s]))
        if let template = question.template {
            let n = template.expand(sequence: sequence, thread: result.threadIndex, into: nameScratch)
            record.field("qname", bytes: UnsafeRawBufferPointer(start: nameScratch, count: n))
        } else {
            record.field("qname", question.name.text)
        }
        record.field("qtype", question.type.name)
        if case .answered(let code) = completion { record.field("rcode", DNSRcode.name(code)) }
        record.field("src", resolvers[server].localAddress)
        record.field("dst", serverNames[server])
        record.field("transport", transport)
    }

    func resolver(_ resolver: Resolver, didFinish slot: Int32, outcome: DNSOutcome, answer: UnsafeRawBufferPointer,
                  atNanos: UInt64) {
        let s = Int(slot)
        let id = slotID[s]
        ids[Int(slotResolver[s])].release(id)
        switch outcome {
        case .answered:
            if DNSMessage.id(of: answer) != id {
                complete(slot: slot, .failed(.idMismatch), atNanos: atNanos)
                return
            }
            if DNSMessage.isTruncated(answer) { result.truncated += 1 }
            result.bytesReceived &+= UInt64(answer.count)
            complete(slot: slot, .answered(code: DNSMessage.rcode(of: answer) ?? 0), atNanos: atNanos)
        case .timedOut:
            complete(slot: slot, .timedOut, atNanos: atNanos)
        case .cancelled:
            complete(slot: slot, .cancelled, atNanos: atNanos)
        case .failed(let kind):
            complete(slot: slot, .failed(kind), atNanos: atNanos)
        }
    }

    func resolverDidProcess(_ resolver: Resolver) {
        issue(now: Loop.nowNanos)
    }
}
