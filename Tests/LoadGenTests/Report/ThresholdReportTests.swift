import Foundation
import Testing
@testable import LoadGen

/// How thresholds appear in the text and JSON reports, and the exit status a run gets from them.
@Suite struct ThresholdReportTests {
    private func header(_ thresholds: [Threshold], _ result: RunResult) -> ReportHeader {
        var h = ReportFixtures.header()
        h.thresholds = Thresholds.evaluate(thresholds, result, requestedRate: h.requestedRate)
        return h
    }

    @Test("the text report names the failed threshold first and says the others held")
    func textSaysWhichFailed() throws {
        let result = ReportFixtures.result()
        let h = header([.maxErrorRatio(0.01), .maxLatency(percentile: 99, nanos: 100_000), .minRateRatio(0.99)], result)
        let text = TextReport.make(h, result, codeNames: DNSRcode.name)
        let lines = text.split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex { $0.hasPrefix("  thresholds") })
        #expect(lines[start] == "  thresholds 1 of 3 failed (the others held)")
        #expect(lines[start + 1].hasPrefix("    FAILED max_latency_p99      measured 1"))
        #expect(lines[start + 1].hasSuffix("limit <= 100us"))
        #expect(lines[start + 2] == "    held   max_error_ratio      measured 0.0000, limit <= 0.0100")
        #expect(lines[start + 3].hasPrefix("    held   min_rate_ratio       measured 1.0000, limit >= 0.9900"))
    }

    @Test func textWithoutThresholdsHasNoSection() {
        #expect(!TextReport.make(ReportFixtures.header(), ReportFixtures.result(), codeNames: DNSRcode.name).contains("thresholds"))
        let result = ReportFixtures.result()
        let text = TextReport.make(header([.maxErrorRatio(0.5)], result), result, codeNames: DNSRcode.name)
        #expect(text.contains("  thresholds all 1 held\n    held   max_error_ratio"))
    }

    @Test("JSON: each threshold with name, limit, measured and held; measured is null when there is nothing to measure")
    func json() throws {
        let result = ReportFixtures.result()
        let h = header([.maxErrorRatio(0.01), .maxLatency(percentile: 99.9, nanos: 20_000_000)], result)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(JSONReport.make(h, result, codeNames: DNSRcode.name).serialized().utf8)) as? [String: Any])
        let list = try #require(object["thresholds"] as? [[String: Any]])
        #expect(list.count == 2)
        #expect(list[0]["name"] as? String == "max_error_ratio")
        #expect(list[0]["limit"] as? Double == 0.01)
        #expect(list[0]["measured"] as? Double == 9.0 / 200_000)
        #expect(list[0]["held"] as? Bool == true)
        #expect(list[1]["name"] as? String == "max_latency_p99.9")
        #expect(list[1]["limit"] as? Double == 20_000)
        #expect(list[1]["unit"] as? String == "us")
        #expect(list[1]["held"] as? Bool == true)

        let empty = RunResult(threads: [ThreadResult()], originNanos: 0, endNanos: 1)
        let none = JSONReport.make(header([.maxLatency(percentile: 50, nanos: 1)], empty), empty, codeNames: DNSRcode.name)
        #expect(JSONReportTests.member("thresholds", of: none) == .array([.object([
            ("name", .string("max_latency_p50")), ("limit", .number("0.001")), ("measured", .null), ("held", .bool(false)),
            ("unit", .string("us")),
        ])]))
        #expect(JSONReportTests.member("thresholds", of: JSONReport.make(ReportFixtures.header(), result, codeNames: DNSRcode.name)) == .array([]))
    }

    @Test("exit status: 0 when something completed and every threshold held, 4 on a breach, 1 when nothing completed")
    func verdict() {
        let result = ReportFixtures.result()
        #expect(Reports.verdict(header([], result), result) == nil)
        #expect(Reports.verdict(header([.maxErrorRatio(0.01)], result), result) == nil)
        let breached = Reports.verdict(header([.maxErrorRatio(0.01), .maxLatency(percentile: 99, nanos: 100_000)], result), result)
        #expect(breached?.code == 4)
        #expect(breached?.description.hasPrefix("1 threshold breached: max_latency_p99 measured") == true)

        var refused = ThreadResult()
        refused.counters.sent = 100
        for _ in 0..<100 { refused.counters.recordError(.refused, atNanos: 10) }
        let none = RunResult(threads: [refused], originNanos: 1, endNanos: 100)
        let exit = Reports.verdict(header([.maxErrorRatio(0.01)], none), none)
        #expect(exit?.code == 1, "nothing completed wins over a breached threshold")
        #expect(exit?.description == "no query completed: 100 of 100 sent queries failed (100.0%): 100 refused from 0.00 s on (the server refused them)")

        let nothing = RunResult(threads: [ThreadResult()], originNanos: 1, endNanos: 100)
        #expect(Reports.verdict(ReportFixtures.header(), nothing)?.code == 1)
        #expect(Reports.verdict(ReportFixtures.header(), nothing)?.description == "nothing was sent")
        var cancelled = ThreadResult()
        cancelled.counters.sent = 1
        cancelled.counters.cancelled = 1
        let one = RunResult(threads: [cancelled], originNanos: 1, endNanos: 100)
        #expect(Reports.verdict(ReportFixtures.header(), one)?.description == "no query completed (1 sent, 0 timed out, 0 failed, 1 cancelled)")
    }

    @Test("singular and plural everywhere in the text report")
    func plurals() {
        var t = ThreadResult()
        t.counters.sent = 1
        t.counters.completed = 1
        t.responseTime.record(1_000)
        t.serviceTime.record(1_000)
        t.connectionsOpened = 1
        t.bytesReceived = 1
        t.h2.streamsOpened = 1
        t.h2.goAwaysReceived = 1
        t.h2.resetsReceived = 1
        t.counters.recordNotSent(.stopped, count: 1, atNanos: 5)
        var h = ReportFixtures.header(kind: "http2")
        h.threads = 1
        let result = RunResult(threads: [t], originNanos: 1, endNanos: 100)
        let text = TextReport.make(h, result, codeNames: { String($0) })
        #expect(text.hasPrefix("loadgen http2: 1 request from netns bench (inode 4026532000), 1 thread\n"))
        #expect(text.contains("1 byte received, 1 connection opened"))
        #expect(text.contains("1 stream, 1 GOAWAY, 1 reset received, 0 retried"))
        #expect(text.contains("not sent  1 of 2 intended events never went out"))
        #expect(!text.contains(" 1 requests") && !text.contains(" 1 threads") && !text.contains(" 1 connections"))
        var dns = ReportFixtures.header()
        dns.threads = 1
        #expect(TextReport.make(dns, result, codeNames: DNSRcode.name).hasPrefix("loadgen dns: 1 query from"))
    }
}
