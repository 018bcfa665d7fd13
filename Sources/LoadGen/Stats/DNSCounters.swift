/// What a DNS run saw beyond the fate of its events: answers that matched no query in flight, and queries sent
/// again over TCP after a truncated answer (queries sent again after a lost connection are `ThreadResult.retried`).
/// None of these is an event of its own; `sent == completed + timeouts + errors + cancelled` still holds.
struct DNSCounters: Sendable, Equatable {
    /// A second (or later) answer to a query that was already answered.
    var duplicateAnswers: UInt64 = 0
    /// An answer to a query that had already timed out.
    var lateAnswers: UInt64 = 0
    /// An answer whose ID and question match no query in flight (a wrong ID, or a wrong question for the ID).
    var idMismatches: UInt64 = 0
    /// Truncated UDP answers whose query was sent again over TCP (`--tc-fallback`).
    var tcFallbacks: UInt64 = 0

    mutating func add(_ other: DNSCounters) {
        duplicateAnswers += other.duplicateAnswers
        lateAnswers += other.lateAnswers
        idMismatches += other.idMismatches
        tcFallbacks += other.tcFallbacks
    }

    /// True when any counter is above zero (the text report then prints them).
    var any: Bool { self != DNSCounters() }
}
