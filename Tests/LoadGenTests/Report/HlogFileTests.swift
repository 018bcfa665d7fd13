import Testing
@testable import LoadGen

/// Interval logs read back and merged without processes: what IntervalLog writes parses, identical logs add up,
/// and malformed lines are refused by line number.
@Suite struct HlogFileTests {
    private func log(start: Double, values: [[UInt64]]) -> String {
        var text = "#[Histogram log format version 1.3]\n#[StartTime: \(start) (seconds since epoch), x]\n#[BaseTime: \(start) (seconds since epoch)]\n"
        text += "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
        for (i, second) in values.enumerated() {
            var h = LatencyHistogram()
            for v in second { h.record(v) }
            text += IntervalLog.line(tag: "response", start: Double(i), length: 1, h)
        }
        return text
    }

    @Test func readsWhatIntervalLogWritesWithAbsoluteTimes() throws {
        let file = try HlogFile(parsing: log(start: 1_796_526_000, values: [[1_000, 2_000], [3_000_000]]), source: "a.hlog")
        #expect(file.intervals.count == 2)
        #expect(file.intervals.map(\.start) == [1_796_526_000, 1_796_526_001])
        #expect(file.intervals.map(\.histogram.totalCount) == [2, 1])
        #expect(file.intervals[1].maxNanos == 3_000_000)
        #expect(file.intervals.allSatisfy { $0.tag == "response" })
    }

    @Test func identicalLogsAddUpIntervalByInterval() throws {
        let a = try HlogFile(parsing: log(start: 100, values: [[1_000], [2_000, 3_000]]), source: "a")
        let merged = try HlogFile(parsing: try HlogFile.merge([a, a]), source: "merged")
        #expect(merged.intervals.map(\.histogram.totalCount) == [2, 4])
        #expect(merged.intervals.map(\.start) == [100, 101])
    }

    @Test func malformedLinesAreRefusedByLine() {
        let good = log(start: 100, values: [[1_000]])
        for (bad, expected) in [("Tag=x,1,2\n", "x.hlog:6"), ("1.0,1.0,0.1,HISTFnotbase64\n", "x.hlog:6"), ("-1,1,1,AAAA\n", "x.hlog:6")] {
            #expect(throws: JSONInput.Failure.self) { try HlogFile(parsing: good + bad, source: "x.hlog") }
            do {
                _ = try HlogFile(parsing: good + bad, source: "x.hlog")
            } catch {
                #expect(error.description.contains(expected), "\(bad): \(error.description)")
            }
        }
        #expect(throws: JSONInput.Failure.self) { try HlogFile(parsing: "#[StartTime: 1 (x)]\n", source: "empty") }
        #expect(HlogFile.looksLikeLog(good[...]) && !HlogFile.looksLikeLog("{\"tool\": 1}"[...]))
    }
}

/// Hostile interval logs found by the hlog-parse fuzzer: refused or handled, never a trap or a hang.
@Suite struct HlogFileHostileTests {
    private func line(_ start: String, _ values: [UInt64] = [1_000]) -> String {
        var h = LatencyHistogram()
        for v in values { h.record(v) }
        return "Tag=response,\(start),1.000,0.001,\(h.encoded)\n"
    }

    @Test func timestampsPastTheYear5000AreRefused() throws {
        #expect(throws: JSONInput.Failure.self) { try HlogFile(parsing: self.line("4000000000000000.000"), source: "far") }
        let based = "#[BaseTime: 10000000000000000 (seconds since epoch)]\n" + line("0.000")
        #expect(throws: JSONInput.Failure.self) { try HlogFile(parsing: based, source: "based") }
    }

    @Test func crlfLinesAreLines() throws {
        let text = "#[StartTime: 100.000 (seconds since epoch)]\r\n" + line("0.000").replacingOccurrences(of: "\n", with: "\r\n")
        let log = try HlogFile(parsing: text, source: "crlf")
        #expect(log.intervals.count == 1 && log.intervals[0].start == 0 && log.startTime == 100)
    }

    @Test func sumsBeyondWhatTheEncodingHoldsAreRefused() throws {
        var h = LatencyHistogram()
        h.record(1_000)
        let layout = try HdrEncoding.decode(h.encoded).layout
        let big = HdrEncoding.Decoded(layout: layout, buckets: [(index: 5, count: UInt64(Int64.max) - 1)], totalCount: UInt64(Int64.max) - 1)
        #expect(HlogFile.add(big, big) == nil)
        let small = HdrEncoding.Decoded(layout: layout, buckets: [(index: 5, count: 2)], totalCount: 2)
        #expect(HlogFile.add(small, small)?.totalCount == 4)
    }

    @Test func aHugeNarrowTimeAxisGetsFewTicksAndEnds() {
        var chart = SVGChart(title: "t", xLabel: "x", yLabel: "y")
        chart.series = [.init(name: "s", points: [(4e15, 1), (4e15 + 0.5, 2)])]
        let svg = chart.render()
        #expect(svg.components(separatedBy: "text-anchor=\"middle\" font-size=\"12\"").count <= 14, "bounded ticks")
    }
}
