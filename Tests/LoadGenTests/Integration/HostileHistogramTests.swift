import Foundation
import Testing
@testable import LoadGen

/// The loadgen binary on an interval log whose counts are valid but whose values add up past 2^64 ns (2^40 values
/// at 1 s and at 1 min in each interval): HdrHistogram's iterator traps on that sum, which made `loadgen plot`
/// crash with SIGILL before 92a5f36 (found by the hlog-parse fuzzer). Now plot draws it and merge adds it up.
@Suite struct HostileHistogramTests {
    static let half: UInt64 = 1 << 40

    /// Two one-second intervals, each with `half` values at 1 s and `half` at 1 min.
    static func log() -> String {
        let layout = HdrLayout.latency
        let buckets = [(index: layout.index(of: 1_000_000_000), count: half), (index: layout.index(of: 60_000_000_000), count: half)]
        let hdr = HdrEncoding.encode(layout: layout, buckets: buckets)
        return "#[StartTime: 1700000000.000 (seconds since epoch)]\n"
            + "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
            + "0.000,1.000,60.000,\(hdr)\n1.000,1.000,60.000,\(hdr)\n"
    }

    @Test("plot and merge of an interval log whose values add up past 2^64 ns: exit 0, p50/p99 drawn at 1 s and 1 min, the merge's counts doubled")
    func plotAndMergeDoNotTrap() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lg-hostile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("huge.hlog")
        try HostileHistogramTests.log().write(to: file, atomically: true, encoding: .utf8)

        let svg = directory.appendingPathComponent("huge.svg")
        let plot = try await LoadGen.run(["plot", file.path, "-o", svg.path], deadline: 10)
        #expect(plot.exitCode == 0, "\(plot.outcome.termination); stderr: \(plot.stderr)")
        let charts = try PlottedChart.charts(in: try String(contentsOf: svg, encoding: .utf8))
        let lines = Dictionary(charts.flatMap(\.lines).map { ($0.name, $0.data) }, uniquingKeysWith: { a, _ in a })
        let p50 = try #require(lines.first { $0.key.hasSuffix(": p50") }?.value, "lines: \(lines.keys.sorted())")
        let p99 = try #require(lines.first { $0.key.hasSuffix(": p99") }?.value)
        // Milliseconds, within the 0.1% of a bucket.
        #expect(p50.count == 2 && p50.allSatisfy { abs($0.y - 1_000) <= 1 }, "\(p50)")
        #expect(p99.count == 2 && p99.allSatisfy { abs($0.y - 60_000) <= 60 }, "\(p99)")

        let merge = try await LoadGen.run(["merge", file.path, file.path], deadline: 10)
        #expect(merge.exitCode == 0, "\(merge.outcome.termination); stderr: \(merge.stderr)")
        let merged = try HlogFile(parsing: merge.stdout, source: "merged")
        #expect(merged.intervals.map(\.histogram.totalCount) == [4 * HostileHistogramTests.half, 4 * HostileHistogramTests.half])
    }
}
