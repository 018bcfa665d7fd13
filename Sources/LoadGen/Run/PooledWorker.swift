/// The connection pool shared by HTTP/1.1, HTTP/2 and DNS over TLS (and every later stream kind): `PoolCore`'s decisions
/// carried out with libuv — connects and their timeouts, backoff, the netns check of every socket, one mapping
/// from transport errors to error kinds, events waiting for a connection (given up after `--timeout` as
/// `not_sent: no_connection`), and retired connections kept alive until the next tick so that none is released
/// inside its own callback. A protocol subclass opens, uses and closes connections on lanes. Loop thread only.
class PooledWorker: LoadWorker {
    private let poolStorage: LoopOwned<PoolCore>
    /// The connection pool (see `LoopOwned` for why it is not a stored property).
    final var pool: PoolCore {
        unsafeAddress { UnsafePointer(poolStorage.pointer) }
        unsafeMutableAddress { poolStorage.pointer }
    }
    final var endpoints: HTTPEndpoints
    final let readBuffer = ReadBuffer()
    final let connectTimeoutNanos: UInt64
    final let threadCount: UInt64
    final var connectionsStarted: UInt64 = 0
    /// Set once `prepare` has connected what it could: from then on a connection that comes up serves waiting
    /// events at once.
    final var prepared = false
    /// The first connection failure, for the message when the run cannot start.
    final var firstFailure: String?
    /// https: the run's TLS context, and the buffer every TLS stream of this loop decrypts into.
    final let tlsContext: TLSContext?
    final lazy var plaintextBuffer = ReadBuffer(size: 64 * 1024)
    /// The first TLS failure no retry fixes (certificate, port, policy): a run none of whose connections came up
    /// stops with it.
    private var deterministicTLSFailure: String?
    /// Connections taken out of service; released at the next housekeeping, never inside their own callbacks.
    private var graveyard: [AnyObject] = []
    private var lastScanNanos: UInt64 = 0
    private let quiet: Bool
    /// Slots whose event was already retried once on a new connection.
    private let retriedSlot: UnsafeMutablePointer<Bool>

