import Testing
@testable import LoadGen

@Suite struct SlotTableTests {
    @Test func handsOutEverySlotOnceThenNil() {
        let table = SlotTable(capacity: 100)
        #expect(table.inUse == 0)
        var slots: [Int32] = []
        while let slot = table.acquire() { slots.append(slot) }
        #expect(slots == Array(0..<100), "low indexes first, each once")
        #expect(table.inUse == 100)
        #expect(table.acquire() == nil)
        table.release(42)
        #expect(table.inUse == 99)
        #expect(table.acquire() == 42)
        #expect(table.acquire() == nil)
    }

    @Test func fieldsStartAtZeroAndKeepWhatIsWritten() {
        let table = SlotTable(capacity: 8)
        #expect((0..<8).allSatisfy { table.intendedNanos[$0] == 0 && table.sentNanos[$0] == 0 && table.sequence[$0] == 0 })
        let a = Int(table.acquire()!)
        let b = Int(table.acquire()!)
        table.intendedNanos[a] = 10; table.sentNanos[a] = 11; table.sequence[a] = 7
        table.intendedNanos[b] = 20; table.sentNanos[b] = 21; table.sequence[b] = 8
        #expect(table.intendedNanos[a] == 10 && table.sentNanos[a] == 11 && table.sequence[a] == 7)
        #expect(table.intendedNanos[b] == 20 && table.sentNanos[b] == 21 && table.sequence[b] == 8)
    }

    @Test func capacityOfOne() {
        let table = SlotTable(capacity: 1)
        #expect(table.acquire() == 0)
        #expect(table.acquire() == nil)
        table.release(0)
        #expect(table.acquire() == 0)
    }

    @Test func randomizedNeverHandsOutASlotInUse() {
        let capacity = 1_000
        let table = SlotTable(capacity: capacity)
        var rng = SplitMix64(state: 7)
        var inUse = [Bool](repeating: false, count: capacity)
        var held: [Int32] = []
        var duplicates = 0
        var outOfRange = 0
        var wrongNil = 0
        for _ in 0..<300_000 {
            // Drift between nearly empty and full so both ends are exercised.
            if held.isEmpty || (held.count < capacity && rng.next() % 2 == 0) {
                guard let slot = table.acquire() else { wrongNil += 1; continue }
                if slot < 0 || Int(slot) >= capacity { outOfRange += 1; continue }
                if inUse[Int(slot)] { duplicates += 1 }
                inUse[Int(slot)] = true
                held.append(slot)
            } else {
                let i = Int(rng.next() % UInt64(held.count))
                held.swapAt(i, held.count - 1)
                let slot = held.removeLast()
                inUse[Int(slot)] = false
                table.release(slot)
            }
            if table.inUse != held.count { wrongNil += 1 }
        }
        #expect(duplicates == 0)
        #expect(outOfRange == 0)
        #expect(wrongNil == 0)
    }
}
