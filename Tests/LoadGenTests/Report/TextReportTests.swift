import Testing
@testable import LoadGen

@Suite struct TextReportTests {
    private func report(_ header: ReportHeader = ReportFixtures.header(), _ result: RunResult = ReportFixtures.result()) -> String {
        TextReport.make(header, result, codeNames: DNSRcode.name)
    }

    @Test func mentionsCountsCodesAndErrors() {
        let text = report()
        #expect(text.hasPrefix("loadgen dns: 200000 queries from netns bench (inode 4026532000), 2 threads\n"))
        #expect(text.contains("sent 200000  completed 199990  timeouts 6  errors 3  cancelled 1"))
        #expect(!text.contains("UNBALANCED"))
        #expect(text.contains("rcodes    NOERROR 199000  NXDOMAIN 990"))
        #expect(text.contains("errors    refused 3"))
        #expect(text.contains("127.0.0.1:53, [::1]:5353 (udp, from --server)"))
        #expect(text.contains("a.example.test A, b.example.test AAAA, c.example.test MX and 1 more"))
        #expect(text.hasSuffix("\n"))
    }

    @Test func rateModeSaysItCorrectsCoordinatedOmission() {
        let text = report()
        #expect(text.contains("open loop, requested 20,000/s, achieved 20,000/s"))
        #expect(text.contains("coordinated omission"))
        #expect(text.contains("service time"))
        // Response time leads: it comes before service time.
        let response = text.range(of: "response time")!.lowerBound
        let service = text.range(of: "service time")!.lowerBound
        #expect(response < service)
    }

    @Test("closed loop: says what response time measures there, and never that it equals service time")
    func closedLoopSaysSo() {
        // The fixture's response times differ from its service times, as they do in closed loop when events wait
        // for a connection or a send after they were issued.
        let text = report(ReportFixtures.header(requestedRate: nil))
        #expect(text.contains("closed loop, 10000 in flight"))
        #expect(!text.contains("coordinated omission"))
        #expect(!text.contains("the same as service time"))
        #expect(text.contains("response time (closed loop: from when the event was issued, including any wait for a connection or a send)"))
        #expect(text.contains("service time (from the actual send)"))
    }

    @Test func percentileTableHasEveryColumn() {
        let lines = TextReport.table(ReportFixtures.result().responseTime)
        #expect(lines.count == 2)
        for name in ["min", "mean", "p50", "p90", "p99", "p99.9", "p99.99", "max"] {
            #expect(lines[0].contains(name))
        }
        #expect(lines[1].contains("41.0us"))
        #expect(lines[1].contains("2.10ms"))
        #expect(TextReport.table(LatencyHistogram()) == ["            no answers"])
    }

    @Test("every column of the table is the histogram's own value, in order")
    func percentileTableValuesAreTheHistograms() {
        var h = LatencyHistogram()
        for v in 1...1_000 { h.record(UInt64(v) * 10_000) }  // 10 µs .. 10 ms
        let cells = TextReport.table(h)[1].split(separator: " ").map(String.init)
        let expected = [Double(h.minNanos), h.meanNanos] + [50, 90, 99, 99.9, 99.99].map { Double(h.histogram.valueAtPercentile($0)) }
            + [Double(h.maxNanos)]
        #expect(cells == expected.map { TextReport.duration($0) })
        #expect(cells[2] == "5.00ms" && cells[4] == "9.90ms", "p50 and p99 of 10 µs .. 10 ms: \(cells)")
    }

    @Test func unbalancedAndInterruptedRunsAreFlagged() {
        var r = ReportFixtures.result(interrupted: true)
        r.counters.sent += 4
        let text = report(ReportFixtures.header(), r)
        #expect(text.contains("UNBALANCED: 4 unaccounted"))
        #expect(text.contains("— interrupted"))
    }

    @Test func emptyRunSaysNone() {
        let text = report(ReportFixtures.header(netns: nil), RunResult(threads: [], originNanos: 0, endNanos: 0))
        #expect(text.contains("from the current netns"))
        #expect(text.contains("rcodes    none"))
        #expect(text.contains("errors    none"))
        #expect(text.contains("no answers"))
    }

    @Test func overRangeAndTruncationAreReported() {
        var r = ReportFixtures.result()
        r.responseTime.record(LatencyHistogram.highestNanos + 1)
        r.truncated = 7
        let text = report(ReportFixtures.header(), r)
        #expect(text.contains("1 latency above the 1 h range was counted at its top"))
        #expect(text.contains("truncated 7 answers had the TC bit set"))
        r.responseTime.record(LatencyHistogram.highestNanos + 1)
        r.truncated = 1
        let two = report(ReportFixtures.header(), r)
        #expect(two.contains("2 latencies above the 1 h range were counted at its top"))
        #expect(two.contains("truncated 1 answer had the TC bit set"))
    }

    @Test func eventsNeverSentAreReported() {
        var r = ReportFixtures.result()
        #expect(!report(ReportFixtures.header(), r).contains("not sent"))
        r.counters.recordNotSent(.noConnection, count: 10, atNanos: 5)
        r.counters.recordNotSent(.heldBack, count: 2, atNanos: 7)
        let sent = r.counters.sent
        #expect(report(ReportFixtures.header(), r).contains("not sent  12 of \(sent + 12) intended events never went out: no_connection 10  held_back 2"))
    }

    @Test func clientCPUPerThousand() {
        // 1 s of CPU for 200,000 events: 5 ms per 1000.
        #expect(report().contains("client CPU 1000.0 ms (5.00 ms per 1000 queries)"))
    }

    @Test(arguments: [
        (812.0, "812ns"), (0, "0ns"), (1_000, "1.0us"), (41_200, "41.2us"), (99_940, "99.9us"), (100_000, "100us"),
        (150_400, "150us"), (999_000, "999us"), (1_000_000, "1.00ms"), (12_340_000, "12.34ms"),
        (999_990_000, "999.99ms"), (1_000_000_000, "1.000s"), (1_234_000_000, "1.234s"), (3_600_000_000_000, "3600.000s"),
    ] as [(Double, String)])
    func durationFormatting(nanos: Double, text: String) {
        #expect(TextReport.duration(nanos) == text)
    }

    @Test func rateFormattingGroupsThousandsWithOneDecimal() {
        #expect("\(rate: 20_000)" == "20,000")
        #expect("\(rate: 9_999.84)" == "9,999.8")
        #expect("\(rate: 999.96)" == "1,000")
        #expect("\(rate: 1_500_000)" == "1,500,000")
        #expect("\(rate: 0)" == "0")
        #expect("\(rate: 0.5)" == "0.5")
        #expect("\(rate: 123)" == "123")
        #expect("\(rate: 1_234.04)" == "1,234")
    }
}
