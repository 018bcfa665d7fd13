import Testing
@testable import LoadGen

@Suite struct RunWarningsTests {
    /// The origin is at 1 s of the monotonic clock; `at(s)` is `s` seconds after it.
    private static let origin: UInt64 = 1_000_000_000
    private static func at(_ seconds: Double) -> UInt64 { origin + UInt64(seconds * 1e9) }

    private func header(_ kind: String = "http1") -> ReportHeader {
        var h = ReportFixtures.header(kind: kind, requestedRate: 2000)
        h.concurrency = 4
        h.timeoutNanos = 1_000_000_000
        return h
    }

    private func run(_ t: ThreadResult) -> RunResult {
        RunResult(threads: [t], originNanos: RunWarningsTests.origin, endNanos: RunWarningsTests.at(3), windowNanos: 3_000_000_000)
    }

    /// `sent` requests, all completed.
    private func thread(sent: UInt64) -> ThreadResult {
        var t = ThreadResult()
        t.counters.sent = sent
        t.counters.completed = sent
        return t
    }

    @Test("the server died at 1.02 s: no connection from then on, and the refused connections say why")
    func serverDied() {
        var t = thread(sent: 1_962)
        t.counters.recordNotSent(.noConnection, count: 4_030, atNanos: Self.at(1.02))
        t.counters.recordNotSent(.heldBack, count: 8, atNanos: Self.at(3))
        t.recordConnectError(.refused, atNanos: Self.at(1.021))
        t.recordConnectError(.refused, atNanos: Self.at(1.5))
        t.recordConnectError(.connectTimeout, atNanos: Self.at(2))
        #expect(RunWarnings.make(header(), run(t)) == [
            "only 1,962 of 6,000 intended requests were sent: no connection from 1.02 s on (the server refused connections from 1.02 s on)",
        ])
    }

    @Test("no connection without a connection failure says so")
    func noConnectionWithoutConnectErrors() {
        var t = thread(sent: 10)
        t.counters.recordNotSent(.noConnection, count: 90, atNanos: Self.at(0.5))
        #expect(RunWarnings.make(header(), run(t)) == [
            "only 10 of 100 intended requests were sent: no connection from 0.50 s on (no connection could be had within --timeout)",
        ])
    }

    @Test("held back and stopped are named as such")
    func heldBackAndStopped() {
        var held = thread(sent: 900)
        held.counters.recordNotSent(.heldBack, count: 100, atNanos: Self.at(2.5))
        #expect(RunWarnings.notSentWarning(header(), run(held))
            == "only 900 of 1,000 intended requests were sent: held back: every one of the 4 slots was in flight (--concurrency), or loadgen was backing off after refusals (given up from 2.50 s on)")
        var stopped = ThreadResult()
        stopped.counters.recordNotSent(.stopped, count: 1, atNanos: Self.at(0.004))
        #expect(RunWarnings.notSentWarning(header("dns"), run(stopped))
            == "none of 1 intended query was sent: the run was stopped (SIGINT or SIGTERM) before they went out (given up from 0.00 s on)")
    }

    @Test("the 99% line: 99 of 100 sent is fine, 98 of 100 is not", arguments: [(99, false), (98, true), (100, false)] as [(UInt64, Bool)])
    func notSentBoundary(sent: UInt64, warns: Bool) {
        var t = thread(sent: sent)
        t.counters.recordNotSent(.noConnection, count: 100 - sent, atNanos: Self.at(1))
        #expect((RunWarnings.notSentWarning(header(), run(t)) != nil) == warns)
    }

    @Test("the 1% line: 1 failure in 100 is fine, 2 are not; nothing sent warns of nothing failed",
          arguments: [(100, 1, false), (100, 2, true), (1000, 10, false), (1000, 11, true), (0, 0, false)] as [(UInt64, UInt64, Bool)])
    func failureBoundary(sent: UInt64, failed: UInt64, warns: Bool) {
        var t = thread(sent: sent)
        t.counters.completed -= failed
        for _ in 0..<failed { t.counters.recordTimeout(atNanos: Self.at(1)) }
        #expect((RunWarnings.failureWarning(header(), run(t)) != nil) == warns)
    }

    @Test("errors: the most frequent kind leads, from its first occurrence, and the rest is counted")
    func errorsLead() {
        var t = thread(sent: 6_000)
        t.counters.completed = 4_000
        for i in 0..<1_500 { t.counters.recordError(.refused, atNanos: Self.at(0.25 + Double(i) * 1e-4)) }
        for _ in 0..<500 { t.counters.recordTimeout(atNanos: Self.at(2)) }
        #expect(RunWarnings.make(header("dns"), run(t)) == [
            "2,000 of 6,000 sent queries failed (33.3%): 1,500 refused from 0.25 s on (the server refused them); 500 more failed otherwise",
        ])
    }

    @Test("timeouts lead when they are the most: 'no answer within' the timeout")
    func timeoutsLead() {
        var t = thread(sent: 200)
        t.counters.completed = 0
        for _ in 0..<200 { t.counters.recordTimeout(atNanos: Self.at(0.5)) }
        #expect(RunWarnings.make(header("dns"), run(t)) == [
            "200 of 200 sent queries failed (100.0%): 200 timed out from 0.50 s on (no answer within 1.000s)",
        ])
    }

    @Test("both at once: two warnings, not-sent first")
    func both() {
        var t = thread(sent: 100)
        t.counters.completed = 50
        for _ in 0..<50 { t.counters.recordError(.reset, atNanos: Self.at(1)) }
        t.counters.recordNotSent(.noConnection, count: 100, atNanos: Self.at(1.1))
        t.recordConnectError(.refused, atNanos: Self.at(1.1))
        let warnings = RunWarnings.make(header(), run(t))
        #expect(warnings.count == 2)
        #expect(warnings[0].hasPrefix("only 100 of 200 intended requests were sent: no connection from 1.10 s on"))
        #expect(warnings[1] == "50 of 100 sent requests failed (50.0%): 50 reset from 1.00 s on (connections were reset)")
    }

    @Test("a healthy run has no warning") func healthy() {
        #expect(RunWarnings.make(ReportFixtures.header(), ReportFixtures.result()).isEmpty)
    }

    @Test("the text report opens with the warnings right after its title; JSON lists them")
    func textAndJSON() throws {
        var t = thread(sent: 10)
        t.counters.recordNotSent(.noConnection, count: 90, atNanos: Self.at(0.5))
        let text = TextReport.make(header(), run(t), codeNames: { String($0) })
        let lines = text.split(separator: "\n")
        #expect(lines[0].hasPrefix("loadgen http1: 10 requests from"))
        #expect(lines[1] == "WARNING only 10 of 100 intended requests were sent: no connection from 0.50 s on (no connection could be had within --timeout)")
        let json = JSONReport.make(header(), run(t), codeNames: { String($0) })
        #expect(JSONReportTests.member("warnings", of: json) == .array([
            .string("only 10 of 100 intended requests were sent: no connection from 0.50 s on (no connection could be had within --timeout)"),
        ]))
        #expect(JSONReportTests.member("warnings", of: JSONReport.make(ReportFixtures.header(), ReportFixtures.result(), codeNames: DNSRcode.name)) == .array([]))
    }
}
