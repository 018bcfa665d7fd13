@testable import LoadGen
import Testing

/// The one lifecycle, driven event by event without sockets: every transition and both invariants.
@Suite struct EventLedgerTests {
    let ledger = EventLedger(capacity: 4)
    var result = ThreadResult()

    mutating func issue(_ seq: UInt64, at now: UInt64 = 1_000) -> Int32 {
        ledger.issue(sequence: seq, intendedNanos: now, now: now)!
    }

    func expectInvariants(intended: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
        let c = result.counters
        #expect(c.sent == c.completed + c.timeouts + c.errors + c.cancelled, "\(c)", sourceLocation: sourceLocation)
        #expect(c.intended == intended, "\(c)", sourceLocation: sourceLocation)
        #expect(ledger.slots.inUse == 0, sourceLocation: sourceLocation)
    }

    @Test mutating func answeredEventIsCompletedWithBothLatencies() {
        let slot = issue(0, at: 1_000)
        #expect(ledger.phase(of: slot) == .waiting)
        ledger.sent(slot, at: 1_500, into: &result)
        #expect(ledger.phase(of: slot) == .inFlight)
        let fate = ledger.finish(slot, .answered(code: 200), at: 2_500, into: &result)
        #expect(fate == .completed(code: 200))
        #expect(result.counters.sent == 1 && result.counters.completed == 1)
        #expect(result.responseTime.maxNanos >= 1_499 && result.responseTime.maxNanos <= 1_501)
        #expect(result.serviceTime.maxNanos >= 999 && result.serviceTime.maxNanos <= 1_001)
        #expect(result.firstSentNanos == 1_500 && result.lastSentNanos == 1_500 && result.endNanos == 2_500)
        #expect(ledger.phase(of: slot) == .free)
        expectInvariants(intended: 1)
    }

    @Test mutating func everySentEventHasItsScheduleLagFromItsFirstSend() {
        let answered = ledger.issue(sequence: 0, intendedNanos: 10_000, now: 10_000)!
        ledger.sent(answered, at: 10_040, into: &result)
        ledger.requeue(answered)
        ledger.sent(answered, at: 90_000, into: &result)
        ledger.finish(answered, .answered(code: 0), at: 95_000, into: &result)
        let timedOut = ledger.issue(sequence: 1, intendedNanos: 20_000, now: 20_000)!
        ledger.sent(timedOut, at: 23_000, into: &result)
        ledger.finish(timedOut, .timedOut, at: 5_000_000, into: &result)
        let early = ledger.issue(sequence: 2, intendedNanos: 30_000, now: 29_000)!
        ledger.sent(early, at: 29_500, into: &result)
        ledger.finish(early, .failed(.reset), at: 40_000, into: &result)
        let unsent = ledger.issue(sequence: 3, intendedNanos: 40_000, now: 40_000)!
        ledger.finish(unsent, .timedOut, at: 5_000_000, into: &result)
        #expect(result.scheduleLag.count == result.counters.sent && result.counters.sent == 3, "one lag per sent event, none for the unsent")
        #expect(result.scheduleLag.minNanos == 0, "a send before its intended time counts as no lag")
        #expect(result.scheduleLag.percentileNanos(50) >= 39 && result.scheduleLag.percentileNanos(50) <= 41, "the first send, not the retry")
        #expect(result.scheduleLag.maxNanos == 3_000)
        #expect(result.warmup == nil, "no warmup part (nor its histograms) without --warmup")
        expectInvariants(intended: 4)
    }

