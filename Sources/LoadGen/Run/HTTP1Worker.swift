import Glibc

/// HTTP/1.1 load on one loop thread: its share of the connections (keep-alive, or one per request with
/// `--no-keepalive`), a request per connection at a time, responses parsed by `HTTP1ResponseParser`. An event
/// waits for a connected idle connection; it is *sent* when its request is written. Connection failures are
/// counted per kind and retried with a backoff that doubles up to 1 s, so a dead server is not a busy loop.
/// Loop thread only.
final class HTTP1Worker: LoadWorker, TCPStreamDelegate {
    private final class Client {
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

    private let targets: [HTTPTarget]
    private let requests: [UnsafeRawBufferPointer]
    private let slotClient: UnsafeMutablePointer<Int32>
    private var connectionsStarted: UInt64 = 0
    private let threadCount: UInt64
    private let urlScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 8_192)
    private var endpointNames: [String] = []
    /// Endpoint of each group; targets with the same host and port share a group (and its connections).
    private var endpoints: [Endpoint] = []
    private var targetGroup: [Int] = []
    private var clients: [Client] = []
    /// Idle connections per group, first in first out, so requests spread over every connection.
    private var idle: [WaitQueue] = []
    private var waiting: [WaitQueue] = []
    private let readBuffer = ReadBuffer()
    private let keepAlive: Bool
    private let connectTimeoutNanos: UInt64
    private var statusCounts = [UInt64](repeating: 0, count: 600)
    private var lastScanNanos: UInt64 = 0
    private var prepared = false

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

    private func send(slot: Int32, on client: Client, now: UInt64) {
        precondition(client.stream != nil && (client.state == .idle || client.state == .connecting), "send on a connection that cannot")
        let target = Int(slots.sequence[Int(slot)] % UInt64(targets.count))
        client.slot = slot
        client.target = target
        client.state = .busy
        client.sinceNanos = now
        client.status = 0
        client.parser.expectResponse(isHead: targets[target].isHead)
        slotClient[Int(slot)] = Int32(client.index)
        markSent(slot: slot, atNanos: now)
        if let template = targets[target].headTemplate {
            // Placeholders: expand the head into this connection's buffer (it must outlive an async write).
            if client.requestBuffer == nil {
                client.requestBuffer = .allocate(capacity: template.maxLength + targets[target].body.count)
            }
            let buffer = client.requestBuffer!
            var n = template.expand(sequence: slots.sequence[Int(slot)], thread: result.threadIndex, into: buffer)
            for b in targets[target].body { buffer[n] = b; n += 1 }
            client.stream?.write(UnsafeRawBufferPointer(start: buffer, count: n))
        } else {
            client.stream?.write(requests[target])
        }
    }

    /// A connected idle connection of the group, skipping entries of connections that dropped since.
    private func takeIdle(group: Int) -> Client? {
        while let index = idle[group].pop() {
            let client = clients[Int(index)]
            client.parked = false
            if client.state == .idle, client.stream != nil { return client }
        }
        return nil
    }

    private func park(_ client: Client) {
        guard !client.parked else { return }
        client.parked = true
        idle[client.group].push(Int32(client.index))
    }

    /// A connection is free: give it the next waiting event of its group, or park it.
    private func serveNext(_ client: Client, now: UInt64) {
        if let slot = waiting[client.group].pop() {
            if keepAlive {
                send(slot: slot, on: client, now: now)
            } else {
                client.slot = slot
                connect(client, now: now)
            }
        } else if keepAlive && client.state == .idle {
            park(client)
        }
    }

    // MARK: Connections

    private func connect(_ client: Client, now: UInt64) {
        client.state = .connecting
        client.connectionNumber = connectionsStarted * threadCount + UInt64(result.threadIndex)
        connectionsStarted += 1
        client.sinceNanos = now
        do {
            let stream = try TCPStream(loop: loop, tag: client.index, readBuffer: readBuffer, delegate: self)
            client.stream = stream
            try stream.connect(to: endpoints[client.group])
        } catch {
            connectionFailed(client, kind: .other, now: now)
        }
    }

    private func connectionFailed(_ client: Client, kind: ErrorKind, now: UInt64) {
        result.connectErrors[kind.rawValue] += 1
        client.stream?.close()
        client.stream = nil
        client.state = .backingOff
        client.backoffNanos = min(max(client.backoffNanos * 2, 1_000_000), HTTP1Worker.maxBackoffNanos)
        client.retryAtNanos = now + client.backoffNanos
    }

