/// One thing loadgen generated that the tracer should have seen: a DNS query (one event), or an HTTP connection
/// (the events sent on it).
struct VerifyUnit {
    /// The event's seq (for a connection, its first event's).
    var seq: UInt64
    /// nil when the event lacks a join field (then it cannot be matched).
    var key: String?
    var netns: UInt64?
    var sent: SentTimes
    /// HTTP: the connection number, and how many logged events went over it.
    var connection: UInt64?
    var events = 1
}

/// The join of generated units with observed records: by key, with multiplicity (a key generated twice needs two
/// observations), each side of the exchange (`ObservedSide`) on its own, in O(units + records).
struct VerifyJoin {
    static let sampleLimit = 10

    struct Duplicate {
        var key: String
        /// Observations beyond the generated count, over both sides.
        var extra: Int
        var generated: Int
    }

    /// Per unit (`units` order): whether it was matched on some side.
    var matchedUnits: [Bool]
    var matched = 0
    /// Matched only by records of the receiving side.
    var matchedReceivedOnly = 0
    /// Unmatched unit indices, in seq order.
    var missed: [Int] = []
    var unexpected = 0
    /// Of `unexpected`: the key was generated, but in another network namespace.
    var unexpectedOtherNetns = 0
    /// Observed record indices, in file order, the first `sampleLimit`.
    var unexpectedSamples: [Int] = []
    var duplicates = 0
    var duplicateSamples: [Duplicate] = []
    /// Observed time − sent time of each matched unit with a timestamp, ns (unsorted), and the clocks used.
    var delays: [Int64] = []
    var delayClocks: [ObservedClock] = []
    /// Matched records whose clock had no sent time in the log (an older log without sent_boottime_ns, ...).
    var delaysWithoutSentTime = 0

    init(units: [VerifyUnit], observed: [ObservedRecord]) {
        matchedUnits = [Bool](repeating: false, count: units.count)
        let order = units.indices.sorted { units[$0].seq < units[$1].seq }
        let useNetns = observed.contains { $0.netns != nil && $0.side == .sent }
        var queues = Queues(units: units, order: order, useNetns: useNetns)
        var firstTime = [[ObservedTime?]](repeating: [ObservedTime?](repeating: nil, count: units.count),
                                          count: ObservedSide.allCases.count)
        var duplicateIndex: [String: Int] = [:]
        for (r, record) in observed.enumerated() {
            let (unit, generatedHere) = queues.match(record, useNetns: useNetns)
            if let unit {
                let side = record.side.rawValue
                if firstTime[side][unit] == nil { firstTime[side][unit] = record.time }
            } else if generatedHere {
                countDuplicate(record.key, generated: queues.generatedCount(record.key), index: &duplicateIndex)
            } else {
                unexpected += 1
                if queues.byKey[record.key] != nil { unexpectedOtherNetns += 1 }
                if unexpectedSamples.count < VerifyJoin.sampleLimit { unexpectedSamples.append(r) }
            }
        }
        summarize(units, order: order, taken: queues.taken, firstTime: firstTime)
    }

    private mutating func countDuplicate(_ key: String, generated: Int, index: inout [String: Int]) {
        duplicates += 1
        if let i = index[key] {
            duplicateSamples[i].extra += 1
        } else if duplicateSamples.count < VerifyJoin.sampleLimit {
            index[key] = duplicateSamples.count
            duplicateSamples.append(Duplicate(key: key, extra: 1, generated: generated))
        }
    }

    /// Matched and missed units, in seq order, and the observe delay of each matched one (the sending side's first
    /// record when there is one, else the receiving side's).
    private mutating func summarize(_ units: [VerifyUnit], order: [Int], taken: [[Bool]], firstTime: [[ObservedTime?]]) {
        let (sent, received) = (ObservedSide.sent.rawValue, ObservedSide.received.rawValue)
        var clocks = Set<ObservedClock>()
        for u in order {
            guard taken[sent][u] || taken[received][u] else {
                missed.append(u)
                continue
            }
            matchedUnits[u] = true
            matched += 1
            if !taken[sent][u] { matchedReceivedOnly += 1 }
            guard let time = (taken[sent][u] ? firstTime[sent][u] : nil) ?? firstTime[received][u] else { continue }
            guard let sentNanos = units[u].sent.nanos(on: time.clock) else {
                delaysWithoutSentTime += 1
                continue
            }
            delays.append(time.nanos &- sentNanos)
            clocks.insert(time.clock)
        }
        delayClocks = ObservedClock.allCases.filter { clocks.contains($0) }
    }

