/// One fate per event (STYLE.md 11): the only place that turns what transports report into the counts of
/// DESIGN.md §4. Each slot of the `SlotTable` is in one phase:
///
///     free ──issue──▶ waiting ──sent──▶ inFlight ◀──sent── retrying
///                        │                 │  └──requeue──▶ ┘
///                        ▼                 ▼
///                   not sent (reason)   completed / timeout / error / cancelled
///
/// An event counts as sent once, on its first send; one the server did not process (HTTP/2 REFUSED_STREAM, above a
/// GOAWAY's last stream ID) goes back as `retrying` and ends as a sent event whatever happens next, so
/// `sent == completed + timeouts + errors + cancelled` and `intended == sent + notSent` hold by construction.
/// Pure: it is handed the time and does no I/O. Loop thread only.
final class EventLedger {
    enum Phase: UInt8 {
        case free = 0
        /// Issued, not on the wire yet (waiting for a connection or a stream).
        case waiting
        /// On the wire.
        case inFlight
        /// Was on the wire; the server did not process it; waiting to go out again.
        case retrying
    }

    /// How a transport says an event ended.
    enum Outcome: Equatable {
        /// An answer with this code (DNS rcode, HTTP status).
        case answered(code: Int)
        /// Its `--timeout` passed: a timeout if it was sent, else not sent for want of a connection.
        case timedOut
        /// A transport failure: an error if it was sent, else not sent for want of a connection.
        case failed(ErrorKind)
        /// The run ended with the event unfinished: cancelled if it was sent, else not sent for `unsent`.
        case cancelled(unsent: NotSentReason)
    }

    /// What the event became.
    enum Fate: Equatable {
        case completed(code: Int)
        case timedOut
        case failed(ErrorKind)
        case cancelled
        case notSent(NotSentReason)

        var wasSent: Bool {
            if case .notSent = self { return false }
            return true
        }
    }

    let slots: SlotTable
    /// The thread's side of the interval log (`--hlog`); nil without one.
    var intervals: IntervalRecorder?
    /// Events intended before this (monotonic ns) are the warmup's (`--warmup`); 0: no warmup.
    var warmupEndNanos: UInt64 = 0
    /// The step windows of a shaped run (`--steps`, `--ramp`); nil without a shape.
    var steps: StepRecorder?
    private let phases: UnsafeMutablePointer<Phase>
    /// When each slot's event was issued (its wait for a connection starts then).
    let issuedNanos: UnsafeMutablePointer<UInt64>
    /// When each slot's event first went on the wire. A retried event's `--timeout` runs from here, so that
    /// retries (GOAWAY, REFUSED_STREAM) never stretch a run past its schedule + timeout; its service time still
    /// runs from the send that was answered (`slots.sentNanos`).
    let firstSentNanos: UnsafeMutablePointer<UInt64>
    /// tcp and udp: each slot's index into `ThreadResult.perAddress` (its event's target address), where its fate
    /// is counted too once sent; nil for the other kinds.
    private(set) var addressOfSlot: UnsafeMutablePointer<Int32>?

    init(capacity: Int) {
        slots = SlotTable(capacity: capacity)
        phases = .allocate(capacity: capacity)
        phases.initialize(repeating: .free, count: capacity)
        issuedNanos = .allocate(capacity: capacity)
        issuedNanos.initialize(repeating: 0, count: capacity)
        firstSentNanos = .allocate(capacity: capacity)
        firstSentNanos.initialize(repeating: 0, count: capacity)
    }

    deinit {
        phases.deallocate()
        issuedNanos.deallocate()
        firstSentNanos.deallocate()
        addressOfSlot?.deallocate()
    }

    /// Counts every sent event's fate per address too (tcp and udp); `assign` names each event's address.
    func countPerAddress() {
        if addressOfSlot == nil { addressOfSlot = .filled(with: 0, count: slots.capacity) }
    }

    /// The event in `slot` goes to address `index` of `ThreadResult.perAddress` (before it is sent).
    @inline(__always)
    func assign(_ slot: Int32, address index: Int) {
        addressOfSlot![Int(slot)] = Int32(truncatingIfNeeded: index)
    }

    @inline(__always)
    func phase(of slot: Int32) -> Phase { phases[Int(slot)] }

    /// Takes a free slot for an event intended at `intendedNanos`, issued at `now`; nil when all are in use.
    @inline(__always)
    func issue(sequence: UInt64, intendedNanos: UInt64, now: UInt64) -> Int32? {
        guard let slot = slots.acquire() else { return nil }
        let s = Int(slot)
        phases[s] = .waiting
        slots.sequence[s] = sequence
        slots.intendedNanos[s] = intendedNanos
        slots.sentNanos[s] = now
        issuedNanos[s] = now
        return slot
    }

