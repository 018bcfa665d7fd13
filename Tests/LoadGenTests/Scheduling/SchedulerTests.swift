import Testing
@testable import LoadGen

@Suite struct SchedulerTests {
    static let ms: UInt64 = 1_000_000

    private func scheduler(pacer: Pacer? = nil, total: UInt64? = nil, duration: UInt64? = nil,
                           thread: UInt64 = 0, of count: UInt64 = 1, maxInFlight: Int = 1_000_000) -> Scheduler {
        Scheduler(plan: LoadPlan(pacer: pacer, totalEvents: total, durationNanos: duration, threadIndex: thread,
                                 threadCount: count, maxInFlight: maxInFlight))
    }

    /// Everything `next` hands out at `now`.
    private func drain(_ s: inout Scheduler, at now: UInt64) -> [Scheduler.Event] {
        var events: [Scheduler.Event] = []
        while let e = s.next(atOffset: now) { events.append(e) }
        return events
    }

    private let perMs = Pacer(eventsPerSecondNumerator: 1_000, denominator: 1)

    // MARK: Open loop

    @Test func openLoopIssuesOnlyDueEvents() {
        var s = scheduler(pacer: perMs, total: 100)
        #expect(drain(&s, at: 0) == [.init(sequence: 0, intendedOffsetNanos: 0)])
        #expect(drain(&s, at: Self.ms - 1).isEmpty, "event 1 is not due before 1 ms")
        #expect(drain(&s, at: Self.ms) == [.init(sequence: 1, intendedOffsetNanos: Self.ms)])
        let batch = drain(&s, at: 10 * Self.ms + 500)
        #expect(batch.map(\.sequence) == Array(2...10))
        #expect(batch.allSatisfy { $0.intendedOffsetNanos == $0.sequence * Self.ms })
        #expect(s.issued == 11)
        #expect(s.inFlight == 11)
    }

    @Test func openLoopIssuesExactlyTheCount() {
        var s = scheduler(pacer: perMs, total: 100)
        var all: [Scheduler.Event] = []
        for tick in UInt64(0)...300 {
            let batch = drain(&s, at: tick * Self.ms)
            for _ in batch { s.didFinish() }
            all += batch
        }
        #expect(all.count == 100)
        #expect(all.map(\.sequence) == Array(0..<100))
        #expect(all.allSatisfy { $0.intendedOffsetNanos == perMs.offsetNanos(ofEvent: $0.sequence) })
        #expect(s.isFinished)
        #expect(s.next(atOffset: 10_000 * Self.ms) == nil)
    }

    @Test func openLoopWithDurationStopsAtTheLastEventBeforeIt() {
        var s = scheduler(pacer: perMs, duration: 1_000 * Self.ms)
        var count = 0
        var lastIntended: UInt64 = 0
        for tick in UInt64(0)...2_000 {
            for e in drain(&s, at: tick * Self.ms) {
                count += 1
                lastIntended = e.intendedOffsetNanos
                s.didFinish()
            }
        }
        #expect(count == 1_000)
        #expect(lastIntended == 999 * Self.ms)
        #expect(s.isFinished)
    }

