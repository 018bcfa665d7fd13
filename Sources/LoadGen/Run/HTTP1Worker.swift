import Glibc

/// HTTP/1.1 load on one loop thread: its share of the connections (keep-alive, or one per request with
/// `--no-keepalive`), a request per connection at a time, responses parsed by `HTTP1ResponseParser`. An event
/// waits for a connected idle connection; it is *sent* when its request is written. Connection failures are
/// counted per kind and retried with a backoff that doubles up to 1 s, so a dead server is not a busy loop.
/// Loop thread only.
final class HTTP1Worker: LoadWorker {
    final class Client {
        enum State { case disconnected, connecting, idle, busy, backingOff, retired }
        let index: Int
        let group: Int
        var state = State.disconnected
        var stream: TCPStream?
        var parser = HTTP1ResponseParser()
        /// The event on this connection (busy, or waiting for its own connection without keep-alive), or -1.
        var slot: Int32 = -1
        var target = 0
        /// Connect start (connecting) or request write (busy).
        var sinceNanos: UInt64 = 0
        var retryAtNanos: UInt64 = 0
        var backoffNanos: UInt64 = 0
        var status = 0
        /// The run-wide number of the TCP connection (interleaved across threads) and its local address.
        var connectionNumber: UInt64 = 0
        var localAddress = ""
        /// The request being written when the target has placeholders (built per request, kept until written).
        var requestBuffer: UnsafeMutablePointer<UInt8>?
        /// In its group's idle list. Entries go stale when the connection drops; `takeIdle` skips those.
        var parked = false

        init(index: Int, group: Int) {
            self.index = index
            self.group = group
        }
    }

