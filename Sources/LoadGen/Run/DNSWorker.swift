/// DNS load on one loop thread: each event takes a query ID from its server's allocator, its prebuilt packet
/// goes out through that server's `Resolver` (batched per round), and each completion is counted and timed by
/// `LoadWorker`. Loop thread only.
///
/// Faults: in open loop every event goes out on schedule, whatever a server did to the previous ones: a query to
/// a refusing server costs one datagram (or connection attempt), the rate bounds them, and the healthy servers'
/// queries are never held up. In closed loop a refusal would be re-issued at once (a busy loop), so a server
/// that refuses (or cannot be routed to) is backed off alone, its delay doubling from 1 ms to 100 ms and reset
/// by its next answer: events aimed at it meanwhile are not sent (`not_sent: no_connection`) as long as another
/// server is healthy; once every server backs off, the thread's issuing pauses (`LoadWorker`'s backoff) and the
/// events wait. Over TCP, a query whose
/// connection the server closed or reset goes out once more on a new connection (`retried`); a second loss is
/// an error (`closed`, `reset`).
final class DNSWorker: LoadWorker, ResolverDelegate {
    private let slotID: UnsafeMutablePointer<UInt16>
    private let slotResolver: UnsafeMutablePointer<Int32>
    // Per server, touched on every query: the channel, its query IDs and its back-off. Each lives in memory of
    // its own, not as a stored property, which the runtime would check for exclusive access on every use (see
    // `LoopOwned`).
    private let resolversStorage = LoopOwned([Resolver]())
    private var resolvers: [Resolver] {
        unsafeAddress { UnsafePointer(resolversStorage.pointer) }
        unsafeMutableAddress { resolversStorage.pointer }
    }
    private let idsStorage = LoopOwned([IDAllocator]())
    private var ids: [IDAllocator] {
        unsafeAddress { UnsafePointer(idsStorage.pointer) }
        unsafeMutableAddress { idsStorage.pointer }
    }
    private let queries: DNSQueries
    private let transport: String
    private var serverNames: [String] = []
    private var qtypeNames: [String] = []
    private let useTCP: Bool
    /// Per slot: its query was already sent again after its connection was lost.
    private let slotRetried: UnsafeMutablePointer<Bool>
    private var retried: UInt64 = 0
    /// Per server: the current backoff and when it ends (monotonic ns, 0: not backing off).
    private let backoffNanos: UnsafeMutablePointer<UInt64>
    private let backoffUntil: UnsafeMutablePointer<UInt64>
    /// Answers are read on ticks (`readsOnTick`): at most once per `readIntervalNanos`, at `lastRead[0]` last.
    private let readsOnTick: Bool
    private let readIntervalNanos: UInt64
    private let lastRead: UnsafeMutablePointer<UInt64>

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
        slotRetried = .allocate(capacity: capacity)
        slotRetried.initialize(repeating: false, count: capacity)
        queries = DNSQueries(questions: dns.questions)
        transport = dns.tcp ? "tcp" : "udp"
        let servers = dns.serversByTarget.isEmpty ? dns.servers : dns.serversByTarget[config.target(ofThread: threadIndex)]
        backoffNanos = .allocate(capacity: servers.count)
        backoffNanos.initialize(repeating: 0, count: servers.count)
        backoffUntil = .allocate(capacity: servers.count)
        backoffUntil.initialize(repeating: 0, count: servers.count)
        readsOnTick = DNSWorker.readsOnTick(plan: plan) && !dns.tcp
        readIntervalNanos = DNSWorker.readInterval(plan: plan, timeoutNanos: config.load.timeoutNanos)
        lastRead = .allocate(capacity: 1)
        lastRead.initialize(to: 0)
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress)
        for (i, server) in servers.enumerated() {
            let resolver = try Resolver(loop: loop, server: server, useTCP: dns.tcp, tcFallback: dns.tcFallback,
                                        timeoutNanos: config.load.timeoutNanos, slotCapacity: capacity,
                                        sentNanos: slots.sentNanos, firstSentNanos: ledger.firstSentNanos, expectedNetnsInode: netnsInode,
                                        readsOnTick: readsOnTick)
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
        // Idempotent: closes the channels (and their polls) of a worker whose init threw part-way.
        for resolver in resolvers { resolver.close() }
        slotID.deallocate()
        slotResolver.deallocate()
        slotRetried.deallocate()
        backoffNanos.deallocate()
        backoffUntil.deallocate()
        lastRead.deallocate()
        resolversStorage.free()
        idsStorage.free()
    }

    /// How often answers read on ticks are read while events go out: as often as about 8 answers arrive, at most
    /// every 8 ms (8 answers at 1,000/s a thread; 160 µs at 50,000/s) and at most every quarter of the timeout, at
    /// least every 10 µs. Handling 50 answers at once held the sends due meanwhile: at 50,000/s the schedule lag's
    /// p99 went from 45 to 99 µs with reads once a millisecond. The timeouts are expired on the same reads (after
    /// them), so they end up to one interval after their deadline; an answer read in that interval after its
    /// deadline is still a timeout (the resolver compares its kernel receive time).
    static func readInterval(plan: LoadPlan, timeoutNanos: UInt64) -> UInt64 {
        let longest = min(8e6, max(1e4, Double(timeoutNanos) / 4))
        guard let pacer = plan.pacer, pacer.rate > 0 else { return UInt64(min(1e6, longest)) }
        let perThreadRate = pacer.rate / Double(max(1, plan.threadCount))
        return UInt64(min(longest, max(1e4, 8e9 / perThreadRate)))
    }

    /// Reads the answers and expires timeouts. Answers read on ticks carry the kernel's receive time, so reading
    /// them only every `readIntervalNanos` while events still go out keeps every latency exact and saves a
    /// `recvmmsg` and a pass through c-ares on most wake-ups (a slot is freed up to about 8 answers later, which
    /// `readsOnTick(plan:)` leaves room for). Timeouts are expired on the same reads.
    override func housekeeping(now: UInt64) {
        if readsOnTick && !scheduler.doneIssuing && now < lastRead.pointee &+ readIntervalNanos { return }
        lastRead.pointee = now
        for resolver in resolvers { resolver.processTimeouts() }
    }

    override func transmit(slot: Int32, now: UInt64) {
        let s = Int(slot)
        let sequence = slots.sequence[s]
        let serverIndex = resolvers.count == 1 ? 0 : Int(sequence % UInt64(resolvers.count))
        if backoffUntil[serverIndex] > now && !allServersBackingOff(now: now) {
            discard(slot: slot, reason: .noConnection, atNanos: now)
            return
        }
        guard let id = ids[serverIndex].allocate() else {
            preconditionFailure("more than 65,536 queries in flight on one channel")
        }
        slotID[s] = id
        slotResolver[s] = Int32(serverIndex)
        slotRetried[s] = false
        let packet = self.packet(slot: slot)
        // Over UDP the resolver stamps the real transmit time when it flushes the batch.
        markSent(slot: slot, atNanos: now)
        // May complete (and release the slot) before it returns.
        resolvers[serverIndex].send(packet, slot: slot)
    }

    /// The query of `slot` (its question, expanded, with its ID), in a buffer valid until the next call.
    private func packet(slot: Int32) -> UnsafeRawBufferPointer {
        queries.packet(sequence: slots.sequence[Int(slot)], thread: result.threadIndex, id: slotID[Int(slot)])
    }

    private func allServersBackingOff(now: UInt64) -> Bool {
        !resolvers.indices.contains { backoffUntil[$0] <= now }
    }

    /// Closed loop: backs off only the server `slot` went to; pauses the thread's issuing once every server backs
    /// off. Open loop: nothing (see the type's documentation).
    override func didRefuse(slot: Int32, now: UInt64) {
        guard scheduler.plan.pacer == nil else { return }
        let server = Int(slotResolver[Int(slot)])
        backoffNanos[server] = min(max(backoffNanos[server] * 2, Scheduler.minBackoffNanos), Scheduler.maxBackoffNanos)
        backoffUntil[server] = now + backoffNanos[server]
        if allServersBackingOff(now: now) { super.didRefuse(slot: slot, now: now) }
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
        for resolver in resolvers { result.dns.add(resolver.ledger.counters) }
        result.retried += retried
        if useTCP { result.connectionsOpened = UInt64(result.socketsOpened) }
    }

    override var eventKind: StaticString { "dns" }

    override func describeEvent(slot: Int32, _ completion: Completion, into record: inout EventRecord) {
        let s = Int(slot)
        let server = Int(slotResolver[s])
        record.field("id", Int(slotID[s]))
        queries.describe(sequence: slots.sequence[s], thread: result.threadIndex, rcode: completion.code, into: &record)
        record.field("src", resolvers[server].localAddress)
        record.field("dst", serverNames[server])
        record.field("transport", transport)
    }

    func resolver(_ resolver: Resolver, didFinish slot: Int32, outcome: DNSOutcome, answer: UnsafeRawBufferPointer,
                  atNanos: UInt64) {
        let s = Int(slot)
        let server = Int(slotResolver[s])
        if case .failed(let kind) = outcome, useTCP, kind == .closed || kind == .reset, !slotRetried[s] {
            // The server closed the connection under it: once more on a new one (same ID, still ours).
            slotRetried[s] = true
            retried += 1
            resolver.send(packet(slot: slot), slot: slot)
            return
        }
        ids[server].release(slotID[s])
        switch outcome {
        case .answered:
            backoffNanos[server] = 0
            backoffUntil[server] = 0
            if DNSMessage.isTruncated(answer) { result.truncated += 1 }
            result.bytesReceived &+= UInt64(answer.count)
            complete(slot: slot, .answered(code: DNSMessage.rcode(of: answer) ?? 0), atNanos: atNanos)
        case .timedOut:
            complete(slot: slot, .timedOut, atNanos: atNanos)
        case .cancelled:
            complete(slot: slot, .cancelled, atNanos: atNanos)
        case .failed(let kind):
            // `complete` backs off after `.refused`; no route is as final.
            if kind == .unreachable { didRefuse(slot: slot, now: atNanos) }
            complete(slot: slot, .failed(kind), atNanos: atNanos)
        }
    }

    func resolverDidProcess(_ resolver: Resolver) {
        issue(now: Loop.nowNanos)
    }
}
