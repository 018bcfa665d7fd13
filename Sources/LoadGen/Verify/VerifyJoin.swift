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

        // Candidates per key (and per key and netns when the tracer reports namespaces), in seq order: queue q is
        // flat[offsets[q]..<offsets[q + 1]]; one allocation for all of them.
        let useNetns = observed.contains { $0.netns != nil && $0.side == .sent }
        var byKey: [String: Int] = [:]
        var byKeyNetns: [NetnsKey: Int] = [:]
        byKey.reserveCapacity(units.count)
        if useNetns { byKeyNetns.reserveCapacity(units.count) }
        var unitQueues = [(Int, Int)](repeating: (-1, -1), count: units.count)
        var counts: [Int] = []
        counts.reserveCapacity(units.count)
        for u in order {
            guard let key = units[u].key else { continue }
            let q: Int
            if let known = byKey[key] {
                q = known
            } else {
                q = counts.count
                byKey[key] = q
                counts.append(0)
            }
            counts[q] += 1
            var nq = -1
            if useNetns {
                let nk = NetnsKey(key: key, netns: units[u].netns ?? 0)
                if let known = byKeyNetns[nk] {
                    nq = known
                } else {
                    nq = counts.count
                    byKeyNetns[nk] = nq
                    counts.append(0)
                }
                counts[nq] += 1
            }
            unitQueues[u] = (q, nq)
        }
        var offsets = [Int](repeating: 0, count: counts.count + 1)
        for q in counts.indices { offsets[q + 1] = offsets[q] + counts[q] }
        var fill = offsets
        var flat = [Int](repeating: 0, count: offsets[counts.count])
        for u in order where units[u].key != nil {
            let (q, nq) = unitQueues[u]
            flat[fill[q]] = u
            fill[q] += 1
            if nq >= 0 {
                flat[fill[nq]] = u
                fill[nq] += 1
            }
        }

        let sides = ObservedSide.allCases.count
        var heads = [[Int]](repeating: Array(offsets.dropLast()), count: sides)
        var taken = [[Bool]](repeating: [Bool](repeating: false, count: units.count), count: sides)
        var firstTime = [[ObservedTime?]](repeating: [ObservedTime?](repeating: nil, count: units.count), count: sides)
        var duplicateIndex: [String: Int] = [:]

        /// The first unit of queue `q` not yet taken on `side`.
        func take(_ q: Int?, _ side: Int) -> Int? {
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

        for (r, record) in observed.enumerated() {
            let side = record.side.rawValue
            let unit: Int?
            var generatedHere: Bool
            if useNetns, record.side == .sent, let netns = record.netns {
                let exact = byKeyNetns[NetnsKey(key: record.key, netns: netns)]
                let unknown = byKeyNetns[NetnsKey(key: record.key, netns: 0)]
                unit = take(exact, side) ?? take(unknown, side)
                generatedHere = exact != nil || unknown != nil
            } else {
                unit = take(byKey[record.key], side)
                generatedHere = byKey[record.key] != nil
            }
            if let unit {
                if firstTime[side][unit] == nil { firstTime[side][unit] = record.time }
                continue
            }
            if generatedHere {
                duplicates += 1
                if let i = duplicateIndex[record.key] {
                    duplicateSamples[i].extra += 1
                } else if duplicateSamples.count < VerifyJoin.sampleLimit {
                    duplicateIndex[record.key] = duplicateSamples.count
                    duplicateSamples.append(Duplicate(key: record.key, extra: 1,
                                                      generated: counts[byKey[record.key]!]))
                }
            } else {
                unexpected += 1
                if byKey[record.key] != nil { unexpectedOtherNetns += 1 }
                if unexpectedSamples.count < VerifyJoin.sampleLimit { unexpectedSamples.append(r) }
            }
        }

        var clocks = Set<ObservedClock>()
        for u in order {
            let sentSide = taken[ObservedSide.sent.rawValue][u]
            let receivedSide = taken[ObservedSide.received.rawValue][u]
            guard sentSide || receivedSide else {
                missed.append(u)
                continue
            }
            matchedUnits[u] = true
            matched += 1
            if !sentSide { matchedReceivedOnly += 1 }
            let time = (sentSide ? firstTime[ObservedSide.sent.rawValue][u] : nil)
                ?? firstTime[ObservedSide.received.rawValue][u]
            guard let time else { continue }
            guard let sent = units[u].sent.nanos(on: time.clock) else {
                delaysWithoutSentTime += 1
                continue
            }
            delays.append(time.nanos &- sent)
            clocks.insert(time.clock)
        }
        delayClocks = ObservedClock.allCases.filter { clocks.contains($0) }
    }

    private struct NetnsKey: Hashable {
        var key: String
        var netns: UInt64
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