    @Test func openLoopHoldsBackAtMaxInFlightAndSendsLateInsteadOfDropping() {
        var s = scheduler(pacer: perMs, total: 20, maxInFlight: 5)
        // 100 ms late: 20 events due, only 5 may be in flight.
        let first = drain(&s, at: 100 * Self.ms)
        #expect(first.map(\.sequence) == [0, 1, 2, 3, 4])
        #expect(s.inFlight == 5)
        #expect(s.next(atOffset: 100 * Self.ms) == nil)
        s.didFinish()
        s.didFinish()
        let second = drain(&s, at: 101 * Self.ms)
        // The held-back events go out now, keeping their original intended times (late, not dropped).
        #expect(second == [.init(sequence: 5, intendedOffsetNanos: 5 * Self.ms),
                           .init(sequence: 6, intendedOffsetNanos: 6 * Self.ms)])
        var sequences = (first + second).map(\.sequence)
        var now = 101 * Self.ms
        while !s.isFinished {
            now += Self.ms
            for _ in 0..<s.inFlight { s.didFinish() }
            sequences += drain(&s, at: now).map(\.sequence)
            #expect(s.inFlight <= 5)
            if now > 1_000 * Self.ms { break }
        }
        #expect(sequences == Array(0..<20))
        #expect(s.isFinished)
    }

    @Test func threadsOfOneRunShareOneScheduleAndCoverEveryEvent() {
        let threads: UInt64 = 3
        var schedulers = (0..<threads).map { scheduler(pacer: perMs, total: 1_000, thread: $0, of: threads) }
        var seen = [Int](repeating: 0, count: 1_000)
        var wrongTime = 0
        var early = 0
        for tick in UInt64(0)...1_100 {
            let now = tick * Self.ms
            for k in schedulers.indices {
                for e in drain(&schedulers[k], at: now) {
                    seen[Int(e.sequence)] += 1
                    if e.sequence % threads != UInt64(k) { wrongTime += 1 }
                    if e.intendedOffsetNanos != e.sequence * Self.ms { wrongTime += 1 }
                    if e.intendedOffsetNanos > now { early += 1 }
                    schedulers[k].didFinish()
                }
            }
        }
        #expect(seen.allSatisfy { $0 == 1 })
        #expect(wrongTime == 0)
        #expect(early == 0)
        #expect(schedulers.allSatisfy { $0.isFinished })
    }

    @Test func secondThreadStartsAtItsOwnFirstEvent() {
        var s = scheduler(pacer: perMs, total: 10, thread: 1, of: 2)
        #expect(s.next(atOffset: 0) == nil)
        #expect(s.nextDueOffset == Self.ms)
        #expect(drain(&s, at: 5 * Self.ms).map(\.sequence) == [1, 3, 5])
        #expect(s.nextDueOffset == 7 * Self.ms)
    }

    @Test func openLoopAtFiftyThousandIssuesFiftyPerTick() {
        var s = scheduler(pacer: Pacer(eventsPerSecondNumerator: 50_000, denominator: 1), duration: 10_000 * Self.ms)
        #expect(drain(&s, at: 0).count == 1)
        var sizes: [Int: Int] = [:]
        for tick in UInt64(1)...9_999 {
            let batch = drain(&s, at: tick * Self.ms)
            sizes[batch.count, default: 0] += 1
            for _ in batch { s.didFinish() }
        }
        #expect(sizes == [50: 9_999])
        // The last tick carries the 49 events left before the 10 s end (event 500,000 is at exactly 10 s).
        #expect(drain(&s, at: 10_000 * Self.ms).count == 49)
        #expect(s.issued == 500_000)
    }

    // MARK: Closed loop

    @Test func closedLoopKeepsMaxInFlightBusy() {
        var s = scheduler(duration: 1_000 * Self.ms, maxInFlight: 10)
        let first = drain(&s, at: 0)
        #expect(first.count == 10)
        #expect(first.map(\.sequence) == Array(0..<10))
        #expect(first.allSatisfy { $0.intendedOffsetNanos == 0 })
        s.didFinish()
        let refill = drain(&s, at: 7 * Self.ms)
        #expect(refill == [.init(sequence: 10, intendedOffsetNanos: 7 * Self.ms)], "intended = now in closed loop")
        #expect(s.inFlight == 10)
        #expect(s.nextDueOffset == nil, "completions drive a closed loop")
    }

    @Test func closedLoopStopsAtTheDuration() {
        var s = scheduler(duration: 1_000 * Self.ms, maxInFlight: 4)
        _ = drain(&s, at: 0)
        for _ in 0..<4 { s.didFinish() }
        #expect(drain(&s, at: 1_000 * Self.ms - 1).count == 4)
        for _ in 0..<4 { s.didFinish() }
        #expect(s.next(atOffset: 1_000 * Self.ms) == nil)
        #expect(s.isFinished)
        #expect(s.issued == 8)
        #expect(s.next(atOffset: 0) == nil, "once done, stays done")
    }

    @Test func checkDurationEndsAClosedLoopWithNothingCompleting() {
        var s = scheduler(duration: 1_000 * Self.ms, maxInFlight: 2)
        _ = drain(&s, at: 0)
        s.checkDuration(atOffset: 999 * Self.ms)
        #expect(!s.doneIssuing)
        s.checkDuration(atOffset: 1_000 * Self.ms)
        #expect(s.doneIssuing)
        #expect(!s.isFinished, "two still in flight")
        s.didFinish()
        s.didFinish()
        #expect(s.isFinished)
        #expect(s.next(atOffset: 0) == nil)
    }

    @Test func checkDurationLeavesOpenLoopToItsLimit() {
        var s = scheduler(pacer: perMs, duration: 10 * Self.ms)
        s.checkDuration(atOffset: 20 * Self.ms)
        #expect(!s.doneIssuing)
        #expect(drain(&s, at: 20 * Self.ms).count == 10)
        #expect(s.doneIssuing)
    }

    @Test func closedLoopIssuesExactlyTheCount() {
        var s = scheduler(total: 50, maxInFlight: 10)
        var sequences: [UInt64] = []
        var now: UInt64 = 0
        while !s.isFinished && now < 1_000 {
            let batch = drain(&s, at: now)
            sequences += batch.map(\.sequence)
            #expect(s.inFlight <= 10)
            if s.inFlight > 0 { s.didFinish() } // one completion at a time
            now += 1
        }
        #expect(sequences == Array(0..<50))
        #expect(s.isFinished)
    }

    // MARK: Stop and finish

    @Test func stopEndsIssuingAndFinishesWhenInFlightDrains() {
        var s = scheduler(pacer: perMs, total: 100)
        _ = drain(&s, at: 2 * Self.ms)
        #expect(!s.isFinished)
        s.stop(atOffset: 2 * Self.ms)
        #expect(s.dueAtStop == 0, "everything due by 2 ms was issued")
        #expect(s.next(atOffset: 50 * Self.ms) == nil)
        #expect(s.nextDueOffset == nil)
        #expect(!s.isFinished)
        for _ in 0..<3 { s.didFinish() }
        #expect(s.isFinished)
        #expect(s.issued == 3)
    }

    @Test func heldBackEventsExpireOneTimeoutAfterTheirIntendedTime() {
        // One in flight at 1/ms; the server died: the slot never frees. A 100-event count must still end.
        var s = scheduler(pacer: perMs, total: 100, maxInFlight: 1)
        #expect(s.next(atOffset: 0) != nil)
        #expect(s.next(atOffset: 5 * Self.ms) == nil, "held back by the in-flight limit")
        #expect(s.expireHeldBack(atOffset: 5 * Self.ms, timeout: 10 * Self.ms) == 0, "nothing is 10 ms late yet")
        // At 30 ms, events intended up to 20 ms (1...20) are a timeout late: given up.
        #expect(s.expireHeldBack(atOffset: 30 * Self.ms, timeout: 10 * Self.ms) == 20)
        #expect(s.issued == 21)
        s.didFinish()
        #expect(s.next(atOffset: 30 * Self.ms)?.sequence == 21, "the next one goes out when a slot frees")
        #expect(s.expireHeldBack(atOffset: 10_000 * Self.ms, timeout: 10 * Self.ms) == 78)
        #expect(s.doneIssuing, "the count is used up: the run can end")
    }

    @Test func eventsAreNotExpiredWhileThereIsRoom() {
        var s = scheduler(pacer: perMs, total: 100, maxInFlight: 10)
        #expect(s.expireHeldBack(atOffset: 50 * Self.ms, timeout: 10 * Self.ms) == 0,
                "a late loop is not a reason to give events up: they go out late")
    }

    @Test func stopCountsWhatWasDueButNotIssued() {
        var s = scheduler(pacer: perMs, total: 100)
        _ = drain(&s, at: 2 * Self.ms)
        // Events 3..9 fell due by 9 ms without being issued (say the loop was busy); the stop comes then.
        s.stop(atOffset: 9 * Self.ms)
        #expect(s.dueAtStop == 7)
        #expect(s.next(atOffset: 9 * Self.ms) == nil)
        s.stop(atOffset: 20 * Self.ms)
        #expect(s.dueAtStop == 7, "a second stop changes nothing")
    }

    @Test func emptyPlanIsFinishedFromTheStart() {
        let s = scheduler(pacer: perMs, duration: 0)
        #expect(s.isFinished)
        #expect(s.nextDueOffset == nil)
        let fresh = scheduler(pacer: perMs, total: 1)
        #expect(!fresh.isFinished)
    }

    // MARK: Backoff

    @Test func backoffDoublesFromOneMillisecondUpToOneHundred() {
        // Open loop at 1M/s: the next event is always already due, so nextDueOffset shows the hold.
        var s = scheduler(pacer: Pacer(eventsPerSecondNumerator: 1_000_000, denominator: 1))
        var now: UInt64 = 5 * Self.ms
        var holds: [UInt64] = []
        for _ in 0..<10 {
            s.didRefuse(atOffset: now)
            let due = s.nextDueOffset!
            holds.append(due - now)
            #expect(s.next(atOffset: due - 1) == nil, "held until the backoff ends")
            #expect(s.next(atOffset: due) != nil)
            s.didFinish()
            now = due
        }
        #expect(holds == [1, 2, 4, 8, 16, 32, 64, 100, 100, 100].map { $0 * Self.ms })
    }

    @Test func didSucceedResetsTheBackoff() {
        var s = scheduler(maxInFlight: 100)
        s.didRefuse(atOffset: 0)
        s.didRefuse(atOffset: 0)
        s.didRefuse(atOffset: 0) // 4 ms
        #expect(s.next(atOffset: 4 * Self.ms - 1) == nil)
        #expect(s.next(atOffset: 4 * Self.ms) != nil)
        s.didSucceed()
        s.didRefuse(atOffset: 10 * Self.ms)
        #expect(s.next(atOffset: 11 * Self.ms - 1) == nil)
        #expect(s.next(atOffset: 11 * Self.ms) != nil, "back to 1 ms after a success")
    }

    @Test func backoffHoldsAClosedLoopToo() {
        var s = scheduler(maxInFlight: 10)
        s.didRefuse(atOffset: 0)
        #expect(drain(&s, at: Self.ms - 1).isEmpty)
        #expect(drain(&s, at: Self.ms).count == 10)
    }

    // MARK: nextDueOffset

    @Test func nextDueOffsetFollowsTheSchedule() {
        var s = scheduler(pacer: perMs, total: 5)
        #expect(s.nextDueOffset == 0)
        _ = drain(&s, at: 2 * Self.ms)
        #expect(s.nextDueOffset == 3 * Self.ms)
        // A backoff beyond the next intended time moves it.
        s.didRefuse(atOffset: 2 * Self.ms + 500_000) // held until 3.5 ms
        #expect(s.nextDueOffset == 3 * Self.ms + 500_000)
        _ = drain(&s, at: 10 * Self.ms)
        #expect(s.issued == 5)
        #expect(s.nextDueOffset == nil, "nothing left")
        // Closed loop has none.
        #expect(scheduler(total: 5).nextDueOffset == nil)
    }

    // MARK: Events held back past the duration

    @Test func eventsHeldBackWhenTheDurationEndsAreMissedNotSentLate() {
        var s = scheduler(pacer: perMs, duration: 10 * Self.ms, maxInFlight: 2)
        #expect(drain(&s, at: 0).map(\.sequence) == [0])
        #expect(drain(&s, at: 5 * Self.ms).map(\.sequence) == [1])
        #expect(s.missed == 0)
        // At the end of the duration 8 of the 10 events intended before it are still held back.
        #expect(s.next(atOffset: 10 * Self.ms) == nil)
        #expect(s.doneIssuing)
        #expect(s.missed == 8)
        s.didFinish()
        s.didFinish()
        #expect(s.next(atOffset: 11 * Self.ms) == nil, "not sent after the duration")
        #expect(s.isFinished)
        #expect(s.issued + s.missed == 10)
    }

    @Test func nothingIsMissedWhenEveryEventWentOut() {
        var s = scheduler(pacer: perMs, duration: 10 * Self.ms, maxInFlight: 100)
        for tick in UInt64(0)...20 { _ = drain(&s, at: tick * Self.ms) }
        #expect(s.issued == 10)
        #expect(s.missed == 0)
        var closed = scheduler(duration: 10 * Self.ms, maxInFlight: 1)
        _ = drain(&closed, at: 0)
        #expect(closed.next(atOffset: 10 * Self.ms) == nil)
        closed.checkDuration(atOffset: 10 * Self.ms)
        #expect(closed.doneIssuing)
        #expect(closed.missed == 0, "closed loop has no schedule to miss")
    }
}
