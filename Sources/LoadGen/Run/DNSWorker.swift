/// DNS load on one loop thread: a 1 ms tick asks the `Scheduler` what is due, each event takes a slot and a query
/// ID, its prebuilt packet goes out through the `Resolver` of its server, and each completion is counted and
/// timed. Loop thread only; it ends itself (closes its timer and resolvers) once nothing is left to do, which
/// lets `uv_run` return.
final class DNSWorker: ResolverDelegate {
    private let loop: Loop
    private var scheduler: Scheduler
    private let slots: SlotTable
    private let slotID: UnsafeMutablePointer<UInt16>
    private let slotResolver: UnsafeMutablePointer<Int32>
    private var resolvers: [Resolver] = []
    private var ids: [IDAllocator] = []
    private let packets: [UnsafeMutableRawBufferPointer]
    private var rcodeCounts = [UInt64](repeating: 0, count: 16)
    private var timer: TickTimer?
    private let tickNanos: UInt64
    /// The time the timer was last armed for: wake-ups keep a grid of at least `tickNanos` from it.
    private var lastWakeTarget: UInt64 = 0
    private let stop: StopSignal
    private let progress: ProgressCell
    private let timeoutNanos: UInt64
    private let useTCP: Bool
    private let stopGraceNanos: UInt64
    private var origin: UInt64 = 0
    private var drainDeadline: UInt64 = .max
    private var stopLevelSeen = 0
    private var issuing = false
    private var closed = false
    private(set) var result = ThreadResult()