    /// The event went on the wire at `now`. Counted as sent the first time only.
    @inline(__always)
    func sent(_ slot: Int32, at now: UInt64, into result: inout ThreadResult) {
        let s = Int(slot)
        switch phases[s] {
        case .waiting:
            result.counters.sent &+= 1
            firstSentNanos[s] = now
            if result.firstSentNanos == 0 { result.firstSentNanos = now }
            if now > result.lastSentNanos { result.lastSentNanos = now }
        case .retrying:
            break
        case .free, .inFlight:
            preconditionFailure("slot \(slot) sent while \(phases[s])")
        }
        phases[s] = .inFlight
        slots.sentNanos[s] = now
    }

    /// The server did not process the sent event; it will go out again (and still count once).
    func requeue(_ slot: Int32) {
        precondition(phases[Int(slot)] == .inFlight, "slot \(slot) requeued while \(phases[Int(slot)])")
        phases[Int(slot)] = .retrying
    }

    /// Decides the event's fate, counts it, records its latencies when answered, and frees its slot.
    @discardableResult
    func finish(_ slot: Int32, _ outcome: Outcome, at atNanos: UInt64, into result: inout ThreadResult) -> Fate {
        let s = Int(slot)
        let phase = phases[s]
        precondition(phase != .free, "slot \(slot) finished while free")
        // A kernel timestamp mapped onto the monotonic clock may land a hair before the send stamp.
        let now = max(atNanos, slots.sentNanos[s])
        let fate = EventLedger.fate(of: outcome, sent: phase != .waiting)
        // A warmup event (`--warmup`) counts in the totals as any other; its latencies go apart.
        let warm = slots.intendedNanos[s] < warmupEndNanos
        if warm && result.warmup == nil { result.warmup = EventPart() }
        var (response, service): (UInt64, UInt64) = (0, 0)
        switch fate {
        case .completed(let code):
            // The code itself is counted by the caller (protocols keep dense arrays on the hot path).
            _ = code
            result.counters.completed &+= 1
            response = now - min(now, slots.intendedNanos[s])
            service = now - slots.sentNanos[s]
            if warm {
                result.warmup!.responseTime.record(response)
                result.warmup!.serviceTime.record(service)
            } else {
                result.responseTime.record(response)
                result.serviceTime.record(service)
            }
            if let intervals { intervals.record(response: response, service: service, at: now) }
        case .timedOut:
            result.counters.recordTimeout(atNanos: now)
        case .failed(let kind):
            result.counters.recordError(kind, atNanos: now)
        case .cancelled:
            result.counters.cancelled &+= 1
        case .notSent(let reason):
            result.counters.recordNotSent(reason, atNanos: now)
        }
        if fate.wasSent {
            if now > result.endNanos { result.endNanos = now }
            if let addressOfSlot {
                let a = Int(addressOfSlot[s])
                EventLedger.count(fate, into: &result.perAddress[a])
                if case .completed = fate, !warm { result.perAddress[a].responseTime?.record(response) }
            }
            steps?.record(intendedNanos: slots.intendedNanos[s], fate, response: response, service: service)
            if warm {
                EventLedger.count(fate, into: &result.warmup!)
            } else {
                let first = firstSentNanos[s]
                result.scheduleLag.record(first - min(first, slots.intendedNanos[s]))
            }
        }
        phases[s] = .free
        slots.release(slot)
        return fate
    }

    /// A sent event's fate in the counts of a part apart (the warmup's, a step's, an address's; latencies are
    /// recorded by the caller).
    static func count(_ fate: Fate, into w: inout some FateCounting) {
        w.sent &+= 1
        switch fate {
        case .completed: w.completed &+= 1
        case .timedOut: w.timeouts &+= 1
        case .failed: w.errors &+= 1
        case .cancelled: w.cancelled &+= 1
        case .notSent: preconditionFailure("a warmup event counted as sent was not sent")
        }
    }

    /// The pure mapping from what happened to what it counts as.
    static func fate(of outcome: Outcome, sent: Bool) -> Fate {
        switch (outcome, sent) {
        case (.answered(let code), true): return .completed(code: code)
        case (.answered, false): preconditionFailure("an answer to an event that was never sent")
        case (.timedOut, true): return .timedOut
        case (.failed(let kind), true): return .failed(kind)
        case (.cancelled, true): return .cancelled
        case (.timedOut, false), (.failed, false): return .notSent(.noConnection)
        case (.cancelled(let reason), false): return .notSent(reason)
        }
    }
}
