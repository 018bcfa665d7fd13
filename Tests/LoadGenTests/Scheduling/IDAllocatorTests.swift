import Testing
@testable import LoadGen

@Suite struct IDAllocatorTests {
    @Test func handsOutAllIDsOnceInOrderThenNil() {
        let ids = IDAllocator()
        #expect(ids.available == 65_536)
        #expect(ids.inFlight == 0)
        var seen = [Bool](repeating: false, count: 65_536)
        var inOrder = true
        for expected in 0..<65_536 {
            guard let id = ids.allocate() else { Issue.record("ran out at \(expected)"); return }
            if Int(id) != expected { inOrder = false }
            seen[Int(id)] = true
        }
        #expect(inOrder)
        #expect(seen.allSatisfy { $0 })
        #expect(ids.allocate() == nil)
        #expect(ids.inFlight == 65_536)
        #expect(ids.available == 0)
        ids.release(1234)
        #expect(ids.allocate() == 1234)
    }

    @Test func startRotatesTheSequenceAndWraps() {
        let ids = IDAllocator(start: 65_534)
        #expect([ids.allocate(), ids.allocate(), ids.allocate(), ids.allocate()] == [65_534, 65_535, 0, 1])
        let mid = IDAllocator(start: 1_000)
        #expect(mid.allocate() == 1_000)
    }

    @Test func releasedIDIsReusedOnlyAfterEveryOtherFreeID() {
        let ids = IDAllocator()
        for _ in 0..<100 { _ = ids.allocate() } // 0..<100 in flight
        ids.release(0)
        // 65,536 − 100 other IDs come first.
        var order: [UInt16] = []
        for _ in 0..<(65_536 - 100) { order.append(ids.allocate()!) }
        #expect(order == (100..<65_536).map { UInt16($0) })
        #expect(ids.allocate() == 0)
        #expect(ids.allocate() == nil)
    }

    @Test func releasesQueueInReleaseOrder() {
        let ids = IDAllocator()
        for _ in 0..<65_536 { _ = ids.allocate() }
        for id: UInt16 in [9, 3, 60_000, 7] { ids.release(id) }
        #expect([ids.allocate(), ids.allocate(), ids.allocate(), ids.allocate(), ids.allocate()] == [9, 3, 60_000, 7, nil])
    }

    @Test func randomizedMillionOperationsNeverReuseAnIDInFlight() {
        let ids = IDAllocator(start: 40_000)
        var rng = SplitMix64(state: 0xD15)
        var inFlight = [Bool](repeating: false, count: 65_536)
        var held: [UInt16] = []
        held.reserveCapacity(65_536)
        // For FIFO: when an ID is released, how many allocations had happened and how many IDs were free.
        var allocationsAtRelease = [Int](repeating: -1, count: 65_536)
        var freeAtRelease = [Int](repeating: 0, count: 65_536)
        var allocations = 0
        var reusedInFlight = 0
        var reusedTooEarly = 0
        var unexpectedNil = 0
        // Target levels of in-flight IDs that move over the run, including the full table.
        let targets = [10, 65_536, 1_000, 60_000, 0, 30_000]
        for op in 0..<1_000_000 {
            let target = targets[(op / 50_000) % targets.count]
            let wantAllocate = held.count < target ? rng.next() % 4 != 0 : rng.next() % 4 == 0
            if wantAllocate {
                guard let id = ids.allocate() else {
                    if held.count < 65_536 { unexpectedNil += 1 }
                    continue
                }
                allocations += 1
                if inFlight[Int(id)] { reusedInFlight += 1 }
                if allocationsAtRelease[Int(id)] >= 0 {
                    // FIFO: exactly the IDs free at release time went out before this one.
                    if allocations - allocationsAtRelease[Int(id)] != freeAtRelease[Int(id)] + 1 { reusedTooEarly += 1 }
                }
                inFlight[Int(id)] = true
                held.append(id)
            } else if !held.isEmpty {
                let i = Int(rng.next() % UInt64(held.count))
                held.swapAt(i, held.count - 1)
                let id = held.removeLast()
                inFlight[Int(id)] = false
                freeAtRelease[Int(id)] = ids.available
                allocationsAtRelease[Int(id)] = allocations
                ids.release(id)
            }
        }
        #expect(reusedInFlight == 0)
        #expect(reusedTooEarly == 0)
        #expect(unexpectedNil == 0)
        #expect(ids.inFlight == held.count)
        #expect(allocations > 400_000)
    }
}
