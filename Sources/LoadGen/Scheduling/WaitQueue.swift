/// A FIFO of indexes (events waiting for a connection, idle connections), preallocated: no allocation per use.
struct WaitQueue {
    private var ring: [Int32]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) { ring = [Int32](repeating: -1, count: max(1, capacity)) }

    mutating func push(_ slot: Int32) {
        precondition(count < ring.count, "more waiting events than slots")
        ring[(head + count) % ring.count] = slot
        count += 1
    }

    /// Puts a slot back at the front (an event retried before later ones).
    mutating func pushFront(_ slot: Int32) {
        precondition(count < ring.count, "more waiting events than slots")
        head = (head + ring.count - 1) % ring.count
        ring[head] = slot
        count += 1
    }

    mutating func pop() -> Int32? {
        guard count > 0 else { return nil }
        let slot = ring[head]
        head = (head + 1) % ring.count
        count -= 1
        return slot
    }
}
