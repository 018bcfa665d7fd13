/// `find_max` read back, and the searches of a sharded `--find-max` job merged (`loadgen merge`).
///
/// Each shard searches on its own, at the global rate (each sends its 1/N share), judging only its own events.
/// While every shard's steps went at the same rates with the same verdicts, step k of every shard ran at the same
/// global rate at the same time (steps last `--step-duration` from one `--start-at`): the merged step k is the
/// job's step at that rate, counts and histograms added up, and the job's highest rate that held is the shards'.
/// Once one shard's verdict differs, their next steps ran at different rates at the same time: no later step and
/// no shard's report (the step at its own highest rate) is the job's, so such searches do not merge; the message
/// says how far they went together and the highest rate every shard held.
extension FindMaxSummary {
    init(reading o: JSONInput.Object) throws(JSONInput.Failure) {
        maxRate = try o.optionalDouble("max_rate")
        maxLoss = try o.double("max_loss")
        stepSeconds = try o.double("step_duration_s")
        let limits = try o.object("max_latency")
        var read: [(percentile: Double, limit: Threshold)] = []
        for name in limits.members.keys.sorted() {
            let prefix = "max_latency_p"
            guard name.hasPrefix(prefix), let p = Double(name.dropFirst(prefix.count)), p > 0, p <= 100 else {
                throw JSONInput.Failure(description: "\(limits.path): '\(name)' is not max_latency_pNN")
            }
            read.append((p, .maxLatency(percentile: p, nanos: ReportInput.nanos(micros: try limits.double(name)))))
        }
        // JSON objects keep no order: the limits come back by percentile.
        latencyLimits = read.sorted { $0.percentile < $1.percentile }.map(\.limit)
        var rows: [Row] = []
        for step in try o.objects("steps") { rows.append(try FindMaxSummary.row(step)) }
        self.rows = rows
    }

    private static func row(_ o: JSONInput.Object) throws(JSONInput.Failure) -> Row {
        let (intended, sent, notSent) = (try o.uint("intended"), try o.uint("sent"), try o.uint("not_sent"))
        guard intended == sent + notSent else {
            throw JSONInput.Failure(description: "\(o.path): intended \(intended) is not sent \(sent) + not_sent \(notSent)")
        }
        let failure = try o.optionalString("failure")
        guard try o.bool("held") == (failure == nil) else {
            throw JSONInput.Failure(description: "\(o.path): 'held' and 'failure' disagree")
        }
        let latency = try o.object("latency_us")
        let h = latency.has("hdr") ? try ReportInput.histogram(latency, overRange: 0) : nil
        return Row(rate: try o.double("rate"), intended: intended, sent: sent, completed: try o.uint("completed"),
                   timeouts: try o.uint("timeouts"), errors: try o.uint("errors"), notSent: notSent,
                   achievedRate: try o.double("achieved_rate"), loss: try o.double("loss"),
                   p50Nanos: ReportInput.nanos(micros: try latency.double("p50")),
                   p99Nanos: ReportInput.nanos(micros: try latency.double("p99")),
                   maxNanos: ReportInput.nanos(micros: try latency.double("max")), failure: failure, responseTime: h)
    }

    /// The job's search from its shards' (see the type's note); nil when no input searched. Inputs that are not
    /// all searches, searched with other settings, or went different ways are an error naming the file.
    static func merge(_ inputs: [ReportInput]) throws(JSONInput.Failure) -> FindMaxSummary? {
        guard let first = inputs.first(where: { $0.header.findMax != nil }), let base = first.header.findMax else { return nil }
        if let plain = inputs.first(where: { $0.header.findMax == nil }) {
            throw JSONInput.Failure(description: "\(first.source) is a --find-max search and \(plain.source) is not: merge the reports of one kind of run")
        }
        guard inputs.count > 1 else { return base }
        for input in inputs.dropFirst() {
            let s = input.header.findMax!
            guard s.maxLoss == base.maxLoss, s.stepSeconds == base.stepSeconds, s.latencyLimits == base.latencyLimits else {
                throw JSONInput.Failure(description: "\(input.source) searched with other --max-loss, --step-duration or --max-latency than \(first.source): its steps do not line up")
            }
            try sameWay(s, input.source, as: base, first.source)
        }
        var rows: [Row] = []
        for i in base.rows.indices { rows.append(try mergedRow(inputs.map { ($0.source, $0.header.findMax!.rows[i]) }, step: i)) }
        return FindMaxSummary(maxRate: base.maxRate, maxLoss: base.maxLoss, stepSeconds: base.stepSeconds,
                              latencyLimits: base.latencyLimits, rows: rows)
    }

