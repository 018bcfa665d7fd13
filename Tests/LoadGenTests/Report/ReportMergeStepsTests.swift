import Foundation
import Testing
@testable import LoadGen

/// `loadgen merge` of shaped runs' steps, without processes: hand-built shaped reports written by `JSONReport`,
/// read back, merged, and held against the raw values they were made of.
@Suite struct ReportMergeStepsTests {
    /// Two held steps (1000/s for 2 s, 2000/s for 2 s) and a ramp second, as every shard's report states them.
    static let plan = StepPlan(windows: [
        .init(startNanos: 0, endNanos: 2_000_000_000, fromRate: 1_000, toRate: 1_000, step: 1),
        .init(startNanos: 2_000_000_000, endNanos: 4_000_000_000, fromRate: 2_000, toRate: 2_000, step: 2),
        .init(startNanos: 4_000_000_000, endNanos: 5_000_000_000, fromRate: 2_000, toRate: 3_000, step: 3),
    ])

    /// One window's events: `response` holds a response time per completed event (service time 10 µs less).
    struct Window {
        var intended: UInt64
        var timeouts: UInt64 = 0
        var errors: UInt64 = 0
        var notSent: UInt64 = 0
        var response: [UInt64]
    }

    /// A one-thread shaped run whose windows are `windows`, its totals their sums.
    static func result(_ windows: [Window]) -> RunResult {
        var t = ThreadResult()
        t.netns = "bench"
        var parts: [StepPart] = []
        for w in windows {
            var p = StepPart()
            p.intended = w.intended
            p.events.completed = UInt64(w.response.count)
            p.events.timeouts = w.timeouts
            p.events.errors = w.errors
            p.events.sent = p.events.completed + w.timeouts + w.errors
            #expect(p.events.sent + w.notSent == w.intended, "a fixture window that does not add up")
            for nanos in w.response {
                p.events.responseTime.record(nanos)
                p.events.serviceTime.record(nanos - 10_000)
                t.responseTime.record(nanos)
                t.serviceTime.record(nanos - 10_000)
            }
            t.counters.completed += p.events.completed
            t.counters.timeouts += w.timeouts
            for _ in 0..<w.errors { t.counters.recordError(.refused) }
            t.counters.sent += p.events.sent
            t.counters.notSentReasons[NotSentReason.heldBack.rawValue] += w.notSent
            t.counters.codes[0, default: 0] += p.events.completed
            parts.append(p)
        }
        t.steps = parts
        return RunResult(threads: [t], originNanos: 0, endNanos: 5_100_000_000, windowNanos: 5_000_000_000)
    }

    static func header(shard: Shard = .whole, plan: StepPlan = plan) -> ReportHeader {
        var h = ReportFixtures.header()
        h.workload = []
        h.count = nil
        h.durationNanos = nil
        h.threads = 1
        h.steps = plan
        h.shapeText = "--steps 1k@2s,2k@2s,2k..3k@1s"
        h.shard = shard
        return h
    }

    static func json(_ header: ReportHeader, _ result: RunResult) -> String {
        JSONReport.make(header, result, codeNames: { DNSRcode.name($0) }).compact()
    }

    static func read(_ texts: [String]) throws(JSONInput.Failure) -> [ReportInput] {
        var inputs: [ReportInput] = []
        for (i, text) in texts.enumerated() {
            inputs.append(try ReportInput(JSONInput.Object(parsing: text[...], path: "shard-\(i).json:1")))
        }
        return inputs
    }

    static func failure(_ texts: [String]) -> String {
        do throws(JSONInput.Failure) {
            _ = try ReportMerge.merge(try read(texts))
            return ""
        } catch {
            return error.description
        }
    }

    /// Response times spread over 40 µs … 30 ms by a fixed generator, so that buckets and percentiles differ.
    static func values(_ n: Int, seed: UInt64) -> [UInt64] {
        var rng = SplitMix64(state: seed)
        return (0..<n).map { _ in 40_000 + rng.next() % 30_000_000 }
    }

    static let shard0 = [Window(intended: 1_000, timeouts: 2, response: values(998, seed: 1)),
                         Window(intended: 2_000, errors: 1, notSent: 4, response: values(1_995, seed: 2)),
                         Window(intended: 1_250, response: values(1_250, seed: 3))]
    static let shard1 = [Window(intended: 1_000, response: values(1_000, seed: 4)),
                         Window(intended: 2_000, timeouts: 7, response: values(1_993, seed: 5)),
                         Window(intended: 1_250, notSent: 50, response: values(1_200, seed: 6))]

