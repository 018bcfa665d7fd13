import CLoadGenSys

/// The protocol-independent half of a loop thread's work: the tick (a `TickTimer` armed at the next intended
/// event — for each event with precise pacing, at most once per `tickNanos` with batch pacing — and at least every
/// 10 ms for housekeeping), issuing what the `Scheduler`
/// allows into preallocated slots, stop requests, the drain at the end, progress, and the exact accounting and
/// histograms of every completion. A protocol subclass transmits events and reports their completions through
/// `complete(slot:…)`. Loop thread only; once nothing is left it closes its timer and the subclass's transport,
/// which lets `uv_run` return.
class LoadWorker {
    let loop: Loop
    private let schedulerStorage: LoopOwned<Scheduler>
    final var scheduler: Scheduler {
        unsafeAddress { UnsafePointer(schedulerStorage.pointer) }
        unsafeMutableAddress { schedulerStorage.pointer }
    }
    /// Every event's phase and fate (the one lifecycle of DESIGN.md §2).
    final let ledger: EventLedger
    /// The interval log (`--hlog`) this thread feeds from its start.
    private let hlog: IntervalLog?
    final let slots: SlotTable
    private let resultStorage = LoopOwned(ThreadResult())
    /// What this thread counted (see `LoopOwned` for why it is not a stored property).
    final var result: ThreadResult {
        unsafeAddress { UnsafePointer(resultStorage.pointer) }
        unsafeMutableAddress { resultStorage.pointer }
    }
    final private(set) var origin: UInt64 = 0
    final let timeoutNanos: UInt64
    private var timer: TickTimer?
    private let tickNanos: UInt64
    private let warmupNanos: UInt64?
    private let stepPlan: StepPlan?
    /// The time the timer was last armed for: wake-ups keep a grid of at least `tickNanos` from it.
    private var lastWakeTarget: UInt64 = 0
    private let stop: StopSignal
    private let progress: ProgressCell
    private let stopGraceNanos: UInt64
    private var drainDeadline: UInt64 = .max
    private var stopLevelSeen = 0
    private var issuing = false
    final private(set) var closed = false
    /// The ground-truth log (`--events`), one record per sent event as it finishes.
    private let eventLog: EventLog?
    private let tid = Int(CLoadGenSys_gettid())
    /// The scenario stream's name, written into each event record (nil outside `loadgen run`).
    final let streamName: String?
    /// This worker's lane of the interval log: its thread, after the lanes of earlier streams.
    private let hlogLane: Int
    /// Counts of the answer codes below `denseCodes` (see `countCode`).
    private let codeTable = UnsafeMutablePointer<UInt64>.allocate(capacity: LoadWorker.denseCodes)
    static let denseCodes = 600

    /// Housekeeping (timeouts, stop requests, progress) runs at least this often.
    static let housekeepingNanos: UInt64 = 10_000_000
    /// How often a thread whose in-flight limit is full looks whether an event may go out.
    static let heldBackPollNanos: UInt64 = 1_000_000

