import Testing
@testable import LoadGen

@Suite struct DeadlineQueueTests {
    @Test func expiresInOrderOnlyWhenDue() {
        let q = DeadlineQueue(capacity: 4)
        q.push(slot: 0, sequence: 10, deadlineNanos: 100)
        q.push(slot: 1, sequence: 11, deadlineNanos: 100)
        q.push(slot: 2, sequence: 12, deadlineNanos: 250)
        #expect(q.popExpired(now: 99) == nil)
        #expect(q.nextDeadlineNanos == 100)
        #expect(q.popExpired(now: 100)?.sequence == 10)
        #expect(q.popExpired(now: 100)?.sequence == 11)
        #expect(q.popExpired(now: 200) == nil)
        #expect(q.popExpired(now: 300) == DeadlineQueue.Entry(slot: 2, sequence: 12, deadlineNanos: 250))
        #expect(q.isEmpty && q.nextDeadlineNanos == nil)
    }

    @Test func growsAcrossTheWrapKeepingTheOrder() {
        let q = DeadlineQueue(capacity: 4)
        var next: UInt64 = 0
        var expected: UInt64 = 0
        // Push and pop so that head wraps, then outgrow the ring several times.
        for round in 0..<5 {
            for _ in 0..<(3 + round * 7) {
                q.push(slot: Int32(next % 97), sequence: next, deadlineNanos: next)
                next += 1
            }
            for _ in 0..<2 {
                #expect(q.popExpired(now: .max)?.sequence == expected)
                expected += 1
            }
        }
        while let entry = q.popExpired(now: .max) {
            #expect(entry.sequence == expected && entry.slot == Int32(expected % 97))
            expected += 1
        }
        #expect(expected == next && q.capacity >= 16)
    }
}