    @Test("two shards' steps: counts add up exactly window by window, the job's rates are kept, and each window's merged histograms are those of all its raw values (buckets, percentiles, min, max)")
    func shardsAddUpExactly() throws {
        let texts = [Self.json(Self.header(shard: Shard(index: 0, count: 2)), Self.result(Self.shard0)),
                     Self.json(Self.header(shard: Shard(index: 1, count: 2)), Self.result(Self.shard1))]
        let (header, result) = try ReportMerge.merge(try Self.read(texts))
        #expect(header.steps == Self.plan, "a job's shards state the job's rates: kept")
        let parts = try #require(result.steps)
        #expect(parts.count == 3)
        for (i, (a, b)) in zip(Self.shard0, Self.shard1).enumerated() {
            let p = parts[i]
            #expect(p.intended == a.intended + b.intended)
            #expect(p.events.completed == UInt64(a.response.count + b.response.count))
            #expect(p.events.timeouts == a.timeouts + b.timeouts && p.events.errors == a.errors + b.errors)
            #expect(p.notSent == a.notSent + b.notSent && p.intended == p.events.sent + p.notSent)
            var raw = LatencyHistogram.coarse()
            for v in a.response + b.response { raw.record(v) }
            let merged = p.events.responseTime
            #expect(merged.buckets.elementsEqual(raw.buckets) { $0.index == $1.index && $0.count == $1.count }, "window \(i)")
            #expect(merged.percentilesNanos([1, 50, 90, 99, 99.9, 100]) == raw.percentilesNanos([1, 50, 90, 99, 99.9, 100]))
            #expect(merged.minNanos == raw.minNanos && merged.maxNanos == raw.maxNanos)
            #expect(abs(merged.meanNanos - raw.meanNanos) < 1, "mean \(merged.meanNanos) vs \(raw.meanNanos)")
            #expect(p.events.serviceTime.count == raw.count)
        }
        // The merged JSON's steps: achieved rate recomputed over the window, and the whole thing reads back.
        let out = Self.json(header, result)
        let again = try Self.read([out])
        let (h2, r2) = try ReportMerge.merge(again)
        #expect(Self.json(h2, r2) == out, "merging the merge changes nothing")
        let steps = try JSONInput.Object(parsing: out[...], path: "merged").objects("steps")
        #expect(try steps[1].double("achieved_rate") == Double(1_995 + 1 + 1_993 + 7) / 2)
        #expect(try steps[1].uint("sent") == 3_996)
        let text = TextReport.make(header, result, codeNames: { DNSRcode.name($0) })
        #expect(text.contains("steps     --steps 1k@2s,2k@2s,2k..3k@1s"), "the merged text report has the steps table")
    }

    @Test("whole runs side by side: their steps' rates add up, as their requested rates do")
    func wholeRunsAddTheirRates() throws {
        let texts = [Self.json(Self.header(), Self.result(Self.shard0)), Self.json(Self.header(), Self.result(Self.shard1))]
        let (header, _) = try ReportMerge.merge(try Self.read(texts))
        let rates = try #require(header.steps).windows.map { [$0.fromRate, $0.toRate] }
        #expect(rates == [[2_000, 2_000], [4_000, 4_000], [4_000, 6_000]])
        #expect(header.shapeText == "--steps 1k@2s,2k@2s,2k..3k@1s, 2 runs side by side")
    }

