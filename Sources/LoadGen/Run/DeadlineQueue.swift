/// The deadlines of events in flight, in the order they were sent. Every event gets the same timeout, so
/// deadlines only grow along the queue and the first one is always the next to expire: pushing and expiring are
/// O(1), with no search and no per-event allocation (the ring grows by doubling and then stays). An event that
/// ended early stays queued until its deadline comes; the owner tells a live entry from a stale one by its
/// sequence number. Loop thread only.
final class DeadlineQueue {
    struct Entry: Equatable {
        var slot: Int32
        var sequence: UInt64
        var deadlineNanos: UInt64
    }

    private var ring: UnsafeMutablePointer<Entry>
    private(set) var capacity: Int
    private var head = 0
    private(set) var count = 0

    init(capacity: Int = 1024) {
        self.capacity = max(1, capacity)
        ring = .allocate(capacity: self.capacity)
    }

    deinit { ring.deallocate() }

    var isEmpty: Bool { count == 0 }

    /// Queues an event's deadline; it must not be earlier than the last one queued.
    @inline(__always)
    func push(slot: Int32, sequence: UInt64, deadlineNanos: UInt64) {
        if count == capacity { grow() }
        var tail = head + count
        if tail >= capacity { tail -= capacity }
        (ring + tail).initialize(to: Entry(slot: slot, sequence: sequence, deadlineNanos: deadlineNanos))
        count += 1
    }

    /// The oldest entry, if its deadline is at or before `now`; it is removed.
    @inline(__always)
    func popExpired(now: UInt64) -> Entry? {
        guard count > 0, ring[head].deadlineNanos <= now else { return nil }
        let entry = ring[head]
        head += 1
        if head == capacity { head = 0 }
        count -= 1
        return entry
    }

    /// The deadline that expires next.
    var nextDeadlineNanos: UInt64? { count > 0 ? ring[head].deadlineNanos : nil }

    private func grow() {
        let bigger = UnsafeMutablePointer<Entry>.allocate(capacity: capacity * 2)
        for i in 0..<count {
            var from = head + i
            if from >= capacity { from -= capacity }
            (bigger + i).initialize(to: ring[from])
        }
        ring.deallocate()
        ring = bigger
        capacity *= 2
        head = 0
    }
}
