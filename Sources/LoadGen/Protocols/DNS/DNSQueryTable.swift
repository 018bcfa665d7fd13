/// The queries in flight on one loop thread's DNS-over-stream connections, by ID: an ID is taken from a
/// preallocated FIFO (`IDAllocator`, reused as late as possible) and maps to the event's slot until the query
/// ends; what became of each ID afterwards (`AnswerLedger`) classifies answers that match nothing. As
/// flamethrower's table of in-flight queries: reserved up front, no allocation per query. Loop thread only.
final class DNSQueryTable {
    private let ids: IDAllocator
    /// The slot of each ID in flight, or -1.
    private let slotOfID: UnsafeMutablePointer<Int32>
    let ledger = AnswerLedger()

    init(start: UInt16 = 0) {
        ids = IDAllocator(start: start)
        slotOfID = .allocate(capacity: IDAllocator.space)
        slotOfID.initialize(repeating: -1, count: IDAllocator.space)
    }

    deinit { slotOfID.deallocate() }

    var inFlight: Int { ids.inFlight }

    /// An ID for `slot`'s query, or nil when all 65,536 are in flight.
    @inline(__always)
    func begin(slot: Int32) -> UInt16? {
        guard let id = ids.allocate() else { return nil }
        slotOfID[Int(id)] = slot
        ledger.sent(id: id)
        return id
    }

    /// The slot whose query has `id` in flight, or nil.
    @inline(__always)
    func slot(of id: UInt16) -> Int32? {
        let slot = slotOfID[Int(id)]
        return slot >= 0 ? slot : nil
    }

    /// The query with `id` ended (answered, timed out, failed, cancelled): its ID goes back to the FIFO.
    @inline(__always)
    func end(id: UInt16, _ fate: AnswerLedger.Fate) {
        guard slotOfID[Int(id)] >= 0 else { return }
        slotOfID[Int(id)] = -1
        ledger.ended(id: id, fate)
        ids.release(id)
    }

    /// Counts an answer that completed no query (a wrong ID, a wrong question, a duplicate, a late one).
    func unmatched(id: UInt16) {
        ledger.unmatched(id: id, truncated: false, tcFallback: false)
    }
}
