/// DNS over TLS (RFC 7858) on one loop thread, on the shared connection pool: its share of `--connections`
/// kept open, each carrying many queries at once (pipelined: up to the thread's concurrency spread over its
/// connections), every query a two-byte length prefix and the message in one `SSL_write`. Answers come in any
/// order and are matched by ID (from the thread's `DNSQueryTable`) and question; what matches nothing is
/// counted, never credited. A query is *sent* when it is written. A connection the server closes or resets
/// is replaced; the queries it carried go out once more on another connection (`retried`), a second loss is an
/// error. Loop thread only.
final class DoTWorker: PooledWorker {
    /// The connection on one lane.
    final class Client {
        let lane: Int
        var stream: TCPStream?
        let framer = DNSStreamFramer()
        /// Queries written on this connection and not ended.
        var inFlight = 0
        var connectionNumber: UInt64 = 0
        var localAddress = ""
        /// What this connection's handshake agreed on (nil before it completed).
        var tls: TLSHandshakeSummary?

        init(lane: Int) { self.lane = lane }
    }

    var clients: [Client] = []
    let queries: DNSQueries
    let table: DNSQueryTable
    /// Per slot: its query's ID and the lane it went out on (-1: not on a connection).
    let slotID: UnsafeMutablePointer<UInt16>
    let slotLane: UnsafeMutablePointer<Int32>
    /// The lane each slot last went out on, for event records (kept after the query ended).
    private let slotLastLane: UnsafeMutablePointer<Int32>
    /// The frame being written: the length prefix and the query.
    private let frame = UnsafeMutableRawPointer.allocate(byteCount: 2 + DNSQueries.maxQueryBytes, alignment: 2)
    private var endpointNames: [String] = []
    /// Queries each connection carries at once.
    private let pipelineDepth: Int
    private(set) var runts: UInt64 = 0

