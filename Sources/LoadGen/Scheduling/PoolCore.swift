/// The decisions of the connection pool that HTTP/1.1 and HTTP/2 share (and every later stream kind): when a
/// lane connects, how it backs off after failures, when a connect has taken too long, which connection an event
/// goes to, and the events waiting for a connection with their `--timeout`. A lane is a place for one connection
/// (its number is the connection's index); lanes belong to a group (one endpoint). Pure: it is handed the time
/// and reports what is due; the worker does the I/O. Loop thread only.
struct PoolCore {
    enum Phase: UInt8 {
        /// No connection; connects when wanted.
        case down
        /// Connecting (for HTTP/2 until the server's SETTINGS arrived).
        case connecting
        /// Connected and usable up to `capacity` events at once.
        case up
        /// The last connect failed; waits until `retryAtNanos`.
        case backingOff
        /// Out of service for good (the run is over).
        case retired
    }

    struct Lane {
        var phase = Phase.down
        let group: Int
        var sinceNanos: UInt64 = 0
        var retryAtNanos: UInt64 = 0
        var backoffNanos: UInt64 = 0
        /// Events on the lane's connection, and how many it takes at once.
        var load = 0
        var capacity = 0
        /// Bumped by every connect: a callback of an older connection is recognised as stale.
        var generation: UInt32 = 0
        /// The lane is in its group's queue of lanes with room.
        var queued = false

        var hasRoom: Bool { phase == .up && load < capacity }
    }

    struct Settings {
        var connectTimeoutNanos: UInt64
        /// How long an event may wait for a connection before it is given up (`--timeout`).
        var waitTimeoutNanos: UInt64
        /// Keep every lane connected while the run issues (keep-alive); otherwise connect per waiting event.
        var persistent: Bool
        var minBackoffNanos: UInt64 = 1_000_000
        var maxBackoffNanos: UInt64 = 1_000_000_000
    }

    /// What the pool finds due in `housekeeping`.
    enum Due: Equatable {
        /// Open a connection on this lane (call `connecting` first).
        case connect(lane: Int)
        /// The lane's connect took longer than the connect timeout: close it and call `failedToConnect`.
        case connectTimedOut(lane: Int)
        /// The event waited `--timeout` for a connection: end it (not sent, or a timeout if it was sent before).
        case expired(slot: Int32)
    }

    let settings: Settings
    private(set) var lanes: [Lane]
    private var roomy: [WaitQueue]
    private var waiting: [TimedWaitQueue]
    /// Lanes per group that are down, connecting or backing off (for connect-per-event).
    private var connectingCount: [Int]

    init(groups: Int, lanes count: Int, settings: Settings, waitCapacity: Int) {
        precondition(groups > 0)
        self.settings = settings
        lanes = (0..<count).map { Lane(group: $0 % groups) }
        roomy = Array(repeating: WaitQueue(capacity: max(1, count)), count: groups)
        waiting = Array(repeating: TimedWaitQueue(capacity: waitCapacity), count: groups)
        connectingCount = Array(repeating: 0, count: groups)
    }

    var groupCount: Int { waiting.count }

    @inline(__always)
    func group(ofLane lane: Int) -> Int { lanes[lane].group }

    func waitingCount(group: Int) -> Int { waiting[group].count }

    /// True when some lane of the group is connected (an event waiting then waits for room, not a connection).
    func hasConnection(group: Int) -> Bool {
        lanes.contains { $0.group == group && $0.phase == .up }
    }

    // MARK: Connections

    /// A connect starts on `lane`; returns its generation.
    mutating func connecting(lane: Int, now: UInt64) -> UInt32 {
        precondition(lanes[lane].phase != .retired && lanes[lane].phase != .connecting, "lane \(lane) cannot connect now")
        lanes[lane].phase = .connecting
        lanes[lane].sinceNanos = now
        lanes[lane].load = 0
        lanes[lane].capacity = 0
        lanes[lane].generation &+= 1
        connectingCount[lanes[lane].group] += 1
        return lanes[lane].generation
    }

    /// The lane's connection is usable for `capacity` events at once.
    mutating func connected(lane: Int, capacity: Int) {
        guard lanes[lane].phase == .connecting else { return }
        connectingCount[lanes[lane].group] -= 1
        lanes[lane].phase = .up
        lanes[lane].backoffNanos = 0
        setCapacity(lane: lane, capacity)
    }

    /// The connection takes `capacity` events at once from now on (HTTP/2 SETTINGS).
    mutating func setCapacity(lane: Int, _ capacity: Int) {
        lanes[lane].capacity = max(0, capacity)
        enqueueIfRoomy(lane)
    }

    /// The connect failed (refused, timed out, handshake failed): back off, doubling up to the maximum.
    mutating func failedToConnect(lane: Int, now: UInt64) {
        guard lanes[lane].phase == .connecting else { return }
        connectingCount[lanes[lane].group] -= 1
        let backoff = min(max(lanes[lane].backoffNanos * 2, settings.minBackoffNanos), settings.maxBackoffNanos)
        lanes[lane].backoffNanos = backoff
        lanes[lane].retryAtNanos = now + backoff
        lanes[lane].phase = .backingOff
        lanes[lane].load = 0
    }

    /// The lane's connection ended (closed, reset, or handed over to drain after GOAWAY): the lane is free for a
    /// new connection.
    mutating func lost(lane: Int) {
        switch lanes[lane].phase {
        case .connecting: connectingCount[lanes[lane].group] -= 1
        case .retired: return
        default: break
        }
        lanes[lane].phase = .down
        lanes[lane].load = 0
        lanes[lane].capacity = 0
    }

