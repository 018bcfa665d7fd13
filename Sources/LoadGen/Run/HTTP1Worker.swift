/// HTTP/1.1 load on one loop thread, on the shared connection pool: its share of the connections (keep-alive,
/// or one per request with `--no-keepalive`), one request per connection at a time, responses parsed by
/// `HTTP1ResponseParser`. An event is *sent* when its request is written. A request on a reused keep-alive
/// connection that the server had already closed (nothing came back) is retried once on a new connection, as
/// browsers and curl do. Loop thread only.
final class HTTP1Worker: PooledWorker {
    /// The connection on one lane.
    final class Client {
        let lane: Int
        var stream: TCPStream?
        private let parserStorage = LoopOwned(HTTP1ResponseParser())
        /// This connection's response parser (see `LoopOwned` for why it is not a stored property).
        var parser: HTTP1ResponseParser {
            unsafeAddress { UnsafePointer(parserStorage.pointer) }
            unsafeMutableAddress { parserStorage.pointer }
        }
        /// The event on this connection, or -1.
        var slot: Int32 = -1
        var target = 0
        /// Where the request's `--timeout` runs from: its first send (a retry gets no new one; EventLedger).
        var sinceNanos: UInt64 = 0
        var status = 0
        /// The run-wide number of the TCP connection (interleaved across threads) and its local address.
        var connectionNumber: UInt64 = 0
        var localAddress = ""
        /// https: what this connection's handshake agreed on (nil before it completed).
        var tls: TLSHandshakeSummary?
        /// Responses this connection carried, and response bytes for the current request.
        var responses = 0
        var bytesForRequest = 0
        /// The request being written when the target has placeholders: sized for the longest expansion of every
        /// target, kept until written.
        var requestBuffer: UnsafeMutablePointer<UInt8>?

        init(lane: Int) { self.lane = lane }
        deinit {
            requestBuffer?.deallocate()
            parserStorage.free()
        }
    }

    let targets: [HTTPTarget]
    let requests: [UnsafeRawBufferPointer]
    /// The longest request any target can expand to (head template plus body).
    let maxRequestLength: Int
    /// The lane each slot's event went out on (for event records), or -1.
    let slotLane: UnsafeMutablePointer<Int32>
    var clients: [Client] = []
    let keepAlive: Bool
    private let urlScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 8_192)
    private var endpointNames: [String] = []

    init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
         stop: StopSignal, progress: ProgressCell) throws {
        let http = config.http!
        targets = http.targets
        requests = http.targets.map { target in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, target.request.count), alignment: 8)
            buffer.copyBytes(from: target.request)
            return UnsafeRawBufferPointer(rebasing: buffer[0..<target.request.count])
        }
        maxRequestLength = HTTP1Request.bufferCapacity(for: http.targets)
        keepAlive = http.keepAlive
        let capacity = max(1, config.plan(thread: threadIndex).maxInFlight)
        slotLane = .allocate(capacity: capacity)
        slotLane.initialize(repeating: -1, count: capacity)
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress, persistent: http.keepAlive)
        endpointNames = endpoints.endpoints.map(\.description)
        clients = pool.lanes.indices.map(Client.init(lane:))
    }

    deinit {
        for request in requests { request.deallocate() }
        slotLane.deallocate()
        urlScratch.deallocate()
    }

    // MARK: Connections

    override func openConnection(lane: Int, number: UInt64, now: UInt64) throws {
        let client = clients[lane]
        client.connectionNumber = number
        client.responses = 0
        client.slot = -1
        client.tls = nil
        try connectStream(lane: lane, delegate: self) { client.stream = $0 }
    }

    override func closeConnection(lane: Int) -> Bool {
        let client = clients[lane]
        defer { client.stream = nil }
        return closeStream(client.stream)
    }

    override func cancelEvents(lane: Int, now: UInt64) {
        let client = clients[lane]
        guard client.slot >= 0 else { return }
        let slot = client.slot
        client.slot = -1
        end(slot: slot, .cancelled, now: now)
    }

    // MARK: Requests

    override func send(slot: Int32, lane: Int, now: UInt64) {
        let client = clients[lane]
        precondition(client.stream != nil && client.slot < 0, "send on a connection that cannot take it")
        let target = Int(slots.sequence[Int(slot)] % UInt64(targets.count))
        client.slot = slot
        client.target = target
        client.status = 0
        client.bytesForRequest = 0
        client.parser.expectResponse(isHead: targets[target].isHead)
        slotLane[Int(slot)] = Int32(lane)
        markSent(slot: slot, atNanos: now)
        client.sinceNanos = ledger.firstSentNanos[Int(slot)]
        guard let template = targets[target].headTemplate else {
            client.stream?.write(requests[target])
            return
        }
        // Placeholders: expand the head into this connection's buffer (it must outlive an async write).
        if client.requestBuffer == nil { client.requestBuffer = .allocate(capacity: max(1, maxRequestLength)) }
        let buffer = client.requestBuffer!
        let body = targets[target].body
        var n = template.expand(sequence: slots.sequence[Int(slot)], thread: result.threadIndex, into: buffer)
        precondition(n + body.count <= maxRequestLength, "request expansion longer than its bound")
        body.withUnsafeBytes { UnsafeMutableRawPointer(buffer + n).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        n += body.count
        client.stream?.write(UnsafeRawBufferPointer(start: buffer, count: n))
    }

    /// The response is complete: the event is answered; the connection serves the next or goes.
    func finish(_ client: Client, serverKeepsAlive: Bool, now: UInt64) {
        let slot = client.slot
        client.slot = -1
        client.responses += 1
        end(slot: slot, .answered(code: client.status), now: now)
        if keepAlive && serverKeepsAlive {
            eventLeft(lane: client.lane, now: now)
        } else {
            connectionLost(lane: client.lane, now: now)
        }
        issue(now: now)
    }

    /// The connection failed under a request: the event fails, unless the server had already closed this
    /// reused keep-alive connection when the request reached it (it shut down cleanly — EOF, or EPIPE on the
    /// write — and nothing came back), which earns the request one retry on a new connection. A reset is a
    /// fault the user must see: it is never retried.
    func fail(_ client: Client, _ kind: ErrorKind, serverClosed: Bool = false, now: UInt64) {
        let slot = client.slot
        client.slot = -1
        let unread = serverClosed && keepAlive && client.responses > 0 && client.bytesForRequest == 0
        if !(unread && retryOnce(slot: slot, now: now)) {
            end(slot: slot, .failed(kind), now: now)
        }
        connectionLost(lane: client.lane, now: now)
        issue(now: now)
    }

    override func housekeepEvents(now: UInt64) {
        for client in clients where client.slot >= 0 && now - client.sinceNanos >= timeoutNanos {
            let slot = client.slot
            client.slot = -1
            end(slot: slot, .timedOut, now: now)
            connectionLost(lane: client.lane, now: now)
        }
    }

    // MARK: Reports

    override var eventKind: StaticString { "http1" }

    override func describeEvent(slot: Int32, _ completion: Completion, into record: inout EventRecord) {
        let s = Int(slot)
        let target = Int(slots.sequence[s] % UInt64(targets.count))
        describeRequest(slot: slot, targets[target], completion, scratch: urlScratch, into: &record)
        let lane = Int(slotLane[s])
        if lane >= 0 {
            record.field("src", clients[lane].localAddress)
            record.field("connection", clients[lane].connectionNumber)
            describeTLS(clients[lane].tls, group: pool.group(ofLane: lane), into: &record)
        }
        record.field("dst", endpointNames[endpoints.groupOfTarget[target]])
    }
}
