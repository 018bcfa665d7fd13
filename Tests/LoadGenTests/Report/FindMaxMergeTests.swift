import Testing
@testable import LoadGen

/// `loadgen merge` of `--find-max` shards: searches that went the same way merge step by step, exactly; searches
/// that parted are refused with where they parted and what every shard held.
@Suite struct FindMaxMergeTests {
    /// A row at `rate` (global) of a shard that sent `sent`, lost `lost` to timeouts, and answered in `values`.
    static func row(_ rate: Double, sent: UInt64, lost: UInt64 = 0, failure: String? = nil, seed: UInt64) -> FindMaxSummary.Row {
        var h = LatencyHistogram()
        var rng = SplitMix64(state: seed)
        for _ in 0..<(sent - lost) { h.record(30_000 + rng.next() % 5_000_000) }
        return FindMaxSummary.Row(rate: rate, intended: sent, sent: sent, completed: sent - lost, timeouts: lost, errors: 0,
                                  notSent: 0, achievedRate: Double(sent) / 2, loss: Double(lost) / Double(sent),
                                  p50Nanos: h.percentileNanos(50), p99Nanos: h.percentileNanos(99), maxNanos: h.maxNanos,
                                  failure: failure, responseTime: h)
    }

    static func summary(_ rows: [FindMaxSummary.Row], maxLoss: Double = 0.01) -> FindMaxSummary {
        FindMaxSummary(maxRate: rows.filter { $0.failure == nil }.map(\.rate).max(), maxLoss: maxLoss, stepSeconds: 2,
                       latencyLimits: [.maxLatency(percentile: 99, nanos: 5_000_000)], rows: rows)
    }

    static func report(_ summary: FindMaxSummary?, shard: Int) -> String {
        var h = ReportFixtures.header()
        h.workload = []
        h.findMax = summary
        h.shard = Shard(index: shard, count: 2)
        return JSONReport.make(h, ReportFixtures.result(), codeNames: { DNSRcode.name($0) }).compact()
    }

    static let shard0 = summary([row(1_000, sent: 1_000, seed: 1), row(1_250, sent: 1_250, seed: 2),
                                 row(1_562.5, sent: 1_562, lost: 40, failure: "loss 2.561% above 1%", seed: 3)])
    static let shard1 = summary([row(1_000, sent: 1_000, seed: 4), row(1_250, sent: 1_250, lost: 3, seed: 5),
                                 row(1_562.5, sent: 1_563, lost: 30, failure: "loss 1.919% above 1%", seed: 6)])

    @Test("two shards that searched the same way: each step's counts and achieved rates add up, loss is recomputed, percentiles are those of all the values, the job's max is theirs")
    func sameWayMerges() throws {
        let inputs = try ReportMergeStepsTests.read([Self.report(Self.shard0, shard: 0), Self.report(Self.shard1, shard: 1)])
        let (header, _) = try ReportMerge.merge(inputs)
        let merged = try #require(header.findMax)
        #expect(merged.maxRate == 1_250 && merged.rows.count == 3)
        #expect(merged.latencyLimits == Self.shard0.latencyLimits && merged.maxLoss == 0.01)
        for (i, row) in merged.rows.enumerated() {
            let (a, b) = (Self.shard0.rows[i], Self.shard1.rows[i])
            #expect(row.rate == a.rate && row.sent == a.sent + b.sent && row.timeouts == a.timeouts + b.timeouts)
            #expect(row.achievedRate == a.achievedRate + b.achievedRate)
            #expect(row.loss == Double(a.timeouts + b.timeouts) / Double(a.sent + b.sent))
            var all = a.responseTime!
            all.add(b.responseTime!)
            #expect(row.p50Nanos == all.percentileNanos(50) && row.p99Nanos == all.percentileNanos(99) && row.maxNanos == all.maxNanos)
        }
        #expect(merged.rows[2].failure == "loss 2.561% above 1%; loss 1.919% above 1%")
        #expect(merged.rows[1].failure == nil)
        let text = FindMaxReport.text(merged).joined(separator: "\n")
        #expect(text.contains("1250/s is the highest rate that held") || text.contains("1.25k/s is the highest rate that held"), "\(text)")
    }

    @Test("searches that parted, a search with a plain run, and other settings are refused naming the file")
    func partedSearchesAreRefused() {
        // Shard 1 failed 1250/s where shard 0 held it: shard 0 went up to 1562.5/s, shard 1 down to 1125/s.
        let parted = Self.summary([Self.row(1_000, sent: 1_000, seed: 4),
                                   Self.row(1_250, sent: 1_250, lost: 30, failure: "loss 2.4% above 1%", seed: 5),
                                   Self.row(1_125, sent: 1_125, seed: 6)])
        let message = ReportMergeStepsTests.failure([Self.report(Self.shard0, shard: 0), Self.report(parted, shard: 1)])
        #expect(message.contains("shard-1.json:1: its --find-max search went another way than shard-0.json:1's: at step 2 (1250/s) it failed (loss 2.4% above 1%) where shard-0.json:1 held")
                    || message.contains("at step 2 (1.25k/s) it failed (loss 2.4% above 1%) where shard-0.json:1 held"), "\(message)")
        #expect(message.contains("Every shard held 1000/s") || message.contains("Every shard held 1k/s"), "\(message)")
        let plain = ReportMergeStepsTests.failure([Self.report(Self.shard0, shard: 0), Self.report(nil, shard: 1)])
        #expect(plain.contains("shard-0.json:1 is a --find-max search and shard-1.json:1 is not"), "\(plain)")
        let other = ReportMergeStepsTests.failure([Self.report(Self.shard0, shard: 0),
                                                   Self.report(Self.summary(Self.shard1.rows, maxLoss: 0.02), shard: 1)])
        #expect(other.contains("shard-1.json:1 searched with other --max-loss, --step-duration or --max-latency"), "\(other)")
    }

    @Test("one find-max report merged alone is reproduced")
    func oneReportIsReproduced() throws {
        let text = Self.report(Self.shard0, shard: 0)
        let (h, r) = try ReportMerge.merge(try ReportMergeStepsTests.read([text]))
        let merged = try #require(h.findMax)
        #expect(FindMaxReport.json(merged).compact() == FindMaxReport.json(Self.shard0).compact())
        #expect(r.counters.sent == ReportFixtures.result().counters.sent)
    }
}