    @Test mutating func warmupEventsCountInTheTotalsAndApart() throws {
        ledger.warmupEndNanos = 2_000
        let warm = ledger.issue(sequence: 0, intendedNanos: 1_000, now: 1_000)!
        ledger.sent(warm, at: 1_100, into: &result)
        ledger.finish(warm, .answered(code: 0), at: 1_600, into: &result)
        let warmLost = ledger.issue(sequence: 1, intendedNanos: 1_999, now: 1_999)!
        ledger.sent(warmLost, at: 2_100, into: &result)
        ledger.finish(warmLost, .timedOut, at: 9_000, into: &result)
        let measured = ledger.issue(sequence: 2, intendedNanos: 2_000, now: 2_000)!
        ledger.sent(measured, at: 2_050, into: &result)
        ledger.finish(measured, .answered(code: 0), at: 3_000, into: &result)
        #expect(result.counters.sent == 3 && result.counters.completed == 2 && result.counters.timeouts == 1, "the totals hold every event")
        let warmup = try #require(result.warmup, "warmup events make a warmup part")
        #expect(warmup.sent == 2 && warmup.completed == 1 && warmup.timeouts == 1)
        #expect(warmup.responseTime.count == 1 && warmup.responseTime.maxNanos >= 599 && warmup.responseTime.maxNanos <= 601)
        #expect(result.responseTime.count == 1 && result.responseTime.maxNanos >= 999 && result.responseTime.maxNanos <= 1_001,
                "the histograms hold only the measured event")
        #expect(result.scheduleLag.count == 1 && result.serviceTime.count == 1)
        expectInvariants(intended: 3)
    }

    @Test mutating func sentEventsEndAsTimeoutErrorOrCancelled() {
        let outcomes: [(EventLedger.Outcome, EventLedger.Fate)] = [
            (.timedOut, .timedOut), (.failed(.reset), .failed(.reset)), (.cancelled(unsent: .stopped), .cancelled),
        ]
        for (i, (outcome, expected)) in outcomes.enumerated() {
            let slot = issue(UInt64(i))
            ledger.sent(slot, at: 2_000, into: &result)
            #expect(ledger.finish(slot, outcome, at: 3_000 + UInt64(i), into: &result) == expected)
        }
        let c = result.counters
        #expect(c.sent == 3 && c.timeouts == 1 && c.errors == 1 && c.cancelled == 1 && c.errorCount(.reset) == 1)
        #expect(c.firstTimeoutNanos == 3_000)
        #expect(c.firstErrorNanos[ErrorKind.reset.rawValue] == 3_001)
        expectInvariants(intended: 3)
    }

    @Test mutating func eventsThatNeverWentOutAreNotSentByReason() {
        // Timed out or failed while waiting for a connection: no_connection; cancelled: the reason given.
        let outcomes: [(EventLedger.Outcome, NotSentReason)] = [
            (.timedOut, .noConnection), (.failed(.refused), .noConnection),
            (.cancelled(unsent: .stopped), .stopped), (.cancelled(unsent: .heldBack), .heldBack),
        ]
        for (i, (outcome, reason)) in outcomes.enumerated() {
            let slot = issue(UInt64(i))
            #expect(ledger.finish(slot, outcome, at: 5_000, into: &result) == .notSent(reason))
        }
        let c = result.counters
        #expect(c.sent == 0 && c.errors == 0 && c.timeouts == 0)
        #expect(c.notSentCount(.noConnection) == 2 && c.notSentCount(.stopped) == 1 && c.notSentCount(.heldBack) == 1)
        #expect(c.firstNotSentNanos[NotSentReason.noConnection.rawValue] == 5_000)
        #expect(result.endNanos == 0, "events never sent do not extend the run")
        expectInvariants(intended: 4)
    }

    @Test mutating func aRetriedEventCountsOnceWhateverHappensNext() {
        // Sent, refused by the server (REFUSED_STREAM / above GOAWAY), sent again, answered.
        let a = issue(0)
        ledger.sent(a, at: 1_100, into: &result)
        ledger.requeue(a)
        #expect(ledger.phase(of: a) == .retrying)
        ledger.sent(a, at: 1_300, into: &result)
        #expect(ledger.finish(a, .answered(code: 200), at: 1_400, into: &result) == .completed(code: 200))
        // Sent, refused, and the run ends while it waits for its retry: cancelled, not "not sent".
        let b = issue(1)
        ledger.sent(b, at: 1_100, into: &result)
        ledger.requeue(b)
        #expect(ledger.finish(b, .cancelled(unsent: .stopped), at: 2_000, into: &result) == .cancelled)
        // Sent, refused, and no connection for the retry within --timeout: a timeout of a sent event.
        let c = issue(2)
        ledger.sent(c, at: 1_100, into: &result)
        ledger.requeue(c)
        #expect(ledger.finish(c, .timedOut, at: 9_000, into: &result) == .timedOut)
        #expect(result.counters.sent == 3)
        #expect(result.counters.notSent == 0)
        expectInvariants(intended: 3)
    }

    @Test mutating func aRetryTimesServiceFromTheSendThatWasAnswered() {
        let slot = issue(0, at: 1_000)
        ledger.sent(slot, at: 1_000, into: &result)
        ledger.requeue(slot)
        ledger.sent(slot, at: 3_000, into: &result)
        ledger.finish(slot, .answered(code: 200), at: 4_000, into: &result)
        // Service time runs from the send that was answered; response time from the intended time.
        #expect(result.serviceTime.maxNanos >= 999 && result.serviceTime.maxNanos <= 1_001)
        #expect(result.responseTime.maxNanos >= 2_997 && result.responseTime.maxNanos <= 3_003)
        #expect(result.lastSentNanos == 1_000, "the retry is not a new send")
    }

    @Test mutating func aRetryKeepsItsFirstSendForItsTimeout() {
        let slot = issue(0, at: 1_000)
        ledger.sent(slot, at: 1_200, into: &result)
        ledger.requeue(slot)
        ledger.sent(slot, at: 5_000, into: &result)
        // Its --timeout runs from the first send (retries never stretch a run); service from the answered send.
        #expect(ledger.firstSentNanos[Int(slot)] == 1_200)
        #expect(ledger.slots.sentNanos[Int(slot)] == 5_000)
    }

    @Test mutating func aKernelTimestampBeforeTheSendStampIsClamped() {
        let slot = issue(0, at: 1_000)
        ledger.sent(slot, at: 2_000, into: &result)
        ledger.finish(slot, .answered(code: 0), at: 1_990, into: &result)
        #expect(result.serviceTime.maxNanos == 0)
        #expect(result.endNanos == 2_000)
    }

    @Test mutating func slotsAreReusedAndBounded() {
        var taken: [Int32] = []
        for i in 0..<4 { taken.append(issue(UInt64(i))) }
        #expect(ledger.issue(sequence: 9, intendedNanos: 0, now: 0) == nil, "capacity 4")
        ledger.finish(taken[2], .cancelled(unsent: .stopped), at: 10, into: &result)
        let again = issue(10)
        #expect(again == taken[2])
        #expect(ledger.slots.sequence[Int(again)] == 10)
        #expect(ledger.issuedNanos[Int(again)] == 1_000)
    }

    @Test(arguments: [
        (EventLedger.Outcome.answered(code: 204), true, EventLedger.Fate.completed(code: 204)),
        (.timedOut, true, .timedOut), (.timedOut, false, .notSent(.noConnection)),
        (.failed(.closed), true, .failed(.closed)), (.failed(.closed), false, .notSent(.noConnection)),
        (.cancelled(unsent: .heldBack), true, .cancelled), (.cancelled(unsent: .heldBack), false, .notSent(.heldBack)),
    ])
    func fateTable(outcome: EventLedger.Outcome, sent: Bool, fate: EventLedger.Fate) {
        #expect(EventLedger.fate(of: outcome, sent: sent) == fate)
    }
}
