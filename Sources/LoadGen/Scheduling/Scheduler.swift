/// Decides, on each tick and after each completion, whether the loop thread issues another event: drift-free
/// open-loop credit from the `Pacer`, or closed loop keeping `maxInFlight` busy; bounded by count, duration and
/// in-flight limit; paused by backoff after refusals. Pure: it is handed the time, it does no I/O.
struct Scheduler {
    struct Event: Equatable {
        /// Global sequence number.
        let sequence: UInt64
        /// Intended time as an offset from the run's origin.
        let intendedOffsetNanos: UInt64
    }

    let plan: LoadPlan
    private let localLimit: UInt64
    private(set) var issued: UInt64 = 0
    private(set) var inFlight = 0
    /// Set by `stop()` or once the count or duration is used up.
    private(set) var doneIssuing = false
    private var holdUntilOffset: UInt64 = 0
    /// Open loop: events that were due before the duration ended but were still held back (by the in-flight
    /// limit or a backoff) when it did. They are never issued: `--duration` bounds the run.
    private(set) var missed: UInt64 = 0
    /// Open loop: events that were due when the run was stopped but had not been issued yet.
    private(set) var dueAtStop: UInt64 = 0
    private var backoffNanos: UInt64 = 0

    static let minBackoffNanos: UInt64 = 1_000_000
    static let maxBackoffNanos: UInt64 = 100_000_000

    init(plan: LoadPlan) {
        self.plan = plan
        localLimit = plan.localLimit
        doneIssuing = localLimit == 0
    }

    /// True when nothing more will be issued and nothing is in flight.
    var isFinished: Bool { doneIssuing && inFlight == 0 }

    /// The next event to issue at `now` (an offset from the origin), or nil when none is due or allowed yet.
    @inline(__always)
    mutating func next(atOffset now: UInt64) -> Event? {
        guard !doneIssuing else { return nil }
        guard inFlight < plan.maxInFlight, now >= holdUntilOffset else {
            // Held back: once the duration is over, what is still held back is never issued.
            if let duration = plan.durationNanos, now >= duration { endDuration() }
            return nil
        }
        let intended: UInt64
        if let pacer = plan.pacer {
            intended = pacer.offsetNanos(ofEvent: plan.sequence(ofLocal: issued))
            guard intended <= now else { return nil }
        } else {
            if let duration = plan.durationNanos, now >= duration {
                endDuration()
                return nil
            }
            intended = now
        }
        let event = Event(sequence: plan.sequence(ofLocal: issued), intendedOffsetNanos: intended)
        issued += 1
        inFlight += 1
        if issued == localLimit { doneIssuing = true }
        return event
    }

    /// When the next event wants to go out, as an offset from the origin: its intended time in open loop (or the
    /// end of a backoff); nil in closed loop, where completions drive issuing, and when nothing is left.
    var nextDueOffset: UInt64? {
        guard !doneIssuing, let pacer = plan.pacer else { return nil }
        return max(pacer.offsetNanos(ofEvent: plan.sequence(ofLocal: issued)), holdUntilOffset)
    }

    /// Marks the end of issuing in closed loop once the duration passed, even when nothing completes. (In open
    /// loop the count derived from the duration ends it, or `next` when events are still held back.)
    mutating func checkDuration(atOffset now: UInt64) {
        if !doneIssuing, plan.pacer == nil, let duration = plan.durationNanos, now >= duration { endDuration() }
    }

    private mutating func endDuration() {
        doneIssuing = true
        if plan.pacer != nil, localLimit != .max, issued < localLimit { missed = localLimit - issued }
    }

    /// Open loop: gives up the events held back (by the in-flight limit or a backoff) whose intended time is
    /// `timeout` or more before `now`, as a sent event would have timed out by then; returns how many. This is
    /// what lets a `--count` run whose server died end by itself.
    mutating func expireHeldBack(atOffset now: UInt64, timeout: UInt64) -> UInt64 {
        guard !doneIssuing, let pacer = plan.pacer, inFlight >= plan.maxInFlight || now < holdUntilOffset,
              now >= timeout else { return 0 }
        let due = min(localLimit, LoadPlan.share(of: pacer.eventsDue(atOffset: now - timeout), thread: plan.threadIndex,
                                                 of: plan.threadCount))
        guard due > issued else { return 0 }
        let expired = due - issued
        issued = due
        if issued == localLimit { doneIssuing = true }
        return expired
    }

    /// An event ended (answered, timed out, failed or cancelled).
    @inline(__always)
    mutating func didFinish() {
        precondition(inFlight > 0, "more completions than events in flight")
        inFlight -= 1
    }

    /// The server refused: hold issuing for a backoff that doubles up to 100 ms, so a dead port is not a busy loop.
    mutating func didRefuse(atOffset now: UInt64) {
        backoffNanos = min(max(backoffNanos * 2, Scheduler.minBackoffNanos), Scheduler.maxBackoffNanos)
        holdUntilOffset = now + backoffNanos
    }

    /// An answer arrived: the server is healthy again.
    @inline(__always)
    mutating func didSucceed() {
        backoffNanos = 0
    }

    /// Stop issuing (Ctrl-C) at `now` (an offset from the origin); in open loop the events already due then and
    /// not issued are counted in `dueAtStop`.
    mutating func stop(atOffset now: UInt64) {
        guard !doneIssuing else { return }
        doneIssuing = true
        guard let pacer = plan.pacer else { return }
        let due = min(localLimit, LoadPlan.share(of: pacer.eventsDue(atOffset: now), thread: plan.threadIndex,
                                                 of: plan.threadCount))
        if due > issued { dueAtStop = due - issued }
    }
}
