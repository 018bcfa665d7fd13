/// HTTP/2 (h2c, prior knowledge) load on one loop thread: its share of the connections, each an nghttp2
/// session carrying up to `streams` concurrent requests. A request is *sent* when its HEADERS frame is written.
/// GOAWAY takes the connection out of service at once (a replacement connects while it drains); streams the
/// server refused (REFUSED_STREAM, or above the GOAWAY's last stream ID) are retried once on another connection
/// and still count once. Loop thread only.
final class HTTP2Worker: LoadWorker {
    private let templates: [H2Session.RequestTemplate]
    private let targets: [HTTPTarget]
    /// The connection each slot's stream is on (for event records), its number and local address.
    private var slotConnectionRef: [Connection?]
    private let logsEvents: Bool
    private var connectionsStarted: UInt64 = 0
    private let threadCount: UInt64
    private let urlScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 8_192)
    private var endpointNames: [String] = []
    private var endpoints: HTTPEndpoints
    private let streamsPerConnection: Int
    private let connectTimeoutNanos: UInt64
    /// The connection serving each lane (nil while a lane backs off); draining ones live on in `draining`.
    private var lanes: [Connection?] = []
    private var laneRetryAt: [UInt64] = []
    private var laneBackoff: [UInt64] = []
    private var draining: [Connection] = []
    private var waiting: [WaitQueue] = []
    private var nextLane: [Int] = []
    private var nextConnectionID: Int32 = 0
    private let readBuffer = ReadBuffer()
    // Per slot.
    let slotStatus: UnsafeMutablePointer<Int32>
    private let slotConnection: UnsafeMutablePointer<Int32>
    private let slotStream: UnsafeMutablePointer<Int32>
    private let slotFlags: UnsafeMutablePointer<UInt8>
    private static let flagActive: UInt8 = 1, flagSent: UInt8 = 2, flagRetried: UInt8 = 4, flagTimedOut: UInt8 = 8
    private var statusCounts = [UInt64](repeating: 0, count: 600)
    private var lastScanNanos: UInt64 = 0
    private var prepared = false
    private var firstFailure: String?

    override init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
                  stop: StopSignal, progress: ProgressCell) throws {
        let http = config.http!
        targets = http.targets
        threadCount = UInt64(config.load.threads)
        templates = try http.targets.map { target in
            var fields = [(":method", target.method), (":scheme", "http"), (":authority", target.url.authority),
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
        streamsPerConnection = http.streams
        connectTimeoutNanos = http.connectTimeoutNanos
        endpoints = HTTPEndpoints()
        let capacity = max(1, config.plan(thread: threadIndex).maxInFlight)
        slotStatus = .allocate(capacity: capacity)
        slotStatus.initialize(repeating: 0, count: capacity)
        slotConnection = .allocate(capacity: capacity)
        slotConnection.initialize(repeating: -1, count: capacity)
        slotStream = .allocate(capacity: capacity)
        slotStream.initialize(repeating: 0, count: capacity)
        slotFlags = .allocate(capacity: capacity)
        slotFlags.initialize(repeating: 0, count: capacity)
        slotConnectionRef = Array(repeating: nil, count: capacity)
        logsEvents = config.output.events != nil
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress)
        endpoints = try HTTPEndpoints(targets: http.targets, dnsServers: http.dnsServers)
        endpointNames = endpoints.endpoints.map(\.description)
        let connections = Int(LoadPlan.share(of: UInt64(http.connections), thread: UInt64(threadIndex),
                                             of: UInt64(config.load.threads)))
        lanes = Array(repeating: nil, count: connections)
        laneRetryAt = Array(repeating: 0, count: connections)
        laneBackoff = Array(repeating: 0, count: connections)
        waiting = Array(repeating: WaitQueue(capacity: slots.capacity), count: endpoints.endpoints.count)
        nextLane = Array(repeating: 0, count: endpoints.endpoints.count)
    }

    deinit {
        slotStatus.deallocate()
        slotConnection.deallocate()
        slotStream.deallocate()
        slotFlags.deallocate()
        urlScratch.deallocate()
    }

    private func group(ofLane lane: Int) -> Int { lane % endpoints.endpoints.count }

    // MARK: Preparing

    /// Connects every lane and waits for the servers' SETTINGS before the clock starts; fails the run when no
    /// server answers in HTTP/2.
    override func prepare() throws {
        let start = Loop.nowNanos
        for lane in lanes.indices { connect(lane: lane, now: start) }
        try loop.run(until: start + connectTimeoutNanos) {
            lanes.contains { $0?.state == .connecting }
        }
        prepared = true
        if !lanes.contains(where: { $0?.state == .ready }) {
            let why = firstFailure ?? "no HTTP/2 SETTINGS within the connect timeout"
            throw RunFailure("cannot use HTTP/2 with \(endpoints.description) from inside the target netns: \(why)")
        }
    }

    // MARK: Connections

    private func connect(lane: Int, now: UInt64) {
        nextConnectionID &+= 1
        let connection = Connection(worker: self, id: nextConnectionID, lane: lane, group: group(ofLane: lane))
        connection.connectStartNanos = now
        connection.number = connectionsStarted * threadCount + UInt64(result.threadIndex)
        connectionsStarted += 1
        lanes[lane] = connection
        do {
            connection.session = try H2Session(slotCapacity: slots.capacity)
            connection.session?.delegate = connection
            let stream = try TCPStream(loop: loop, tag: lane, readBuffer: readBuffer, delegate: connection)
            connection.stream = stream
            try stream.connect(to: endpoints.endpoints[connection.group])
        } catch {
            connectFailed(connection, kind: .other, why: "\(error)")
        }
    }

    private func connectFailed(_ connection: Connection, kind: ErrorKind, why: String) {
        result.connectErrors[kind.rawValue] += 1
        if firstFailure == nil { firstFailure = why }
        retire(connection)
        let lane = connection.lane
        if lanes[lane] === connection {
            lanes[lane] = nil
            laneBackoff[lane] = min(max(laneBackoff[lane] * 2, 1_000_000), HTTP1Worker.maxBackoffNanos)
            laneRetryAt[lane] = Loop.nowNanos + laneBackoff[lane]
        }
    }

    func didConnect(_ connection: Connection) {
        result.connectionsOpened += 1
        result.socketsOpened += 1
        connection.localAddress = Resolver.localAddress(of: connection.stream?.fileDescriptor ?? -1)
        if let fd = connection.stream?.fileDescriptor, fd >= 0, result.netnsInode != 0,
           let inode = NetNamespace.inode(ofSocket: fd), inode != result.netnsInode {
            result.socketsOutsideNetns += 1
        }
        // The preface and our SETTINGS go out now; requests wait for the server's SETTINGS.
        flush(connection)
    }

    func didFailToConnect(_ connection: Connection, _ error: UVError) {
        connectFailed(connection, kind: error.isConnectionRefused ? .refused : error.isTimedOut ? .connectTimeout : .other,
                      why: error.description)
    }

    func didReceiveSettings(_ connection: Connection) {
        connection.maxStreamsCached = maxStreams(connection)
        guard connection.state == .connecting else { return }
        connection.state = .ready
        laneBackoff[connection.lane] = 0
        if prepared { serveWaiting(connection, now: Loop.nowNanos) }
    }

    func didRead(_ connection: Connection, _ bytes: UnsafeRawBufferPointer) {
        // One clock read per batch of frames: the completions in it share the time it arrived.
        batchNanos = Loop.nowNanos
        defer { batchNanos = 0 }
        result.bytesReceived &+= UInt64(bytes.count)
        guard let session = connection.session else { return }
        if !session.receivedSettings && bytes.count >= 5 && bytes.starts(with: "HTTP/".utf8) {
            let line = String(decoding: bytes.prefix(while: { $0 != 13 && $0 != 10 }).prefix(60), as: UTF8.self)
            fail(connection, kind: .badResponse,
                 why: "the server answered '\(line)': it does not speak HTTP/2 over cleartext (h2c with prior knowledge)")
            return
        }
        do {
            try session.receive(bytes)
        } catch {
            fail(connection, kind: .badResponse, why: "HTTP/2 protocol error: \(error)")
            return
        }
        let now = Loop.nowNanos
        if connection.state == .ready { serveWaiting(connection, now: now) }
        if connection.state == .draining && connection.active == 0 { retire(connection) }
        issue(now: now)
        // One write for this read: the new requests (issue flushes the lanes it used) and this connection's own
        // frames (SETTINGS and PING acks, WINDOW_UPDATE).
        flush(connection)
    }

    /// The time of the read being processed (0 outside one).
    private var batchNanos: UInt64 = 0

    @inline(__always)
    private var now: UInt64 { batchNanos != 0 ? batchNanos : Loop.nowNanos }

    func didEnd(_ connection: Connection, _ error: UVError?) {
        let why = error.map(\.description) ?? "the server closed the connection"
        fail(connection, kind: error.map { $0.isReset ? .reset : .other } ?? .closed, why: why)
    }

    func didDrain(_ connection: Connection) {
        connection.session?.consumeOutput(connection.writeInFlight)
        connection.writeInFlight = 0
        flush(connection)
    }

    /// Writes what the session has to send; one write in flight at a time.
    private func flush(_ connection: Connection) {
        guard connection.writeInFlight == 0, let session = connection.session, let stream = connection.stream,
              connection.state != .closed else { return }
        // The requests serialized now go out with this write: stamp them with its time.
        let outer = batchNanos
        batchNanos = Loop.nowNanos
        defer { batchNanos = outer }
        do {
            try session.produceOutput()
        } catch {
            fail(connection, kind: .badResponse, why: "HTTP/2 protocol error: \(error)")
            return
        }
        let count = session.outputCount
        guard count > 0 else { return }
        if stream.write(UnsafeRawBufferPointer(start: session.output, count: count)) {
            session.consumeOutput(count)
        } else if connection.state != .closed {
            connection.writeInFlight = count
        }
    }

    /// The connection broke: its streams end as errors, except those the server never processed (retried).
    private func fail(_ connection: Connection, kind: ErrorKind, why: String) {
        guard connection.state != .closed else { return }
        if firstFailure == nil { firstFailure = why }
        let wasServing = lanes[connection.lane] === connection
        retire(connection)
        let now = Loop.nowNanos
        for s in 0..<slots.capacity where slotConnection[s] == connection.id && slotFlags[s] & HTTP2Worker.flagActive != 0 {
            if slotFlags[s] & HTTP2Worker.flagSent == 0 {
                // Its HEADERS never left: it goes out on another connection.
                slotFlags[s] &= ~HTTP2Worker.flagActive
                slotConnection[s] = -1
                waiting[connection.group].pushFront(Int32(s))
            } else {
                finishSlot(Int32(s), .failed(kind), now: now)
            }
        }
        if wasServing {
            lanes[connection.lane] = nil
            laneBackoff[connection.lane] = min(max(laneBackoff[connection.lane] * 2, 1_000_000), HTTP1Worker.maxBackoffNanos)
            laneRetryAt[connection.lane] = now + laneBackoff[connection.lane]
        }
        issue(now: now)
    }

    private func retire(_ connection: Connection) {
        guard connection.state != .closed else { return }
        connection.state = .closed
        if let session = connection.session {
            result.h2.responseHeaderBytes += UInt64(session.receivedHeaderBytes)
            result.h2.responseHeaderBlockBytes += UInt64(session.receivedHeaderBlockBytes)
        }
        connection.stream?.close()
        connection.stream = nil
        connection.session?.delegate = nil
        draining.removeAll { $0 === connection }
    }

    func didReceiveGoAway(_ connection: Connection) {
        result.h2.goAwaysReceived += 1
        guard connection.state != .closed, connection.state != .draining else { return }
        connection.state = .draining
        draining.append(connection)
        if lanes[connection.lane] === connection, !closed {
            // A fresh connection takes the lane while this one finishes its streams.
            connect(lane: connection.lane, now: Loop.nowNanos)
        }
    }

    // MARK: Requests

    override func transmit(slot: Int32, now: UInt64) {
        let target = Int(slots.sequence[Int(slot)] % UInt64(templates.count))
        let group = endpoints.groupOfTarget[target]
        if let connection = connectionWithRoom(group: group) {
            submit(slot, on: connection)
        } else {
            waiting[group].push(slot)
        }
    }

    /// A ready connection of the group with a free stream, round-robin so streams spread over connections.
    private func connectionWithRoom(group: Int) -> Connection? {
        let count = lanes.count
        guard count > 0 else { return nil }
        var lane = nextLane[group]
        if let c = lanes[lane], c.group == group, c.state == .ready, c.active < c.maxStreamsCached {
            return c
        }
        for _ in 0..<count {
            lane = (lane + 1) % count
            if let c = lanes[lane], c.group == group, c.state == .ready, c.active < c.maxStreamsCached {
                nextLane[group] = lane
                return c
            }
        }
        return nil
    }

    private func maxStreams(_ connection: Connection) -> Int {
        min(streamsPerConnection, connection.session?.remoteMaxConcurrentStreams ?? 0)
    }

    private func submit(_ slot: Int32, on connection: Connection) {
        let s = Int(slot)
        let target = Int(slots.sequence[s] % UInt64(templates.count))
        guard connection.session != nil else { waiting[connection.group].push(slot); return }
        // Borrowed, not retained (a retain and release per request showed in profiles): the connection owns
        // its session, the worker its templates, and submitting calls back into neither.
        let sequence = slots.sequence[s], thread = result.threadIndex
        let streamID = Unmanaged.passUnretained(connection.session.unsafelyUnwrapped)._withUnsafeGuaranteedRef { session in
            Unmanaged.passUnretained(templates[target])._withUnsafeGuaranteedRef { template in
                session.submit(template, slot: slot, sequence: sequence, thread: thread)
            }
        }
        guard streamID > 0 else {
            waiting[connection.group].pushFront(slot)
            return
        }
        slotConnection[s] = connection.id
        if logsEvents { slotConnectionRef[s] = connection }
        slotStream[s] = streamID
        slotStatus[s] = 0
        slotFlags[s] |= HTTP2Worker.flagActive
        slotFlags[s] &= ~HTTP2Worker.flagTimedOut
        connection.active += 1
        result.h2.streamsOpened += 1
        result.h2.requestHeaderBytes += UInt64(templates[target].uncompressedBytes)
        pendingFlush = true
    }

    private var pendingFlush = false

    override func flushTransmissions(now: UInt64) {
        guard pendingFlush else { return }
        pendingFlush = false
        for case let connection? in lanes where connection.state == .ready { flush(connection) }
    }

    func didSendRequest(_ slot: Int32, headerBlockBytes: Int) {
        let s = Int(slot)
        result.h2.requestHeaderBlockBytes += UInt64(headerBlockBytes)
        if slotFlags[s] & HTTP2Worker.flagSent == 0 {
            slotFlags[s] |= HTTP2Worker.flagSent
            markSent(slot: slot, atNanos: now)
        }
    }

    func didClose(_ slot: Int32, on connection: Connection, errorCode: UInt32, complete: Bool) {
        let s = Int(slot)
        guard slotFlags[s] & HTTP2Worker.flagActive != 0, slotConnection[s] == connection.id else { return }
        connection.active -= 1
        let now = self.now
        if slotFlags[s] & HTTP2Worker.flagTimedOut != 0 {
            finishSlot(slot, .timedOut, now: now)
        } else if complete {
            finishSlot(slot, .answered(code: Int(slotStatus[s])), now: now)
        } else if slotStream[s] > connection.goAwayLastStreamID
                    || (errorCode == 7 /* REFUSED_STREAM */ && slotFlags[s] & HTTP2Worker.flagRetried == 0) {
            // The server did not process it (above the GOAWAY's last stream ID: always; refused: once):
            // send it again on another connection; it still counts once.
            slotFlags[s] = (slotFlags[s] & ~HTTP2Worker.flagActive) | HTTP2Worker.flagRetried
            slotConnection[s] = -1
            result.h2.retried += 1
            let group = connection.group
            if let other = connectionWithRoom(group: group) { submit(slot, on: other); flush(other) } else { waiting[group].pushFront(slot) }
        } else {
            finishSlot(slot, .failed(.streamReset), now: now)
        }
        if connection.state == .draining && connection.active == 0 { retire(connection) }
    }

    /// Ends a slot's event: counted as sent or, if its HEADERS never left, not sent.
    private func finishSlot(_ slot: Int32, _ completion: Completion, now: UInt64) {
        let s = Int(slot)
        let flags = slotFlags[s]
        slotFlags[s] = 0
        slotConnection[s] = -1
        if flags & HTTP2Worker.flagSent != 0 {
            complete(slot: slot, completion, atNanos: now)
        } else {
            discard(slot: slot)
        }
        if logsEvents { slotConnectionRef[s] = nil }
    }

    private func serveWaiting(_ connection: Connection, now: UInt64) {
        var submitted = false
        while connection.state == .ready, connection.active < connection.maxStreamsCached,
              let slot = waiting[connection.group].pop() {
            submit(slot, on: connection)
            submitted = true
        }
        if submitted { flush(connection) }
    }

    // MARK: Housekeeping

    override func housekeeping(now: UInt64) {
        guard now >= lastScanNanos + LoadWorker.housekeepingNanos else { return }
        lastScanNanos = now
        for lane in lanes.indices {
            if let connection = lanes[lane] {
                if connection.state == .connecting, now - connection.connectStartNanos >= connectTimeoutNanos {
                    connectFailed(connection, kind: .connectTimeout, why: "connect timeout")
                }
            } else if now >= laneRetryAt[lane], !closed {
                connect(lane: lane, now: now)
            }
        }
        // Streams past their timeout are reset; their close is counted as a timeout.
        var touched: [Connection] = []
        for s in 0..<slots.capacity where slotFlags[s] & (HTTP2Worker.flagActive | HTTP2Worker.flagSent | HTTP2Worker.flagTimedOut)
            == (HTTP2Worker.flagActive | HTTP2Worker.flagSent) && now - slots.sentNanos[s] >= timeoutNanos {
            slotFlags[s] |= HTTP2Worker.flagTimedOut
            if let connection = (lanes.first { $0?.id == slotConnection[s] } ?? nil) ?? draining.first(where: { $0.id == slotConnection[s] }) {
                connection.session?.cancel(streamID: slotStream[s])
                touched.append(connection)
            }
        }
        for connection in touched { flush(connection) }
    }

    override func cancelInFlight() {
        let now = Loop.nowNanos
        for s in 0..<slots.capacity where slotFlags[s] & HTTP2Worker.flagActive != 0 {
            finishSlot(Int32(s), .cancelled, now: now)
        }
        for g in waiting.indices {
            while let slot = waiting[g].pop() { discard(slot: slot) }
        }
        closeTransport()
    }

    override func closeTransport() {
        for case let connection? in lanes { retire(connection) }
        for connection in draining { retire(connection) }
        lanes = lanes.map { _ in nil }
        laneRetryAt = laneRetryAt.map { _ in .max }
    }

    override var eventKind: StaticString { "http2" }

    override func describeEvent(slot: Int32, _ completion: Completion, into record: inout EventRecord) {
        let s = Int(slot)
        let target = Int(slots.sequence[s] % UInt64(targets.count))
        describeRequest(slot: slot, targets[target], completion, scratch: urlScratch, into: &record)
        if let connection = slotConnectionRef[s] {
            record.field("src", connection.localAddress)
            record.field("connection", connection.number)
        }
        record.field("stream", Int(slotStream[s]))
        record.field("dst", endpointNames[endpoints.groupOfTarget[target]])
    }

    override func countCode(_ code: Int) {
        if code >= 0 && code < statusCounts.count { statusCounts[code] += 1 } else { result.counters.codes[code, default: 0] += 1 }
    }

    override func finishResult() {
        for (code, count) in statusCounts.enumerated() where count > 0 {
            result.counters.codes[code, default: 0] += count
        }
    }
}