    private struct NetnsKey: Hashable {
        var key: String
        var netns: UInt64
    }

    /// The units waiting for a record, per key (and per key and netns when the tracer reports namespaces), in seq
    /// order: queue q is flat[offsets[q]..<offsets[q + 1]], one allocation for all of them. Each side takes units
    /// from the front on its own.
    private struct Queues {
        var byKey: [String: Int] = [:]
        var byKeyNetns: [NetnsKey: Int] = [:]
        var counts: [Int] = []
        var offsets: [Int] = []
        var flat: [Int] = []
        var heads: [[Int]] = []
        var taken: [[Bool]]

        init(units: [VerifyUnit], order: [Int], useNetns: Bool) {
            let sides = ObservedSide.allCases.count
            taken = [[Bool]](repeating: [Bool](repeating: false, count: units.count), count: sides)
            let unitQueues = assignQueues(units, order: order, useNetns: useNetns)
            offsets = [Int](repeating: 0, count: counts.count + 1)
            for q in counts.indices { offsets[q + 1] = offsets[q] + counts[q] }
            var fill = offsets
            flat = [Int](repeating: 0, count: offsets[counts.count])
            for u in order where units[u].key != nil {
                let (q, nq) = unitQueues[u]
                flat[fill[q]] = u
                fill[q] += 1
                if nq >= 0 {
                    flat[fill[nq]] = u
                    fill[nq] += 1
                }
            }
            heads = [[Int]](repeating: Array(offsets.dropLast()), count: sides)
        }

        /// Each unit's queue by key and by key and netns (-1: none), counting the units of each queue.
        private mutating func assignQueues(_ units: [VerifyUnit], order: [Int], useNetns: Bool) -> [(Int, Int)] {
            byKey.reserveCapacity(units.count)
            if useNetns { byKeyNetns.reserveCapacity(units.count) }
            counts.reserveCapacity(units.count)
            var unitQueues = [(Int, Int)](repeating: (-1, -1), count: units.count)
            for u in order {
                guard let key = units[u].key else { continue }
                let q = byKey[key] ?? newQueue()
                byKey[key] = q
                counts[q] += 1
                var nq = -1
                if useNetns {
                    let nk = NetnsKey(key: key, netns: units[u].netns ?? 0)
                    nq = byKeyNetns[nk] ?? newQueue()
                    byKeyNetns[nk] = nq
                    counts[nq] += 1
                }
                unitQueues[u] = (q, nq)
            }
            return unitQueues
        }

        private mutating func newQueue() -> Int {
            counts.append(0)
            return counts.count - 1
        }

        /// How many units have `key`.
        func generatedCount(_ key: String) -> Int { byKey[key].map { counts[$0] } ?? 0 }

        /// The unit `record` matches on its side, if one is left, and whether its key was generated at all (in
        /// the record's netns, when the join uses namespaces).
        mutating func match(_ record: ObservedRecord, useNetns: Bool) -> (unit: Int?, generatedHere: Bool) {
            let side = record.side.rawValue
            if useNetns, record.side == .sent, let netns = record.netns {
                let exact = byKeyNetns[NetnsKey(key: record.key, netns: netns)]
                let unknown = byKeyNetns[NetnsKey(key: record.key, netns: 0)]
                return (take(exact, side) ?? take(unknown, side), exact != nil || unknown != nil)
            }
            return (take(byKey[record.key], side), byKey[record.key] != nil)
        }

        /// The first unit of queue `q` not yet taken on `side`.
        private mutating func take(_ q: Int?, _ side: Int) -> Int? {
            guard let q else { return nil }
            var h = heads[side][q]
            let end = offsets[q + 1]
            while h < end, taken[side][flat[h]] { h += 1 }
            guard h < end else {
                heads[side][q] = h
                return nil
            }
            heads[side][q] = h + 1
            taken[side][flat[h]] = true
            return flat[h]
        }
    }
}

/// min, percentiles and max of a set of nanosecond values.
struct ObserveDelaySummary: Equatable {
    var count: Int
    var min: Int64
    var p50: Int64
    var p90: Int64
    var p99: Int64
    var max: Int64

    /// Nearest-rank percentiles; nil for no values.
    init?(_ values: [Int64]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func rank(_ p: Double) -> Int64 {
            let index = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
        }
        count = sorted.count
        min = sorted[0]
        p50 = rank(0.50)
        p90 = rank(0.90)
        p99 = rank(0.99)
        max = sorted[sorted.count - 1]
    }
}
