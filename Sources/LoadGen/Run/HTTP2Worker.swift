/// HTTP/2 (h2c, prior knowledge) load on one loop thread, on the shared connection pool: each lane an nghttp2
/// session carrying up to `streams` concurrent requests (never more than the server's SETTINGS allow). A request
/// is *sent* when its HEADERS frame is written. GOAWAY takes the connection off its lane at once (a replacement
/// connects while it drains); a stream the server did not process (above the GOAWAY's last stream ID, or
/// REFUSED_STREAM, the latter once) goes out again on another connection and still counts once. Nothing is
/// submitted or flushed from inside nghttp2's callbacks: they only record; the worker acts when they return.
/// Loop thread only.
final class HTTP2Worker: PooledWorker {
    let templates: [H2Session.RequestTemplate]
    private let targets: [HTTPTarget]
    let logsEvents: Bool
    private let urlScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 8_192)
    private var endpointNames: [String] = []
    let streamsPerConnection: Int
    /// The connection on each lane; connections draining after GOAWAY live on in `draining` until done.
    var lanes: [Connection?] = []
    var draining: [Connection] = []
    var nextConnectionID: Int32 = 0
    /// Request bodies in flight, shared by every session of this worker.
    let bodies: H2BodyTable
    /// DNS over HTTPS (`loadgen dns --transport https`): the requests carry DNS queries; nil for HTTP runs.
    let doh: DoHRequests?
    // Per slot: the connection (by ID) and stream carrying it, its status, whether its timeout reset it.
    let slotStatus: UnsafeMutablePointer<Int32>
    let slotConnection: UnsafeMutablePointer<Int32>
    let slotStream: UnsafeMutablePointer<Int32>
    let slotTimedOut: UnsafeMutablePointer<Bool>
    /// The connection of each slot for event records (only kept with --events: a reference costs a retain).
    var slotConnectionRef: [Connection?]
    /// The time of the read being processed (0 outside one).
    var batchNanos: UInt64 = 0
    var pendingFlush = false

    @inline(__always)
    var now: UInt64 { batchNanos != 0 ? batchNanos : Loop.nowNanos }

    init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
         stop: StopSignal, progress: ProgressCell) throws {
        let http = config.http!
        targets = http.targets
        templates = try http.targets.map { try HTTP2Worker.template(for: $0, http) }
        streamsPerConnection = http.streams
        let capacity = max(1, config.plan(thread: threadIndex).maxInFlight)
        bodies = H2BodyTable(slotCapacity: capacity)
        doh = try http.doh.map { try DoHRequests($0, authorities: http.targets.map(\.url.authority), slotCapacity: capacity) }
        slotStatus = .allocate(capacity: capacity)
        slotStatus.initialize(repeating: 0, count: capacity)
        slotConnection = .allocate(capacity: capacity)
        slotConnection.initialize(repeating: -1, count: capacity)
        slotStream = .allocate(capacity: capacity)
        slotStream.initialize(repeating: 0, count: capacity)
        slotTimedOut = .allocate(capacity: capacity)
        slotTimedOut.initialize(repeating: false, count: capacity)
        logsEvents = config.output.events != nil
        slotConnectionRef = Array(repeating: nil, count: logsEvents ? capacity : 0)
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress, persistent: true)
        endpointNames = endpoints.endpoints.map(\.description)
        lanes = Array(repeating: nil, count: pool.lanes.count)
    }

    /// The header list of one target, built once.
    private static func template(for target: HTTPTarget, _ http: RunConfig.HTTP) throws -> H2Session.RequestTemplate {
        var fields = [(":method", target.method), (":scheme", target.url.scheme), (":authority", target.url.authority),
                      (":path", target.url.target)]
        let names = Set(http.headers.map { $0.name.lowercased() })
        if !names.contains("user-agent") { fields.append(("user-agent", "loadgen/\(LoadGenVersion.current)")) }
        for header in http.headers where header.name.lowercased() != "host" {
            fields.append((header.name.lowercased(), header.value))
        }
        if !http.body.isEmpty && !names.contains("content-length") {
            fields.append(("content-length", String(http.body.count)))
        }
        return try H2Session.RequestTemplate(fields: fields, body: http.body, salt: http.templateSalt)
    }

    deinit {
        slotStatus.deallocate()
        slotConnection.deallocate()
        slotStream.deallocate()
        slotTimedOut.deallocate()
        urlScratch.deallocate()
    }

    override var connectVerb: String { "use HTTP/2 with" }

    // MARK: Connections on lanes

    override func openConnection(lane: Int, number: UInt64, now: UInt64) throws {
        nextConnectionID &+= 1
        let connection = Connection(worker: self, id: nextConnectionID, lane: lane, group: pool.group(ofLane: lane))
        connection.number = number
        lanes[lane] = connection
        connection.session = try H2Session(bodies: bodies, readsBodies: doh != nil)
        connection.session?.delegate = connection
        let stream = try makeStream(tag: lane, group: connection.group, delegate: connection)
        connection.stream = stream
        try stream.connect(to: endpoints.endpoints[connection.group])
    }

    override func closeConnection(lane: Int) -> Bool {
        guard let connection = lanes[lane] else { return false }
        lanes[lane] = nil
        return retire(connection)
    }

    // MARK: Requests

    override func send(slot: Int32, lane: Int, now: UInt64) {
        guard let connection = lanes[lane], connection.session != nil else {
            pool.release(lane: lane)
            pool.waitFirst(slot: slot, group: group(of: slot), since: waitOrigin(slot))
            return
        }
        submit(slot, on: connection)
    }

    override func flushTransmissions(now: UInt64) {
        guard pendingFlush else { return }
        pendingFlush = false
        for case let connection? in lanes where connection.state == .ready { flush(connection) }
    }

    // MARK: Housekeeping

    /// Streams past their timeout (from their first send: a retry gets no new one) are reset; their close is
    /// counted as a timeout.
    override func housekeepEvents(now: UInt64) {
        var touched: [Connection] = []
        for s in 0..<slots.capacity where slotConnection[s] >= 0 && !slotTimedOut[s]
            && ledger.phase(of: Int32(s)) == .inFlight && now - min(now, ledger.firstSentNanos[s]) >= timeoutNanos {
            slotTimedOut[s] = true
            if let connection = connection(withID: slotConnection[s]) {
                connection.session?.cancel(streamID: slotStream[s])
                touched.append(connection)
            }
        }
        for connection in touched { flush(connection) }
    }

    func connection(withID id: Int32) -> Connection? {
        if let found = lanes.first(where: { $0?.id == id }) { return found }
        return draining.first { $0.id == id }
    }

    override func cancelDrainingEvents(now: UInt64) {
        for s in 0..<slots.capacity where slotConnection[s] >= 0 {
            finishSlot(Int32(s), .cancelled, now: now)
        }
    }

    override func closeTransport() {
        super.closeTransport()
        for connection in draining { retire(connection) }
    }

    // MARK: Reports

    override var eventKind: StaticString { doh == nil ? "http2" : "dns" }

    override func describeEvent(slot: Int32, _ completion: Completion, into record: inout EventRecord) {
        let s = Int(slot)
        if let doh {
            doh.queries.describe(sequence: slots.sequence[s], thread: result.threadIndex, rcode: completion.code, into: &record)
            record.field("transport", "https")
        }
        let target = Int(slots.sequence[s] % UInt64(targets.count))
        describeRequest(slot: slot, targets[target], completion, scratch: urlScratch, into: &record)
        if logsEvents, let connection = slotConnectionRef[s] {
            record.field("src", connection.localAddress)
            record.field("connection", connection.number)
            describeTLS(connection.tls, group: connection.group, into: &record)
        }
        // In a scenario `stream` names the scenario's stream; the HTTP/2 stream ID moves aside.
        record.field(streamName == nil ? "stream" : "h2_stream", Int(slotStream[s]))
        record.field("dst", endpointNames[endpoints.groupOfTarget[target]])
    }
}
