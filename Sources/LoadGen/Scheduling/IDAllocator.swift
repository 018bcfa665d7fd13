/// DNS query IDs for one channel: an ID is never handed out while it is in flight, and a released ID goes to the
/// back of a FIFO, so it is reused as late as possible (a late answer to a timed-out query cannot match a new
/// query unless 65,536 − in-flight other queries were sent since). No allocation after init.
final class IDAllocator {
    static let space = 65_536
    private let ring: UnsafeMutablePointer<UInt16>
    private var head = 0
    private(set) var available: Int

    /// `start` rotates where the sequence begins, so threads and runs do not all start at ID 0.
    init(start: UInt16 = 0) {
        ring = .allocate(capacity: IDAllocator.space)
        for i in 0..<IDAllocator.space {
            ring[i] = UInt16(truncatingIfNeeded: Int(start) &+ i)
        }
        available = IDAllocator.space
    }

    deinit { ring.deallocate() }

    var inFlight: Int { IDAllocator.space - available }

    @inline(__always)
    func allocate() -> UInt16? {
        guard available > 0 else { return nil }
        let id = ring[head]
        head = (head + 1) & (IDAllocator.space - 1)
        available -= 1
        return id
    }

    @inline(__always)
    func release(_ id: UInt16) {
        precondition(available < IDAllocator.space, "ID \(id) released twice")
        ring[(head + available) & (IDAllocator.space - 1)] = id
        available += 1
    }
}
