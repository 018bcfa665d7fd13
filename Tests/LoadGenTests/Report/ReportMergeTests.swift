import Testing
@testable import LoadGen

/// `loadgen merge` without processes: reports written by `JSONReport` read back, merged, and written again.
@Suite struct ReportMergeTests {
    private func read(_ text: String, source: String = "test") throws -> [ReportInput] {
        try JSONInput.documents(in: text, source: source).map { doc, line in
            try ReportInput(JSONInput.Object(parsing: doc, path: "\(source):\(line)"))
        }
    }

    private func json(_ header: ReportHeader, _ result: RunResult) -> String {
        JSONReport.make(header, result, codeNames: header.kind == "dns" ? { DNSRcode.name($0) } : { "\($0 + 200)" }).serialized()
    }

    /// A header as a report reads back: no workload (the JSON has none) and loadgen's version.
    private func header() -> ReportHeader {
        var h = ReportFixtures.header()
        h.workload = []
        h.count = nil
        h.durationNanos = nil
        return h
    }

    @Test func mergingOneReportReproducesIt() throws {
        let original = json(header(), ReportFixtures.result())
        let (h, r) = try ReportMerge.merge(try read(original))
        #expect(json(h, r) == original)
    }

    @Test func twoReportsAddUpExactly() throws {
        let one = json(header(), ReportFixtures.result())
        let (h, r) = try ReportMerge.merge(try read(one + "\n" + one))
        let single = ReportFixtures.result()
        #expect(r.counters.sent == 2 * single.counters.sent)
        #expect(r.counters.codes[3] == 2 * (single.counters.codes[3] ?? 0))
        #expect(r.counters.errorCount(.refused) == 6)
        #expect(r.threads.count == 4 && h.threads == 4)
        #expect(h.requestedRate == 40_000, "each input reports its share of the rate")
        #expect(r.responseTime.count == 2 * single.responseTime.count)
        for p in [50.0, 90, 99, 99.9, 100] {
            #expect(r.responseTime.percentileNanos(p) == single.responseTime.percentileNanos(p), "p\(p): same data twice")
        }
        #expect(r.cpuNanos == 2 * single.cpuNanos)
        #expect(abs(r.durationSeconds - single.durationSeconds) < 1e-9, "shards share one window")
    }

    @Test func documentsSplitAcrossLinesAndStrings() throws {
        let text = "{\"a\": \"}{\\\"\"}\n  {\"b\": {\"c\": 1}}{}\n"
        let docs = try JSONInput.documents(in: text, source: "in")
        #expect(docs.map(\.text) == ["{\"a\": \"}{\\\"\"}", "{\"b\": {\"c\": 1}}", "{}"])
        #expect(docs.map(\.line) == [1, 2, 2])
        #expect(throws: JSONInput.Failure.self) { try JSONInput.documents(in: "{}\nError from server\n", source: "in") }
        #expect(throws: JSONInput.Failure.self) { try JSONInput.documents(in: "{\"a\": 1", source: "in") }
        #expect(throws: JSONInput.Failure.self) { try JSONInput.documents(in: "}", source: "in") }
    }

    @Test func malformedReportsNameTheKey() {
        func failure(_ text: String) -> String {
            do {
                _ = try ReportMerge.merge(try read(text, source: "x.json"))
                return ""
            } catch let failure as JSONInput.Failure {
                return failure.description
            } catch {
                return "\(error)"
            }
        }
        let good = json(header(), ReportFixtures.result())
        #expect(failure("{\"tool\": \"dnsperf\"}").contains("not a loadgen report"))
        #expect(failure(good.replacingOccurrences(of: "\"sent\": 200000", with: "\"sent\": -1")).contains("'sent'"))
        #expect(failure(good.replacingOccurrences(of: "\"hdr\": \"", with: "\"hdr\": \"x")).contains("hdr"))
        var http = header()
        http.kind = "http1"
        #expect(failure(good + json(http, ReportFixtures.result())).contains("cannot merge"))
    }

    /// What the report-merge fuzzer found: counts past 2^53 and times past Int64 ns are refused or capped, CRLF
    /// files read, and no document makes the merge trap.
    @Test func hostileNumbersAreRefusedNotTrapped() throws {
        let good = json(header(), ReportFixtures.result())
        for (key, huge) in [("\"threads\": 2", "\"threads\": 9223372036854775807"), ("\"sent\": 200000", "\"sent\": 9007199254740993")] {
            #expect(throws: JSONInput.Failure.self, "\(huge)") { try read(good.replacingOccurrences(of: key, with: huge)) }
        }
        let farTimes = good.replacingOccurrences(of: "\"run_s\": ", with: "\"run_s\": 1e300, \"x\": ")
            .replacingOccurrences(of: "\"timeout_s\": 5", with: "\"timeout_s\": 3e10")
        let (_, result) = try ReportMerge.merge(try read(farTimes + "\n" + farTimes))
        #expect(result.endNanos == 9_200_000_000_000_000_000, "times saturate instead of trapping")
        let kinds = good.replacingOccurrences(of: "\"refused\": 3", with: "\"refused\": 30")
        #expect(throws: JSONInput.Failure.self, "error_kinds must add up to errors") { try read(kinds) }
        let crlf = good.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try read(crlf + "\r\n" + crlf).count == 2, "CRLF line ends read as line ends")
    }
}
