/// HTTP/2 (h2c, prior knowledge) load on one loop thread: its share of the connections, each an nghttp2
/// session carrying up to `streams` concurrent requests. A request is *sent* when its HEADERS frame is written.
/// GOAWAY takes the connection out of service at once (a replacement connects while it drains); streams the
/// server refused (REFUSED_STREAM, or above the GOAWAY's last stream ID) are retried once on another connection
/// and still count once. Loop thread only.
final class HTTP2Worker: LoadWorker {
    let templates: [H2Session.RequestTemplate]
    private let targets: [HTTPTarget]
    /// The connection each slot's stream is on (for event records), its number and local address.
    var slotConnectionRef: [Connection?]
    let logsEvents: Bool
    var connectionsStarted: UInt64 = 0
    let threadCount: UInt64
    private let urlScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 8_192)
    private var endpointNames: [String] = []
    var endpoints: HTTPEndpoints
    let streamsPerConnection: Int
    private let connectTimeoutNanos: UInt64
    /// The connection serving each lane (nil while a lane backs off); draining ones live on in `draining`.
    var lanes: [Connection?] = []
    var laneRetryAt: [UInt64] = []
    var laneBackoff: [UInt64] = []
    var draining: [Connection] = []
    var waiting: [WaitQueue] = []
    var nextLane: [Int] = []
    var nextConnectionID: Int32 = 0
    let readBuffer = ReadBuffer()
    // Per slot.
    let slotStatus: UnsafeMutablePointer<Int32>
    let slotConnection: UnsafeMutablePointer<Int32>
    let slotStream: UnsafeMutablePointer<Int32>
    let slotFlags: UnsafeMutablePointer<UInt8>
    static let flagActive: UInt8 = 1, flagSent: UInt8 = 2, flagRetried: UInt8 = 4, flagTimedOut: UInt8 = 8
    private var statusCounts = [UInt64](repeating: 0, count: 600)
    private var lastScanNanos: UInt64 = 0
    var prepared = false
    var firstFailure: String?
    /// The time of the read being processed (0 outside one).
    var batchNanos: UInt64 = 0
    var pendingFlush = false

    @inline(__always)
    var now: UInt64 { batchNanos != 0 ? batchNanos : Loop.nowNanos }

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

    override func flushTransmissions(now: UInt64) {
        guard pendingFlush else { return }
        pendingFlush = false
        for case let connection? in lanes where connection.state == .ready { flush(connection) }
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
            while let slot = waiting[g].pop() { discard(slot: slot, reason: unsentReason) }
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
