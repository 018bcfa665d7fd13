/// What the tcp and udp workers share: each event in flight is marked in its slot by its sequence number, its
/// timeout waits in a `DeadlineQueue` (send order, O(1)), a finished event makes room at once in closed loop,
/// and in open loop nothing backs off after a refusal (the rate bounds the attempts). Loop thread only.
class KindWorker: LoadWorker {
    final let deadlines = DeadlineQueue()
    /// Per slot: the sequence number in flight (+1; 0: none).
    final let slotLive: UnsafeMutablePointer<UInt64>
    final let capacity: Int
    final let closedLoop: Bool

    override init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
                  stop: StopSignal, progress: ProgressCell) throws {
        capacity = max(1, config.plan(thread: threadIndex).maxInFlight)
        closedLoop = config.load.pacer == nil
        slotLive = .filled(with: 0, count: capacity)
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress)
    }

    deinit { slotLive.deallocate() }

    /// Ends an event in flight (timed out, cancelled) the protocol's way: `slotLive` is cleared already.
    func endInFlight(slot: Int32, _ completion: Completion, atNanos now: UInt64) { preconditionFailure("abstract") }

    /// The event in `slot` is on its way at `now`: it times out `--timeout` later unless it ends first.
    @inline(__always)
    final func track(slot: Int32, now: UInt64) {
        let sequence = slots.sequence[Int(slot)]
        slotLive[Int(slot)] = sequence &+ 1
        deadlines.push(slot: slot, sequence: sequence, deadlineNanos: now &+ timeoutNanos)
    }

    /// Marks the event in `slot` as no longer in flight.
    @inline(__always)
    final func untrack(slot: Int32) {
        slotLive[Int(slot)] = 0
    }

    override func housekeeping(now: UInt64) {
        while let entry = deadlines.popExpired(now: now) {
            guard slotLive[Int(entry.slot)] == entry.sequence &+ 1 else { continue }
            untrack(slot: entry.slot)
            endInFlight(slot: entry.slot, .timedOut, atNanos: now)
        }
    }

    override func cancelInFlight() {
        let now = Loop.nowNanos
        for s in 0..<capacity where slotLive[s] != 0 {
            untrack(slot: Int32(s))
            endInFlight(slot: Int32(s), .cancelled, atNanos: now)
        }
    }

    /// Closed loop: a finished event makes room for the next at once.
    final func refill() {
        if closedLoop { issue(now: Loop.nowNanos) }
    }

    /// Open loop: a refusal costs one attempt and the rate bounds them, so nothing backs off.
    override func didRefuse(slot: Int32, now: UInt64) {
        if closedLoop { super.didRefuse(slot: slot, now: now) }
    }
}