    @Test("different plans, shaped with unshaped, and shards of different jobs are refused naming the file and what differs")
    func mismatchesAreRefused() throws {
        let base = Self.json(Self.header(shard: Shard(index: 0, count: 2)), Self.result(Self.shard0))
        var windows = Self.plan.windows
        windows[2] = .init(startNanos: 4_000_000_000, endNanos: 5_000_000_000, fromRate: 2_000, toRate: 4_000, step: 3)
        let otherRate = Self.json(Self.header(shard: Shard(index: 1, count: 2), plan: StepPlan(windows: windows)), Self.result(Self.shard1))
        #expect(Self.failure([base, otherRate]).contains("shard-1.json:1 steps[2] differs from shard-0.json:1's: rate_to 4000 (there 3000)"))
        let shorter = Self.json(Self.header(shard: Shard(index: 1, count: 2), plan: StepPlan(windows: Array(windows.prefix(2)))),
                           Self.result(Array(Self.shard1.prefix(2))))
        #expect(Self.failure([base, shorter]).contains("shard-1.json:1 has 2 steps and shard-0.json:1 3"))
        var plain = ReportFixtures.header()
        plain.workload = []
        let unshaped = Self.json(plain, ReportFixtures.result())
        #expect(Self.failure([unshaped, base]).contains("shard-1.json:1 is a shaped run (steps of --steps or --ramp) and shard-0.json:1 is not"))
        let whole = Self.json(Self.header(), Self.result(Self.shard1))
        #expect(Self.failure([base, whole]).contains("shard-0.json:1 is shard 0/2 of a job and shard-1.json:1 a whole run"))
        let ofFour = Self.json(Self.header(shard: Shard(index: 1, count: 4)), Self.result(Self.shard1))
        #expect(Self.failure([base, ofFour]).contains("shards of different jobs do not merge"))
    }

    @Test("a step whose counts do not add up, or that disagrees with the totals, is refused naming the step and key")
    func brokenStepsAreRefused() throws {
        let text = Self.json(Self.header(), Self.result(Self.shard0))
        let sent = text.replacingOccurrences(of: "\"intended\":2000,\"sent\":1996", with: "\"intended\":2000,\"sent\":1997")
        #expect(sent != text)
        #expect(Self.failure([sent]).contains("shard-0.json:1 steps[1]: sent 1997 is not completed + timeouts + errors + cancelled"))
        let intended = text.replacingOccurrences(of: "\"intended\":1250,", with: "\"intended\":1251,")
        #expect(Self.failure([intended]).contains("steps[2]: intended 1251 is not sent 1250 + not_sent 0"))
        let timeouts = text.replacingOccurrences(of: "\"not_sent\":0,\"completed\":998,\"timeouts\":2,\"errors\":0,\"cancelled\":0",
                                                 with: "\"not_sent\":0,\"completed\":999,\"timeouts\":1,\"errors\":0,\"cancelled\":0")
        #expect(timeouts != text)
        #expect(Self.failure([timeouts]).contains("steps[0] latency_us: holds 998 values for 999 completed"))
        // A step without its histogram (a report of a loadgen before steps carried them).
        var object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var steps = try #require(object["steps"] as? [[String: Any]])
        var latency = try #require(steps[1]["latency_us"] as? [String: Any])
        latency["hdr"] = nil
        steps[1]["latency_us"] = latency
        object["steps"] = steps
        let old = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect(Self.failure([old]).contains("shard-0.json:1 steps[1] latency_us: no 'hdr'"), "\(Self.failure([old]))")
    }

    @Test("plot of merged shards' steps: requested rate as the plan's step line, achieved rate and p50/p99 at each window's middle, as the table states them")
    func stepChartsDrawTheTable() throws {
        let texts = [Self.json(Self.header(shard: Shard(index: 0, count: 2)), Self.result(Self.shard0)),
                     Self.json(Self.header(shard: Shard(index: 1, count: 2)), Self.result(Self.shard1))]
        let (header, result) = try ReportMerge.merge(try Self.read(texts))
        let charts = try PlottedChart.charts(in: SVGChart.document(Plots.stepCharts([("job", header, result)])))
        #expect(charts.count == 2)
        let lines = Dictionary(uniqueKeysWithValues: charts.flatMap(\.lines).map { ($0.name, $0.data) })
        #expect(lines["job: requested"]?.map(\.y) == [1_000, 1_000, 2_000, 2_000, 2_000, 3_000])
        #expect(lines["job: achieved"]?.map(\.x) == [1, 3, 4.5])
        #expect(lines["job: achieved"]?.map(\.y) == [2_000.0 / 2, 3_996.0 / 2, 2_450])
        let parts = try #require(result.steps)
        let p99 = parts.map { Double($0.events.responseTime.percentileNanos(99)) / 1e6 }
        for (drawn, expected) in zip(lines["job: p99"]?.map(\.y) ?? [], p99) { #expect(abs(drawn - expected) < 1e-3) }
        #expect(Plots.stepCharts([("plain", ReportFixtures.header(), ReportFixtures.result())]).isEmpty, "an unshaped run has no step charts")
    }
}