    /// Throws unless `s` tried the rates `base` tried, in order, with the same verdicts.
    private static func sameWay(_ s: FindMaxSummary, _ source: String, as base: FindMaxSummary,
                                _ baseSource: String) throws(JSONInput.Failure) {
        let common = min(s.rows.count, base.rows.count)
        let k = (0..<common).first { s.rows[$0].rate != base.rows[$0].rate || (s.rows[$0].failure == nil) != (base.rows[$0].failure == nil) }
        guard k != nil || s.rows.count != base.rows.count else { return }
        let at = k ?? common
        let what: String
        if let k, s.rows[k].rate == base.rows[k].rate {
            what = "at step \(k + 1) (\(Wording.rate(s.rows[k].rate))/s) it \(verdict(s.rows[k])) where \(baseSource) \(verdict(base.rows[k]))"
        } else if let k {
            what = "at step \(k + 1) it tried \(Wording.rate(s.rows[k].rate))/s where \(baseSource) tried \(Wording.rate(base.rows[k].rate))/s"
        } else {
            what = "it ran \(s.rows.count) steps where \(baseSource) ran \(base.rows.count)"
        }
        // Before `at` both held the same steps; the step at `at` (same rate, verdicts apart) did not hold for the job.
        let held = base.rows.prefix(at).filter { $0.failure == nil }.map(\.rate).max()
        let job = held.map { "Every shard held \(Wording.rate($0))/s: the job's highest rate that held as far as their steps line up" }
            ?? "No rate held in every shard before they went apart"
        throw JSONInput.Failure(description: "\(source): its --find-max search went another way than \(baseSource)'s: \(what); after that the shards' steps ran at different rates at the same time, so neither their later steps nor their reports (each the step at its own highest rate) are one job's, and they do not merge. \(job).")
    }

    private static func verdict(_ row: Row) -> String {
        row.failure.map { "failed (\($0))" } ?? "held"
    }

    /// The job's step `step` from the shards' rows of it (same rate and verdict): counts and achieved rates add up,
    /// loss is recomputed, percentiles come from the added histograms.
    private static func mergedRow(_ rows: [(source: String, row: Row)], step: Int) throws(JSONInput.Failure) -> Row {
        var h = LatencyHistogram()
        for (source, row) in rows {
            guard let own = row.responseTime else {
                throw JSONInput.Failure(description: "\(source) find_max steps[\(step)] latency_us: no 'hdr' (a report of an older loadgen): its percentiles cannot be added up")
            }
            h.add(own)
        }
        let all = rows.map(\.row)
        func sum(_ key: KeyPath<Row, UInt64>) -> UInt64 { all.reduce(0) { $0 + $1[keyPath: key] } }
        let (sent, timeouts, errors) = (sum(\.sent), sum(\.timeouts), sum(\.errors))
        var failures: [String] = []
        for failure in all.compactMap(\.failure) where !failures.contains(failure) { failures.append(failure) }
        return Row(rate: all[0].rate, intended: sum(\.intended), sent: sent, completed: sum(\.completed), timeouts: timeouts,
                   errors: errors, notSent: sum(\.notSent), achievedRate: all.reduce(0) { $0 + $1.achievedRate },
                   loss: sent == 0 ? 0 : Double(timeouts + errors) / Double(sent), p50Nanos: h.percentileNanos(50),
                   p99Nanos: h.percentileNanos(99), maxNanos: h.maxNanos,
                   failure: failures.isEmpty ? nil : failures.joined(separator: "; "), responseTime: h)
    }
}