    init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
         stop: StopSignal, progress: ProgressCell) throws {
        self.loop = loop
        self.stop = stop
        self.progress = progress
        let plan = config.plan(thread: threadIndex)
        scheduler = Scheduler(plan: plan)
        timeoutNanos = config.load.timeoutNanos
        tickNanos = config.load.tickNanos
        useTCP = config.dns.tcp
        stopGraceNanos = config.stopGraceNanos
        let capacity = max(1, plan.maxInFlight)
        slots = SlotTable(capacity: capacity)
        slotID = .allocate(capacity: capacity)
        slotID.initialize(repeating: 0, count: capacity)
        slotResolver = .allocate(capacity: capacity)
        slotResolver.initialize(repeating: 0, count: capacity)
        packets = config.dns.questions.map { question in
            let bytes = DNSMessage.query(name: question.name, type: question.type)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 2)
            buffer.copyBytes(from: bytes)
            return buffer
        }
        result.threadIndex = threadIndex
        result.netns = config.netns?.label ?? ""
        result.netnsInode = netnsInode
        let timeoutMillis = Int((config.load.timeoutNanos + 999_999) / 1_000_000)
        for (i, server) in config.dns.servers.enumerated() {
            let resolver = try Resolver(loop: loop, server: server, useTCP: config.dns.tcp,
                                        timeoutMillis: timeoutMillis, slotCapacity: capacity,
                                        sentNanos: slots.sentNanos, expectedNetnsInode: netnsInode,
                                        readsOnTick: DNSWorker.readsOnTick(plan: plan))
            resolver.delegate = self
            resolvers.append(resolver)
            // Spread threads' ID sequences apart.
            ids.append(IDAllocator(start: UInt16(truncatingIfNeeded: threadIndex &* 40_503 &+ i &* 7_919)))
        }
        timer = try TickTimer(loop: loop) { [unowned self] in self.tick() }
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
        for packet in packets { packet.deallocate() }
    }

    /// Closes everything without running (another thread failed to start).
    func abandon() {
        finish(now: Loop.nowNanos)
    }

    /// Starts ticking; event 0 is intended at `originNanos`.
    func start(originNanos: UInt64) {
        origin = originNanos
        lastWakeTarget = originNanos
        timer?.arm(atNanos: originNanos)
    }

    /// Housekeeping (c-ares timeouts, stop requests, progress) runs at least this often.
    static let housekeepingNanos: UInt64 = 10_000_000

    private func tick() {
        guard !closed else { return }
        let tickStart = Loop.nowNanos
        if tickStart < origin {
            timer?.arm(atNanos: origin)
            return
        }
        let level = stop.current
        if level != stopLevelSeen { didRequestStop(level: level, now: tickStart) }
        for resolver in resolvers { resolver.processTimeouts() }
        scheduler.checkDuration(atOffset: tickStart - origin)
        issue(now: tickStart)
        let now = Loop.nowNanos
        if scheduler.doneIssuing && drainDeadline == .max {
            // c-ares times queries out itself; this only guards against one that never ends.
            drainDeadline = max(now, result.lastSentNanos) + timeoutNanos + 500_000_000
        }
        if now >= drainDeadline && scheduler.inFlight > 0 {
            for resolver in resolvers { resolver.cancelAll() }
        }
        progress.publish(result.counters)
        if scheduler.isFinished {
            finish(now: now)
            return
        }
        // Wake for the next intended event, but at most once per tick: events due in between go out together.
        var wake = now + DNSWorker.housekeepingNanos
        if let due = scheduler.nextDueOffset {
            wake = min(wake, max(origin &+ due, lastWakeTarget &+ tickNanos))
        }
        if drainDeadline != .max { wake = min(wake, max(drainDeadline, now)) }
        if let duration = scheduler.plan.durationNanos, scheduler.plan.pacer == nil, !scheduler.doneIssuing {
            wake = min(wake, max(origin &+ duration, now))
        }
        lastWakeTarget = wake
        timer?.arm(atNanos: wake)
    }

    private func didRequestStop(level: Int, now: UInt64) {
        stopLevelSeen = level
        if level >= 1 {
            scheduler.stop()
            drainDeadline = min(drainDeadline, now + stopGraceNanos)
        }
        if level >= 2 {
            drainDeadline = now
        }
    }

    /// Issues every event the scheduler allows now, then transmits them together.
    @inline(__always)
    private func issue(now: UInt64) {
        guard !issuing, !closed else { return }
        issuing = true
        defer { issuing = false }
        let offset = now &- origin
        var sentThisRound = 0
        while let event = scheduler.next(atOffset: offset) {
            send(event, at: now)
            sentThisRound += 1
        }
        guard sentThisRound > 0 else { return }
        for resolver in resolvers { resolver.flush() }
        if result.firstSentNanos == 0 { result.firstSentNanos = now }
        result.lastSentNanos = now
    }

    @inline(__always)
    private func send(_ event: Scheduler.Event, at now: UInt64) {
        guard let slot = slots.acquire() else {
            preconditionFailure("the scheduler allowed more events than slots")
        }
        let s = Int(slot)
        let serverIndex = resolvers.count == 1 ? 0 : Int(event.sequence % UInt64(resolvers.count))
        let questionIndex = packets.count == 1 ? 0 : Int(event.sequence % UInt64(packets.count))
        guard let id = ids[serverIndex].allocate() else {
            preconditionFailure("more than 65,536 queries in flight on one channel")
        }
        slots.intendedNanos[s] = origin &+ event.intendedOffsetNanos
        slots.sequence[s] = event.sequence
        // Over UDP the resolver stamps the real transmit time when it flushes the batch.
        slots.sentNanos[s] = now
        slotID[s] = id
        slotResolver[s] = Int32(serverIndex)
        let packet = packets[questionIndex]
        DNSMessage.setID(id, in: packet)
        result.counters.sent += 1
        // May complete (and release the slot) before it returns.
        resolvers[serverIndex].send(UnsafeRawBufferPointer(packet), slot: slot)
    }

    func resolver(_ resolver: Resolver, didFinish slot: Int32, outcome: DNSOutcome, answer: UnsafeRawBufferPointer,
                  atNanos: UInt64) {
        let s = Int(slot)
        // A kernel timestamp mapped onto the monotonic clock may land a hair before the send stamp.
        let now = max(atNanos, slots.sentNanos[s])
        let id = slotID[s]
        switch outcome {
        case .answered:
            if DNSMessage.id(of: answer) != id {
                result.counters.recordError(.idMismatch)
            } else {
                result.counters.completed += 1
                rcodeCounts[DNSMessage.rcode(of: answer) ?? 0] += 1
                if DNSMessage.isTruncated(answer) { result.truncated += 1 }
                result.bytesReceived &+= UInt64(answer.count)
                result.responseTime.record(now - min(now, slots.intendedNanos[s]))
                result.serviceTime.record(now &- slots.sentNanos[s])
                scheduler.didSucceed()
            }
        case .timedOut:
            result.counters.timeouts += 1
        case .cancelled:
            result.counters.cancelled += 1
        case .failed(let kind):
            result.counters.recordError(kind)
            if kind == .refused, now > origin { scheduler.didRefuse(atOffset: now - origin) }
        }
        ids[Int(slotResolver[s])].release(id)
        slots.release(slot)
        scheduler.didFinish()
        result.endNanos = now
    }

    func resolverDidProcess(_ resolver: Resolver) {
        issue(now: Loop.nowNanos)
    }

    private func finish(now: UInt64) {
        closed = true
        timer?.close()
        timer = nil
        for resolver in resolvers {
            result.socketsOpened += resolver.socketsOpened
            result.socketsOutsideNetns += resolver.socketsOutsideNetns
            resolver.close()
        }
        if result.endNanos == 0 { result.endNanos = now }
        for (code, count) in rcodeCounts.enumerated() where count > 0 {
            result.counters.codes[code] = count
        }
        if useTCP { result.connectionsOpened = UInt64(result.socketsOpened) }
        progress.publish(result.counters)
    }
}