    init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
         stop: StopSignal, progress: ProgressCell) throws {
        self.loop = loop
        self.stop = stop
        self.progress = progress
        let plan = config.plan(thread: threadIndex)
        schedulerStorage = LoopOwned(Scheduler(plan: plan))
        timeoutNanos = config.load.timeoutNanos
        tickNanos = config.load.tickNanos
        warmupNanos = config.load.warmupNanos
        stepPlan = config.load.steps
        stopGraceNanos = config.stopGraceNanos
        ledger = EventLedger(capacity: max(1, plan.maxInFlight))
        slots = ledger.slots
        eventLog = config.output.events.map(EventLog.init(sink:))
        hlog = config.output.hlog
        streamName = config.stream?.name
        hlogLane = (config.stream?.index ?? 0) * config.load.threads + threadIndex
        result.threadIndex = threadIndex
        result.netns = config.netns(ofThread: threadIndex)?.label ?? ""
        result.netnsInode = netnsInode
        // The histograms every sent event records into get their counts now, not at the first completion: writing
        // 270 KB each in the run's first millisecond would delay its first sends.
        result.responseTime.allocate()
        result.serviceTime.allocate()
        result.scheduleLag.allocate()
        codeTable.initialize(repeating: 0, count: LoadWorker.denseCodes)
        timer = try TickTimer(loop: loop) { [unowned self] in self.tick() }
    }

    /// A worker whose subclass init threw after this init finished is released unrun: its timer is still
    /// registered with the loop (idempotent after `finish`, which closed it).
    deinit {
        timer?.close()
        schedulerStorage.free()
        resultStorage.free()
        codeTable.deallocate()
    }

    // MARK: What a protocol provides

    /// Before the start gate: e.g. open connections so that the clock starts with them ready. Throws when the
    /// run cannot go ahead at all.
    func prepare() throws {}

    /// Per tick, before issuing: expire timeouts, read what arrived.
    func housekeeping(now: UInt64) {}
    /// Puts an event that holds `slot` on its way (the slot's intended time and sequence are set). May complete
    /// it before returning.
    func transmit(slot: Int32, now: UInt64) { preconditionFailure("abstract") }
    /// After a round of `transmit` calls: send what was batched.
    func flushTransmissions(now: UInt64) {}
    /// Ends everything in flight (through `complete` or `discard`).
    func cancelInFlight() {}
    /// Closes sockets and handles; nothing is in flight any more.
    func closeTransport() {}
    /// Called once the run is over, to fold protocol counters into `result`.
    func finishResult() {}
    /// The `kind` of this worker's event records.
    var eventKind: StaticString { "" }
    /// Adds the protocol's fields of `slot`'s event to its record (DNS id and name, HTTP URL and status, …).
    func describeEvent(slot: Int32, _ completion: Completion, into record: inout EventRecord) {}

    /// An event's destination refused it. By default issuing pauses for a backoff that doubles up to 100 ms; a
    /// protocol with several destinations overrides this to back off only the one that refused.
    func didRefuse(slot: Int32, now: UInt64) {
        if now > origin { scheduler.didRefuse(atOffset: now - origin) }
    }

    /// How long after the last send the drain may wait beyond the timeout before cancelling.
    var drainMarginNanos: UInt64 { 500_000_000 }

    // MARK: Running

    /// Starts ticking; event 0 is intended at `originNanos`.
    final func start(originNanos: UInt64) {
        origin = originNanos
        lastWakeTarget = originNanos
        if let warmup = warmupNanos { ledger.warmupEndNanos = originNanos &+ warmup }
        if let stepPlan { ledger.steps = StepRecorder(plan: stepPlan, origin: originNanos) }
        if let hlog {
            ledger.intervals = IntervalRecorder(log: hlog, thread: hlogLane, origin: originNanos)
        }
        timer?.arm(atNanos: originNanos)
    }

    /// Closes everything without running (another thread failed to start).
    final func abandon() {
        finish(now: Loop.nowNanos)
    }

    private func tick() {
        guard !closed else { return }
        let tickStart = Loop.nowNanos
        if tickStart < origin {
            timer?.arm(atNanos: origin)
            return
        }
        let level = stop.current
        if level != stopLevelSeen { didRequestStop(level: level, now: tickStart) }
        // What is due goes out first, before reading answers and expiring timeouts, so that the send keeps its
        // time; a slot that housekeeping frees is used by the second round below.
        issue(now: tickStart)
        housekeeping(now: tickStart)
        ledger.intervals?.advance(to: tickStart)
        scheduler.checkDuration(atOffset: tickStart - origin)
        let expired = scheduler.expireHeldBack(atOffset: tickStart - origin, timeout: timeoutNanos)
        if expired > 0 { result.counters.recordNotSent(heldBackReason, count: expired, atNanos: tickStart) }
        issue(now: Loop.nowNanos)
        let now = Loop.nowNanos
        if scheduler.doneIssuing && result.issuingEndNanos == 0 { didEndIssuing(now: now) }
        if scheduler.doneIssuing && drainDeadline == .max {
            // Transports time events out themselves; this only guards against one that never ends.
            drainDeadline = max(now, result.lastSentNanos) + timeoutNanos + drainMarginNanos
        }
        if now >= drainDeadline && scheduler.inFlight > 0 {
            cancelInFlight()
        }
        progress.publish(&result.counters)
        if scheduler.isFinished {
            finish(now: now)
            return
        }
        // Wake for the next intended event, but at most once per tick: events due in between go out together.
        var wake = now + LoadWorker.housekeepingNanos
        if let due = inPlace(&scheduler, { $0.nextDueOffset }) {
            var target = max(origin &+ due, lastWakeTarget &+ tickNanos)
            // Held back by the in-flight limit (a dead server's events waiting for a connection, say): the next
            // event waits for room, not for its time; look again at most once per millisecond instead of spinning.
            if scheduler.inFlight >= scheduler.plan.maxInFlight { target = max(target, now + LoadWorker.heldBackPollNanos) }
            wake = min(wake, target)
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
            scheduler.stop(atOffset: now > origin ? now - origin : 0)
            drainDeadline = min(drainDeadline, now + stopGraceNanos)
        }
        if level >= 2 {
            drainDeadline = now
        }
    }

    /// Issues every event the scheduler allows now, then flushes the round. Also called by subclasses when
    /// completions free room (closed loop refill); re-entry is ignored.
    @inline(__always)
    final func issue(now: UInt64) {
        // Nothing is issued before the start gate opened (origin set) or after the end.
        guard !issuing, !closed, origin != 0, now >= origin else { return }
        issuing = true
        defer { issuing = false }
        let offset = now &- origin
        var issued = 0
        while let event = scheduler.next(atOffset: offset) {
            guard let slot = ledger.issue(sequence: event.sequence, intendedNanos: origin &+ event.intendedOffsetNanos,
                                          now: now) else {
                preconditionFailure("the scheduler allowed more events than slots")
            }
            transmit(slot: slot, now: now)
            issued += 1
        }
        if issued > 0 { flushTransmissions(now: now) }
    }

    /// The event went on the wire at `atNanos` (counted as sent the first time only).
    @inline(__always)
    final func markSent(slot: Int32, atNanos: UInt64) {
        ledger.sent(slot, at: atNanos, into: &result)
    }

    /// The server did not process the sent event; it will go out again and still counts once.
    final func requeue(slot: Int32) {
        ledger.requeue(slot)
    }

    enum Completion {
        /// An answer with this code (DNS rcode, HTTP status).
        case answered(code: Int)
        case timedOut
        case cancelled
        case failed(ErrorKind)

        /// The answer's code, when answered.
        var code: Int? {
            if case .answered(let code) = self { return code }
            return nil
        }
    }

    /// Ends an event at `atNanos`: the ledger decides what it counts as (an event that never went out is not
    /// sent: timed out or failed waiting for a connection is `no_connection`, cancelled is `unsentReason`).
    @inline(__always)
    final func complete(slot: Int32, _ completion: Completion, atNanos: UInt64) {
        let outcome: EventLedger.Outcome
        switch completion {
        case .answered(let code): outcome = .answered(code: code)
        case .timedOut: outcome = .timedOut
        case .cancelled: outcome = .cancelled(unsent: unsentReason)
        case .failed(let kind): outcome = .failed(kind)
        }
        let sentNanos = slots.sentNanos[Int(slot)]
        if let eventLog, ledger.phase(of: slot) != .waiting {
            log(slot: slot, completion, doneNanos: max(atNanos, sentNanos), to: eventLog)
        }
        switch ledger.finish(slot, outcome, at: atNanos, into: &result) {
        case .completed(let code):
            countCode(code)
            scheduler.didSucceed()
        case .failed(.refused):
            didRefuse(slot: slot, now: atNanos)
        default:
            break
        }
        scheduler.didFinish()
    }

    private func log(slot: Int32, _ completion: Completion, doneNanos: UInt64, to log: EventLog) {
        let s = Int(slot)
        let sent = slots.sentNanos[s]
        log.reserve()
        log.record.begin()
        log.record.field("seq", slots.sequence[s])
        log.record.field("thread", result.threadIndex)
        log.record.field("pid", Int(log.sink.pid))
        log.record.field("tid", tid)
        log.record.field("netns", result.netnsInode)
        log.record.field("kind", eventKind)
        if let streamName { log.record.field("stream", streamName) }
        log.record.field("intended", slots.intendedNanos[s])
        log.record.field("sent", sent)
        log.record.field("done", doneNanos)
        log.record.field("sent_boottime_ns", UInt64(bitPattern: Int64(bitPattern: sent) &+ log.sink.boottimeOffset))
        log.record.field("sent_wall", wallNanos: UInt64(bitPattern: Int64(bitPattern: sent) &+ log.sink.realtimeOffset))
        switch completion {
        case .answered: log.record.field("outcome", "completed")
        case .timedOut: log.record.field("outcome", "timeout")
        case .cancelled: log.record.field("outcome", "cancelled")
        case .failed(let kind):
            log.record.field("outcome", "error")
            log.record.field("error", kind.name)
        }
        describeEvent(slot: slot, completion, into: &log.record)
        log.record.end()
    }

    /// Ends an unfinished event as the run ends: cancelled if it was sent, else not sent for `unsent`.
    final func cancel(slot: Int32, unsent reason: NotSentReason, atNanos now: UInt64) {
        if let eventLog, ledger.phase(of: slot) != .waiting {
            log(slot: slot, .cancelled, doneNanos: max(now, slots.sentNanos[Int(slot)]), to: eventLog)
        }
        ledger.finish(slot, .cancelled(unsent: reason), at: now, into: &result)
        scheduler.didFinish()
    }

    /// Frees the slot of an event that never went on the wire: it is not counted as sent, only as not sent for
    /// `reason`.
    final func discard(slot: Int32, reason: NotSentReason, atNanos now: UInt64 = Loop.nowNanos) {
        precondition(ledger.phase(of: slot) == .waiting, "discarding slot \(slot), which was sent")
        ledger.finish(slot, .cancelled(unsent: reason), at: now, into: &result)
        scheduler.didFinish()
    }

    /// Why events held back past their timeout by the in-flight limit were never sent: the pool overrides it
    /// (no connection, or connections all busy).
    var heldBackReason: NotSentReason { .heldBack }

    /// Why events that still wait for a connection when the run ends were never sent.
    final var unsentReason: NotSentReason { stopLevelSeen > 0 ? .stopped : .noConnection }

    /// Counts an answer code (an HTTP status, a DNS rcode): below `denseCodes` in a table merged into the
    /// result when the thread finishes, as a dictionary update per event costs more than parsing the event.
    final func countCode(_ code: Int) {
        if code >= 0 && code < LoadWorker.denseCodes {
            codeTable[code] += 1
        } else {
            result.counters.codes[code, default: 0] += 1
        }
    }

    /// Issuing is over (count or duration used up, or stopped): what the schedule intended but never issued is
    /// not sent — held back (or for want of a connection) at the end of the duration, or due when stopped.
    private func didEndIssuing(now: UInt64) {
        result.issuingEndNanos = now
        result.counters.recordNotSent(heldBackReason, count: scheduler.missed, atNanos: now)
        result.counters.recordNotSent(.stopped, count: scheduler.dueAtStop, atNanos: now)
    }

    private func finish(now: UInt64) {
        closed = true
        timer?.close()
        timer = nil
        closeTransport()
        result.endNanos = max(result.endNanos, now)
        eventLog?.flush()
        if result.issuingEndNanos == 0 { didEndIssuing(now: now) }
        for code in 0..<LoadWorker.denseCodes where codeTable[code] > 0 {
            result.counters.codes[code, default: 0] += codeTable[code]
        }
        finishResult()
        if let steps = ledger.steps, let pacer = scheduler.plan.pacer {
            let intended = steps.plan.intended(pacer: pacer, plan: scheduler.plan, threadIntended: result.counters.intended)
            result.steps = steps.finish(intended: intended)
        }
        ledger.intervals?.finish()
        ledger.intervals = nil
        progress.publish(&result.counters)
    }
}