    let targets: [HTTPTarget]
    let requests: [UnsafeRawBufferPointer]
    let slotClient: UnsafeMutablePointer<Int32>
    var connectionsStarted: UInt64 = 0
    let threadCount: UInt64
    private let urlScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 8_192)
    private var endpointNames: [String] = []
    /// Endpoint of each group; targets with the same host and port share a group (and its connections).
    var endpoints: [Endpoint] = []
    private var targetGroup: [Int] = []
    var clients: [Client] = []
    /// Idle connections per group, first in first out, so requests spread over every connection.
    var idle: [WaitQueue] = []
    var waiting: [WaitQueue] = []
    let readBuffer = ReadBuffer()
    let keepAlive: Bool
    private let connectTimeoutNanos: UInt64
    private var statusCounts = [UInt64](repeating: 0, count: 600)
    private var lastScanNanos: UInt64 = 0
    var prepared = false

    static let maxBackoffNanos: UInt64 = 1_000_000_000

    override init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
                  stop: StopSignal, progress: ProgressCell) throws {
        let http = config.http!
        targets = http.targets
        requests = http.targets.map { target in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: target.request.count, alignment: 8)
            buffer.copyBytes(from: target.request)
            return UnsafeRawBufferPointer(buffer)
        }
        keepAlive = http.keepAlive
        connectTimeoutNanos = http.connectTimeoutNanos
        threadCount = UInt64(config.load.threads)
        let capacity = max(1, config.plan(thread: threadIndex).maxInFlight)
        slotClient = .allocate(capacity: capacity)
        slotClient.initialize(repeating: -1, count: capacity)
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress)
        // Names resolve here, inside the netns, with the target's DNS servers.
        let resolved = try HTTPEndpoints(targets: http.targets, dnsServers: http.dnsServers)
        endpoints = resolved.endpoints
        targetGroup = resolved.groupOfTarget
        endpointNames = endpoints.map(\.description)
        let connections = Int(LoadPlan.share(of: UInt64(http.connections), thread: UInt64(threadIndex),
                                             of: UInt64(config.load.threads)))
        for i in 0..<connections {
            clients.append(Client(index: i, group: i % endpoints.count))
        }
        idle = Array(repeating: WaitQueue(capacity: connections), count: endpoints.count)
        waiting = Array(repeating: WaitQueue(capacity: slots.capacity), count: endpoints.count)
    }

    deinit {
        for request in requests { request.deallocate() }
        for client in clients { client.requestBuffer?.deallocate() }
        slotClient.deallocate()
        urlScratch.deallocate()
    }

    // MARK: Preparing

    /// Opens the keep-alive connections before the clock starts, so the first events do not wait for handshakes.
    /// Fails the run when not a single connection can be made.
    override func prepare() throws {
        guard keepAlive, !clients.isEmpty else { return }
        let start = Loop.nowNanos
        for client in clients { connect(client, now: start) }
        try loop.run(until: start + connectTimeoutNanos) { clients.contains { $0.state == .connecting } }
        prepared = true
        if !clients.contains(where: { $0.state == .idle }) {
            let kinds = ErrorKind.allCases.filter { result.connectErrors[$0.rawValue] > 0 }.map(\.name)
            let why = kinds.isEmpty ? "connect timeout" : kinds.joined(separator: ", ")
            throw RunFailure("cannot connect to \(endpoints.map(\.description).joined(separator: ", ")) (\(why)) from inside the target netns; is the server running there?")
        }
    }

    // MARK: Events in

    override func transmit(slot: Int32, now: UInt64) {
        let target = Int(slots.sequence[Int(slot)] % UInt64(targets.count))
        let group = targetGroup[target]
        if keepAlive {
            if let client = takeIdle(group: group) {
                send(slot: slot, on: client, now: now)
            } else {
                waiting[group].push(slot)
            }
        } else if let client = clients.first(where: { $0.group == group && $0.state == .disconnected }) {
            client.slot = slot
            connect(client, now: now)
        } else {
            waiting[group].push(slot)
        }
    }

    // MARK: Housekeeping

    override func housekeeping(now: UInt64) {
        guard now >= lastScanNanos + LoadWorker.housekeepingNanos else { return }
        lastScanNanos = now
        for client in clients {
            switch client.state {
            case .busy where now - client.sinceNanos >= timeoutNanos:
                let slot = client.slot
                client.slot = -1
                complete(slot: slot, .timedOut, atNanos: now)
                drop(client, now: now)
            case .connecting where now - client.sinceNanos >= connectTimeoutNanos:
                connectionFailed(client, kind: .connectTimeout, now: now)
            case .backingOff where now >= client.retryAtNanos:
                if keepAlive || client.slot >= 0 {
                    connect(client, now: now)
                } else {
                    client.state = .disconnected
                    serveNext(client, now: now)
                }
            default:
                break
            }
        }
    }

    override func cancelInFlight() {
        let now = Loop.nowNanos
        for client in clients {
            if client.state == .busy, client.slot >= 0 {
                let slot = client.slot
                client.slot = -1
                complete(slot: slot, .cancelled, atNanos: now)
            } else if client.slot >= 0 {
                discard(slot: client.slot, reason: unsentReason)
                client.slot = -1
            }
            client.state = .retired
            closeStream(of: client)
        }
        for g in waiting.indices {
            while let slot = waiting[g].pop() { discard(slot: slot, reason: unsentReason) }
        }
        for g in idle.indices { while idle[g].pop() != nil {} }
        for client in clients { client.parked = false }
    }

    override func closeTransport() {
        for client in clients {
            client.state = .retired
            closeStream(of: client)
        }
    }

    override var eventKind: StaticString { "http1" }

    override func describeEvent(slot: Int32, _ completion: Completion, into record: inout EventRecord) {
        let s = Int(slot)
        let target = Int(slots.sequence[s] % UInt64(targets.count))
        describeRequest(slot: slot, targets[target], completion, scratch: urlScratch, into: &record)
        let index = Int(slotClient[s])
        if index >= 0 {
            record.field("src", clients[index].localAddress)
            record.field("connection", clients[index].connectionNumber)
        }
        record.field("dst", endpointNames[targetGroup[target]])
    }

    override func countCode(_ code: Int) {
        if code >= 0 && code < statusCounts.count {
            statusCounts[code] += 1
        } else {
            result.counters.codes[code, default: 0] += 1
        }
    }

    override func finishResult() {
        for (code, count) in statusCounts.enumerated() where count > 0 {
            result.counters.codes[code, default: 0] += count
        }
    }
}