    /// Drops the connection; a keep-alive one reconnects at once (after a clean end) or after a backoff.
    private func drop(_ client: Client, now: UInt64) {
        client.stream?.close()
        client.stream = nil
        client.slot = -1
        if client.state == .retired { return }
        client.state = .disconnected
        if closed || scheduler.isFinished { return }
        if keepAlive {
            if !scheduler.doneIssuing || waiting[client.group].count > 0 { connect(client, now: now) }
        } else {
            serveNext(client, now: now)
        }
    }

    func streamDidConnect(_ stream: TCPStream) {
        let client = clients[stream.tag]
        let now = Loop.nowNanos
        result.connectionsOpened += 1
        if result.socketsOpened < 64 {
            // Check where the sockets live, as the DNS path does for each of its sockets.
            let fd = stream.fileDescriptor
            if fd >= 0, let inode = NetNamespace.inode(ofSocket: fd), result.netnsInode != 0, inode != result.netnsInode {
                result.socketsOutsideNetns += 1
            }
        }
        result.socketsOpened += 1
        client.localAddress = Resolver.localAddress(of: stream.fileDescriptor)
        client.backoffNanos = 0
        client.state = .idle
        if keepAlive {
            if prepared { serveNext(client, now: now) } else { park(client) }
        } else if client.slot >= 0 {
            send(slot: client.slot, on: client, now: now)
        }
    }

    func stream(_ stream: TCPStream, didFailToConnect error: UVError) {
        let client = clients[stream.tag]
        let kind: ErrorKind = error.isConnectionRefused ? .refused : error.isTimedOut ? .connectTimeout : .other
        connectionFailed(client, kind: kind, now: Loop.nowNanos)
    }

    func stream(_ stream: TCPStream, didRead bytes: UnsafeRawBufferPointer) {
        let client = clients[stream.tag]
        result.bytesReceived &+= UInt64(bytes.count)
        guard client.state == .busy, client.slot >= 0 else {
            // Bytes nobody asked for: the connection is out of step; start over.
            drop(client, now: Loop.nowNanos)
            return
        }
        var rest = bytes
        while !rest.isEmpty {
            let step: (consumed: Int, event: HTTP1ResponseParser.Event)
            do {
                step = try client.parser.parse(rest)
            } catch {
                fail(client, error == .headerTooLarge || error == .lineTooLong ? .headerTooLarge : .badResponse)
                return
            }
            rest = UnsafeRawBufferPointer(rebasing: rest[step.consumed...])
            switch step.event {
            case .needMore:
                return
            case .head(let status):
                client.status = status
            case .complete(let serverKeepsAlive):
                finish(client, keepAlive: serverKeepsAlive)
                return
            }
        }
    }

    func stream(_ stream: TCPStream, didEndWith error: UVError?) {
        let client = clients[stream.tag]
        let now = Loop.nowNanos
        guard client.state == .busy, client.slot >= 0 else {
            // An idle keep-alive connection the server closed (keepalive_timeout): reconnect, no error.
            drop(client, now: now)
            return
        }
        if error == nil, let event = try? client.parser.connectionClosed(), case .complete = event {
            finish(client, keepAlive: false)
            return
        }
        fail(client, error.map { $0.isReset ? .reset : .other } ?? .closed)
    }

    func stream(_ stream: TCPStream, didWrite error: UVError?) {
        guard let error else { return }
        let client = clients[stream.tag]
        guard client.state == .busy else { return }
        fail(client, error.isReset ? .reset : .sendFailed)
    }

    func streamDidDrain(_ stream: TCPStream) {}

    private func finish(_ client: Client, keepAlive serverKeepsAlive: Bool) {
        let now = Loop.nowNanos
        let slot = client.slot
        client.slot = -1
        complete(slot: slot, .answered(code: client.status), atNanos: now)
        if keepAlive && serverKeepsAlive {
            client.state = .idle
            serveNext(client, now: now)
        } else {
            drop(client, now: now)
        }
        issue(now: now)
    }

    private func fail(_ client: Client, _ kind: ErrorKind) {
        let now = Loop.nowNanos
        let slot = client.slot
        client.slot = -1
        complete(slot: slot, .failed(kind), atNanos: now)
        drop(client, now: now)
        issue(now: now)
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
                discard(slot: client.slot)
                client.slot = -1
            }
            client.state = .retired
            client.stream?.close()
            client.stream = nil
        }
        for g in waiting.indices {
            while let slot = waiting[g].pop() { discard(slot: slot) }
        }
        for g in idle.indices { while idle[g].pop() != nil {} }
        for client in clients { client.parked = false }
    }

    override func closeTransport() {
        for client in clients {
            client.state = .retired
            client.stream?.close()
            client.stream = nil
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
