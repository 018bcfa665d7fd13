/// What the tcp and udp workers share: each event goes to the address `KindAddresses` picks by its sequence number
/// and its fate is counted per address too (`EventLedger`), each event in flight is marked in its slot by its
/// sequence number, its timeout waits in a `DeadlineQueue` (send order, O(1)), a finished event makes room at once
/// in closed loop, and in open loop nothing backs off after a refusal (the rate bounds the attempts). Loop thread
/// only.
class KindWorker: LoadWorker {
    final let addresses: KindAddresses
    /// Per address: its `ip:port` and its target as given, for the events log.
    final let addressNames: [String]
    final let targetNames: [String]
    final let deadlines = DeadlineQueue()
    /// Per slot: the sequence number in flight (+1; 0: none).
    final let slotLive: UnsafeMutablePointer<UInt64>
    final let capacity: Int
    final let closedLoop: Bool

    /// `addresses`: the run's targets as resolved on this thread (`resolveTargets`).
    init(loop: Loop, config: RunConfig, threadIndex: Int, netnsInode: UInt64,
         stop: StopSignal, progress: ProgressCell, addresses: KindAddresses) throws {
        capacity = max(1, config.plan(thread: threadIndex).maxInFlight)
        closedLoop = config.load.pacer == nil
        slotLive = .filled(with: 0, count: capacity)
        self.addresses = addresses
        let targets = KindWorker.targets(config)
        addressNames = addresses.endpoints.map(\.description)
        targetNames = addresses.targetOfAddress.map { targets[$0].description }
        try super.init(loop: loop, config: config, threadIndex: threadIndex, netnsInode: netnsInode,
                       stop: stop, progress: progress)
        ledger.countPerAddress()
        result.perAddress = addresses.parts(targets: targets)
        var seen = Set<String>()
        result.targetAddresses = addressNames.filter { seen.insert($0).inserted }
    }

    /// The run's tcp or udp targets.
    static func targets(_ config: RunConfig) -> [KindTarget] { config.tcp?.targets ?? config.udp!.targets }

    /// Every target resolved on this loop thread, inside its netns: call it before the worker is made.
    static func resolveTargets(_ config: RunConfig, threadIndex: Int) throws(RunFailure) -> KindAddresses {
        try KindAddresses(resolving: targets(config), netns: config.netns(ofThread: threadIndex)?.label)
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

    /// Picks the address of the event in `slot` (by its sequence number) and notes it in the ledger; call it
    /// before the event is sent.
    @inline(__always)
    final func assignAddress(slot: Int32) -> Int {
        let index = addresses.address(ofSequence: slots.sequence[Int(slot)])
        ledger.assign(slot, address: index)
        return index
    }

    /// The address index of the event in `slot` (`assignAddress`).
    @inline(__always)
    final func addressIndex(of slot: Int32) -> Int { Int(ledger.addressOfSlot![Int(slot)]) }

    /// The event record's `dst` (the address) and `target` (as given: the name, or the literal again).
    final func describeDestination(slot: Int32, into record: inout EventRecord) {
        let index = addressIndex(of: slot)
        record.field("dst", addressNames[index])
        record.field("target", targetNames[index])
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