    init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
         stop: StopSignal, progress: ProgressCell) throws {
        let dns = config.dns!
        let capacity = max(1, config.plan(thread: threadIndex).maxInFlight)
        queries = DNSQueries(questions: dns.questions)
        table = DNSQueryTable(start: UInt16(truncatingIfNeeded: threadIndex &* 40_503))
        slotID = .allocate(capacity: capacity)
        slotID.initialize(repeating: 0, count: capacity)
        slotLane = .allocate(capacity: capacity)
        slotLane.initialize(repeating: -1, count: capacity)
        slotLastLane = .allocate(capacity: capacity)
        slotLastLane.initialize(repeating: -1, count: capacity)
        let lanes = max(1, Int(LoadPlan.share(of: UInt64(dns.connections), thread: UInt64(threadIndex),
                                              of: UInt64(config.load.threads))))
        pipelineDepth = (capacity + lanes - 1) / lanes
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress, persistent: true)
        endpointNames = endpoints.endpoints.map(\.description)
        clients = pool.lanes.indices.map(Client.init(lane:))
    }

    // MARK: Connections

    override func openConnection(lane: Int, number: UInt64, now: UInt64) throws {
        let client = clients[lane]
        client.connectionNumber = number
        client.inFlight = 0
        client.tls = nil
        client.framer.reset()
        try connectStream(lane: lane, delegate: self) { client.stream = $0 }
    }

    override func closeConnection(lane: Int) -> Bool {
        let client = clients[lane]
        defer { client.stream = nil }
        return closeStream(client.stream)
    }

    /// The TLS handshake completed: the connection takes its share of the pipeline.
    func connectionReady(_ client: Client, stream: TCPStream) {
        client.tls = handshakeFinished(stream)
        connectionReady(lane: client.lane, capacity: pipelineDepth, now: Loop.nowNanos)
    }

    /// The connection ended under its queries: each goes out once more on another connection when the server
    /// closed or reset it (it may not have processed them), else (or the second time) it fails with `kind`.
    func connectionEnded(_ client: Client, _ kind: ErrorKind, now: UInt64) {
        var orphans: [Int32] = []
        if client.inFlight > 0 {
            for s in 0..<slots.capacity where slotLane[s] == Int32(client.lane) {
                orphans.append(Int32(s))
                release(slot: Int32(s), .ended)
            }
        }
        client.inFlight = 0
        client.framer.reset()
        connectionLost(lane: client.lane, now: now)
        let retryable = kind == .closed || kind == .reset
        for slot in orphans.reversed() where !(retryable && retryOnce(slot: slot, now: now)) {
            end(slot: slot, .failed(kind), now: now)
        }
        issue(now: now)
    }

    // MARK: Queries

    override func send(slot: Int32, lane: Int, now: UInt64) {
        let client = clients[lane]
        guard let stream = client.stream else {
            pool.release(lane: lane)
            pool.waitFirst(slot: slot, group: group(of: slot), since: waitOrigin(slot))
            return
        }
        guard let id = table.begin(slot: slot) else {
            preconditionFailure("more than 65,536 queries in flight on one thread")
        }
        let s = Int(slot)
        slotID[s] = id
        slotLane[s] = Int32(lane)
        slotLastLane[s] = Int32(lane)
        client.inFlight += 1
        let query = queries.packet(sequence: slots.sequence[s], thread: result.threadIndex, id: id)
        DNSStreamFramer.writePrefix(query.count, at: frame)
        (frame + 2).copyMemory(from: query.baseAddress!, byteCount: query.count)
        markSent(slot: slot, atNanos: now)
        // Encrypted at once (one SSL_write); a failure ends the connection, this query with it.
        stream.write(UnsafeRawBufferPointer(start: frame, count: 2 + query.count))
        result.lastSentNanos = max(result.lastSentNanos, now)
    }

    /// Takes `slot`'s query off its connection and gives its ID back.
    private func release(slot: Int32, _ fate: AnswerLedger.Fate) {
        let s = Int(slot)
        table.end(id: slotID[s], fate)
        slotLane[s] = -1
    }

    /// Ends an in-flight query: its ID back, its room on the connection to the next.
    func finish(slot: Int32, _ completion: Completion, fate: AnswerLedger.Fate, now: UInt64) {
        let lane = Int(slotLane[Int(slot)])
        release(slot: slot, fate)
        clients[lane].inFlight -= 1
        end(slot: slot, completion, now: now)
        eventLeft(lane: lane, now: now)
    }

    /// One message from the server: the answer to a query in flight on this connection (same ID and question),
    /// or counted as matching nothing.
    func didReceive(_ message: UnsafeRawBufferPointer, on client: Client, now: UInt64) {
        guard DNSMessage.isResponse(message), let id = DNSMessage.id(of: message) else {
            table.ledger.notAResponse()
            return
        }
        guard let slot = table.slot(of: id), slotLane[Int(slot)] == Int32(client.lane),
              DNSMessage.answers(queries.packet(sequence: slots.sequence[Int(slot)], thread: result.threadIndex, id: id),
                                 with: message) else {
            table.unmatched(id: id)
            return
        }
        if DNSMessage.isTruncated(message) { result.truncated += 1 }
        finish(slot: slot, .answered(code: DNSMessage.rcode(of: message) ?? 0), fate: .answered, now: now)
    }

    override func cancelEvents(lane: Int, now: UInt64) {
        guard clients[lane].inFlight > 0 else { return }
        for s in 0..<slots.capacity where slotLane[s] == Int32(lane) {
            finish(slot: Int32(s), .cancelled, fate: .ended, now: now)
        }
    }

    /// Queries past their timeout end as timeouts; their connections carry on (a late answer is counted).
    override func housekeepEvents(now: UInt64) {
        for s in 0..<slots.capacity where slotLane[s] >= 0 && now - min(now, slots.sentNanos[s]) >= timeoutNanos {
            finish(slot: Int32(s), .timedOut, fate: .timedOut, now: now)
        }
    }

    // MARK: Reports

    override var eventKind: StaticString { "dns" }

    override var connectVerb: String { "use DNS over TLS with" }

    override func describeEvent(slot: Int32, _ completion: Completion, into record: inout EventRecord) {
        let s = Int(slot)
        record.field("id", Int(slotID[s]))
        queries.describe(sequence: slots.sequence[s], thread: result.threadIndex, rcode: completion.code, into: &record)
        let lane = Int(slotLastLane[s])
        if lane >= 0 {
            record.field("src", clients[lane].localAddress)
            record.field("connection", clients[lane].connectionNumber)
            describeTLS(clients[lane].tls, group: pool.group(ofLane: lane), into: &record)
        }
        record.field("dst", endpointNames[endpoints.groupOfTarget[Int(slots.sequence[s] % UInt64(endpoints.groupOfTarget.count))]])
        record.field("transport", "tls")
    }

    override func finishResult() {
        result.dns.add(table.ledger.counters)
        result.dns.idMismatches += runts
    }

    func countRunts(_ count: Int) { runts &+= UInt64(count) }

    deinit {
        slotID.deallocate()
        slotLane.deallocate()
        slotLastLane.deallocate()
        frame.deallocate()
    }
}