    /// Takes every lane out of service (the run is over).
    mutating func retireAll() {
        for lane in lanes.indices {
            if lanes[lane].phase == .connecting { connectingCount[lanes[lane].group] -= 1 }
            lanes[lane].phase = .retired
        }
    }

    // MARK: Events on connections

    /// A lane of the group with room for one more event, taking it (round robin over the lanes with room).
    mutating func takeLane(group: Int) -> Int? {
        while let index = roomy[group].pop() {
            let lane = Int(index)
            lanes[lane].queued = false
            guard lanes[lane].hasRoom else { continue }
            lanes[lane].load += 1
            enqueueIfRoomy(lane)
            return lane
        }
        return nil
    }

    /// An event on the lane ended (or moved away): it has room again.
    mutating func release(lane: Int) {
        guard lanes[lane].load > 0 else { return }
        lanes[lane].load -= 1
        enqueueIfRoomy(lane)
    }

    private mutating func enqueueIfRoomy(_ lane: Int) {
        guard lanes[lane].hasRoom, !lanes[lane].queued else { return }
        lanes[lane].queued = true
        roomy[lanes[lane].group].push(Int32(lane))
    }

    // MARK: Waiting events

    /// The event waits for a connection of `group` since `sinceNanos` (its issue time).
    mutating func wait(slot: Int32, group: Int, since sinceNanos: UInt64) {
        waiting[group].push(slot, since: sinceNanos)
    }

    /// An event that must go before the others (a retry), waiting since `sinceNanos`.
    mutating func waitFirst(slot: Int32, group: Int, since sinceNanos: UInt64) {
        waiting[group].pushFront(slot, since: sinceNanos)
    }

    mutating func nextWaiting(group: Int) -> Int32? {
        waiting[group].pop()?.slot
    }

    /// Empties every queue of waiting events, handing each to `body`.
    mutating func drainWaiting(_ body: (Int32, Int) -> Void) {
        for group in waiting.indices {
            while let item = waiting[group].pop() { body(item.slot, group) }
        }
    }

    // MARK: Housekeeping

    /// What is due at `now`: waiting events whose `--timeout` passed (taken out of the queue), connects that took
    /// too long, and connects to start (lanes down or done backing off that are wanted; `issuing` says whether new
    /// events may still come). Runs every housekeeping tick, so the list it allocates does not matter.
    mutating func housekeeping(now: UInt64, issuing: Bool) -> [Due] {
        var due: [Due] = []
        for group in waiting.indices {
            while let since = waiting[group].headSince, now - min(now, since) >= settings.waitTimeoutNanos {
                due.append(.expired(slot: waiting[group].pop()!.slot))
            }
        }
        var connects = connectingCount
        for lane in lanes.indices {
            let group = lanes[lane].group
            switch lanes[lane].phase {
            case .connecting where now - min(now, lanes[lane].sinceNanos) >= settings.connectTimeoutNanos:
                due.append(.connectTimedOut(lane: lane))
            case .backingOff where now >= lanes[lane].retryAtNanos:
                lanes[lane].phase = .down
                fallthrough
            case .down:
                if wants(group: group, connecting: connects[group], issuing: issuing) {
                    connects[group] += 1
                    due.append(.connect(lane: lane))
                }
            default:
                break
            }
        }
        return due
    }

    /// A down lane of `group` to connect now, or nil: with keep-alive every lane while issuing; otherwise one per
    /// waiting event beyond the lanes already connecting for them. Call `connecting` on it before asking again.
    func laneToConnect(group: Int, issuing: Bool) -> Int? {
        guard wants(group: group, connecting: connectingCount[group], issuing: issuing) else { return nil }
        return lanes.indices.first { lanes[$0].group == group && lanes[$0].phase == .down }
    }

    /// Whether the lane, just gone down, should connect again now.
    func wantsReconnect(lane: Int, issuing: Bool) -> Bool {
        let group = lanes[lane].group
        return lanes[lane].phase == .down && wants(group: group, connecting: connectingCount[group], issuing: issuing)
    }

    /// Whether a down lane of `group` should connect: always while issuing with keep-alive; else while more
    /// events wait than lanes are connecting for them.
    private func wants(group: Int, connecting: Int, issuing: Bool) -> Bool {
        if settings.persistent && issuing { return true }
        return waiting[group].count > connecting
    }
}

/// A FIFO of waiting events with the time each started waiting; preallocated.
struct TimedWaitQueue {
    private var slots: [Int32]
    private var since: [UInt64]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) {
        slots = [Int32](repeating: -1, count: max(1, capacity))
        since = [UInt64](repeating: 0, count: max(1, capacity))
    }

    var headSince: UInt64? { count > 0 ? since[head] : nil }

    mutating func push(_ slot: Int32, since time: UInt64) {
        precondition(count < slots.count, "more waiting events than slots")
        let i = (head + count) % slots.count
        slots[i] = slot
        since[i] = time
        count += 1
    }

    mutating func pushFront(_ slot: Int32, since time: UInt64) {
        precondition(count < slots.count, "more waiting events than slots")
        head = (head + slots.count - 1) % slots.count
        slots[head] = slot
        since[head] = time
        count += 1
    }

    mutating func pop() -> (slot: Int32, since: UInt64)? {
        guard count > 0 else { return nil }
        let item = (slots[head], since[head])
        head = (head + 1) % slots.count
        count -= 1
        return item
    }
}