    init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64, stop: StopSignal,
         progress: ProgressCell, persistent: Bool) throws {
        let setup = config.pool
        connectTimeoutNanos = setup.connectTimeoutNanos
        tlsContext = setup.tls
        quiet = config.output.quiet || threadIndex > 0
        threadCount = UInt64(config.load.threads)
        let lanes = Int(LoadPlan.share(of: UInt64(setup.connections), thread: UInt64(threadIndex),
                                       of: UInt64(config.load.threads)))
        let capacity = max(1, config.plan(thread: threadIndex).maxInFlight)
        retriedSlot = .allocate(capacity: capacity)
        retriedSlot.initialize(repeating: false, count: capacity)
        // Names resolve on this thread, inside the netns; the pool is sized once they are known.
        endpoints = HTTPEndpoints()
        poolStorage = LoopOwned(PoolCore(groups: 1, lanes: 0, settings: .init(connectTimeoutNanos: 1, waitTimeoutNanos: 1,
                                                                              persistent: persistent),
                                         waitCapacity: 1))
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress)
        if let http = config.http {
            endpoints = try HTTPEndpoints(targets: http.targets, dnsServers: http.dnsServers)
        } else {
            endpoints = HTTPEndpoints(servers: config.dns!.servers(ofThread: threadIndex, in: config))
        }
        pool = PoolCore(groups: endpoints.endpoints.count, lanes: lanes,
                        settings: .init(connectTimeoutNanos: connectTimeoutNanos,
                                        waitTimeoutNanos: config.load.timeoutNanos, persistent: persistent),
                        waitCapacity: capacity)
    }

    deinit {
        retriedSlot.deallocate()
        poolStorage.free()
    }

    // MARK: What a protocol provides

    /// Opens a connection on `lane` (the pool already counts it as connecting); report the outcome through
    /// `connectionUp` or `connectFailed`.
    func openConnection(lane: Int, number: UInt64, now: UInt64) throws {}
    /// Closes the lane's connection, if any; returns true when it had been accepted by the server before loadgen
    /// heard of it (it still counts as opened).
    func closeConnection(lane: Int) -> Bool { false }
    /// Puts `slot`'s event on the lane's connection (the pool counted it in the lane's load).
    func send(slot: Int32, lane: Int, now: UInt64) {}
    /// Ends every event on the lane's connection(s) as cancelled.
    func cancelEvents(lane: Int, now: UInt64) {}
    /// Ends events on connections outside the lanes (HTTP/2 connections draining after GOAWAY).
    func cancelDrainingEvents(now: UInt64) {}

    // MARK: Events in

    override func transmit(slot: Int32, now: UInt64) {
        let group = group(of: slot)
        if let lane = pool.takeLane(group: group) {
            send(slot: slot, lane: lane, now: now)
        } else {
            pool.wait(slot: slot, group: group, since: waitOrigin(slot))
            connectWanted(group: group, now: now)
        }
    }

    /// The endpoint group of the slot's target.
    final func group(of slot: Int32) -> Int {
        endpoints.groupOfTarget[Int(slots.sequence[Int(slot)] % UInt64(endpoints.groupOfTarget.count))]
    }

    /// Where an event's wait for a connection counts from: its intended time, so that it is given up `--timeout`
    /// after it was due (as a held-back event is), not a timeout after it was finally issued; a retry's from its
    /// first send, so that it times out as if it had stayed on the wire.
    final func waitOrigin(_ slot: Int32) -> UInt64 {
        ledger.phase(of: slot) == .retrying ? ledger.firstSentNanos[Int(slot)] : slots.intendedNanos[Int(slot)]
    }

    /// Gives waiting events of the group to connections with room.
    final func serveWaiting(group: Int, now: UInt64) {
        while inPlace(&pool, { $0.waitingCount(group: group) }) > 0, let lane = pool.takeLane(group: group) {
            send(slot: pool.nextWaiting(group: group)!, lane: lane, now: now)
        }
    }

    /// An event on `lane` ended: room for the next.
    final func eventLeft(lane: Int, now: UInt64) {
        pool.release(lane: lane)
        if prepared { serveWaiting(group: inPlace(&pool, { $0.group(ofLane: lane) }), now: now) }
    }

    /// The server did not process the sent event (a request on a keep-alive connection it had already closed,
    /// HTTP/2 REFUSED_STREAM): it goes out once more on another connection, ahead of the others, and still counts
    /// once. Returns false when it was retried before (then it ends as the caller decides).
    final func retryOnce(slot: Int32, now: UInt64) -> Bool {
        guard !retriedSlot[Int(slot)] else { return false }
        retriedSlot[Int(slot)] = true
        retry(slot: slot, now: now)
        return true
    }

    /// Sends a sent event again (above a GOAWAY's last stream ID: never processed, so always safe); its wait for
    /// a connection is bounded by `--timeout` like any other.
    final func retry(slot: Int32, now: UInt64) {
        requeue(slot: slot)
        result.retried &+= 1
        let group = group(of: slot)
        pool.waitFirst(slot: slot, group: group, since: waitOrigin(slot))
        connectWanted(group: group, now: now)
    }

    /// Ends an event through the lifecycle and forgets its retry mark.
    final func end(slot: Int32, _ completion: Completion, now: UInt64) {
        retriedSlot[Int(slot)] = false
        complete(slot: slot, completion, atNanos: now)
    }

    // MARK: Connections

    /// A new stream for a connection to the group's endpoint: TCP, with TLS over it for https (SNI and the
    /// certificate check use the URL's host).
    final func makeStream(tag: Int, group: Int, delegate: any TCPStreamDelegate) throws -> TCPStream {
        let stream = try TCPStream(loop: loop, tag: tag, readBuffer: readBuffer, delegate: delegate)
        if let tlsContext {
            do {
                stream.tls = try TLSStream(context: tlsContext, host: endpoints.hosts[group], plaintext: plaintextBuffer)
            } catch {
                stream.close()
                throw error
            }
        }
        return stream
    }

    /// Opens a stream to the lane's endpoint: handed to `keep` (so that `closeConnection` finds it whatever
    /// happens next), then connecting.
    final func connectStream(lane: Int, delegate: any TCPStreamDelegate, keep: (TCPStream) -> Void) throws {
        let group = pool.group(ofLane: lane)
        let stream = try makeStream(tag: lane, group: group, delegate: delegate)
        keep(stream)
        try stream.connect(to: endpoints.endpoints[group])
    }

    /// Closes a connection's stream, counting its `SSL_write` calls; true when the server had accepted it before
    /// loadgen heard of it.
    final func closeStream(_ stream: TCPStream?) -> Bool {
        guard let stream else { return false }
        if let tls = stream.tls { result.tls.sslWriteCalls &+= UInt64(tls.engine.sslWriteCalls) }
        return stream.close()
    }

    /// The TLS handshake on a connection completed: counted and timed. Returns what it agreed on.
    @discardableResult
    final func handshakeFinished(_ stream: TCPStream) -> TLSHandshakeSummary? {
        guard let summary = stream.tls?.summary else { return nil }
        result.tls.record(summary)
        return summary
    }

    /// The TLS fields of an event record (https only): the version its connection negotiated, the SNI sent (null
    /// for an IP literal without --sni) and whether the session was resumed.
    final func describeTLS(_ summary: TLSHandshakeSummary?, group: Int, into record: inout EventRecord) {
        guard let tlsContext, let summary else { return }
        record.field("tls_version", summary.version)
        if let sni = tlsContext.settings.serverName(forHost: endpoints.hosts[group]) {
            record.field("sni", sni)
        } else {
            record.nullField("sni")
        }
        record.field("resumed", summary.resumed)
    }

    /// Keeps the first TLS failure's message for the report (a failure after the handshake, too: a TLS 1.3
    /// server refusing a client certificate alerts only after the client finished its handshake).
    final func noteTLSFailure(_ failure: TLSFailure) {
        if result.tls.firstFailure == nil { result.tls.firstFailure = failure.message }
    }

    /// A TLS failure on the lane's connection before it was up: a connection failure of the TLS kind.
    final func tlsConnectFailed(lane: Int, _ failure: TLSFailure, now: UInt64) {
        let kind = ErrorKind(tls: failure)
        noteTLSFailure(failure)
        if kind.isDeterministicTLS && deterministicTLSFailure == nil { deterministicTLSFailure = failure.message }
        connectFailed(lane: lane, kind: kind, why: failure.message, now: now)
    }

    /// The lane's connection is up but speaks the wrong protocol (ALPN): a connection failure that no retry fixes.
    final func protocolMismatch(lane: Int, kind: ErrorKind, why: String, now: UInt64) {
        if deterministicTLSFailure == nil { deterministicTLSFailure = why }
        connectFailed(lane: lane, kind: kind, why: why, now: now)
    }

    final func connect(lane: Int, now: UInt64) {
        _ = pool.connecting(lane: lane, now: now)
        let number = connectionsStarted * threadCount + UInt64(result.threadIndex)
        connectionsStarted += 1
        do {
            try openConnection(lane: lane, number: number, now: now)
        } catch {
            connectFailed(lane: lane, kind: .other, why: "\(error)", now: now)
        }
    }

    /// Connects lanes for events that wait in `group`, as many as the pool wants.
    final func connectWanted(group: Int, now: UInt64) {
        while let lane = inPlace(&pool, { $0.laneToConnect(group: group, issuing: !scheduler.doneIssuing) }) {
            connect(lane: lane, now: now)
        }
    }

    /// The lane's connection is established (`fd` is its socket) and takes `capacity` events at once.
    final func connectionUp(lane: Int, fd: Int32, capacity: Int, now: UInt64) {
        socketConnected(fd: fd)
        connectionReady(lane: lane, capacity: capacity, now: now)
    }

    /// The TCP handshake completed: counted (it equals the server's PassiveOpens) and its netns checked.
    final func socketConnected(fd: Int32) {
        result.connectionsOpened += 1
        checkNetns(ofSocket: fd)
    }

    /// The lane's connection takes events now (HTTP/2: the server's SETTINGS arrived).
    final func connectionReady(lane: Int, capacity: Int, now: UInt64) {
        pool.connected(lane: lane, capacity: capacity)
        if prepared { serveWaiting(group: inPlace(&pool, { $0.group(ofLane: lane) }), now: now) }
    }

    /// Every socket's namespace is checked (DESIGN.md §6): a socket outside the target netns is counted.
    final func checkNetns(ofSocket fd: Int32) {
        result.socketsOpened += 1
        guard fd >= 0, result.netnsInode != 0 else { return }
        // By netns cookie, which needs no capability once privileges are dropped (`SocketNetnsCheck`).
        if !SocketNetnsCheck.current.isInTarget(fd: fd) { result.socketsOutsideNetns += 1 }
    }

    /// The lane's TCP connect failed. A reset, unlike a refusal, comes after a completed handshake — the
    /// server's kernel accepted the connection into its backlog and it was reset (a server that died) before
    /// libuv reported the connect — so the socket counts as opened, as the server's PassiveOpens counts it.
    final func tcpConnectFailed(lane: Int, fd: Int32, error: UVError, now: UInt64) {
        if error.isPeerReset { socketConnected(fd: fd) }
        connectFailed(lane: lane, kind: ErrorKind(connectError: error), why: error.description, now: now)
    }

    /// The lane's connect failed (refused, timed out, handshake or protocol failure): counted, closed, backing off.
    final func connectFailed(lane: Int, kind: ErrorKind, why: String, now: UInt64) {
        result.recordConnectError(kind, atNanos: now)
        if firstFailure == nil { firstFailure = why }
        if closeConnection(lane: lane) { result.connectionsOpened += 1 }
        pool.failedToConnect(lane: lane, now: now)
    }

    /// The lane's connection ended after it was up (its events were already ended or moved by the protocol);
    /// a new one connects at once when wanted.
    final func connectionLost(lane: Int, now: UInt64) {
        if closeConnection(lane: lane) { result.connectionsOpened += 1 }
        pool.lost(lane: lane)
        guard !closed else { return }
        if inPlace(&pool, { $0.wantsReconnect(lane: lane, issuing: !scheduler.doneIssuing) }) { connect(lane: lane, now: now) }
    }

    /// Keeps a retired connection object alive until the next housekeeping.
    final func bury(_ object: AnyObject) {
        graveyard.append(object)
    }

    // MARK: Housekeeping

    override func housekeeping(now: UInt64) {
        guard now >= lastScanNanos + LoadWorker.housekeepingNanos else { return }
        lastScanNanos = now
        graveyard.removeAll(keepingCapacity: true)
        for due in pool.housekeeping(now: now, issuing: !scheduler.doneIssuing) {
            switch due {
            case .expired(let slot):
                // Waited --timeout for a connection: not sent (no_connection), or a timeout if sent before.
                end(slot: slot, .timedOut, now: now)
            case .connectTimedOut(let lane):
                connectFailed(lane: lane, kind: .connectTimeout, why: "connect timeout", now: now)
            case .connect(let lane):
                connect(lane: lane, now: now)
            }
        }
        housekeepEvents(now: now)
    }

    /// Per housekeeping tick: the protocol's own timeouts.
    func housekeepEvents(now: UInt64) {}

    override func cancelInFlight() {
        let now = Loop.nowNanos
        for lane in pool.lanes.indices { cancelEvents(lane: lane, now: now) }
        cancelDrainingEvents(now: now)
        var waiting: [(Int32, Int)] = []
        pool.drainWaiting { waiting.append(($0, $1)) }
        for (slot, group) in waiting {
            // Never sent: for want of a connection, or held back by full connections; sent before: cancelled.
            let reason: NotSentReason = unsentReason == .stopped ? .stopped
                : pool.hasConnection(group: group) ? .heldBack : .noConnection
            retriedSlot[Int(slot)] = false
            cancel(slot: slot, unsent: reason, atNanos: now)
        }
        closeTransport()
    }

    override func closeTransport() {
        pool.retireAll()
        for lane in pool.lanes.indices where closeConnection(lane: lane) { result.connectionsOpened += 1 }
    }

    // MARK: Preparing

    /// With keep-alive: opens every lane before the clock starts, so the first events do not wait for
    /// handshakes. When not a single connection comes up the run still goes ahead (so that its report accounts
    /// for every intended event, each `not_sent: no_connection` unless the server appears) and says so at once.
    override func prepare() throws {
        guard pool.settings.persistent, !pool.lanes.isEmpty else {
            prepared = true
            return
        }
        let start = Loop.nowNanos
        for lane in pool.lanes.indices { connect(lane: lane, now: start) }
        try loop.run(until: start + connectTimeoutNanos) { pool.lanes.contains { $0.phase == .connecting } }
        prepared = true
        guard !pool.lanes.contains(where: { $0.phase == .up }) else { return }
        if let deterministicTLSFailure {
            // The certificate, the port or the server's TLS policy: no wait fixes that either.
            throw RunFailure("cannot \(connectVerb) \(endpoints.description) from inside the target netns: \(deterministicTLSFailure)")
        }
        if result.connectErrors[ErrorKind.badResponse.rawValue] > 0 {
            // The server answered, in another protocol: no wait fixes that.
            throw RunFailure("cannot \(connectVerb) \(endpoints.description) from inside the target netns: \(firstFailure ?? "the server broke the protocol")")
        }
        if !quiet {
            Console.error("loadgen: cannot \(connectVerb) \(endpoints.description) from inside the target netns: \(firstFailure ?? "connect timeout"); is the server running there? The run goes on; events that get no connection within --timeout are not sent.\n")
        }
    }

    override var heldBackReason: NotSentReason {
        (0..<pool.groupCount).contains { pool.hasConnection(group: $0) } ? .heldBack : .noConnection
    }

    /// How the failure to prepare reads ("connect to", "use HTTP/2 with").
    var connectVerb: String { "connect to" }
}

extension ErrorKind {
    /// A failed connect: refused, timed out, or another failure.
    init(connectError error: UVError) {
        self = error.isConnectionRefused ? .refused : error.isTimedOut ? .connectTimeout : .other
    }

    /// A connection that ended before the answer was complete: closed (EOF), reset, or another failure.
    init(streamEnd error: UVError?) {
        guard let error else {
            self = .closed
            return
        }
        self = error.isReset ? .reset : .other
    }

    /// A write that failed: the peer reset the connection, or the send itself failed.
    init(writeError error: UVError) {
        self = error.isPeerReset ? .reset : .sendFailed
    }
}
