/// What became of each query ID on one channel, so that an answer c-ares matched to no query can be told apart:
/// a duplicate of an answered query, a late answer to a timed-out one, a truncated answer whose query goes on
/// over TCP, or one that matches nothing in flight (a wrong ID, or a wrong question for an ID in flight).
/// Pure bookkeeping: 64 KiB, one byte per ID, allocated once. Loop thread only.
final class AnswerLedger {
    /// The last thing that happened to an ID.
    enum Fate: UInt8 {
        case unused = 0, inFlight, answered, timedOut, ended
    }

    /// How an answer no query took is counted.
    enum Unmatched: Equatable {
        case duplicate, late, mismatch, tcFallback
    }

    private let fates: UnsafeMutablePointer<UInt8>
    private(set) var counters = DNSCounters()

    init() {
        fates = .allocate(capacity: 65_536)
        fates.initialize(repeating: Fate.unused.rawValue, count: 65_536)
    }

    deinit { fates.deallocate() }

    func fate(of id: UInt16) -> Fate { Fate(rawValue: fates[Int(id)]) ?? .unused }

    /// A query with `id` went out.
    @inline(__always)
    func sent(id: UInt16) { fates[Int(id)] = Fate.inFlight.rawValue }

    /// The query with `id` ended.
    @inline(__always)
    func ended(id: UInt16, _ fate: Fate) { fates[Int(id)] = fate.rawValue }

    /// The answer to query `id` arrived after its timeout but before c-ares expired the query: the query timed
    /// out, and the answer counts as late.
    func answeredLate(id: UInt16) {
        ended(id: id, .timedOut)
        counters.lateAnswers += 1
    }

    /// Counts a datagram that is not a response at all (QR clear) as matching no query.
    func notAResponse() { counters.idMismatches += 1 }

    /// Counts an answer with `id` that completed no query. `truncated`: its TC bit; `tcFallback`: truncated
    /// answers make c-ares send the query again over TCP (the query stays in flight).
    @discardableResult
    func unmatched(id: UInt16, truncated: Bool, tcFallback: Bool) -> Unmatched {
        let kind: Unmatched
        switch fate(of: id) {
        case .inFlight: kind = truncated && tcFallback ? .tcFallback : .mismatch
        case .answered: kind = .duplicate
        case .timedOut: kind = .late
        case .unused, .ended: kind = .mismatch
        }
        switch kind {
        case .duplicate: counters.duplicateAnswers += 1
        case .late: counters.lateAnswers += 1
        case .mismatch: counters.idMismatches += 1
        case .tcFallback: counters.tcFallbacks += 1
        }
        return kind
    }
}
