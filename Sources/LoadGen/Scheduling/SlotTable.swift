/// The events in flight on one loop thread, preallocated to the concurrency limit: a slot per event, found again
/// by its index (which travels through C as pointer bits or a `void *` argument), and a free list. No allocation
/// per event. Loop thread only.
final class SlotTable {
    let capacity: Int
    let intendedNanos: UnsafeMutablePointer<UInt64>
    let sentNanos: UnsafeMutablePointer<UInt64>
    let sequence: UnsafeMutablePointer<UInt64>
    private let freeList: UnsafeMutablePointer<Int32>
    private var freeCount: Int

    init(capacity: Int) {
        precondition(capacity > 0 && capacity <= Int(Int32.max))
        self.capacity = capacity
        intendedNanos = .allocate(capacity: capacity)
        sentNanos = .allocate(capacity: capacity)
        sequence = .allocate(capacity: capacity)
        freeList = .allocate(capacity: capacity)
        intendedNanos.initialize(repeating: 0, count: capacity)
        sentNanos.initialize(repeating: 0, count: capacity)
        sequence.initialize(repeating: 0, count: capacity)
        // Hand out low indexes first.
        for i in 0..<capacity { freeList[i] = Int32(capacity - 1 - i) }
        freeCount = capacity
    }

    deinit {
        intendedNanos.deallocate()
        sentNanos.deallocate()
        sequence.deallocate()
        freeList.deallocate()
    }

    var inUse: Int { capacity - freeCount }

    /// A free slot, or nil when all are in flight.
    @inline(__always)
    func acquire() -> Int32? {
        guard freeCount > 0 else { return nil }
        freeCount -= 1
        return freeList[freeCount]
    }

    @inline(__always)
    func release(_ slot: Int32) {
        precondition(freeCount < capacity, "slot \(slot) released twice")
        freeList[freeCount] = slot
        freeCount += 1
    }
}
