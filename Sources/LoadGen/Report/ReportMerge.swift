/// Combines reports read back (`ReportInput`) into one run, as HdrHistograms combine: counts, codes, error kinds,
/// not-sent reasons and histograms add up; the threads of every input are listed; rates and concurrency add up
/// (each shard of a sharded run reports its share); durations are the longest input's, since shards share one
/// origin (`--start-at`). tcp and udp reports keep their `addresses` (each once) and their `per_target` counts,
/// summed by target (`HOST:PORT` as given) and, within it, by address: reports with different target lists merge,
/// each target and address counted exactly over the reports that have it. Reports of different kinds or
/// transports do not merge. Shaped runs' step windows merge window by window (`ReportMerge+Steps`), `--find-max`
/// searches step by step (`FindMaxSummary+Merge`).
enum ReportMerge {
    static func merge(_ inputs: [ReportInput]) throws(JSONInput.Failure) -> (ReportHeader, RunResult) {
        guard var header = inputs.first?.header else { throw JSONInput.Failure(description: "no report to merge") }
        for input in inputs.dropFirst() {
            guard input.header.kind == header.kind, input.header.transport == header.transport else {
                throw JSONInput.Failure(description: "cannot merge \(describe(input.header)) with \(describe(header)): merge runs of one kind")
            }
        }
        header.findMax = try FindMaxSummary.merge(inputs)
        header.steps = try stepPlan(inputs)
        header.shapeText = shapeText(inputs)
        let headers = inputs.map(\.header)
        header.threads = headers.reduce(0) { $0 + $1.threads }
        header.concurrency = headers.reduce(0) { $0 + $1.concurrency }
        header.timeoutNanos = headers.map(\.timeoutNanos).max() ?? 0
        let rates = headers.compactMap(\.requestedRate)
        header.requestedRate = rates.isEmpty ? nil : rates.reduce(0, +)
        let names = unique(headers.compactMap(\.netns))
        header.netns = names.isEmpty ? nil : names.joined(separator: ",")
        if Set(headers.map(\.netnsInode)).count > 1 { header.netnsInode = 0 }
        header.targets = unique(headers.flatMap(\.targets))
        header.targetsSource = joined(headers.map(\.targetsSource)) ?? ""
        header.warmupNanos = headers.compactMap(\.warmupNanos).max()
        var result = RunResult(threads: inputs.flatMap(\.threads), originNanos: 0,
                               endNanos: inputs.map(\.runNanos).max() ?? 0,
                               windowNanos: inputs.map(\.windowNanos).max() ?? 0,
                               interrupted: inputs.contains { $0.interrupted })
        // The documents' totals, not the sum of their threads' rounded milliseconds.
        var cpu: UInt64 = 0
        for input in inputs {
            let (sum, overflow) = cpu.addingReportingOverflow(input.cpuNanos)
            guard !overflow else { throw JSONInput.Failure(description: "the reports' client_cpu_ms add up to more than 2^64 ns") }
            cpu = sum
        }
        result.cpuNanos = cpu
        return (header, result)
    }

    /// "a dns report over udp"; a tcp or udp report, whose transport is its kind, is "a tcp report".
    private static func describe(_ h: ReportHeader) -> String {
        h.transport == h.kind ? "a \(h.kind) report" : "a \(h.kind) report over \(h.transport)"
    }

    /// The distinct values in first-seen order.
    private static func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }

    /// The one value all share, or the distinct ones joined with ","; nil for none.
    private static func joined(_ values: [String]) -> String? {
        let distinct = unique(values)
        return distinct.isEmpty ? nil : distinct.joined(separator: ",")
    }
}
