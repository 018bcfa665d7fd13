/// What a DNS run saw beyond the fate of its events: answers that matched no query in flight, and queries sent
/// again. None of these is an event of its own; `sent == completed + timeouts + errors + cancelled` still holds.
struct DNSCounters: Sendable, Equatable {
    /// A second (or later) answer to a query that was already answered.
    var duplicateAnswers: UInt64 = 0
    /// An answer to a query that had already timed out.
    var lateAnswers: UInt64 = 0
    /// An answer whose ID and question match no query in flight (a wrong ID, or a wrong question for the ID).
    var idMismatches: UInt64 = 0
    /// Truncated UDP answers whose query was sent again over TCP (`--tc-fallback`).
    var tcFallbacks: UInt64 = 0
    /// Queries sent again on a new TCP connection because the server closed or reset the one they were on.
    var retried: UInt64 = 0

    mutating func add(_ other: DNSCounters) {
        duplicateAnswers += other.duplicateAnswers
        lateAnswers += other.lateAnswers
        idMismatches += other.idMismatches
        tcFallbacks += other.tcFallbacks
        retried += other.retried
    }

    /// True when any counter is above zero (the text report then prints them).
    var any: Bool { self != DNSCounters() }
}
