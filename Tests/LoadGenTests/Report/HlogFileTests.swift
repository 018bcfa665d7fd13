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
