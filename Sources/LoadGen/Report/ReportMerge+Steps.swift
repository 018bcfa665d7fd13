/// The step windows of shaped runs (`--steps`, `--ramp`) merged: the inputs must have run one plan (the same
/// windows: step, start, end and rates), and their windows' counts and histograms add up window by window (the
/// parts travel on each input's first thread; `RunResult` sums them).
///
/// What the merged rates mean: a window's `rate_from`/`rate_to` are its schedule's rates. The shards of one job
/// (`--shard I/N`, `--shards N`) each report the whole job's schedule (each sends every N-th event of it), so their
/// merge keeps those rates: the job's requested rate beside the job's achieved rate. Whole runs side by side each
/// ran the schedule in full, so their rates add up, as their requested rates do.
extension ReportMerge {
    /// The merged plan, or nil when no input is shaped. Throws, naming the file and what differs, when only some
    /// inputs are shaped, their plans differ, or shards of different jobs (or shards and whole runs) are mixed.
    static func stepPlan(_ inputs: [ReportInput]) throws(JSONInput.Failure) -> StepPlan? {
        guard let shaped = inputs.first(where: { $0.header.steps != nil }), let plan = shaped.header.steps else { return nil }
        if let plain = inputs.first(where: { $0.header.steps == nil }) {
            throw JSONInput.Failure(description: "\(shaped.source) is a shaped run (steps of --steps or --ramp) and \(plain.source) is not: merge runs of one rate shape")
        }
        for input in inputs.dropFirst() { try samePlan(input, as: inputs[0]) }
        let shards = inputs.map(\.shard)
        if let whole = inputs.first(where: { $0.shard == nil }), let part = inputs.first(where: { $0.shard != nil }) {
            throw JSONInput.Failure(description: "\(part.source) is shard \(part.shard!) of a job and \(whole.source) a whole run: a shard's steps state the job's rates, a whole run's its own; merge the shards of one job, or whole runs")
        }
        if Set(shards.compactMap { $0?.count }).count > 1 {
            let other = inputs.first { $0.shard?.count != inputs[0].shard?.count }!
            throw JSONInput.Failure(description: "\(other.source) is shard \(other.shard!) and \(inputs[0].source) shard \(inputs[0].shard!): shards of different jobs do not merge")
        }
        guard shards[0] == nil, inputs.count > 1 else { return plan }
        let runs = Double(inputs.count)
        return StepPlan(windows: plan.windows.map {
            StepPlan.Window(startNanos: $0.startNanos, endNanos: $0.endNanos, fromRate: $0.fromRate * runs,
                            toRate: $0.toRate * runs, step: $0.step)
        })
    }

    /// The merged report's `rate_shape`: as written, and for whole runs side by side how many ran it.
    static func shapeText(_ inputs: [ReportInput]) -> String? {
        guard let text = inputs.first?.header.shapeText else { return nil }
        return inputs.count > 1 && inputs[0].shard == nil ? "\(text), \(inputs.count) runs side by side" : text
    }

    /// Throws unless `input`'s windows are `base`'s, naming the first difference.
    private static func samePlan(_ input: ReportInput, as base: ReportInput) throws(JSONInput.Failure) {
        let (a, b) = (input.header.steps!.windows, base.header.steps!.windows)
        let differ = "; a shaped run's steps merge only with the same plan (--steps or --rate/--ramp, --duration or --count)"
        guard a.count == b.count else {
            throw JSONInput.Failure(description: "\(input.source) has \(a.count) steps and \(base.source) \(b.count)\(differ)")
        }
        for (i, (x, y)) in zip(a, b).enumerated() where x != y {
            let fields: [(String, String, String)] = [
                ("step", String(x.step), String(y.step)),
                ("start_s", seconds(x.startNanos), seconds(y.startNanos)), ("end_s", seconds(x.endNanos), seconds(y.endNanos)),
                ("rate_from", number(x.fromRate), number(y.fromRate)), ("rate_to", number(x.toRate), number(y.toRate)),
            ]
            let what = fields.filter { $0.1 != $0.2 }.map { "\($0.0) \($0.1) (there \($0.2))" }.joined(separator: ", ")
            throw JSONInput.Failure(description: "\(input.source) steps[\(i)] differs from \(base.source)'s: \(what)\(differ)")
        }
    }

    private static func seconds(_ nanos: UInt64) -> String { number(Double(nanos) / 1e9) }

    /// Up to nine decimals, as the report writes them.
    private static func number(_ value: Double) -> String { JSONReport.precise(value).serialized() }
}
