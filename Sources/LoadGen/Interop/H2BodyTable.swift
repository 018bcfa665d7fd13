/// The request bodies being sent, per slot, for every session of one worker. Loop thread only.
final class H2BodyTable {
    let bodies: UnsafeMutablePointer<UnsafeRawBufferPointer>
    /// Body bytes already handed to nghttp2.
    let offsets: UnsafeMutablePointer<Int>

    init(slotCapacity: Int) {
        let capacity = max(1, slotCapacity)
        bodies = .allocate(capacity: capacity)
        bodies.initialize(repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: capacity)
        offsets = .allocate(capacity: capacity)
        offsets.initialize(repeating: 0, count: capacity)
    }

    deinit {
        bodies.deallocate()
        offsets.deallocate()
    }
}
