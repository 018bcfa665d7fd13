/// What must hold of an interval log that parsed (`loadgen merge` and `loadgen plot` of `--hlog` files, see
/// HlogFileTests): merged with itself it reparses with every (tag, start) interval's count doubled at the same
/// start, and it plots.
enum HlogRoundTrip {
    /// An interval's merge key: its tag and start to the millisecond (as HlogFile.merge, without its Int64).
    private struct Key: Hashable {
        let tag: String?
        let millis: Double
    }

    private struct Group {
        var start: Double
        var total: UInt64
        var overflow = false
        var layouts: [HdrLayout]
    }

    private static func groups(_ log: HlogFile) -> [Key: Group] {
        var groups: [Key: Group] = [:]
        for interval in log.intervals {
            let key = Key(tag: interval.tag, millis: (interval.start * 1000).rounded())
            let count = interval.histogram.totalCount
            guard var group = groups[key] else {
                groups[key] = Group(start: interval.start, total: count, layouts: [interval.histogram.layout])
                continue
            }
            let (sum, overflow) = group.total.addingReportingOverflow(count)
            group.total = sum
            group.overflow = group.overflow || overflow
            if !group.layouts.contains(interval.histogram.layout) { group.layouts.append(interval.histogram.layout) }
            groups[key] = group
        }
        return groups
    }

    static func checkMergedWithItself(_ log: HlogFile) {
        let groups = groups(log)
        let text: String
        do throws(JSONInput.Failure) {
            text = try HlogFile.merge([log, log])
        } catch {
            // Only intervals of one tag and start in different layouts, or whose doubled counts pass 2^63, may refuse
            // to add up.
            let tooBig = groups.values.contains { $0.overflow || $0.total > UInt64(Int64.max) / 2 }
            fuzzCheck(tooBig || groups.values.contains { $0.layouts.count > 1 }, "merging a log with itself failed: \(error.description)")
            return
        }
        let merged: HlogFile
        do throws(JSONInput.Failure) {
            merged = try HlogFile(parsing: text, source: "merged.hlog")
        } catch {
            fuzzCheck(false, "the merged log does not parse: \(error.description)")
            return
        }
        fuzzCheck(merged.intervals.count == groups.count, "\(groups.count) (tag, start) intervals merged into \(merged.intervals.count)")
        var expected: [String] = []
        for (key, group) in groups {
            let (doubled, overflow) = group.total.multipliedReportingOverflow(by: 2)
            fuzzCheck(!group.overflow && !overflow, "intervals of \(group.total) counts (more than 2^63) merged without a failure")
            expected.append(describe(key.tag, doubled))
        }
        let found = merged.intervals.map { describe($0.tag, $0.histogram.totalCount) }
        fuzzCheck(found.sorted() == expected.sorted(), "merged counts \(found.sorted()), expected \(expected.sorted())")
        let starts = groups.values.map(\.start).sorted(), mergedStarts = merged.intervals.map(\.start).sorted()
        for (was, now) in zip(starts, mergedStarts) {
            let tolerance = 0.0011 + 8 * max(was.ulp, now.ulp, (starts.first ?? 0).ulp)
            fuzzCheck(abs(now - was) <= tolerance, "an interval at \(was) s is at \(now) s after merging")
        }
    }

    private static func describe(_ tag: String?, _ count: UInt64) -> String {
        (tag.map { "Tag=\($0)" } ?? "untagged") + " \(count)"
    }

    /// `loadgen plot` of the log: the charts render whatever the intervals hold.
    static func checkPlot(_ log: HlogFile) {
        let svg = SVGChart.document(Plots.timeCharts([("fuzz", log)]))
        fuzzCheck(svg.hasSuffix("</svg>\n"), "the plot is cut short")
    }
}
